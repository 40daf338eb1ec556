"""Tests for the losses in nn.functional: values against NumPy transcriptions of PyTorch's definitions,
every reduction, first and second derivatives in float64, the stable and clamped forms, and errors."""

import numpy as np
import pytest

from autograd import Tensor, grad, gradcheck, gradgradcheck
from nn import functional as F

REDUCTIONS = ["mean", "sum", "none"]


# --- NumPy references (PyTorch's documented definitions) ------------------------------------------


def np_reduce(losses, reduction):
    return {"none": losses, "sum": losses.sum(), "mean": losses.mean()}[reduction]


def np_log_softmax(x):
    z = x - x.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def np_nll(logp, t, reduction="mean", ignore_index=-100):
    kept = t != ignore_index
    losses = np.where(kept, -logp[np.arange(len(t)), np.where(kept, t, 0)], 0.0)
    if reduction == "mean":
        return losses.sum() / kept.sum()
    return np_reduce(losses, reduction)


def np_cross_entropy(x, t, reduction="mean", ignore_index=-100, label_smoothing=0.0):
    """torch: (1 - eps) * nll + (eps / C) * sum_c(-log p), ignored rows 0, mean over the kept rows."""
    logp = np_log_softmax(x)
    kept = t != ignore_index
    nll = np.where(kept, -logp[np.arange(len(t)), np.where(kept, t, 0)], 0.0)
    smooth = np.where(kept, -logp.sum(axis=1), 0.0)
    losses = (1 - label_smoothing) * nll + label_smoothing / x.shape[1] * smooth
    if reduction == "mean":
        return losses.sum() / kept.sum()
    return np_reduce(losses, reduction)


def np_bce(p, t, reduction="mean"):
    with np.errstate(divide="ignore"):
        losses = -(t * np.maximum(np.log(p), -100) + (1 - t) * np.maximum(np.log(1 - p), -100))
    return np_reduce(losses, reduction)


def np_bce_logits(x, t, reduction="mean"):
    """The naive form through the sigmoid (fine for moderate logits)."""
    s = 1 / (1 + np.exp(-x))
    return np_reduce(-(t * np.log(s) + (1 - t) * np.log(1 - s)), reduction)


def data(seed=0, shape=(3, 4)):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(shape), rng.standard_normal(shape)


def classes(seed=0, n=5, k=4):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, k)) * 2, rng.integers(0, k, size=n)


def probs(seed=0, shape=(3, 4)):
    rng = np.random.default_rng(seed)
    return rng.uniform(0.1, 0.9, shape), rng.uniform(0, 1, shape)


# --- values, every reduction ----------------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_and_l1_match_numpy(reduction):
    x, t = data()
    np.testing.assert_allclose(F.mse_loss(x, t, reduction).data, np_reduce((x - t) ** 2, reduction),
                               rtol=1e-14)
    np.testing.assert_allclose(F.l1_loss(x, t, reduction).data, np_reduce(np.abs(x - t), reduction),
                               rtol=1e-14)
    assert F.mse_loss(x, t, reduction).shape == (() if reduction != "none" else x.shape)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_matches_numpy(reduction):
    x, t = classes()
    logp = np_log_softmax(x)
    np.testing.assert_allclose(F.nll_loss(logp, t, reduction).data, np_nll(logp, t, reduction), rtol=1e-14)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_ignore_index_averages_over_the_kept_targets(reduction):
    x, _ = classes(n=5)
    logp = np_log_softmax(x)
    t = np.array([1, -100, 3, 0, -100])
    got = F.nll_loss(logp, t, reduction)
    np.testing.assert_allclose(got.data, np_nll(logp, t, reduction), rtol=1e-14)
    if reduction == "mean":  # divided by 3, not 5
        np.testing.assert_allclose(got.data, -(logp[0, 1] + logp[2, 3] + logp[3, 0]) / 3, rtol=1e-14)
    t7 = np.array([1, 7, 3, 0, 7])  # any ignore_index, also one that is a valid-looking class
    np.testing.assert_allclose(F.nll_loss(logp, t7, reduction, ignore_index=7).data,
                               np_nll(logp, t7, reduction, ignore_index=7), rtol=1e-14)


