"""max_pool2d and avg_pool2d: values against loops, the seed's derivatives, gradient checks, errors."""

import numpy as np
import pytest

import autograd as ag
from autograd import Tensor, avg_pool2d, gradcheck, gradgradcheck, max_pool2d


def loop_pool(x, kernel, stride, reduce):
    n, c, h, w = x.shape
    h2, w2 = (h - kernel[0]) // stride[0] + 1, (w - kernel[1]) // stride[1] + 1
    out = np.zeros((n, c, h2, w2))
    for i in range(h2):
        for j in range(w2):
            win = x[:, :, i * stride[0]: i * stride[0] + kernel[0], j * stride[1]: j * stride[1] + kernel[1]]
            out[:, :, i, j] = reduce(win, axis=(2, 3))
    return out


CASES = [  # (shape, kernel, stride): non-overlapping, overlapping, uneven, rectangular
    ((2, 3, 6, 6), 2, None),
    ((1, 2, 7, 8), 3, 2),
    ((2, 1, 5, 7), (2, 3), (1, 2)),
    ((1, 1, 4, 4), 2, 1),
    ((1, 2, 5, 5), 2, None),  # the last row and column are never covered
]


def _distinct(shape, seed=0):
    """Values without ties, so the max is differentiable."""
    rng = np.random.default_rng(seed)
    return rng.permutation(int(np.prod(shape))).reshape(shape) / 7.0 - 1.0


@pytest.mark.parametrize(("shape", "kernel", "stride"), CASES)
@pytest.mark.parametrize(("pool", "reduce"), [(avg_pool2d, np.mean), (max_pool2d, np.max)])
def test_values_match_loops(shape, kernel, stride, pool, reduce):
    x = _distinct(shape)
    k = (kernel, kernel) if isinstance(kernel, int) else kernel
    s = k if stride is None else ((stride, stride) if isinstance(stride, int) else stride)
    np.testing.assert_allclose(pool(Tensor(x), kernel, stride).data, loop_pool(x, k, s, reduce), atol=1e-12)


@pytest.mark.parametrize(("shape", "kernel", "stride"), CASES)
@pytest.mark.parametrize("pool", [avg_pool2d, max_pool2d])
def test_gradcheck_and_gradgradcheck(shape, kernel, stride, pool):
    x = Tensor(_distinct(shape, 1), requires_grad=True, name="x")

    def f(x):
        return pool(x, kernel, stride)

    assert gradcheck(f, [x])
    assert gradgradcheck(f, [x])


def test_average_derivative_is_one_over_the_window_size():
    x = Tensor(_distinct((1, 1, 4, 4)), requires_grad=True)
    avg_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.full((1, 1, 4, 4), 0.25))


def test_max_derivative_is_the_indicator_of_the_maximum():
    data = np.array([[1.0, 3.0, 0.0, 2.0], [2.0, 0.0, 5.0, 1.0], [0.0, 0.0, 1.0, 1.0], [4.0, 0.0, 1.0, 0.0]])
    x = Tensor(data[None, None], requires_grad=True)
    max_pool2d(x, 2).sum().backward()
    expected = np.zeros((4, 4))
    expected[0, 1] = expected[1, 2] = expected[3, 0] = 1.0
    expected[2, 2] = 1.0  # a tie of three 1s: the first (row-major) gets the gradient, once
    np.testing.assert_array_equal(x.grad.data[0, 0], expected)


def test_overlapping_max_windows_add_up_at_a_shared_maximum():
    x = Tensor(np.array([[[[0.0, 0.0, 0.0], [0.0, 9.0, 0.0], [0.0, 0.0, 0.0]]]]), requires_grad=True)
    max_pool2d(x, 2, stride=1).sum().backward()  # all four windows pick the centre
    assert x.grad.data[0, 0, 1, 1] == 4.0 and x.grad.data.sum() == 4.0


def test_upsample_is_the_adjoint_of_the_windowed_sum():
    rng = np.random.default_rng(2)
    x, g = rng.standard_normal((2, 3, 7, 6)), rng.standard_normal((2, 3, 3, 2))
    summed = avg_pool2d(Tensor(x), 3, 2).data * 9
    spread = ag.upsample(Tensor(g), (3, 3), (2, 2), x.shape).data
    assert np.sum(summed * g) == pytest.approx(np.sum(x * spread))


def test_backward_graph_uses_pool_primitives():
    x = Tensor(_distinct((1, 1, 4, 4)), requires_grad=True)
    (g,) = ag.grad(avg_pool2d(x, 2).tanh().sum(), x, create_graph=True)
    assert "upsample2d" in [t.op for t in ag.toposort([g])]
    (g,) = ag.grad(max_pool2d(x, 2).tanh().sum(), x, create_graph=True)
    assert "scatter_add" in [t.op for t in ag.toposort([g])]


@pytest.mark.parametrize("pool", [avg_pool2d, max_pool2d])
def test_float32_stays_float32(pool):
    x = Tensor(_distinct((2, 2, 4, 4)).astype(np.float32), requires_grad=True)
    y = pool(x, 2)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


@pytest.mark.parametrize("pool", [avg_pool2d, max_pool2d])
@pytest.mark.parametrize(("shape", "kernel", "stride", "words"), [
    ((1, 1, 3, 3), 4, None, ["does not fit", "(1, 1, 3, 3)"]),
    ((3, 3), 2, None, ["(N, C, H, W)", "(3, 3)"]),
    ((1, 1, 4, 4), 0, None, ["kernel_size"]),
    ((1, 1, 4, 4), 2, 0, ["stride"]),
])
def test_errors_name_the_op_and_shape(pool, shape, kernel, stride, words):
    x = Tensor(np.ones(shape), requires_grad=True)
    with pytest.raises(ValueError) as info:
        pool(x, kernel, stride)
    assert pool.__name__ in str(info.value)
    for word in words:
        assert word in str(info.value)
