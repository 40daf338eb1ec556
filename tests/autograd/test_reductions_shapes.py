"""Reductions (autograd.ops.stats), shapes and indexing (autograd.ops.join), creation (autograd.creation).

Values against NumPy; gradcheck and gradgradcheck in float64 on small shapes (hypothesis where cheap);
prod with zeros against finite differences; float32 kept; errors naming the op; integer results and
constants that do not require grad; a comparison with PyTorch, skipped when it is not installed.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd as ag
from autograd import Tensor, creation, gradcheck, gradgradcheck
from autograd.ops.contraction import einsum as ein
from autograd.ops import join, stats

FEW = settings(max_examples=15, deadline=None)


def leaf(a, name: str | None = None) -> Tensor:
    return Tensor(np.asarray(a, dtype=np.float64), requires_grad=True, name=name)


def sample(shape, seed: int = 0, lo: float = -2.0, hi: float = 2.0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(lo, hi, size=shape)


def check_both_orders(fn, *inputs: Tensor):
    assert gradcheck(fn, inputs) is True
    assert gradgradcheck(fn, inputs) is True


def assert_values(out: Tensor, expected, rtol: float = 1e-12, atol: float = 1e-14):
    expected = np.asarray(expected)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.data, expected, rtol=rtol, atol=atol)


# --- reductions ------------------------------------------------------------------------------------

# name: (op(x, axis, keepdims), NumPy reference, low end of the inputs: away from 0 for prod)
REDUCTIONS = {
    "min": (stats.min, np.min, -2.0),
    "prod": (stats.prod, np.prod, 0.5),
    "var": (lambda x, a, k: stats.var(x, a, keepdims=k), np.var, -2.0),
    "var ddof=1": (lambda x, a, k: stats.var(x, a, ddof=1, keepdims=k),
                   lambda x, axis, keepdims: np.var(x, axis=axis, ddof=1, keepdims=keepdims), -2.0),
    "std": (lambda x, a, k: stats.std(x, a, keepdims=k), np.std, -2.0),
    "std ddof=1": (lambda x, a, k: stats.std(x, a, ddof=1, keepdims=k),
                   lambda x, axis, keepdims: np.std(x, axis=axis, ddof=1, keepdims=keepdims), -2.0),
    "logsumexp": (stats.logsumexp,
                  lambda x, axis, keepdims: np.log(np.sum(np.exp(x), axis=axis, keepdims=keepdims)), -2.0),
}
AXES = [((2, 3, 4), None), ((2, 3, 4), 1), ((2, 3, 4), -1), ((2, 3, 4), (0, 2)), ((5,), 0), ((3, 2), (0, 1))]


@pytest.mark.parametrize("name", REDUCTIONS)
@pytest.mark.parametrize("shape, axis", AXES)
@pytest.mark.parametrize("keepdims", [False, True])
def test_reduction_values_and_gradients(name, shape, axis, keepdims):
    op, ref, lo = REDUCTIONS[name]
    a = sample(shape, seed=len(name), lo=lo)
    assert_values(op(leaf(a), axis, keepdims), ref(a, axis=axis, keepdims=keepdims), rtol=1e-11)
    if shape == (2, 3, 4) and axis in (None, (0, 2)) and not keepdims:
        a = a[:, :2, :3]  # the widest cases on fewer elements: second order costs (size)^2 evaluations
    check_both_orders(lambda x: op(x, axis, keepdims), leaf(a, "x"))


@pytest.mark.parametrize("name", ["prod", "var", "logsumexp"])
@FEW
@given(data=st.data())
def test_reduction_gradients_hypothesis(name, data):
    op, ref, lo = REDUCTIONS[name]
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=2, max_side=3), label="shape")
    a = data.draw(hnp.arrays(np.float64, shape, elements=st.floats(lo, 2.0)), label="x")
    axis = data.draw(st.none() | st.integers(-len(shape), len(shape) - 1), label="axis")
    assert_values(op(leaf(a), axis, False), ref(a, axis=axis, keepdims=False), rtol=1e-10, atol=1e-12)
    check_both_orders(lambda x: op(x, axis, False), leaf(a))


def test_reductions_on_a_0d_tensor():
    a = np.array(1.5)
    for op in (stats.min, stats.prod, stats.logsumexp):
        assert_values(op(leaf(a)), a)
        check_both_orders(op, leaf(a))


def test_min_ties_share_the_gradient_like_max():
    x = leaf([[1.0, 3.0, 1.0], [2.0, 0.5, 4.0]])
    stats.min(x, axis=1).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[0.5, 0.0, 0.5], [0.0, 1.0, 0.0]])
    y = leaf([[1.0, 3.0, 1.0], [2.0, 0.5, 4.0]])
    (-ag.max(-y, axis=1)).sum().backward()
    np.testing.assert_array_equal(y.grad.data, x.grad.data)


@pytest.mark.parametrize(
    "a, expected",
    [
        ([2.0, 0.0, 3.0, 4.0], [0.0, 24.0, 0.0, 0.0]),   # one zero: the product of the others there
        ([2.0, 0.0, 3.0, 0.0], [0.0, 0.0, 0.0, 0.0]),    # two zeros: every gradient is 0
        ([0.0, 0.0, 0.0], [0.0, 0.0, 0.0]),              # all zeros
        ([0.0], [1.0]),                                  # one element: d x / d x = 1
        ([1.5, -2.0, 0.5], [-1.0, 0.75, -3.0]),          # no zero: z / x
    ],
)
def test_prod_gradient_with_zeros(a, expected):
    x = leaf(a)
    stats.prod(x).backward()
    np.testing.assert_allclose(x.grad.data, expected, rtol=1e-15)
    check_both_orders(stats.prod, leaf(a))
    x32 = Tensor(np.asarray(a, dtype=np.float32), requires_grad=True)
    stats.prod(x32).backward()
    assert x32.grad.dtype == np.float32
    np.testing.assert_allclose(x32.grad.data, expected, rtol=1e-6)


@pytest.mark.parametrize("axis", [None, 0, 1, (0, 1)])
def test_prod_with_zeros_along_axes_matches_finite_differences(axis):
    a = np.array([[0.0, 1.5, -2.0], [0.0, 0.0, 3.0], [0.7, 1.2, 0.0]])  # slices with 0, 1, 2 zeros
    check_both_orders(lambda x: stats.prod(x, axis), leaf(a))


def test_prod_second_derivative_with_one_zero():
    # f = x0 * x1 * x2 at x1 = 0: d2f/dx0 dx2 = x1 = 0, d2f/dx0 dx1 = x2 = 3, d2f/dx1 dx2 = x0 = 2
    x = leaf([2.0, 0.0, 3.0])
    (g,) = ag.grad(stats.prod(x), [x], create_graph=True)
    hessian = np.stack([ag.grad(g[i], [x], retain_graph=True)[0].data for i in range(3)])
    np.testing.assert_allclose(hessian, [[0, 3, 0], [3, 0, 2], [0, 2, 0]], rtol=1e-15)
    assert g.phase == "backward" and g.op is not None


def test_std_of_equal_values_has_zero_gradient_as_pytorch():
    # std is |x - mean|-like at a slice of equal values: no derivative; PyTorch's std_backward writes 0
    x = leaf([[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]])
    s = stats.std(x, axis=1)
    assert s.data[0] == 0.0
    s.sum().backward()
    assert np.all(np.isfinite(x.grad.data))
    np.testing.assert_array_equal(x.grad.data[0], 0.0)
    v = leaf([[2.0, 2.0, 2.0]])
    stats.var(v, axis=1).sum().backward()
    np.testing.assert_array_equal(v.grad.data, 0.0)


def test_logsumexp_is_stable_and_its_gradient_is_softmax():
    a = np.array([[1000.0, 1000.0, 999.0], [-1000.0, -1001.0, -1002.0]])
    x = leaf(a)
    out = stats.logsumexp(x, axis=1)
    m = a.max(axis=1, keepdims=True)
    expected = (m + np.log(np.exp(a - m).sum(axis=1, keepdims=True)))[:, 0]
    assert_values(out, expected)
    out.sum().backward()
    softmax = np.exp(a - m) / np.exp(a - m).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(x.grad.data, softmax, rtol=1e-12)
    inf = stats.logsumexp(Tensor([-np.inf, -np.inf]))
    assert inf.item() == -np.inf
    assert stats.logsumexp(Tensor([np.inf, 1.0])).item() == np.inf


@pytest.mark.parametrize("shape, axis", [((5,), 0), ((2, 3, 4), 1), ((2, 3), -1), ((2, 3), None), ((), None)])
def test_cumsum_values_and_gradients(shape, axis):
    a = sample(shape, seed=3)
    assert_values(stats.cumsum(leaf(a), axis), np.cumsum(a, axis=axis))
    check_both_orders(lambda x: stats.cumsum(x, axis), leaf(a))


def test_cumsum_vjp_is_the_reversed_cumsum():
    x = leaf([1.0, 2.0, 3.0, 4.0])
    stats.cumsum(x).backward(Tensor([1.0, 10.0, 100.0, 1000.0]))
    np.testing.assert_array_equal(x.grad.data, [1111.0, 1110.0, 1100.0, 1000.0])


@pytest.mark.parametrize("fn, ref", [(stats.argmax, np.argmax), (stats.argmin, np.argmin)])
@pytest.mark.parametrize("axis, keepdims", [(None, False), (0, False), (1, True), (-1, False), (None, True)])
def test_argmax_argmin_are_integer_constants(fn, ref, axis, keepdims):
    a = np.array([[1.0, 5.0, 5.0], [7.0, -1.0, 0.0]])  # a tie: the first index, as NumPy
    out = fn(leaf(a), axis, keepdims)
    np.testing.assert_array_equal(out.data, ref(a, axis=axis, keepdims=keepdims))
    assert out.dtype == np.int64 and not out.requires_grad and out.op is None


# --- shapes and indexing ---------------------------------------------------------------------------

A = sample((2, 3, 4), seed=7)
# name: (op on Tensors, the same on arrays with NumPy, input arrays)
SHAPE_OPS = {
    "squeeze": (lambda x: join.squeeze(x), np.squeeze, [sample((2, 1, 3, 1))]),
    "squeeze axis": (lambda x: join.squeeze(x, -1), lambda x: np.squeeze(x, -1), [sample((2, 1, 3, 1))]),
    "expand_dims": (lambda x: join.expand_dims(x, 1), lambda x: np.expand_dims(x, 1), [A]),
    "expand_dims tuple": (lambda x: join.expand_dims(x, (0, -1)), lambda x: np.expand_dims(x, (0, -1)), [A]),
    "flatten": (join.flatten, lambda x: x.flatten(), [A]),
    "concatenate": (lambda x, y: join.concatenate([x, y, x], 1),
                    lambda x, y: np.concatenate([x, y, x], 1), [sample((2, 3)), sample((2, 1), 1)]),
    "concatenate None": (lambda x, y: join.concatenate([x, y], None),
                         lambda x, y: np.concatenate([x, y], None), [sample((2, 3)), sample((4,), 1)]),
    "stack": (lambda x, y: join.stack([x, y], 0), lambda x, y: np.stack([x, y], 0),
              [sample((2, 3)), sample((2, 3), 1)]),
    "stack -1": (lambda x, y: join.stack([x, y], -1), lambda x, y: np.stack([x, y], -1),
                 [sample((2, 3)), sample((2, 3), 1)]),
    "pad": (lambda x: join.pad(x, ((1, 0), (2, 1)), constant_values=-1.5),
            lambda x: np.pad(x, ((1, 0), (2, 1)), constant_values=-1.5), [sample((2, 3))]),
    "pad int": (lambda x: join.pad(x, 1), lambda x: np.pad(x, 1), [A]),
    "pad pair": (lambda x: join.pad(x, (0, 2)), lambda x: np.pad(x, (0, 2)), [sample((2, 3))]),
    "flip": (lambda x: join.flip(x, 1), lambda x: np.flip(x, 1), [A]),
    "flip all": (join.flip, np.flip, [A]),
    "tile": (lambda x: join.tile(x, (2, 1, 2)), lambda x: np.tile(x, (2, 1, 2)), [sample((2, 3))]),
    "tile int": (lambda x: join.tile(x, 2), lambda x: np.tile(x, 2), [sample((2, 3))]),
    "repeat": (lambda x: join.repeat(x, 2), lambda x: np.repeat(x, 2), [sample((2, 3))]),
    "repeat axis": (lambda x: join.repeat(x, [2, 0, 1], axis=1), lambda x: np.repeat(x, [2, 0, 1], axis=1),
                    [sample((2, 3))]),
    "swapaxes": (lambda x: join.swapaxes(x, 0, -1), lambda x: np.swapaxes(x, 0, -1), [A]),
    "moveaxis": (lambda x: join.moveaxis(x, 0, -1), lambda x: np.moveaxis(x, 0, -1), [A]),
    "moveaxis many": (lambda x: join.moveaxis(x, (0, 1), (2, 0)), lambda x: np.moveaxis(x, (0, 1), (2, 0)),
                      [A]),
    "take_along_axis": (lambda x: join.take_along_axis(x, np.array([[0, 2, 2, 1], [1, 1, 0, -1]]), 1),
                        lambda x: np.take_along_axis(x, np.array([[0, 2, 2, 1], [1, 1, 0, -1]]), 1),
                        [sample((2, 3))]),
    "take_along_axis argsort": (lambda x: join.take_along_axis(x, np.argsort(A, 0), 0),
                                lambda x: np.take_along_axis(x, np.argsort(A, 0), 0), [A]),
    "take_along_axis None": (lambda x: join.take_along_axis(x, np.array([5, 0, 5]), None),
                             lambda x: np.take_along_axis(x, np.array([5, 0, 5]), None), [sample((2, 3))]),
}


@pytest.mark.parametrize("name", SHAPE_OPS)
def test_shape_op_values_and_gradients(name):
    op, ref, arrays = SHAPE_OPS[name]
    out = op(*[leaf(a) for a in arrays])
    assert_values(out, ref(*arrays), rtol=0, atol=0)
    check_both_orders(op, *[leaf(a, f"x{i}") for i, a in enumerate(arrays)])


@pytest.mark.parametrize("cuts, axis", [(3, 1), ([1, 2], 0), ([2, 5], 1), ([0, 0, 2], -1)])
def test_split_values_and_gradients(cuts, axis):
    a = sample((3, 6), seed=2)
    pieces = join.split(leaf(a), cuts, axis)
    expected = np.split(a, cuts, axis)
    assert isinstance(pieces, list) and len(pieces) == len(expected)
    for p, e in zip(pieces, expected):
        assert_values(p, e, rtol=0, atol=0)
    check_both_orders(lambda x: join.split(x, cuts, axis), leaf(a))


@FEW
@given(data=st.data())
def test_concatenate_and_stack_hypothesis(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3), label="shape")
    axis = data.draw(st.integers(0, len(shape) - 1), label="axis")
    other = shape[:axis] + (data.draw(st.integers(1, 2), label="n"),) + shape[axis + 1:]
    a, b = sample(shape, 1), sample(other, 2)
    assert_values(join.concatenate([leaf(a), leaf(b)], axis), np.concatenate([a, b], axis), 0, 0)
    assert_values(join.stack([leaf(a), leaf(a)], axis), np.stack([a, a], axis), 0, 0)
    assert gradcheck(lambda x, y: join.concatenate([x, y], axis), [leaf(a), leaf(b)])
    assert gradcheck(lambda x, y: join.stack([x, y], axis), [leaf(a), leaf(a + 1)])


def test_one_hot_is_a_constant():
    idx = np.array([[0, 2], [1, 1]])
    out = join.one_hot(idx, 3)
    np.testing.assert_array_equal(out.data, np.eye(3)[idx])
    assert out.shape == (2, 2, 3) and out.dtype == np.float64
    assert not out.requires_grad and out.op is None
    assert join.one_hot(Tensor([1, 0]), 2, dtype=np.float32).dtype == np.float32


EINSUMS = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
    ("i,j->ij", [(3,), (2,)]),
    ("ii->", [(3, 3)]),
    ("ii->i", [(3, 3)]),
    ("ij->ji", [(2, 3)]),
    ("ij->", [(2, 3)]),
    ("ij->j", [(2, 3)]),
    ("i,i->", [(4,), (4,)]),
    ("ij,jk", [(2, 3), (3, 2)]),  # implicit output: 'ik'
    ("ba", [(2, 3)]),  # implicit: 'ab', a transpose
    ("ij,kl->ik", [(2, 3), (2, 2)]),  # letters only one operand has, summed away
    ("ii,ij->j", [(2, 2), (2, 3)]),
    ("ij,jk,kl->il", [(2, 2), (2, 3), (3, 2)]),
]


@pytest.mark.parametrize("subscripts, shapes", EINSUMS)
def test_einsum_values_and_gradients(subscripts, shapes):
    arrays = [sample(s, seed=i) for i, s in enumerate(shapes)]
    out = ein(subscripts, *[leaf(a) for a in arrays])
    assert_values(out, np.einsum(subscripts, *arrays), rtol=1e-12)
    check_both_orders(lambda *xs: ein(subscripts, *xs), *[leaf(a) for a in arrays])


def test_einsum_with_one_constant_operand():
    w, c = leaf(sample((2, 3))), Tensor(sample((3, 4), 1))
    assert gradgradcheck(lambda t: ein("ij,jk->ik", t, c), [w])
    assert ein("ij->ij", w) is w


# --- float32 ---------------------------------------------------------------------------------------

FLOAT32_OPS = {
    "min": lambda x: stats.min(x, 0),
    "prod": lambda x: stats.prod(x, 1),
    "var": lambda x: stats.var(x, 1, ddof=1),
    "std": lambda x: stats.std(x),
    "logsumexp": lambda x: stats.logsumexp(x, 0),
    "cumsum": lambda x: stats.cumsum(x, 1),
    "concatenate": lambda x: join.concatenate([x, x * 2], 0),
    "stack": lambda x: join.stack([x, x], 1),
    "pad": lambda x: join.pad(x, 1, constant_values=0.1),
    "flip": lambda x: join.flip(x, 0),
    "tile": lambda x: join.tile(x, 2),
    "repeat": lambda x: join.repeat(x, 2, 0),
    "take_along_axis": lambda x: join.take_along_axis(x, np.array([[1, 0, 1]]), 0),
    "einsum": lambda x: ein("ij,kj->ik", x, x),
    "split": lambda x: join.split(x, 3, 1)[1],
}


@pytest.mark.parametrize("name", FLOAT32_OPS)
def test_float32_stays_float32(name):
    x = Tensor(sample((2, 3), 5, 0.5), dtype=np.float32, requires_grad=True)
    out = FLOAT32_OPS[name](x)
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == np.float32


# --- errors ----------------------------------------------------------------------------------------

def ones(*shape) -> Tensor:
    return Tensor(np.ones(shape))


ERRORS = [
    (lambda: stats.min(ones(2, 3), 2), ValueError, r"min: axis 2 is out of range for shape \(2, 3\)"),
    (lambda: stats.prod(ones(3), -2), ValueError, r"prod: axis -2 is out of range"),
    (lambda: stats.cumsum(ones(2, 3), 2), ValueError, r"cumsum: axis 2 is out of range"),
    (lambda: stats.cumsum(ones(3), (0,)), TypeError, r"cumsum: axis must be an int"),
    (lambda: stats.argmax(ones(2, 3), 5), ValueError, r"argmax: axis 5 is out of range"),
    (lambda: stats.argmin(ones(0,)), ValueError, r"argmin: no elements"),
    (lambda: stats.min(ones(0, 2), 0), ValueError, r"min: no elements to reduce"),
    (lambda: stats.var(ones(3), ddof=3), ValueError, r"var: ddof=3 leaves no degrees of freedom"),
    (lambda: stats.std(ones(1, 2), 0, ddof=1), ValueError, r"std: ddof=1 leaves no degrees"),
    (lambda: join.squeeze(ones(2, 1), 0), ValueError, r"squeeze: cannot remove axis 0 of size 2"),
    (lambda: join.expand_dims(ones(2), 3), ValueError, r"expand_dims: axis 3 is out of range"),
    (lambda: join.concatenate([ones(2, 3), ones(3, 2)], 0), ValueError,
     r"concatenate: input 1 has shape \(3, 2\) but input 0 has shape \(2, 3\)"),
    (lambda: join.concatenate([ones(2, 3), ones(3)]), ValueError,
     r"concatenate: input 1 has shape \(3,\)"),
    (lambda: join.concatenate([], 0), ValueError, r"concatenate: need at least one tensor"),
    (lambda: join.concatenate([Tensor(1.0), Tensor(2.0)]), ValueError, r"concatenate: 0-d tensors"),
    (lambda: join.stack([ones(2), ones(3)]), ValueError,
     r"stack: input 1 has shape \(3,\) but input 0 has shape \(2,\)"),
    (lambda: join.stack([ones(2)], 2), ValueError, r"stack: axis 2 is out of range"),
    (lambda: join.split(ones(5), 2), ValueError, r"split: .* 5 elements, which do not split into 2"),
    (lambda: join.pad(ones(2, 2), ((1, -1), (0, 0))), ValueError, r"pad: pad widths must be non-neg"),
    (lambda: join.pad(ones(2, 2), ((1, 1), (0, 0), (1, 1))), ValueError,
     r"pad: pad_width .* does not fit shape \(2, 2\)"),
    (lambda: join.pad(ones(2), 1.5), ValueError, r"pad: pad_width 1.5"),
    (lambda: join.pad(ones(2), 1, mode="reflect"), ValueError, r"pad: only mode='constant'"),
    (lambda: join.repeat(ones(2, 3), [1, 2], 1), ValueError, r"repeat: 2 repeat counts for axis 1"),
    (lambda: join.repeat(ones(3), 1.5), TypeError, r"repeat: repeats must be an int"),
    (lambda: join.tile(ones(3), -1), ValueError, r"tile: reps must be non-negative"),
    (lambda: join.swapaxes(ones(2, 3), 0, 2), ValueError, r"swapaxes: axis 2 is out of range"),
    (lambda: join.moveaxis(ones(2, 3), (0, 1), 0), ValueError, r"moveaxis: source"),
    (lambda: join.take_along_axis(ones(2, 3), np.array([0, 1]), 1), ValueError,
     r"take_along_axis: indices of shape \(2,\) and x of shape \(2, 3\)"),
    (lambda: join.take_along_axis(ones(2, 3), np.array([[3]]), 1), IndexError,
     r"take_along_axis: indices must lie in \[-3, 3\)"),
    (lambda: join.take_along_axis(ones(2, 3), np.array([[0.0]]), 1), TypeError,
     r"take_along_axis: indices must be integers"),
    (lambda: join.one_hot(np.array([0, 3]), 3), ValueError, r"one_hot: class indices must lie in \[0, 3\)"),
    (lambda: join.one_hot(np.array([0.0]), 3), TypeError, r"one_hot: indices must be integers"),
    (lambda: ein("...ij,jk->ik", np.ones((2, 3)), np.ones((3, 2))), ValueError,
     r"einsum: ellipsis \('...'\) is not supported"),
    (lambda: ein("ij->ii", np.ones((2, 2))), ValueError, r"einsum: output index 'i' is repeated"),
    (lambda: ein("ij,jk->ik", np.ones((2, 3)), np.ones((4, 2))), ValueError,
     r"einsum: index 'j' has sizes 3 and 4"),
    (lambda: ein("ij,jk->ik", np.ones((2, 3))), ValueError, r"einsum: .* names 2 operand\(s\) but 1"),
    (lambda: ein("ijk->i", np.ones((2, 3))), ValueError, r"einsum: operand 0 has shape \(2, 3\)"),
    (lambda: ein("ij->k", np.ones((2, 3))), ValueError, r"einsum: output index 'k' .* appears in no"),
    (lambda: ein("i1->", np.ones((2, 3))), ValueError, r"einsum: subscripts must be letters"),
    (lambda: creation.normal((2,), 0), TypeError, r"normal: rng must be a numpy.random.Generator"),
    (lambda: creation.uniform(2, np.random.default_rng(0), low=1, high=0), ValueError, r"uniform: low must"),
    (lambda: creation.arange(3, requires_grad=True), TypeError, r"arange: only floating-point"),
    (lambda: creation.zeros((2, -1)), ValueError, r"zeros: sizes must be non-negative"),
    (lambda: creation.ones(2.5), TypeError, r"ones: sizes must be integers"),
    (lambda: creation.full(2, "a"), TypeError, r"full: fill_value must be a number"),
    (lambda: creation.eye(2, dtype=complex), TypeError, r"eye: Tensors hold real numbers"),
    (lambda: creation.arange(0, 3, 0), ValueError, r"arange: step must not be zero"),
]


@pytest.mark.parametrize("call, error, message", ERRORS)
def test_errors_name_the_op_and_shapes(call, error, message):
    with pytest.raises(error, match=message):
        call()


# --- creation --------------------------------------------------------------------------------------


def test_creation_values_dtypes_and_leaves():
    cases = [
        (creation.zeros((2, 3)), np.zeros((2, 3))),
        (creation.ones(3, dtype=np.float32), np.ones(3, dtype=np.float32)),
        (creation.full((2,), 7), np.full((2,), 7)),
        (creation.full((2,), 7.5, dtype=np.float32), np.full((2,), 7.5, dtype=np.float32)),
        (creation.arange(5), np.arange(5)),
        (creation.arange(1.0, 2.0, 0.25), np.arange(1.0, 2.0, 0.25)),
        (creation.eye(3), np.eye(3)),
        (creation.eye(2, 3, k=1), np.eye(2, 3, k=1)),
        (creation.zeros_like(Tensor(np.ones((2, 2), dtype=np.float32))), np.zeros((2, 2), dtype=np.float32)),
        (creation.ones_like(np.arange(3)), np.ones(3, dtype=np.int64)),
        (creation.full_like(np.ones(2), 3.0), np.full(2, 3.0)),
    ]
    for t, expected in cases:
        assert t.dtype == expected.dtype
        np.testing.assert_array_equal(t.data, expected)
        assert t.is_leaf and not t.requires_grad and t.grad is None
    w = creation.zeros((2, 2), requires_grad=True)
    assert w.is_leaf and w.requires_grad
    (w * 3.0).sum().backward()
    np.testing.assert_array_equal(w.grad.data, np.full((2, 2), 3.0))


def test_random_creation_is_reproducible_and_follows_the_generator():
    a = creation.normal((3, 2), np.random.default_rng(1), mean=1.0, std=0.5, requires_grad=True)
    b = creation.normal((3, 2), np.random.default_rng(1), mean=1.0, std=0.5)
    np.testing.assert_array_equal(a.data, np.random.default_rng(1).normal(1.0, 0.5, (3, 2)))
    np.testing.assert_array_equal(a.data, b.data)
    assert a.requires_grad and a.is_leaf and not b.requires_grad and a.dtype == np.float64
    u = creation.uniform(1000, np.random.default_rng(2), low=-1.0, high=3.0, dtype=np.float32)
    assert u.dtype == np.float32 and u.shape == (1000,)
    assert -1.0 <= u.data.min() and u.data.max() < 3.0


def test_where_is_public():
    assert ag.where is ag.ops.where
    assert_values(ag.where(np.array([True, False]), leaf([1.0, 2.0]), 0.0), [1.0, 0.0])


# --- PyTorch ---------------------------------------------------------------------------------------


def test_against_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    a = rng.uniform(0.5, 2.0, (3, 4))
    a[1, 2] = 0.0  # prod with a zero
    cases = [  # (ours, PyTorch's, whether the gradient depends on x: then compare second order too)
        (lambda x: stats.prod(x, 1), lambda t: torch.prod(t, 1), True),
        (lambda x: stats.var(x, 0, ddof=1), lambda t: torch.var(t, 0, correction=1), True),
        (lambda x: stats.std(x, 1), lambda t: torch.std(t, 1, correction=0), True),
        (lambda x: stats.logsumexp(x, 1), lambda t: torch.logsumexp(t, 1), True),
        (lambda x: ein("ij,kj->ik", x, x), lambda t: torch.einsum("ij,kj->ik", t, t), True),
        (lambda x: stats.cumsum(x, 1), lambda t: torch.cumsum(t, 1), False),
        (lambda x: stats.min(x, 0), lambda t: torch.amin(t, 0), False),
        (lambda x: join.pad(x, ((1, 0), (0, 2))), lambda t: torch.nn.functional.pad(t, (0, 2, 1, 0)), False),
    ]
    for ours, theirs, second in cases:
        x = leaf(a)
        t = torch.tensor(a, requires_grad=True)
        y, yt = ours(x), theirs(t)
        np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=1e-12)
        v = rng.standard_normal(y.shape)
        (g,) = ag.grad(y, [x], Tensor(v), create_graph=second)
        (gt,) = torch.autograd.grad(yt, t, torch.tensor(v), create_graph=second)
        np.testing.assert_allclose(g.data, gt.detach().numpy(), rtol=1e-10, atol=1e-12)
        if second:
            (gg,) = ag.grad(g.sum(), [x])
            (ggt,) = torch.autograd.grad(gt.sum(), t)
            np.testing.assert_allclose(gg.data, ggt.numpy(), rtol=1e-10, atol=1e-12)
    s = leaf(np.full((2, 3), 2.0))
    stats.std(s, 1).sum().backward()
    ts = torch.full((2, 3), 2.0, dtype=torch.float64, requires_grad=True)
    torch.std(ts, 1).sum().backward()
    np.testing.assert_array_equal(s.grad.data, ts.grad.numpy())
