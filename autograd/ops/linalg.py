"""Matrix product, with NumPy's matmul rules: 1-d operands, 2-d, and batched with broadcasting."""

from __future__ import annotations

import numpy as np

from autograd.convert import operands
from autograd.function import Function, apply
from autograd.ops.reduce import sum_to, sum_to_array
from autograd.ops.shape import reshape, transpose
from autograd.tensor import Tensor


def _mT(t: Tensor) -> Tensor:
    """Swap the last two axes."""
    axes = list(range(t.ndim))
    axes[-1], axes[-2] = axes[-2], axes[-1]
    return transpose(t, axes)


class MatMul(Function):
    """z = x @ y;   x_bar = g @ y^T,   y_bar = x^T @ g   (batch axes summed back by sum_to)

    A 1-d x is treated as a row (1, n) and a 1-d y as a column (n, 1), as NumPy does; the VJP puts
    those axes back in and takes them out again.
    """

    name = "matmul"
    forward = staticmethod(np.matmul)

    @staticmethod
    def describe(arrays, params):
        x, y = arrays
        return f"shapes {x.shape} and {y.shape} do not align"

    @staticmethod
    def vjp(g, out, needs):
        x, y = out.parents
        if x.ndim == 1 and y.ndim == 1:  # inner product: z is a scalar
            return (g * y if needs[0] else None, g * x if needs[1] else None)
        x2 = reshape(x, (1,) + x.shape) if x.ndim == 1 else x        # (..., M, K)
        y2 = reshape(y, y.shape + (1,)) if y.ndim == 1 else y        # (..., K, N)
        g2 = g                                                       # (..., M, N)
        if x.ndim == 1:
            g2 = reshape(g2, g2.shape[:-1] + (1,) + g2.shape[-1:])
        if y.ndim == 1:
            g2 = reshape(g2, g2.shape + (1,))
        gx = gy = None
        if needs[0]:
            gx = reshape(sum_to(g2 @ _mT(y2), x2.shape), x.shape)
        if needs[1]:
            gy = reshape(sum_to(_mT(x2) @ g2, y2.shape), y.shape)
        return gx, gy

    @staticmethod
    def fast_vjp(g, out, needs):  # the same steps on arrays
        x, y = out.parents[0].data, out.parents[1].data
        if x.ndim == 1 and y.ndim == 1:
            return (g * y if needs[0] else None, g * x if needs[1] else None)
        x2 = x.reshape((1,) + x.shape) if x.ndim == 1 else x
        y2 = y.reshape(y.shape + (1,)) if y.ndim == 1 else y
        g2 = g
        if x.ndim == 1:
            g2 = g2.reshape(g2.shape[:-1] + (1,) + g2.shape[-1:])
        if y.ndim == 1:
            g2 = g2.reshape(g2.shape + (1,))
        gx = gy = None
        if needs[0]:
            gx = sum_to_array(g2 @ np.swapaxes(y2, -1, -2), x2.shape).reshape(x.shape)
        if needs[1]:
            gy = sum_to_array(np.swapaxes(x2, -1, -2) @ g2, y2.shape).reshape(y.shape)
        return gx, gy


def matmul(x, y) -> Tensor:
    return apply(MatMul, *operands(x, y, "matmul"))