def test_nll_all_ignored_mean_is_nan_sum_is_zero():
    logp = np_log_softmax(classes(n=3)[0])
    t = np.full(3, -100)
    assert np.isnan(F.nll_loss(logp, t).item())
    assert F.nll_loss(logp, t, "sum").item() == 0.0


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1, 1.0])
def test_cross_entropy_matches_numpy(reduction, label_smoothing):
    x, t = classes(seed=1)
    got = F.cross_entropy(x, t, reduction, label_smoothing=label_smoothing)
    np.testing.assert_allclose(got.data, np_cross_entropy(x, t, reduction, label_smoothing=label_smoothing),
                               rtol=1e-13)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_label_smoothing_with_ignore_index(reduction):
    x, _ = classes(seed=2, n=5)
    t = np.array([2, -1, 0, -1, 3])
    got = F.cross_entropy(x, t, reduction, ignore_index=-1, label_smoothing=0.2)
    np.testing.assert_allclose(got.data, np_cross_entropy(x, t, reduction, -1, 0.2), rtol=1e-13)


def test_cross_entropy_label_smoothing_is_the_mix_of_nll_and_the_class_mean():
    x, t = classes(seed=3)
    logp = np_log_softmax(x)
    eps = 0.3
    expected = (1 - eps) * np_nll(logp, t) + eps * np.mean(-logp.mean(axis=1))
    np.testing.assert_allclose(F.cross_entropy(x, t, label_smoothing=eps).item(), expected, rtol=1e-13)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_and_bce_with_logits_match_numpy(reduction):
    p, t = probs()
    np.testing.assert_allclose(F.binary_cross_entropy(p, t, reduction).data, np_bce(p, t, reduction),
                               rtol=1e-14)
    x, _ = data(seed=4)
    np.testing.assert_allclose(F.binary_cross_entropy_with_logits(x, t, reduction).data,
                               np_bce_logits(x, t, reduction), rtol=1e-12)


def test_bce_clamps_the_log_at_minus_100():
    p = np.array([0.0, 1.0, 0.0, 1.0, 1e-50, 0.5])
    t = np.array([1.0, 0.0, 0.0, 1.0, 1.0, 1.0])
    got = F.binary_cross_entropy(p, t, "none").data
    np.testing.assert_allclose(got, [100, 100, 0, 0, 100, np.log(2)], rtol=1e-14)
    x = Tensor(p, requires_grad=True)
    F.binary_cross_entropy(x, t, "sum").backward()
    assert np.all(np.isfinite(x.grad.data))  # no 0/0 at the clamped places
    np.testing.assert_allclose(x.grad.data[5], -2.0)  # -t/p


def test_bce_with_logits_is_stable_for_huge_logits():
    x = np.array([1e4, -1e4, 1e4, -1e4, 0.0, 40.0])
    t = np.array([1.0, 0.0, 0.0, 1.0, 0.3, 1.0])
    with np.errstate(over="raise"):
        got = F.binary_cross_entropy_with_logits(x, t, "none").data
    np.testing.assert_allclose(got, [0, 0, 1e4, 1e4, np.log(2), 0], atol=1e-15)


def test_bce_with_logits_gradient_is_sigmoid_minus_target_also_at_zero():
    x = Tensor(np.array([0.0, 0.0, 1.5, -2.0, 1e4]), requires_grad=True)
    t = np.array([0.0, 1.0, 0.25, 0.5, 0.0])
    F.binary_cross_entropy_with_logits(x, t, "sum").backward()
    np.testing.assert_allclose(x.grad.data, 1 / (1 + np.exp(-x.data)) - t, rtol=1e-14)


