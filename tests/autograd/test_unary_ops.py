"""Elementwise maths and activations (autograd.ops.unary, autograd.ops.activations).

Every op: values against NumPy / math / the closed form, gradcheck and gradgradcheck in float64 over
hypothesis shapes (broadcast shapes for maximum and minimum), float32 kept, the special points where an op
is not smooth (PyTorch's values), errors naming the op. Smooth checks keep their inputs away from kinks,
steps and ties; the step functions (sign, floor, ceil, round) are checked to pass a zero gradient. The
last test compares values and first and second derivatives with PyTorch where it is installed.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from autograd import Tensor, grad, gradcheck, gradgradcheck
from autograd.ops.activations import elu, gelu, leaky_relu, silu, softplus
from autograd.ops.unary import (
    abs, ceil, clip, cos, erf, erf_array, expm1, floor, log1p, maximum, minimum, round, sign, sin, sqrt,
    square,
)

FEW = settings(max_examples=25, deadline=None)
SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3)
_math_erf = np.frompyfunc(math.erf, 1, 1)


def math_erf(a) -> np.ndarray:
    return np.asarray(_math_erf(np.asarray(a, dtype=np.float64)), dtype=np.float64)


def leaf(a, dtype=np.float64) -> Tensor:
    return Tensor(np.asarray(a, dtype=dtype), requires_grad=True)


def values(lo: float, hi: float, mirrored: bool = False):
    s = st.floats(lo, hi)
    return s | st.floats(-hi, -lo) if mirrored else s


def off_steps(away_from_half: bool):
    """Numbers at least 0.05 from every integer (and from every half, for round)."""
    frac = st.floats(0.05, 0.45) | st.floats(0.55, 0.95) if away_from_half else st.floats(0.05, 0.95)
    return st.builds(lambda k, f: k + f, st.integers(-3, 2), frac)


WIDE = values(-2.0, 2.0)
OFF_0_3 = values(0.35, 2.0) | values(-2.0, 0.25)
AWAY_FROM_ZERO = values(0.1, 2.0, mirrored=True)


def _softplus_ref(a, beta=1.0, threshold=20.0):
    z = a * beta
    return np.where(z > threshold, a, np.log1p(np.exp(np.minimum(z, threshold))) / beta)


def _gelu_ref(a):
    return a * 0.5 * (1 + math_erf(a / math.sqrt(2)))


def _gelu_tanh_ref(a):
    return 0.5 * a * (1 + np.tanh(math.sqrt(2 / math.pi) * (a + 0.044715 * a**3)))


# name: (op, reference, strategy for the values)
SMOOTH = {
    "abs": (abs, np.abs, AWAY_FROM_ZERO),
    "sqrt": (sqrt, np.sqrt, values(0.2, 3.0)),
    "square": (square, np.square, WIDE),
    "sin": (sin, np.sin, values(-4.0, 4.0)),
    "cos": (cos, np.cos, values(-4.0, 4.0)),
    "log1p": (log1p, np.log1p, values(-0.7, 3.0)),
    "expm1": (expm1, np.expm1, WIDE),
    "erf": (erf, math_erf, values(-3.0, 3.0)),
    "clip": (lambda t: clip(t, -0.5, 0.8), lambda a: np.clip(a, -0.5, 0.8),
             values(-2.0, -0.55) | values(-0.45, 0.75) | values(0.85, 2.0)),  # away from the bounds
    "clip lo": (lambda t: clip(t, 0.3), lambda a: np.maximum(a, 0.3), OFF_0_3),
    "clip hi": (lambda t: clip(t, hi=0.3), lambda a: np.minimum(a, 0.3), OFF_0_3),
    "leaky_relu": (leaky_relu, lambda a: np.where(a > 0, a, 0.01 * a), AWAY_FROM_ZERO),
    "leaky_relu 0.2": (lambda t: leaky_relu(t, 0.2), lambda a: np.where(a > 0, a, 0.2 * a), AWAY_FROM_ZERO),
    "elu": (elu, lambda a: np.where(a > 0, a, np.expm1(np.minimum(a, 0))), AWAY_FROM_ZERO),
    "elu 0.5": (lambda t: elu(t, 0.5), lambda a: np.where(a > 0, a, 0.5 * np.expm1(np.minimum(a, 0))),
                AWAY_FROM_ZERO),
    "gelu": (gelu, _gelu_ref, values(-3.0, 3.0)),
    "gelu tanh": (lambda t: gelu(t, approximate="tanh"), _gelu_tanh_ref, values(-3.0, 3.0)),
    "silu": (silu, lambda a: a / (1 + np.exp(-a)), values(-4.0, 4.0)),
    "softplus": (softplus, _softplus_ref, values(-4.0, 4.0)),
    "softplus beta 2, threshold 1": (lambda t: softplus(t, beta=2, threshold=1),
                                     lambda a: _softplus_ref(a, 2.0, 1.0),
                                     values(-2.0, 0.45) | values(0.55, 2.0)),  # away from x = 1/2
}

# name: (op, reference, strategy: away from the steps)
STEPS = {
    "sign": (sign, np.sign, AWAY_FROM_ZERO),
    "floor": (floor, np.floor, off_steps(False)),
    "ceil": (ceil, np.ceil, off_steps(False)),
    "round": (round, np.round, off_steps(True)),
}

ALL_UNARY = {**SMOOTH, **STEPS}


def check_both_orders(fn, *inputs: Tensor):
    assert gradcheck(fn, inputs) is True
    assert gradgradcheck(fn, inputs) is True


# --- values, first and second order ------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL_UNARY)
@FEW
@given(data=st.data())
def test_unary_values_and_gradients(name, data):
    op, ref, elements = ALL_UNARY[name]
    a = data.draw(hnp.arrays(np.float64, SHAPES, elements=elements), label="x")
    x = leaf(a)
    out = op(x)
    assert out.shape == a.shape and out.dtype == np.float64
    np.testing.assert_allclose(out.data, ref(a), rtol=1e-14, atol=1e-15)
    check_both_orders(op, x)


QUARTERS = st.integers(-8, 8).map(lambda k: k / 4)
EIGHTHS = st.integers(-8, 7).map(lambda k: k / 4 + 0.125)  # never equal to a quarter: no ties


@pytest.mark.parametrize("op, ref", [(maximum, np.maximum), (minimum, np.minimum)], ids=["max", "min"])
@FEW
@given(data=st.data())
def test_binary_values_and_gradients_with_broadcasting(op, ref, data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3), "shapes")
    a = data.draw(hnp.arrays(np.float64, shapes.input_shapes[0], elements=QUARTERS), label="x")
    b = data.draw(hnp.arrays(np.float64, shapes.input_shapes[1], elements=EIGHTHS), label="y")
    if data.draw(st.booleans(), label="swap"):
        a, b = b, a
    wanted = data.draw(st.sampled_from([(True, True), (True, False), (False, True)]), label="requires_grad")
    x, y = Tensor(a, requires_grad=wanted[0]), Tensor(b, requires_grad=wanted[1])
    out = op(x, y)
    assert out.shape == shapes.result_shape
    np.testing.assert_array_equal(out.data, ref(a, b))
    check_both_orders(op, x, y)


@pytest.mark.parametrize("name", STEPS)
def test_step_functions_pass_a_zero_gradient(name):
    op = STEPS[name][0]
    x = leaf([-1.5, -0.5, 0.0, 0.5, 2.0, 2.5])  # on the steps too
    op(x).sum().backward()
    assert x.grad is not None and x.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad.data, np.zeros(6))
    (g,) = grad(op(x) * 3.0, x, Tensor(np.ones(6)), create_graph=True)
    np.testing.assert_array_equal(g.data, np.zeros(6))


# --- erf ---------------------------------------------------------------------------------------------


def test_erf_matches_math_erf_to_a_few_ulp():
    a = np.concatenate([
        np.linspace(-7.0, 7.0, 100_001), np.geomspace(1e-300, 1.0, 1000), -np.geomspace(1e-300, 1.0, 1000),
        np.nextafter(1.0, [0.0, 2.0]), np.nextafter(-1.0, [-2.0, 0.0]), [6.0, -6.0, 5.9999, 1e300],
    ])
    expected = math_erf(a)
    got = erf_array(a)
    ulps = np.abs(got - expected) / np.spacing(np.abs(expected))
    assert ulps.max() <= 4, f"worst at x = {a[ulps.argmax()]!r}: {ulps.max()} ulp"


def test_erf_special_values():
    out = erf(Tensor([0.0, -0.0, np.inf, -np.inf, np.nan, 10.0, -10.0]))
    np.testing.assert_array_equal(out.data, [0.0, -0.0, 1.0, -1.0, np.nan, 1.0, -1.0])
    assert np.signbit(out.data[1])  # erf(-0) = -0
    x = leaf([0.0, 1.0])
    erf(x).sum().backward()
    np.testing.assert_allclose(x.grad.data, 2 / math.sqrt(math.pi) * np.exp([0.0, -1.0]), rtol=1e-15)


# --- special points (PyTorch's values) ---------------------------------------------------------------


def test_abs_gradient_at_zero_is_zero():
    x = leaf([-2.0, 0.0, -0.0, 3.0])
    abs(x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [-1.0, 0.0, 0.0, 1.0])


def test_sqrt_gradient_at_zero_is_inf_without_a_warning():
    x = leaf([0.0, 4.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sqrt(x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [np.inf, 0.25])


@pytest.mark.parametrize("op", [maximum, minimum])
def test_ties_split_the_gradient(op):
    x = leaf([1.0, 2.0, 5.0])
    y = leaf(2.0)  # broadcast: y collects from every element
    g = Tensor([10.0, 20.0, 40.0])
    gx, gy = grad(op(x, y), [x, y], g)
    if op is maximum:  # x wins at 5, y at 1, tie at 2
        np.testing.assert_array_equal(gx.data, [0.0, 10.0, 40.0])
        assert gy.item() == 10.0 + 10.0
    else:
        np.testing.assert_array_equal(gx.data, [10.0, 10.0, 0.0])
        assert gy.item() == 10.0 + 40.0


@pytest.mark.parametrize("op", [maximum, minimum])
def test_nan_passes_the_gradient_to_both_sides(op):
    x, y = leaf([np.nan, 1.0]), leaf([0.0, np.nan])
    gx, gy = grad(op(x, y), [x, y], Tensor([1.0, 1.0]))
    np.testing.assert_array_equal(op(x, y).data, [np.nan, np.nan])
    np.testing.assert_array_equal(gx.data, [1.0, 1.0])  # PyTorch's masks: nobody loses, nobody ties
    np.testing.assert_array_equal(gy.data, [1.0, 1.0])


def test_clip_gradient_passes_at_the_bounds():
    x = leaf([-2.0, -1.0, 0.0, 1.0, 2.0])
    out = clip(x, -1, 1)
    np.testing.assert_array_equal(out.data, [-1.0, -1.0, 0.0, 1.0, 1.0])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 1.0, 1.0, 1.0, 0.0])


def test_clip_one_sided_and_crossed_bounds():
    x = leaf([-2.0, 0.0, 2.0])
    np.testing.assert_array_equal(clip(x, 0).data, [0.0, 0.0, 2.0])
    np.testing.assert_array_equal(clip(x, None, 0).data, [-2.0, 0.0, 0.0])
    crossed = clip(x, 1, -1)  # lo > hi: every value is hi (NumPy and PyTorch), no gradient passes
    np.testing.assert_array_equal(crossed.data, [-1.0, -1.0, -1.0])
    crossed.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0, 0.0])
    assert clip(x, -1, 1).params == {"lo": -1, "hi": 1}


def test_round_halves_to_even_and_decimals():
    halves = Tensor([0.5, 1.5, 2.5, -0.5, -1.5])
    np.testing.assert_array_equal(round(halves).data, [0.0, 2.0, 2.0, -0.0, -2.0])
    np.testing.assert_allclose(round(Tensor([1.2345, 2.5e-3]), 2).data, [1.23, 0.0])
    np.testing.assert_array_equal(round(Tensor([1234.0]), -2).data, [1200.0])


def test_kinks_take_the_left_derivative_as_pytorch():
    x = leaf([0.0])
    leaky_relu(x, 0.2).sum().backward()
    assert x.grad.item() == 0.2
    x = leaf([0.0])
    elu(x, 0.5).sum().backward()
    assert x.grad.item() == 0.5


def test_softplus_threshold_and_no_overflow():
    x = leaf([-800.0, -30.0, 0.0, 19.0, 21.0, 800.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        out = softplus(x)
        out.sum().backward()
    assert out.data[-2] == 21.0 and out.data[-1] == 800.0  # linear past the threshold
    assert out.data[0] == 0.0 and 0 < out.data[1] < 1e-13
    assert out.data[2] == math.log(2.0)
    np.testing.assert_allclose(x.grad.data, [0.0, 1 / (1 + math.exp(30)), 0.5, 1 / (1 + math.exp(-19)), 1, 1],
                               rtol=1e-12, atol=1e-16)  # NOTE: sigmoid's own accuracy below -20 or so
    big = softplus(Tensor([800.0]), threshold=1e9)  # the stable formula, no overflow either
    assert big.item() == 800.0


def test_elu_and_gelu_never_overflow_at_any_order():
    x = leaf([-1000.0, -40.0, 0.5, 1000.0])
    for op in (elu, gelu, lambda t: gelu(t, "tanh"), silu, softplus):
        with np.errstate(over="raise", invalid="raise"):
            (g1,) = grad(op(x), x, Tensor(np.ones(4)), create_graph=True)
            (g2,) = grad(g1.sum(), x)
        assert np.all(np.isfinite(g1.data)) and np.all(np.isfinite(g2.data))


def test_gelu_known_values():
    out = gelu(Tensor([-1.0, 0.0, 1.0, 2.0]))
    phi = 0.5 * (1 + math_erf(np.array([-1.0, 0.0, 1.0, 2.0]) / math.sqrt(2)))
    np.testing.assert_allclose(out.data, [-1.0, 0.0, 1.0, 2.0] * phi, rtol=1e-15)
    np.testing.assert_allclose(out.data[2], 0.8413447460685429, rtol=1e-15)
    np.testing.assert_allclose(gelu(Tensor(1.0), "tanh").item(), 0.8411919906082768, rtol=1e-15)


# --- recorded graphs ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL_UNARY)
def test_op_names_in_drawings(name):
    op = ALL_UNARY[name][0]
    out = op(leaf([0.7, 1.3]))
    expected = name.split()[0]
    assert out.op == expected and out.phase == "forward"


def test_gelu_backward_graph_is_recorded_in_ops():
    x = leaf([0.3, -1.2])
    (g,) = grad(gelu(x).sum(), x, create_graph=True)
    ops, stack, seen = set(), [g], set()
    while stack:
        t = stack.pop()
        if id(t) in seen or t.op is None:
            continue
        seen.add(id(t))
        ops.add(t.op)
        assert t.phase == "backward"
        stack.extend(t.parents)
    assert {"erf", "exp", "mul"} <= ops


# --- dtypes ------------------------------------------------------------------------------------------


BINARY_AS_UNARY = {"maximum": lambda t: maximum(t, 0.75), "minimum": lambda t: minimum(t, 0.75)}


@pytest.mark.parametrize("name", [*ALL_UNARY, *BINARY_AS_UNARY])
def test_float32_stays_float32(name):
    op = {**{k: v[0] for k, v in ALL_UNARY.items()}, **BINARY_AS_UNARY}[name]
    x = leaf([0.6, 1.3, -0.4 if name not in ("sqrt", "log1p") else 0.4], dtype=np.float32)
    out = op(x)
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == np.float32


def test_float32_with_numpy_number_parameters_stays_float32():
    x = leaf([0.5, 2.0], dtype=np.float32)
    assert clip(x, np.float64(0.7), np.float64(1.5)).dtype == np.float32
    assert maximum(x, np.float64(1.0)).dtype == np.float32
    assert leaky_relu(x, np.float64(0.1)).dtype == np.float32
    assert softplus(x, beta=np.float64(2.0)).dtype == np.float32


def test_integers_as_numpy():
    ints = Tensor([1, 4, 9])
    for op in (sqrt, sin, cos, log1p, expm1, erf):
        assert op(ints).dtype == np.float64  # NumPy computes these in float for ints
    np.testing.assert_array_equal(sqrt(ints).data, [1.0, 2.0, 3.0])
    for op in (abs, square, sign, floor, ceil, round, lambda t: clip(t, 2, 5), lambda t: maximum(t, 3)):
        assert op(ints).dtype == np.int64  # and keep ints here
    for op in (leaky_relu, elu, gelu, silu, softplus):
        assert op(ints).dtype == np.float64
    assert not sqrt(ints).requires_grad


# --- errors ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL_UNARY)
@pytest.mark.parametrize("bad", ["abc", 1 + 2j, [1.0, "x"]], ids=["str", "complex", "mixed"])
def test_non_numbers_are_refused_naming_the_op(name, bad):
    op = ALL_UNARY[name][0]
    with pytest.raises(TypeError, match=rf"^{name.split()[0]}: "):
        op(bad)


@pytest.mark.parametrize("op", [maximum, minimum])
def test_binary_shape_mismatch_names_op_and_shapes(op):
    with pytest.raises(ValueError, match=rf"{op.__name__}: shapes \(2, 3\) and \(4,\)"):
        op(Tensor(np.ones((2, 3))), Tensor(np.ones(4)))
    with pytest.raises(TypeError, match=rf"^{op.__name__}: "):
        op(Tensor(np.ones(2)), "a")


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda x: clip(x), ValueError, r"clip: give lo or hi .*shape \(2,\)"),
        (lambda x: clip(x, Tensor(0.0)), TypeError, r"clip: lo must be a number or None; got Tensor"),
        (lambda x: clip(x, 0, "1"), TypeError, r"clip: hi must be a number"),
        (lambda x: round(x, 1.5), TypeError, r"round: decimals must be an int"),
        (lambda x: gelu(x, "erf"), ValueError, r"gelu: approximate must be 'none' or 'tanh'; got 'erf'"),
        (lambda x: softplus(x, beta=0), ValueError, r"softplus: beta must not be 0"),
        (lambda x: softplus(x, threshold=None), TypeError, r"softplus: threshold must be a real number"),
        (lambda x: leaky_relu(x, "0.1"), TypeError, r"leaky_relu: negative_slope must be a real number"),
        (lambda x: elu(x, None), TypeError, r"elu: alpha must be a real number"),
        (lambda x: sign(x > 0), TypeError, r"sign: not defined for bool"),
    ],
)
def test_bad_parameters(call, error, message):
    with pytest.raises(error, match=message):
        call(Tensor([0.5, -1.0]))


# --- against PyTorch, where it is installed -----------------------------------------------------------


def _torch_table(torch):
    F = torch.nn.functional
    return {
        "abs": torch.abs, "sqrt": torch.sqrt, "square": torch.square, "sin": torch.sin, "cos": torch.cos,
        "log1p": torch.log1p, "expm1": torch.expm1, "erf": torch.erf,
        "clip": lambda t: torch.clamp(t, -0.5, 0.8), "clip lo": lambda t: torch.clamp(t, min=0.3),
        "clip hi": lambda t: torch.clamp(t, max=0.3),
        "leaky_relu": F.leaky_relu, "leaky_relu 0.2": lambda t: F.leaky_relu(t, 0.2),
        "elu": F.elu, "elu 0.5": lambda t: F.elu(t, 0.5),
        "gelu": F.gelu, "gelu tanh": lambda t: F.gelu(t, approximate="tanh"), "silu": F.silu,
        "softplus": F.softplus, "softplus beta 2, threshold 1": lambda t: F.softplus(t, beta=2, threshold=1),
        "sign": torch.sign, "floor": torch.floor, "ceil": torch.ceil, "round": torch.round,
    }


def _ours_first_second(op, a, v, w):
    x = leaf(a)
    out = op(x)
    (g1,) = grad(out, x, Tensor(v), create_graph=True)
    g2 = np.zeros_like(a)
    if g1.requires_grad:
        (h,) = grad(g1, x, Tensor(w), allow_unused=True)
        g2 = np.zeros_like(a) if h is None else h.data
    return out.data, g1.data, g2


def _torch_first_second(torch, op, a, v, w):
    x = torch.tensor(a, dtype=torch.float64, requires_grad=True)
    out = op(x)
    (g1,) = torch.autograd.grad(out, x, torch.tensor(v), create_graph=True)
    g2 = np.zeros_like(a)
    if g1.requires_grad:
        (h,) = torch.autograd.grad(g1, x, torch.tensor(w), allow_unused=True)
        if h is not None and h._is_zerotensor():  # PyTorch's symbolic zero (abs'' = 0)
            h = None
        g2 = np.zeros_like(a) if h is None else h.detach().numpy()
    return out.detach().numpy(), g1.detach().numpy(), g2


# Points where PyTorch's second derivative disagrees with its own first derivative (a kink or a
# threshold met exactly): its double backward takes the other side of the kink than its backward.
# tracegrad differentiates its own first derivative there, so these points are left out of the
# second-order comparison only.
TORCH_SECOND_ORDER_KINKS = {
    "elu": lambda a: a == 0, "elu 0.5": lambda a: a == 0,
    "softplus beta 2, threshold 1": lambda a: a * 2 == 1,
}


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


SPECIAL = [0.0, -1.0, 1.0, 0.5, -0.5, 0.3, 0.8, 2.5]  # kinks, clip bounds, steps, halves


@pytest.mark.parametrize("name", ALL_UNARY)
@settings(max_examples=5, deadline=None)
@given(data=st.data())
def test_against_pytorch(torch, name, data):
    op, _, elements = ALL_UNARY[name]
    a = np.concatenate([data.draw(hnp.arrays(np.float64, 6, elements=elements), label="x"), SPECIAL])
    if name in ("sqrt", "log1p"):  # sqrt'(0) = inf is checked on its own above
        a = np.abs(a) + 0.2
    rng = np.random.default_rng(0)
    v, w = rng.standard_normal(a.shape), rng.standard_normal(a.shape)
    ours = _ours_first_second(op, a, v, w)
    theirs = _torch_first_second(torch, _torch_table(torch)[name], a, v, w)
    kink = TORCH_SECOND_ORDER_KINKS.get(name, lambda a: np.zeros(a.shape, bool))(a)
    for what, o, t in zip(("value", "first derivative", "second derivative"), ours, theirs):
        if what == "second derivative":
            o, t = o[~kink], t[~kink]
        np.testing.assert_allclose(o, t, rtol=1e-12, atol=1e-14, err_msg=f"{name}: {what} at x = {a}")


@pytest.mark.parametrize("which", ["maximum", "minimum"])
def test_ties_against_pytorch(torch, which):
    op, top = (maximum, torch.maximum) if which == "maximum" else (minimum, torch.minimum)
    a, b = np.array([[1.0, 2.0, 3.0]]), np.array([[2.0], [0.5]])  # ties, and broadcasting both ways
    g = np.random.default_rng(1).standard_normal((2, 3))
    x, y = leaf(a), leaf(b)
    gx, gy = grad(op(x, y), [x, y], Tensor(g))
    tx, ty = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    tgx, tgy = torch.autograd.grad(top(tx, ty), [tx, ty], torch.tensor(g))
    np.testing.assert_array_equal(op(x, y).data, top(tx, ty).detach().numpy())
    np.testing.assert_allclose(gx.data, tgx.numpy(), rtol=1e-15)
    np.testing.assert_allclose(gy.data, tgy.numpy(), rtol=1e-15)
