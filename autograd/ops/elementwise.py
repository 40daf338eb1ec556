"""Elementwise primitives: NumPy forward beside a VJP in Tensor ops.

Notation: `g` is the gradient arriving at the output (z_bar), the VJP returns x_bar (and y_bar).
Binary ops broadcast as NumPy does; their VJPs sum each gradient back to its input's shape with
`sum_to`, the one place where broadcasting is undone.
"""

from __future__ import annotations

import numbers

import numpy as np

from autograd.function import Function, apply
from autograd.ops.reduce import sum_to
from autograd.tensor import Tensor, as_tensor, operand, operands


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


class Sub(Function):
    """z = x - y;   x_bar = g,   y_bar = -g   (each summed back to its input's shape)"""

    name = "sub"
    forward = staticmethod(np.subtract)

    @staticmethod
    def vjp(g, out, needs):
        x, y = out.parents
        return (sum_to(g, x.shape) if needs[0] else None,
                sum_to(-g, y.shape) if needs[1] else None)


class Mul(Function):
    """z = x * y;   x_bar = g * y,   y_bar = g * x"""

    name = "mul"
    forward = staticmethod(np.multiply)

    @staticmethod
    def vjp(g, out, needs):
        x, y = out.parents
        return (sum_to(g * y, x.shape) if needs[0] else None,
                sum_to(g * x, y.shape) if needs[1] else None)


class Div(Function):
    """z = x / y;   x_bar = g / y,   y_bar = -g * x / y^2 = -g * z / y"""

    name = "div"
    forward = staticmethod(np.true_divide)

    @staticmethod
    def vjp(g, out, needs):
        x, y = out.parents
        return (sum_to(g / y, x.shape) if needs[0] else None,
                sum_to(-g * out / y, y.shape) if needs[1] else None)


class Pow(Function):
    """z = x ** y (tensor exponent);   x_bar = g * y * x^(y-1),   y_bar = g * z * log(x)

    NOTE: y_bar uses log(x) only where x > 0; elsewhere it is 0 (as in PyTorch), not NaN.
    """

    name = "pow"
    forward = staticmethod(np.power)

    @staticmethod
    def vjp(g, out, needs):
        x, y = out.parents
        gx = gy = None
        if needs[0]:
            gx = sum_to(g * y * x ** (y - 1), x.shape)
        if needs[1]:
            positive = x.data > 0
            log_x = where(positive, where(positive, x, 1).log(), 0)
            gy = sum_to(g * out * log_x, y.shape)
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


# --- unary -----------------------------------------------------------------------------------------


class Neg(Function):
    """z = -x;   x_bar = -g"""

    name = "neg"
    forward = staticmethod(np.negative)

    @staticmethod
    def vjp(g, out, needs):
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


class Log(Function):
    """z = log(x);   x_bar = g / x"""

    name = "log"
    forward = staticmethod(np.log)

    @staticmethod
    def vjp(g, out, needs):
        (x,) = out.parents
        return (g / x,)


class Tanh(Function):
    """z = tanh(x);   x_bar = g * (1 - z^2)"""

    name = "tanh"
    forward = staticmethod(np.tanh)

    @staticmethod
    def vjp(g, out, needs):
        return (g * (1 - out * out),)


class Sigmoid(Function):
    """z = 1 / (1 + exp(-x)), computed as (1 + tanh(x/2)) / 2 (no overflow);   x_bar = g * z * (1 - z)"""

    name = "sigmoid"

    @staticmethod
    def forward(x):
        half = np.asarray(0.5, dtype=np.result_type(x.dtype, np.float16))  # ints and bools: as np.tanh
        return half * np.tanh(half * x) + half

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


class Cast(Function):
    """z = x as dtype;   x_bar = g as x.dtype"""

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
    """x ** y: a number exponent is a parameter of the op, a Tensor exponent an input."""
    if isinstance(x, Tensor) and isinstance(y, numbers.Real) and not isinstance(y, (bool, np.bool_)):
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
    if type(x) is not Tensor:
        x = operand(x, "cast")
    dtype = np.dtype(dtype)
    if x.data.dtype == dtype:
        return x
    return apply(Cast, x, dtype=dtype)
