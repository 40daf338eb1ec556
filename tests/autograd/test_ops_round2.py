"""Regression tests for issue 10, items 2, 4, 6 and 7: casts, pow at its special points, comparisons, dtypes.

Pow's expected gradients are PyTorch's definitions (torch/csrc/autograd/FunctionsManual.cpp,
pow_backward_self and pow_backward_exponent), written out in NumPy:

    dx = where(y == 0, 0, y * x^(y-1))
    dy = where((x == 0) & (y >= 0), 0, z * log(x))     # -inf at x == 0, y < 0; NaN at x < 0
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autograd as ag
from autograd import Tensor, grad, gradcheck, gradgradcheck

SPECIAL = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -2.0, 0.5, 2.5, -1.5, 1e300, -1e-300])


def quiet():
    """NumPy's own RuntimeWarnings (log of 0, 0 ** -1) are expected at the special points."""
    w = warnings.catch_warnings()
    w.__enter__()
    warnings.simplefilter("ignore", RuntimeWarning)
    return w


def torch_pow_grads(a, b):
    with np.errstate(all="ignore"):
        z = np.power(a, b)
        dx = np.where(b == 0, 0.0, b * np.power(a, b - 1))
        dy = np.where((a == 0) & (b >= 0), 0.0, z * np.log(a))
    return z, dx, dy


# --- item 2: casts -------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [int, np.int32, np.int8, np.uint8, bool, np.bool_, "int64"])
def test_cast_to_int_or_bool_is_a_constant(dtype):
    x = Tensor([1.5, -2.5, 0.0], requires_grad=True)
    for y in (x.astype(dtype), ag.cast(x, dtype)):
        assert y.dtype == np.dtype(dtype)
        assert not y.requires_grad and y.op is None and y.parents == ()
        np.testing.assert_array_equal(y.data, np.array([1.5, -2.5, 0.0]).astype(dtype))


def test_no_gradient_passes_through_rounding():
    x = Tensor([1.5, 2.5], requires_grad=True)
    (x * x.astype(int)).sum().backward()  # d/dx x * round(x) treats round(x) as a constant
    np.testing.assert_array_equal(x.grad.data, [1.0, 2.0])
    x.grad = None
    with pytest.raises(RuntimeError):
        x.astype(int).astype(np.float64).sum().backward()  # nothing that requires grad was recorded


def test_cast_to_int_inside_a_recorded_backward_records_nothing():
    x = Tensor([0.3, 1.7], requires_grad=True)
    (g,) = grad((x * x).sum(), x, create_graph=True)
    m = g.astype(np.int64)
    assert not m.requires_grad and m.op is None


@pytest.mark.parametrize("dtype", [complex, np.complex64, object, str, bytes, "U3", "datetime64[s]"])
def test_cast_to_a_non_real_dtype_raises(dtype):
    x = Tensor([1.5, 2.5], requires_grad=True)
    with pytest.raises(TypeError, match=r"cast \(astype\).*dtype") as err:
        x.astype(dtype)
    assert str(np.dtype(dtype)) in str(err.value) and "(2,)" in str(err.value)
    with pytest.raises(TypeError, match="cast"):
        ag.cast(x, dtype)


def test_cast_to_something_that_is_no_dtype_raises():
    with pytest.raises(TypeError, match=r"cast \(astype\).*'nonsense' is not a dtype"):
        Tensor([1.0]).astype("nonsense")


@pytest.mark.parametrize("src, dst", [(np.float32, np.float64), (np.float64, np.float32),
                                      (np.float16, np.float64), (np.float64, np.float16)])
def test_float_to_float_casts_stay_differentiable(src, dst):
    x = Tensor(np.array([0.5, 1.5, -2.0], dtype=src), requires_grad=True)
    y = x.astype(dst)
    assert y.op == "cast" and y.requires_grad and y.dtype == dst
    (y * y).sum().backward()
    assert x.grad.dtype == src  # the VJP casts back
    np.testing.assert_allclose(x.grad.data, 2 * x.data, rtol=1e-3)


def test_float_cast_second_order():
    x = Tensor(np.array([0.5, -1.25, 2.0]), requires_grad=True)
    (g,) = grad((x.astype(np.float32) ** 3).sum(), x, create_graph=True)  # 3 x^2, through two casts
    assert g.dtype == np.float64 and g.op == "cast"
    (gg,) = grad(g.sum(), x)
    np.testing.assert_allclose(gg.data, 6 * x.data, rtol=1e-6)


def test_cast_to_the_same_dtype_is_the_tensor_itself():
    x = Tensor([1.0, 2.0], requires_grad=True)
    assert x.astype(np.float64) is x
    i = Tensor([1, 2])
    assert i.astype(np.int64) is i


# --- item 4: pow with a tensor exponent, at its special points ------------------------------------------


