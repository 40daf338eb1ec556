"""correlate2d: the seed's numbers, a direct-loop reference, gradients of first and second order."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd as ag
from autograd import Tensor, correlate2d, dotcheck, gradcheck, gradgradcheck, grad
from autograd.ops.conv import output_size, pair


def loop_correlate(x, w, stride=(1, 1), padding=(0, 0), dilation=(1, 1)):
    """out[n,k,i,j] = sum_{c,a,b} w[k,c,a,b] * xp[n,c,S1 i + D1 a, S2 j + D2 b], one element at a time."""
    xp = np.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
    n, c, h, wd = xp.shape
    k, _, f1, f2 = w.shape
    h2 = (h - dilation[0] * (f1 - 1) - 1) // stride[0] + 1
    w2 = (wd - dilation[1] * (f2 - 1) - 1) // stride[1] + 1
    out = np.zeros((n, k, h2, w2))
    for ni in range(n):
        for ki in range(k):
            for i in range(h2):
                for j in range(w2):
                    for ci in range(c):
                        for a in range(f1):
                            for b in range(f2):
                                row = stride[0] * i + dilation[0] * a
                                col = stride[1] * j + dilation[1] * b
                                out[ni, ki, i, j] += w[ki, ci, a, b] * xp[ni, ci, row, col]
    return out


def loop_convolve(x, w):
    """True convolution (the index arithmetic flips the kernel): out[i,j] = sum x[i+F-1-a, j+F-1-b] w[a,b]."""
    n, c, h, wd = x.shape
    k, _, f1, f2 = w.shape
    out = np.zeros((n, k, h - f1 + 1, wd - f2 + 1))
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            for a in range(f1):
                for b in range(f2):
                    out[:, :, i, j] += np.einsum("nc,kc->nk", x[:, :, i + f1 - 1 - a, j + f2 - 1 - b],
                                                 w[:, :, a, b])
    return out


def test_seed_worked_element():
    """The seed's O_11 = 5*1 + 6*2 + 3*8 + 4*9. It prints 94, but those four products add up to 77."""
    image = np.array([[1.0, 2.0, 0.0, 0.0], [8.0, 9.0, 0.0, 0.0], [0.0] * 4, [0.0] * 4])
    kernel = np.array([[5.0, 6.0], [3.0, 4.0]])
    out = correlate2d(Tensor(image[None, None]), Tensor(kernel[None, None]))
    assert out.shape == (1, 1, 3, 3)
    assert out.data[0, 0, 0, 0] == 5 * 1 + 6 * 2 + 3 * 8 + 4 * 9 == 77
    # one window further right: the kernel meets [[2, 0], [9, 0]]
    assert out.data[0, 0, 0, 1] == 5 * 2 + 3 * 9


def test_correlation_is_convolution_with_the_flipped_kernel():
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 3, 6, 7)), rng.standard_normal((4, 3, 3, 2))
    corr = correlate2d(Tensor(x), Tensor(w)).data
    np.testing.assert_allclose(corr, loop_convolve(x, w[:, :, ::-1, ::-1]), atol=1e-12)
    assert not np.allclose(corr, loop_convolve(x, w))  # without the flip they differ


@pytest.mark.parametrize(("size", "kernel", "stride", "padding", "expected"), [
    (32, 5, 1, 0, 28),   # the seed's 32x32x3 image and 5x5x3 filter
    (32, 5, 1, 2, 32),   # a frame of zeros of thickness 2 keeps the size
    (32, 5, 2, 0, 14),   # the seed says 16 here, but its own formula gives floor(27/2) + 1 = 14
    (128, 5, 1, 2, 128),
])
def test_output_size_formula(size, kernel, stride, padding, expected):
    assert output_size(size, kernel, stride, padding) == expected
    x = Tensor(np.zeros((1, 3, size, size), dtype=np.float32))
    out = correlate2d(x, Tensor(np.zeros((7, 3, kernel, kernel), dtype=np.float32)), stride=stride,
                      padding=padding)
    assert out.shape == (1, 7, expected, expected)


def test_parameter_sharing_numbers():
    x = Tensor(np.zeros((1, 3, 128, 128), dtype=np.float32))
    w = Tensor(np.zeros((32, 3, 5, 5), dtype=np.float32))
    b = Tensor(np.zeros(32, dtype=np.float32))
    out = correlate2d(x, w, b, padding=2)
    assert out.shape == (1, 32, 128, 128) and out.size == 524_288
    assert w.size + b.size == 32 * 5 * 5 * 3 + 32 == 2_432
    assert out.size * (128 * 128 * 3) == 25_769_803_776  # a fully connected layer's weights


