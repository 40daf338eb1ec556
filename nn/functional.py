"""Softmax, log-softmax and the cross-entropy loss, composed from autograd primitives.

Because they are compositions (max-shift, exp, sum, log, getitem), their gradients are recorded like
any other graph, so they can be differentiated twice (create_graph=True).

    log_softmax(x)_i = (x_i - m) - log(sum_j exp(x_j - m)),   m = max_j x_j  (a constant)
    softmax(x)_i     = exp(x_i - m) / sum_j exp(x_j - m)
    cross_entropy    = -(1/N) sum_n log_softmax(logits_n)[t_n]

NOTE: the shift m makes every exponent <= 0, so logits of 1e4 neither overflow nor lose the answer.
Treating m as a constant is exact: log_softmax(x - c) = log_softmax(x) for any c, so the derivative
through m is zero anyway.
"""

from __future__ import annotations

import numpy as np

from autograd import Tensor, as_tensor
from autograd.ops.reduce import normalize_axes

__all__ = ["accuracy", "cross_entropy", "log_softmax", "softmax"]


def _input(x, axis, who: str) -> tuple[Tensor, tuple[int, ...] | None]:
    """x as a float tensor (ints and bools as float64, as NumPy's exp), and `axis` checked against its
    shape (an error names `who` and the shape) as sorted ints, or None for all axes."""
    x = as_tensor(x)
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    return x, normalize_axes(axis, x.ndim, who, x.shape)


def _shifted(x: Tensor, axis) -> Tensor:
    """x - max(x, axis), the max taken as a constant (not recorded); an infinite max shifts by 0."""
    if x.size == 0:  # nothing to take the max of: an empty result, shifted by nothing
        return x
    m = np.max(x.data, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0).astype(x.dtype)
    return x - Tensor._leaf(m)


def log_softmax(x, axis: int = -1) -> Tensor:
    """log(softmax(x)) along `axis`, computed stably: (x - m) - log(sum(exp(x - m)))."""
    x, axis = _input(x, axis, "log_softmax")
    z = _shifted(x, axis)
    return z - z.exp().sum(axis=axis, keepdims=True).log()


def softmax(x, axis: int = -1) -> Tensor:
    """exp(x - m) / sum(exp(x - m)) along `axis`: non-negative, sums to 1."""
    x, axis = _input(x, axis, "softmax")
    e = _shifted(x, axis).exp()
    return e / e.sum(axis=axis, keepdims=True)


def _targets(logits: Tensor, targets, who: str) -> np.ndarray:
    """Check logits (N, K) and integer class indices (N,) in [0, K); return the indices as int64."""
    if logits.ndim != 2:
        raise ValueError(f"{who}: expected logits (N, K), got shape {logits.shape}")
    n, k = logits.shape
    t = np.asarray(targets.data if isinstance(targets, Tensor) else targets)
    if t.dtype.kind not in "iu":
        raise TypeError(f"{who}: targets must be integer class indices, got dtype {t.dtype}")
    if t.shape != (n,):
        raise ValueError(f"{who}: expected targets ({n},), one class index per row of logits {logits.shape}, "
                         f"got shape {t.shape}")
    if n == 0:
        raise ValueError(f"{who}: empty batch (logits {logits.shape})")
    bad = np.flatnonzero((t < 0) | (t >= k))
    if bad.size:
        raise ValueError(f"{who}: targets must be in [0, {k}); got {t[bad[0]]} at index {bad[0]}")
    return t.astype(np.int64)


def cross_entropy(logits, targets, reduction: str = "mean") -> Tensor:
    """-log softmax(logits)[n, t_n], averaged over the batch:  logits (N, K), targets (N,) ints -> ().

    reduction: "mean" (default), "sum", or "none" (the (N,) losses).
    """
    logits = as_tensor(logits)
    t = _targets(logits, targets, "cross_entropy")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"cross_entropy: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    picked = log_softmax(logits, axis=1)[np.arange(len(t)), t]  # (N,): log p(t_n | x_n)
    if reduction == "none":
        return -picked
    return -picked.sum() if reduction == "sum" else -picked.mean()


def accuracy(logits, targets) -> float:
    """The fraction of rows whose largest logit is at the target class (first maximum on ties)."""
    logits = as_tensor(logits)
    t = _targets(logits, targets, "accuracy")
    return float(np.mean(np.argmax(logits.data, axis=1) == t))
