"""Dropout and batch normalisation: layers that behave differently in training and in evaluation.

Shapes: N batch, C channels (features), L length, H x W image. `module.train()` / `module.eval()` switch
the mode (Module.training); both layers are compositions of autograd primitives, so their gradients
are recorded graphs that can be drawn and differentiated again.

    dropout (training):   y = x * m / (1 - p),   m_i ~ Bernoulli(1 - p), a constant drawn from a Generator
    dropout (eval):       y = x
    batch norm (training): mu = mean(x),  var = mean((x - mu)^2)   (over every axis but C; biased)
                           y = (x - mu) / sqrt(var + eps) * weight + bias
                           running = (1 - momentum) * running + momentum * batch   (var: unbiased, n/(n-1))
    batch norm (eval):     y = (x - running_mean) / sqrt(running_var + eps) * weight + bias

NOTE: in training, the gradient flows through mu and var too (they are recorded ops, not constants);
that is what makes batch norm's VJP differ from a plain affine map.
"""

from __future__ import annotations

import numbers

import numpy as np

from autograd import Tensor, as_tensor
from nn.module import Module, Parameter

__all__ = ["BatchNorm1d", "BatchNorm2d", "Dropout", "batch_norm", "dropout"]


def _float_input(x) -> Tensor:
    x = as_tensor(x)
    return x if x.dtype.kind == "f" else x.astype(np.float64)


def _probability(p, who: str) -> float:
    if not isinstance(p, numbers.Real) or isinstance(p, (bool, np.bool_)) or not 0 <= p <= 1:
        raise ValueError(f"{who}: dropout probability has to be between 0 and 1, but got {p!r}")
    return float(p)


def _rng(rng, who: str) -> np.random.Generator:
    """A Generator from None (fresh, unseeded), an int seed, or a Generator (used as it is)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, numbers.Integral) and not isinstance(rng, (bool, np.bool_))):
        return np.random.default_rng(rng)
    raise TypeError(f"{who}: rng must be None, an int seed or a numpy.random.Generator, "
                    f"got {type(rng).__name__}")


# --- dropout ---------------------------------------------------------------------------------------


def dropout(x, p: float = 0.5, training: bool = True, rng=None) -> Tensor:
    """Inverted dropout: x * m / (1 - p) with m_i ~ Bernoulli(1 - p) in training, x itself otherwise.

    p = 0 and training=False return x unchanged; p = 1 gives zeros (with zero gradient), as PyTorch.
    The mask is a constant: no gradient flows into it. rng: None, an int seed, or a Generator.
    """
    p = _probability(p, "dropout")
    x = _float_input(x)
    if not training or p == 0:
        return x
    if p == 1:
        return x * Tensor._leaf(np.zeros(x.shape, dtype=x.dtype))
    keep = _rng(rng, "dropout").random(x.shape) >= p  # P(keep) = 1 - p
    mask = keep.astype(x.dtype) * x.dtype.type(1 / (1 - p))  # (x.shape): 0 or 1/(1-p)
    return x * Tensor._leaf(mask)


class Dropout(Module):
    """Zeroes each element with probability p in training and scales the rest by 1/(1-p); eval: identity.

    Dropout(0.5, rng=0): a seeded generator, so two layers made with the same seed draw the same masks.
    """

    def __init__(self, p: float = 0.5, rng=None):
        super().__init__()
        self.p = _probability(p, "Dropout")
        self.rng = _rng(rng, "Dropout")

    def forward(self, x):
        return dropout(x, self.p, self.training, self.rng)

    def extra_repr(self) -> str:
        return f"p={self.p}"


# --- batch normalisation ---------------------------------------------------------------------------


def _channel_vector(t, c: int, what: str, shape) -> Tensor | None:
    if t is None:
        return None
    t = t if isinstance(t, Tensor) else Tensor(t)
    if t.shape != (c,):
        raise ValueError(f"batch_norm: {what} must have shape ({c},) for input {shape}, got {t.shape}")
    return t


def _update(running, batch: np.ndarray, momentum: float) -> None:
    """running = (1 - momentum) * running + momentum * batch, as a new array (graphs that read the old
    one stay valid) in the running statistic's own dtype; a plain ndarray is written in place."""
    if isinstance(running, Tensor):
        old = running.data
        running.data = ((1 - momentum) * old + momentum * batch).astype(old.dtype)
    else:
        running[...] = (1 - momentum) * running + momentum * batch


