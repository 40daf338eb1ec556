"""The Tensor methods that NumPy and PyTorch users reach for, each the op of the same name.

    x.abs(), x.sqrt(), x.clip(0, 1), x.var(axis=0, ddof=1), x.argmax(axis=1), x.flatten(), ...

Tensor inherits these from `OpMethods`; each is one line calling the module function in autograd.ops,
where the op's forward, VJP and formula live. (The ops import Tensor, so they are looked up when a
method is called, not when this module is imported.)
"""

from __future__ import annotations

import sys


def _ops():
    return sys.modules["autograd.ops"]


class OpMethods:
    """Elementwise maths, reductions and shape methods; no state of their own."""

    __slots__ = ()

    # --- elementwise (autograd/ops/unary.py) ---
    def __abs__(self):
        return _ops().abs(self)

    def abs(self):
        return _ops().abs(self)

    def sqrt(self):
        return _ops().sqrt(self)

    def square(self):
        return _ops().square(self)

    def sin(self):
        return _ops().sin(self)

    def cos(self):
        return _ops().cos(self)

    def log1p(self):
        return _ops().log1p(self)

    def expm1(self):
        return _ops().expm1(self)

    def erf(self):
        return _ops().erf(self)

    def sign(self):
        return _ops().sign(self)

    def floor(self):
        return _ops().floor(self)

    def ceil(self):
        return _ops().ceil(self)

    def round(self, decimals: int = 0):
        return _ops().round(self, decimals)

    def clip(self, lo=None, hi=None):
        return _ops().clip(self, lo, hi)

    def maximum(self, other):
        return _ops().maximum(self, other)

    def minimum(self, other):
        return _ops().minimum(self, other)

    # --- reductions (autograd/ops/stats.py) ---
    def min(self, axis=None, keepdims: bool = False):
        return _ops().min(self, axis, keepdims)

    def prod(self, axis=None, keepdims: bool = False):
        return _ops().prod(self, axis, keepdims)

    def var(self, axis=None, *, ddof=0, keepdims: bool = False):
        return _ops().var(self, axis, ddof=ddof, keepdims=keepdims)

    def std(self, axis=None, *, ddof=0, keepdims: bool = False):
        return _ops().std(self, axis, ddof=ddof, keepdims=keepdims)

    def cumsum(self, axis=None):
        return _ops().cumsum(self, axis)

    def argmax(self, axis=None, keepdims: bool = False):
        return _ops().argmax(self, axis, keepdims)

    def argmin(self, axis=None, keepdims: bool = False):
        return _ops().argmin(self, axis, keepdims)

    # --- shapes (autograd/ops/join.py) ---
    def squeeze(self, axis=None):
        return _ops().squeeze(self, axis)

    def flatten(self):
        return _ops().flatten(self)

    def ravel(self):
        return _ops().flatten(self)

    def swapaxes(self, axis1: int, axis2: int):
        return _ops().swapaxes(self, axis1, axis2)

    def repeat(self, repeats, axis=None):
        return _ops().repeat(self, repeats, axis)

    def flip(self, axis=None):
        return _ops().flip(self, axis)

    def take_along_axis(self, indices, axis):
        return _ops().take_along_axis(self, indices, axis)
