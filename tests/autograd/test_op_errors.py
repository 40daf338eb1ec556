"""Bad input gets a clear error that names the op and the shapes, and changes nothing.

Every failing call here is made on tensors that already hold a `.grad`: after the error, their data and
their `.grad` must be exactly as before.
"""

from __future__ import annotations


import numpy as np
import pytest

import autograd as ag
from tests.checks import raises, unchanged, with_grad
from autograd import Function, Tensor, apply


# --- forward: shapes that do not fit ---------------------------------------------------------------


@pytest.mark.parametrize(
    "x_shape, y_shape",
    [((2, 3), (4, 5)), ((3,), (4,)), ((2, 3), (2,)), ((2, 2, 3), (3, 3, 2)), ((), (2,)), ((4,), (3, 2))],
    ids=str,
)
def test_matmul_shape_mismatch(x_shape, y_shape):
    x, y = with_grad(x_shape, 1), with_grad(y_shape, 2)
    with unchanged(x, y), raises(ValueError, "matmul", str(x_shape), str(y_shape)):
        x @ y
    with unchanged(x, y), raises(ValueError, "matmul", str(x_shape), str(y_shape)):
        ag.matmul(x, y)


BINARY = {"add": ag.add, "sub": ag.sub, "mul": ag.mul, "div": ag.div, "pow": ag.pow}


@pytest.mark.parametrize("x_shape, y_shape", [((2, 3), (4,)), ((2, 3), (3, 2)), ((4, 1, 3), (2, 2))], ids=str)
@pytest.mark.parametrize("name", BINARY)
def test_binary_shapes_do_not_broadcast(name, x_shape, y_shape):
    x, y = with_grad(x_shape, 1), with_grad(y_shape, 2)
    with unchanged(x, y), raises(ValueError, name, str(x_shape), str(y_shape)):
        BINARY[name](x, y)


def test_operators_report_the_op():
    x, y = with_grad((2, 3), 1), with_grad((4,), 2)
    with unchanged(x, y), raises(ValueError, "add", "(2, 3)", "(4,)"):
        x + y
    with unchanged(x, y), raises(ValueError, "mul", "(4,)", "(2, 3)"):
        y * x


def test_where_shapes_do_not_broadcast():
    x, y = with_grad((2, 3), 1), with_grad((4,), 2)
    with unchanged(x, y), raises(ValueError, "where", "(2, 3)", "(4,)"):
        ag.where(np.ones((2, 3), dtype=bool), x, y)


@pytest.mark.parametrize("shape", [(4,), (4, -1), (-1, -1), (7, 1)], ids=str)
def test_reshape_to_incompatible_size(shape):
    x = with_grad((2, 3))
    with unchanged(x), raises(ValueError, "reshape", "(2, 3)", str(shape)):
        x.reshape(shape)


@pytest.mark.parametrize("axes", [(0, 0), (0,), (0, 1, 2), (1, 1, 0)], ids=str)
def test_transpose_bad_permutation(axes):
    x = with_grad((2, 3))
    with unchanged(x), raises(ValueError, "transpose", "(2, 3)", str(axes)):
        ag.transpose(x, axes)


@pytest.mark.parametrize("axes", [(0, 3), (2, 1), (-3, 0)], ids=str)
def test_transpose_out_of_range_axis(axes):
    x = with_grad((2, 3))
    with unchanged(x), raises(ValueError, "transpose", "(2, 3)", str(axes)):
        ag.transpose(x, axes)


def test_broadcast_to_incompatible_shape():
    x = with_grad((2, 3))
    with unchanged(x), raises(ValueError, "broadcast_to", "(2, 3)", "(4, 3)"):
        x.broadcast_to((4, 3))


def test_sum_to_a_shape_it_does_not_broadcast_from():
    x = with_grad((3,))
    with unchanged(x), raises(ValueError, "sum_to", "(3,)", "(2, 3)"):
        ag.sum_to(x, (2, 3))


@pytest.mark.parametrize("shape", [(4,), (3, 3)], ids=str)
def test_sum_to_non_broadcastable_shape(shape):
    x = with_grad((2, 3))
    with unchanged(x), raises(ValueError, "sum_to", "(2, 3)", str(shape)):
        ag.sum_to(x, shape)


def test_scatter_add_out_of_bounds():
    x = with_grad((2, 3))
    with unchanged(x), raises(IndexError, "scatter_add", "(2, 3)", "(4, 3)", "5"):
        ag.scatter_add(x, [0, 5], (4, 3))


# --- reductions ------------------------------------------------------------------------------------


REDUCTIONS = {"sum": ag.sum, "mean": ag.mean, "max": ag.max}


