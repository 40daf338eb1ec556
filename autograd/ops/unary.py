"""Elementwise maths: NumPy forward beside a VJP in Tensor ops (abs, sqrt, sin, erf, maximum, clip, ...).

    x = Tensor([-1.5, 0.25, 4.0], requires_grad=True)
    ag.sqrt(ag.abs(x))           # abs -> sqrt in the drawn graph
    ag.clip(x, 0, 1)             # gradient 1 where 0 <= x <= 1, else 0
    ag.maximum(x, 0.25)          # a tie shares the gradient: 0.5 to each side

Notation: `g` is the gradient arriving at the output z (z_bar); a VJP returns x_bar (and y_bar).
dtypes follow NumPy: float32 stays float32, and where NumPy returns floats for integers (sqrt, sin,
erf...) the op does too. Values at the points where an op is not differentiable follow PyTorch:

    abs'(0) = 0               sqrt'(0) = inf                 maximum/minimum at a tie: g/2 to each side
    clip: 1 on [lo, hi], bounds included (PyTorch's clamp)   sign, floor, ceil, round: 0 everywhere

A step function (sign, floor, ceil, round) has derivative 0 almost everywhere; its VJP returns a
constant zero, as PyTorch's does (`zeros_like(grad)`), so no gradient flows through it at any order.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from autograd.convert import operand, operands
from autograd.function import Function, apply
from autograd.ops.elementwise import exp, where
from autograd.ops.reduce import sum_to
from autograd.tensor import Tensor


def _zero_vjp(g, out, needs):
    """x_bar = 0 (a constant: a step function passes no gradient, at any order)."""
    (x,) = out.parents
    return (Tensor._leaf(np.zeros(x.data.shape, dtype=g.data.dtype)),)


# --- smooth unary ops ------------------------------------------------------------------------------


class Abs(Function):
    """z = |x|;   x_bar = g * sign(x)   (0 at x == 0, as PyTorch)"""

    name = "abs"
    forward = staticmethod(np.abs)

    @staticmethod
    def vjp(g, out, needs):
        (x,) = out.parents
        return (g * sign(x),)


class Sqrt(Function):
    """z = sqrt(x);   x_bar = g / (2 z)   (inf at x == 0, as PyTorch; NaN for x < 0)

    NOTE: the division by z == 0 is silent (it is the documented answer, not an accident); NumPy's
    warning is kept for the forward of a negative x, as for log.
    """

    name = "sqrt"
    forward = staticmethod(np.sqrt)

    @staticmethod
    def vjp(g, out, needs):
        with np.errstate(divide="ignore", invalid="ignore"):  # g / 0 = inf, 0 / 0 = NaN at x == 0
            return (g / (2 * out),)


class Square(Function):
    """z = x^2;   x_bar = g * 2x"""

    name = "square"
    forward = staticmethod(np.square)

    @staticmethod
    def vjp(g, out, needs):
        (x,) = out.parents
        return (g * (2 * x),)


class Sin(Function):
    """z = sin(x);   x_bar = g * cos(x)"""

    name = "sin"
    forward = staticmethod(np.sin)

    @staticmethod
    def vjp(g, out, needs):
        (x,) = out.parents
        return (g * cos(x),)


class Cos(Function):
    """z = cos(x);   x_bar = -g * sin(x)"""

    name = "cos"
    forward = staticmethod(np.cos)

    @staticmethod
    def vjp(g, out, needs):
        (x,) = out.parents
        return (-g * sin(x),)


class Log1p(Function):
    """z = log(1 + x), accurate for small x;   x_bar = g / (1 + x)"""

    name = "log1p"
    forward = staticmethod(np.log1p)

    @staticmethod
    def vjp(g, out, needs):
        (x,) = out.parents
        return (g / (1 + x),)


class Expm1(Function):
    """z = exp(x) - 1, accurate for small x;   x_bar = g * (z + 1)"""

    name = "expm1"
    forward = staticmethod(np.expm1)

    @staticmethod
    def vjp(g, out, needs):
        return (g * (out + 1),)


# --- erf: NumPy has none, so here is one (Cephes' rational approximations) -------------------------

# W. J. Cody's style of approximation as S. L. Moshier's Cephes library (ndtr.c) gives it, coefficients
# highest power first (np.polyval's order):
#   |x| <= 1:      erf(x)  = x T(x^2) / U(x^2)
#   1 < |x| < 6:   erfc(|x|) = exp(-x^2) P(|x|) / Q(|x|),   erf(x) = sign(x) (1 - erfc(|x|))
#   |x| >= 6:      erf(x) = sign(x) exactly in float64 (erfc(6) = 2.2e-17 is below half an ulp of 1)
# Checked against math.erf (the C library's erf) to 3 ulp (relative error < 5e-16) in
# tests/autograd/test_unary_ops.py. Vectorized: no Python call per element (math.erf through
# np.frompyfunc would be exact too, but makes a Python float and an object array of every element).
_ERF_T = (9.60497373987051638749e0, 9.00260197203842689217e1, 2.23200534594684319226e3,
          7.00332514112805075473e3, 5.55923013010394962768e4)
_ERF_U = (1.0, 3.35617141647503099647e1, 5.21357949780152679795e2, 4.59432382970980127987e3,
          2.26290000613890934246e4, 4.92673942608635921086e4)
_ERFC_P = (2.46196981473530512524e-10, 5.64189564831068821977e-1, 7.46321056442269912687e0,
           4.86371970985681366614e1, 1.96520832956077098242e2, 5.26445194995477358631e2,
           9.34528527171957607540e2, 1.02755188689515710272e3, 5.57535335369399327526e2)
_ERFC_Q = (1.0, 1.32281951154744992508e1, 8.67072140885989742329e1, 3.54937778887819891062e2,
           9.75708501743205489753e2, 1.82390916687909736289e3, 2.24633760818710981792e3,
           1.65666309194161350182e3, 5.57535340817727675546e2)


def erf_array(x: np.ndarray) -> np.ndarray:
    """erf of a NumPy array, in float64 (to about 1 ulp); NaN stays NaN, erf(+-inf) = +-1."""
    x = np.asarray(x, dtype=np.float64)
    ax = np.abs(x)
    xs = np.clip(x, -1.0, 1.0)  # each branch sees only its own range: no overflow, no warnings
    z = xs * xs
    small = xs * np.polyval(_ERF_T, z) / np.polyval(_ERF_U, z)
    xl = np.clip(ax, 1.0, 6.0)  # NaN stays NaN
    erfc = np.exp(-xl * xl) * np.polyval(_ERFC_P, xl) / np.polyval(_ERFC_Q, xl)
    return np.where(ax <= 1.0, small, np.sign(x) * (1.0 - erfc))


def float_dtype(dtype: np.dtype) -> np.dtype:
    """The dtype NumPy's float ufuncs (np.tanh, np.sqrt) return for `dtype`: floats keep theirs."""
    return np.result_type(dtype, np.float16)


