"""Reductions beyond sum/mean/max: min, prod, var, std, logsumexp, cumsum, argmax, argmin.

NumPy's names and semantics (axis: None, an int or ints; keepdims). Each primitive's VJP is written in
Tensor ops, so the backward pass is recorded and can be differentiated again:

    min         z = min(x);          x_bar = g * w, w = 1/k on the k minima of a slice (as max)
    prod        z = prod(x);         x_bar = g * (product of the other elements of the slice)
    std         z = sqrt(var(x));    x_bar = g * (x - mean) / ((n - ddof) * z),  0 where z == 0
    logsumexp   z = log(sum(exp(x)));  x_bar = g * softmax(x) = g * exp(x - z)
    cumsum      z_i = sum_{j<=i} x_j;  x_bar = reversed cumsum of g

var is composed (mean, sub, mul, sum), so it needs no VJP of its own. argmax and argmin return integer
Tensors that do not require grad.
Shape letters: n = the number of elements each reduced slice holds (the product of the reduced sizes).
"""

from __future__ import annotations

import builtins
import numbers

import numpy as np

from autograd.convert import operand
from autograd.function import Function, apply
from autograd.ops.elementwise import exp, where
from autograd.ops.join import flip, one_axis
from autograd.ops.reduce import Max, _kept_shape, broadcast_to, mean, normalize_axes
from autograd.ops.reduce import sum as _sum
from autograd.ops.shape import reshape, transpose
from autograd.tensor import Tensor


def _count(shape, axes) -> int:
    """How many elements one reduced slice holds."""
    return int(np.prod(shape if axes is None else [shape[a] for a in axes], dtype=np.int64))


def _spread(g: Tensor, x: Tensor, axes) -> Tensor:
    """The gradient of a reduction's output, broadcast back over the reduced axes: (x.shape)."""
    return broadcast_to(reshape(g, _kept_shape(x.shape, axes)), x.shape)


# ---------------------------------------------------------------------------------------------------
# primitives


class Min(Function):
    """z = min(x, axes);   x_bar = g * w,  w = 1/k on the k minima of each slice, 0 elsewhere

    NOTE: as max: ties share the gradient equally, and w is a constant.
    """

    name = "min"
    vjp = staticmethod(Max.vjp)  # the same rule: the mask is x == z, whichever extreme z is

    @staticmethod
    def forward(x, axis, keepdims):
        return np.min(x, axis=axis, keepdims=keepdims)


class Prod(Function):
    """z = prod(x, axes);   x_bar_i = g * prod_{j != i} x_j   (j over the slice of x_i)

    With no zero in x, prod_{j != i} x_j = z / x_i, and the VJP is g * z / x: smooth, so its own
    derivatives are right too. With zeros the division fails (one zero: only its place gets a gradient,
    the product of the others; two or more: every gradient is 0), so the VJP says what it means: the
    product of the slice with x_i replaced by 1. For each slice of n elements that is an (n, n) matrix
    where(eye, 1, x) whose rows are multiplied, again a prod, so the second derivative comes from the
    same rule and handles the zeros too.

    NOTE: the zero case builds (..., n, n) (and (..., n, n, n) for a second derivative): fine for the
    slices of a model's tensors, heavy for a prod over a million elements that holds a zero.
    """

    name = "prod"

    @staticmethod
    def forward(x, axis, keepdims):
        return np.prod(x, axis=axis, keepdims=keepdims)

    @staticmethod
    def vjp(g, out, needs):
        (x,) = out.parents
        axes = out.params["axis"]
        if (x.data == 0).any() or (out.data == 0).any():  # a zero, or a product that underflowed
            return (_spread(g, x, axes) * _prod_of_others(x, axes),)
        z = reshape(out, _kept_shape(x.shape, axes))
        return (_spread(g, x, axes) * z / x,)


