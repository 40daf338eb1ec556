"""Checks shared by the test files."""

from contextlib import contextmanager

import numpy as np

from autograd import Tensor


@contextmanager
def unchanged(*tensors: Tensor):
    """The block must leave every tensor's data, requires_grad and .grad values as they were."""
    before = [(t.data.copy(), t.requires_grad, None if t.grad is None else t.grad.data.copy())
              for t in tensors]
    yield
    for t, (data, requires_grad, grad) in zip(tensors, before):
        np.testing.assert_array_equal(t.data, data)
        assert t.requires_grad == requires_grad
        if grad is None:
            assert t.grad is None
        else:
            assert t.grad is not None and t.grad.shape == grad.shape
            np.testing.assert_array_equal(t.grad.data, grad)
