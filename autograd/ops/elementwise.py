"""Elementwise primitives: NumPy forward beside a VJP in Tensor ops.

Notation: `g` is the gradient arriving at the output (z_bar), the VJP returns x_bar (and y_bar).
Binary ops broadcast as NumPy does; their VJPs sum each gradient back to its input's shape with
`sum_to`, the one place where broadcasting is undone.
"""

from __future__ import annotations

import numbers

import numpy as np

from autograd.convert import as_tensor, operand, operands
from autograd.function import Function, apply
from autograd.ops.reduce import sum_to, sum_to_array
from autograd.tensor import Tensor


# --- binary ----------------------------------------------------------------------------------------


class Add(Function):
    """z = x + y;   x_bar = sum_to(g, x.shape),   y_bar = sum_to(g, y.shape)"""

    name = "add"
    forward = staticmethod(np.add)

    @staticmethod
    def vjp(g, out, needs):
        x, y = out.parents
        return (sum_to(g, x.shape) if needs[0] else None,
                sum_to(g, y.shape) if needs[1] else None)

    @staticmethod
    def fast_vjp(g, out, needs):
        x, y = out.parents
        return (sum_to_array(g, x.data.shape) if needs[0] else None,
                sum_to_array(g, y.data.shape) if needs[1] else None)


class Sub(Function):
    """z = x - y;   x_bar = g,   y_bar = -g   (each summed back to its input's shape)"""

    name = "sub"
    forward = staticmethod(np.subtract)

    @staticmethod
    def vjp(g, out, needs):
        x, y = out.parents
        return (sum_to(g, x.shape) if needs[0] else None,
                sum_to(-g, y.shape) if needs[1] else None)

    @staticmethod
    def fast_vjp(g, out, needs):
        x, y = out.parents
        return (sum_to_array(g, x.data.shape) if needs[0] else None,
                sum_to_array(-g, y.data.shape) if needs[1] else None)


class Mul(Function):
    """z = x * y;   x_bar = g * y,   y_bar = g * x"""

    name = "mul"
    forward = staticmethod(np.multiply)

    @staticmethod
    def vjp(g, out, needs):
        x, y = out.parents
        return (sum_to(g * y, x.shape) if needs[0] else None,
                sum_to(g * x, y.shape) if needs[1] else None)

    @staticmethod
    def fast_vjp(g, out, needs):
        x, y = out.parents[0].data, out.parents[1].data
        return (sum_to_array(g * y, x.shape) if needs[0] else None,
                sum_to_array(g * x, y.shape) if needs[1] else None)


class Div(Function):
    """z = x / y;   x_bar = g / y,   y_bar = -g * x / y^2 = -g * z / y"""

    name = "div"
    forward = staticmethod(np.true_divide)

    @staticmethod
    def vjp(g, out, needs):
        x, y = out.parents
        return (sum_to(g / y, x.shape) if needs[0] else None,
                sum_to(-g * out / y, y.shape) if needs[1] else None)

    @staticmethod
    def fast_vjp(g, out, needs):
        x, y = out.parents[0].data, out.parents[1].data
        return (sum_to_array(g / y, x.shape) if needs[0] else None,
                sum_to_array(-g * out.data / y, y.shape) if needs[1] else None)


class Pow(Function):
    """z = x ** y (tensor exponent), with PyTorch's values at the special points:

        x_bar = g * y * x^(y-1),   0 where y == 0 (also at x == 0 or NaN, where 0 * x^-1 is NaN)
        y_bar = g * z * log(x),    0 where x == 0 and y >= 0 (the limit as x -> +0);
                                   -inf where x == 0 and y < 0 (z = inf, log(x) = -inf);
                                   NaN where x < 0 (log of a negative number)

    The masks are constants, and each covers only the points where the formula itself fails: at y == 0
    with an ordinary x the formula already gives 0 and stays unmasked, so the second derivative there
    is right (d/dy of x_bar is g / x; PyTorch's mask of every y == 0 makes it 0). A masked place also
    gets a harmless x (1) before x^(y-1) and log(x) are computed (the "double where"), so its second
    derivative is 0, not NaN. NOTE: at y == 0 the unmasked 0 may be -0.0 where PyTorch writes 0.0.
    """

    name = "pow"
    forward = staticmethod(np.power)

    @staticmethod
    def vjp(g, out, needs):
        x, y = out.parents
        gx = gy = None
        if needs[0]:
            with np.errstate(divide="ignore", invalid="ignore"):  # x^-1 is inf at 0 (and at subnormals)
                y_zero = (y.data == 0) & ~np.isfinite(np.reciprocal(x.data))  # (out.shape): 0*inf, 0*NaN
            if y_zero.any():
                gx = where(y_zero, 0, g * (y * where(y_zero, 1, x) ** (y - 1)))
            else:  # the common case: no masks in the recorded backward graph
                gx = g * (y * x ** (y - 1))
            gx = sum_to(gx, x.shape)
        if needs[1]:
            zero_base = (x.data == 0) & (y.data >= 0)  # (out.shape): the limit 0 as x -> +0
            if zero_base.any():
                gy = where(zero_base, 0, g * (out * where(zero_base, 1, x).log()))
            else:  # log(x) is -inf at x == 0 with y < 0, NaN at x < 0
                gy = g * (out * x.log())
            gy = sum_to(gy, y.shape)
        return gx, gy


