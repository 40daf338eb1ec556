"""Checks shared by the test files."""

import re
from contextlib import contextmanager

import numpy as np
import pytest

from autograd import Tensor


def raises(exc, *parts: str):
    """pytest.raises(exc) for a message that contains every one of `parts` literally, in any order."""
    return pytest.raises(exc, match="(?s)" + "".join(f"(?=.*{re.escape(p)})" for p in parts))


def with_grad(shape, seed: int = 0) -> Tensor:
    """A float64 leaf that requires grad and already holds a gradient from an earlier backward."""
    rng = np.random.default_rng(seed)
    t = Tensor(rng.uniform(0.5, 2.0, size=shape), requires_grad=True)
    t.grad = Tensor(rng.standard_normal(shape))
    return t


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