def test_pow_special_points_match_pytorch():
    a = np.repeat(SPECIAL, SPECIAL.size)
    b = np.tile(SPECIAL, SPECIAL.size)  # every pair
    x, y = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    z_ref, dx_ref, dy_ref = torch_pow_grads(a, b)
    w = quiet()
    try:
        z = x**y
        z.sum().backward()
    finally:
        w.__exit__(None, None, None)
    np.testing.assert_array_equal(z.data, z_ref)
    np.testing.assert_array_equal(x.grad.data, dx_ref)  # -0.0 == 0.0: the sign of a zero is not pinned
    np.testing.assert_array_equal(y.grad.data, dy_ref)


@pytest.mark.parametrize("a, b, dx, dy", [
    (0.0, 0.0, 0.0, 0.0),           # was dx NaN
    (-0.0, 0.0, 0.0, 0.0),
    (0.0, -1.0, -np.inf, -np.inf),  # z = inf; dy was NaN
    (0.0, -2.0, -np.inf, -np.inf),
    (-2.0, 2.0, -4.0, np.nan),      # negative base: dy was 0
    (-2.0, 3.0, 12.0, np.nan),
    (0.0, 2.0, 0.0, 0.0),           # x == 0, y > 0: the limit 0
    (0.0, 0.5, np.inf, 0.0),
    (np.nan, 0.0, 0.0, np.nan),     # y == 0: dx is 0 whatever x is
    (3.0, 0.0, 0.0, np.log(3.0)),
])
def test_pow_special_points_one_by_one(a, b, dx, dy):
    x, y = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    w = quiet()
    try:
        gx, gy = grad(x**y, (x, y))
    finally:
        w.__exit__(None, None, None)
    np.testing.assert_array_equal(gx.data, dx)
    np.testing.assert_array_equal(gy.data, dy)


def test_pow_with_a_number_base_zero():
    y = Tensor([-1.0, 0.0, 2.0], requires_grad=True)
    w = quiet()
    try:
        (gy,) = grad((0.0**y).sum(), y)
    finally:
        w.__exit__(None, None, None)
    np.testing.assert_array_equal(gy.data, [-np.inf, 0.0, 0.0])


def test_pow_second_order_away_from_the_special_points():
    rng = np.random.default_rng(4)
    x = Tensor(rng.uniform(0.3, 2.0, (2, 3)), requires_grad=True)
    y = Tensor(np.array([-1.5, 0.0, 2.5]), requires_grad=True)  # y == 0 with x > 0 is an ordinary point
    assert gradcheck(lambda a, b: a**b, [x, y])
    assert gradgradcheck(lambda a, b: a**b, [x, y])


def test_pow_second_order_at_y_zero_is_right():
    """d/dy (y x^(y-1)) at y = 0 is 1/x; a mask of every y == 0 (PyTorch's) would give 0."""
    x, y = Tensor(2.0, requires_grad=True), Tensor(0.0, requires_grad=True)
    (gx,) = grad(x**y, x, create_graph=True)
    (gxy,) = grad(gx, y)
    assert gxy.item() == pytest.approx(0.5)


def test_pow_second_order_at_the_masked_points_is_finite():
    x = Tensor([0.0, 0.0], requires_grad=True)
    y = Tensor([0.0, 2.0], requires_grad=True)
    w = quiet()
    try:
        gx, gy = grad((x**y).sum(), (x, y), create_graph=True)
        second = grad((gx + gy).sum(), (x, y))
    finally:
        w.__exit__(None, None, None)
    for s in second:
        assert np.isfinite(s.data).all()


def test_pow_backward_graph_has_no_masks_in_the_common_case():
    x, y = Tensor([1.5, 2.0], requires_grad=True), Tensor([0.5, 3.0], requires_grad=True)
    gx, gy = grad((x**y).sum(), (x, y), create_graph=True)
    ops = {t.op for t in ag.toposort([gx, gy]) if t.op is not None}
    assert "where" not in ops


# --- item 6: comparisons -----------------------------------------------------------------------------------


COMPARE = {  # name: (NumPy reference, Python operator); the function is ag.<name>
    "equal": (np.equal, lambda a, b: a == b),
    "not_equal": (np.not_equal, lambda a, b: a != b),
    "less": (np.less, lambda a, b: a < b),
    "less_equal": (np.less_equal, lambda a, b: a <= b),
    "greater": (np.greater, lambda a, b: a > b),
    "greater_equal": (np.greater_equal, lambda a, b: a >= b),
}


def check_mask(m, expected):
    assert isinstance(m, Tensor) and m.dtype == np.bool_
    assert not m.requires_grad and m.op is None and m.parents == ()
    np.testing.assert_array_equal(m.data, expected)