class Where(Function):
    """z = where(c, x, y) for a constant bool mask c;   x_bar = where(c, g, 0),   y_bar = where(c, 0, g)"""

    name = "where"

    @staticmethod
    def forward(x, y, cond):
        return np.where(cond, x, y)

    @staticmethod
    def vjp(g, out, needs):
        x, y = out.parents
        cond = out.params["cond"]
        zero = as_tensor(0, like=g)
        return (sum_to(where(cond, g, zero), x.shape) if needs[0] else None,
                sum_to(where(cond, zero, g), y.shape) if needs[1] else None)

    @staticmethod
    def fast_vjp(g, out, needs):
        x, y = out.parents
        cond, zero = out.params["cond"], np.zeros((), dtype=g.dtype)
        return (sum_to_array(np.where(cond, g, zero), x.data.shape) if needs[0] else None,
                sum_to_array(np.where(cond, zero, g), y.data.shape) if needs[1] else None)


# --- unary -----------------------------------------------------------------------------------------


class Neg(Function):
    """z = -x;   x_bar = -g"""

    name = "neg"
    forward = staticmethod(np.negative)

    @staticmethod
    def vjp(g, out, needs):
        return (-g,)

    @staticmethod
    def fast_vjp(g, out, needs):
        return (-g,)


class PowScalar(Function):
    """z = x ** p for a number p;   x_bar = g * p * x^(p-1)   (0 when p == 0)"""

    name = "pow"

    @staticmethod
    def forward(x, p):
        return np.power(x, p)

    @staticmethod
    def vjp(g, out, needs):
        (x,), p = out.parents, out.params["p"]
        if p == 0:
            return (g * 0,)
        if p == 1:
            return (g,)
        if p == 2:
            return (g * (2 * x),)
        return (g * (p * x ** (p - 1)),)


class Exp(Function):
    """z = exp(x);   x_bar = g * z"""

    name = "exp"
    forward = staticmethod(np.exp)

    @staticmethod
    def vjp(g, out, needs):
        return (g * out,)

    @staticmethod
    def fast_vjp(g, out, needs):
        return (g * out.data,)


class Log(Function):
    """z = log(x);   x_bar = g / x"""

    name = "log"
    forward = staticmethod(np.log)

    @staticmethod
    def vjp(g, out, needs):
        (x,) = out.parents
        return (g / x,)

    @staticmethod
    def fast_vjp(g, out, needs):
        return (g / out.parents[0].data,)


class Tanh(Function):
    """z = tanh(x);   x_bar = g * (1 - z^2)"""

    name = "tanh"
    forward = staticmethod(np.tanh)

    @staticmethod
    def vjp(g, out, needs):
        return (g * (1 - out * out),)

    @staticmethod
    def fast_vjp(g, out, needs):
        z = out.data
        if z.ndim == 0:
            return (g * (1 - z * z),)
        d = np.multiply(z, z)             # the same three steps as vjp, in one new buffer
        np.subtract(1, d, out=d)
        return (np.multiply(g, d, out=d),)


class Sigmoid(Function):
    """z = 1 / (1 + exp(-x)), computed from e = exp(-|x|) (no overflow, full relative accuracy for very
    negative x): z = 1 / (1 + e) for x >= 0, e / (1 + e) below;   x_bar = g * z * (1 - z)"""

    name = "sigmoid"

    @staticmethod
    def forward(x):
        dtype = np.result_type(x.dtype, np.float16)  # ints and bools: in float, as np.tanh would
        x = x.astype(dtype, copy=False)
        e = np.exp(-np.abs(x))
        one = np.asarray(1, dtype=dtype)
        return np.where(x >= 0, one / (one + e), e / (one + e))

    @staticmethod
    def vjp(g, out, needs):
        return (g * (out * (1 - out)),)


