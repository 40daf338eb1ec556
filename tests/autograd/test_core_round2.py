"""Issue 10, core items: user Functions' results checked, -0.0 constants, `.grad` assignment and
all-or-nothing accumulation, threads sharing a parameter, iteration, grad-mode decorators on generators."""

import sys
import threading

import numpy as np
import pytest

import autograd as ag
from autograd import Function, Tensor, apply, enable_grad, no_grad
from autograd import convert


def leaf(values, name=None) -> Tensor:
    return Tensor(np.array(values, dtype=np.float64), requires_grad=True, name=name)


# --- user-defined Functions: what forward and vjp return is checked, and the Function is named ---------


def user_function(vjp_result, forward=lambda x, y: x * y):
    class Custom(Function):
        name = "my_op"

        @staticmethod
        def forward(x, y):
            return forward(x, y)

        @staticmethod
        def vjp(g, out, needs):
            return vjp_result(g, out)

    return Custom


@pytest.mark.parametrize("result, words", [
    (lambda g, out: (g,), ["my_op", "tuple of 2", "got 1"]),
    (lambda g, out: (g, g, g), ["my_op", "tuple of 2", "got 3"]),
    (lambda g, out: (), ["my_op", "got 0"]),
    (lambda g, out: g, ["my_op", "tuple of 2", "got Tensor"]),
    (lambda g, out: None, ["my_op", "got NoneType"]),
    (lambda g, out: {0: g, 1: g}, ["my_op", "got dict"]),
])
def test_a_vjp_returning_the_wrong_number_of_gradients_is_named(result, words):
    x, y = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    z = apply(user_function(result), x, y)
    with pytest.raises(TypeError) as info:
        z.sum().backward()
    for w in words:
        assert w in str(info.value)
    assert x.grad is None and y.grad is None


def test_a_vjp_returning_arrays_is_named():
    x, y = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    z = apply(user_function(lambda g, out: (g.data * 1.0, g)), x, y)
    with pytest.raises(TypeError, match=r"my_op: VJP returned ndarray for input 0 \(shape \(2,\)\)"):
        z.sum().backward()
    z = apply(user_function(lambda g, out: (g, 2.0)), x, y)
    with pytest.raises(TypeError, match="my_op: VJP returned float for input 1"):
        z.sum().backward()


def test_a_vjp_returning_the_wrong_shape_is_named():
    x, y = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    z = apply(user_function(lambda g, out: (g, g.sum())), x, y)
    with pytest.raises(RuntimeError, match=r"my_op: .*shape \(\) for input 1 of shape \(2,\)"):
        z.sum().backward()


def test_a_vjp_may_return_a_list_and_none():
    x, y = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    z = apply(user_function(lambda g, out: [g * 2.0, None]), x, y)
    z.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 2.0])
    assert y.grad is None


@pytest.mark.parametrize("recorded", [True, False])
def test_a_forward_returning_its_input_leaves_the_input_alone(recorded):
    x = Tensor(np.array([1.0, 2.0]), requires_grad=recorded)
    y = Tensor(np.array([3.0, 4.0]))
    z = apply(user_function(lambda g, out: (g, None), forward=lambda a, b: a), x, y)
    assert z.data is not x.data
    assert x.data.flags.writeable  # the user's leaf stays writable
    x.data[0] = 9.0  # and writing it does not change z
    assert z.data[0] == 1.0


@pytest.mark.parametrize("bad, words", [
    ([1.0, 2.0], "list"),
    ("text", "str"),
    (None, "NoneType"),
])
def test_a_forward_returning_something_else_than_an_array_is_named(bad, words):
    x, y = leaf([1.0]), leaf([2.0])
    with pytest.raises(TypeError, match=rf"my_op: forward must return a NumPy array.*{words}"):
        apply(user_function(None, forward=lambda a, b: bad), x, y)


def test_a_forward_returning_a_number_is_fine():
    x = leaf(2.0)
    z = apply(user_function(lambda g, out: (g, None), forward=lambda a, b: float(a)), x, Tensor(1.0))
    assert z.shape == () and z.item() == 2.0


