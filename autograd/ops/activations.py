"""Activations beyond relu/tanh/sigmoid: leaky_relu, elu, gelu, silu, softplus (PyTorch's definitions).

    x = Tensor([-2.0, 0.0, 1.5], requires_grad=True)
    ag.gelu(x)                       # x * Phi(x), Phi the standard normal CDF (through erf)
    ag.gelu(x, approximate="tanh")   # the tanh form of GPT-2 and BERT
    ag.softplus(x, beta=2)           # log(1 + exp(beta x)) / beta, linear past the threshold

Each is one primitive, so a layer draws as one node ("gelu", not a dozen ops); its VJP is written in
Tensor ops (erf, exp, tanh, sigmoid, where), so the backward graph can be drawn and differentiated again.
At x == 0, where leaky_relu and elu (alpha != 1) have a kink, the gradient is PyTorch's: the x <= 0 side.
dtypes: float32 stays float32 (the parameters are Python numbers, which take x's dtype); integers and
bools are computed in the float dtype np.tanh would give them (float64 for int64), as sigmoid does.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from autograd.convert import operand
from autograd.function import Function, apply
from autograd.ops.elementwise import exp, sigmoid, tanh, where
from autograd.ops.unary import erf, erf_array, float_dtype
from autograd.tensor import Tensor

def _floating(x: np.ndarray) -> np.ndarray:
    """x itself when floating point; integers and bools as np.tanh computes them (int64 -> float64)."""
    return x if x.dtype.kind == "f" else x.astype(float_dtype(x.dtype))


_SQRT1_2 = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_K = math.sqrt(2.0 / math.pi)  # the tanh form of gelu: tanh(K (x + C x^3))
_C = 0.044715


class LeakyRelu(Function):
    """z = x if x > 0 else s x;   x_bar = g if x > 0 else s g   (s = negative_slope; a constant mask)"""

    name = "leaky_relu"

    @staticmethod
    def forward(x, negative_slope):
        x = _floating(x)
        return np.where(x > 0, x, x * negative_slope)

    @staticmethod
    def vjp(g, out, needs):
        (x,) = out.parents
        return (where(x.data > 0, g, g * out.params["negative_slope"]),)


class Elu(Function):
    """z = x if x > 0 else alpha (exp(x) - 1);   x_bar = g if x > 0 else g alpha exp(x)

    The VJP takes exp of x_neg = where(x > 0, 0, x), so a large positive x never meets exp (no inf in
    the unused branch, whose second derivative would be 0 * inf = NaN).
    """

    name = "elu"

    @staticmethod
    def forward(x, alpha):
        x = _floating(x)
        return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))

    @staticmethod
    def vjp(g, out, needs):
        (x,) = out.parents
        positive = x.data > 0
        x_neg = where(positive, 0, x)
        return (where(positive, g, g * (out.params["alpha"] * exp(x_neg))),)


class Gelu(Function):
    """approximate="none":  z = x Phi(x),   x_bar = g (Phi(x) + x phi(x)),
                            Phi(x) = (1 + erf(x / sqrt 2)) / 2,   phi(x) = exp(-x^2/2) / sqrt(2 pi)
    approximate="tanh":     z = x (1 + t) / 2,  t = tanh(K (x + C x^3)),  K = sqrt(2/pi), C = 0.044715
                            x_bar = g ((1 + t) / 2 + x (1 - t^2) K (1 + 3 C x^2) / 2)

    NOTE: as in PyTorch, 1 + erf(...) cancels for very negative x: gelu(-10) is -0.0, not -7.6e-23
    (the absolute error stays below 1e-15).
    """

    name = "gelu"

    @staticmethod
    def forward(x, approximate):
        x = _floating(x)
        if approximate == "tanh":
            return 0.5 * x * (1 + np.tanh(_K * (x + _C * (x * x * x))))
        x64 = x.astype(np.float64)  # erf is computed in float64; the result is cast back
        return (x64 * (0.5 * (1.0 + erf_array(x64 * _SQRT1_2)))).astype(x.dtype, copy=False)

    @staticmethod
    def vjp(g, out, needs):
        (x,) = out.parents
        if out.params["approximate"] == "tanh":
            x2 = x * x
            t = tanh(_K * (x + _C * (x2 * x)))
            slope = 0.5 * (1 + t) + (0.5 * _K) * (x * (1 - t * t) * (1 + (3 * _C) * x2))
            return (g * slope,)
        cdf = 0.5 * (1 + erf(x * _SQRT1_2))  # Phi(x)
        pdf = _INV_SQRT_2PI * exp(-0.5 * (x * x))  # phi(x)
        return (g * (cdf + x * pdf),)


class Silu(Function):
    """z = x sigmoid(x) (also called swish);   x_bar = g s (1 + x (1 - s)),  s = sigmoid(x)"""

    name = "silu"

    @staticmethod
    def forward(x):
        x = _floating(x)
        e = np.exp(-np.abs(x))  # in (0, 1]: no overflow; sigmoid(x) = 1/(1+e) for x >= 0, e/(1+e) below
        return x * (np.where(x >= 0, 1, e) / (1 + e))

    @staticmethod
    def vjp(g, out, needs):
        (x,) = out.parents
        s = sigmoid(x)
        return (g * (s * (1 + x * (1 - s))),)


class Softplus(Function):
    """z = log(1 + exp(b x)) / b, computed as (log1p(exp(-|b x|)) + max(b x, 0)) / b (no overflow);
    z = x where b x > threshold (PyTorch's rule: there the two differ by less than exp(-threshold) / b).
    x_bar = g sigmoid(b x), and g where b x > threshold   (b = beta; the mask is a constant)"""

    name = "softplus"

    @staticmethod
    def forward(x, beta, threshold):
        x = _floating(x)
        z = x * beta
        smooth = (np.log1p(np.exp(-np.abs(z))) + np.maximum(z, 0)) / beta
        return np.where(z > threshold, x, smooth)

    @staticmethod
    def vjp(g, out, needs):
        (x,) = out.parents
        beta, threshold = out.params["beta"], out.params["threshold"]
        linear = x.data * beta > threshold
        return (where(linear, g, g * sigmoid(x * beta)),)


# --- user-facing functions ---------------------------------------------------------------------------


def _number(value, what: str, op: str, x: Tensor) -> float:
    """A real parameter as a Python float (so that it takes x's float dtype); else TypeError."""
    if isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)):
        return float(value)
    raise TypeError(f"{op}: {what} must be a real number; got {value!r} (input shape {x.shape})")


