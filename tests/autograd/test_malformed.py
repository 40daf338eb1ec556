"""Malformed and unusual inputs meet a clear error or the right answer, never a crash or a wrong value.

Covered: dtypes (non-real data, int and bool tensors, float16/float32/mixed precision), shapes that do not
fit (fuzzed), NaN and inf (values as NumPy, gradients as the documented formulas, no exception), empty
arrays, zero-size batches through the conv/pool ops and small models, non-contiguous and read-only NumPy
arrays. An error must name the op and the shapes, and leave the inputs and any existing .grad unchanged.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.lib.stride_tricks import sliding_window_view

import autograd as ag
from tests.checks import raises, unchanged
import nn
from autograd import Tensor, gradcheck

FEW = settings(max_examples=40, deadline=None)


def with_grad(a, seed: int = 0) -> Tensor:
    """A float leaf that requires grad and already holds a gradient from an earlier backward."""
    t = Tensor(a, requires_grad=True)
    t.grad = Tensor(np.random.default_rng(seed).standard_normal(t.shape).astype(t.dtype))
    return t


def np_sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def np_correlate(x, w, padding=0):
    """Cross-correlation by the definition: zero padding, every window times the kernel."""
    p = padding
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    win = sliding_window_view(xp, w.shape[2:], axis=(2, 3))  # (N, C, H2, W2, F1, F2)
    return np.einsum("nchwab,kcab->nkhw", win, w)


def np_pool(x, k, how):
    n, c, h, w = x.shape
    blocks = x[:, :, : h // k * k, : w // k * k].reshape(n, c, h // k, k, w // k, k)
    return getattr(blocks, how)(axis=(3, 5))


BINARY = {"add": ag.add, "sub": ag.sub, "mul": ag.mul, "div": ag.div, "pow": ag.pow}


# --- dtypes: data that is not real numbers -----------------------------------------------------------


@pytest.mark.parametrize(
    "arr",
    [np.array([1 + 2j, 3j]), np.array([1.0, 2.0], dtype=object), np.array(["1", "2"]), np.array([b"1"]),
     np.array(["2024-01-01"], dtype="datetime64[D]"), np.array([1, 2], dtype="timedelta64[s]")],
    ids=["complex", "object", "str", "bytes", "datetime64", "timedelta64"],
)
def test_tensor_rejects_arrays_that_are_not_real_numbers(arr):
    with raises(TypeError, "Tensor", str(arr.dtype)):
        Tensor(arr)
    with raises(TypeError, "Tensor"):
        Tensor(arr, requires_grad=True)


# These operands meet a float Tensor in a binary op. None of them is a real number: the op must refuse
# (TypeError), never compute something else.
NOT_REAL = {
    "str": "a",
    "None": None,
    "complex": 1j,
    "complex array": np.array([1j, 2.0]),
    "object array": np.array([1.0, 2.0], dtype=object),
    "np.complex128": np.complex128(1 + 2j),
    "np.complex64": np.complex64(2j),
}


@pytest.mark.parametrize("operand", NOT_REAL.values(), ids=NOT_REAL.keys())
@pytest.mark.parametrize("name", BINARY)
def test_binary_op_refuses_operands_that_are_not_real(name, operand):
    x = with_grad(np.array([0.5, 1.5]))
    for args in ((x, operand), (operand, x)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a ComplexWarning would be a symptom, not the answer
            with unchanged(x), pytest.raises(TypeError):
                BINARY[name](*args)


@pytest.mark.parametrize("operand", ["a", None, 1j], ids=["str", "None", "complex"])
@pytest.mark.parametrize("name", BINARY)
def test_binary_op_error_for_a_bad_operand_names_the_op(name, operand):
    x = with_grad(np.array([0.5, 1.5]))
    with unchanged(x), raises(TypeError, name):
        BINARY[name](x, operand)


# ops given something that is not a Tensor: NumPy's answer (as a Tensor), or a TypeError naming the op
NOT_TENSOR_OPS = {
    "neg": (ag.neg, np.negative),
    "exp": (ag.exp, np.exp),
    "tanh": (ag.tanh, np.tanh),
    "sigmoid": (ag.sigmoid, np_sigmoid),
    "relu": (ag.relu, lambda a: np.maximum(a, 0.0)),
    "sum": (ag.sum, np.sum),
    "mean": (ag.mean, np.mean),
    "max": (ag.max, np.max),
    "reshape": (lambda a: ag.reshape(a, (-1, 1)), lambda a: np.reshape(a, (-1, 1))),
    "getitem": (lambda a: ag.getitem(a, 0), lambda a: np.asarray(a)[0]),
    "add": (lambda a: ag.add(a, a), lambda a: np.add(a, a)),
    "matmul": (lambda a: ag.matmul(a, a), lambda a: np.matmul(a, a)),
}


@pytest.mark.parametrize("kind", ["ndarray", "list"])
@pytest.mark.parametrize("name", NOT_TENSOR_OPS)
def test_functional_ops_on_arrays_and_lists(name, kind):
    a = np.array([0.5, -1.5])
    value = a if kind == "ndarray" else a.tolist()
    op, ref = NOT_TENSOR_OPS[name]
    try:
        out = op(value)
    except TypeError as err:
        assert name in str(err), str(err)
        return
    assert isinstance(out, Tensor)
    np.testing.assert_allclose(out.data, ref(a), rtol=1e-12)


# --- dtypes: int and bool tensors (no grad) compute what NumPy computes --------------------------------


INT_UNARY = {
    "neg": (ag.neg, np.negative),
    "exp": (ag.exp, np.exp),
    "log": (ag.log, np.log),
    "tanh": (ag.tanh, np.tanh),
    "relu": (ag.relu, lambda a: np.maximum(a, np.zeros((), a.dtype))),
    "pow 2": (lambda t: t**2, lambda a: np.power(a, 2)),
    "pow 0.5": (lambda t: t**0.5, lambda a: np.power(a, 0.5)),
    "times 2.5": (lambda t: t * 2.5, lambda a: a * 2.5),
    "over 2": (lambda t: t / 2, lambda a: a / 2),
    "sum": (ag.sum, np.sum),
    "mean": (ag.mean, np.mean),
    "max": (ag.max, np.max),
    "sum axis 0": (lambda t: t.sum(axis=0), lambda a: a.sum(axis=0)),
    "getitem": (lambda t: t[[1, 1, 0]], lambda a: a[[1, 1, 0]]),
    "matmul": (lambda t: t @ t.T, lambda a: a @ a.T),
    "sigmoid": (ag.sigmoid, lambda a: np_sigmoid(a.astype(np.result_type(a.dtype, np.float16)))),
}
INT_DTYPES = [np.int64, np.int32, np.uint8, np.bool_]


def _int_cases():
    for name in INT_UNARY:
        for dt in INT_DTYPES:
            yield pytest.param(name, dt, id=f"{name}-{np.dtype(dt).name}")


@pytest.mark.parametrize("name, dtype", list(_int_cases()))
def test_int_and_bool_tensors_compute_what_numpy_computes(name, dtype):
    a = np.array([[3, 0, 1], [2, 1, 0]]).astype(dtype)
    op, ref = INT_UNARY[name]
    with np.errstate(all="ignore"):
        try:
            expected = np.asarray(ref(a))
        except TypeError:  # NumPy refuses (e.g. negating bools): so must we, naming the op
            x = Tensor(a)
            with unchanged(x), pytest.raises(TypeError):
                op(x)
            return
        out = op(Tensor(a))
    assert out.shape == expected.shape
    assert out.dtype.kind == expected.dtype.kind, (out.dtype, expected.dtype)
    np.testing.assert_allclose(out.data.astype(np.float64), expected.astype(np.float64), rtol=1e-3)


def test_int_tensor_beside_a_float_tensor_that_requires_grad():
    """Only the float input gets a gradient; the value is NumPy's (int * float -> float64)."""
    i = Tensor(np.array([1, 2, 3]))
    x = Tensor(np.array([0.5, -1.0, 2.0], dtype=np.float32), requires_grad=True)
    y = i * x + i
    assert y.dtype == np.result_type(np.int64, np.float32)
    np.testing.assert_allclose(y.data, np.array([1, 2, 3]) * x.data.astype(np.float64) + np.array([1, 2, 3]))
    y.sum().backward()
    assert x.grad.dtype == np.float32 and i.grad is None
    np.testing.assert_array_equal(x.grad.data, [1.0, 2.0, 3.0])


