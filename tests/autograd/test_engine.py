"""The engine as a whole: graph recording, backward, accumulation, grad(), create_graph, memory."""

import gc
import sys
import threading
import weakref

import numpy as np
import pytest

import autograd as ag
from autograd import Function, Tensor, apply, grad, no_grad
from viz.chains import chain_activations, chain_derivative, tanh_chain


def test_fan_out_adds_both_contributions():
    x = Tensor(3.0, requires_grad=True)
    y = (x + x) * x  # 2x^2, dy/dx = 4x
    y.backward()
    assert x.grad.item() == pytest.approx(12.0)
    s = y.parents[0]
    assert s.op == "add" and s.parents[0] is x and s.parents[1] is x  # used twice, recorded twice


def test_square_by_self_product():
    a = Tensor([1.0, -2.0], requires_grad=True)
    (a * a).sum().backward()
    np.testing.assert_allclose(a.grad.data, [2.0, -4.0])


def test_grad_accumulates_over_backward_calls_and_graph_stays():
    x = Tensor(0.3, requires_grad=True)
    y = x.tanh() * 2
    y.backward()
    first = x.grad.item()
    y.backward()  # the graph is still whole after the first call
    assert x.grad.item() == pytest.approx(2 * first)
    assert y.op == "mul" and y.parents[0].op == "tanh" and y.parents[0].parents[0] is x
    x.zero_grad()
    assert x.grad is None


def test_no_grad_records_nothing():
    x = Tensor(1.0, requires_grad=True)
    with no_grad():
        y = x * 2 + 1
        assert not ag.is_grad_enabled()
        with ag.enable_grad():
            z = x * 3
    assert y.op is None and y.parents == () and not y.requires_grad
    assert z.op == "mul" and z.requires_grad
    assert ag.is_grad_enabled()

    @no_grad()
    def f(t):
        return t.exp()

    assert f(x).op is None


def test_no_recording_without_requires_grad():
    a, b = Tensor(1.0), Tensor(2.0)
    c = a * b
    assert c.op is None and not c.requires_grad
    with pytest.raises(RuntimeError, match="does not require grad"):
        c.backward()


def test_deep_chain_without_recursion():
    assert sys.getrecursionlimit() <= 10_000  # the default (1000) or close: no raised limit helps us
    n = 200_000
    theta, c = tanh_chain(n, theta=0.5)
    c.backward()
    assert theta.grad.item() == pytest.approx(chain_derivative(n, 0.5), rel=1e-9)
    assert len(ag.toposort([c])) == n
    probe = weakref.ref(c.parents[0].parents[0])
    del c
    assert probe() is None  # freed as soon as the output is dropped


def test_graph_is_freed_by_refcount_alone():
    gc.collect()
    gc.disable()
    try:
        x = Tensor(np.ones(3), requires_grad=True)
        y = ((x * 2).tanh() + x).sum()
        y.backward()
        ag.grad(y, x, create_graph=True)
        probes = [weakref.ref(t) for t in ag.toposort([y])]
        del y
        assert all(p() is None for p in probes)  # no reference cycles keep nodes alive
    finally:
        gc.enable()


def test_topological_order_is_deterministic_and_valid():
    def build():
        x = Tensor(np.arange(3.0), requires_grad=True, name="x")
        w = Tensor(np.ones((3, 2)), requires_grad=True, name="w")
        h = (x @ w).tanh()
        return ((h * h).sum() + x.sum()).exp()

    def signature(root):
        order = ag.toposort([root])
        index = {id(t): i for i, t in enumerate(order)}
        return [(t.op, tuple(index.get(id(p), p.name) for p in t.parents)) for t in order]

    first, second = signature(build()), signature(build())
    assert first == second
    for i, (_, parents) in enumerate(first):
        assert all(not isinstance(p, int) or p < i for p in parents)  # parents come first


@pytest.mark.parametrize("theta", [-1.5, 0.1, 0.5, 2.0])
@pytest.mark.parametrize("n", [1, 2, 5, 20])
@pytest.mark.parametrize("skip", [False, True])
def test_tanh_chain_gradient_matches_closed_form(n, theta, skip):
    x, c = tanh_chain(n, skip=skip, theta=theta)
    c.backward()
    a = chain_activations(n, theta)
    expected = np.prod(1 - a**2) + (1.0 if skip else 0.0)
    assert x.grad.item() == pytest.approx(expected, rel=1e-12)
    assert c.item() == pytest.approx(a[-1] + (theta if skip else 0.0), rel=1e-12)


def test_skip_connection_keeps_gradient_alive():
    _, c = tanh_chain(50, theta=2.0)
    x, c_res = tanh_chain(50, skip=True, theta=2.0)
    c_res.backward()
    assert x.grad.item() > 1.0 > chain_derivative(50, 2.0) * 1e3


def test_create_graph_records_backward_phase_and_higher_orders():
    x = Tensor(0.7, requires_grad=True)
    y = x.tanh()
    (d1,) = grad(y, x, create_graph=True)
    assert y.phase == "forward" and d1.phase == "backward" and d1.requires_grad
    (d2,) = grad(d1, x, create_graph=True)
    (d3,) = grad(d2, x)
    t = np.tanh(0.7)
    assert d1.item() == pytest.approx(1 - t**2)
    assert d2.item() == pytest.approx(-2 * t * (1 - t**2))
    assert d3.item() == pytest.approx((1 - t**2) * (6 * t**2 - 2))
    phases = {node.phase for node in ag.toposort([d2])}
    assert phases == {"forward", "backward"}  # backward nodes read forward values


