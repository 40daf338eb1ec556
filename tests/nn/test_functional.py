"""Tests for nn.functional: stable log-softmax and softmax, cross-entropy (first, second order), accuracy."""

import numpy as np
import pytest

import nn
from autograd import Tensor, grad, gradcheck, gradgradcheck
from nn import functional as F


def np_log_softmax(x, axis=-1):
    """The textbook formula in float64, shifted by the max (the reference)."""
    x = np.asarray(x, dtype=np.float64)
    z = x - x.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


def logits_and_targets(n=6, k=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, k)) * 3, rng.integers(0, k, size=n)


# --- log_softmax / softmax ------------------------------------------------------------------------


def test_log_softmax_is_exact_for_huge_logits():
    x = np.array([[1e4, 0.0, -1e4], [1e4, 1e4, 1e4], [-1e4, -1e4 - 1.0, -1e4 - 2.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # no overflow, not even hidden
        y = F.log_softmax(Tensor(x)).data
    assert np.all(np.isfinite(y))
    np.testing.assert_allclose(y[0], [0.0, -1e4, -2e4], rtol=0, atol=1e-9)
    np.testing.assert_allclose(y[1], [-np.log(3)] * 3, rtol=1e-15)
    lse = np.log1p(np.exp(-1.0) + np.exp(-2.0))
    np.testing.assert_allclose(y[2], [-lse, -1 - lse, -2 - lse], rtol=1e-14)


def test_log_softmax_float32_huge_logits():
    x = np.array([[1e4, 1e4 - 1, -1e4]], dtype=np.float32)
    y = F.log_softmax(Tensor(x))
    assert y.dtype == np.float32 and np.all(np.isfinite(y.data))
    np.testing.assert_allclose(y.data, np_log_softmax(x), atol=1e-6)


def test_log_softmax_gradient_is_finite_for_huge_logits():
    x = Tensor(np.array([[1e4, 0.0, -1e4]]), requires_grad=True)
    (F.log_softmax(x)[0, 1]).backward()  # d/dx_j log p_1 = [j == 1] - p_j
    np.testing.assert_allclose(x.grad.data, [[-1.0, 1.0, 0.0]], atol=1e-12)


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_log_softmax_and_softmax_match_numpy(axis):
    x = np.random.default_rng(1).standard_normal((3, 5)) * 4
    np.testing.assert_allclose(F.log_softmax(x, axis=axis).data, np_log_softmax(x, axis), rtol=1e-13)
    p = F.softmax(Tensor(x), axis=axis).data
    np.testing.assert_allclose(p, np.exp(np_log_softmax(x, axis)), rtol=1e-13)
    np.testing.assert_allclose(p.sum(axis=axis), 1.0, rtol=1e-15)
    assert np.all(p > 0)


def test_softmax_sums_to_one_for_huge_logits():
    p = F.softmax(Tensor(np.array([[1e4, 0.0, -1e4], [-1e4, -1e4, -1e4]]))).data
    np.testing.assert_allclose(p, [[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3]], atol=1e-15)
    np.testing.assert_allclose(p.sum(axis=-1), 1.0)


def test_softmax_gradient_sums_to_zero():
    x = Tensor(np.random.default_rng(2).standard_normal((2, 4)), requires_grad=True)
    (F.softmax(x) * Tensor(np.arange(8.0).reshape(2, 4))).sum().backward()
    # softmax is unchanged by adding a constant to a row, so each row of its gradient sums to 0
    np.testing.assert_allclose(x.grad.data.sum(axis=1), 0.0, atol=1e-12)
    assert np.abs(x.grad.data).max() > 0.1


def test_log_softmax_second_order():
    x = Tensor(np.random.default_rng(3).standard_normal((2, 3)), requires_grad=True)
    assert gradcheck(F.log_softmax, [x])
    assert gradgradcheck(F.log_softmax, [x])
    assert gradgradcheck(F.softmax, [x])


# --- cross_entropy --------------------------------------------------------------------------------


@pytest.mark.parametrize("as_type", [list, np.array, Tensor, lambda t: t.astype(np.uint8)])
def test_cross_entropy_equals_the_numpy_formula(as_type):
    logits, t = logits_and_targets()
    loss = F.cross_entropy(Tensor(logits), as_type(t) if as_type is not list else t.tolist())
    expected = -np.mean(np_log_softmax(logits)[np.arange(6), t])
    assert loss.shape == () and loss.item() == pytest.approx(expected, rel=1e-14)


def test_cross_entropy_reductions():
    logits, t = logits_and_targets()
    per_example = -np_log_softmax(logits)[np.arange(6), t]
    np.testing.assert_allclose(F.cross_entropy(logits, t, reduction="none").data, per_example, rtol=1e-14)
    assert F.cross_entropy(logits, t, reduction="sum").item() == pytest.approx(per_example.sum(), rel=1e-14)
    with pytest.raises(ValueError, match="reduction must be"):
        F.cross_entropy(logits, t, reduction="max")


def test_cross_entropy_of_uniform_logits_is_log_k():
    assert F.cross_entropy(np.zeros((3, 10)), [0, 5, 9]).item() == pytest.approx(np.log(10), rel=1e-15)


def test_cross_entropy_gradient_is_softmax_minus_onehot_over_n():
    logits, t = logits_and_targets()
    x = Tensor(logits, requires_grad=True)
    F.cross_entropy(x, t).backward()
    onehot = np.eye(4)[t]
    np.testing.assert_allclose(x.grad.data, (np.exp(np_log_softmax(logits)) - onehot) / 6, rtol=1e-12)


def test_cross_entropy_is_stable_for_huge_logits():
    x = Tensor(np.array([[1e4, -1e4], [0.0, 1e4]]), requires_grad=True)
    loss = F.cross_entropy(x, [1, 1])
    assert loss.item() == pytest.approx(1e4, rel=1e-12)  # (2e4 + 0) / 2
    loss.backward()
    np.testing.assert_allclose(x.grad.data, [[0.5, -0.5], [0.0, 0.0]], atol=1e-12)


def test_cross_entropy_gradcheck_and_gradgradcheck():
    logits, t = logits_and_targets(n=4, k=3, seed=4)
    x = Tensor(logits, requires_grad=True)
    assert gradcheck(lambda x: F.cross_entropy(x, t), [x])
    assert gradgradcheck(lambda x: F.cross_entropy(x, t), [x])


def test_cross_entropy_through_float64_layers_second_order():
    """d/dx and d^2/dx^2 of the loss of a small CNN (conv, tanh, avg pool, linear) in float64."""
    rng = np.random.default_rng(5)
    net = nn.Sequential(nn.Conv2d(1, 2, 3, rng=rng, dtype=np.float64), nn.Tanh(), nn.AvgPool2d(2),
                        nn.Flatten(), nn.Linear(2 * 2 * 2, 3, rng=rng, dtype=np.float64))
    x = Tensor(rng.standard_normal((2, 1, 6, 6)), requires_grad=True)
    t = np.array([0, 2])
    assert gradcheck(lambda x: F.cross_entropy(net(x), t), [x])
    assert gradgradcheck(lambda x: F.cross_entropy(net(x), t), [x])


def test_cross_entropy_hessian_vector_product():
    """The recorded gradient differentiates again: H v for the loss in the logits, against NumPy."""
    logits, t = logits_and_targets(n=3, k=4, seed=6)
    x = Tensor(logits, requires_grad=True)
    (g,) = grad(F.cross_entropy(x, t), [x], create_graph=True)
    v = np.random.default_rng(7).standard_normal((3, 4))
    (hv,) = grad((g * Tensor(v)).sum(), [x])
    p = np.exp(np_log_softmax(logits))
    # per row: H = (diag(p) - p p^T) / N, so H v = (p * v - p (p . v)) / N
    expected = (p * v - p * (p * v).sum(axis=1, keepdims=True)) / 3
    np.testing.assert_allclose(hv.data, expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(
    "logits_shape, targets, error, message",
    [
        ((4,), [0, 1, 2, 3], ValueError, r"expected logits \(N, K\), got shape \(4,\)"),
        ((2, 3, 4), [0, 1], ValueError, r"expected logits \(N, K\), got shape \(2, 3, 4\)"),
        ((3, 4), [0, 1], ValueError, r"expected targets \(3,\).*got shape \(2,\)"),
        ((3, 4), [[0], [1], [2]], ValueError, r"expected targets \(3,\).*got shape \(3, 1\)"),
        ((3, 4), [0.0, 1.0, 2.0], TypeError, "targets must be integer class indices, got dtype float64"),
        ((3, 4), [True, False, True], TypeError, "targets must be integer class indices, got dtype bool"),
        ((3, 4), [0, 4, 1], ValueError, r"targets must be in \[0, 4\); got 4 at index 1"),
        ((3, 4), [0, 1, -1], ValueError, r"targets must be in \[0, 4\); got -1 at index 2"),
        ((0, 4), np.zeros(0, np.int64), ValueError, "empty batch"),
    ],
)
def test_cross_entropy_errors(logits_shape, targets, error, message):
    with pytest.raises(error, match=f"^cross_entropy: {message}"):
        F.cross_entropy(np.zeros(logits_shape), targets)


# --- accuracy -------------------------------------------------------------------------------------


def test_accuracy():
    logits = np.array([[0.1, 0.9, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 5.0], [1.0, 1.0, 0.0]])
    acc = F.accuracy(Tensor(logits), [1, 0, 0, 1])
    assert type(acc) is float and acc == 0.5  # the tie in the last row goes to the first maximum
    assert F.accuracy(logits, np.array([1, 0, 2, 0])) == 1.0
    with pytest.raises(ValueError, match=r"^accuracy: targets must be in \[0, 3\)"):
        F.accuracy(logits, [1, 0, 3, 0])


# --- axis checks and 0-d inputs (issue 10) --------------------------------------------------------


@pytest.mark.parametrize("fn", [F.softmax, F.log_softmax])
def test_softmax_axis_is_checked_and_names_the_function(fn):
    x = Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match=rf"^{fn.__name__}: axis 5 is out of range for shape \(2, 3\)$"):
        fn(x, axis=5)
    # axis=None and tuples: over those axes together, as scipy.special.softmax
    np.testing.assert_allclose(fn(x, axis=None).data, fn(x, axis=(0, 1)).data)
    np.testing.assert_allclose(F.softmax(x, axis=None).data.sum(), 1.0)


def test_softmax_of_a_0d_tensor_is_one():
    x = Tensor(-7.0, requires_grad=True)
    assert F.softmax(x).item() == 1.0 and F.log_softmax(x).item() == 0.0
    F.log_softmax(x).backward()
    assert x.grad.item() == 0.0