@pytest.mark.parametrize("dtype", [np.int64, np.uint8, np.bool_])
def test_max_pool_and_correlate2d_on_integer_images(dtype):
    a = (np.arange(32).reshape(1, 2, 4, 4) % 3).astype(dtype)
    w = (np.arange(2 * 2 * 2 * 2).reshape(2, 2, 2, 2) % 2).astype(dtype)
    x = Tensor(a)
    np.testing.assert_array_equal(ag.max_pool2d(x, 2).data, np_pool(a, 2, "max"))
    out = ag.correlate2d(x, Tensor(w))
    assert out.dtype == np_correlate(a, w).dtype
    np.testing.assert_array_equal(out.data, np_correlate(a, w))


@pytest.mark.parametrize("dtype, value", [
    (np.int64, 10**12), (np.int32, 10**6),
    (np.uint8, 200), (np.int8, 100), (np.bool_, True),
], ids=["int64", "int32", "uint8", "int8", "bool"])
def test_avg_pool2d_on_integer_images_is_numpys_mean(dtype, value):
    a = np.zeros((1, 2, 4, 4), dtype=dtype)
    a[..., ::2, :] = value  # every window: two of `value`, two zeros
    a[0, 1] = value  # the second channel: all `value`
    out = ag.avg_pool2d(Tensor(a), 2)
    expected = np_pool(a, 2, "mean")
    assert out.dtype == expected.dtype == np.float64
    np.testing.assert_array_equal(out.data, expected)


# --- dtypes: float16, float32 and mixed precision ----------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_conv_pool_model_keep_low_precision(dtype):
    """Values close to float64, and every gradient in its input's dtype."""
    rng = np.random.default_rng(0)
    a, wa = rng.standard_normal((2, 2, 6, 6)), rng.standard_normal((3, 2, 3, 3)) * 0.3
    ba = rng.standard_normal(3)

    def f(x, w, b):
        h = ag.correlate2d(x, w, b, padding=1).tanh()
        return (ag.max_pool2d(h, 2) + ag.avg_pool2d(h, 2, stride=1)[:, :, :3, :3]).mean()

    ts = [Tensor(v.astype(dtype), requires_grad=True) for v in (a, wa, ba)]
    ref = [Tensor(v.astype(dtype).astype(np.float64), requires_grad=True) for v in (a, wa, ba)]
    out, out64 = f(*ts), f(*ref)
    assert out.dtype == dtype
    tol = 1e-2 if dtype == np.float16 else 1e-5
    np.testing.assert_allclose(float(out.item()), out64.item(), rtol=tol, atol=tol)
    out.backward()
    out64.backward()
    for t, r in zip(ts, ref):
        assert t.grad.dtype == dtype
        np.testing.assert_allclose(t.grad.data.astype(np.float64), r.grad.data, atol=tol * 0.5, rtol=tol * 10)


