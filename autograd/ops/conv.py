"""Cross-correlation, the core of a convolutional layer, with its VJPs written as correlations again.

Shapes: N batch, C input channels, K filters, H x W input, F1 x F2 kernel, H2 x W2 output.
x (N, C, H, W)  *  w (K, C, F1, F2)  ->  out (N, K, H2, W2), with stride S, zero padding P, dilation D:

    out[n, k, i, j] = sum_{c, a, b} w[k, c, a, b] * xp[n, c, S1*i + D1*a, S2*j + D2*b]   (xp: x padded by P)
    H2 = floor((H + 2*P1 - D1*(F1 - 1) - 1) / S1) + 1      (and the same for W2)

Cross-correlation is convolution with the kernel flipped in both directions. Backward (Figure 4 of the
seed text): the kernel's gradient is the input correlated with the upstream gradient, J^W = I * J^O
(stride and dilation trade places); the input's gradient is a full correlation of the stride-dilated
upstream gradient with the flipped kernel. Both are `correlate2d` again, so second derivatives work.

Groups G: w is (K, C/G, F1, F2); the channels and the filters are cut into G slices, slice g of the
filters sees only slice g of the channels (G = C: depthwise). Composed of correlate2d on each slice
and a concatenation along the channels, so its gradients are those of the parts.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from autograd.function import Function, apply
from autograd.ops.elementwise import add
from autograd.ops.join import concatenate
from autograd.ops.shape import getitem, reshape, scatter_add, transpose
from autograd.tensor import Tensor, operand


def pair(v, what: str, op: str, minimum: int) -> tuple[int, int]:
    """An int or a pair of ints, checked against `minimum`."""
    def is_int(n) -> bool:
        return isinstance(n, (int, np.integer)) and not isinstance(n, (bool, np.bool_))

    p = (v, v) if is_int(v) else tuple(v) if isinstance(v, (tuple, list)) else (v,)
    if len(p) != 2 or not all(is_int(n) and n >= minimum for n in p):
        raise ValueError(f"{op}: {what} must be an int or a pair of ints, each >= {minimum}; got {v!r}")
    return int(p[0]), int(p[1])


def output_size(size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """floor((size + 2P - D(F - 1) - 1) / S) + 1: how many positions a kernel takes along one axis."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def windows(xp: np.ndarray, kernel, stride, dilation) -> np.ndarray:
    """Every kernel-sized window of xp (N, C, Hp, Wp) as a view (N, C, H2, W2, F1, F2): no copy."""
    span = (dilation[0] * (kernel[0] - 1) + 1, dilation[1] * (kernel[1] - 1) + 1)
    v = sliding_window_view(xp, span, axis=(2, 3))
    return v[:, :, :: stride[0], :: stride[1], :: dilation[0], :: dilation[1]]


def pad_hw(x: np.ndarray, padding) -> np.ndarray:
    if padding == (0, 0):
        return x
    p1, p2 = padding
    return np.pad(x, ((0, 0), (0, 0), (p1, p1), (p2, p2)))


def _full_correlate(x: np.ndarray, w: np.ndarray, dilation) -> np.ndarray:
    """correlate2d with stride 1 and padding D(F - 1), computed without building the padded windows.

    The same sum as the window form, gathered the other way round: every input pixel times the whole
    kernel (one GEMM), added into the output at each kernel offset: out[i, j] += x[p, q] * w[a, b] for
    i = p + D1 (F1 - 1 - a), j = q + D2 (F2 - 1 - b). This is how the input's gradient is computed
    cheaply: most windows of the zero-padded gradient would be zeros.

    When padding the rows to the output's width W2 at most doubles them, the rows are laid end to end
    (row stride W2): a kernel offset is then one flat shift, and each add runs over long contiguous
    stretches instead of rows of W (the padded columns hold zeros, so what they add is zero).
    """
    (n, _, h, wd), (k, _, f1, f2) = x.shape, w.shape
    h2, w2 = h + dilation[0] * (f1 - 1), wd + dilation[1] * (f2 - 1)
    if wd >= w2 - wd:
        xp = np.zeros((n, x.shape[1], h, w2), dtype=x.dtype)
        xp[..., :wd] = x                                                  # (N, C, H, W2)
        cols = np.tensordot(w, xp, axes=((1,), (1,))).reshape(k, f1, f2, n, h * w2)  # one GEMM
        out = np.zeros((k, n, h2 * w2 + w2 - wd), dtype=cols.dtype)      # the last shift runs w2 - wd on
        for a in range(f1):  # a loop over kernel offsets only
            for b in range(f2):
                start = dilation[0] * (f1 - 1 - a) * w2 + dilation[1] * (f2 - 1 - b)
                out[:, :, start: start + h * w2] += cols[:, a, b]
        out = out[:, :, : h2 * w2].reshape(k, n, h2, w2)
    else:
        cols = np.tensordot(w, x, axes=((1,), (1,)))                  # (K, F1, F2, N, H, W): one GEMM
        out = np.zeros((k, n, h2, w2), dtype=cols.dtype)
        for a in range(f1):
            for b in range(f2):
                r, c = dilation[0] * (f1 - 1 - a), dilation[1] * (f2 - 1 - b)
                out[:, :, r: r + h, c: c + wd] += cols[:, a, b]
    return np.ascontiguousarray(out.transpose(1, 0, 2, 3))            # (N, K, H2, W2)


