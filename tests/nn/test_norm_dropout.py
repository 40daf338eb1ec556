"""Tests for Dropout and BatchNorm1d/2d: training and evaluation behaviour against NumPy transcriptions
of PyTorch's definitions, running statistics, buffers in state_dict and files, first and second order."""

import numpy as np
import pytest

import nn
from autograd import Tensor, grad, gradcheck, gradgradcheck
from nn import functional as F
from nn.stateless import functional_call

# --- NumPy references -----------------------------------------------------------------------------


def np_batch_norm_train(x, weight, bias, eps=1e-5):
    axes = (0, *range(2, x.ndim))
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    mu = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)  # biased
    return (x - mu) / np.sqrt(var + eps) * weight.reshape(shape) + bias.reshape(shape)


def np_batch_norm_eval(x, mean, var, weight, bias, eps=1e-5):
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    r = lambda v: v.reshape(shape)  # noqa: E731
    return (x - r(mean)) / np.sqrt(r(var) + eps) * r(weight) + r(bias)


def np_running(batches, momentum=0.1):
    """PyTorch's update: running = (1 - m) running + m batch, unbiased variance; m = 1/k if None."""
    c = batches[0].shape[1]
    mean, var = np.zeros(c), np.ones(c)
    for k, x in enumerate(batches, start=1):
        axes = (0, *range(2, x.ndim))
        m = 1 / k if momentum is None else momentum
        mean = (1 - m) * mean + m * x.mean(axis=axes)
        var = (1 - m) * var + m * x.var(axis=axes, ddof=1)
    return mean, var


def batch(shape, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(shape) * 2 + 0.5


SHAPES = {"BatchNorm1d": [(5, 3), (4, 3, 6)], "BatchNorm2d": [(3, 3, 4, 5)]}
CASES = [(layer, shape) for layer, shapes in SHAPES.items() for shape in shapes]


# --- Dropout --------------------------------------------------------------------------------------


def test_dropout_training_zeroes_and_scales():
    x = np.arange(1.0, 1001.0)
    y = nn.Dropout(0.25, rng=0)(x).data
    kept = y != 0
    np.testing.assert_allclose(y[kept], x[kept] / 0.75, rtol=1e-15)
    assert 0.2 < 1 - kept.mean() < 0.3


def test_dropout_same_seed_same_masks_and_masks_change_per_call():
    x = np.ones((4, 50))
    a, b = nn.Dropout(0.5, rng=7), nn.Dropout(0.5, rng=np.random.default_rng(7))
    first, second = a(x).data, a(x).data
    np.testing.assert_array_equal(first, b(x).data)  # an int seed and a Generator of it agree
    np.testing.assert_array_equal(second, b(x).data)
    assert not np.array_equal(first, second)  # the generator moves on


def test_dropout_preserves_the_mean_in_expectation():
    x = np.full(200_000, 3.0)
    for p in (0.1, 0.5, 0.8):
        y = F.dropout(x, p, rng=1).data
        assert abs(y.mean() - 3.0) < 0.05
        assert abs((y == 0).mean() - p) < 0.01


def test_dropout_eval_is_identity_and_p_edge_cases():
    x = Tensor(np.random.default_rng(0).standard_normal((3, 4)), requires_grad=True)
    layer = nn.Dropout(0.9, rng=0).eval()
    assert layer(x) is x
    assert nn.Dropout(0.0, rng=0)(x) is x
    y = nn.Dropout(1.0, rng=0)(x)  # p = 1: zeros, as PyTorch, with a zero gradient
    np.testing.assert_array_equal(y.data, np.zeros((3, 4)))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.zeros((3, 4)))


def test_dropout_gradient_is_the_constant_mask():
    x = Tensor(np.random.default_rng(0).uniform(1, 2, (5, 6)), requires_grad=True)
    y = F.dropout(x, 0.4, rng=3)
    (g,) = grad(y.sum(), [x])
    np.testing.assert_allclose(g.data, np.where(y.data != 0, 1 / 0.6, 0.0), rtol=1e-15)
    assert gradcheck(lambda a: F.dropout(a, 0.4, rng=3), [x])  # the same seed: the same mask every call
    assert gradgradcheck(lambda a: F.dropout(a, 0.4, rng=3) * a, [x])


def test_dropout_keeps_float32_and_checks_arguments():
    assert F.dropout(np.ones(8, np.float32), 0.5, rng=0).dtype == np.float32
    for p in (-0.1, 1.5, "0.5", True):
        with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
            nn.Dropout(p)
    with pytest.raises(TypeError, match="Dropout: rng must be None, an int seed or a numpy.random.Generator"):
        nn.Dropout(0.5, rng=np.random.RandomState(0))
    assert repr(nn.Dropout(0.3)) == "Dropout(p=0.3)"


# --- BatchNorm: values ----------------------------------------------------------------------------