def test_mixed_float32_input_and_float64_weights():
    rng = np.random.default_rng(1)
    x = Tensor(rng.standard_normal((1, 1, 5, 5)).astype(np.float32), requires_grad=True)
    w = Tensor(rng.standard_normal((2, 1, 3, 3)), requires_grad=True)
    y = ag.correlate2d(x, w)
    assert y.dtype == np.float64
    np.testing.assert_allclose(y.data, np_correlate(x.data.astype(np.float64), w.data), rtol=1e-12)
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float64
    x64 = Tensor(x.data.astype(np.float64), requires_grad=True)
    w64 = Tensor(w.data, requires_grad=True)
    (ag.correlate2d(x64, w64) ** 2).sum().backward()
    np.testing.assert_allclose(x.grad.data, x64.grad.data, rtol=1e-5)
    np.testing.assert_allclose(w.grad.data, w64.grad.data, rtol=1e-12)


def test_float64_seed_on_a_float32_node_gives_float32_grads():
    x = Tensor(np.ones(3, np.float32), requires_grad=True)
    (x * 2).backward(np.ones(3))  # a float64 seed
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.data, [2.0, 2.0, 2.0])


@pytest.mark.parametrize("where", ["leaf", "retained root"])
def test_float64_seed_on_a_float32_output_gives_a_float32_grad(where):
    x = Tensor(np.ones(3, np.float32), requires_grad=True)
    y = x if where == "leaf" else (x * 2).retain_grad()
    y.backward(np.ones(3))
    assert y.grad.dtype == np.float32


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
def test_float16_mean_of_many_elements():
    a = np.full(70_000, 0.1, dtype=np.float16)
    x = Tensor(a, requires_grad=True)
    m = x.mean()
    assert m.dtype == np.float16
    np.testing.assert_allclose(float(m.item()), float(np.mean(a)), rtol=1e-2)
    m.backward()
    np.testing.assert_allclose(x.grad.data[:3].astype(float), 1 / 70_000, rtol=1e-2)


# --- shapes that do not fit (fuzzed) -----------------------------------------------------------------


SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)


def _broadcasts(s, t) -> bool:
    try:
        np.broadcast_shapes(s, t)
        return True
    except ValueError:
        return False


@FEW
@given(s=SHAPES, t=SHAPES, name=st.sampled_from([*BINARY, "where"]))
def test_binary_ops_reject_shapes_that_do_not_broadcast(s, t, name):
    assume(not _broadcasts(s, t))
    x, y = with_grad(np.full(s, 1.5), 1), with_grad(np.full(t, 0.5), 2)
    if name == "where":
        def op(a, b):
            return ag.where(True, a, b)
    else:
        op = BINARY[name]
    with unchanged(x, y), raises(ValueError, name, str(s), str(t)):
        op(x, y)


@FEW
@given(s=SHAPES, t=SHAPES)
def test_matmul_rejects_shapes_that_do_not_align(s, t):
    try:
        np.matmul(np.ones(s), np.ones(t))
        assume(False)
    except ValueError:
        pass
    x, y = with_grad(np.ones(s), 1), with_grad(np.ones(t), 2)
    with unchanged(x, y), raises(ValueError, "matmul", str(s), str(t)):
        x @ y


@FEW
@given(shape=SHAPES, data=st.data())
def test_reductions_reject_axes_out_of_range(shape, data):
    ndim = len(shape)
    # a 0-d tensor takes axis 0 and -1 (as PyTorch; NumPy's sum and max too): reducing nothing
    low, high = (-ndim - 3, -ndim - 1) if ndim else (-4, -2)
    bad = data.draw(st.integers(low, high) | st.integers(max(ndim, 1), ndim + 3), label="bad axis")
    good = data.draw(st.lists(st.integers(0, ndim - 1), max_size=2, unique=True) if ndim else st.just([]),
                     label="other axes")
    axis = data.draw(st.sampled_from([bad, tuple(good) + (bad,)]), label="axis")
    name = data.draw(st.sampled_from(["sum", "mean", "max"]), label="op")
    x = with_grad(np.ones(shape))
    with unchanged(x), raises(ValueError, name, str(bad), str(shape)):
        getattr(ag, name)(x, axis)


CONV_BAD = [
    ((2, 3, 5, 5), (4, 2, 3, 3), "channels"),
    ((3, 5, 5), (4, 3, 3, 3), "ndim"),
    ((2, 3, 5, 5), (3, 3, 3), "ndim"),
    ((2, 3, 2, 5), (4, 3, 3, 3), "kernel"),
    ((2, 3, 5, 2), (4, 3, 3, 3), "kernel"),
]


@pytest.mark.parametrize("x_shape, w_shape, what", CONV_BAD, ids=str)
def test_correlate2d_shapes_that_do_not_fit(x_shape, w_shape, what):
    x, w = with_grad(np.ones(x_shape), 1), with_grad(np.ones(w_shape), 2)
    shown = str(x_shape) if what != "kernel" else str(x_shape[2:])
    with unchanged(x, w), raises(ValueError, "correlate2d", shown):
        ag.correlate2d(x, w)


def test_correlate2d_bias_of_the_wrong_shape():
    x, w = with_grad(np.ones((1, 2, 4, 4)), 1), with_grad(np.ones((3, 2, 2, 2)), 2)
    b = with_grad(np.ones(2), 3)
    with unchanged(x, w, b), raises(ValueError, "correlate2d", "(2,)", "(3,)"):
        ag.correlate2d(x, w, b)


