"""Activation layers: each calls one autograd primitive (so it draws as one node, and its gradient
differentiates again); the maths, overflow handling and gradients at the kinks live there.

    Sigmoid      y = 1 / (1 + exp(-x))                        Tensor.sigmoid
    LeakyReLU    y = x if x > 0 else a x                       autograd.leaky_relu (gradient a at 0)
    SiLU         y = x * sigmoid(x)                            autograd.silu
    Softplus     y = log(1 + exp(b x)) / b, x past threshold   autograd.softplus (gradient 1/2 at 0)
    GELU         y = x * Phi(x), or its tanh form              autograd.gelu (exact form through erf)

The layers check their settings when they are built, so a bad one fails at construction, not at the
first forward.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

import autograd
from autograd import as_tensor
from nn.module import Module

__all__ = ["GELU", "Identity", "LeakyReLU", "SiLU", "Sigmoid", "Softplus"]


def _number(v, what: str, who: str) -> float:
    if not isinstance(v, numbers.Real) or isinstance(v, (bool, np.bool_)) or not math.isfinite(v):
        raise TypeError(f"{who}: {what} must be a finite number, got {v!r}")
    return float(v)


class Sigmoid(Module):
    """y = 1 / (1 + exp(-x)), elementwise."""

    def forward(self, x):
        x = as_tensor(x)
        return (x if x.dtype.kind == "f" else x.astype(np.float64)).sigmoid()


class LeakyReLU(Module):
    """y = x where x > 0, else negative_slope * x."""

    def __init__(self, negative_slope: float = 0.01):
        super().__init__()
        self.negative_slope = _number(negative_slope, "negative_slope", "LeakyReLU")

    def forward(self, x):
        return autograd.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class SiLU(Module):
    """y = x * sigmoid(x)."""

    def forward(self, x):
        return autograd.silu(x)


class Softplus(Module):
    """y = log(1 + exp(beta x)) / beta (x itself where beta x > threshold): a smooth relu."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        self.beta = _number(beta, "beta", "Softplus")
        self.threshold = _number(threshold, "threshold", "Softplus")
        if self.beta == 0:
            raise ValueError("Softplus: beta must not be 0")

    def forward(self, x):
        return autograd.softplus(x, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class GELU(Module):
    """y = x * Phi(x), Phi the standard normal CDF; GELU(approximate="tanh") for the tanh form."""

    def __init__(self, approximate: str = "none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x):
        return autograd.gelu(x, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Identity(Module):
    """y = x (arguments to the constructor are accepted and ignored, as in PyTorch)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return as_tensor(x)
