"""Reductions and broadcasting: sum, max, sum_to, broadcast_to (and mean, composed).

`sum_to(x, shape)` is the one place where broadcasting is undone: it sums the axes that broadcasting
added or stretched. `broadcast_to` and `sum_to` are each other's VJP.
"""

from __future__ import annotations

import numbers

import numpy as np

from autograd.convert import operand
from autograd.function import Function, apply
from autograd.ops.shape import sizes
from autograd.tensor import Tensor


def normalize_axes(axis, ndim: int, op: str, shape) -> tuple[int, ...] | None:
    """`axis` (None, an int or ints, negatives allowed) as sorted non-negative ints; None means all.

    A 0-d tensor takes axis 0 or -1 (as PyTorch does), which reduces nothing: ().
    """
    if axis is None:
        return None
    if isinstance(axis, numbers.Integral) and not isinstance(axis, (bool, np.bool_)):
        axes = (axis,)
    elif isinstance(axis, (tuple, list)):
        axes = tuple(axis)
    else:
        raise TypeError(f"{op}: axis must be None, an int or a tuple of ints; got {axis!r}")
    out = []
    for a in axes:
        if not isinstance(a, numbers.Integral) or isinstance(a, (bool, np.bool_)):
            raise TypeError(f"{op}: axis must be None, an int or a tuple of ints; got {axis!r}")
        if ndim == 0 and a in (0, -1) and len(axes) == 1:
            return ()  # a 0-d tensor: axis 0 or -1 reduces nothing (as PyTorch; NumPy's sum and max too)
        if not -ndim <= a < ndim:
            raise ValueError(f"{op}: axis {a!r} is out of range for shape {tuple(shape)}")
        out.append(int(a) % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: repeated axis in {axis!r}")
    return tuple(sorted(out))


def _kept_shape(shape, axes) -> tuple[int, ...]:
    """The shape of a reduction over `axes` with keepdims=True."""
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class Sum(Function):
    """z = sum(x, axes);   x_bar = broadcast_to(g with the summed axes kept as 1, x.shape)"""

    name = "sum"

    @staticmethod
    def forward(x, axis, keepdims):
        return np.sum(x, axis=axis, keepdims=keepdims)

    @staticmethod
    def vjp(g, out, needs):
        (x,) = out.parents
        kept = _kept_shape(x.shape, out.params["axis"])
        return (broadcast_to(g.reshape(kept), x.shape),)

    @staticmethod
    def fast_vjp(g, out, needs):
        shape = out.parents[0].data.shape
        return (np.broadcast_to(np.reshape(g, _kept_shape(shape, out.params["axis"])), shape),)


class Max(Function):
    """z = max(x, axes);   x_bar = g * w,  w = 1/k on the k maxima of each slice, 0 elsewhere

    NOTE: ties share the gradient equally; w is a constant (the argmax does not move under
    small changes of x).
    """

    name = "max"

    @staticmethod
    def forward(x, axis, keepdims):
        return np.max(x, axis=axis, keepdims=keepdims)

    @staticmethod
    def vjp(g, out, needs):
        (x,) = out.parents
        axis = out.params["axis"]
        kept = _kept_shape(x.shape, axis)
        mask = (x.data == out.data.reshape(kept)).astype(x.dtype)
        weights = mask / mask.sum(axis=axis, keepdims=True)
        return (broadcast_to(g.reshape(kept), x.shape) * Tensor._leaf(weights),)


class SumTo(Function):
    """z = x summed down to `shape` (undoes broadcasting);   x_bar = broadcast_to(g, x.shape)"""

    name = "sum_to"

    @staticmethod
    def forward(x, shape):
        lead = x.ndim - len(shape)
        axes = tuple(range(lead)) + tuple(
            lead + i for i, n in enumerate(shape) if n == 1 and x.shape[lead + i] != 1
        )
        y = np.sum(x, axis=axes, keepdims=True) if axes else x
        return y.reshape(shape)

    @staticmethod
    def vjp(g, out, needs):
        (x,) = out.parents
        return (broadcast_to(g, x.shape),)

    @staticmethod
    def fast_vjp(g, out, needs):
        shape = out.parents[0].data.shape
        return (g if g.shape == shape else np.broadcast_to(g, shape),)


class BroadcastTo(Function):
    """z = x broadcast to `shape` (NumPy rules);   x_bar = sum_to(g, x.shape)"""

    name = "broadcast_to"

    @staticmethod
    def forward(x, shape):
        return np.broadcast_to(x, shape)

    @staticmethod
    def vjp(g, out, needs):
        (x,) = out.parents
        return (sum_to(g, x.shape),)

    @staticmethod
    def fast_vjp(g, out, needs):
        return (sum_to_array(g, out.parents[0].data.shape),)


def sum(x: Tensor, axis=None, keepdims: bool = False) -> Tensor:
    if type(x) is not Tensor:
        x = operand(x, "sum")
    axes = normalize_axes(axis, x.ndim, "sum", x.shape)
    return apply(Sum, x, axis=axes, keepdims=bool(keepdims))


def mean(x: Tensor, axis=None, keepdims: bool = False) -> Tensor:
    """mean = sum / count (composed from primitives)."""
    if type(x) is not Tensor:
        x = operand(x, "mean")
    axes = normalize_axes(axis, x.ndim, "mean", x.shape)
    count = x.size if axes is None else int(np.prod([x.shape[a] for a in axes]))
    if count == 0:
        raise ValueError(f"mean: no elements to average over (shape {x.shape}, axis {axis!r})")
    if x.dtype == np.float16:  # as NumPy: float16 is summed in float32 (70,000 ones overflow 65504)
        return (sum(x.astype(np.float32), axes, keepdims) / count).astype(np.float16)
    return sum(x, axes, keepdims) / count


def max(x: Tensor, axis=None, keepdims: bool = False) -> Tensor:
    if type(x) is not Tensor:
        x = operand(x, "max")
    axes = normalize_axes(axis, x.ndim, "max", x.shape)
    return apply(Max, x, axis=axes, keepdims=bool(keepdims))


def sum_to(x: Tensor, shape: tuple[int, ...]) -> Tensor:
    """Sum `x` down to `shape`, the inverse of broadcasting; returns `x` itself when shapes agree."""
    if type(x) is not Tensor:
        x = operand(x, "sum_to")
    shape = sizes(shape, "sum_to", x.shape)
    if x.data.shape == shape:
        return x
    try:
        fits = np.broadcast_shapes(shape, x.shape) == x.shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"sum_to: shape {x.shape} cannot be summed down to {shape} "
                         f"(it does not broadcast from it)")
    return apply(SumTo, x, shape=shape)


def sum_to_array(a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """sum_to on arrays, for fast VJPs: `a` itself when the shapes agree, as sum_to returns x."""
    return a if a.shape == shape else SumTo.forward(a, shape)


def broadcast_to(x: Tensor, shape: tuple[int, ...]) -> Tensor:
    if type(x) is not Tensor:
        x = operand(x, "broadcast_to")
    shape = sizes(shape, "broadcast_to", x.shape)
    if x.data.shape == shape:
        return x
    return apply(BroadcastTo, x, shape=shape)