# --- the constant cache: -0.0 is not 0.0, NaN does not fill the cache ---------------------------------


@pytest.mark.filterwarnings("ignore:divide by zero")
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_negative_zero_keeps_its_sign_after_zero_was_used(dtype):
    t = Tensor(np.array([2.0], dtype=dtype))
    assert (1 / (t * 0.0)).item() == np.inf
    assert (1 / (t * -0.0)).item() == -np.inf
    assert (1 / (t * 0.0)).item() == np.inf
    assert np.signbit((t * -0.0).data[0])


def test_nan_constants_do_not_fill_the_cache():
    t = Tensor([1.0])
    t * 1.0
    before = len(convert._constants)
    for _ in range(50):
        assert np.isnan((t * float("nan")).item())
    assert len(convert._constants) == before


# --- .grad: checked when assigned; a backward pass writes every .grad or none ---------------------------


def test_grad_assignment_checks_the_shape():
    w = leaf([1.0, 2.0, 3.0], name="w")
    with pytest.raises(ValueError, match=r"'w' of shape \(3,\).*shape \(3, 1\)"):
        w.grad = Tensor(np.ones((3, 1)))
    assert w.grad is None
    w.grad = Tensor(np.ones(3))
    (w * 2.0).sum().backward()
    np.testing.assert_array_equal(w.grad.data, [3.0, 3.0, 3.0])  # not broadcast to (3, 3)


@pytest.mark.parametrize("bad, error, words", [
    (np.ones(3), TypeError, "must be a Tensor or None; got ndarray"),
    ([1.0, 1.0, 1.0], TypeError, "got list"),
    (Tensor(np.ones(3, dtype=np.int64)), TypeError, "floating point; got dtype int64"),
    (Tensor(np.ones(3, dtype=bool)), TypeError, "floating point; got dtype bool"),
    (Tensor(1.0), ValueError, r"shape \(\)"),
])
def test_grad_assignment_rejects_bad_values(bad, error, words):
    w = leaf([1.0, 2.0, 3.0])
    w.grad = Tensor(np.full(3, 7.0))
    with pytest.raises(error, match=words):
        w.grad = bad
    np.testing.assert_array_equal(w.grad.data, [7.0, 7.0, 7.0])  # unchanged
    w.grad = None
    assert w.grad is None


def test_a_float32_grad_of_a_float64_tensor_is_accepted():
    w = leaf([1.0, 2.0])
    w.grad = Tensor(np.ones(2, dtype=np.float32))
    (w * 1.0).sum().backward()
    np.testing.assert_array_equal(w.grad.data, [2.0, 2.0])


def test_a_failed_accumulation_writes_no_grad():
    a, b = leaf([1.0, 2.0, 3.0], name="a"), leaf([4.0, 5.0, 6.0], name="b")
    b.grad = Tensor(np.zeros(3))
    b.grad.data = np.zeros(2)  # replacing .data bypasses the check at assignment
    loss = (a * b).sum()  # a receives its gradient first, then b
    with pytest.raises(ValueError, match=r"\.grad of Tensor 'b' of shape \(3,\) has shape \(2,\)"):
        loss.backward()
    assert a.grad is None
    np.testing.assert_array_equal(b.grad.data, [0.0, 0.0])


# --- threads: accumulation into a shared parameter loses nothing ---------------------------------------