@pytest.mark.parametrize("name", ["avg_pool2d", "max_pool2d"])
@pytest.mark.parametrize("shape, kernel", [((2, 3, 4), 2), ((1, 1, 1, 4), 2), ((1, 1, 3, 3), (1, 4)),
                                           ((4,), 1), ((), 1)], ids=str)
def test_pools_shapes_that_do_not_fit(name, shape, kernel):
    x = with_grad(np.ones(shape))
    with unchanged(x), raises(ValueError, name, str(shape[2:] if len(shape) == 4 else shape)):
        getattr(ag, name)(x, kernel)


# --- NaN and inf: values as NumPy, gradients as the documented formulas, no exception -----------------


SPECIAL = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -2.0, 1e300, -1e-300])

# name: (op, NumPy value, NumPy derivative dy/dx by the op's documented formula)
UNARY_FORMULAS = {
    "neg": (ag.neg, np.negative, lambda a: -np.ones_like(a)),
    "exp": (ag.exp, np.exp, np.exp),
    "log": (ag.log, np.log, lambda a: 1.0 / a),
    "tanh": (ag.tanh, np.tanh, lambda a: 1.0 - np.tanh(a) ** 2),
    "sigmoid": (ag.sigmoid, np_sigmoid, lambda a: np_sigmoid(a) * (1.0 - np_sigmoid(a))),
    "relu": (ag.relu, lambda a: np.maximum(a, 0.0), lambda a: (a > 0).astype(float)),
    "pow 2": (lambda t: t**2, np.square, lambda a: 2.0 * a),
    "pow 3": (lambda t: t**3, lambda a: a**3, lambda a: 3.0 * a**2),
    "pow 0.5": (lambda t: t**0.5, np.sqrt, lambda a: 0.5 * a**-0.5),
    "pow -1": (lambda t: t**-1, lambda a: 1.0 / a, lambda a: -1.0 * a**-2.0),
}


def _same(actual, expected):
    """Equal as NumPy sees it: NaN where NaN, inf where inf, close elsewhere (the sign of 0 is ignored)."""
    np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=0, equal_nan=True)


