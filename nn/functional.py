"""Softmax, log-softmax and the losses, composed from autograd primitives.

Because they are compositions (max-shift, exp, sum, log, getitem, where), their gradients are recorded
like any other graph, so they can be differentiated twice (create_graph=True).

    log_softmax(x)_i = (x_i - m) - log(sum_j exp(x_j - m)),   m = max_j x_j  (a constant)
    softmax(x)_i     = exp(x_i - m) / sum_j exp(x_j - m)

Losses (PyTorch's definitions; ell_n is the loss of element or sample n):

    mse_loss                 ell_n = (x_n - t_n)^2
    l1_loss                  ell_n = |x_n - t_n|
    nll_loss                 ell_n = -x[n, t_n]          (0 where t_n == ignore_index)
    cross_entropy            ell_n = (1 - eps) * -log p[n, t_n] + eps * mean_c(-log p[n, c]),
                             p = softmax(logits_n), eps = label_smoothing
    binary_cross_entropy     ell_n = -(t_n * max(log p_n, -100) + (1 - t_n) * max(log(1 - p_n), -100))
    ..._with_logits          ell_n = softplus(x_n) - x_n t_n    (= -(t_n log s_n + (1 - t_n) log(1 - s_n)),
                                                              s_n = sigmoid(x_n))

reduction="none" returns the ell_n, "sum" their sum, "mean" their mean; with class targets, "mean"
divides by the number of targets that are not ignore_index (0/0 = nan if all are ignored, as PyTorch).

NOTE: the shift m makes every exponent <= 0, so logits of 1e4 neither overflow nor lose the answer.
Treating m as a constant is exact: log_softmax(x - c) = log_softmax(x) for any c, so the derivative
through m is zero anyway.
"""

from __future__ import annotations

import math

import numpy as np

from autograd import Tensor, as_tensor, gelu, leaky_relu, silu, softplus, where
from autograd.ops.reduce import normalize_axes
from nn.norm import batch_norm, dropout

__all__ = [
    "accuracy", "batch_norm", "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy",
    "dropout", "gelu", "l1_loss", "leaky_relu", "log_softmax", "mse_loss", "nll_loss", "silu", "softmax",
    "softplus",
]


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


def _reduce(losses: Tensor, reduction: str) -> Tensor:
    if reduction == "none":
        return losses
    return losses.sum() if reduction == "sum" else losses.mean()


def _check_reduction(reduction, who: str) -> None:
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{who}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _pair(x, target, who: str, x_name: str = "input") -> tuple[Tensor, Tensor]:
    """input and target as float tensors of the same shape (no broadcasting: a (N, 1) vs (N,) slip is
    an error here, where PyTorch only warns)."""
    x, target = as_tensor(x), as_tensor(target)
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    if target.dtype.kind != "f":
        target = target.astype(x.dtype)
    if x.shape != target.shape:
        raise ValueError(f"{who}: target shape {target.shape} differs from {x_name} shape {x.shape}; "
                         f"they must be the same")
    return x, target


def _abs(x: Tensor) -> Tensor:
    """|x| = relu(x) + relu(-x): gradient sign(x), 0 at 0 (as PyTorch's abs)."""
    return x.relu() + (-x).relu()


def mse_loss(input, target, reduction: str = "mean") -> Tensor:
    """(input - target)^2, reduced: same shapes; the target may require grad too."""
    _check_reduction(reduction, "mse_loss")
    x, t = _pair(input, target, "mse_loss")
    d = x - t
    return _reduce(d * d, reduction)


def l1_loss(input, target, reduction: str = "mean") -> Tensor:
    """|input - target|, reduced: same shapes; the gradient at input == target is 0."""
    _check_reduction(reduction, "l1_loss")
    x, t = _pair(input, target, "l1_loss")
    return _reduce(_abs(x - t), reduction)