def test_bce_with_logits_gradient_at_large_logits_is_sigmoid_minus_target():
    """No linear tail: at x = 25, sigmoid(x) - t is not 1 - t; at |x| = 1000 nothing overflows."""
    x = Tensor(np.array([25.0, -25.0, 1000.0, -1000.0, 0.0]), requires_grad=True)
    t = np.array([1.0, 0.0, 0.0, 1.0, 0.5])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss = F.binary_cross_entropy_with_logits(x, t, "none")
        loss.sum().backward()
    np.testing.assert_allclose(loss.data[2:], [1000.0, 1000.0, np.log(2)], rtol=1e-15)
    e = np.exp(-np.abs(x.data))  # a sigmoid that does not overflow either
    np.testing.assert_allclose(x.grad.data, np.where(x.data >= 0, 1, e) / (1 + e) - t, rtol=1e-14)
    assert x.grad.data[0] != 0.0 and x.grad.data[4] == 0.0  # sigmoid(25) - 1 = -1.4e-11; 0.5 - 0.5


def test_l1_gradient_is_zero_where_input_equals_target():
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    F.l1_loss(x, np.array([1.0, 1.0, 4.0]), "sum").backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 1.0, -1.0])


# --- first and second derivatives in float64 ------------------------------------------------------


LOSSES = {
    "mse_loss": (F.mse_loss, data),
    "l1_loss": (F.l1_loss, lambda: (data()[0], data()[0] + np.sign(data(5)[0]) * 0.5)),  # |x - t| >= 0.5
    "binary_cross_entropy": (F.binary_cross_entropy, probs),
    "binary_cross_entropy_with_logits": (F.binary_cross_entropy_with_logits,
                                         lambda: (data(6)[0] * 2, probs(6)[1])),
}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", list(LOSSES))
def test_elementwise_losses_gradcheck_and_gradgradcheck(name, reduction):
    fn, make = LOSSES[name]
    x, t = make()
    x = Tensor(x, requires_grad=True)
    t = Tensor(t, requires_grad=True)  # the target is differentiable too, as in PyTorch
    assert gradcheck(lambda a, b: fn(a, b, reduction), [x, t])
    assert gradgradcheck(lambda a, b: fn(a, b, reduction), [x, t])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss_gradcheck_and_gradgradcheck(reduction):
    x, _ = classes(n=4, k=3)
    t = np.array([2, -100, 0, 1])
    logp = Tensor(np_log_softmax(x), requires_grad=True)
    assert gradcheck(lambda a: F.nll_loss(a, t, reduction), [logp])
    xt = Tensor(x, requires_grad=True)
    assert gradgradcheck(lambda a: F.nll_loss(F.log_softmax(a), t, reduction), [xt])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_gradcheck_and_gradgradcheck(reduction):
    x, _ = classes(n=4, k=3)
    t = np.array([2, 1, -100, 0])
    x = Tensor(x, requires_grad=True)

    def loss(a):
        return F.cross_entropy(a, t, reduction, label_smoothing=0.2)

    assert gradcheck(loss, [x])
    assert gradgradcheck(loss, [x])


def test_cross_entropy_gradient_with_label_smoothing_is_p_minus_smoothed_target():
    x, t = classes(seed=7, n=4, k=5)
    xt = Tensor(x, requires_grad=True)
    (g,) = grad(F.cross_entropy(xt, t, label_smoothing=0.1), [xt])
    q = np.full((4, 5), 0.1 / 5)
    q[np.arange(4), t] += 0.9
    np.testing.assert_allclose(g.data, (np.exp(np_log_softmax(x)) - q) / 4, rtol=1e-12)


# --- dtypes and errors ----------------------------------------------------------------------------


def test_float32_stays_float32():
    x, t = data()
    x32, t32 = x.astype(np.float32), t.astype(np.float32)
    assert F.mse_loss(x32, t32).dtype == np.float32
    assert F.l1_loss(x32, t32).dtype == np.float32
    assert F.binary_cross_entropy_with_logits(x32, (t32 > 0).astype(np.float32)).dtype == np.float32
    p, q = probs()
    assert F.binary_cross_entropy(p.astype(np.float32), q.astype(np.float32)).dtype == np.float32
    c, k = classes()
    assert F.cross_entropy(c.astype(np.float32), k, label_smoothing=0.1).dtype == np.float32
    assert F.nll_loss(c.astype(np.float32), k).dtype == np.float32


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "binary_cross_entropy",
                                  "binary_cross_entropy_with_logits"])