_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


class Erf(Function):
    """z = erf(x) = 2/sqrt(pi) * integral_0^x exp(-t^2) dt;   x_bar = g * 2/sqrt(pi) * exp(-x^2)"""

    name = "erf"

    @staticmethod
    def forward(x):
        return erf_array(x).astype(float_dtype(x.dtype), copy=False)

    @staticmethod
    def vjp(g, out, needs):
        (x,) = out.parents
        return (g * (_TWO_OVER_SQRT_PI * exp(-(x * x))),)


# --- step functions: zero gradient ------------------------------------------------------------------


class Sign(Function):
    """z = sign(x) in {-1, 0, 1} (NaN stays NaN);   x_bar = 0"""

    name = "sign"
    forward = staticmethod(np.sign)
    vjp = staticmethod(_zero_vjp)


class Floor(Function):
    """z = floor(x);   x_bar = 0"""

    name = "floor"
    forward = staticmethod(np.floor)
    vjp = staticmethod(_zero_vjp)


class Ceil(Function):
    """z = ceil(x);   x_bar = 0"""

    name = "ceil"
    forward = staticmethod(np.ceil)
    vjp = staticmethod(_zero_vjp)


class Round(Function):
    """z = round(x, decimals), halves to even as NumPy (round(0.5) = 0, round(1.5) = 2);   x_bar = 0"""

    name = "round"
    vjp = staticmethod(_zero_vjp)

    @staticmethod
    def forward(x, decimals):
        return np.round(x, decimals)


# --- binary: maximum, minimum -----------------------------------------------------------------------


def _share(g, out, needs, loses):
    """x_bar, y_bar of maximum/minimum: g to the winner, g/2 to each side of a tie, 0 to the loser.

    `loses(a, b)` says where a loses against b. The masks are constants (who wins does not move under
    small changes). With NaN on either side nobody loses and nobody ties: both get g, as in PyTorch.
    """
    x, y = out.parents
    a, b = x.data, y.data
    tie = np.equal(a, b)  # (out.shape)
    half = g * 0.5 if tie.any() else None
    grads = []
    for t, lost, need in ((x, loses(a, b), needs[0]), (y, loses(b, a), needs[1])):
        if not need:
            grads.append(None)
            continue
        gt = where(lost, 0, g)
        if half is not None:
            gt = where(tie, half, gt)
        grads.append(sum_to(gt, t.shape))
    return tuple(grads)


class Maximum(Function):
    """z = maximum(x, y), broadcasting (NaN wins);
    x_bar = g where x > y, g/2 where x == y, 0 where x < y   (y_bar likewise; PyTorch's rule)"""

    name = "maximum"
    forward = staticmethod(np.maximum)

    @staticmethod
    def vjp(g, out, needs):
        return _share(g, out, needs, np.less)


class Minimum(Function):
    """z = minimum(x, y), broadcasting (NaN wins);
    x_bar = g where x < y, g/2 where x == y, 0 where x > y   (y_bar likewise; PyTorch's rule)"""

    name = "minimum"
    forward = staticmethod(np.minimum)

    @staticmethod
    def vjp(g, out, needs):
        return _share(g, out, needs, np.greater)