@pytest.mark.parametrize("axis", [2, -3, (0, 2), (5,)], ids=str)
@pytest.mark.parametrize("name", REDUCTIONS)
def test_reduction_axis_out_of_range(name, axis):
    x = with_grad((2, 3))
    bad = axis if isinstance(axis, int) else axis[-1]
    with unchanged(x), raises(ValueError, name, "(2, 3)", f"axis {bad}"):
        REDUCTIONS[name](x, axis)


@pytest.mark.parametrize("axis", [(0, 0), (1, -1), (0, 1, 0)], ids=str)
@pytest.mark.parametrize("name", REDUCTIONS)
def test_reduction_repeated_axis(name, axis):
    x = with_grad((2, 3))
    with unchanged(x), raises(ValueError, name, "repeated", str(axis)):
        REDUCTIONS[name](x, axis, keepdims=True)


def test_reduction_methods_report_the_op():
    x = with_grad((2, 3))
    with unchanged(x), raises(ValueError, "max", "(2, 3)", "axis 2"):
        x.max(axis=2)
    with unchanged(x), raises(ValueError, "sum", "repeated"):
        x.sum(axis=(0, -2))


@pytest.mark.parametrize("name", REDUCTIONS)
def test_reduction_float_axis(name):
    x = with_grad((2, 3))
    with unchanged(x), raises(TypeError, name, "1.5"):
        REDUCTIONS[name](x, 1.5)


@pytest.mark.parametrize("name", REDUCTIONS)
def test_reduction_bool_axis(name):
    x = with_grad((2, 3))
    with unchanged(x), raises(TypeError, name, "True"):
        REDUCTIONS[name](x, True)


@pytest.mark.parametrize("shape, axis", [((0,), None), ((0, 3), 0), ((2, 0), -1)], ids=str)
def test_max_over_empty(shape, axis):
    x = Tensor(np.zeros(shape), requires_grad=True)
    with unchanged(x), raises(ValueError, "max", str(shape)):
        x.max(axis=axis)


def test_mean_over_empty():
    x = Tensor(np.zeros((0, 3)), requires_grad=True)
    with unchanged(x), raises(ValueError, "mean", "(0, 3)"):
        x.mean(axis=0)


# --- getitem ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "index, bad",
    [
        (5, "5"),
        (-3, "-3"),
        ((slice(None), 3), "3"),
        ([0, 2], "2"),
        (np.array([True, False, True]), "2"),  # a mask longer than the axis
        ((0, 0, 0), "too many indices"),
    ],
    ids=["int", "negative int", "second axis", "int array", "bool mask", "too many"],
)
def test_getitem_out_of_bounds(index, bad):
    x = with_grad((2, 3))
    with unchanged(x), raises(IndexError, "getitem", "(2, 3)", bad):
        x[index]


@pytest.mark.parametrize("index", [1.5, (0, 1.5), np.array([0.0, 1.0]), "a"], ids=str)
def test_getitem_non_integer_index(index):
    x = with_grad((2, 3))
    with unchanged(x), raises(IndexError, "getitem"):
        x[index]


# --- making tensors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    ["abc", ["a", "b"], [1, "a"], object(), None, {"a": 1}, [[1.0, 2.0], [3.0]], 1 + 2j],
    ids=["str", "str list", "mixed list", "object", "None", "dict", "ragged", "complex"],
)
def test_tensor_rejects_non_numeric_data(data):
    with raises(TypeError, "Tensor"):
        Tensor(data)


@pytest.mark.parametrize(
    "data", [[1, 2], 3, np.array([True, False]), True, np.arange(3, dtype=np.int32)],
    ids=["int list", "int", "bool array", "bool", "int32 array"],
)
def test_requires_grad_needs_floating_point(data):
    with raises(TypeError, "floating-point"):
        Tensor(data, requires_grad=True)
    t = Tensor(data)
    with unchanged(t), raises(TypeError, "floating-point"):
        t.requires_grad = True
    with unchanged(t), raises(TypeError, "floating-point"):
        t.requires_grad_()


def test_requires_grad_cannot_change_on_a_non_leaf():
    x = with_grad((2, 3))
    y = x.tanh()
    with unchanged(x, y), raises(RuntimeError, "leaf", "tanh"):
        y.requires_grad = False
    with unchanged(x, y), raises(RuntimeError, "leaf", "tanh"):
        y.requires_grad_(False)
    assert y.requires_grad and y.op == "tanh"


# --- backward --------------------------------------------------------------------------------------


def test_backward_on_non_scalar_needs_a_gradient():
    x = with_grad((2, 3))
    y = x * 2
    with unchanged(x), raises(RuntimeError, "backward", "(2, 3)"):
        y.backward()