@given(
    n=st.integers(1, 2), c=st.integers(1, 3), k=st.integers(1, 3),
    h=st.integers(3, 9), w=st.integers(3, 9), f1=st.integers(1, 3), f2=st.integers(1, 3),
    s1=st.integers(1, 3), s2=st.integers(1, 3), p1=st.integers(0, 2), p2=st.integers(0, 2),
    d1=st.integers(1, 2), d2=st.integers(1, 2), seed=st.integers(0, 2**16),
)
def test_matches_direct_loop(n, c, k, h, w, f1, f2, s1, s2, p1, p2, d1, d2, seed):
    if output_size(h, f1, s1, p1, d1) < 1 or output_size(w, f2, s2, p2, d2) < 1:
        return
    rng = np.random.default_rng(seed)
    x, kern = rng.standard_normal((n, c, h, w)), rng.standard_normal((k, c, f1, f2))
    out = correlate2d(Tensor(x), Tensor(kern), stride=(s1, s2), padding=(p1, p2), dilation=(d1, d2))
    np.testing.assert_allclose(out.data, loop_correlate(x, kern, (s1, s2), (p1, p2), (d1, d2)), atol=1e-10)


@pytest.mark.parametrize(("xs", "ws", "stride", "padding", "dilation"), [
    ((2, 3, 9, 8), (4, 3, 3, 2), 1, 1, 1),        # more positions than kernel taps: im2col from whole rows
    ((11, 2, 7, 9), (3, 2, 2, 3), 1, 0, (2, 1)),  # ... more images than a block, dilated
    ((2, 3, 9, 8), (4, 3, 3, 2), (2, 1), 1, 1),   # ... strided: im2col from the windows, one GEMM
    ((2, 3, 9, 8), (4, 3, 7, 6), 1, 0, 1),        # a big kernel, few positions: one GEMM over windows
    ((3, 11, 12, 11), (4, 11, 9, 8), (2, 1), 1, 1),  # ... long kernel rows: windows as stretches
    ((1, 5, 12, 11), (4, 5, 6, 5), 1, 1, 2),      # ... for one image, dilated: one product per position
    ((1, 3, 13, 12), (2, 3, 4, 5), 2, (0, 2), 2),  # ... with stride, padding and dilation
    ((2, 2, 5, 4), (3, 2, 3, 2), 1, (2, 1), 1),   # a full correlation (mostly padding)
    ((1, 2, 4, 6), (2, 2, 2, 3), 1, (2, 4), 2),   # ... dilated
    ((2, 2, 3, 1), (3, 2, 2, 3), 1, (1, 2), 1),   # ... narrow rows
], ids=["im2col rows", "im2col rows, blocks", "im2col windows", "big kernel", "big kernel, stretches",
        "big kernel, one image", "big kernel, one image, strided", "full", "full, dilated", "full, narrow"])
def test_every_way_of_computing_matches_the_direct_loop(xs, ws, stride, padding, dilation):
    rng = np.random.default_rng(7)
    x, kern = rng.standard_normal(xs), rng.standard_normal(ws)
    out = correlate2d(Tensor(x), Tensor(kern), stride=stride, padding=padding, dilation=dilation)
    expected = loop_correlate(x, kern, pair(stride, "stride", "t", 1), pair(padding, "padding", "t", 0),
                              pair(dilation, "dilation", "t", 1))
    np.testing.assert_allclose(out.data, expected, atol=1e-10)


CONFIGS = [  # (x shape, w shape, stride, padding, dilation)
    ((2, 3, 6, 5), (2, 3, 3, 3), 1, 0, 1),
    ((2, 2, 7, 8), (3, 2, 3, 2), 2, 1, 1),
    ((1, 2, 9, 9), (2, 2, 2, 2), 3, 2, 2),
    ((2, 1, 7, 6), (1, 1, 3, 3), (2, 1), (0, 1), (1, 2)),
    ((1, 1, 5, 5), (2, 1, 5, 5), 1, 0, 1),  # the kernel covers the whole input
]


@pytest.mark.parametrize(("xs", "ws", "stride", "padding", "dilation"), CONFIGS)
def test_gradcheck_and_gradgradcheck(xs, ws, stride, padding, dilation):
    rng = np.random.default_rng(1)
    x = Tensor(rng.standard_normal(xs), requires_grad=True, name="x")
    w = Tensor(rng.standard_normal(ws), requires_grad=True, name="w")
    b = Tensor(rng.standard_normal(ws[0]), requires_grad=True, name="b")

    def f(x, w, b):
        return correlate2d(x, w, b, stride=stride, padding=padding, dilation=dilation)

    assert gradcheck(f, [x, w, b])
    assert gradgradcheck(f, [x, w, b])


