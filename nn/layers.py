"""Layers: convolution, pooling, fully connected, activations, and the containers that chain them.

Shapes: N batch, C channels, H x W image, F1 x F2 kernel, S stride, P padding (NCHW, as in PyTorch).
Every spatial size follows  H2 = floor((H + 2P - F) / S) + 1.

Initialisation is PyTorch's default (kaiming-uniform with a = sqrt(5)): weight and bias are both drawn
from U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = inputs feeding one output (C_in * F1 * F2 for a conv).
Every layer with parameters takes `rng` (a np.random.Generator; None: a fresh unseeded one) and `dtype`
(float32 by default), so a model that passes one seeded generator through is reproducible.
Layers check their input's shape and say what they expected; Module.__call__ adds the module's path.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from autograd import Tensor, as_tensor, avg_pool2d, correlate2d, max_pool2d
from autograd.ops.conv import pair
from autograd.ops.pool import check_padding
from nn.module import Module, Parameter

__all__ = ["AvgPool2d", "Conv2d", "Flatten", "Linear", "MaxPool2d", "ReLU", "Residual", "Sequential", "Tanh"]


# --- argument checks and initialisation ------------------------------------------------------------


def _int(v, what: str, who: str, minimum: int) -> int:
    if not isinstance(v, numbers.Integral) or isinstance(v, (bool, np.bool_)) or v < minimum:
        raise ValueError(f"{who}: {what} must be an int >= {minimum}, got {v!r}")
    return int(v)


def _generator(rng, who: str) -> np.random.Generator:
    if rng is None:
        return np.random.default_rng()
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"{who}: rng must be a numpy.random.Generator or None, got {type(rng).__name__} "
                        f"(use np.random.default_rng(seed))")
    return rng


def _float_dtype(dtype, who: str) -> np.dtype:
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"{who}: dtype must be floating point, got {dtype}")
    return dtype


def _uniform(rng: np.random.Generator, fan_in: int, shape: tuple[int, ...], dtype) -> Parameter:
    """A Parameter drawn from U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (kaiming-uniform with a = sqrt(5))."""
    bound = 1.0 / math.sqrt(fan_in)
    return Parameter(rng.uniform(-bound, bound, size=shape).astype(dtype))


# --- layers with parameters ------------------------------------------------------------------------


class Conv2d(Module):
    """y = correlate2d(x, weight) + bias:  (N, C_in, H, W) -> (N, C_out, H2, W2).

    weight (C_out, C_in / G, F1, F2), bias (C_out,):  C_out * C_in / G * F1 * F2 + C_out parameters.
    Conv2d(3, 32, 5, padding=2) keeps 128x128: 32 * 3 * 5 * 5 + 32 = 2,432 parameters.
    groups G: each of G slices of the filters sees one slice of the channels (groups=C_in: depthwise).
    """

    def __init__(self, in_ch: int, out_ch: int, kernel_size, stride=1, padding=0, bias: bool = True, *,
                 dilation=1, groups: int = 1, rng: np.random.Generator | None = None, dtype=np.float32):
        super().__init__()
        self.in_ch = _int(in_ch, "in_ch", "Conv2d", 1)
        self.out_ch = _int(out_ch, "out_ch", "Conv2d", 1)
        self.kernel_size = pair(kernel_size, "kernel_size", "Conv2d", 1)
        self.stride = pair(stride, "stride", "Conv2d", 1)
        self.padding = pair(padding, "padding", "Conv2d", 0)
        self.dilation = pair(dilation, "dilation", "Conv2d", 1)  # taps d apart: extent d * (F - 1) + 1
        self.groups = _int(groups, "groups", "Conv2d", 1)
        if self.in_ch % self.groups or self.out_ch % self.groups:
            raise ValueError(f"Conv2d: groups={self.groups} must divide both in_ch={self.in_ch} and "
                             f"out_ch={self.out_ch}")
        rng, dtype = _generator(rng, "Conv2d"), _float_dtype(dtype, "Conv2d")
        fan_in = self.in_ch // self.groups * self.kernel_size[0] * self.kernel_size[1]
        shape = (self.out_ch, self.in_ch // self.groups, *self.kernel_size)
        self.weight = _uniform(rng, fan_in, shape, dtype)
        self.bias = _uniform(rng, fan_in, (self.out_ch,), dtype) if bias else None

    def forward(self, x):
        x = as_tensor(x)
        extent = tuple(d * (f - 1) + 1 for f, d in zip(self.kernel_size, self.dilation))
        smallest = tuple(max(e - 2 * p, 1) for e, p in zip(extent, self.padding))
        if x.ndim != 4 or x.shape[1] != self.in_ch:
            raise ValueError(f"expected input (N, {self.in_ch}, H, W), got {x.shape}")
        if x.shape[2] < smallest[0] or x.shape[3] < smallest[1]:
            raise ValueError(f"expected input (N, {self.in_ch}, H, W) with H >= {smallest[0]} and "
                             f"W >= {smallest[1]} for the {self.kernel_size} kernel"
                             + (f" with dilation {self.dilation}" if self.dilation != (1, 1) else "")
                             + f", got {x.shape}")
        return correlate2d(x, self.weight, self.bias, stride=self.stride, padding=self.padding,
                           dilation=self.dilation, groups=self.groups)

    def extra_repr(self) -> str:
        s = f"{self.in_ch}, {self.out_ch}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        return s + ("" if self.bias is not None else ", bias=False")


class Linear(Module):
    """y = x @ weight^T + bias:  (..., in_f) -> (..., out_f);  weight (out_f, in_f), bias (out_f,)."""

    def __init__(self, in_f: int, out_f: int, bias: bool = True, *, rng: np.random.Generator | None = None,
                 dtype=np.float32):
        super().__init__()
        self.in_features = _int(in_f, "in_f", "Linear", 1)
        self.out_features = _int(out_f, "out_f", "Linear", 1)
        rng, dtype = _generator(rng, "Linear"), _float_dtype(dtype, "Linear")
        self.weight = _uniform(rng, self.in_features, (self.out_features, self.in_features), dtype)
        self.bias = _uniform(rng, self.in_features, (self.out_features,), dtype) if bias else None

    def forward(self, x):
        x = as_tensor(x)
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(f"expected input (N, {self.in_features}) (any leading axes, "
                             f"{self.in_features} features last), got {x.shape}")
        y = x @ self.weight.T  # (..., out_f)
        return y if self.bias is None else y + self.bias

    def extra_repr(self) -> str:
        has_bias = self.bias is not None
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={has_bias}"


# --- layers without parameters ---------------------------------------------------------------------


class _Pool2d(Module):
    """Shared by the two pools: (N, C, H, W) -> (N, C, H2, W2), each channel on its own.

    padding (at most half the kernel, as PyTorch): max pads with -inf, avg with zeros that count.
    """

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        who = type(self).__name__
        self.kernel_size = pair(kernel_size, "kernel_size", who, 1)
        self.stride = self.kernel_size if stride is None else pair(stride, "stride", who, 1)
        self.padding = pair(padding, "padding", who, 0)
        check_padding(self.padding, self.kernel_size, who)

    def _checked(self, x) -> Tensor:
        x = as_tensor(x)
        k1, k2 = (k - 2 * p for k, p in zip(self.kernel_size, self.padding))
        if x.ndim != 4 or x.shape[2] < k1 or x.shape[3] < k2:
            raise ValueError(f"expected input (N, C, H, W) with H >= {k1} and W >= {k2}, got {x.shape}")
        return x

    def extra_repr(self) -> str:
        s = f"kernel_size={self.kernel_size}, stride={self.stride}"
        return s + (f", padding={self.padding}" if self.padding != (0, 0) else "")


class MaxPool2d(_Pool2d):
    """y = max over each F1 x F2 window moved by the stride (default: the kernel size); -inf padding."""

    def forward(self, x):
        return max_pool2d(self._checked(x), self.kernel_size, self.stride, self.padding)


class AvgPool2d(_Pool2d):
    """y = mean over each F1 x F2 window moved by the stride (default: the kernel size); zero padding."""

    def forward(self, x):
        return avg_pool2d(self._checked(x), self.kernel_size, self.stride, self.padding)


class Tanh(Module):
    """y = tanh(x), elementwise."""

    def forward(self, x):
        return as_tensor(x).tanh()


class ReLU(Module):
    """y = max(x, 0), elementwise."""

    def forward(self, x):
        return as_tensor(x).relu()


class Flatten(Module):
    """(N, d1, d2, ...) -> (N, d1 * d2 * ...): keeps the batch axis."""

    def forward(self, x):
        x = as_tensor(x)
        if x.ndim == 0:
            raise ValueError(f"expected input (N, ...) with a batch axis, got {x.shape}")
        return x.reshape(x.shape[0], math.prod(x.shape[1:]))


# --- containers ------------------------------------------------------------------------------------


class Sequential(Module):
    """y = m_k(...m_1(m_0(x))); the modules are registered as children "0", "1", ..."""

    def __init__(self, *modules: Module):
        super().__init__()
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"Sequential: argument {i} is a {type(m).__name__}, not a Module")
            setattr(self, str(i), m)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, index):
        layers = list(self._modules.values())
        if isinstance(index, slice):
            return Sequential(*layers[index])
        return layers[index]

    def forward(self, x):
        for m in self._modules.values():
            x = m(x)
        return x


class Residual(Module):
    """y = x + block(x): the skip connection. The block must keep the shape of its input.

    Backward: x_bar = y_bar + block's VJP(y_bar), so the gradient always has a path that skips the block.
    """

    def __init__(self, block: Module):
        super().__init__()
        if not isinstance(block, Module):
            raise TypeError(f"Residual: block must be a Module, got {type(block).__name__}")
        self.block = block

    def forward(self, x):
        x = as_tensor(x)
        fx = self.block(x)
        if fx.shape != x.shape:
            raise ValueError(f"block changed the shape from {x.shape} to {fx.shape}; "
                             f"x + block(x) needs the block to keep its input's shape")
        return x + fx
