"""Pooling: max and average over k1 x k2 windows with a stride, each channel on its own.

x (N, C, H, W) -> (N, C, H2, W2),  H2 = floor((H + 2*p1 - k1) / s1) + 1.  Windows may overlap (s < k).

    avg:  out[n, c, i, j] = mean_{a, b} x[n, c, s1*i + a, s2*j + b]     x_bar = upsample(g) / (k1*k2)
    max:  out[n, c, i, j] = max_{a, b}  x[n, c, s1*i + a, s2*j + b]     x_bar = g scattered to the argmax

The seed text: "the derivative of the average with respect to one element is 1 divided by the number of
elements; the derivative of the max is the indicator function of the maximum element's index." The
argmax is a constant (it does not move under small changes of x); on ties the first maximum of a
window gets the gradient. `upsample` spreads each value over its window (adding where windows
overlap); it and the windowed sum are each other's VJP, so every order of derivative stays in primitives.

Padding (PyTorch's semantics, p <= k / 2 on each axis) is a separate `pad` step before the pooling, whose
VJP slices the gradient back: max pads with -inf (the padding never wins), avg pads with zeros that
count in the mean (PyTorch's default count_include_pad=True).
"""

from __future__ import annotations

import numpy as np

from autograd.convert import operand
from autograd.function import Function, apply
from autograd.ops.conv import output_size, pair, windows
from autograd.ops.join import pad
from autograd.ops.shape import scatter_add
from autograd.tensor import Tensor


def _reduce_windows(combine, x: np.ndarray, kernel, stride) -> np.ndarray:
    """Combine (add, maximum) each window's elements, rows first, then columns: a window is k1 rows of
    k2 columns, so combining the k1 rows of every window (whole rows at a time, contiguous) and then the
    k2 columns of what that gives reads the input once, where one strided slice per kernel offset reads
    it k1*k2 times (measured: LeNet-5's first 2x2 average pooling 0.34 -> 0.24 ms). No pixel loops."""
    h2 = output_size(x.shape[2], kernel[0], stride[0])
    w2 = output_size(x.shape[3], kernel[1], stride[1])
    rows = _combine(combine, [x[:, :, a: a + stride[0] * (h2 - 1) + 1: stride[0]]
                              for a in range(kernel[0])])                     # (N, C, H2, W)
    out = _combine(combine, [rows[..., b: b + stride[1] * (w2 - 1) + 1: stride[1]]
                             for b in range(kernel[1])])                      # (N, C, H2, W2)
    return out  # (N, C, H2, W2)


def _combine(combine, parts: list[np.ndarray]) -> np.ndarray:
    """combine(...combine(combine(p0, p1), p2)..., pk) into one new array."""
    if len(parts) == 1:
        return parts[0].copy()
    out = combine(parts[0], parts[1])
    for part in parts[2:]:
        combine(out, part, out=out)
    return out


class AvgPool2d(Function):
    """out = mean of each window;   x_bar = upsample(g, x.shape) / (k1*k2)"""

    name = "avg_pool2d"

    @staticmethod
    def forward(x, kernel, stride):
        if x.dtype.kind != "f":  # as NumPy's mean: integers and bools are added up in float64
            x = x.astype(np.float64)
        sums = _reduce_windows(np.add, x, kernel, stride)                  # a new array
        return np.true_divide(sums, x.dtype.type(kernel[0] * kernel[1]), out=sums)

    @staticmethod
    def vjp(g, out, needs):
        (x,) = out.parents
        kernel, stride = out.params["kernel"], out.params["stride"]
        return (upsample(g, kernel, stride, x.shape) / (kernel[0] * kernel[1]),)

    @staticmethod
    def fast_vjp(g, out, needs):
        kernel, stride = out.params["kernel"], out.params["stride"]
        shape, size = out.parents[0].data.shape, kernel[0] * kernel[1]
        if stride == kernel:  # no overlap: the spread only copies, so divide the k1*k2 times smaller g
            return (Upsample2d.forward(g / size, kernel, stride, shape),)  # (the same bits as vjp)
        spread = Upsample2d.forward(g, kernel, stride, shape)  # a new array
        return (np.true_divide(spread, size, out=spread),)


class Upsample2d(Function):
    """out[n, c, h, w] = sum of g over the windows that cover (h, w);   g_bar = k1*k2 * avg_pool2d(out_bar)"""

    name = "upsample2d"

    @staticmethod
    def forward(g, kernel, stride, shape):
        h2, w2 = g.shape[2:]
        if stride == kernel:  # windows side by side: each value copied k1 x k2 times, no overlap
            n, c = g.shape[:2]
            tiles = np.empty((n, c, h2, kernel[0], w2, kernel[1]), dtype=g.dtype)
            for a in range(kernel[0]):
                for b in range(kernel[1]):
                    tiles[:, :, :, a, :, b] = g
            tiles = tiles.reshape(n, c, h2 * kernel[0], w2 * kernel[1])   # (N, C, H2*k1, W2*k2)
            if tiles.shape == tuple(shape):
                return tiles
            out = np.zeros(shape, dtype=g.dtype)  # rows and columns no window covers stay 0
            out[:, :, : tiles.shape[2], : tiles.shape[3]] = tiles
            return out
        out = np.zeros(shape, dtype=g.dtype)                 # (N, C, H, W)
        for a in range(kernel[0]):                           # a loop over kernel offsets only
            for b in range(kernel[1]):
                out[:, :, a: a + stride[0] * h2: stride[0], b: b + stride[1] * w2: stride[1]] += g
        return out

    @staticmethod
    def vjp(g, out, needs):
        kernel, stride = out.params["kernel"], out.params["stride"]
        return (avg_pool2d(g, kernel, stride) * (kernel[0] * kernel[1]),)