def test_kernel_gradient_is_input_correlated_with_upstream_gradient():
    """Figure 4 of the seed: J^W = I * J^O (for one channel and one example)."""
    rng = np.random.default_rng(2)
    image = Tensor(rng.standard_normal((1, 1, 5, 5)))
    w = Tensor(rng.standard_normal((1, 1, 3, 3)), requires_grad=True)
    upstream = rng.standard_normal((1, 1, 3, 3))
    (jw,) = grad(correlate2d(image, w), w, Tensor(upstream))
    expected = correlate2d(image, Tensor(upstream)).data  # the input correlated with J^O
    np.testing.assert_allclose(jw.data, expected, atol=1e-12)


def test_recorded_backward_graph_is_a_correlation_and_its_transpose():
    """J^W = I * J^O is a correlate2d; the input's gradient is ONE op, conv_transpose2d (the adjoint)."""
    rng = np.random.default_rng(3)
    x = Tensor(rng.standard_normal((2, 2, 8, 7)), requires_grad=True)
    w = Tensor(rng.standard_normal((3, 2, 3, 3)), requires_grad=True)
    gx, gw = grad(correlate2d(x, w, stride=2, padding=1).sum(), [x, w], create_graph=True)
    assert ("correlate2d", "backward") in [(t.op, t.phase) for t in ag.toposort([gw])]
    ops = [(t.op, t.phase, dict(t.params)) for t in ag.toposort([gx]) if t.op is not None]
    assert [o[:2] for o in ops] == [("conv_transpose2d", "backward")]
    # H = 8 padded to 10: windows start at rows 0, 2, 4, 6 and reach row 8; row 9 is what output_padding
    # gives back (W = 7 padded to 9: windows reach the last column)
    assert ops[0][2] == {"stride": (2, 2), "padding": (1, 1), "output_padding": (1, 0), "dilation": (1, 1)}


def test_dot_product_vjp_test_at_lenet_size():
    rng = np.random.default_rng(4)
    x = Tensor(rng.standard_normal((100, 1, 32, 32)))
    w1 = Tensor(rng.standard_normal((6, 1, 5, 5)) * 0.2, requires_grad=True)
    w2 = Tensor(rng.standard_normal((16, 6, 5, 5)) * 0.1, requires_grad=True)
    w3 = Tensor(rng.standard_normal((120, 16, 5, 5)) * 0.05, requires_grad=True)

    def lenet_convs(x, w1, w2, w3):
        h = ag.avg_pool2d(correlate2d(x, w1).tanh(), 2)      # (100, 6, 14, 14)
        h = ag.avg_pool2d(correlate2d(h, w2).tanh(), 2)      # (100, 16, 5, 5)
        return correlate2d(h, w3).tanh()                     # (100, 120, 1, 1)

    assert dotcheck(lenet_convs, [x, w1, w2, w3])


def test_float32_stays_float32():
    rng = np.random.default_rng(5)
    x = Tensor(rng.standard_normal((2, 1, 6, 6)).astype(np.float32), requires_grad=True)
    w = Tensor(rng.standard_normal((2, 1, 3, 3)).astype(np.float32), requires_grad=True)
    b = Tensor(np.zeros(2, dtype=np.float32), requires_grad=True)
    y = correlate2d(x, w, b, padding=1, stride=2)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == w.grad.dtype == b.grad.dtype == np.float32


@pytest.mark.parametrize(("xs", "ws", "kwargs", "words"), [
    ((2, 3, 8, 8), (4, 2, 3, 3), {}, ["correlate2d", "(2, 3, 8, 8)", "(4, 2, 3, 3)", "channels"]),
    ((2, 3, 8), (4, 3, 3, 3), {}, ["correlate2d", "(2, 3, 8)", "(N, C, H, W)"]),
    ((1, 1, 3, 3), (1, 1, 5, 5), {}, ["correlate2d", "does not fit"]),
    ((1, 1, 3, 3), (1, 1, 2, 2), {"stride": 0}, ["correlate2d", "stride"]),
    ((1, 1, 3, 3), (1, 1, 2, 2), {"padding": -1}, ["correlate2d", "padding"]),
    ((1, 1, 3, 3), (1, 1, 2, 2), {"dilation": (1, 2, 3)}, ["correlate2d", "dilation"]),
    ((1, 1, 3, 3), (2, 1, 2, 2), {"bias": np.zeros(3)}, ["correlate2d", "bias", "(3,)", "(2,)"]),
])
def test_errors_name_the_op_and_shapes(xs, ws, kwargs, words):
    x = Tensor(np.ones(xs), requires_grad=True)
    x.grad = Tensor(np.full(xs, 7.0))
    w = Tensor(np.ones(ws))
    if "bias" in kwargs:
        kwargs = dict(kwargs, bias=Tensor(kwargs["bias"]))
    with pytest.raises(ValueError) as info:
        correlate2d(x, w, **kwargs)
    for word in words:
        assert word in str(info.value)
    assert np.all(x.data == 1) and np.all(x.grad.data == 7.0)