class Correlate2d(Function):
    """out = x * w (cross-correlation, no bias); see the module docstring for the formulas."""

    name = "correlate2d"

    @staticmethod
    def forward(x, w, stride, padding, dilation):
        full = (dilation[0] * (w.shape[2] - 1), dilation[1] * (w.shape[3] - 1))
        if stride == (1, 1) and padding == full and np.isfinite(w).all():
            # a full correlation: mostly padding, so scatter. (The scatter never multiplies the padding's
            # zeros, so a kernel holding inf or NaN takes the window path, where inf * 0 gives NaN.)
            return _full_correlate(x, w, dilation)
        win = windows(pad_hw(x, padding), w.shape[2:], stride, dilation)  # (N, C, H2, W2, F1, F2)
        (n, _, h2, w2), k = win.shape[:4], w.shape[0]
        taps = w.shape[1] * w.shape[2] * w.shape[3]                        # C * F1 * F2
        if h2 * w2 >= w.shape[2] * w.shape[3]:  # the usual case: more output positions than kernel taps
            # im2col with the batch inside the columns, so that one GEMM (which BLAS spreads over the
            # cores) does the whole batch; measured faster than a GEMM per image despite the transpose
            cols = np.ascontiguousarray(win.transpose(1, 4, 5, 0, 2, 3))  # (C, F1, F2, N, H2, W2)
            out = w.reshape(k, taps) @ cols.reshape(taps, n * h2 * w2)    # (K, N*H2*W2): one GEMM
            return np.ascontiguousarray(out.reshape(k, n, h2, w2).transpose(1, 0, 2, 3))  # (N,K,H2,W2)
        # a big kernel and few positions (the kernel's gradient): contract over the windows at once
        if n == 1:  # one image (a one-channel layer's kernel gradient): one product per position, each
            # on a window that stays in cache, beats copying every window first (measured: 2.0 ms vs 3.4)
            wk = w.reshape(k, taps)                                       # (K, C*F1*F2)
            out = np.empty((1, k, h2, w2), dtype=np.result_type(x.dtype, w.dtype))
            for i in range(h2):  # a loop over output positions only
                for j in range(w2):
                    out[0, :, i, j] = wk @ win[0, :, i, j].reshape(taps)
            return out                                                    # (1, K, H2, W2)
        out = np.tensordot(win, w, axes=((1, 4, 5), (1, 2, 3)))           # (N, H2, W2, K): one GEMM
        return np.ascontiguousarray(out.transpose(0, 3, 1, 2))            # (N, K, H2, W2)

    @staticmethod
    def vjp(g, out, needs):
        x, w = out.parents
        stride, padding, dilation = out.params["stride"], out.params["padding"], out.params["dilation"]
        (n, _, h, wd), (k, _, f1, f2) = x.shape, w.shape
        gx = gw = None
        if needs[1]:
            # J^W = I * J^O: the input correlated with the upstream gradient, summed over the batch.
            # The batch becomes the channel axis (summed) and the input channels become the batch;
            # the stride of the forward becomes the dilation and the dilation the stride.
            xt, gt = transpose(x, (1, 0, 2, 3)), transpose(g, (1, 0, 2, 3))  # (C,N,H,W), (K,N,H2,W2)
            gw = correlate2d(xt, gt, stride=dilation, padding=padding, dilation=stride)  # (C,K,>=F1,>=F2)
            if gw.shape[2:] != (f1, f2):  # rows the stride never reached
                gw = getitem(gw, (slice(None), slice(None), slice(0, f1), slice(0, f2)))
            gw = transpose(gw, (1, 0, 2, 3))                                           # (K, C, F1, F2)
        if needs[0]:
            # A full correlation of the stride-dilated gradient with the flipped kernel.
            hp, wp = h + 2 * padding[0], wd + 2 * padding[1]
            span = (dilation[0] * (f1 - 1), dilation[1] * (f2 - 1))
            spread = (n, k, hp - span[0], wp - span[1])  # zeros between (and after) the strided rows
            if spread != g.shape:
                g = scatter_add(g, (slice(None), slice(None), slice(0, None, stride[0]),
                                    slice(0, None, stride[1])), spread)
            flipped = transpose(getitem(w, (slice(None), slice(None), slice(None, None, -1),
                                            slice(None, None, -1))), (1, 0, 2, 3))     # (C, K, F1, F2)
            gx = correlate2d(g, flipped, padding=span, dilation=dilation)              # (N, C, Hp, Wp)
            if padding != (0, 0):
                gx = getitem(gx, (slice(None), slice(None), slice(padding[0], padding[0] + h),
                                  slice(padding[1], padding[1] + wd)))
        return gx, gw


