"""conv_transpose2d: a direct-loop reference, the adjoint of correlate2d, gradients of first and second
order, PyTorch's values and derivatives, errors; and correlate2d's input gradient recorded as one op."""

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd as ag
from autograd import Tensor, conv_transpose2d, correlate2d, gradcheck, gradgradcheck
from autograd.ops.conv import output_size, pair


def loop_conv_transpose(g, w, stride=(1, 1), padding=(0, 0), output_padding=(0, 0), dilation=(1, 1)):
    """out[n, c, S1 i + D1 a - P1, S2 j + D2 b - P2] += g[n, k, i, j] * w[k, c, a, b], a product at a time."""
    n, k, h2, w2 = g.shape
    _, c, f1, f2 = w.shape
    h = (h2 - 1) * stride[0] - 2 * padding[0] + dilation[0] * (f1 - 1) + output_padding[0] + 1
    wd = (w2 - 1) * stride[1] - 2 * padding[1] + dilation[1] * (f2 - 1) + output_padding[1] + 1
    out = np.zeros((n, c, h, wd))
    for ni in range(n):
        for ki in range(k):
            for i in range(h2):
                for j in range(w2):
                    for a in range(f1):
                        for b in range(f2):
                            y = stride[0] * i + dilation[0] * a - padding[0]
                            x = stride[1] * j + dilation[1] * b - padding[1]
                            if 0 <= y < h and 0 <= x < wd:
                                out[ni, :, y, x] += g[ni, ki, i, j] * w[ki, :, a, b]
    return out