def batch_norm(x, running_mean=None, running_var=None, weight=None, bias=None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel of x (N, C, ...) over every other axis; PyTorch's F.batch_norm.

    training=True: batch statistics (biased variance), and running_mean / running_var (Tensors or
    arrays (C,), or None) are updated with the unbiased variance; training=False: the running
    statistics normalise, as constants. weight and bias (C,) are optional (the affine part).
    """
    x = _float_input(x)
    if x.ndim < 2:
        raise ValueError(f"batch_norm: expected input (N, C, ...) with at least 2 axes, got {x.shape}")
    c = x.shape[1]
    running_mean_t = _channel_vector(running_mean, c, "running_mean", x.shape)
    running_var_t = _channel_vector(running_var, c, "running_var", x.shape)
    weight = _channel_vector(weight, c, "weight", x.shape)
    bias = _channel_vector(bias, c, "bias", x.shape)
    axes = (0, *range(2, x.ndim))  # every axis but C
    shape = (1, c) + (1,) * (x.ndim - 2)  # (1, C, 1, ...): broadcasts over N and the spatial axes
    if training:
        n = x.size // c if c else 0  # values per channel
        if n <= 1:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when training, "
                             f"got input {x.shape}")
        mu = x.mean(axis=axes, keepdims=True)  # (1, C, 1, ...)
        xc = x - mu
        var = (xc * xc).mean(axis=axes, keepdims=True)  # biased: divides by n
        y = xc / (var + eps) ** 0.5
        if running_mean is not None:
            _update(running_mean, mu.data.reshape(c), momentum)
        if running_var is not None:
            _update(running_var, var.data.reshape(c) * (n / (n - 1)), momentum)  # unbiased
    else:
        if running_mean_t is None or running_var_t is None:
            raise ValueError("batch_norm: running_mean and running_var are needed when training=False")
        mean = running_mean_t.data.astype(x.dtype).reshape(shape)  # constants: no gradient
        inv_std = (1 / np.sqrt(running_var_t.data.astype(np.float64) + eps)).astype(x.dtype).reshape(shape)
        y = (x - Tensor._leaf(mean)) * Tensor._leaf(inv_std)
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


class _BatchNorm(Module):
    """Shared by BatchNorm1d and BatchNorm2d; subclasses set the accepted input ranks and layout."""

    _ndims: tuple[int, ...] = ()
    _layout = ""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, *, dtype=np.float32):
        super().__init__()
        who = type(self).__name__
        if not isinstance(num_features, numbers.Integral) or isinstance(num_features, bool) \
                or num_features < 1:
            raise ValueError(f"{who}: num_features must be an int >= 1, got {num_features!r}")
        if not isinstance(eps, numbers.Real) or not eps >= 0:
            raise ValueError(f"{who}: eps must be a number >= 0, got {eps!r}")
        if momentum is not None and (not isinstance(momentum, numbers.Real) or not 0 <= momentum <= 1):
            raise ValueError(f"{who}: momentum must be a number in [0, 1] or None, got {momentum!r}")
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"{who}: dtype must be floating point, got {dtype}")
        self.num_features = int(num_features)
        self.eps, self.momentum = float(eps), momentum
        self.affine, self.track_running_stats = bool(affine), bool(track_running_stats)
        c = self.num_features
        self.weight = Parameter(np.ones(c, dtype)) if affine else None  # gamma
        self.bias = Parameter(np.zeros(c, dtype)) if affine else None  # beta
        if track_running_stats:
            self.register_buffer("running_mean", np.zeros(c, dtype))
            self.register_buffer("running_var", np.ones(c, dtype))
            self.register_buffer("num_batches_tracked", np.array(0, np.int64))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)

    def reset_running_stats(self) -> None:
        """running_mean = 0, running_var = 1, num_batches_tracked = 0 (the buffers keep their identity)."""
        if self.track_running_stats:
            self.running_mean.data = np.zeros(self.num_features, self.running_mean.dtype)
            self.running_var.data = np.ones(self.num_features, self.running_var.dtype)
            self.num_batches_tracked.data = np.array(0, np.int64)

    def forward(self, x):
        x = as_tensor(x)
        if x.ndim not in self._ndims or x.shape[1] != self.num_features:
            raise ValueError(f"expected input {self._layout.format(C=self.num_features)}, got {x.shape}")
        # momentum None: a cumulative average, factor 1 / (batches seen), as PyTorch
        tracking = self.training and self.track_running_stats
        batches = int(self.num_batches_tracked.data) + 1 if tracking else 0
        factor = (1 / batches if self.momentum is None else self.momentum) if tracking else 0.0
        use_batch_stats = self.training or self.running_mean is None
        track = not self.training or self.track_running_stats
        y = batch_norm(x, self.running_mean if track else None, self.running_var if track else None,
                       self.weight, self.bias, use_batch_stats, factor, self.eps)
        if tracking:  # after batch_norm's checks passed: a failed call leaves the count unchanged
            self.num_batches_tracked.data = np.array(batches, np.int64)  # the same buffer Tensor, new value
        return y

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch norm over (N, C) or (N, C, L): statistics per feature C over N (and L).

    weight (C,) ones and bias (C,) zeros are Parameters; running_mean, running_var (C,) and
    num_batches_tracked are buffers (in state_dict, not in parameters()).
    """

    _ndims = (2, 3)
    _layout = "(N, {C}) or (N, {C}, L)"


class BatchNorm2d(_BatchNorm):
    """Batch norm over (N, C, H, W): statistics per channel C over N, H and W."""

    _ndims = (4,)
    _layout = "(N, {C}, H, W)"