def test_backward_create_graph_gives_differentiable_grad():
    x = Tensor(1.2, requires_grad=True)
    (x**3).backward(create_graph=True)
    g = x.grad
    assert g.op is not None and g.phase == "backward"
    x.grad = None
    g.backward()
    assert x.grad.item() == pytest.approx(6 * 1.2)


def test_plain_backward_grad_has_no_graph_and_own_memory():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = Tensor([3.0, 4.0], requires_grad=True)
    (x + y).sum().backward()
    assert x.grad.op is None and not x.grad.requires_grad
    x.grad.data[0] = 100.0  # the two grads must not share memory
    assert y.grad.data[0] == 1.0


def test_grad_function_returns_without_writing_grad():
    x = Tensor(2.0, requires_grad=True)
    w = Tensor(3.0, requires_grad=True)
    y = x * w
    gx, gw = grad(y, [x, w])
    assert (gx.item(), gw.item()) == (3.0, 2.0)
    assert x.grad is None and w.grad is None
    (gx_only,) = grad(y, x)
    assert gx_only.item() == 3.0


def test_grad_with_respect_to_intermediate_and_multiple_outputs():
    x = Tensor(0.5, requires_grad=True)
    h = x * 4
    y1, y2 = h.tanh(), h * h
    gh, gx = grad([y1, y2], [h, x])
    assert gh.item() == pytest.approx((1 - np.tanh(2.0) ** 2) + 2 * 2.0)
    assert gx.item() == pytest.approx(4 * gh.item())


def test_retain_grad_keeps_intermediate_gradient():
    x = Tensor(1.0, requires_grad=True)
    h = (x * 3).retain_grad()
    (h * h).backward()
    assert h.grad.item() == pytest.approx(6.0)
    assert x.grad.item() == pytest.approx(18.0)


def test_nonscalar_backward_with_explicit_grad():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    y = x * 2
    y.backward(np.ones((2, 3)))
    np.testing.assert_allclose(x.grad.data, 2 * np.ones((2, 3)))


def test_dtypes():
    assert Tensor(1.5).dtype == np.float64
    assert Tensor(2).dtype == np.int64
    assert Tensor([1, 2.5]).dtype == np.float64
    x = Tensor(np.array([0.5, -1.0], dtype=np.float32), requires_grad=True)
    y = (2 * x.tanh() + 1.0) ** 2 / 3 - x
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)  # float64 meets float32: NumPy promotes
    z = (x * w).sum()
    assert z.dtype == np.float64
    x.grad = None
    z.backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float64
    with pytest.raises(TypeError, match="floating-point"):
        Tensor([1, 2], requires_grad=True)
    with pytest.raises(TypeError, match="floating-point"):
        Tensor(np.array([True]), requires_grad=True)


class _Exploding(Function):
    """y = x, but the VJP fails: for testing that a failed backward changes nothing."""

    name = "exploding"
    forward = staticmethod(np.copy)

    @staticmethod
    def vjp(g, out, needs):
        raise FloatingPointError("exploding: VJP failed on purpose")


def test_failed_backward_changes_no_grad():
    a = Tensor(2.0, requires_grad=True)
    b = Tensor(3.0, requires_grad=True)
    a.grad = Tensor(10.0)
    y = a * b + apply(_Exploding, b)  # a's gradient is found before the failing VJP runs
    with pytest.raises(FloatingPointError, match="exploding"):
        y.backward()
    assert a.grad.item() == 10.0 and b.grad is None


def test_grad_mode_is_per_thread():
    seen = {}
    inside = threading.Event()
    release = threading.Event()

    def worker():
        with no_grad():
            inside.set()
            release.wait(5)
            seen["worker"] = ag.is_grad_enabled()

    t = threading.Thread(target=worker)
    t.start()
    inside.wait(5)
    x = Tensor(1.0, requires_grad=True)
    seen["main"] = (x * 2).op  # recorded here although the other thread is in no_grad
    release.set()
    t.join()
    assert seen == {"main": "mul", "worker": False}


def test_detach_and_leaf_properties():
    x = Tensor([1.0, 2.0], requires_grad=True, name="x")
    y = x * 2
    d = y.detach()
    assert d.is_leaf and not d.requires_grad and d.op is None
    assert np.shares_memory(d.data, y.data)
    assert x.is_leaf and not y.is_leaf
    assert np.asarray(y).tolist() == [2.0, 4.0]
    assert "name='x'" in repr(x) and "op='mul'" in repr(y)


def test_constructor_copies_input_array():
    a = np.array([1.0, 2.0])
    t = Tensor(a)
    a[0] = 99.0
    assert t.data[0] == 1.0


def test_leaves_copy_and_pickle_nodes_refuse():
    import copy
    import pickle

    x = Tensor([1.0, 2.0], requires_grad=True, name="x")
    for clone in (copy.deepcopy(x), pickle.loads(pickle.dumps(x))):
        assert clone is not x and clone.name == "x" and clone.requires_grad
        np.testing.assert_array_equal(clone.data, x.data)
        assert not np.shares_memory(clone.data, x.data)
    with pytest.raises(TypeError, match="only leaf tensors"):
        copy.deepcopy(x * 2)
