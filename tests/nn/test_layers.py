"""Tests for nn.layers against plain NumPy: shapes, values, gradients, initialisation, input checks."""

import math

import numpy as np
import pytest

import nn
from autograd import Tensor, gradcheck

F64 = {"dtype": np.float64}


def rng(seed=0):
    return np.random.default_rng(seed)


def np_correlate(x, w, b, stride=1, padding=0):
    """out[n, k, i, j] = sum_{c, a, b} w[k, c, a, b] * xp[n, c, S*i + a, S*j + b] + b[k], by loops."""
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    _, _, h, wd = xp.shape
    k, _, f1, f2 = w.shape
    h2, w2 = (h - f1) // stride + 1, (wd - f2) // stride + 1
    out = np.zeros((x.shape[0], k, h2, w2))
    for i in range(h2):
        for j in range(w2):
            patch = xp[:, :, i * stride: i * stride + f1, j * stride: j * stride + f2]
            out[:, :, i, j] = np.tensordot(patch, w, axes=([1, 2, 3], [1, 2, 3]))
    return out + b[None, :, None, None]


# --- Conv2d ---------------------------------------------------------------------------------------


def test_conv2d_seed_numbers():
    """The seed text: 5x5x3 filters, padding 2, on 128x128x3 give 128x128x32 = 524,288 outputs."""
    conv = nn.Conv2d(3, 32, 5, padding=2, rng=rng())
    assert conv.num_parameters() == 32 * 5 * 5 * 3 + 32 == 2_432
    assert conv.weight.shape == (32, 3, 5, 5) and conv.bias.shape == (32,)
    y = conv(np.zeros((1, 3, 128, 128), np.float32))
    assert y.shape == (1, 32, 128, 128) and y.size == 524_288
    assert y.dtype == np.float32


def test_conv2d_output_size_follows_the_formula():
    # 32x32x3, 5x5 filter, stride 2, no padding: floor((32 - 5) / 2) + 1 = 14 (not the seed's 16)
    assert nn.Conv2d(3, 1, 5, stride=2, rng=rng())(np.zeros((1, 3, 32, 32))).shape == (1, 1, 14, 14)


@pytest.mark.parametrize("stride, padding", [(1, 0), (2, 1), (3, 2)])
def test_conv2d_matches_numpy(stride, padding):
    conv = nn.Conv2d(2, 3, 3, stride=stride, padding=padding, rng=rng(1), **F64)
    x = rng(2).standard_normal((2, 2, 7, 8))
    expected = np_correlate(x, conv.weight.data, conv.bias.data, stride, padding)
    np.testing.assert_allclose(conv(Tensor(x)).data, expected, rtol=1e-12, atol=1e-12)


def test_conv2d_without_bias():
    conv = nn.Conv2d(2, 3, 3, bias=False, rng=rng(1), **F64)
    assert conv.bias is None and [n for n, _ in conv.named_parameters()] == ["weight"]
    x = rng(2).standard_normal((1, 2, 5, 5))
    np.testing.assert_allclose(conv(x).data, np_correlate(x, conv.weight.data, np.zeros(3)), atol=1e-12)
    assert repr(conv) == "Conv2d(2, 3, kernel_size=(3, 3), stride=(1, 1), bias=False)"


def numeric_grad(f, arr, eps=1e-6):
    """Central differences of the scalar f() with respect to every entry of `arr` (changed in place)."""
    out = np.zeros_like(arr)
    for i in np.ndindex(arr.shape):
        orig = arr[i]
        arr[i] = orig + eps
        plus = f()
        arr[i] = orig - eps
        minus = f()
        arr[i] = orig
        out[i] = (plus - minus) / (2 * eps)
    return out