def correlate2d(x: Tensor, w: Tensor, bias: Tensor | None = None, stride=1, padding=0,
                dilation=1, groups=1) -> Tensor:
    """Cross-correlate x (N, C, H, W) with w (K, C/groups, F1, F2), add bias (K,): -> (N, K, H2, W2).

    stride, padding, dilation: an int or a pair (rows, columns). Example: the seed's 32x32 RGB image
    and a 5x5x3 filter give a 28x28 map; `correlate2d(x, w, padding=2)` keeps 32x32.
    groups: filters k * K/groups ... see only channels g * C/groups ...; groups=C is depthwise.
    """
    if isinstance(groups, (bool, np.bool_)) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"correlate2d: groups must be an int >= 1; got {groups!r}")
    if groups != 1:
        return _grouped(x, w, bias, stride, padding, dilation, int(groups))
    x, w = operand(x, "correlate2d"), operand(w, "correlate2d")
    stride = pair(stride, "stride", "correlate2d", 1)
    padding = pair(padding, "padding", "correlate2d", 0)
    dilation = pair(dilation, "dilation", "correlate2d", 1)
    if x.ndim != 4 or w.ndim != 4:
        raise ValueError(f"correlate2d: expected input (N, C, H, W) and kernel (K, C, F1, F2); "
                         f"got shapes {x.shape} and {w.shape}")
    if x.shape[1] != w.shape[1]:
        raise ValueError(f"correlate2d: input {x.shape} has {x.shape[1]} channels but kernel {w.shape} "
                         f"expects {w.shape[1]}")
    if 0 in w.shape[2:]:  # an empty window: the output-size formula would give more rows than the input
        raise ValueError(f"correlate2d: kernel {w.shape} has an empty window (F1, F2 = {w.shape[2:]}); "
                         f"input {x.shape}")
    sizes = [output_size(x.shape[2 + i], w.shape[2 + i], stride[i], padding[i], dilation[i]) for i in (0, 1)]
    if min(sizes) < 1:
        raise ValueError(f"correlate2d: kernel {w.shape[2:]} (dilation {dilation}) does not fit input "
                         f"{x.shape[2:]} padded by {padding}")
    out = apply(Correlate2d, x, w, stride=stride, padding=padding, dilation=dilation)
    return _add_bias(out, bias, w.shape[0])


def _add_bias(out: Tensor, bias, k: int) -> Tensor:
    if bias is None:
        return out
    bias = operand(bias, "correlate2d")
    if bias.shape != (k,):
        raise ValueError(f"correlate2d: bias has shape {bias.shape}; expected ({k},), "
                         f"one per filter")
    return add(out, reshape(bias, (1, k, 1, 1)))


def _grouped(x, w, bias, stride, padding, dilation, groups: int) -> Tensor:
    """correlate2d with groups > 1: one correlate2d per slice of channels and filters, concatenated."""
    x, w = operand(x, "correlate2d"), operand(w, "correlate2d")
    if x.ndim != 4 or w.ndim != 4:
        raise ValueError(f"correlate2d: expected input (N, C, H, W) and kernel (K, C/groups, F1, F2); "
                         f"got shapes {x.shape} and {w.shape}")
    (c, k), g = (x.shape[1], w.shape[0]), groups
    if c % g or k % g:
        raise ValueError(f"correlate2d: groups={g} must divide both the input's {c} channels and the "
                         f"kernel's {k} filters; got input {x.shape} and kernel {w.shape}")
    if w.shape[1] != c // g:
        raise ValueError(f"correlate2d: input {x.shape} has {c} channels, {c // g} per group for "
                         f"groups={g}, but kernel {w.shape} expects {w.shape[1]}")
    cg, kg, all_ = c // g, k // g, slice(None)
    parts = [correlate2d(getitem(x, (all_, slice(i * cg, (i + 1) * cg))),
                         getitem(w, (slice(i * kg, (i + 1) * kg),)),
                         stride=stride, padding=padding, dilation=dilation) for i in range(g)]
    return _add_bias(concatenate(parts, axis=1), bias, k)
