"""Pooling with padding and correlate2d with groups: values against loops, gradient checks, errors, layers."""

import numpy as np
import pytest

import nn
from autograd import Tensor, avg_pool2d, correlate2d, gradcheck, gradgradcheck, max_pool2d


def _distinct(shape, seed=0):
    """Values without ties, so the max is differentiable."""
    rng = np.random.default_rng(seed)
    return rng.permutation(int(np.prod(shape))).reshape(shape) / 7.0 - 1.0


def loop_pool_padded(x, kernel, stride, padding, reduce, fill):
    """Pool a copy of x padded by `fill` on H and W, one window at a time."""
    n, c, h, w = x.shape
    xp = np.full((n, c, h + 2 * padding[0], w + 2 * padding[1]), fill, dtype=np.float64)
    xp[:, :, padding[0]: padding[0] + h, padding[1]: padding[1] + w] = x
    h2 = (h + 2 * padding[0] - kernel[0]) // stride[0] + 1
    w2 = (w + 2 * padding[1] - kernel[1]) // stride[1] + 1
    out = np.zeros((n, c, h2, w2))
    for i in range(h2):
        for j in range(w2):
            win = xp[:, :, i * stride[0]: i * stride[0] + kernel[0], j * stride[1]: j * stride[1] + kernel[1]]
            out[:, :, i, j] = reduce(win, axis=(2, 3))
    return out


def loop_correlate_grouped(x, w, groups, stride=1, padding=0):
    n, c, h, wd = x.shape
    k, cg, f1, f2 = w.shape
    kg = k // groups
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    h2, w2 = (h + 2 * padding - f1) // stride + 1, (wd + 2 * padding - f2) // stride + 1
    out = np.zeros((n, k, h2, w2))
    for b in range(n):
        for f in range(k):
            g = f // kg
            for i in range(h2):
                for j in range(w2):
                    r, q = i * stride, j * stride
                    out[b, f, i, j] = (xp[b, g * cg: (g + 1) * cg, r: r + f1, q: q + f2] * w[f]).sum()
    return out


POOL_CASES = [  # (shape, kernel, stride, padding)
    ((2, 3, 5, 5), 3, 2, 1),
    ((1, 2, 4, 6), 2, 2, 1),
    ((1, 1, 5, 7), (3, 4), (1, 2), (1, 2)),
    ((2, 1, 3, 3), 3, 1, 1),
    ((1, 1, 4, 4), 2, None, (0, 1)),
]


# --- pooling with padding --------------------------------------------------------------------------


@pytest.mark.parametrize(("shape", "kernel", "stride", "padding"), POOL_CASES)
@pytest.mark.parametrize(("pool", "reduce", "fill"),
                         [(avg_pool2d, np.mean, 0.0), (max_pool2d, np.max, -np.inf)])
def test_padded_pool_values_match_loops(shape, kernel, stride, padding, pool, reduce, fill):
    x = _distinct(shape) - 5.0  # all negative: a zero padding would win a max
    k = (kernel, kernel) if isinstance(kernel, int) else kernel
    s = k if stride is None else ((stride, stride) if isinstance(stride, int) else stride)
    p = (padding, padding) if isinstance(padding, int) else padding
    y = pool(Tensor(x), kernel, stride, padding)
    expected = loop_pool_padded(x, k, s, p, reduce, fill)
    assert y.shape == expected.shape
    np.testing.assert_allclose(y.data, expected, atol=1e-12)


def test_avg_pool_counts_the_zero_padding():
    y = avg_pool2d(Tensor(np.ones((1, 1, 2, 2))), 2, 1, padding=1)
    np.testing.assert_allclose(y.data[0, 0], [[0.25, 0.5, 0.25], [0.5, 1.0, 0.5], [0.25, 0.5, 0.25]])


def test_max_pool_padding_never_wins():
    y = max_pool2d(Tensor(np.full((1, 1, 2, 2), -3.0)), 2, 1, padding=1)
    np.testing.assert_array_equal(y.data, np.full((1, 1, 3, 3), -3.0))


def test_no_padding_takes_the_existing_path():
    x = Tensor(_distinct((1, 1, 4, 4)), requires_grad=True)
    assert max_pool2d(x, 2, padding=0).parents == (x,)
    assert avg_pool2d(x, 2, padding=(0, 0)).parents == (x,)
    assert max_pool2d(x, 2, padding=1).parents[0].op == "pad"


@pytest.mark.parametrize(("shape", "kernel", "stride", "padding"), POOL_CASES)
@pytest.mark.parametrize("pool", [avg_pool2d, max_pool2d])
def test_padded_pool_gradcheck_and_gradgradcheck(shape, kernel, stride, padding, pool):
    x = Tensor(_distinct(shape, 1), requires_grad=True, name="x")

    def f(x):
        return pool(x, kernel, stride, padding)

    assert gradcheck(f, [x])
    assert gradgradcheck(f, [x])