def test_conv2d_gradients_against_finite_differences():
    conv = nn.Conv2d(2, 2, 3, stride=2, padding=1, rng=rng(3), **F64)
    x = Tensor(rng(4).standard_normal((2, 2, 5, 5)), requires_grad=True)
    g = rng(5).standard_normal((2, 2, 3, 3))

    def loss():
        return float(np.sum(conv(x).data * g))

    (conv(x) * Tensor(g)).sum().backward()
    for t in (x, conv.weight, conv.bias):
        np.testing.assert_allclose(t.grad.data, numeric_grad(loss, t.data), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize(
    "shape, message",
    [
        ((100, 3, 32, 32), r"^expected input \(N, 1, H, W\), got \(100, 3, 32, 32\)$"),
        ((1, 32, 32), r"^expected input \(N, 1, H, W\), got \(1, 32, 32\)$"),
        ((2, 1, 4, 9), r"^expected input \(N, 1, H, W\) with H >= 5 and W >= 5 .*got \(2, 1, 4, 9\)$"),
    ],
)
def test_conv2d_input_checks(shape, message):
    conv = nn.Conv2d(1, 6, 5, rng=rng())
    with pytest.raises(ValueError, match=message):
        conv.forward(np.zeros(shape, np.float32))
    with pytest.raises(ValueError, match="^Conv2d: expected input"):  # called as a module: named
        conv(np.zeros(shape, np.float32))


def test_conv2d_padding_lets_small_inputs_through():
    assert nn.Conv2d(1, 1, 5, padding=2, rng=rng())(np.zeros((1, 1, 1, 1))).shape == (1, 1, 1, 1)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"in_ch": 0}, ValueError, "in_ch must be an int >= 1, got 0"),
        ({"out_ch": 2.0}, ValueError, "out_ch must be an int >= 1"),
        ({"kernel_size": (3, 3, 3)}, ValueError, "kernel_size must be an int or a pair"),
        ({"stride": 0}, ValueError, "stride must be an int or a pair of ints, each >= 1"),
        ({"padding": -1}, ValueError, "padding must be an int or a pair of ints, each >= 0"),
        ({"rng": 0}, TypeError, r"rng must be a numpy.random.Generator or None, got int"),
        ({"dtype": np.int32}, TypeError, "dtype must be floating point, got int32"),
    ],
)
def test_conv2d_constructor_checks(kwargs, error, message):
    args = {"in_ch": 1, "out_ch": 2, "kernel_size": 3} | kwargs
    with pytest.raises(error, match=f"^Conv2d: {message}"):
        nn.Conv2d(**args)


# --- initialisation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make, fan_in",
    [
        (lambda r: nn.Conv2d(16, 120, 5, rng=r), 16 * 5 * 5),
        (lambda r: nn.Conv2d(3, 8, (3, 2), rng=r), 3 * 3 * 2),
        (lambda r: nn.Linear(120, 84, rng=r), 120),
    ],
)
def test_init_is_uniform_within_one_over_sqrt_fan_in(make, fan_in):
    layer = make(rng(0))
    bound = 1 / math.sqrt(fan_in)
    for p in (layer.weight, layer.bias):
        assert p.dtype == np.float32 and isinstance(p, nn.Parameter) and p.requires_grad
        assert bound * 0.75 < np.abs(p.data).max() <= bound * (1 + 1e-6)  # the bias too: fan_in, not fan_out
    w = layer.weight.data.astype(np.float64)
    sigma, n = bound / math.sqrt(3), w.size  # U(-bound, bound) has standard deviation bound / sqrt(3)
    assert np.abs(w).max() > 0.95 * bound  # fills the interval ...
    assert abs(w.mean()) < 4 * sigma / math.sqrt(n)  # ... symmetrically (within 4 standard errors) ...
    assert abs(w.std() - sigma) < 4 * sigma * math.sqrt(0.2 / n)  # ... with a uniform's spread


def test_init_is_reproducible_with_a_generator():
    a, b, c = nn.Linear(5, 4, rng=rng(7)), nn.Linear(5, 4, rng=rng(7)), nn.Linear(5, 4, rng=rng(8))
    assert np.array_equal(a.weight.data, b.weight.data) and np.array_equal(a.bias.data, b.bias.data)
    assert not np.array_equal(a.weight.data, c.weight.data)
    assert not np.array_equal(nn.Linear(5, 4).weight.data, nn.Linear(5, 4).weight.data)  # rng=None: fresh