class Relu(Function):
    """z = max(x, 0);   x_bar = where(x > 0, g, 0)   (the mask is a constant)"""

    name = "relu"

    @staticmethod
    def forward(x):
        return np.maximum(x, np.zeros((), dtype=x.dtype))

    @staticmethod
    def vjp(g, out, needs):
        (x,) = out.parents
        return (where(x.data > 0, g, 0),)

    @staticmethod
    def fast_vjp(g, out, needs):
        return (np.where(out.parents[0].data > 0, g, np.zeros((), dtype=g.dtype)),)


class Cast(Function):
    """z = x as a floating dtype;   x_bar = g as x.dtype   (casts to int or bool are not recorded)"""

    name = "cast"

    @staticmethod
    def forward(x, dtype):
        return x.astype(dtype)

    @staticmethod
    def vjp(g, out, needs):
        (x,) = out.parents
        return (cast(g, x.dtype),)


# --- user-facing functions -------------------------------------------------------------------------


def add(x, y) -> Tensor:
    if type(x) is not Tensor or type(y) is not Tensor:
        x, y = operands(x, y, "add")
    return apply(Add, x, y)


def sub(x, y) -> Tensor:
    if type(x) is not Tensor or type(y) is not Tensor:
        x, y = operands(x, y, "sub")
    return apply(Sub, x, y)


def mul(x, y) -> Tensor:
    if type(x) is not Tensor or type(y) is not Tensor:
        x, y = operands(x, y, "mul")
    return apply(Mul, x, y)


def div(x, y) -> Tensor:
    if type(x) is not Tensor or type(y) is not Tensor:
        x, y = operands(x, y, "div")
    return apply(Div, x, y)


def pow(x, y) -> Tensor:
    """x ** y: a number exponent is a parameter of the op, a Tensor exponent an input.

    A NumPy number exponent follows mul's rule: it takes a floating x's dtype, so float32 stays float32.
    """
    if isinstance(x, Tensor) and isinstance(y, numbers.Real) and not isinstance(y, (bool, np.bool_)):
        if isinstance(y, np.generic) and x.data.dtype.kind == "f":
            y = y.item()  # a Python number: NumPy keeps x's dtype (np.float64 would promote to float64)
        return apply(PowScalar, x, p=y)
    return apply(Pow, *operands(x, y, "pow"))


def where(cond, x, y) -> Tensor:
    """Elementwise `x if cond else y`; `cond` is a constant (bool array or Tensor), not differentiated."""
    cond = np.array(cond.data if isinstance(cond, Tensor) else cond, dtype=bool)  # our own copy
    x, y = operands(x, y, "where")
    return apply(Where, x, y, cond=cond)


def neg(x) -> Tensor:
    return apply(Neg, x if type(x) is Tensor else operand(x, "neg"))


def exp(x) -> Tensor:
    return apply(Exp, x if type(x) is Tensor else operand(x, "exp"))


def log(x) -> Tensor:
    return apply(Log, x if type(x) is Tensor else operand(x, "log"))


def tanh(x) -> Tensor:
    return apply(Tanh, x if type(x) is Tensor else operand(x, "tanh"))


def sigmoid(x) -> Tensor:
    return apply(Sigmoid, x if type(x) is Tensor else operand(x, "sigmoid"))


def relu(x) -> Tensor:
    return apply(Relu, x if type(x) is Tensor else operand(x, "relu"))


def cast(x, dtype) -> Tensor:
    """x as `dtype` (also `x.astype(dtype)`), like PyTorch's `.to(dtype)`:

    - to a floating dtype: a differentiable op (its VJP casts the gradient back);
    - to an integer or bool dtype: a constant Tensor that does not require grad, recorded nowhere
      (rounding has no useful derivative, so no gradient flows through it);
    - to complex, object, str, bytes and other dtypes: TypeError (Tensors hold real numbers).
    """
    if type(x) is not Tensor:
        x = operand(x, "cast")
    try:
        dtype = np.dtype(dtype)
    except TypeError as err:
        raise TypeError(f"cast (astype): {dtype!r} is not a dtype (shape {x.shape}): {err}") from None
    if dtype.kind not in "biuf":
        raise TypeError(
            f"cast (astype): cannot cast a Tensor of dtype {x.data.dtype} and shape {x.shape} to dtype "
            f"{dtype}; Tensors hold real numbers (bool, int or float)"
        )
    if x.data.dtype == dtype:
        return x
    if dtype.kind != "f":  # NOTE: not differentiable, so not a node: no gradient passes the rounding
        return Tensor._leaf(x.data.astype(dtype))
    return apply(Cast, x, dtype=dtype)