def _prod_of_others(x: Tensor, axes) -> Tensor:
    """P_i = product of x_i's slice with x_i replaced by 1 (the product of the others): (x.shape)."""
    axes = tuple(range(x.ndim)) if axes is None else axes
    rest = tuple(a for a in range(x.ndim) if a not in axes)
    perm = rest + axes                                    # reduced axes last
    xt = transpose(x, perm)                               # (..., reduced sizes)
    lead = xt.shape[: len(rest)]
    n = _count(x.shape, axes)
    rows = reshape(xt, lead + (1, n))                     # (..., 1, n)
    others = prod(where(np.eye(n, dtype=bool), 1, rows), axis=-1)  # (..., n, n) -> (..., n)
    return transpose(reshape(others, xt.shape), tuple(int(i) for i in np.argsort(perm)))


class Std(Function):
    """z = sqrt(sum((x - mean)^2) / (n - ddof));   x_bar = g * (x - mean) / ((n - ddof) * z)

    NOTE: where z == 0 (a slice of equal values) the derivative does not exist (std is |x| there, a
    kink); x_bar is 0, as PyTorch (std_backward masks result == 0), not the NaN of 0 * inf. The mask is a
    constant and the "double where" keeps the masked places finite, so second derivatives are 0 there.
    """

    name = "std"

    @staticmethod
    def forward(x, axis, ddof, keepdims):
        return np.std(x, axis=axis, ddof=ddof, keepdims=keepdims)

    @staticmethod
    def vjp(g, out, needs):
        (x,) = out.parents
        axes, ddof = out.params["axis"], out.params["ddof"]
        kept = _kept_shape(x.shape, axes)
        z, gk = reshape(out, kept), reshape(g, kept)
        zero = out.data.reshape(kept) == 0
        coeff = where(zero, 0, gk / where(zero, 1, z)) if zero.any() else gk / z  # (kept)
        centered = x - mean(x, axes, keepdims=True)
        return (broadcast_to(coeff, x.shape) * centered / (_count(x.shape, axes) - ddof),)


class LogSumExp(Function):
    """z = log(sum(exp(x), axes)), computed as m + log(sum(exp(x - m))) with m the slice's max;
    x_bar = g * softmax(x) = g * exp(x - z)

    A slice of -inf gives -inf; a slice holding +inf gives +inf (m is taken as 0 when it is not finite).
    """

    name = "logsumexp"

    @staticmethod
    def forward(x, axis, keepdims):
        m = np.max(x, axis=axis, keepdims=True)
        m = np.where(np.isfinite(m), m, np.zeros((), dtype=m.dtype))
        with np.errstate(divide="ignore"):  # log(0) = -inf for a slice of -inf
            z = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
        if keepdims:
            return z
        return z.reshape([n for i, n in enumerate(x.shape) if axis is not None and i not in axis])

    @staticmethod
    def vjp(g, out, needs):
        (x,) = out.parents
        axes = out.params["axis"]
        return (_spread(g, x, axes) * exp(x - reshape(out, _kept_shape(x.shape, axes))),)


class CumSum(Function):
    """z_i = x_1 + ... + x_i along `axis`;   x_bar_i = g_i + ... + g_n = flip(cumsum(flip(g)))"""

    name = "cumsum"

    @staticmethod
    def forward(x, axis):
        return np.cumsum(x, axis=axis)

    @staticmethod
    def vjp(g, out, needs):
        axis = out.params["axis"]
        return (flip(apply(CumSum, flip(g, axis), axis=axis), axis),)


# ---------------------------------------------------------------------------------------------------
# user-facing functions


def min(x, axis=None, keepdims: bool = False) -> Tensor:
    """The smallest element (of each slice along `axis`); the gradient goes to the minima."""
    x = operand(x, "min")
    axes = normalize_axes(axis, x.ndim, "min", x.shape)
    _nonempty(x, axes, "min")
    return apply(Min, x, axis=axes, keepdims=bool(keepdims))


