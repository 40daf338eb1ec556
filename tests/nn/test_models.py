"""Tests for nn.models: LeNet-5 as the seed text describes it, the residual CNN, and a short training run."""

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

import nn
from autograd import Tensor, dotcheck, no_grad
from nn import data
from nn import functional as F

LENET_SHAPES = [
    ("conv1.weight", (6, 1, 5, 5)), ("conv1.bias", (6,)),
    ("conv2.weight", (16, 6, 5, 5)), ("conv2.bias", (16,)),
    ("conv3.weight", (120, 16, 5, 5)), ("conv3.bias", (120,)),
    ("fc1.weight", (84, 120)), ("fc1.bias", (84,)),
    ("fc2.weight", (10, 84)), ("fc2.bias", (10,)),
]


def np_lenet(state, x):
    """LeNet-5 written out in NumPy from the seed text, reading the weights from a state_dict."""

    def conv(x, w, b):  # valid cross-correlation, stride 1
        win = sliding_window_view(x, w.shape[2:], axis=(2, 3))  # (N, C, H2, W2, F, F)
        return np.einsum("nchwij,kcij->nkhw", win, w) + b[None, :, None, None]

    def avg_pool(x):  # 2x2, stride 2
        n, c, h, w = x.shape
        return x.reshape(n, c, h // 2, 2, w // 2, 2).mean(axis=(3, 5))

    s = {k: v.astype(np.float64) for k, v in state.items()}
    h = avg_pool(np.tanh(conv(x, s["conv1.weight"], s["conv1.bias"])))
    h = avg_pool(np.tanh(conv(h, s["conv2.weight"], s["conv2.bias"])))
    h = np.tanh(conv(h, s["conv3.weight"], s["conv3.bias"])).reshape(len(x), 120)
    h = np.tanh(h @ s["fc1.weight"].T + s["fc1.bias"])
    return h @ s["fc2.weight"].T + s["fc2.bias"]


@pytest.fixture(scope="module")
def digits():
    return data.load_digits()


# --- LeNet-5 --------------------------------------------------------------------------------------


def test_lenet5_parameters():
    model = nn.LeNet5(seed=0)
    assert [(n, p.shape) for n, p in model.named_parameters()] == LENET_SHAPES
    assert model.num_parameters() == 61_706
    assert all(p.dtype == np.float32 for p in model.parameters())


def test_lenet5_maps_a_batch_of_100_to_logits():
    x = np.random.default_rng(0).standard_normal((100, 1, 32, 32)).astype(np.float32)
    y = nn.LeNet5(seed=0)(x)
    assert y.shape == (100, 10) and y.dtype == np.float32


def test_lenet5_is_the_seed_architecture():
    model = nn.LeNet5(seed=1, dtype=np.float64)
    x = np.random.default_rng(1).standard_normal((3, 1, 32, 32))
    np.testing.assert_allclose(model(x).data, np_lenet(model.state_dict(), x), rtol=1e-10, atol=1e-12)


def test_lenet5_is_reproducible_with_a_seed():
    a, b, c = nn.LeNet5(seed=0).state_dict(), nn.LeNet5(seed=0).state_dict(), nn.LeNet5(seed=1).state_dict()
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not any(np.array_equal(a[k], c[k]) for k in a)
    assert not np.array_equal(nn.LeNet5().conv1.weight.data, nn.LeNet5().conv1.weight.data)
    # one generator runs through all layers: a layer does not restart the stream (same draws rescaled)
    u1 = a["conv1.weight"].ravel()[:10] * np.sqrt(25)  # U(-1, 1) draws: weight * sqrt(fan_in)
    u2 = a["conv2.weight"].ravel()[:10] * np.sqrt(150)
    assert np.abs(u1).max() <= 1 + 1e-6 and np.abs(u2).max() <= 1 + 1e-6
    assert not np.allclose(u1, u2)


@pytest.mark.parametrize(
    "shape, where, expected",
    [
        ((100, 3, 32, 32), "LeNet5.conv1", "(N, 1, H, W)"),
        ((100, 32, 32), "LeNet5.conv1", "(N, 1, H, W)"),
        ((100, 1, 28, 28), "LeNet5", "(N, 1, 32, 32)"),
    ],
)
def test_lenet5_wrong_input_names_the_layer_and_both_shapes(shape, where, expected):
    with pytest.raises(ValueError) as info:
        nn.LeNet5(seed=0)(np.zeros(shape, np.float32))
    assert str(info.value) == f"{where}: expected input {expected}, got {shape}"


def test_lenet5_input_gradient_dot_product_test():
    model = nn.LeNet5(seed=2, dtype=np.float64)
    x = Tensor(np.random.default_rng(2).standard_normal((2, 1, 32, 32)), requires_grad=True)
    assert dotcheck(lambda x: F.cross_entropy(model(x), [3, 7]), [x], trials=1)


# --- ResidualCNN ----------------------------------------------------------------------------------


def test_residual_cnn():
    model = nn.ResidualCNN(seed=0)
    assert isinstance(model.res1, nn.Residual)
    names = [n for n, _ in model.named_parameters()]
    assert names == ["conv1.weight", "conv1.bias", "res1.block.0.weight", "res1.block.0.bias",
                     "res1.block.2.weight", "res1.block.2.bias", "fc.weight", "fc.bias"]
    assert model.num_parameters() == (8 * 25 + 8) + 2 * (8 * 8 * 9 + 8) + (392 * 10 + 10) == 5_306
    assert model(np.zeros((4, 1, 32, 32), np.float32)).shape == (4, 10)
    a, b = nn.ResidualCNN(seed=3).state_dict(), nn.ResidualCNN(seed=3).state_dict()
    assert all(np.array_equal(a[k], b[k]) for k in a)
    with pytest.raises(ValueError, match=r"^ResidualCNN\.conv1: expected input \(N, 1, H, W\)"):
        model(np.zeros((4, 2, 32, 32)))


def test_residual_cnn_skip_path_reaches_the_first_layer():
    """With the residual block's weights at zero the block passes x through unchanged, and the first
    layer still gets a gradient: the skip connection carries it past the block."""
    model = nn.ResidualCNN(seed=0)
    for p in model.res1.parameters():
        p.data[...] = 0
    x = np.random.default_rng(0).standard_normal((2, 1, 32, 32)).astype(np.float32)
    F.cross_entropy(model(x), [1, 2]).backward()
    assert np.abs(model.conv1.weight.grad.data).max() > 1e-4


# --- training -------------------------------------------------------------------------------------


def _full_loss(model, x, y):
    with no_grad():
        logits = model(x)
        return F.cross_entropy(logits, y).item(), F.accuracy(logits, y)


@pytest.mark.parametrize("make", [lambda: nn.LeNet5(seed=0), lambda: nn.ResidualCNN(seed=0)],
                         ids=["LeNet5", "ResidualCNN"])
def test_short_training_run_lowers_the_loss(digits, make):
    x_train, y_train, _, _ = digits
    x, y = x_train[:512], y_train[:512]
    model = make()
    opt = nn.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss0, acc0 = _full_loss(model, x, y)
    assert 2.0 < loss0 < 3.0 and acc0 < 0.25  # near log(10) = 2.30 and chance at the start
    rng = np.random.default_rng(0)
    for _ in range(3):  # 3 epochs of 8 batches of 64
        for xb, yb in data.batches(x, y, 64, rng=rng):
            opt.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
    loss1, acc1 = _full_loss(model, x, y)
    assert loss1 < 0.6 * loss0 and acc1 > 0.5