class MaxPool2d(Function):
    """out = max of each window;   x_bar = scatter_add(g, argmax positions, x.shape)  (positions constant)"""

    name = "max_pool2d"

    @staticmethod
    def forward(x, kernel, stride):
        return _reduce_windows(np.maximum, x, kernel, stride)

    @staticmethod
    def vjp(g, out, needs):
        (x,) = out.parents
        kernel, stride = out.params["kernel"], out.params["stride"]
        n, c, h2, w2 = out.shape
        win = windows(x.data, kernel, stride, (1, 1)).reshape(n, c, h2, w2, kernel[0] * kernel[1])
        first = win.argmax(axis=-1)                                     # (N, C, H2, W2): first max
        rows = np.arange(h2)[:, None] * stride[0] + first // kernel[1]
        cols = np.arange(w2)[None, :] * stride[1] + first % kernel[1]
        index = (np.arange(n)[:, None, None, None], np.arange(c)[None, :, None, None], rows, cols)
        return (scatter_add(g, index, x.shape),)


def check_padding(padding, kernel, op: str, detail: str = "") -> None:
    """Pooling pads at most half a kernel on each side (as PyTorch): else raise, naming `op`."""
    if any(2 * p > k for p, k in zip(padding, kernel)):
        raise ValueError(f"{op}: padding {padding} must be at most half of kernel_size {kernel}{detail}")


def _pool_args(x: Tensor, kernel_size, stride, padding, op: str):
    x = operand(x, op)
    kernel = pair(kernel_size, "kernel_size", op, 1)
    stride = kernel if stride is None else pair(stride, "stride", op, 1)
    padding = pair(padding, "padding", op, 0)
    if x.ndim != 4:
        raise ValueError(f"{op}: expected input (N, C, H, W); got shape {x.shape}")
    check_padding(padding, kernel, op, f" (input {x.shape})")
    if padding != (0, 0) and 0 in x.shape[2:]:  # every window would be padding alone (PyTorch raises too)
        raise ValueError(f"{op}: input {x.shape} has no rows or columns to pool; padding {padding} alone "
                         f"would fill every window")
    if min(output_size(x.shape[2 + i], kernel[i], stride[i], padding[i]) for i in (0, 1)) < 1:
        raise ValueError(f"{op}: kernel {kernel} does not fit input {x.shape} (H, W = {x.shape[2:]})"
                         + (f" padded by {padding}" if padding != (0, 0) else ""))
    return x, kernel, stride, padding


def _padded(x: Tensor, padding, value) -> Tensor:
    """x with `value` borders of padding (p1, p2) on H and W; x itself when there is no padding."""
    if padding == (0, 0):
        return x
    p1, p2 = padding
    return pad(x, ((0, 0), (0, 0), (p1, p1), (p2, p2)), constant_values=value)


def _lowest(dtype: np.dtype):
    """The value that never wins a max: -inf for floats, the smallest integer, False."""
    if dtype.kind == "f":
        return -np.inf
    return np.iinfo(dtype).min if dtype.kind in "iu" else False


def avg_pool2d(x: Tensor, kernel_size, stride=None, padding=0) -> Tensor:
    """Average over kernel_size windows (an int or a pair) moved by stride (default: kernel_size).

    padding (an int or a pair, at most half the kernel): zeros on each side, counted in the mean.
    """
    x, kernel, stride, padding = _pool_args(x, kernel_size, stride, padding, "avg_pool2d")
    return apply(AvgPool2d, _padded(x, padding, 0), kernel=kernel, stride=stride)


def max_pool2d(x: Tensor, kernel_size, stride=None, padding=0) -> Tensor:
    """Maximum over kernel_size windows (an int or a pair) moved by stride (default: kernel_size).

    padding (an int or a pair, at most half the kernel): -inf on each side, so it never wins.
    """
    x, kernel, stride, padding = _pool_args(x, kernel_size, stride, padding, "max_pool2d")
    return apply(MaxPool2d, _padded(x, padding, _lowest(x.dtype)), kernel=kernel, stride=stride)


def upsample(g: Tensor, kernel, stride, shape) -> Tensor:
    """Spread each value of g (N, C, H2, W2) over its window in a zero tensor of `shape` (N, C, H, W)."""
    g = operand(g, "upsample2d")
    return apply(Upsample2d, g, kernel=tuple(kernel), stride=tuple(stride), shape=tuple(shape))