def test_float64_layers():
    lin = nn.Linear(3, 2, rng=rng(), dtype=np.float64)
    assert lin.weight.dtype == np.float64 and lin.bias.dtype == np.float64
    # same draws as float32, before rounding
    np.testing.assert_allclose(nn.Linear(3, 2, rng=rng()).weight.data, lin.weight.data, rtol=1e-6)


# --- Linear ---------------------------------------------------------------------------------------


def test_linear_matches_numpy_forward_and_backward():
    lin = nn.Linear(4, 3, rng=rng(1), **F64)
    W, b = lin.weight.data, lin.bias.data
    assert W.shape == (3, 4) and b.shape == (3,)  # (out_f, in_f), as in PyTorch
    x = Tensor(rng(2).standard_normal((5, 4)), requires_grad=True)
    y = lin(x)
    np.testing.assert_allclose(y.data, x.data @ W.T + b, rtol=1e-13)
    g = rng(3).standard_normal((5, 3))
    y.backward(Tensor(g))
    np.testing.assert_allclose(lin.weight.grad.data, g.T @ x.data, rtol=1e-12)  # dL/dW = g^T x
    np.testing.assert_allclose(lin.bias.grad.data, g.sum(axis=0), rtol=1e-12)  # dL/db = sum_n g
    np.testing.assert_allclose(x.grad.data, g @ W, rtol=1e-12)  # dL/dx = g W


def test_linear_leading_axes_and_no_bias():
    lin = nn.Linear(4, 2, bias=False, rng=rng(1), **F64)
    x = rng(2).standard_normal((2, 3, 4))
    np.testing.assert_allclose(lin(x).data, x @ lin.weight.data.T, rtol=1e-13)
    assert lin.num_parameters() == 8
    assert repr(lin) == "Linear(in_features=4, out_features=2, bias=False)"


def test_linear_gradcheck():
    lin = nn.Linear(3, 2, rng=rng(1), **F64)
    x = Tensor(rng(2).standard_normal((4, 3)), requires_grad=True)
    assert gradcheck(lambda x: lin(x).tanh(), [x])


@pytest.mark.parametrize("shape", [(5, 3), (3,), ()])
def test_linear_input_check(shape):
    with pytest.raises(ValueError, match=r"^Linear: expected input \(N, 4\)") as info:
        nn.Linear(4, 2, rng=rng())(np.zeros(shape))
    assert str(info.value).endswith(f"got {shape}")


# --- pools and activations ------------------------------------------------------------------------


def test_pools_match_numpy():
    x = rng(5).standard_normal((2, 3, 6, 8))
    blocks = x.reshape(2, 3, 3, 2, 4, 2)  # 2x2 windows, stride 2
    np.testing.assert_allclose(nn.AvgPool2d(2)(x).data, blocks.mean(axis=(3, 5)), rtol=1e-13)
    np.testing.assert_allclose(nn.MaxPool2d(2)(x).data, blocks.max(axis=(3, 5)), rtol=0)
    # overlapping windows (stride 1): each output is the max of its 3x3 neighbourhood
    y = nn.MaxPool2d(3, stride=1)(x).data
    assert y.shape == (2, 3, 4, 6)
    assert y[1, 2, 1, 3] == x[1, 2, 1:4, 3:6].max()
    assert nn.AvgPool2d(2).stride == (2, 2) and nn.MaxPool2d(3, 1).stride == (1, 1)
    assert repr(nn.AvgPool2d(2)) == "AvgPool2d(kernel_size=(2, 2), stride=(2, 2))"


def test_pool_gradients():
    x = Tensor(rng(6).standard_normal((1, 2, 4, 4)), requires_grad=True)
    assert gradcheck(nn.AvgPool2d(2), [x])
    assert gradcheck(nn.MaxPool2d(2, 1), [x])


