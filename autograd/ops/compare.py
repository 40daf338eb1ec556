"""Comparisons: elementwise, NumPy names and broadcasting; the result is a bool Tensor, not differentiable.

    x = Tensor([0.2, 0.7], requires_grad=True)
    x > 0.5                # Tensor([False,  True], dtype=bool): requires no grad, records nothing
    ag.where(x > 0.5, x, 0)

A comparison is a step function: its derivative is 0 almost everywhere and undefined at the step, so, as
in PyTorch, it is not recorded at all. Its result is a constant, the kind of mask `where` takes.

Operands follow the arithmetic rule (autograd.convert.operands): a Python or NumPy number meeting a
floating Tensor takes that Tensor's dtype, so `x32 == 0.1` compares with float32(0.1), as `x32 - 0.1`
would subtract it. Arrays, lists and Tensors keep their own dtypes and NumPy promotes them.

NOTE: with elementwise `==`, `t in [a, b]` and `[a, b].index(t)` compare tensors elementwise (and raise:
the truth value of a Tensor is ambiguous). Look tensors up by identity: `any(t is u for u in ts)`, or
`id(t)` as a dict key. Hashing stays by identity (Tensor.__hash__ is object.__hash__), so tensors are
still usable as dict keys and set members, which then also match by identity only.
"""

from __future__ import annotations

import numpy as np

from autograd.convert import as_tensor, operands
from autograd.tensor import Tensor


def _compare(ufunc, x, y, op: str) -> Tensor:
    x, y = operands(x, y, op)
    try:
        out = ufunc(x.data, y.data)  # (broadcast shape of x and y), bool
    except (ValueError, TypeError) as err:
        raise type(err)(f"{op}: shapes {x.shape} and {y.shape}: {err}") from None
    return Tensor._leaf(np.asarray(out))


def equal(x, y) -> Tensor:
    """x == y, elementwise (NaN equals nothing, -0.0 equals 0.0); a bool Tensor, not differentiable."""
    return _compare(np.equal, x, y, "equal")


def not_equal(x, y) -> Tensor:
    """x != y, elementwise; a bool Tensor, not differentiable."""
    return _compare(np.not_equal, x, y, "not_equal")


def less(x, y) -> Tensor:
    """x < y, elementwise; a bool Tensor, not differentiable."""
    return _compare(np.less, x, y, "less")


def less_equal(x, y) -> Tensor:
    """x <= y, elementwise; a bool Tensor, not differentiable."""
    return _compare(np.less_equal, x, y, "less_equal")


def greater(x, y) -> Tensor:
    """x > y, elementwise; a bool Tensor, not differentiable."""
    return _compare(np.greater, x, y, "greater")


def greater_equal(x, y) -> Tensor:
    """x >= y, elementwise; a bool Tensor, not differentiable."""
    return _compare(np.greater_equal, x, y, "greater_equal")


def dunder(fn, x: Tensor, other):
    """`fn(x, other)` for Tensor's comparison operators; NotImplemented when `other` is not numeric data
    (None, a string...), so Python falls back as for any object: == to identity (False), < to TypeError."""
    try:
        other = as_tensor(other, like=x, op=fn.__name__)
    except TypeError:
        return NotImplemented
    return fn(x, other)