# --- clip --------------------------------------------------------------------------------------------


class Clip(Function):
    """z = clip(x, lo, hi) = min(max(x, lo), hi)   (lo or hi may be None: no bound on that side);
    x_bar = g where lo <= x <= hi, 0 elsewhere   (PyTorch's clamp: the gradient passes at the bounds;
    with lo > hi every z is hi and no gradient passes)"""

    name = "clip"

    @staticmethod
    def forward(x, lo, hi):
        return np.clip(x, lo, hi)

    @staticmethod
    def vjp(g, out, needs):
        (x,) = out.parents
        lo, hi = out.params["lo"], out.params["hi"]
        inside = np.ones(x.data.shape, dtype=bool)
        if lo is not None:
            inside &= x.data >= lo
        if hi is not None:
            inside &= x.data <= hi
        return (where(inside, g, 0),)


# --- user-facing functions ---------------------------------------------------------------------------


def abs(x) -> Tensor:
    """|x|, elementwise. Gradient sign(x): 0 at x == 0, as PyTorch."""
    return apply(Abs, x if type(x) is Tensor else operand(x, "abs"))


def sqrt(x) -> Tensor:
    """sqrt(x), elementwise (NaN for x < 0, as NumPy). Gradient 1 / (2 sqrt(x)): inf at 0."""
    return apply(Sqrt, x if type(x) is Tensor else operand(x, "sqrt"))


def square(x) -> Tensor:
    """x * x as one op (an int stays int, as np.square)."""
    return apply(Square, x if type(x) is Tensor else operand(x, "square"))


def sin(x) -> Tensor:
    return apply(Sin, x if type(x) is Tensor else operand(x, "sin"))


def cos(x) -> Tensor:
    return apply(Cos, x if type(x) is Tensor else operand(x, "cos"))


def log1p(x) -> Tensor:
    """log(1 + x), accurate for small x."""
    return apply(Log1p, x if type(x) is Tensor else operand(x, "log1p"))


def expm1(x) -> Tensor:
    """exp(x) - 1, accurate for small x."""
    return apply(Expm1, x if type(x) is Tensor else operand(x, "expm1"))


def erf(x) -> Tensor:
    """The error function, elementwise (computed in float64, returned in x's float dtype)."""
    return apply(Erf, x if type(x) is Tensor else operand(x, "erf"))


def sign(x) -> Tensor:
    """-1, 0 or 1, elementwise (NaN stays NaN); zero gradient."""
    x = operand(x, "sign")
    if x.data.dtype.kind == "b":
        raise TypeError(f"sign: not defined for bool (as np.sign), shape {x.shape}; cast to int or float")
    return apply(Sign, x)


def floor(x) -> Tensor:
    """The largest integer <= x (an int stays int, as NumPy); zero gradient."""
    return apply(Floor, x if type(x) is Tensor else operand(x, "floor"))


def ceil(x) -> Tensor:
    """The smallest integer >= x (an int stays int, as NumPy); zero gradient."""
    return apply(Ceil, x if type(x) is Tensor else operand(x, "ceil"))


def round(x, decimals: int = 0) -> Tensor:
    """x rounded to `decimals` places, halves to even (NumPy's rule); zero gradient."""
    x = operand(x, "round")
    if not isinstance(decimals, numbers.Integral) or isinstance(decimals, (bool, np.bool_)):
        raise TypeError(f"round: decimals must be an int; got {decimals!r} (input shape {x.shape})")
    return apply(Round, x, decimals=int(decimals))


def maximum(x, y) -> Tensor:
    """The larger of x and y, elementwise, broadcasting as NumPy; a tie sends g/2 to each side."""
    return apply(Maximum, *operands(x, y, "maximum"))


def minimum(x, y) -> Tensor:
    """The smaller of x and y, elementwise, broadcasting as NumPy; a tie sends g/2 to each side."""
    return apply(Minimum, *operands(x, y, "minimum"))


def _bound(value, which: str, x: Tensor):
    """A clip bound: None or a real number (a NumPy number becomes a Python one, so float32 stays float32)."""
    if value is None:
        return None
    if isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)):
        return value.item() if isinstance(value, np.generic) else value
    raise TypeError(
        f"clip: {which} must be a number or None; got {type(value).__name__} (input shape {x.shape})"
    )


def clip(x, lo=None, hi=None) -> Tensor:
    """x limited to [lo, hi] (np.clip; PyTorch's clamp); lo or hi may be None, not both.

    Gradient 1 where lo <= x <= hi (bounds included), 0 elsewhere. If lo > hi, every value is hi.
    """
    x = operand(x, "clip")
    lo, hi = _bound(lo, "lo", x), _bound(hi, "hi", x)
    if lo is None and hi is None:
        raise ValueError(f"clip: give lo or hi (or both); both are None (input shape {x.shape})")
    return apply(Clip, x, lo=lo, hi=hi)