def leaky_relu(x, negative_slope: float = 0.01) -> Tensor:
    """x if x > 0 else negative_slope * x. Gradient negative_slope at x == 0, as PyTorch."""
    x = operand(x, "leaky_relu")
    return apply(LeakyRelu, x, negative_slope=_number(negative_slope, "negative_slope", "leaky_relu", x))


def elu(x, alpha: float = 1.0) -> Tensor:
    """x if x > 0 else alpha * (exp(x) - 1). Gradient alpha at x == 0, as PyTorch."""
    x = operand(x, "elu")
    return apply(Elu, x, alpha=_number(alpha, "alpha", "elu", x))


def gelu(x, approximate: str = "none") -> Tensor:
    """x * Phi(x), Phi the standard normal CDF; approximate="tanh" for the tanh form (PyTorch's names)."""
    x = operand(x, "gelu")
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh'; got {approximate!r} (input shape "
                         f"{x.shape})")
    return apply(Gelu, x, approximate=approximate)


def silu(x) -> Tensor:
    """x * sigmoid(x) (swish)."""
    return apply(Silu, x if type(x) is Tensor else operand(x, "silu"))


def softplus(x, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold (PyTorch's rule)."""
    x = operand(x, "softplus")
    beta = _number(beta, "beta", "softplus", x)
    if beta == 0:
        raise ValueError(f"softplus: beta must not be 0 (input shape {x.shape})")
    return apply(Softplus, x, beta=beta, threshold=_number(threshold, "threshold", "softplus", x))
