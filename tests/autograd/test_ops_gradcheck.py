"""Every primitive against finite differences (gradcheck, gradgradcheck), NumPy values, and float32.

Inputs are float64 and kept away from the places where an op is not smooth or not defined: log and the
base of a Tensor power stay positive, denominators away from 0, relu away from its kink, and max has no
ties. Hypothesis drives shapes and values of the elementwise ops and the reductions; the rest are
parametrized by hand. The last section checks the checkers: deliberately wrong VJPs must be caught.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd as ag
from autograd import Function, GradcheckError, Tensor, apply, dotcheck, gradcheck, gradgradcheck

FEW = settings(max_examples=25, deadline=None)
SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)


@dataclass(frozen=True)
class Domain:
    """Input values in [lo, hi], and also in [-hi, -lo] when `mirrored`."""

    lo: float
    hi: float
    mirrored: bool = False

    def strategy(self):
        s = st.floats(self.lo, self.hi)  # bounded: never NaN or infinite
        return s | st.floats(-self.hi, -self.lo) if self.mirrored else s

    def sample(self, shape, seed: int = 0) -> np.ndarray:
        rng = np.random.default_rng(seed)
        v = rng.uniform(self.lo, self.hi, size=shape)
        if self.mirrored:
            v = v * rng.choice([-1.0, 1.0], size=shape)
        return np.asarray(v, dtype=np.float64)


WIDE = Domain(-2.0, 2.0)
POSITIVE = Domain(0.5, 2.0)
NONZERO = Domain(0.5, 2.0, mirrored=True)
AWAY_FROM_ZERO = Domain(0.1, 2.0, mirrored=True)  # relu's kink, and x ** -1


def leaf(a, name: str | None = None) -> Tensor:
    return Tensor(np.asarray(a, dtype=np.float64), requires_grad=True, name=name)


def assert_values(out: Tensor, expected, rtol: float = 1e-12, atol: float = 0.0):
    """`out` holds NumPy's answer: same shape, same values."""
    expected = np.asarray(expected)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.data, expected, rtol=rtol, atol=atol)


def check_both_orders(fn, *inputs: Tensor):
    assert gradcheck(fn, inputs) is True
    assert gradgradcheck(fn, inputs) is True


def _pow_number(p):
    return (lambda t: ag.pow(t, p)), (lambda a: np.power(a, p))


# name: (op, NumPy reference, input domain)
UNARY = {
    "neg": (ag.neg, np.negative, WIDE),
    "exp": (ag.exp, np.exp, WIDE),
    "log": (ag.log, np.log, POSITIVE),
    "tanh": (ag.tanh, np.tanh, WIDE),
    "sigmoid": (ag.sigmoid, lambda a: 1.0 / (1.0 + np.exp(-a)), WIDE),
    "relu": (ag.relu, lambda a: np.maximum(a, 0.0), AWAY_FROM_ZERO),
    "pow 2": (*_pow_number(2), WIDE),
    "pow 3": (*_pow_number(3), WIDE),
    "pow 0.5": (*_pow_number(0.5), POSITIVE),
    "pow -1": (*_pow_number(-1), AWAY_FROM_ZERO),
    "pow 0": (*_pow_number(0), WIDE),
    "pow 1": (*_pow_number(1), WIDE),
    "pow 2.5": (*_pow_number(2.5), POSITIVE),
}

# name: (op, NumPy reference, domain of x, domain of y)
BINARY = {
    "add": (ag.add, np.add, WIDE, WIDE),
    "sub": (ag.sub, np.subtract, WIDE, WIDE),
    "mul": (ag.mul, np.multiply, WIDE, WIDE),
    "div": (ag.div, np.divide, WIDE, NONZERO),
    "pow": (ag.pow, np.power, POSITIVE, WIDE),  # Tensor exponent: an input, not a parameter
}


# --- elementwise -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", UNARY)
@FEW
@given(data=st.data())
def test_unary_gradcheck(name, data):
    op, ref, domain = UNARY[name]
    a = data.draw(hnp.arrays(np.float64, SHAPES, elements=domain.strategy()), label="x")
    x = leaf(a)
    assert_values(op(x), ref(a))
    check_both_orders(op, x)