@pytest.mark.parametrize("g_shape", [(3,), (3, 2), (), (1, 2, 3)], ids=str)
def test_backward_gradient_of_wrong_shape(g_shape):
    x = with_grad((2, 3))
    with unchanged(x), raises(ValueError, "backward", str(g_shape), "(2, 3)"):
        (x * 2).backward(np.ones(g_shape))


def test_backward_gradient_of_wrong_shape_on_scalar_output():
    x = with_grad((2, 3))
    with unchanged(x), raises(ValueError, "backward", "(2,)", "()"):
        x.sum().backward(Tensor([1.0, 1.0]))


def test_backward_gradient_must_be_floating_point():
    x = with_grad((2, 3))
    with unchanged(x), raises(TypeError, "backward", "int64"):
        (x * 2).backward(np.ones((2, 3), dtype=np.int64))


def test_backward_without_requires_grad():
    x = Tensor(np.ones((2, 3)))
    w = with_grad((2, 3))
    with ag.no_grad():
        y = (w * x).sum()
    for t in (x.sum(), y):
        with unchanged(x, w), raises(RuntimeError, "backward", "does not require grad"):
            t.backward()


class _WrongShapeVJP(Function):
    """y = 2x, but the VJP returns a gradient of the wrong shape (summed to a scalar)."""

    name = "wrong_shape"

    @staticmethod
    def forward(x):
        return 2 * x

    @staticmethod
    def vjp(g, out, needs):
        return (ag.sum(g * 2),)


def test_backward_failing_in_a_vjp_changes_no_grad():
    x, w = with_grad((2, 3), 1), with_grad((2, 3), 2)
    y = apply(_WrongShapeVJP, w).sum() + (x * w).sum()  # x's gradient is found before the bad VJP runs
    with unchanged(x, w), raises(RuntimeError, "wrong_shape", "()", "(2, 3)"):
        y.backward()


# --- autograd.grad ---------------------------------------------------------------------------------


def test_grad_outputs_of_wrong_shape():
    x = with_grad((2, 3))
    y = x * 2
    with unchanged(x), raises(ValueError, "grad", "(3,)", "(2, 3)"):
        ag.grad(y, x, grad_outputs=Tensor(np.ones(3)))
    with unchanged(x), raises(ValueError, "grad", "(3, 2)", "(2, 3)"):
        ag.grad([y], [x], grad_outputs=[np.ones((3, 2))])


@pytest.mark.parametrize("count", [0, 1, 3])
def test_grad_outputs_of_wrong_count(count):
    x = with_grad((2, 3))
    y1, y2 = x.sum(), (x * x).sum()
    with unchanged(x), raises(ValueError, "grad", "2 outputs", f"{count} grad_outputs"):
        ag.grad([y1, y2], x, grad_outputs=[Tensor(1.0)] * count)


def test_grad_with_an_unused_input():
    x, unused = with_grad((2, 3), 1), with_grad((3,), 2)
    y = (x * x).sum()
    with unchanged(x, unused), raises(RuntimeError, "grad", "input 1", "(3,)", "not used"):
        ag.grad(y, [x, unused])
    with unchanged(x, unused):
        gx, gu = ag.grad(y, [x, unused], allow_unused=True)
    assert gu is None
    np.testing.assert_allclose(gx.data, 2 * x.data)


def test_grad_with_an_input_that_does_not_require_grad():
    x, c = with_grad((2, 3)), Tensor(np.ones((2, 3)))
    y = (x * c).sum()
    with unchanged(x, c), raises(RuntimeError, "grad", "input 1", "(2, 3)", "does not require grad"):
        ag.grad(y, [x, c])


def test_grad_of_an_output_that_does_not_require_grad():
    x = with_grad((2, 3))
    with unchanged(x), raises(RuntimeError, "grad", "output 0", "does not require grad"):
        ag.grad(Tensor(1.0), x)


# --- issue 10: sizes, kernels and indices (round two) ------------------------------------------------


def test_reshape_float_size_names_reshape_and_both_shapes():
    x = with_grad((6,))
    with unchanged(x), raises(TypeError, "reshape", "3.9", "(3.9, 2)", "(6,)"):
        x.reshape(3.9, 2)


def test_correlate2d_empty_kernel_window_names_both_shapes():
    x, w = with_grad((1, 1, 4, 4), 1), with_grad((1, 1, 0, 3), 2)
    with unchanged(x, w), raises(ValueError, "correlate2d", "(1, 1, 0, 3)", "(1, 1, 4, 4)"):
        ag.correlate2d(x, w)


def test_getitem_short_bool_mask_names_getitem_and_the_shapes():
    x = with_grad((2, 3))
    with unchanged(x), raises(IndexError, "getitem", "(1,)", "(2, 3)"):
        x[np.array([True])]