def _class_targets(x: Tensor, targets, who: str, ignore_index: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Check x (N, K) and targets (N,) ints in [0, K) or == ignore_index; return (indices, kept mask),
    an ignored index replaced by 0 (a harmless column to pick)."""
    if x.ndim != 2:
        raise ValueError(f"{who}: expected logits (N, K), got shape {x.shape}")
    n, k = x.shape
    t = np.asarray(targets.data if isinstance(targets, Tensor) else targets)
    if t.dtype.kind not in "iu":
        raise TypeError(f"{who}: targets must be integer class indices, got dtype {t.dtype}")
    if t.shape != (n,):
        raise ValueError(f"{who}: expected targets ({n},), one class index per row of logits {x.shape}, "
                         f"got shape {t.shape}")
    if n == 0:
        raise ValueError(f"{who}: empty batch (logits {x.shape})")
    kept = np.ones(n, bool) if ignore_index is None else t != ignore_index
    bad = np.flatnonzero(kept & ((t < 0) | (t >= k)))
    if bad.size:
        raise ValueError(f"{who}: targets must be in [0, {k}); got {t[bad[0]]} at index {bad[0]}"
                         + (f" (ignore_index is {ignore_index})" if ignore_index is not None and t[bad[0]] < 0
                            else ""))
    return np.where(kept, t, 0).astype(np.int64), kept


def _picked_nll(log_probs: Tensor, t: np.ndarray, kept: np.ndarray) -> Tensor:
    """(N,): -log_probs[n, t_n], 0 where the target is ignored."""
    picked = log_probs[np.arange(len(t)), t]  # (N,)
    if kept.all():
        return -picked
    return -picked * Tensor._leaf(kept.astype(log_probs.dtype))


def _reduce_kept(losses: Tensor, kept: np.ndarray, reduction: str) -> Tensor:
    """Sum, or mean over the non-ignored targets (nan if there are none, as PyTorch)."""
    if reduction == "none":
        return losses
    if reduction == "sum" or kept.all():
        return losses.sum() if reduction == "sum" else losses.mean()
    count = int(kept.sum())
    if count == 0:
        return losses.sum() * Tensor._leaf(np.array(np.nan, dtype=losses.dtype))
    return losses.sum() / count


def nll_loss(log_probs, targets, reduction: str = "mean", *, ignore_index: int = -100) -> Tensor:
    """-log_probs[n, t_n]:  log_probs (N, K) (e.g. log_softmax output), targets (N,) ints -> () or (N,).

    Targets equal to ignore_index contribute 0, and "mean" divides by the number of the others.
    """
    _check_reduction(reduction, "nll_loss")
    x = as_tensor(log_probs)
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    t, kept = _class_targets(x, targets, "nll_loss", ignore_index)
    return _reduce_kept(_picked_nll(x, t, kept), kept, reduction)


def cross_entropy(logits, targets, reduction: str = "mean", *, ignore_index: int = -100,
                  label_smoothing: float = 0.0) -> Tensor:
    """-log softmax(logits)[n, t_n], averaged over the batch:  logits (N, K), targets (N,) ints -> ().

    reduction: "mean" (default), "sum", or "none" (the (N,) losses). Targets equal to ignore_index
    contribute 0 and are left out of the mean. label_smoothing eps in [0, 1] mixes in the uniform
    distribution: (1 - eps) * nll + eps * mean over classes of -log p (as PyTorch).
    """
    logits = as_tensor(logits)
    t, kept = _class_targets(logits, targets, "cross_entropy", ignore_index)
    _check_reduction(reduction, "cross_entropy")
    if not isinstance(label_smoothing, (int, float, np.floating)) or not 0 <= label_smoothing <= 1:
        raise ValueError(f"cross_entropy: label_smoothing must be a number in [0, 1], "
                         f"got {label_smoothing!r}")
    log_p = log_softmax(logits, axis=1)  # (N, K)
    losses = _picked_nll(log_p, t, kept)  # (N,)
    if label_smoothing > 0:
        smooth = -log_p.mean(axis=1)  # (N,): mean over classes of -log p
        if not kept.all():
            smooth = smooth * Tensor._leaf(kept.astype(smooth.dtype))
        losses = losses * (1 - label_smoothing) + smooth * label_smoothing
    return _reduce_kept(losses, kept, reduction)


def binary_cross_entropy(probs, targets, reduction: str = "mean") -> Tensor:
    """-(t log p + (1 - t) log(1 - p)) with each log clamped at -100 (as PyTorch): probs in [0, 1].

    NOTE: where a log is clamped (p < e^-100, including p = 0) its gradient is 0 (the derivative of
    the clamped function); PyTorch instead clamps the denominator p (1 - p) at 1e-12 there.
    """
    _check_reduction(reduction, "binary_cross_entropy")
    p, t = _pair(probs, targets, "binary_cross_entropy")
    if p.size and not ((p.data >= 0) & (p.data <= 1)).all():
        bad = np.flatnonzero(~((p.data >= 0) & (p.data <= 1)).reshape(-1))[0]
        raise ValueError(f"binary_cross_entropy: all elements of input should be between 0 and 1, got "
                         f"{p.data.reshape(-1)[bad]} at flat index {bad} (input shape {p.shape}); "
                         f"for logits use binary_cross_entropy_with_logits")
    losses = -(t * _clamped_log(p) + (1 - t) * _clamped_log(1 - p))
    return _reduce(losses, reduction)


def _clamped_log(p: Tensor) -> Tensor:
    """max(log p, -100); the clamped places get log(1) first, so their gradient is 0, not 0/0."""
    with np.errstate(divide="ignore"):
        low = np.log(p.data) < -100  # includes p == 0 (log 0 = -inf)
    if not low.any():
        return p.log()
    return where(low, -100, where(low, 1, p).log())


def binary_cross_entropy_with_logits(logits, targets, reduction: str = "mean") -> Tensor:
    """BCE of sigmoid(logits), stably: softplus(x) - x t, with the softplus primitive (no exp overflows).

    Its gradient is sigmoid(x) - t everywhere, also at x = 0 (softplus' gradient there is 1/2).
    NOTE: threshold=inf keeps softplus smooth everywhere (no linear tail past 20), so the gradient is
    sigmoid(x) - t also for 20 < x < 37, where sigmoid(x) still differs from 1 (as PyTorch's loss).
    """
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    x, t = _pair(logits, targets, "binary_cross_entropy_with_logits", "logits")
    return _reduce(softplus(x, 1.0, math.inf) - x * t, reduction)


def accuracy(logits, targets) -> float:
    """The fraction of rows whose largest logit is at the target class (first maximum on ties)."""
    logits = as_tensor(logits)
    t, _ = _class_targets(logits, targets, "accuracy", None)
    return float(np.mean(np.argmax(logits.data, axis=1) == t))