@pytest.mark.parametrize("layer, shape", CASES)
def test_batch_norm_training_uses_batch_statistics(layer, shape):
    bn = getattr(nn, layer)(3, dtype=np.float64)
    rng = np.random.default_rng(1)
    bn.weight.data = rng.uniform(0.5, 2, 3)
    bn.bias.data = rng.standard_normal(3)
    x = batch(shape)
    np.testing.assert_allclose(bn(x).data, np_batch_norm_train(x, bn.weight.data, bn.bias.data), rtol=1e-12,
                               atol=1e-13)


@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
@pytest.mark.parametrize("layer, shape", CASES)
def test_running_statistics_after_steps_and_eval_uses_them(layer, shape, momentum):
    bn = getattr(nn, layer)(3, momentum=momentum, dtype=np.float64)
    batches = [batch(shape, seed) for seed in range(3)]
    for x in batches:
        bn(x)
    mean, var = np_running(batches, momentum)
    np.testing.assert_allclose(bn.running_mean.data, mean, rtol=1e-13)
    np.testing.assert_allclose(bn.running_var.data, var, rtol=1e-13)
    assert bn.num_batches_tracked.item() == 3 and bn.num_batches_tracked.dtype == np.int64
    bn.eval()
    x = batch(shape, seed=9)
    expected = np_batch_norm_eval(x, mean, var, bn.weight.data, bn.bias.data)
    np.testing.assert_allclose(bn(x).data, expected, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(bn.running_mean.data, mean, rtol=1e-13)  # eval does not update
    assert bn.num_batches_tracked.item() == 3


def test_eval_output_per_sample_does_not_depend_on_the_batch():
    bn = nn.BatchNorm1d(3, dtype=np.float64)
    bn(batch((6, 3)))
    bn.eval()
    x = batch((4, 3), seed=2)
    np.testing.assert_allclose(bn(x[:1]).data, bn(x).data[:1], rtol=1e-15)


def test_without_running_statistics_eval_uses_batch_statistics():
    bn = nn.BatchNorm2d(3, track_running_stats=False, dtype=np.float64).eval()
    assert bn.running_mean is None and list(bn.state_dict()) == ["weight", "bias"]
    x = batch((2, 3, 3, 3))
    np.testing.assert_allclose(bn(x).data, np_batch_norm_train(x, np.ones(3), np.zeros(3)), atol=1e-13)


def test_affine_false_has_no_parameters():
    bn = nn.BatchNorm1d(4, affine=False)
    assert list(bn.parameters()) == [] and bn.weight is None
    assert list(bn.state_dict()) == ["running_mean", "running_var", "num_batches_tracked"]
    x = batch((5, 4))
    np.testing.assert_allclose(bn(x).data, np_batch_norm_train(x, np.ones(4), np.zeros(4)), atol=1e-5)


def test_float32_stays_float32():
    bn = nn.BatchNorm2d(2)
    y = bn(batch((2, 2, 3, 3)).astype(np.float32))
    assert y.dtype == np.float32 and bn.running_var.dtype == np.float32
    assert bn.eval()(batch((2, 2, 3, 3)).astype(np.float32)).dtype == np.float32


# --- BatchNorm: derivatives -----------------------------------------------------------------------


@pytest.mark.parametrize("layer, shape", [("BatchNorm1d", (4, 2)), ("BatchNorm1d", (2, 2, 3)),
                                          ("BatchNorm2d", (2, 2, 2, 2))])
def test_batch_norm_training_gradcheck_and_gradgradcheck(layer, shape):
    bn = getattr(nn, layer)(2, dtype=np.float64)
    rng = np.random.default_rng(3)
    x = Tensor(batch(shape, 4), requires_grad=True)
    w = Tensor(rng.uniform(0.5, 2, 2), requires_grad=True)
    b = Tensor(rng.standard_normal(2), requires_grad=True)

    def f(x, w, b):
        return functional_call(bn, {"weight": w, "bias": b}, x)

    assert gradcheck(f, [x, w, b])
    assert gradgradcheck(f, [x, w, b])


def test_batch_norm_eval_gradcheck():
    bn = nn.BatchNorm2d(2, dtype=np.float64)
    bn(batch((3, 2, 2, 2)))
    bn.eval()
    x = Tensor(batch((2, 2, 2, 2), 1), requires_grad=True)
    assert gradcheck(bn, [x])
    (g,) = grad(bn(x).sum(), [x])  # eval is affine in x: the gradient is weight / sqrt(running_var + eps)
    np.testing.assert_allclose(g.data[0, :, 0, 0], 1 / np.sqrt(bn.running_var.data + 1e-5), rtol=1e-12)


def test_batch_norm_training_gradient_sums_to_zero_per_channel():
    """y is invariant to shifting a channel of x, so dL/dx sums to 0 over each channel."""
    bn = nn.BatchNorm2d(3, dtype=np.float64)
    x = Tensor(batch((2, 3, 4, 4)), requires_grad=True)
    (g,) = grad((bn(x) * Tensor(batch((2, 3, 4, 4), 5))).sum(), [x])
    np.testing.assert_allclose(g.data.sum(axis=(0, 2, 3)), 0, atol=1e-12)


# --- BatchNorm: errors, state ---------------------------------------------------------------------


def test_batch_norm_errors():
    with pytest.raises(ValueError, match=r"^BatchNorm2d: expected input \(N, 3, H, W\), got \(2, 3, 4\)"):
        nn.BatchNorm2d(3)(np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match=r"^BatchNorm1d: expected input \(N, 3\) or \(N, 3, L\), "
                                         r"got \(2, 4\)"):
        nn.BatchNorm1d(3)(np.zeros((2, 4)))
    bn = nn.BatchNorm1d(3)
    with pytest.raises(ValueError, match="expected more than 1 value per channel when training"):
        bn(np.zeros((1, 3)))
    assert bn.num_batches_tracked.item() == 0  # a failed call changes nothing
    bn.eval()(np.zeros((1, 3)))  # fine in eval
    with pytest.raises(ValueError, match="num_features must be an int >= 1"):
        nn.BatchNorm1d(0)
    with pytest.raises(ValueError, match=r"momentum must be a number in \[0, 1\] or None"):
        nn.BatchNorm1d(2, momentum=2)


def test_batch_norm_state_dict_round_trips_through_files(tmp_path):
    src = nn.BatchNorm2d(3)
    for seed in range(2):
        src(batch((2, 3, 2, 2), seed).astype(np.float32))
    state = src.state_dict()
    assert list(state) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert [n for n, _ in src.named_parameters()] == ["weight", "bias"]
    nn.save(src, tmp_path / "bn.npz")
    dst = nn.BatchNorm2d(3)
    nn.load(dst, tmp_path / "bn.npz")
    for name, value in dst.state_dict().items():
        np.testing.assert_array_equal(value, state[name])
        assert value.dtype == state[name].dtype
    assert dst.num_batches_tracked.item() == 2
    x = batch((2, 3, 2, 2), 7).astype(np.float32)
    np.testing.assert_array_equal(src.eval()(x).data, dst.eval()(x).data)


def test_batch_norm_repr():
    assert repr(nn.BatchNorm1d(4, momentum=None)) == \
        "BatchNorm1d(4, eps=1e-05, momentum=None, affine=True, track_running_stats=True)"


# --- both in a model --------------------------------------------------------------------------------


def test_model_with_batch_norm_and_dropout_switches_modes():
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(4, 6, rng=rng, dtype=np.float64), nn.BatchNorm1d(6, dtype=np.float64),
                          nn.ReLU(), nn.Dropout(0.5, rng=1), nn.Linear(6, 2, rng=rng, dtype=np.float64))
    x = batch((8, 4))
    assert not np.array_equal(model(x).data, model(x).data)  # dropout and batch statistics: training
    model.eval()
    assert not any(m.training for m in model.modules())
    np.testing.assert_array_equal(model(x).data, model(x).data)  # deterministic in eval
    np.testing.assert_allclose(model(x[:3]).data, model(x).data[:3], rtol=1e-14)
    assert model.train() is model and all(m.training for m in model.modules())
    names = [n for n, _ in model.named_buffers()]
    assert names == ["1.running_mean", "1.running_var", "1.num_batches_tracked"]
    loss = F.cross_entropy(model(x), np.arange(8) % 2)
    loss.backward()
    assert all(p.grad is not None for p in model.parameters())