def test_shape_mismatch_names_the_function_and_both_shapes(name):
    fn = getattr(F, name)
    with pytest.raises(ValueError, match=rf"^{name}: target shape \(3, 1\) differs from .*shape \(3,\)"):
        fn(np.full(3, 0.5), np.full((3, 1), 0.5))


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "binary_cross_entropy",
                                  "binary_cross_entropy_with_logits", "nll_loss", "cross_entropy"])
def test_bad_reduction_names_the_function(name):
    fn = getattr(F, name)
    args = (np.zeros((2, 3)), np.array([0, 1])) if name in ("nll_loss", "cross_entropy") else (
        np.full(2, 0.5), np.full(2, 0.5))
    with pytest.raises(ValueError, match=rf"^{name}: reduction must be 'mean', 'sum' or 'none', got 'avg'"):
        fn(*args, reduction="avg")


def test_class_target_errors():
    with pytest.raises(ValueError, match=r"^nll_loss: targets must be in \[0, 3\); got -1 at index 1 "
                                         r"\(ignore_index is -100\)"):
        F.nll_loss(np.zeros((2, 3)), [0, -1])
    with pytest.raises(ValueError, match=r"^cross_entropy: targets must be in \[0, 3\); got 3 at index 0"):
        F.cross_entropy(np.zeros((2, 3)), [3, -100])
    with pytest.raises(ValueError, match=r"^nll_loss: expected logits \(N, K\), got shape \(2, 3, 4\)"):
        F.nll_loss(np.zeros((2, 3, 4)), [0, 1])
    with pytest.raises(TypeError, match="^nll_loss: targets must be integer class indices"):
        F.nll_loss(np.zeros((2, 3)), [0.0, 1.0])
    with pytest.raises(ValueError, match=r"^cross_entropy: label_smoothing must be a number in \[0, 1\]"):
        F.cross_entropy(np.zeros((2, 3)), [0, 1], label_smoothing=1.5)


def test_bce_input_outside_0_1_is_an_error():
    with pytest.raises(ValueError, match=r"^binary_cross_entropy: all elements of input should be between "
                                         r"0 and 1, got 1.5 at flat index 2 \(input shape \(3,\)\)"):
        F.binary_cross_entropy(np.array([0.2, 0.3, 1.5]), np.zeros(3))


# --- against PyTorch, where it is installed ---------------------------------------------------------


def test_losses_match_torch():
    torch = pytest.importorskip("torch")
    tF = torch.nn.functional
    tt = torch.tensor
    x, t = classes(seed=8, n=6, k=4)
    t[1] = -100
    for reduction in REDUCTIONS:
        for eps in (0.0, 0.15):
            ours = F.cross_entropy(x, t, reduction, label_smoothing=eps).data
            theirs = tF.cross_entropy(tt(x), tt(t), reduction=reduction, label_smoothing=eps)
            np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-12)
        ours = F.nll_loss(np_log_softmax(x), t, reduction).data
        theirs = tF.nll_loss(tt(np_log_softmax(x)), tt(t), reduction=reduction)
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-12)
        a, b = data(9)
        for ours_fn, theirs_fn in ((F.mse_loss, tF.mse_loss), (F.l1_loss, tF.l1_loss)):
            np.testing.assert_allclose(ours_fn(a, b, reduction).data,
                                       theirs_fn(tt(a), tt(b), reduction=reduction).numpy(),
                                       rtol=1e-12)
        p, q = probs(10)
        p[0, 0], p[0, 1] = 0.0, 1.0
        np.testing.assert_allclose(F.binary_cross_entropy(p, q, reduction).data,
                                   tF.binary_cross_entropy(tt(p), tt(q), reduction=reduction).numpy(),
                                   rtol=1e-12)
        np.testing.assert_allclose(F.binary_cross_entropy_with_logits(a * 30, q, reduction).data,
                                   tF.binary_cross_entropy_with_logits(tt(a * 30), tt(q), reduction=reduction)
                                   .numpy(), rtol=1e-12)
