"""Tensor methods are the ops of the same name, and Tensor stays slotted (no per-instance dict)."""

import numpy as np
import pytest

import autograd as ag
from autograd import Tensor

X = np.array([[0.3, -1.2, 2.5], [1.7, 0.4, -0.9]])

CASES = [  # (method call, the same through the module function)
    (lambda t: t.abs(), lambda t: ag.abs(t)), (lambda t: abs(t), lambda t: ag.abs(t)),
    (lambda t: t.sqrt(), lambda t: ag.sqrt(t)), (lambda t: t.square(), lambda t: ag.square(t)),
    (lambda t: t.sin(), lambda t: ag.sin(t)), (lambda t: t.cos(), lambda t: ag.cos(t)),
    (lambda t: t.log1p(), lambda t: ag.log1p(t)), (lambda t: t.expm1(), lambda t: ag.expm1(t)),
    (lambda t: t.erf(), lambda t: ag.erf(t)), (lambda t: t.sign(), lambda t: ag.sign(t)),
    (lambda t: t.floor(), lambda t: ag.floor(t)), (lambda t: t.ceil(), lambda t: ag.ceil(t)),
    (lambda t: t.round(1), lambda t: ag.round(t, 1)), (lambda t: t.clip(0, 1), lambda t: ag.clip(t, 0, 1)),
    (lambda t: t.maximum(0.5), lambda t: ag.maximum(t, 0.5)),
    (lambda t: t.minimum(0.5), lambda t: ag.minimum(t, 0.5)),
    (lambda t: t.min(axis=1), lambda t: ag.min(t, 1)), (lambda t: t.prod(axis=0), lambda t: ag.prod(t, 0)),
    (lambda t: t.var(ddof=1), lambda t: ag.var(t, ddof=1)), (lambda t: t.std(axis=0), lambda t: ag.std(t, 0)),
    (lambda t: t.cumsum(axis=1), lambda t: ag.cumsum(t, 1)),
    (lambda t: t.argmax(axis=1), lambda t: ag.argmax(t, 1)), (lambda t: t.argmin(), lambda t: ag.argmin(t)),
    (lambda t: t.flatten(), lambda t: ag.flatten(t)), (lambda t: t.ravel(), lambda t: ag.flatten(t)),
    (lambda t: t.swapaxes(0, 1), lambda t: ag.swapaxes(t, 0, 1)),
    (lambda t: t.repeat(2, axis=0), lambda t: ag.repeat(t, 2, 0)),
    (lambda t: t.flip(1), lambda t: ag.flip(t, 1)),
    (lambda t: t.reshape(1, 2, 3).squeeze(0), lambda t: ag.squeeze(t.reshape(1, 2, 3), 0)),
    (lambda t: t.take_along_axis(np.array([[0], [2]]), 1),
     lambda t: ag.take_along_axis(t, np.array([[0], [2]]), 1)),
]


@pytest.mark.parametrize("k", range(len(CASES)))
def test_method_is_the_op(k):
    method, function = CASES[k]
    a, b = method(Tensor(np.abs(X) if k in (2, 6) else X)), function(Tensor(np.abs(X) if k in (2, 6) else X))
    np.testing.assert_array_equal(a.data, b.data)
    assert a.op == b.op and a.dtype == b.dtype


def test_tensor_has_no_instance_dict():
    assert not hasattr(Tensor(1.0), "__dict__")