@pytest.mark.parametrize("name", UNARY_FORMULAS)
def test_unary_ops_with_nan_and_inf(name):
    op, value, slope = UNARY_FORMULAS[name]
    with np.errstate(all="ignore"):
        expected, d = value(SPECIAL), slope(SPECIAL)
    x = Tensor(SPECIAL.copy(), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's own warnings are fine
        y = op(x)
        g = np.linspace(0.5, 1.5, SPECIAL.size)
        y.backward(g)
    _same(y.data, expected)
    with np.errstate(all="ignore"):
        _same(x.grad.data, g * d)


@pytest.mark.parametrize("name", BINARY)
def test_binary_ops_with_nan_and_inf(name):
    a = np.repeat(SPECIAL, SPECIAL.size)
    b = np.tile(SPECIAL, SPECIAL.size)  # every pair
    x, y = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    with np.errstate(all="ignore"):
        value = {"add": a + b, "sub": a - b, "mul": a * b, "div": a / b, "pow": np.power(a, b)}[name]
        dx = {"add": np.ones_like(a), "sub": np.ones_like(a), "mul": b, "div": 1.0 / b,
              "pow": np.where(b == 0, 0.0, b * np.power(a, b - 1))}[name]  # PyTorch: 0 where y == 0
        dy = {"add": np.ones_like(a), "sub": -np.ones_like(a), "mul": a, "div": -(a / b) / b,
              "pow": np.where((a == 0) & (b >= 0), 0.0, value * np.log(a))}[name]  # PyTorch: z log x
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        z = BINARY[name](x, y)
        z.sum().backward()
    _same(z.data, value)
    with np.errstate(all="ignore"):
        _same(x.grad.data, dx)
        _same(y.grad.data, dy)


def test_reductions_and_matmul_with_nan_and_inf():
    a = np.array([[1.0, np.nan, 2.0], [np.inf, 0.5, -1.0], [3.0, -np.inf, 0.25]])
    x = Tensor(a, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        s, m, mx = x.sum(axis=1), x.mean(axis=0), x.max(axis=1)
        _same(s.data, a.sum(axis=1))
        _same(m.data, a.mean(axis=0))
        _same(mx.data, a.max(axis=1))
        (s.sum() + m.sum()).backward()
    # sum and mean: the gradient does not look at the values, NaN or not
    _same(x.grad.data, np.full((3, 3), 1.0 + 1.0 / 3.0))
    x.grad = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mx.backward(np.ones(3))
    # rows without NaN: all of the gradient to the maximum (inf is a maximum like any other)
    np.testing.assert_array_equal(x.grad.data[1:], [[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    # the row holding NaN: NaN propagates (or goes to the NaN), it is never silently a finite wrong answer
    row = x.grad.data[0]
    assert np.isnan(row).any() or row.tolist() == [0.0, 1.0, 0.0]

    y = Tensor(np.array([[1.0, 2.0], [np.inf, 0.0], [0.5, -1.0]]), requires_grad=True)
    x.grad = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        p = x @ y
        with np.errstate(all="ignore"):
            _same(p.data, a @ y.data)
        p.backward(np.ones((3, 2)))
    with np.errstate(all="ignore"):
        _same(x.grad.data, np.ones((3, 2)) @ y.data.T)
        _same(y.grad.data, a.T @ np.ones((3, 2)))


def test_pools_and_correlate2d_with_nan_and_inf():
    a = np.arange(32, dtype=float).reshape(1, 2, 4, 4)
    a[0, 0, 0, 1], a[0, 1, 2, 2], a[0, 1, 3, 0] = np.nan, np.inf, -np.inf
    w = np.random.default_rng(0).standard_normal((3, 2, 2, 2))
    x = Tensor(a, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        avg, mx, conv = ag.avg_pool2d(x, 2), ag.max_pool2d(x, 2), ag.correlate2d(x, Tensor(w), padding=0)
        _same(avg.data, np_pool(a, 2, "mean"))
        _same(mx.data, np_pool(a, 2, "max"))
        with np.errstate(all="ignore"):
            _same(conv.data, np_correlate(a, w))
        avg.sum().backward()
    _same(x.grad.data, np.full(a.shape, 0.25))  # the average's gradient does not look at the values
    x.grad = None
    mx.sum().backward()
    # each window passes its gradient to one element (the NaN, where there is one)
    per_window = x.grad.data.reshape(1, 2, 2, 2, 2, 2).sum(axis=(3, 5))
    np.testing.assert_array_equal(per_window, np.ones((1, 2, 2, 2)))
    assert x.grad.data[0, 0, 0, 1] == 1.0


def test_correlate2d_full_padding_with_inf_in_the_kernel():
    a = np.ones((1, 1, 3, 3))
    w = np.array([[[[np.inf, 1.0], [1.0, 1.0]]]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with np.errstate(all="ignore"):
            expected = np_correlate(a, w, padding=1)
        out = ag.correlate2d(Tensor(a), Tensor(w), padding=1)
    _same(out.data, expected)


def test_nan_input_raises_nothing_without_anomaly_detection():
    x = Tensor(np.array([np.nan, 1.0, -1.0]), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        loss = (ag.log(x) * ag.sigmoid(x) + x.max()).sum()
        loss.backward()
    assert np.isnan(loss.item())
    assert x.grad.shape == (3,)


def test_nan_raises_with_anomaly_detection():
    detect = getattr(ag, "detect_anomaly", None)
    if detect is None:
        pytest.skip("autograd.detect_anomaly is not available")
    x = Tensor(np.array([-1.0, 1.0]), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with detect(), pytest.raises(Exception, match="log"):
            ag.log(x)


# --- empty arrays ------------------------------------------------------------------------------------


EMPTY_SHAPES = [(0,), (0, 3), (2, 0)]

# name: (op, NumPy reference)
EMPTY_OPS = {
    "exp": (ag.exp, np.exp),
    "sigmoid": (ag.sigmoid, np_sigmoid),
    "relu": (ag.relu, lambda a: np.maximum(a, 0.0)),
    "square": (lambda t: t**2, np.square),
    "t ** t": (lambda t: t**t, lambda a: a**a),
    "div": (lambda t: t / (t + 1.0), lambda a: a / (a + 1.0)),
    "times row": (lambda t: t * Tensor(np.ones(t.shape[-1:])), lambda a: a * np.ones(a.shape[-1:])),
    "sum": (lambda t: t.sum(), np.sum),
    "sum 0 keepdims": (lambda t: t.sum(axis=0, keepdims=True), lambda a: a.sum(axis=0, keepdims=True)),
    "sum -1": (lambda t: t.sum(axis=-1), lambda a: a.sum(axis=-1)),
    "transpose": (lambda t: t.T, lambda a: a.T),
    "reshape": (lambda t: t.reshape(-1), lambda a: a.reshape(-1)),
    "reshape keeping 0": (lambda t: t.reshape(*t.shape, 1), lambda a: a.reshape(*a.shape, 1)),
    "broadcast_to": (lambda t: t.broadcast_to((2,) + t.shape), lambda a: np.broadcast_to(a, (2,) + a.shape)),
    "slice": (lambda t: t[1:1], lambda a: a[1:1]),
    "reversed": (lambda t: t[..., ::-1], lambda a: a[..., ::-1]),
    "empty int index": (lambda t: t[np.array([], dtype=np.int64)], lambda a: a[np.array([], dtype=np.int64)]),
    "empty list index": (lambda t: t[[]], lambda a: a[[]]),
    "where": (lambda t: ag.where(np.ones(t.shape, bool), t, -t), lambda a: np.where(True, a, -a)),
    "matmul right": (lambda t: t @ Tensor(np.ones((t.shape[-1], 2))),
                     lambda a: a @ np.ones((a.shape[-1], 2))),
    "matmul left": (lambda t: Tensor(np.ones((2, t.shape[0]))) @ t, lambda a: np.ones((2, a.shape[0])) @ a),
}


def _empty_cases():
    for name, impl in EMPTY_OPS.items():
        marks = impl.marks if hasattr(impl, "marks") else ()
        for shape in EMPTY_SHAPES:
            yield pytest.param(name, shape, marks=marks, id=f"{name}-{shape}")


@pytest.mark.parametrize("name, shape", list(_empty_cases()))
def test_empty_arrays_behave_as_numpy(name, shape):
    impl = EMPTY_OPS[name]
    op, ref = impl.values[0] if hasattr(impl, "values") else impl
    a = np.zeros(shape)
    expected = np.asarray(ref(a))
    x = Tensor(a, requires_grad=True)
    y = op(x)
    assert y.shape == expected.shape and y.dtype == expected.dtype
    np.testing.assert_array_equal(y.data, expected)
    y.backward(np.ones(y.shape))
    assert x.grad.shape == shape and x.grad.dtype == np.float64


@pytest.mark.parametrize("shape, axis", [((0,), None), ((0,), 0), ((0, 3), 0), ((0, 3), None),
                                         ((2, 0), 1), ((2, 0), (0, 1))], ids=str)
@pytest.mark.parametrize("name", ["mean", "max"])
def test_mean_and_max_over_nothing_raise_naming_the_op(name, shape, axis):
    x = with_grad(np.zeros(shape))
    with unchanged(x), raises(ValueError, name, str(shape)):
        getattr(x, name)(axis=axis)


@pytest.mark.parametrize("name", ["mean", "max"])
@pytest.mark.parametrize("shape, axis", [((0, 3), 1), ((2, 0), 0)], ids=str)
def test_mean_and_max_over_a_non_empty_axis_of_an_empty_array(name, shape, axis):
    x = Tensor(np.zeros(shape), requires_grad=True)
    y = getattr(x, name)(axis=axis)
    assert y.shape == getattr(np.zeros(shape), name)(axis=axis).shape == (0,)
    y.backward(np.ones(0))
    np.testing.assert_array_equal(x.grad.data, np.zeros(shape))


@pytest.mark.parametrize("x_shape, y_shape", [((0, 3), (3, 2)), ((2, 0), (0, 3)), ((0,), (0,)),
                                              ((2, 0, 3), (3, 4)), ((0, 2, 3), (1, 3, 2))], ids=str)
def test_empty_matmul(x_shape, y_shape):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(x_shape), rng.standard_normal(y_shape)
    x, y = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    out = x @ y
    expected = np.matmul(a, b)
    assert out.shape == expected.shape
    np.testing.assert_array_equal(out.data, expected)
    out.backward(rng.standard_normal(out.shape))
    # every gradient is empty, or a sum over an empty axis: zeros, in its input's shape
    assert x.grad.shape == x_shape and y.grad.shape == y_shape
    np.testing.assert_array_equal(x.grad.data, np.zeros(x_shape))
    np.testing.assert_array_equal(y.grad.data, np.zeros(y_shape))


# --- zero-size batches: N = 0 through the conv/pool ops and small models -----------------------------


def _ok_or_clear_error(fn, op: str, shape):
    """fn() returns normally, or fails with an error naming the op and the shape (no NumPy internals)."""
    try:
        return fn()
    except (ValueError, TypeError, IndexError, RuntimeError) as err:
        msg = str(err)
        assert op in msg and str(shape) in msg, f"unclear error: {type(err).__name__}: {msg}"
        assert "cannot reshape" not in msg, f"a NumPy error from inside the op leaked out: {msg}"
        return None


@pytest.mark.parametrize("x_shape, w_shape", [
    pytest.param((0, 1, 8, 8), (2, 1, 3, 3), id="N=0"),
    pytest.param((2, 1, 8, 8), (0, 1, 3, 3), id="K=0"),
    pytest.param((2, 0, 8, 8), (2, 0, 3, 3), id="C=0"),
])
def test_correlate2d_with_an_empty_axis(x_shape, w_shape):
    x, w = with_grad(np.ones(x_shape), 1), with_grad(np.ones(w_shape), 2)
    b = with_grad(np.ones(w_shape[:1]), 3)
    gx, gw, gb = x.grad.data.copy(), w.grad.data.copy(), b.grad.data.copy()

    def run():
        out = ag.correlate2d(x, w, b, padding=1)
        assert out.shape == (x_shape[0], w_shape[0], 8, 8)
        expected = np_correlate(x.data, w.data, padding=1) + b.data[:, None, None]
        np.testing.assert_array_equal(out.data, expected)
        out.backward(np.ones(out.shape))
        return out

    if _ok_or_clear_error(run, "correlate2d", x_shape) is not None:
        # N = 0 or K = 0: no position meets a filter; C = 0: x and w are empty; the bias sees every position
        np.testing.assert_array_equal(x.grad.data, gx)
        np.testing.assert_array_equal(w.grad.data, gw)
        np.testing.assert_array_equal(b.grad.data, gb + x_shape[0] * 64)


@pytest.mark.parametrize("shape", [
    pytest.param((0, 1, 4, 4), id="N=0"),
    pytest.param((2, 0, 4, 4), id="C=0"),
])
@pytest.mark.parametrize("name", [
    "avg_pool2d", "max_pool2d",
])
def test_pools_with_an_empty_batch(name, shape):
    x = with_grad(np.ones(shape))

    def run():
        out = getattr(ag, name)(x, 2)
        assert out.shape == shape[:2] + (2, 2)
        out.backward(np.ones(out.shape))
        return out

    if _ok_or_clear_error(run, name, shape) is not None:
        assert x.grad.shape == shape


def test_linear_with_an_empty_batch():
    m = nn.Linear(4, 3, rng=np.random.default_rng(0), dtype=np.float64)
    x = Tensor(np.ones((0, 4)), requires_grad=True)
    y = m(x)
    assert y.shape == (0, 3)
    y.sum().backward()
    assert x.grad.shape == (0, 4)
    np.testing.assert_array_equal(m.weight.grad.data, np.zeros((3, 4)))
    np.testing.assert_array_equal(m.bias.grad.data, np.zeros(3))


@pytest.mark.parametrize("model", ["LeNet5", "ResidualCNN"])
def test_models_with_an_empty_batch(model):
    m = getattr(nn, model)(seed=0)
    x = Tensor(np.zeros((0, 1, 32, 32), dtype=np.float32))

    def run():
        y = m(x)
        assert y.shape == (0, 10)
        y.sum().backward()
        for p in m.parameters():
            assert p.grad is None or not p.grad.data.any()
        return y

    _ok_or_clear_error(run, "correlate2d", (0, 1, 32, 32))


# --- non-contiguous and read-only NumPy arrays -------------------------------------------------------


def _layouts(base: np.ndarray):
    """The same values as `base`, in arrays laid out in memory every which way."""
    ro = base.copy()
    ro.flags.writeable = False
    big = np.zeros((base.shape[0] * 2, base.shape[1] * 3))
    big[::2, ::3] = base
    fortran = np.asfortranarray(base)
    rev = base[::-1, ::-1].copy()[::-1, ::-1]
    t = base.T.copy().T
    ro_view = big[::2, ::3]
    ro_view.flags.writeable = False
    return {"read-only": ro, "strided": big[::2, ::3], "fortran": fortran, "negative strides": rev,
            "transposed": t, "read-only strided": ro_view,
            "broadcast": np.broadcast_to(base[:1], base.shape)}  # read-only, stride 0: one row repeated


def _chain(x, w, idx):
    """A bit of everything: elementwise, matmul, getitem with repeats, reductions, reshape."""
    h = (x * w).tanh() + x @ w.T @ x / 4.0
    return (h[idx] ** 2).sum(axis=0) + h.reshape(-1).max() + ag.sigmoid(h).mean()


@pytest.mark.parametrize("layout", list(_layouts(np.ones((2, 2)))))
def test_non_contiguous_and_read_only_arrays(layout):
    base = np.random.default_rng(0).uniform(-1.0, 1.0, (3, 3))
    arr = _layouts(base)[layout]
    w_arr = _layouts(base[::-1] * 0.5 + 0.1)[layout]
    idx = np.array([2, 0, 2])
    idx.flags.writeable = False
    seed = np.linspace(1.0, 2.0, 3)
    seed.flags.writeable = False
    saved = [(a.copy(), a.flags.writeable, a.strides) for a in (arr, w_arr, idx, seed)]

    x, w = Tensor(arr, requires_grad=True), Tensor(w_arr, requires_grad=True)
    xc = Tensor(np.ascontiguousarray(arr), requires_grad=True)
    wc = Tensor(np.ascontiguousarray(w_arr), requires_grad=True)
    y, yc = _chain(x, w, idx), _chain(xc, wc, idx)
    np.testing.assert_allclose(y.data, yc.data, rtol=1e-12)
    y.backward(seed)
    yc.backward(seed.copy())
    np.testing.assert_allclose(x.grad.data, xc.grad.data, rtol=1e-12)
    np.testing.assert_allclose(w.grad.data, wc.grad.data, rtol=1e-12)
    assert x.grad.data.flags.writeable  # a gradient can be changed in place by an optimizer
    # nothing the caller passed in was touched
    for a, (values, writeable, strides) in zip((arr, w_arr, idx, seed), saved):
        np.testing.assert_array_equal(a, values)
        assert a.flags.writeable == writeable and a.strides == strides
    # and later writes to the caller's (writeable) arrays do not reach the tensors
    if arr.flags.writeable:
        arr[...] = 7.0
        np.testing.assert_array_equal(x.data, base)


@pytest.mark.parametrize("layout", list(_layouts(np.ones((4, 4)))))
def test_conv_and_pools_on_non_contiguous_and_read_only_images(layout):
    rng = np.random.default_rng(1)
    img = rng.standard_normal((6, 6))
    arr = _layouts(img)[layout][None, None]  # (1, 1, 6, 6), a view keeping the layout
    kern = rng.standard_normal((3, 3))
    w_arr = _layouts(kern)[layout][None, None]
    saved = [(a.copy(), a.flags.writeable) for a in (arr, w_arr)]

    def f(x, w):
        h = ag.correlate2d(x, w, padding=1).tanh()
        pooled = ag.max_pool2d(h, 2).sum() + ag.avg_pool2d(h, 3, stride=1).sum()
        return pooled + ag.correlate2d(x, w, stride=2).sum()

    x, w = Tensor(arr, requires_grad=True), Tensor(w_arr, requires_grad=True)
    xc = Tensor(np.ascontiguousarray(arr), requires_grad=True)
    wc = Tensor(np.ascontiguousarray(w_arr), requires_grad=True)
    y, yc = f(x, w), f(xc, wc)
    np.testing.assert_allclose(y.data, yc.data, rtol=1e-12)
    y.backward()
    yc.backward()
    np.testing.assert_allclose(x.grad.data, xc.grad.data, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(w.grad.data, wc.grad.data, rtol=1e-12, atol=1e-14)
    for a, (values, writeable) in zip((arr, w_arr), saved):
        np.testing.assert_array_equal(a, values)
        assert a.flags.writeable == writeable


@pytest.mark.parametrize("layout", [
    "read-only", "strided", "negative strides", "read-only strided", "fortran", "transposed",
])
def test_gradcheck_on_non_contiguous_and_read_only_inputs(layout):
    arr = _layouts(np.array([[1.0, 2.0], [3.0, 4.0]]))[layout]
    assert gradcheck(lambda t: t * t, [Tensor(arr, requires_grad=True)])


def test_read_only_arrays_as_operands_masks_and_seeds():
    """Arrays handed to ops (not as Tensors) are read, never written."""
    a = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
    a.flags.writeable = False
    mask = np.array([True, False, True])
    mask.flags.writeable = False
    g = np.ones((2, 3))[:, ::-1]
    g_copy = g.copy()
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    y = ag.where(mask, x * a, a - x) + a[::-1] / (1.0 + x)
    y.backward(g)
    np.testing.assert_array_equal(g, g_copy)
    np.testing.assert_allclose(x.grad.data, np.where(mask, a, -1.0) - a[::-1] / 4.0, rtol=1e-12)
    assert not a.flags.writeable and not mask.flags.writeable
    np.testing.assert_array_equal(a, [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])


def test_gradient_accumulates_into_a_read_only_grad_without_writing_it():
    x = Tensor(np.ones(3), requires_grad=True)
    held = np.array([1.0, 2.0, 3.0])
    held.flags.writeable = False
    x.grad = Tensor(held)
    (x * 2.0).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 4.0, 5.0])
    np.testing.assert_array_equal(held, [1.0, 2.0, 3.0])


# --- sizes, axes and indices that are not what they seem (issue 10, round two) ------------------------


SIZE_OPS = {
    "reshape": lambda x, shape: ag.reshape(x, shape),
    "broadcast_to": lambda x, shape: ag.broadcast_to(x, shape),
    "sum_to": lambda x, shape: ag.sum_to(x, shape),
}


@pytest.mark.parametrize("size", [2.0, 2.5, True, np.float64(2), "2", None], ids=repr)
@pytest.mark.parametrize("name", SIZE_OPS)
def test_ops_taking_a_shape_refuse_sizes_that_are_not_integers(name, size):
    """reshape(3.9, 2) was (3, 2), broadcast_to((2.5, 6)) was (2, 6), sum_to a bare NumPy TypeError."""
    x = with_grad(np.ones((2, 6)))
    with unchanged(x), raises(TypeError, name, repr(size), "(2, 6)"):
        SIZE_OPS[name](x, (size, 6) if name != "reshape" else (size, 6))


def test_scatter_add_refuses_a_float_shape():
    from autograd.ops.shape import scatter_add

    x = with_grad(np.ones(2))
    with unchanged(x), raises(TypeError, "scatter_add", "3.7"):
        scatter_add(x, slice(0, 2), (3.7,))


def test_broadcast_to_takes_an_int_as_numpy_does():
    assert ag.broadcast_to(Tensor(1.0), 3).shape == np.broadcast_to(1.0, 3).shape == (3,)


@pytest.mark.parametrize("axes", [(1.5, 0), (True, 0), (1.0, 0.0), ("1", "0")], ids=str)
def test_transpose_refuses_axes_that_are_not_integers(axes):
    x = with_grad(np.ones((2, 3)))  # (1.5, 0) was taken as (1, 0)
    with unchanged(x), raises(TypeError, "transpose", "(2, 3)"):
        x.transpose(axes)


@FEW
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4), data=st.data())
def test_getitem_bool_masks_as_numpy(shape, data):
    """A mask that fits its axes selects as NumPy does; one that does not is an IndexError naming getitem
    (nonzero() alone would quietly index with a short mask)."""
    a = np.arange(float(np.prod(shape))).reshape(shape)
    start = data.draw(st.integers(0, len(shape) - 1), label="first masked axis")
    k = data.draw(st.integers(1, len(shape) - start), label="mask ndim")
    fits = data.draw(st.booleans(), label="fits")
    mshape = shape[start: start + k] if fits else tuple(
        n + data.draw(st.sampled_from([-1, 1]) if n > 1 else st.just(1)) for n in shape[start: start + k])
    mask = data.draw(hnp.arrays(bool, mshape), label="mask")
    index = (slice(None),) * start + (mask,)
    try:
        want = a[index]
    except IndexError:
        want = None
    x = with_grad(a)
    if want is None:
        with unchanged(x), raises(IndexError, "getitem", str(mshape), str(shape)):
            x[index]
    else:
        np.testing.assert_array_equal(x[index].data, want)


@pytest.mark.parametrize("flag", [True, False, np.True_, np.False_, np.array(True), Tensor(False)], ids=repr)
def test_getitem_with_a_0d_bool_adds_an_axis_as_numpy(flag):
    a = np.arange(6.0).reshape(2, 3)
    raw = flag.data if isinstance(flag, Tensor) else flag
    for index in [flag, (flag, 1), (Ellipsis, flag), (0, flag, [0, 2])]:
        raw_index = tuple(raw if i is flag else i for i in index) if isinstance(index, tuple) else raw
        x = Tensor(a, requires_grad=True)
        try:
            want = a[raw_index]
        except IndexError:  # False beside an index array: nothing to broadcast with, in NumPy too
            with raises(IndexError, "getitem", "(2, 3)"):
                x[index]
            continue
        y = x[index]
        np.testing.assert_array_equal(y.data, want)
        y.sum().backward()
        expect = np.zeros_like(a)
        np.add.at(expect, raw_index, 1.0)
        np.testing.assert_array_equal(x.grad.data, expect)


@pytest.mark.parametrize("w_shape", [(2, 1, 0, 3), (2, 1, 3, 0), (0, 1, 0, 0)], ids=str)
def test_correlate2d_refuses_an_empty_kernel_window(w_shape):
    x, w = with_grad(np.ones((1, 1, 5, 5)), 1), with_grad(np.ones(w_shape), 2)
    with unchanged(x, w), raises(ValueError, "correlate2d", str(w_shape), "(1, 1, 5, 5)"):
        ag.correlate2d(x, w)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_of_empty_axes_bools_and_ints(name):
    fn = getattr(nn.functional, name)
    for shape, axis in [((0, 3), 0), ((0, 3), -1), ((2, 0), -1), ((0,), None)]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # log(0) of an empty sum, as NumPy
            assert fn(np.ones(shape), axis=axis).shape == shape  # (0, 3) along 0 was a bare NumPy error
    np.testing.assert_allclose(fn([True, False]).data, fn([1.0, 0.0]).data)
    np.testing.assert_allclose(fn(np.array([1, 2])).data, fn(np.array([1.0, 2.0])).data)


@pytest.mark.parametrize("axis", [1.0, True, "0", [0.5]], ids=repr)
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_refuses_axes_that_are_not_integers(name, axis):
    x = with_grad(np.ones((2, 3)))
    with unchanged(x), raises(TypeError, name, "axis"):
        getattr(nn.functional, name)(x, axis=axis)