def test_threads_back_propagating_into_one_parameter_lose_no_contribution():
    w = leaf([0.0, 0.0], name="w")
    threads, passes = 4, 1500
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        def work():
            for _ in range(passes):
                (w * 1.0).sum().backward()  # d/dw = 1

        ts = [threading.Thread(target=work) for _ in range(threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
    finally:
        sys.setswitchinterval(old)
    np.testing.assert_array_equal(w.grad.data, [threads * passes] * 2)


# --- iteration: a 0-d tensor cannot be iterated; others yield recorded sub-tensors ---------------------


def test_iterating_a_0d_tensor_raises():
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        list(Tensor(5.0))
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        a, = Tensor(5.0)


def test_iteration_yields_sub_tensors_recorded_as_getitem():
    x = leaf([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    rows = list(x)
    assert len(rows) == 3 and all(r.shape == (2,) and r.op == "getitem" for r in rows)
    a, b = rows[1]
    assert a.item() == 3.0 and b.item() == 4.0
    total = rows[0].sum() * 1.0 + rows[2].sum() * 2.0
    total.backward()
    np.testing.assert_array_equal(x.grad.data, [[1.0, 1.0], [0.0, 0.0], [2.0, 2.0]])
    assert list(Tensor(np.zeros((0, 2)))) == []


# --- no_grad / enable_grad as decorators: also of generator functions -------------------------------


def test_no_grad_decorator_covers_every_resumption_of_a_generator():
    x = leaf([1.0, 2.0])

    @no_grad()
    def scaled(x):
        """Yields 2x and 3x."""
        yield x * 2.0
        yield x * 3.0

    gen = scaled(x)
    first = next(gen)
    between = x * 4.0  # outside the generator, between two resumptions: recorded as usual
    second = next(gen)
    assert not first.requires_grad and not second.requires_grad
    assert between.requires_grad and ag.is_grad_enabled()
    assert scaled.__name__ == "scaled" and scaled.__doc__ == "Yields 2x and 3x."


def test_enable_grad_decorator_on_a_generator_inside_no_grad():
    x = leaf([1.0])

    @enable_grad()
    def gen(x):
        yield x * 2.0

    with no_grad():
        (y,) = list(gen(x))
        assert not (x * 2.0).requires_grad
    assert y.requires_grad and y.op == "mul"


def test_decorated_generators_pass_send_throw_close_and_return():
    log = []

    @no_grad()
    def echo():
        try:
            got = yield "ready"
            while True:
                log.append(ag.is_grad_enabled())
                try:
                    got = yield got * 2
                except ValueError:
                    got = yield "caught"
        finally:
            log.append("closed")

    gen = echo()
    assert next(gen) == "ready"
    assert gen.send(5) == 10
    assert gen.throw(ValueError("x")) == "caught"
    gen.close()
    assert log == [False, "closed"]

    @no_grad()
    def returns():
        yield 1
        return "done"

    def outer():
        result = yield from returns()
        yield result

    assert list(outer()) == [1, "done"]


def test_no_grad_decorator_on_a_plain_function():
    x = leaf([1.0])

    @no_grad()
    def f(x):
        return x * 2.0

    assert not f(x).requires_grad and (x * 2.0).requires_grad


# --- siblings found afterwards -------------------------------------------------------------------------


def test_an_integer_past_64_bits_is_refused_not_kept_as_an_object():
    with pytest.raises(OverflowError, match="does not fit in 64 bits"):
        ag.as_tensor(10**20)
    x = Tensor(np.ones(2), requires_grad=True)
    assert (x * 10**20).dtype == np.float64  # meeting a float tensor, it is a float, as in NumPy


def test_broadcast_to_takes_one_int_as_numpy():
    assert Tensor(np.ones(1)).broadcast_to(3).shape == (3,)


def test_a_numpy_error_that_wants_more_than_a_message_is_still_named():
    class Sign(Function):
        name = "mysign"
        forward = staticmethod(np.sign)

        @staticmethod
        def vjp(g, out, needs):
            return (None,)

    with pytest.raises(TypeError, match=r"mysign: shapes \(2,\): ufunc 'sign'"):
        apply(Sign, Tensor(np.array([True, False])))


def test_sigmoid_keeps_its_relative_accuracy_for_very_negative_inputs():
    x = np.array([-30.0, -40.0, -700.0, 0.0, 30.0])
    z = ag.sigmoid(Tensor(x)).data
    exact = np.exp(x) / (1 + np.exp(x))  # exact enough where exp(x) is tiny; 1/(1+e^-x) where it is not
    exact[3:] = 1 / (1 + np.exp(-x[3:]))
    np.testing.assert_allclose(z, exact, rtol=1e-14)
