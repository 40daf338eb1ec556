"""Cross-correlation, the core of a convolutional layer, with its VJPs written as ops again.

Shapes: N batch, C input channels, K filters, H x W input, F1 x F2 kernel, H2 x W2 output.
x (N, C, H, W)  *  w (K, C, F1, F2)  ->  out (N, K, H2, W2), with stride S, zero padding P, dilation D:

    out[n, k, i, j] = sum_{c, a, b} w[k, c, a, b] * xp[n, c, S1*i + D1*a, S2*j + D2*b]   (xp: x padded by P)
    H2 = floor((H + 2*P1 - D1*(F1 - 1) - 1) / S1) + 1      (and the same for W2)

Cross-correlation is convolution with the kernel flipped in both directions. Backward (Figure 4 of the
seed text): the kernel's gradient is the input correlated with the upstream gradient, J^W = I * J^O
(stride and dilation trade places), `correlate2d` again; the input's gradient is the adjoint of
x -> x * w, `conv_transpose2d(g, w)` (autograd/ops/conv_transpose.py: a full correlation of the
stride-dilated upstream gradient with the flipped kernel, computed as a scatter). Each VJP is written in
these ops, so second derivatives work.

The forward is im2col and a GEMM. Stride 1 copies the columns as whole rows of the flat image (see
_correlate_rows), a block of images at a time so that they stay in the cache; a big kernel with few
positions (the kernel's gradient) copies each window as one stretch (see _correlate_taps).

Groups G: w is (K, C/G, F1, F2); the channels and the filters are cut into G slices, slice g of the
filters sees only slice g of the channels (G = C: depthwise). Composed of correlate2d on each slice
and a concatenation along the channels, so its gradients are those of the parts.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided, sliding_window_view

from autograd import threads
from autograd.convert import operand
from autograd.function import Function, apply
from autograd.ops.elementwise import add
from autograd.ops.join import concatenate
from autograd.ops.shape import getitem, reshape, transpose
from autograd.tensor import Tensor


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


def _row_major(x: np.ndarray) -> np.ndarray:
    """x (N, C, H, W), each (H, W) plane laid out row after row (a view when it already is, else a copy)."""
    (h, wd), s = x.shape[2:], x.itemsize
    if (wd > 1 and x.strides[3] != s) or (h > 1 and x.strides[2] != wd * s):
        x = np.ascontiguousarray(x)
    return x


CHUNK = 8  # images (or channels) per block of im2col columns: a block stays in the cache (measured)


SPLIT_WORK = 8_000_000  # multiply-adds below which a convolution stays on one thread (measured on two
# threads: LeNet-5's first layer, 13M, forward no faster, kernel gradient 0.85 -> 0.78 ms)


def blocks(n: int, m: int, work: int) -> list[slice]:
    """range(n) in blocks of m, the blocks shared out in order among tracegrad's threads: one slice of
    whole blocks per thread, so that each block is computed the same way whatever the thread count.
    `work` (multiply-adds) below SPLIT_WORK: one slice, on the calling thread."""
    count = -(-n // m)
    if work < SPLIT_WORK:
        return [slice(0, n)]
    return [slice(p.start * m, min(p.stop * m, n)) for p in threads.parts(count)]


def _correlate_rows(xp: np.ndarray, w: np.ndarray, dilation) -> np.ndarray:
    """correlate2d with stride 1 of the padded input, its im2col columns copied as whole rows.

    Laid out flat (row stride Wp), window offset (a, b) of output position (i, j) is the element
    (i + D1 a) Wp + j + D2 b = start(a, b) + i Wp + j: for a fixed offset, the output positions taken at
    the full width Wp (j < Wp) are ONE contiguous stretch of the plane. So each column block is a copy of
    stretches, the GEMM computes the output at full width, and the last Wp - W2 columns of each row
    (windows that wrap round into the next row) are dropped. Blocks of CHUNK images stay in the cache.
    """
    xp = _row_major(xp)
    (n, c, hp, wp), (k, _, f1, f2) = xp.shape, w.shape
    h2, w2 = hp - dilation[0] * (f1 - 1), wp - dilation[1] * (f2 - 1)
    span = (h2 - 1) * wp + w2  # up to the last output position: the stretch ends inside the plane
    (sn, sc), s = xp.strides[:2], xp.itemsize
    rows = as_strided(xp, (n, c, f1, f2, span), (sn, sc, dilation[0] * wp * s, dilation[1] * s, s),
                      writeable=False)                                    # (N, C, F1, F2, span): a view
    taps, m = c * f1 * f2, max(1, min(CHUNK, n))
    wk = w.reshape(k, taps)                                               # (K, C*F1*F2)
    out = np.empty((n, k, h2, w2), dtype=np.result_type(xp.dtype, w.dtype))

    def images(part: slice) -> None:  # blocks of m images, on one of tracegrad's threads
        cols = np.zeros((m, c, f1, f2, h2 * wp), dtype=xp.dtype)          # past `span`: zeros, dropped
        block = np.empty((m, k, h2 * wp), dtype=out.dtype)
        for i in range(part.start, part.stop, m):  # a loop over blocks of images only
            b = min(m, part.stop - i)
            cols[:b, ..., :span] = rows[i: i + b]
            np.matmul(wk, cols[:b].reshape(b, taps, h2 * wp), out=block[:b])  # (b, K, H2*Wp): a GEMM each
            out[i: i + b] = block[:b].reshape(b, k, h2, wp)[..., :w2]

    threads.run(images, blocks(n, m, n * k * taps * h2 * wp))
    return out                                                            # (N, K, H2, W2)


def _correlate_taps(xp: np.ndarray, w: np.ndarray, stride) -> np.ndarray:
    """correlate2d with dilation 1 and a big kernel (a kernel's gradient), each window copied as one stretch.

    With the kernel laid out on rows of width Wp (zeros at b >= F2), a whole window is one stretch:
        out[n, k, i, j] = sum_c sum_{t < T} wf[k, c, t] xf[n, c, S1 i Wp + S2 j + t],  T = (F1 - 1) Wp + F2
    (t = a Wp + b). Contracted over blocks of CHUNK channels, each a GEMM per channel that stays in cache.
    NOTE: the zeros of wf meet input elements outside the window; 0 * inf would give NaN where the
    correlation has none, so a result that is not finite is computed again by the window form.
    """
    xp = _row_major(xp)
    (n, c, hp, wp), (k, _, f1, f2) = xp.shape, w.shape
    h2, w2 = (hp - f1) // stride[0] + 1, (wp - f2) // stride[1] + 1
    t = (f1 - 1) * wp + f2
    (sn, sc), s = xp.strides[:2], xp.itemsize
    stretches = as_strided(xp, (c, n, h2, w2, t), (sc, sn, stride[0] * wp * s, stride[1] * s, s),
                           writeable=False)                               # (C, N, H2, W2, T): a view
    wf = np.zeros((c, k, f1, wp), dtype=w.dtype)
    wf[..., :f2] = w.transpose(1, 0, 2, 3)
    wf = wf.reshape(c, k, f1 * wp)[:, :, :t]                              # (C, K, T)
    m = max(1, min(CHUNK, c))

    def channels(part: slice) -> list[np.ndarray]:  # blocks of m channels, on one of tracegrad's threads
        cols = np.empty((m, n, h2, w2, t), dtype=xp.dtype)
        sums = []
        for i in range(part.start, part.stop, m):  # a loop over blocks of channels only
            b = min(m, part.stop - i)
            cols[:b] = stretches[i: i + b]
            sums.append(np.matmul(cols[:b].reshape(b, n * h2 * w2, t), wf[i: i + b].transpose(0, 2, 1))
                        .sum(axis=0))                                     # (N*H2*W2, K)
        return sums

    out = np.zeros((n * h2 * w2, k), dtype=np.result_type(xp.dtype, w.dtype))
    for sums in threads.run(channels, blocks(c, m, c * k * n * h2 * w2 * t)):
        for block_sum in sums:  # added in block order, whichever thread made them: the same bits
            out += block_sum
    return np.ascontiguousarray(out.reshape(n, h2, w2, k).transpose(0, 3, 1, 2))  # (N, K, H2, W2)


class Correlate2d(Function):
    """out = x * w (cross-correlation, no bias); see the module docstring for the formulas."""

    name = "correlate2d"

    @staticmethod
    def forward(x, w, stride, padding, dilation):
        # NOTE: every path multiplies the padding's zeros by the kernel, so a kernel holding inf or NaN
        # gives NaN next to the border, as the sum over the zero-padded window says (inf * 0 = NaN).
        xp = pad_hw(x, padding)                                           # (N, C, Hp, Wp)
        n, k, (f1, f2) = x.shape[0], w.shape[0], w.shape[2:]
        h2, w2 = (output_size(xp.shape[2 + i], w.shape[2 + i], stride[i], 0, dilation[i]) for i in (0, 1))
        if h2 * w2 >= f1 * f2:  # the usual case: more output positions than kernel taps
            if stride == (1, 1) and 2 * w2 >= xp.shape[3]:  # rows at most doubled by the wrapped windows
                return _correlate_rows(xp, w, dilation)
            # im2col with the batch inside the columns: one GEMM does the whole batch
            win = windows(xp, w.shape[2:], stride, dilation)              # (N, C, H2, W2, F1, F2)
            taps = w.shape[1] * f1 * f2                                   # C * F1 * F2
            cols = np.ascontiguousarray(win.transpose(1, 4, 5, 0, 2, 3))  # (C, F1, F2, N, H2, W2)
            out = w.reshape(k, taps) @ cols.reshape(taps, n * h2 * w2)    # (K, N*H2*W2): one GEMM
            return np.ascontiguousarray(out.reshape(k, n, h2, w2).transpose(1, 0, 2, 3))  # (N,K,H2,W2)
        # a big kernel and few positions (the kernel's gradient): contract over the windows at once
        if dilation == (1, 1) and f2 >= 8 and 2 * f2 >= xp.shape[3]:  # long kernel rows (measured: the
            # LeNet kernel gradients, F2 = 28 and 10, gain 2.4x and 1.2x; 5x5 kernels over a batch lose)
            out = _correlate_taps(xp, w, stride)
            if np.isfinite(out).all():  # else an inf of the input met a zero outside its window: redo
                return out
        win = windows(xp, w.shape[2:], stride, dilation)                  # (N, C, H2, W2, F1, F2)
        if n == 1:  # one image: one product per position, each on a window that stays in cache, beats
            # copying every window first (measured: 2.0 ms vs 3.4)
            taps = w.shape[1] * f1 * f2
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
        from autograd.ops.conv_transpose import conv_transpose2d  # (that module imports this one)

        x, w = out.parents
        stride, padding, dilation = out.params["stride"], out.params["padding"], out.params["dilation"]
        gx = gw = None
        if needs[1]:
            gw = kernel_gradient(x, g, w.shape, stride, padding, dilation)               # (K, C, F1, F2)
        if needs[0]:
            # The adjoint of x -> x * w, one op: conv_transpose2d. Its output size, (H2 - 1) S - 2P +
            # D (F - 1) + 1, misses the rows the stride skipped at the end: output_padding gives them back.
            gx = conv_transpose2d(g, w, stride=stride, padding=padding,
                                  output_padding=skipped(x.shape, w.shape, out.params), dilation=dilation)
        return gx, gw                                                                    # gx: (N, C, H, W)

    @staticmethod
    def fast_vjp(g, out, needs):  # vjp on arrays: the same primitives' forwards, in the same order
        from autograd.ops.conv_transpose import ConvTranspose2d

        x, w = out.parents[0].data, out.parents[1].data
        stride, padding, dilation = out.params["stride"], out.params["padding"], out.params["dilation"]
        gx = gw = None
        if needs[1]:
            gw = kernel_gradient_array(x, g, w.shape, stride, padding, dilation)         # (K, C, F1, F2)
        if needs[0]:
            gx = ConvTranspose2d.forward(g, w, stride, padding, skipped(x.shape, w.shape, out.params),
                                         dilation)                                       # (N, C, H, W)
        return gx, gw


def skipped(x_shape, w_shape, params) -> tuple[int, int]:
    """The input's last rows and columns that no window reached (the stride skipped them): the
    output_padding that gives conv_transpose2d the input's size back."""
    stride, padding, dilation = params["stride"], params["padding"], params["dilation"]
    return tuple((x_shape[2 + i] + 2 * padding[i] - dilation[i] * (w_shape[2 + i] - 1) - 1) % stride[i]
                 for i in (0, 1))


def kernel_gradient(x: Tensor, g: Tensor, kernel: tuple, stride, padding, dilation) -> Tensor:
    """J^W = I * J^O: w_bar[k, c, a, b] = sum_{n, i, j} g[n, k, i, j] xp[n, c, S1 i + D1 a, S2 j + D2 b].

    x (N, C, H, W), g (N, K, H2, W2) -> (K, C, F1, F2), in Tensor ops. The input correlated with the
    upstream gradient: the batch becomes the channel axis (summed), the input channels the batch, and
    the stride of the forward becomes the dilation and the dilation the stride.
    """
    xt, gt = transpose(x, (1, 0, 2, 3)), transpose(g, (1, 0, 2, 3))          # (C, N, H, W), (K, N, H2, W2)
    gw = correlate2d(xt, gt, stride=dilation, padding=padding, dilation=stride)  # (C, K, >=F1, >=F2)
    if gw.shape[2:] != tuple(kernel[2:]):  # rows the stride never reached
        gw = getitem(gw, (slice(None), slice(None), slice(0, kernel[2]), slice(0, kernel[3])))
    return transpose(gw, (1, 0, 2, 3))                                           # (K, C, F1, F2)


def kernel_gradient_array(x: np.ndarray, g: np.ndarray, kernel: tuple, stride, padding, dilation):
    """kernel_gradient on arrays (for fast_vjp): the same correlate2d forward, crop and transposes."""
    gw = Correlate2d.forward(x.transpose(1, 0, 2, 3), g.transpose(1, 0, 2, 3), dilation, padding, stride)
    return gw[:, :, : kernel[2], : kernel[3]].transpose(1, 0, 2, 3)              # (K, C, F1, F2)


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
    return add_bias(out, bias, w.shape[0])


def add_bias(out: Tensor, bias, k: int, op: str = "correlate2d", per: str = "filter") -> Tensor:
    """out (N, K, H2, W2) + bias (K,) broadcast over the batch and the positions."""
    if bias is None:
        return out
    bias = operand(bias, op)
    if bias.shape != (k,):
        raise ValueError(f"{op}: bias has shape {bias.shape}; expected ({k},), one per {per}")
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
    return add_bias(concatenate(parts, axis=1), bias, k)