@pytest.mark.parametrize("name", BINARY)
@FEW
@given(data=st.data())
def test_binary_gradcheck_with_broadcasting(name, data):
    op, ref, x_domain, y_domain = BINARY[name]
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=4), "shapes")
    a = data.draw(hnp.arrays(np.float64, shapes.input_shapes[0], elements=x_domain.strategy()), label="x")
    b = data.draw(hnp.arrays(np.float64, shapes.input_shapes[1], elements=y_domain.strategy()), label="y")
    wanted = data.draw(st.sampled_from([(True, True), (True, False), (False, True)]), label="requires_grad")
    x = Tensor(a, requires_grad=wanted[0])
    y = Tensor(b, requires_grad=wanted[1])
    out = op(x, y)
    assert out.shape == shapes.result_shape
    assert_values(out, ref(a, b))
    check_both_orders(op, x, y)


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize(
    "x_shape, y_shape",
    [((2, 3), (3,)), ((2, 1), (1, 3)), ((), (2, 3)), ((4, 1, 3), (2, 1)), ((3,), (2, 3)), ((2, 3), ())],
)
def test_binary_gradcheck_broadcasting_shapes(name, x_shape, y_shape):
    op, ref, x_domain, y_domain = BINARY[name]
    a, b = x_domain.sample(x_shape, seed=1), y_domain.sample(y_shape, seed=2)
    x, y = leaf(a, "x"), leaf(b, "y")
    assert_values(op(x, y), ref(a, b))
    check_both_orders(op, x, y)


@pytest.mark.parametrize("use_tensor_mask", [False, True])
@pytest.mark.parametrize(
    "mask_shape, x_shape, y_shape", [((2, 3), (2, 3), (2, 3)), ((3,), (2, 3), ()), ((2, 1), (3,), (2, 3))]
)
def test_where_gradcheck(mask_shape, x_shape, y_shape, use_tensor_mask):
    mask = np.arange(np.prod(mask_shape, dtype=int)).reshape(mask_shape) % 2 == 0
    a, b = WIDE.sample(x_shape, seed=3), WIDE.sample(y_shape, seed=4)
    cond = Tensor(mask) if use_tensor_mask else mask
    out = ag.where(cond, leaf(a), leaf(b))
    assert_values(out, np.where(mask, a, b))
    check_both_orders(lambda x, y: ag.where(cond, x, y), leaf(a, "x"), leaf(b, "y"))


def test_where_gradient_routes_by_mask():
    mask = np.array([True, False, True])
    x, y = leaf([1.0, 2.0, 3.0]), leaf([4.0, 5.0, 6.0])
    ag.where(mask, x, y).backward(Tensor([10.0, 20.0, 30.0]))
    np.testing.assert_array_equal(x.grad.data, [10.0, 0.0, 30.0])
    np.testing.assert_array_equal(y.grad.data, [0.0, 20.0, 0.0])


def test_where_keeps_its_own_copy_of_the_mask():
    mask = np.array([True, False, True])
    x = leaf([1.0, 2.0, 3.0])
    y = ag.where(mask, x, 0.0)
    mask[:] = False  # the caller reuses its array after the forward pass
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, 0.0, 1.0])


def test_relu_gradient_is_a_step():
    x = leaf([-1.5, -0.2, 0.3, 2.0])
    ag.relu(x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0, 1.0, 1.0])


def test_pow_zero_exponent_has_zero_gradient():
    x = leaf([-1.5, 0.0, 2.0])
    (x**0).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0, 0.0])


def test_cast_to_float32_and_back_values_and_grad_dtype():
    a = np.array([0.1, -1.0 / 3.0, 2.0, 1e-8])
    x = leaf(a)
    assert ag.cast(x, np.float64) is x  # same dtype: no op recorded
    down = ag.cast(x, np.float32)
    up = x.astype(np.float32).astype(np.float64)
    assert down.dtype == np.float32 and down.op == "cast"
    np.testing.assert_array_equal(down.data, a.astype(np.float32))
    assert up.dtype == np.float64
    np.testing.assert_array_equal(up.data, a.astype(np.float32).astype(np.float64))
    (down * 3.0).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad.data, np.full(4, 3.0))