@pytest.mark.parametrize("pool", [avg_pool2d, max_pool2d])
def test_padded_pool_float32_stays_float32(pool):
    x = Tensor(_distinct((2, 2, 4, 4)).astype(np.float32), requires_grad=True)
    y = pool(x, 3, 2, padding=1)
    assert y.dtype == np.float32 and y.shape == (2, 2, 2, 2)
    y.sum().backward()
    assert x.grad.dtype == np.float32


@pytest.mark.parametrize("pool", [avg_pool2d, max_pool2d])
@pytest.mark.parametrize(("kernel", "padding", "words"), [
    (2, 2, ["padding (2, 2)", "half of kernel_size (2, 2)"]),
    ((3, 2), (1, 2), ["padding (1, 2)", "kernel_size (3, 2)"]),
    (2, -1, ["padding"]),
])
def test_padded_pool_errors_name_the_op_and_values(pool, kernel, padding, words):
    with pytest.raises(ValueError) as info:
        pool(Tensor(np.ones((1, 1, 4, 4))), kernel, 1, padding)
    assert pool.__name__ in str(info.value)
    for word in words:
        assert word in str(info.value)


def test_max_pool_padding_on_integers():
    x = np.arange(-8, 8).reshape(1, 1, 4, 4)
    y = max_pool2d(Tensor(x), 3, 2, 1)
    np.testing.assert_array_equal(y.data, loop_pool_padded(x, (3, 3), (2, 2), (1, 1), np.max, -np.inf))


# --- correlate2d with groups -----------------------------------------------------------------------


GROUP_CASES = [  # (x shape, w shape, groups, stride, padding)
    ((2, 4, 6, 6), (6, 2, 3, 3), 2, 1, 0),     # groups=2
    ((1, 4, 7, 7), (4, 2, 3, 3), 2, 2, 1),
    ((2, 3, 5, 5), (3, 1, 3, 3), 3, 1, 1),     # depthwise
    ((1, 3, 6, 6), (6, 1, 2, 2), 3, 2, 0),     # depthwise with a channel multiplier of 2
]


@pytest.mark.parametrize(("xs", "ws", "groups", "stride", "padding"), GROUP_CASES)
def test_grouped_values_match_loops(xs, ws, groups, stride, padding):
    rng = np.random.default_rng(2)
    x, w, b = rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])
    y = correlate2d(Tensor(x), Tensor(w), Tensor(b), stride=stride, padding=padding, groups=groups)
    expected = loop_correlate_grouped(x, w, groups, stride, padding) + b[None, :, None, None]
    np.testing.assert_allclose(y.data, expected, atol=1e-12)


def test_groups_one_takes_the_existing_path():
    rng = np.random.default_rng(3)
    x = Tensor(rng.standard_normal((1, 2, 5, 5)), requires_grad=True)
    w = Tensor(rng.standard_normal((3, 2, 3, 3)), requires_grad=True)
    y = correlate2d(x, w, groups=1)
    assert y.op == "correlate2d" and y.parents == (x, w)


@pytest.mark.parametrize(("xs", "ws", "groups", "stride", "padding"), GROUP_CASES)
def test_grouped_gradcheck_and_gradgradcheck(xs, ws, groups, stride, padding):
    rng = np.random.default_rng(4)
    x = Tensor(rng.standard_normal(xs), requires_grad=True, name="x")
    w = Tensor(rng.standard_normal(ws), requires_grad=True, name="w")
    b = Tensor(rng.standard_normal(ws[0]), requires_grad=True, name="b")

    def f(x, w, b):
        return correlate2d(x, w, b, stride=stride, padding=padding, groups=groups)

    assert gradcheck(f, [x, w, b])
    assert gradgradcheck(f, [x, w, b])


def test_grouped_float32_stays_float32():
    rng = np.random.default_rng(5)
    x = Tensor(rng.standard_normal((2, 4, 5, 5)).astype(np.float32), requires_grad=True)
    w = Tensor(rng.standard_normal((4, 1, 3, 3)).astype(np.float32), requires_grad=True)
    b = Tensor(np.zeros(4, dtype=np.float32), requires_grad=True)
    y = correlate2d(x, w, b, padding=1, groups=4)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == w.grad.dtype == b.grad.dtype == np.float32