# --- against PyTorch, where it is installed ---------------------------------------------------------


def test_batch_norm_matches_torch():
    torch = pytest.importorskip("torch")
    ours = nn.BatchNorm2d(3, momentum=0.2, dtype=np.float64)
    theirs = torch.nn.BatchNorm2d(3, momentum=0.2).double()
    for seed in range(3):
        x = batch((4, 3, 2, 3), seed)
        np.testing.assert_allclose(ours(x).data, theirs(torch.tensor(x)).detach().numpy(), rtol=1e-10,
                                   atol=1e-12)
    for name, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[name], value.numpy(), rtol=1e-12)
    x = batch((2, 3, 2, 3), 9)
    np.testing.assert_allclose(ours.eval()(x).data, theirs.eval()(torch.tensor(x)).detach().numpy(),
                               rtol=1e-10)


def test_buffers_keep_their_identity_across_steps_and_reset():
    bn = nn.BatchNorm1d(2, dtype=np.float64)
    mean, count = bn.running_mean, bn.num_batches_tracked
    bn(batch((4, 2)))
    assert bn.running_mean is mean and bn.num_batches_tracked is count and count.item() == 1
    bn.reset_running_stats()
    assert bn.running_mean is mean and count.item() == 0
    np.testing.assert_array_equal(mean.data, np.zeros(2))
