"""Transposed convolution, conv_transpose2d: the adjoint of correlate2d, i.e. its input's gradient.

Shapes: g (N, K, H2, W2), w (K, C, F1, F2) (the layout of the correlate2d it transposes), out (N, C, H, W),
with stride S, padding P (cropped from the output), output_padding O, dilation D:

    out[n, c, y, x] = sum over k, a, b, i, j with S1 i + D1 a - P1 = y and S2 j + D2 b - P2 = x
                      of g[n, k, i, j] * w[k, c, a, b]
    H = (H2 - 1) S1 - 2 P1 + D1 (F1 - 1) + O1 + 1      (and the same for W)

Each g[n, k, i, j] goes back, weighted by the kernel, to the pixels its correlation window read, so

    <correlate2d(x, w), g> = <x, conv_transpose2d(g, w)>      for every x of shape (N, C, H, W),

the same as torch.nn.functional.conv_transpose2d. Several input sizes H give the same H2 under a stride;
O picks one (the rows at the end that the stride skipped), and must be below S or below D (as in PyTorch).
Groups G: w is (K, C/G, F1, F2), slice g of the input channels reaches only slice g of the outputs.

Backward, in Tensor ops (so second derivatives work), with y_bar the upstream gradient (N, C, H, W):

    g_bar = correlate2d(y_bar, w, stride S, padding P, dilation D)           (N, K, H2, W2)
    w_bar = J^W of correlate2d(y_bar, w) for the upstream g: y_bar * g       (K, C, F1, F2)

Forward: every g[n, :, i, j] times the whole kernel (GEMMs), then added into the output at each
kernel offset (col2im: a loop over the F1 x F2 offsets only).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from autograd import threads
from autograd.convert import operand
from autograd.function import Function, apply
from autograd.ops.conv import (
    CHUNK, Correlate2d, add_bias, blocks, correlate2d, kernel_gradient, kernel_gradient_array, pair,
)
from autograd.ops.join import concatenate
from autograd.ops.shape import getitem
from autograd.tensor import Tensor


class ConvTranspose2d(Function):
    """out = conv_transpose2d(g, w) (no bias); see the module docstring for the formulas."""

    name = "conv_transpose2d"

    @staticmethod
    def forward(g, w, stride, padding, output_padding, dilation):
        (h2, w2), (f1, f2) = g.shape[2:], w.shape[2:]
        full = ((h2 - 1) * stride[0] + dilation[0] * (f1 - 1) + 1,       # every position reached, uncropped
                (w2 - 1) * stride[1] + dilation[1] * (f2 - 1) + 1)
        h, wd = (full[i] - 2 * padding[i] + output_padding[i] for i in (0, 1))    # the output: (N, C, H, W)
        ha, wa = max(full[0], padding[0] + h), max(full[1], padding[1] + wd)     # summed into, then cropped
        if stride == (1, 1) and 2 * w2 >= wa and np.isfinite(w).all():
            acc = _scatter_rows(g, w, dilation, ha, wa)                   # (N, C, Ha, Wa)
        else:
            acc = _scatter(g, w, stride, dilation, ha, wa)                # (N, C, Ha, Wa)
        return np.ascontiguousarray(acc[:, :, padding[0]: padding[0] + h, padding[1]: padding[1] + wd])

    @staticmethod
    def vjp(gy, out, needs):
        g, w = out.parents
        stride, padding, dilation = out.params["stride"], out.params["padding"], out.params["dilation"]
        gg = gw = None
        if needs[0]:
            gg = correlate2d(gy, w, stride=stride, padding=padding, dilation=dilation)  # (N, K, >=H2, >=W2)
            if gg.shape[2:] != g.shape[2:]:  # output_padding >= stride (allowed below the dilation)
                gg = getitem(gg, (slice(None), slice(None), slice(0, g.shape[2]), slice(0, g.shape[3])))
        if needs[1]:
            gw = kernel_gradient(gy, g, w.shape, stride, padding, dilation)             # (K, C, F1, F2)
        return gg, gw

    @staticmethod
    def fast_vjp(gy, out, needs):  # vjp on arrays: the same primitives' forwards, in the same order
        g, w = out.parents[0].data, out.parents[1].data
        stride, padding, dilation = out.params["stride"], out.params["padding"], out.params["dilation"]
        gg = gw = None
        if needs[0]:
            gg = Correlate2d.forward(gy, w, stride, padding, dilation)[:, :, : g.shape[2], : g.shape[3]]
        if needs[1]:
            gw = kernel_gradient_array(gy, g, w.shape, stride, padding, dilation)       # (K, C, F1, F2)
        return gg, gw


def _scatter(g: np.ndarray, w: np.ndarray, stride, dilation, ha: int, wa: int) -> np.ndarray:
    """Any stride: cols = w^T g (one GEMM), then acc[c, n, D1 a + S1 i, D2 b + S2 j] += cols[c, a, b, n, i, j]
    for each kernel offset (a, b): one strided slice each. Only the products of the sum are computed."""
    (n, k, h2, w2), (_, c, f1, f2) = g.shape, w.shape
    gk = g.transpose(1, 0, 2, 3).reshape(k, n * h2 * w2)                        # (K, N*H2*W2)
    cols = (w.reshape(k, c * f1 * f2).T @ gk).reshape(c, f1, f2, n, h2, w2)     # (C, F1, F2, N, H2, W2)
    acc = np.zeros((c, n, ha, wa), dtype=cols.dtype)
    reach = (stride[0] * (h2 - 1) + 1, stride[1] * (w2 - 1) + 1)  # rows, columns from the first to the last
    for a in range(f1):  # a loop over kernel offsets only
        for b in range(f2):
            r, q = dilation[0] * a, dilation[1] * b
            acc[:, :, r: r + reach[0]: stride[0], q: q + reach[1]: stride[1]] += cols[:, a, b]
    return acc.transpose(1, 0, 2, 3)                                      # (N, C, Ha, Wa): a view


def _scatter_rows(g: np.ndarray, w: np.ndarray, dilation, ha: int, wa: int) -> np.ndarray:
    """Stride 1 on flat planes (row stride Wa, g in columns [0, W2) of each row, zeros after): the sum
    over b is done by the GEMM on shifted copies of g, the sum over a by F1 flat shifts:

        R[n, a, c, t] = sum_{k, b} w[k, c, a, b] gf[n, k, t - D2 b]       (t = i Wa + x: a row of the output)
        acc[n, c, D1 a Wa + t] += R[n, a, c, t]

    A shift that runs off the start of a row reads the zeros at the end of the row before (Wa >= W2 +
    D2 (F2 - 1)), so nothing wraps round. Those zeros meet the kernel: finite kernels only (0 * inf = NaN).
    """
    (n, k, h2, w2), (_, c, f1, f2) = g.shape, w.shape
    lead = dilation[1] * (f2 - 1)
    # w1[(a, c), (k, e)] = w[k, c, a, F2 - 1 - e]: the kernel row a, flipped to match the shifts
    w1 = w[:, :, :, ::-1].transpose(2, 1, 0, 3).reshape(f1 * c, k * f2)   # (F1*C, K*F2)
    acc = np.zeros((n, c, ha * wa), dtype=np.result_type(g.dtype, w.dtype))

    parts = blocks(n, 1, n * f1 * c * k * f2 * h2 * wa)
    # One thread: blocks of CHUNK images, which stay in the cache (1.58 -> 1.34 ms for LeNet-5's conv2).
    # Several: each thread's part in one block, as every NumPy call is a hand-over of the GIL that can
    # wait (measured: blocks of 8 images on two threads 1.41 ms, one block per thread 1.01).
    m = max(1, min(CHUNK, n)) if len(parts) == 1 else max(p.stop - p.start for p in parts)

    def images(part: slice) -> None:  # blocks of m images, on one of tracegrad's threads
        gf = np.zeros((m, k, lead + h2 * wa), dtype=g.dtype)             # D2 (F2 - 1) zeros, then rows of Wa
        sn, sk, s = gf.strides
        # shifted[n, (k, e), t] = gf[n, k, D2 e + t]: g shifted right by D2 b, b = F2 - 1 - e
        shifted = as_strided(gf, (m, k, f2, h2 * wa), (sn, sk, dilation[1] * s, s), writeable=False)
        flat = np.empty((m, k * f2, h2 * wa), dtype=g.dtype)             # (m, K*F2, H2*Wa)
        for i in range(part.start, part.stop, m):  # a loop over blocks of images only
            b = min(m, part.stop - i)
            gf[:b, :, lead:].reshape(b, k, h2, wa)[..., :w2] = g[i: i + b]
            flat[:b] = shifted[:b].reshape(b, k * f2, h2 * wa)
            rows = np.matmul(w1, flat[:b]).reshape(b, f1, c, h2 * wa)    # (b, F1, C, H2*Wa): a GEMM each
            for a in range(f1):  # a loop over kernel rows only
                start = dilation[0] * a * wa
                acc[i: i + b, :, start: start + h2 * wa] += rows[:, a]

    threads.run(images, parts)
    return acc.reshape(n, c, ha, wa)                                      # (N, C, Ha, Wa)


def conv_transpose2d(g: Tensor, w: Tensor, bias: Tensor | None = None, stride=1, padding=0,
                     output_padding=0, dilation=1, groups=1) -> Tensor:
    """The adjoint of correlate2d: g (N, K, H2, W2), w (K, C/groups, F1, F2), bias (C,) -> (N, C, H, W).

    H = (H2 - 1) S - 2P + D (F1 - 1) + output_padding + 1. stride, padding, output_padding, dilation:
    an int or a pair (rows, columns). Example: a (1, 16, 14, 14) map and w (16, 3, 4, 4) with stride 2
    and padding 1 give (1, 3, 28, 28). groups: input channels k * K/groups ... reach only the outputs
    g * C/groups ...; weight and bias as torch.nn.functional.conv_transpose2d takes them.
    """
    op = "conv_transpose2d"
    if isinstance(groups, (bool, np.bool_)) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"{op}: groups must be an int >= 1; got {groups!r}")
    g, w, groups = operand(g, op), operand(w, op), int(groups)
    stride, padding = pair(stride, "stride", op, 1), pair(padding, "padding", op, 0)
    output_padding = pair(output_padding, "output_padding", op, 0)
    dilation = pair(dilation, "dilation", op, 1)
    if g.ndim != 4 or w.ndim != 4:
        raise ValueError(f"{op}: expected input (N, K, H2, W2) and kernel (K, C/groups, F1, F2); "
                         f"got shapes {g.shape} and {w.shape}")
    k = g.shape[1]
    if w.shape[0] != k:
        raise ValueError(f"{op}: input {g.shape} has {k} channels but kernel {w.shape} expects {w.shape[0]} "
                         f"(kernel (K, C/groups, F1, F2), K the input's channels)")
    if k % groups:
        raise ValueError(f"{op}: groups={groups} must divide the input's {k} channels; got input {g.shape} "
                         f"and kernel {w.shape}")
    if 0 in w.shape[2:] or 0 in g.shape[2:]:
        raise ValueError(f"{op}: kernel {w.shape} and input {g.shape} must have windows and positions "
                         f"(F1, F2, H2, W2 >= 1)")
    for i in (0, 1):
        if output_padding[i] >= stride[i] and output_padding[i] >= dilation[i]:
            raise ValueError(f"{op}: output_padding {output_padding} must be smaller than the stride "
                             f"{stride} or the dilation {dilation}, in each direction; input {g.shape}")
    sizes = [(g.shape[2 + i] - 1) * stride[i] - 2 * padding[i] + dilation[i] * (w.shape[2 + i] - 1)
             + output_padding[i] + 1 for i in (0, 1)]
    if min(sizes) < 1:
        raise ValueError(f"{op}: input {g.shape} and kernel {w.shape} (stride {stride}, dilation {dilation}) "
                         f"give an output of {tuple(sizes)}: padding {padding} crops it all")
    params = dict(stride=stride, padding=padding, output_padding=output_padding, dilation=dilation)
    if groups == 1:
        out = apply(ConvTranspose2d, g, w, **params)
    else:  # one conv_transpose2d per slice of the input channels, outputs concatenated along the channels
        kg, all_ = k // groups, slice(None)
        out = concatenate([apply(ConvTranspose2d, getitem(g, (all_, slice(i * kg, (i + 1) * kg))),
                                 getitem(w, (slice(i * kg, (i + 1) * kg),)), **params)
                           for i in range(groups)], axis=1)
    return add_bias(out, bias, w.shape[1] * groups, op, "output channel")