@pytest.mark.parametrize("pool", [nn.AvgPool2d, nn.MaxPool2d])
def test_pool_input_checks(pool):
    name = pool.__name__
    with pytest.raises(ValueError, match=rf"^{name}: expected input \(N, C, H, W\).*got \(2, 8, 8\)"):
        pool(2)(np.zeros((2, 8, 8)))
    with pytest.raises(ValueError, match=r"H >= 3 and W >= 3, got \(1, 1, 2, 5\)"):
        pool(3)(np.zeros((1, 1, 2, 5)))
    with pytest.raises(ValueError, match="kernel_size must be an int or a pair of ints, each >= 1"):
        pool(0)


def test_activations_and_flatten():
    x = np.array([[-2.0, 0.0, 0.5]])
    np.testing.assert_allclose(nn.Tanh()(x).data, np.tanh(x))
    np.testing.assert_array_equal(nn.ReLU()(x).data, [[0.0, 0.0, 0.5]])
    z = rng().standard_normal((3, 2, 4, 5))
    np.testing.assert_array_equal(nn.Flatten()(z).data, z.reshape(3, 40))
    assert nn.Flatten()(np.zeros((1, 6, 1, 1))).shape == (1, 6)  # the batch axis stays, even for N = 1
    assert nn.Flatten()(np.zeros((0, 2, 3))).shape == (0, 6)


# --- Sequential and Residual ----------------------------------------------------------------------


def test_sequential_names_indexing_and_forward():
    a, t, b = nn.Linear(3, 4, rng=rng(1), **F64), nn.Tanh(), nn.Linear(4, 2, rng=rng(2), **F64)
    seq = nn.Sequential(a, t, b)
    assert len(seq) == 3 and seq[0] is a and seq[-1] is b and list(seq) == [a, t, b]
    assert [n for n, _ in seq.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    head = seq[:2]
    assert isinstance(head, nn.Sequential) and list(head) == [a, t]
    x = rng(3).standard_normal((5, 3))
    h = np.tanh(x @ a.weight.data.T + a.bias.data)
    np.testing.assert_allclose(seq(x).data, h @ b.weight.data.T + b.bias.data, rtol=1e-13)
    with pytest.raises(IndexError):
        seq[3]
    with pytest.raises(TypeError, match="Sequential: argument 1 is a str, not a Module"):
        nn.Sequential(a, "tanh")


def test_residual_adds_the_identity():
    block = nn.Linear(3, 3, rng=rng(1), **F64)
    res = nn.Residual(block)
    assert [n for n, _ in res.named_parameters()] == ["block.weight", "block.bias"]
    x = Tensor(rng(2).standard_normal((4, 3)), requires_grad=True)
    y = res(x)
    W, b = block.weight.data, block.bias.data
    np.testing.assert_allclose(y.data, x.data + x.data @ W.T + b, rtol=1e-13)
    g = rng(3).standard_normal((4, 3))
    y.backward(Tensor(g))
    # the skip path adds the identity to the block's Jacobian: x_bar = g + g W
    np.testing.assert_allclose(x.grad.data, g + g @ W, rtol=1e-12)


def test_residual_with_a_zero_block_is_the_identity():
    conv = nn.Conv2d(2, 2, 3, padding=1, rng=rng(), **F64)
    conv.weight.data[...] = 0
    conv.bias.data[...] = 0
    x = rng(1).standard_normal((1, 2, 5, 5))
    np.testing.assert_array_equal(nn.Residual(conv)(x).data, x)


def test_residual_shape_change_is_an_error():
    res = nn.Residual(nn.Sequential(nn.Conv2d(2, 4, 3, rng=rng())))
    with pytest.raises(ValueError, match=r"^Residual: block changed the shape from \(1, 2, 5, 5\) "
                                         r"to \(1, 4, 3, 3\)"):
        res(np.zeros((1, 2, 5, 5)))
    with pytest.raises(TypeError, match="block must be a Module"):
        nn.Residual(lambda x: x)