# --- float32 stays float32 -------------------------------------------------------------------------


def _float32_leaf(domain: Domain, shape=(2, 3), seed: int = 5) -> tuple[np.ndarray, Tensor]:
    a = domain.sample(shape, seed=seed).astype(np.float32)
    return a, Tensor(a, requires_grad=True)


def _check_float32(op, x32: Tensor, ref_value):
    """op keeps float32 in its value, its gradient and its gradient's gradient; values close to float64."""
    out = op(x32)
    assert out.dtype == np.float32
    assert_values(out, ref_value, rtol=2e-6, atol=1e-6)
    (g,) = ag.grad(out.sum(), x32, create_graph=True)
    assert g.dtype == np.float32
    if g.requires_grad:  # else the gradient does not depend on x (neg, relu, ...)
        (gg,) = ag.grad(g.sum(), x32, allow_unused=True)
        assert gg is None or gg.dtype == np.float32
    x64 = leaf(x32.data)
    op(x64).sum().backward()
    np.testing.assert_allclose(g.data, x64.grad.data, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", UNARY)
def test_unary_keeps_float32(name):
    op, ref, domain = UNARY[name]
    a, x = _float32_leaf(domain)
    _check_float32(op, x, ref(a.astype(np.float64)))


NUMBER_CASES = [
    (name, number, number_first)
    for name in BINARY
    for number in [2, 2.5, -0.75]
    for number_first in [False, True]
    if not (name == "pow" and number_first and number < 0)  # a negative base has no real power
]


@pytest.mark.parametrize("name, number, number_first", NUMBER_CASES)
def test_binary_with_python_number_keeps_float32(name, number, number_first):
    """x op number and number op x: the number takes x's dtype."""
    op, ref, x_domain, y_domain = BINARY[name]
    a, x = _float32_leaf(y_domain if number_first else x_domain)  # the tensor takes the place of y or x
    a64 = a.astype(np.float64)
    if number_first:
        _check_float32(lambda t: op(number, t), x, ref(number, a64))
    else:
        _check_float32(lambda t: op(t, number), x, ref(a64, number))


def test_operators_route_to_the_primitives():
    x, y = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    ops = {"add": x + y, "sub": x - y, "mul": x * y, "div": x / y, "pow": x**y, "neg": -x, "matmul": x @ y}
    assert {name: t.op for name, t in ops.items()} == {name: name for name in ops}
    assert (x**2).op == "pow" and (x**2).params == {"p": 2} and (x**2).parents == (x,)
    assert (2.0**x).op == "pow" and len((2.0**x).parents) == 2


OTHER_FLOAT32_OPS = {
    "sum": (lambda t: ag.sum(t, axis=0), lambda a: a.sum(axis=0)),
    "mean": (lambda t: t.mean(axis=(0, 1), keepdims=True), lambda a: a.mean(axis=(0, 1), keepdims=True)),
    "max": (lambda t: t.max(axis=1), lambda a: a.max(axis=1)),
    "matmul": (lambda t: t @ t.T, lambda a: a @ a.T),
    "reshape": (lambda t: t.reshape(-1), lambda a: a.reshape(-1)),
    "transpose": (lambda t: t.transpose(1, 0), lambda a: a.T),
    "broadcast_to": (lambda t: t.broadcast_to((4, 2, 3)), lambda a: np.broadcast_to(a, (4, 2, 3))),
    "sum_to": (lambda t: ag.sum_to(t, (1, 3)), lambda a: a.sum(axis=0, keepdims=True)),
    "getitem": (lambda t: t[[1, 1, 0], ::2], lambda a: a[[1, 1, 0], ::2]),
    "scatter_add": (lambda t: ag.scatter_add(t, ([0, 0], slice(None)), (3, 3)),
                    lambda a: np.stack([a.sum(axis=0), np.zeros(3), np.zeros(3)])),
    "where": (lambda t: ag.where(np.array([True, False, True]), t, 0.5),
              lambda a: np.where([True, False, True], a, 0.5)),
}


@pytest.mark.parametrize("name", OTHER_FLOAT32_OPS)
def test_other_ops_keep_float32(name):
    op, ref = OTHER_FLOAT32_OPS[name]
    a64 = np.array([[0.5, -1.25, 2.0], [1.5, 0.25, -0.75]])  # distinct values: no ties for max
    x = Tensor(a64.astype(np.float32), requires_grad=True)
    _check_float32(op, x, ref(a64))


# --- reductions ------------------------------------------------------------------------------------


REDUCTIONS = {"sum": (ag.sum, np.sum), "mean": (ag.mean, np.mean), "max": (ag.max, np.max)}


def distinct_values(shape, order) -> np.ndarray:
    """Values 0.25 apart (no ties, and far more than the finite-difference step), in the given order."""
    return ((np.asarray(order, dtype=np.float64) - len(order) / 2) * 0.25).reshape(shape)


@st.composite
def reduction_cases(draw, distinct: bool):
    """(values, axis, keepdims): axis is None, an int (maybe negative) or a tuple of ints."""
    shape = draw(SHAPES, label="shape")
    ndim = len(shape)
    axes = st.none() | hnp.valid_tuple_axes(ndim)
    if ndim:
        axes = axes | st.integers(-ndim, ndim - 1)
    axis = draw(axes, label="axis")
    keepdims = draw(st.booleans(), label="keepdims")
    if distinct:
        order = draw(st.permutations(range(int(np.prod(shape, dtype=int)))), label="order")
        values = distinct_values(shape, order)
    else:
        values = draw(hnp.arrays(np.float64, shape, elements=WIDE.strategy()), label="x")
    return values, axis, keepdims


@pytest.mark.parametrize("name", REDUCTIONS)
@FEW
@given(data=st.data())
def test_reduction_gradcheck(name, data):
    a, axis, keepdims = data.draw(reduction_cases(distinct=name == "max"))
    op, ref = REDUCTIONS[name]
    x = leaf(a)
    assert_values(op(x, axis, keepdims), ref(a, axis=axis, keepdims=keepdims))
    check_both_orders(lambda t: op(t, axis, keepdims), x)


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", [None, 1, -1, -3, (0, 2), (-1, 0), (0, 1, 2), ()], ids=str)
@pytest.mark.parametrize("name", REDUCTIONS)
def test_reduction_gradcheck_axes(name, axis, keepdims):
    op, ref = REDUCTIONS[name]
    a = distinct_values((2, 3, 2), np.random.default_rng(6).permutation(12))
    x = leaf(a, "x")
    assert_values(op(x, axis, keepdims), ref(a, axis=axis, keepdims=keepdims))
    check_both_orders(lambda t: op(t, axis, keepdims), x)


def test_reduction_methods_match_functions():
    a = distinct_values((2, 3), [4, 0, 5, 1, 3, 2])
    x = leaf(a)
    assert_values(x.sum(axis=-1), a.sum(axis=-1))
    assert_values(x.mean(axis=0, keepdims=True), a.mean(axis=0, keepdims=True))
    assert_values(x.max(), a.max())


def test_max_gradient_goes_to_the_maximum_only():
    x = leaf([[1.0, 3.0, 2.0], [0.5, -1.0, 0.25]])
    x.max(axis=1).backward(Tensor([10.0, 20.0]))
    np.testing.assert_array_equal(x.grad.data, [[0.0, 10.0, 0.0], [20.0, 0.0, 0.0]])


def test_max_ties_share_the_gradient():
    """At a tie max is not differentiable; by convention the k maxima each get 1/k of the gradient."""
    x = leaf([[2.0, 2.0, 1.0, 2.0], [0.5, -1.0, 0.5, 0.25]])
    x.max(axis=-1, keepdims=True).backward(Tensor([[3.0], [10.0]]))
    np.testing.assert_allclose(x.grad.data, [[1.0, 1.0, 0.0, 1.0], [5.0, 0.0, 5.0, 0.0]], rtol=1e-15)
    y = leaf([1.0, 1.0])
    y.max().backward()
    np.testing.assert_allclose(y.grad.data, [0.5, 0.5], rtol=1e-15)


# --- matmul ----------------------------------------------------------------------------------------


MATMUL_SHAPES = [
    ((2, 3), (3, 4)),
    ((3,), (3, 2)),
    ((2, 3), (3,)),
    ((3,), (3,)),
    ((2, 2, 3), (2, 3, 2)),
    ((2, 2, 3), (3, 2)),
    ((3,), (2, 3, 2)),
    ((1, 2, 3), (4, 3, 5)),
]


@pytest.mark.parametrize("x_shape, y_shape", MATMUL_SHAPES, ids=str)
def test_matmul_gradcheck(x_shape, y_shape):
    a, b = WIDE.sample(x_shape, seed=7), WIDE.sample(y_shape, seed=8)
    x, y = leaf(a, "x"), leaf(b, "y")
    assert_values(ag.matmul(x, y), np.matmul(a, b))
    assert_values(x @ y, a @ b)
    check_both_orders(ag.matmul, x, y)


@pytest.mark.parametrize("x_shape, y_shape", [((2, 3), (3, 4)), ((1, 2, 3), (4, 3, 5))], ids=str)
def test_matmul_gradcheck_one_input_constant(x_shape, y_shape):
    a, b = WIDE.sample(x_shape, seed=9), WIDE.sample(y_shape, seed=10)
    check_both_orders(ag.matmul, leaf(a), Tensor(b))
    check_both_orders(ag.matmul, Tensor(a), leaf(b))


# --- shape ops -------------------------------------------------------------------------------------


# name: (input shape, op, NumPy reference)
SHAPE_OPS = {
    "reshape": ((2, 3, 2), lambda t: ag.reshape(t, (3, 4)), lambda a: a.reshape(3, 4)),
    "reshape -1": ((2, 3, 2), lambda t: t.reshape(-1, 2), lambda a: a.reshape(-1, 2)),
    "reshape flat": ((2, 3), lambda t: t.reshape(-1), lambda a: a.reshape(-1)),
    "reshape scalar": ((), lambda t: t.reshape(1, 1), lambda a: a.reshape(1, 1)),
    "reshape to scalar": ((1, 1), lambda t: t.reshape(()), lambda a: a.reshape(())),
    "transpose default": ((2, 3, 4), ag.transpose, np.transpose),
    "transpose axes": ((2, 3, 4), lambda t: t.transpose(1, 2, 0), lambda a: a.transpose(1, 2, 0)),
    "transpose negative axes": ((2, 3, 4), lambda t: ag.transpose(t, (-1, 0, -2)),
                                lambda a: a.transpose(2, 0, 1)),
    "T": ((2, 3), lambda t: t.T, lambda a: a.T),
    "T 3-d": ((2, 3, 4), lambda t: t.T, lambda a: a.T),
    "broadcast_to": ((3, 1), lambda t: ag.broadcast_to(t, (2, 3, 4)), lambda a: np.tile(a, (2, 1, 4))),
    "broadcast_to from scalar": ((), lambda t: t.broadcast_to((2, 3)), lambda a: np.broadcast_to(a, (2, 3))),
    "sum_to": ((2, 3, 4), lambda t: ag.sum_to(t, (3, 1)), lambda a: a.sum(axis=(0, 2))[:, None]),
    "sum_to leading": ((2, 3, 4), lambda t: ag.sum_to(t, (4,)), lambda a: a.sum(axis=(0, 1))),
    "sum_to scalar": ((2, 3), lambda t: ag.sum_to(t, ()), lambda a: a.sum()),
    "sum_to keep ones": ((2, 1, 4), lambda t: ag.sum_to(t, (1, 1, 4)), lambda a: a.sum(0, keepdims=True)),
}


@pytest.mark.parametrize("name", SHAPE_OPS)
def test_shape_op_gradcheck(name):
    shape, op, ref = SHAPE_OPS[name]
    a = WIDE.sample(shape, seed=11)
    x = leaf(a, "x")
    assert_values(op(x), ref(a))
    check_both_orders(op, x)


GETITEM = {
    "int": 1,
    "negative int": -1,
    "two ints": (2, -1),
    "three ints": (3, 0, 1),
    "slice": slice(1, 3),
    "slice with step": (slice(None, None, 2), slice(0, 3, 2)),
    "negative step": (slice(None, None, -2), slice(-1, 0, -1)),
    "None": (None, 1),
    "None between": (slice(None), None, 0),
    "Ellipsis": (Ellipsis, 0),
    "Ellipsis, None": (1, Ellipsis, None),
    "repeated int array": [0, 0, 3, 0],
    "repeated negative int array": np.array([-1, 3, -4, 0]),
    "2-d int array": np.array([[1, 1], [2, 1]]),
    "two int arrays": ([0, 0, 3], [2, 2, 0]),
    "int array as Tensor": Tensor([3, 3, 1]),
    "bool mask": np.array([True, False, True, True]),
    "full bool mask": np.arange(24).reshape(4, 3, 2) % 3 == 0,
    "mixed advanced and slice": (slice(1, None), [2, 0, 2]),
    "mixed advanced split by slice": ([0, 0], slice(None), [1, 1]),
    "mixed int and array": (2, [1, 1, 0]),
    "mixed mask and step": (np.array([True, False, False, True]), slice(None, None, -1)),
}


def _numpy_index(index):
    if isinstance(index, Tensor):
        return index.data
    return index


@pytest.mark.parametrize("name", GETITEM)
def test_getitem_gradcheck(name):
    index = GETITEM[name]
    a = WIDE.sample((4, 3, 2), seed=12)
    x = leaf(a, "x")
    assert_values(x[index], a[_numpy_index(index)])
    assert_values(ag.getitem(x, index), a[_numpy_index(index)])
    check_both_orders(lambda t: t[index], x)


def test_getitem_repeated_indices_accumulate():
    x = leaf([1.0, 2.0, 3.0, 4.0])
    x[[0, 0, 3, 0]].backward(Tensor([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_array_equal(x.grad.data, [7.0, 0.0, 0.0, 3.0])
    m = leaf(np.zeros((2, 3)))
    m[[1, 1, 0], [2, 2, 2]].sum().backward()
    np.testing.assert_array_equal(m.grad.data, [[0.0, 0.0, 1.0], [0.0, 0.0, 2.0]])


def test_getitem_keeps_its_own_copy_of_the_index():
    index = np.array([0, 0, 2])
    x = leaf([1.0, 2.0, 3.0])
    y = x[index]
    index[:] = 1  # the caller reuses its array after the forward pass
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 0.0, 1.0])


# name: (input shape, index, output shape)
SCATTER_ADD = {
    "repeated int array": ((4,), [0, 0, 2, 0], (3,)),
    "2-d int array": ((2, 2), np.array([[1, 1], [0, 1]]), (3,)),
    "slice": ((2, 3), slice(1, 3), (4, 3)),
    "step and int": ((2,), (slice(None, None, 2), 1), (4, 3)),
    "mixed advanced and slice": ((2, 3), ([1, 1], slice(None)), (3, 3)),
    "two int arrays": ((3,), ([0, 0, 1], [2, 2, -1]), (2, 3)),
    "bool mask": ((2, 3), np.array([False, True, True]), (3, 3)),
}


@pytest.mark.parametrize("name", SCATTER_ADD)
def test_scatter_add_gradcheck(name):
    in_shape, index, out_shape = SCATTER_ADD[name]
    a = WIDE.sample(in_shape, seed=13)
    expected = np.zeros(out_shape)
    np.add.at(expected, index, a)
    x = leaf(a, "x")
    assert_values(ag.scatter_add(x, index, out_shape), expected)
    check_both_orders(lambda t: ag.scatter_add(t, index, out_shape), x)


# --- the checkers catch wrong derivatives ----------------------------------------------------------


class WrongSquare(Function):
    """y = x^2 with a wrong VJP: g * x instead of g * 2x."""

    name = "wrong_square"
    forward = staticmethod(np.square)

    @staticmethod
    def vjp(g, out, needs):
        (x,) = out.parents
        return (g * x,)


class DetachedSquare(Function):
    """y = x^2 with a VJP right in value but built from raw NumPy data, so it cannot be differentiated."""

    name = "detached_square"
    forward = staticmethod(np.square)

    @staticmethod
    def vjp(g, out, needs):
        (x,) = out.parents
        return (g * Tensor(2 * x.data),)


class WrongMulSecondInput(Function):
    """z = x * y (same shapes) with a wrong gradient for y only: g * y instead of g * x."""

    name = "wrong_mul"
    forward = staticmethod(np.multiply)

    @staticmethod
    def vjp(g, out, needs):
        _, y = out.parents
        return g * y, g * y


def wrong_square(x):
    return apply(WrongSquare, x)


def detached_square(x):
    return apply(DetachedSquare, x)


def parse_failure(message: str) -> tuple[tuple[int, ...], float, float]:
    """(input index, analytic, numeric) from a GradcheckError message."""
    m = re.search(r"at index \(([-\d, ]*)\), .*analytic (\S+) vs numeric (\S+)", message)
    assert m, message
    index = tuple(int(v) for v in m.group(1).split(",") if v.strip())
    return index, float(m.group(2)), float(m.group(3))


def test_gradcheck_reports_wrong_first_derivative():
    x = leaf([0.5, -1.5, 1.0], name="x")
    with pytest.raises(GradcheckError, match=r"input 0 'x' \(shape \(3,\)\)") as info:
        gradcheck(wrong_square, [x])
    index, analytic, numeric = parse_failure(str(info.value))
    assert index == (1,)  # the worst entry: the largest |x|
    assert analytic == pytest.approx(-1.5, rel=1e-9)
    assert numeric == pytest.approx(-3.0, rel=1e-6)
    assert gradcheck(wrong_square, [x], raise_exception=False) is False


def test_gradcheck_names_the_second_input():
    x, w = leaf([1.0, 2.0, 3.0], name="x"), leaf([3.0, -4.0, 0.5], name="w")
    with pytest.raises(GradcheckError, match=r"input 1 'w' \(shape \(3,\)\)") as info:
        gradcheck(lambda a, b: apply(WrongMulSecondInput, a, b), [x, w])
    index, analytic, numeric = parse_failure(str(info.value))
    assert index == (1,)  # the worst entry: |w - x| is largest there
    assert analytic == pytest.approx(-4.0, rel=1e-9)
    assert numeric == pytest.approx(2.0, rel=1e-6)


def test_gradgradcheck_reports_undifferentiable_vjp():
    x = leaf([0.5, -1.5, 1.0], name="x")
    assert gradcheck(detached_square, [x]) is True  # the first derivative is right...
    v = np.array([0.5, -2.0, 1.0])
    with pytest.raises(GradcheckError, match=r"input 0 'x' \(shape \(3,\)\)") as info:
        gradgradcheck(detached_square, [x], grad_outputs=[v])  # ...its own derivative is not
    index, analytic, numeric = parse_failure(str(info.value))
    assert index == (1,)  # d(2 x v)/dx = 2 v, largest where |v| is
    assert analytic == 0.0
    assert numeric == pytest.approx(-4.0, rel=1e-6)
    assert gradgradcheck(detached_square, [x], raise_exception=False) is False


def test_dotcheck_passes_for_correct_ops_on_big_inputs():
    a, b = leaf(WIDE.sample((20, 30), seed=14)), leaf(WIDE.sample((30, 10), seed=15))
    assert dotcheck(ag.matmul, [a, b]) is True
    assert dotcheck(lambda p, q: ((p @ q).tanh() * 0.5).sum(axis=0), [a, b], trials=3) is True


def test_dotcheck_catches_wrong_vjps():
    x = leaf(WIDE.sample((20, 30), seed=16))
    with pytest.raises(GradcheckError, match=r"dotcheck: trial 0: .*\(VJP\) but .*\(finite difference\)"):
        dotcheck(lambda t: wrong_square(t).sum(axis=1), [x])
    assert dotcheck(detached_square, [x]) is True  # right first derivative

    def gradient(t):
        return ag.grad(detached_square(t).sum(), t, create_graph=True)[0]

    with pytest.raises(GradcheckError, match="dotcheck"):
        dotcheck(gradient, [x])