@pytest.mark.parametrize(("xs", "ws", "kwargs", "words"), [
    ((1, 3, 5, 5), (4, 1, 3, 3), {"groups": 2}, ["correlate2d", "groups=2", "(1, 3, 5, 5)", "(4, 1, 3, 3)"]),
    ((1, 4, 5, 5), (3, 2, 3, 3), {"groups": 2}, ["correlate2d", "groups=2", "(1, 4, 5, 5)", "(3, 2, 3, 3)"]),
    ((1, 4, 5, 5), (4, 1, 3, 3), {"groups": 2}, ["correlate2d", "(1, 4, 5, 5)", "(4, 1, 3, 3)", "channels"]),
    ((1, 4, 5, 5), (4, 2, 3, 3), {"groups": 0}, ["correlate2d", "groups"]),
    ((1, 4, 5, 5), (4, 2, 3, 3), {"groups": 2.0}, ["correlate2d", "groups"]),
    ((1, 4, 5), (4, 2, 3, 3), {"groups": 2}, ["correlate2d", "(N, C, H, W)"]),
    ((1, 4, 5, 5), (4, 2, 3, 3), {"groups": 2, "bias": np.zeros(3)}, ["correlate2d", "bias", "(3,)"]),
])
def test_grouped_errors_name_the_op_and_shapes(xs, ws, kwargs, words):
    if "bias" in kwargs:
        kwargs = dict(kwargs, bias=Tensor(kwargs["bias"]))
    with pytest.raises(ValueError) as info:
        correlate2d(Tensor(np.ones(xs)), Tensor(np.ones(ws)), **kwargs)
    for word in words:
        assert word in str(info.value)


# --- layers ----------------------------------------------------------------------------------------


def test_conv2d_groups_parameter_count_and_values():
    rng = np.random.default_rng(6)
    conv = nn.Conv2d(4, 6, 3, padding=1, groups=2, rng=rng, dtype=np.float64)
    assert conv.weight.shape == (6, 2, 3, 3)
    assert sum(p.size for p in conv.parameters()) == 6 * 2 * 3 * 3 + 6
    depthwise = nn.Conv2d(8, 8, 3, groups=8, bias=False, rng=rng)
    assert depthwise.weight.shape == (8, 1, 3, 3) and depthwise.weight.dtype == np.float32
    assert sum(p.size for p in depthwise.parameters()) == 8 * 9
    assert np.abs(depthwise.weight.data).max() <= 1 / 3  # fan_in = C_in / groups * 3 * 3 = 9
    assert repr(conv) == "Conv2d(4, 6, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), groups=2)"
    x = rng.standard_normal((2, 4, 5, 5))
    expected = loop_correlate_grouped(x, conv.weight.data, 2, 1, 1) + conv.bias.data[None, :, None, None]
    np.testing.assert_allclose(conv(x).data, expected, atol=1e-12)
    assert depthwise(np.zeros((1, 8, 5, 5), dtype=np.float32)).dtype == np.float32


@pytest.mark.parametrize("kwargs", [{"groups": 3}, {"groups": 0}, {"in_ch": 4, "out_ch": 3, "groups": 2}])
def test_conv2d_groups_checks(kwargs):
    args = {"in_ch": 4, "out_ch": 4, "kernel_size": 3} | kwargs
    with pytest.raises(ValueError, match="^Conv2d: groups"):
        nn.Conv2d(**args)


def test_conv2d_groups_is_keyword_only():
    with pytest.raises(TypeError):
        nn.Conv2d(4, 4, 3, 1, 0, True, 1, 2)


@pytest.mark.parametrize(("layer", "reduce", "fill"),
                         [(nn.MaxPool2d, np.max, -np.inf), (nn.AvgPool2d, np.mean, 0.0)])
def test_pool_layers_take_padding(layer, reduce, fill):
    x = np.random.default_rng(7).standard_normal((2, 3, 5, 5)).astype(np.float32)
    m = layer(3, 2, padding=1)
    y = m(x)
    assert y.shape == (2, 3, 3, 3) and y.dtype == np.float32
    np.testing.assert_allclose(y.data, loop_pool_padded(x, (3, 3), (2, 2), (1, 1), reduce, fill), atol=1e-6)
    assert sum(p.size for p in m.parameters()) == 0
    assert repr(m) == f"{layer.__name__}(kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))"
    assert layer(2, 1, padding=1)(np.zeros((1, 1, 1, 1))).shape == (1, 1, 2, 2)
    with pytest.raises(ValueError, match=f"^{layer.__name__}: padding"):
        layer(2, padding=2)
    with pytest.raises(ValueError, match=r"H >= 1 and W >= 1"):
        layer(3, padding=1)(np.zeros((1, 1, 0, 4)))
    xt = Tensor(np.random.default_rng(8).standard_normal((1, 1, 4, 4)), requires_grad=True)
    assert gradcheck(layer(3, 2, padding=1), [xt])


@pytest.mark.parametrize("pool", [max_pool2d, avg_pool2d])
def test_padding_an_input_with_no_rows_is_an_error(pool):
    with pytest.raises(ValueError, match="has no rows or columns to pool"):
        pool(Tensor(np.zeros((1, 1, 0, 4))), 2, padding=1)