@pytest.mark.parametrize("name", COMPARE)
def test_comparisons_are_elementwise(name):
    (ref, operator), fn = COMPARE[name], getattr(ag, name)
    a = np.array([[0.0, -0.0, 1.0, np.nan, np.inf, -2.0]])  # (1, 6)
    b = np.array([[0.0], [np.nan], [1.0]])                 # (3, 1): broadcast to (3, 6)
    x, y = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    expected = ref(a, b)
    for m in (fn(x, y), operator(x, y), fn(a, y), fn(x, b), operator(x, b), operator(a, y),
              operator(x, Tensor(b))):
        check_mask(m, expected)
    check_mask(operator(x, 0.5), ref(a, 0.5))
    check_mask(operator(0.5, x), ref(0.5, a))
    check_mask(operator(x, [1.0, 1.0, 1.0, 1.0, 1.0, 1.0]), ref(a, 1.0))
    check_mask(fn(0.5, 1), ref(0.5, 1))


def test_the_issue_examples():
    check_mask(Tensor(np.ones(3)) == Tensor(np.ones(3)), [True, True, True])
    t = Tensor([0.2, 0.7, 0.5], requires_grad=True)
    check_mask(t > 0.5, [False, True, False])
    check_mask(np.float64(0.5) < t, [False, True, False])


def test_a_float32_tensor_compares_with_a_number_in_float32():
    x = Tensor(np.array([0.1], dtype=np.float32))
    check_mask(x == 0.1, [True])  # as NumPy does with a Python float
    check_mask(x - 0.1 == 0, [True])


def test_comparisons_with_an_array_on_the_left_give_a_tensor():
    t = Tensor([1.0, 2.0, 3.0])
    check_mask(np.array([2.0, 2.0, 2.0]) < t, [False, False, True])
    check_mask(np.array([2.0, 2.0, 2.0]) == t, [False, True, False])


def test_a_mask_drives_where():
    x = Tensor([0.2, 0.7, -1.0], requires_grad=True)
    y = ag.where(x > 0.5, x * x, x)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, [1.0, 1.4, 1.0])


def test_comparisons_inside_a_recorded_backward_record_nothing():
    x = Tensor([0.2, 0.7], requires_grad=True)
    (g,) = grad((x * x).sum(), x, create_graph=True)
    check_mask(g > 1.0, [False, True])


@pytest.mark.parametrize("name", COMPARE)
def test_comparison_shape_errors_name_the_op_and_both_shapes(name):
    (_, operator), fn = COMPARE[name], getattr(ag, name)
    x, y = Tensor(np.ones((2, 3)), requires_grad=True), Tensor(np.ones(4))
    for call in (lambda: fn(x, y), lambda: operator(x, y)):
        with pytest.raises(ValueError, match=rf"{name}: shapes \(2, 3\) and \(4,\)"):
            call()


def test_comparisons_with_things_that_are_not_numbers():
    t = Tensor([1.0, 2.0])
    assert (t == None) is False and (t != None) is True  # noqa: E711  (Python's fallback: identity)
    assert (t == "a") is False
    with pytest.raises(TypeError):
        t < None  # noqa: B015
    with pytest.raises(TypeError, match="equal"):
        ag.equal(t, "a")


def test_hashing_stays_by_identity():
    a, b = Tensor([1.0, 2.0]), Tensor([1.0, 2.0])
    assert hash(a) == object.__hash__(a)
    d = {a: "a", b: "b"}
    assert d[a] == "a" and d[b] == "b" and len({a, b, a}) == 2
    assert a in {a} and b not in {a}  # sets and dicts match by identity (the hash differs)


def test_membership_in_a_list_compares_elementwise():
    """NOTE: the trap the comparison docs warn about: look tensors up by identity."""
    a, b = Tensor([1.0, 2.0]), Tensor([1.0, 2.0])
    assert a in [a]  # the identity shortcut of list.__contains__
    with pytest.raises(TypeError, match="truth value is ambiguous"):
        b in [a]  # noqa: B015
    assert any(t is b for t in [a, b])


# --- item 7: dtypes ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("scalar", [np.float64(2), np.float32(2), np.float16(2), np.int64(2), 2, 2.0,
                                    np.float64(0.5)])
def test_pow_with_a_numpy_number_keeps_the_dtype_as_mul_does(dtype, scalar):
    x = Tensor(np.array([1.5, 4.0], dtype=dtype), requires_grad=True)
    z = x**scalar
    assert z.dtype == (x * scalar).dtype == dtype
    np.testing.assert_allclose(z.data, np.array([1.5, 4.0]) ** float(scalar), rtol=1e-3)
    z.sum().backward()
    assert x.grad.dtype == dtype


def test_pow_with_a_numpy_number_on_an_int_tensor_is_numpy():
    i = Tensor(np.array([1, 2, 3], dtype=np.int32))
    assert (i**np.float64(0.5)).dtype == (i * np.float64(0.5)).dtype == np.float64
    assert (i**2).dtype == np.int32


def test_float16_mean_of_many_ones():
    x = Tensor(np.ones(70_000, dtype=np.float16), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        m = x.mean()
        assert m.dtype == np.float16 and m.item() == 1.0
        m.backward()
    assert x.grad.dtype == np.float16
    assert (x.grad.data == np.float16(1 / 70_000)).all()  # 1/70000 rounded to float16 (a subnormal)