def prod(x, axis=None, keepdims: bool = False) -> Tensor:
    """The product of the elements (of each slice along `axis`); right gradients with zeros in x."""
    x = operand(x, "prod")
    axes = normalize_axes(axis, x.ndim, "prod", x.shape)
    return apply(Prod, x, axis=axes, keepdims=bool(keepdims))


def var(x, axis=None, *, ddof=0, keepdims: bool = False) -> Tensor:
    """sum((x - mean(x))^2) / (n - ddof), n elements per slice (ddof=1: the unbiased estimate).

    Composed: mean, sub, mul, sum and a division, so every order of derivative is exact.
    NOTE: ddof and keepdims are keyword-only (NumPy's positional order has dtype and out before them).
    """
    x = operand(x, "var")
    axes = normalize_axes(axis, x.ndim, "var", x.shape)
    dof = _dof(x, axes, ddof, "var")
    d = x - mean(x, axes, keepdims=True)
    return _sum(d * d, axes, keepdims) / dof


def std(x, axis=None, *, ddof=0, keepdims: bool = False) -> Tensor:
    """sqrt(var(x, axis, ddof)); its gradient is 0 where std is 0 (as PyTorch; see Std)."""
    x = operand(x, "std")
    axes = normalize_axes(axis, x.ndim, "std", x.shape)
    _dof(x, axes, ddof, "std")
    return apply(Std, x, axis=axes, ddof=ddof, keepdims=bool(keepdims))


def logsumexp(x, axis=None, keepdims: bool = False) -> Tensor:
    """log(sum(exp(x))) without overflow; its gradient is the softmax of x along `axis`."""
    x = operand(x, "logsumexp")
    axes = normalize_axes(axis, x.ndim, "logsumexp", x.shape)
    _nonempty(x, axes, "logsumexp")
    return apply(LogSumExp, x, axis=axes, keepdims=bool(keepdims))


def cumsum(x, axis: int | None = None) -> Tensor:
    """Running sums along `axis`; axis=None sums x flattened (as NumPy), giving shape (x.size,)."""
    x = operand(x, "cumsum")
    if axis is None:
        x, axis = reshape(x, (x.size,)), 0
    axis = one_axis(axis, x.ndim, "cumsum", x.shape)
    return apply(CumSum, x, axis=axis)


def argmax(x, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """The index of the largest element (the first one on ties), flattened when axis is None.

    An integer Tensor (int64) that does not require grad: an index has no derivative.
    """
    return _arg(np.argmax, "argmax", x, axis, keepdims)


def argmin(x, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """The index of the smallest element (the first one on ties); an integer Tensor without gradient."""
    return _arg(np.argmin, "argmin", x, axis, keepdims)


def _arg(fn, op: str, x, axis, keepdims) -> Tensor:
    x = operand(x, op)
    if axis is not None:
        axis = one_axis(axis, builtins.max(x.ndim, 1), op, x.shape)
    if x.size == 0 or (axis is not None and x.ndim and x.shape[axis] == 0):
        raise ValueError(f"{op}: no elements to choose from (shape {x.shape}, axis {axis!r})")
    out = fn(x.data, axis=axis, keepdims=bool(keepdims))
    return Tensor._leaf(np.asarray(out, dtype=np.int64), "forward")


def _nonempty(x: Tensor, axes, op: str) -> None:
    if _count(x.shape, axes) == 0:
        raise ValueError(f"{op}: no elements to reduce (shape {x.shape}, axis {axes!r}); {op} of nothing "
                         f"has no value")


def _dof(x: Tensor, axes, ddof, op: str) -> int | float:
    """n - ddof, the divisor of var and std; an error when it is not positive."""
    if not isinstance(ddof, numbers.Real) or isinstance(ddof, (bool, np.bool_)):
        raise TypeError(f"{op}: ddof must be a number; got {ddof!r}")
    n = _count(x.shape, axes)
    if n - ddof <= 0:
        raise ValueError(f"{op}: ddof={ddof} leaves no degrees of freedom: {n} element(s) per slice "
                         f"(shape {x.shape}, axis {axes!r})")
    return n - ddof