def out_size(size, kernel, stride, padding, output_padding, dilation):
    return (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1


def test_a_single_pixel_spreads_the_kernel():
    """A single nonzero g[i, j] puts the kernel, times g[i, j], at (S i, S j): a transposed convolution."""
    g = np.zeros((1, 1, 2, 2))
    g[0, 0, 1, 0] = 2.0
    w = np.arange(1.0, 7.0).reshape(1, 1, 2, 3)
    out = conv_transpose2d(Tensor(g), Tensor(w), stride=3).data[0, 0]
    assert out.shape == (5, 6)
    expected = np.zeros((5, 6))
    expected[3:5, 0:3] = 2.0 * w[0, 0]
    np.testing.assert_array_equal(out, expected)


@given(
    n=st.integers(1, 2), k=st.integers(1, 3), c=st.integers(1, 3),
    h2=st.integers(1, 5), w2=st.integers(1, 5), f1=st.integers(1, 3), f2=st.integers(1, 3),
    s1=st.integers(1, 3), s2=st.integers(1, 3), p1=st.integers(0, 2), p2=st.integers(0, 2),
    o1=st.integers(0, 2), o2=st.integers(0, 2), d1=st.integers(1, 2), d2=st.integers(1, 2),
    seed=st.integers(0, 2**16),
)
def test_matches_direct_loop(n, k, c, h2, w2, f1, f2, s1, s2, p1, p2, o1, o2, d1, d2, seed):
    if o1 >= max(s1, d1) or o2 >= max(s2, d2):
        return
    if out_size(h2, f1, s1, p1, o1, d1) < 1 or out_size(w2, f2, s2, p2, o2, d2) < 1:
        return
    rng = np.random.default_rng(seed)
    g, w = rng.standard_normal((n, k, h2, w2)), rng.standard_normal((k, c, f1, f2))
    out = conv_transpose2d(Tensor(g), Tensor(w), stride=(s1, s2), padding=(p1, p2), output_padding=(o1, o2),
                           dilation=(d1, d2))
    expected = loop_conv_transpose(g, w, (s1, s2), (p1, p2), (o1, o2), (d1, d2))
    np.testing.assert_allclose(out.data, expected, atol=1e-10)


@pytest.mark.parametrize(("gs", "ws", "stride", "padding", "output_padding", "dilation"), [
    ((2, 3, 6, 7), (3, 2, 3, 2), 1, 0, 0, 1),          # stride 1, wide rows: the row shifts
    ((2, 3, 6, 7), (3, 2, 3, 3), 1, (1, 2), 0, (2, 1)),  # ... cropped, dilated
    ((1, 2, 4, 5), (2, 2, 3, 2), 1, 1, (1, 0), 2),     # ... output_padding below the dilation
    ((1, 2, 4, 5), (2, 2, 3, 2), 1, 0, 1, 2),          # ... output_padding past the last position
    ((2, 2, 3, 1), (2, 3, 2, 3), 1, 0, 0, 1),          # narrow rows: a slice per kernel offset
    ((2, 3, 4, 5), (3, 2, 3, 3), 2, 1, 1, 1),          # stride: a strided slice per kernel offset
    ((1, 2, 3, 4), (2, 2, 2, 3), (3, 2), (0, 2), (2, 1), (1, 2)),
], ids=["rows", "rows, cropped, dilated", "rows, output_padding", "rows, output_padding past the end",
        "narrow", "strided", "strided, mixed"])
def test_every_way_of_computing_matches_the_direct_loop(gs, ws, stride, padding, output_padding, dilation):
    rng = np.random.default_rng(7)
    g, w = rng.standard_normal(gs), rng.standard_normal(ws)
    out = conv_transpose2d(Tensor(g), Tensor(w), stride=stride, padding=padding,
                           output_padding=output_padding, dilation=dilation)
    args = [pair(v, "v", "t", 0) for v in (stride, padding, output_padding, dilation)]
    np.testing.assert_allclose(out.data, loop_conv_transpose(g, w, *args), atol=1e-10)


@given(
    n=st.integers(1, 2), c=st.integers(1, 3), k=st.integers(1, 3), groups=st.sampled_from([1, 2]),
    h=st.integers(1, 9), w=st.integers(1, 9), f1=st.integers(1, 4), f2=st.integers(1, 4),
    s1=st.integers(1, 3), s2=st.integers(1, 3), p1=st.integers(0, 2), p2=st.integers(0, 2),
    d1=st.integers(1, 2), d2=st.integers(1, 2), seed=st.integers(0, 2**16),
)
def test_adjoint_of_correlate2d(n, c, k, groups, h, w, f1, f2, s1, s2, p1, p2, d1, d2, seed):
    """<correlate2d(x, w), g> = <x, conv_transpose2d(g, w)>, with the output_padding that gives back H, W."""
    c, k = c * groups, k * groups
    h2, w2 = output_size(h, f1, s1, p1, d1), output_size(w, f2, s2, p2, d2)
    if h2 < 1 or w2 < 1:
        return
    rng = np.random.default_rng(seed)
    x, kern = rng.standard_normal((n, c, h, w)), rng.standard_normal((k, c // groups, f1, f2))
    g = rng.standard_normal((n, k, h2, w2))
    lost = ((h + 2 * p1 - d1 * (f1 - 1) - 1) % s1, (w + 2 * p2 - d2 * (f2 - 1) - 1) % s2)
    kw = dict(stride=(s1, s2), padding=(p1, p2), dilation=(d1, d2), groups=groups)
    y = correlate2d(Tensor(x), Tensor(kern), **kw).data
    xt = conv_transpose2d(Tensor(g), Tensor(kern), output_padding=lost, **kw).data
    assert xt.shape == x.shape
    np.testing.assert_allclose(np.vdot(y, g), np.vdot(x, xt), rtol=1e-10, atol=1e-10)


CONFIGS = [  # (g shape, w shape, stride, padding, output_padding, dilation, groups)
    ((2, 2, 3, 4), (2, 3, 3, 2), 1, 0, 0, 1, 1),
    ((1, 2, 3, 3), (2, 2, 3, 3), 2, 1, 1, 1, 1),
    ((2, 1, 2, 3), (1, 2, 2, 2), (3, 2), (0, 1), (2, 0), (1, 2), 1),
    ((1, 2, 3, 2), (2, 1, 2, 3), 1, (1, 2), (1, 1), 2, 1),   # output_padding >= stride, below the dilation
    ((2, 4, 2, 3), (4, 1, 3, 2), 2, 1, (1, 0), 1, 2),
    ((1, 3, 3, 3), (3, 2, 2, 2), 1, 0, 0, 1, 3),              # depthwise-like: a group per input channel
]


@pytest.mark.parametrize(("gs", "ws", "stride", "padding", "output_padding", "dilation", "groups"), CONFIGS)
def test_gradcheck_and_gradgradcheck(gs, ws, stride, padding, output_padding, dilation, groups):
    rng = np.random.default_rng(1)
    g = Tensor(rng.standard_normal(gs), requires_grad=True, name="g")
    w = Tensor(rng.standard_normal(ws), requires_grad=True, name="w")
    b = Tensor(rng.standard_normal(ws[1] * groups), requires_grad=True, name="b")

    def f(g, w, b):
        return conv_transpose2d(g, w, b, stride=stride, padding=padding, output_padding=output_padding,
                                dilation=dilation, groups=groups)

    assert gradcheck(f, [g, w, b])
    assert gradgradcheck(f, [g, w, b])


def test_float32_stays_float32():
    rng = np.random.default_rng(5)
    for stride in (1, 2):  # both ways of computing it
        g = Tensor(rng.standard_normal((2, 3, 4, 5)).astype(np.float32), requires_grad=True)
        w = Tensor(rng.standard_normal((3, 2, 3, 3)).astype(np.float32), requires_grad=True)
        b = Tensor(np.zeros(2, dtype=np.float32), requires_grad=True)
        y = conv_transpose2d(g, w, b, stride=stride, padding=1)
        assert y.dtype == np.float32
        y.sum().backward()
        assert g.grad.dtype == w.grad.dtype == b.grad.dtype == np.float32


def test_correlate2d_input_gradient_is_one_conv_transpose2d():
    rng = np.random.default_rng(3)
    x = Tensor(rng.standard_normal((2, 3, 9, 8)), requires_grad=True)
    w = Tensor(rng.standard_normal((4, 3, 3, 2)), requires_grad=True)
    out = correlate2d(x, w, stride=2, padding=1, dilation=(1, 2))
    (gx,) = ag.grad(out, x, Tensor(rng.standard_normal(out.shape)), create_graph=True)
    ops = [t.op for t in ag.toposort([gx]) if t.op is not None]
    assert ops == ["conv_transpose2d"]
    assert gx.params["output_padding"] == (0, 1)  # H: 11 - 3 = 8 is even; W: 10 - 3 = 7 leaves one column


def test_inf_in_the_kernel_reaches_only_what_it_multiplies():
    """Only the products of the sum are computed (as PyTorch does): zeros that pad nothing stay zeros."""
    g = np.ones((1, 1, 2, 2))
    g[0, 0, 1, 1] = 0.0
    w = np.ones((1, 1, 2, 2))
    w[0, 0, 0, 0] = np.inf
    with warnings.catch_warnings(), np.errstate(invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        out = conv_transpose2d(Tensor(g), Tensor(w)).data[0, 0]
        strided = conv_transpose2d(Tensor(g), Tensor(w), stride=2, output_padding=1).data[0, 0]
    nan, inf = np.nan, np.inf
    np.testing.assert_array_equal(out, [[inf, inf, 1], [inf, nan, 1], [1, 1, 0]])
    np.testing.assert_array_equal(strided, [[inf, 1, inf, 1, 0], [1, 1, 1, 1, 0], [inf, 1, nan, 0, 0],
                                            [1, 1, 0, 0, 0], [0, 0, 0, 0, 0]])


def test_inf_in_the_input_of_a_kernel_gradient():
    """The kernel gradient's fast path lays the upstream gradient on whole rows, so its padding zeros meet
    pixels outside the windows; an inf there must not turn into NaN (the window form is taken instead)."""
    x = np.ones((2, 1, 12, 12))
    x[0, 0, 2, 11] = np.inf  # in column 11: inside the windows of kernel column b = 2 only
    w = Tensor(np.ones((3, 1, 3, 3)), requires_grad=True)
    with warnings.catch_warnings(), np.errstate(invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        (gw,) = ag.grad(correlate2d(Tensor(x), w).sum(), w)
    assert np.isinf(gw.data[:, :, :, 2]).all()
    np.testing.assert_array_equal(gw.data[:, :, :, :2], 2 * 10 * 10)


@pytest.mark.parametrize(("gs", "ws", "kwargs", "words"), [
    ((2, 3, 4, 4), (4, 2, 3, 3), {}, ["conv_transpose2d", "(2, 3, 4, 4)", "(4, 2, 3, 3)", "channels"]),
    ((2, 3, 4), (3, 2, 3, 3), {}, ["conv_transpose2d", "(2, 3, 4)", "(N, K, H2, W2)"]),
    ((1, 2, 3, 3), (2, 1, 0, 3), {}, ["conv_transpose2d", "(2, 1, 0, 3)", "F1, F2"]),
    ((1, 2, 3, 3), (2, 1, 2, 2), {"output_padding": 1}, ["conv_transpose2d", "output_padding", "stride"]),
    ((1, 2, 3, 3), (2, 1, 2, 2), {"stride": 2, "output_padding": (0, 2)}, ["conv_transpose2d",
                                                                           "output_padding", "(0, 2)"]),
    ((1, 2, 1, 1), (2, 1, 1, 1), {"padding": 1}, ["conv_transpose2d", "(1, 2, 1, 1)", "padding"]),
    ((1, 3, 3, 3), (3, 1, 2, 2), {"groups": 2}, ["conv_transpose2d", "groups=2", "3 channels"]),
    ((1, 2, 3, 3), (2, 1, 2, 2), {"groups": 0}, ["conv_transpose2d", "groups"]),
    ((1, 2, 3, 3), (2, 1, 2, 2), {"stride": 0}, ["conv_transpose2d", "stride"]),
    ((1, 2, 3, 3), (2, 1, 2, 2), {"output_padding": -1}, ["conv_transpose2d", "output_padding"]),
    ((1, 2, 3, 3), (2, 1, 2, 2), {"bias": np.zeros(2)}, ["conv_transpose2d", "bias", "(2,)", "(1,)"]),
])
def test_errors_name_the_op_and_shapes(gs, ws, kwargs, words):
    g = Tensor(np.ones(gs), requires_grad=True)
    w = Tensor(np.ones(ws))
    if "bias" in kwargs:
        kwargs = dict(kwargs, bias=Tensor(kwargs["bias"]))
    with pytest.raises(ValueError) as info:
        conv_transpose2d(g, w, **kwargs)
    for word in words:
        assert word in str(info.value)


# --- against PyTorch -------------------------------------------------------------------------------


TORCH_CONFIGS = CONFIGS + [
    ((3, 16, 10, 10), (16, 6, 5, 5), 1, 0, 0, 1, 1),   # LeNet's conv2, transposed
    ((2, 8, 5, 6), (8, 4, 3, 3), 2, 1, 1, 1, 2),
    ((2, 6, 1, 1), (6, 2, 5, 5), 1, 0, 0, 1, 1),       # LeNet's conv3, transposed
]


@pytest.mark.parametrize(("gs", "ws", "stride", "padding", "output_padding", "dilation", "groups"),
                         TORCH_CONFIGS)
def test_values_and_derivatives_match_torch(gs, ws, stride, padding, output_padding, dilation, groups):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(11)
    g, w, b = rng.standard_normal(gs), rng.standard_normal(ws), rng.standard_normal(ws[1] * groups)
    kw = dict(stride=stride, padding=padding, output_padding=output_padding, dilation=dilation, groups=groups)
    ours = [Tensor(a, requires_grad=True) for a in (g, w, b)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (g, w, b)]
    y = conv_transpose2d(*ours, **kw)
    ty = torch.nn.functional.conv_transpose2d(*theirs, **kw)
    np.testing.assert_allclose(y.data, ty.detach().numpy(), rtol=1e-10, atol=1e-10)
    # first derivatives for an upstream v, then second: the derivative of <u, first> for directions u
    v = rng.standard_normal(y.shape)
    first = ag.grad(y, ours, Tensor(v), create_graph=True)
    tfirst = torch.autograd.grad(ty, theirs, torch.tensor(v), create_graph=True)
    for a, ta in zip(first, tfirst):
        np.testing.assert_allclose(a.data, ta.detach().numpy(), rtol=1e-10, atol=1e-10)
    us = [rng.standard_normal(a.shape) for a in first[:2]]  # the bias's gradient is linear in v only
    pairing = sum((a * Tensor(u)).sum() for a, u in zip(first[:2], us))
    tpairing = sum((ta * torch.tensor(u)).sum() for ta, u in zip(tfirst[:2], us))
    second = ag.grad(pairing, ours[:2])
    tsecond = torch.autograd.grad(tpairing, theirs[:2])
    for a, ta in zip(second, tsecond):
        np.testing.assert_allclose(a.data, ta.numpy(), rtol=1e-10, atol=1e-10)


def test_correlate2d_input_gradient_with_inf_in_the_kernel_matches_torch():
    torch = pytest.importorskip("torch")
    x = np.ones((1, 1, 4, 4))
    w = np.ones((1, 1, 2, 2))
    w[0, 0, 1, 0] = np.inf
    v = np.ones((1, 1, 3, 3))
    v[0, 0, 0, 2] = 0.0
    with warnings.catch_warnings(), np.errstate(invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        xt = Tensor(x, requires_grad=True)
        (gx,) = ag.grad(correlate2d(xt, Tensor(w)), xt, Tensor(v))
        tx = torch.tensor(x, requires_grad=True)
        (tgx,) = torch.autograd.grad(torch.nn.functional.conv2d(tx, torch.tensor(w)), tx, torch.tensor(v))
    np.testing.assert_array_equal(gx.data, tgx.numpy())
