"""Values changed in place after an op read them: caught at the write or when backward runs, never a
silently wrong gradient; and no false alarm for the usual training loop."""

import numpy as np
import pytest

import autograd as ag
import nn
from autograd import InplaceError, Tensor, grad


def leaf(values, name=None) -> Tensor:
    return Tensor(np.array(values, dtype=np.float64), requires_grad=True, name=name)


# --- leaves: parameters and inputs stay writable; a change is caught by the backward pass -------------


def test_element_write_into_a_leaf_between_forward_and_backward():
    w = leaf([1.0, 2.0, 3.0], name="w")
    loss = (w * w).sum()
    w.data[1] = 5.0
    with pytest.raises(InplaceError, match=r"input 0 'w' of 'mul' \(shape \(3,\)\).*changed in place"):
        loss.backward()
    assert w.grad is None  # nothing was written


def test_augmented_assignment_into_a_leaf_is_caught():
    w = leaf([1.0, 2.0])
    x = Tensor(np.array([3.0, 4.0]))  # an input that does not require grad: mul's VJP still reads it
    loss = (w * x).sum()
    x.data *= 2.0
    with pytest.raises(InplaceError, match=r"input 1 of 'mul'"):
        loss.backward()


def test_replacing_a_leafs_data_is_caught():
    w = leaf([1.0, 2.0], name="w")
    loss = w.tanh().sum()
    w.data = np.array([0.0, 0.0])
    with pytest.raises(InplaceError, match=r"'w' of 'tanh'.*replaced"):
        loss.backward()


def test_replacing_a_read_only_leaf_array_is_caught():
    c = Tensor(np.array([2.0, 3.0]))
    c.data.setflags(write=False)
    w = leaf([1.0, 1.0])
    loss = (w * c).sum()
    c.data = np.array([7.0, 7.0])
    with pytest.raises(InplaceError, match="replaced"):
        loss.backward()


def test_a_leaf_used_by_two_ops_and_changed():
    w = leaf([0.5])
    loss = (w.tanh() + w.exp()).sum()
    w.data += 1.0
    with pytest.raises(InplaceError):
        loss.backward()


def test_grad_and_create_graph_check_too():
    w = leaf([0.5, 1.5])
    y = (w * w * w).sum()
    w.data[0] = 0.0
    with pytest.raises(InplaceError):
        grad(y, w)
    with pytest.raises(InplaceError):
        y.backward(create_graph=True)
    assert w.grad is None


def test_the_recorded_gradient_graph_is_checked_when_differentiated_again():
    x = leaf([0.3, -0.7])
    (g,) = grad((x * x * x).sum(), x, create_graph=True)  # 3 x^2: a recorded graph that reads x
    x.data[0] = 2.0
    with pytest.raises(InplaceError):
        g.sum().backward()


def test_error_names_where_the_op_was_made_in_anomaly_mode():
    w = leaf([1.0, 2.0])
    with ag.detect_anomaly():
        loss = (w * w).sum()  # this line is named in the message
    w.data[0] = 3.0
    with pytest.raises(InplaceError, match=r"test_inplace\.py:\d+"):
        loss.backward()


# --- results of recorded ops belong to the graph: read-only ----------------------------------------------


def test_writing_into_a_recorded_result_fails_at_the_write():
    x = leaf([0.1, 0.2])
    y = x.tanh()  # tanh's VJP reads y
    with pytest.raises(ValueError, match="read-only"):
        y.data[0] = 1.0
    with pytest.raises(ValueError, match="read-only"):
        y.data -= 1.0
    np.testing.assert_array_equal(y.data, np.tanh([0.1, 0.2]))  # the failed writes changed nothing
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, 1 - np.tanh([0.1, 0.2]) ** 2)


def test_replacing_a_recorded_result_is_caught():
    x = leaf([0.1, 0.2])
    y = x.tanh()
    loss = (y * 2.0).sum()
    y.data = np.array([0.9, 0.9])
    # the first VJP to run that reads it (mul's, which reads its input y) notices
    with pytest.raises(InplaceError, match=r"input 0 of 'mul' \(shape \(2,\)\).*replaced"):
        loss.backward()


def test_replacing_the_output_itself_is_caught():
    x = leaf([0.1, 0.2])
    y = x.tanh()
    y.data = np.array([0.9, 0.9])
    with pytest.raises(InplaceError, match=r"the output of 'tanh'.*replaced"):
        y.backward(np.ones(2))


def test_results_made_without_recording_stay_writable():
    x = leaf([1.0, 2.0])
    with ag.no_grad():
        y = x * 2.0
    y.data[0] = 7.0
    z = Tensor([1.0]) + 1.0  # no input requires grad: nothing recorded
    z.data[0] = 3.0
    assert y.data[0] == 7.0 and z.data[0] == 3.0


def test_gradients_are_writable():
    x = leaf([1.0, 2.0])
    (x * x).sum().backward()
    x.grad.data[0] = 0.0  # an optimizer may scale or clip gradients in place


# --- no false alarms --------------------------------------------------------------------------------------


def test_changing_a_parameter_after_backward_and_before_the_next_forward_is_fine():
    w = leaf([1.0, -1.0])
    for _ in range(3):
        loss = ((w - 3.0) ** 2).sum()  # the previous loss (and its graph) is still alive here
        w.grad = None
        loss.backward()
        w.data -= 0.1 * w.grad.data  # manual SGD, micrograd style
    np.testing.assert_allclose(w.data, 3.0 - np.array([2.0, 4.0]) * 0.8**3)


def test_a_graph_can_be_back_propagated_twice_when_nothing_changed():
    w = leaf([0.5])
    loss = (w * w).sum()
    loss.backward()
    loss.backward()
    np.testing.assert_allclose(w.grad.data, [2.0])


def test_writing_into_a_leaf_whose_graph_is_gone():
    w = leaf([1.0, 2.0])
    loss = (w * w).sum()
    del loss
    w.data[0] = 5.0  # nothing recorded needs it any more
    (w * w).sum().backward()
    np.testing.assert_allclose(w.grad.data, [10.0, 4.0])


# --- nn: the optimizer's step in the wrong place ------------------------------------------------------


def test_optimizer_step_between_forward_and_backward_is_caught():
    model = nn.Linear(3, 2, rng=np.random.default_rng(0), dtype=np.float64)
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    x = Tensor(np.ones((4, 3)))
    loss = model(x).sum()
    loss.backward()
    opt.step()  # fine: after backward
    loss = model(x).sum()
    for p in model.parameters():  # a step before backward changes the weights the graph used
        p.grad = Tensor(np.ones(p.shape))
    opt.step()
    with pytest.raises(InplaceError, match="'matmul'|'add'"):
        loss.backward()


def test_load_state_dict_while_a_graph_is_alive_is_caught():
    model = nn.Linear(2, 2, rng=np.random.default_rng(1), dtype=np.float64)
    loss = model(Tensor(np.ones((1, 2)))).sum()
    model.load_state_dict({k: v + 1.0 for k, v in model.state_dict().items()})
    with pytest.raises(InplaceError):
        loss.backward()


@pytest.mark.parametrize("layout", ["strided", "fortran", "reversed"])
def test_changes_to_leaves_of_any_memory_layout_are_caught(layout):
    base = np.arange(12.0).reshape(3, 4)
    arr = {"strided": np.arange(24.0).reshape(3, 8)[:, ::2], "fortran": np.asfortranarray(base),
           "reversed": base[::-1, ::-1]}[layout]
    w = Tensor(np.zeros((3, 4)), requires_grad=True)
    w.data = arr  # the caller's own array, in its own layout
    loss = (w * w).sum()
    arr[1, 2] += 1.0
    with pytest.raises(InplaceError, match="changed in place"):
        loss.backward()


# --- views: a read-only array that looks into writable memory still changes (issue 10, item 1) ---------


def test_write_into_the_base_of_a_detached_transpose_is_caught():
    w = leaf(np.arange(6.0).reshape(2, 3), name="w")
    v = leaf(np.ones((3, 2)))
    d = w.T.detach()  # a read-only view of w.data
    loss = (v * d).sum()
    w.data += 10.0
    with pytest.raises(InplaceError, match=r"input 1 of 'mul' \(shape \(3, 2\)\).*view"):
        loss.backward()
    assert v.grad is None and w.grad is None


def test_write_into_the_base_of_a_reshape_is_caught_by_grad():
    w = leaf([1.0, 2.0, 3.0])
    y = w.reshape(3, 1)
    z = (y * y).sum()
    w.data += 1.0  # dz/dy would come out [4, 6, 8] instead of [2, 4, 6]
    with pytest.raises(InplaceError, match="'mul'"):
        grad(z, y)


def test_write_into_the_base_of_a_broadcast_constant_is_caught():
    x = Tensor(np.array([1.0, 2.0]))  # does not require grad: broadcast_to is not recorded
    w = leaf(np.ones((3, 2)))
    b = x.broadcast_to((3, 2))
    loss = (w * b).sum()
    x.data[0] = 100.0
    with pytest.raises(InplaceError, match="input 1 of 'mul'"):
        loss.backward()
    assert w.grad is None


VIEWS = {
    "transpose": lambda w: w.T,
    "reshape": lambda w: w.reshape(6),
    "broadcast_to": lambda w: w.broadcast_to((4, 2, 3)),
    "basic slice": lambda w: w[1:, ::2],
    "int index": lambda w: w[0],
    "new axis": lambda w: w[None],
    "ellipsis": lambda w: w[..., 1],
    "view of a view": lambda w: w.T[1:][:, ::-1],
    "detach": lambda w: w.detach(),
    "detach of a view": lambda w: w.T.detach(),
    "detach of a slice": lambda w: w[:, 1:].detach(),
}


@pytest.mark.parametrize("write", ["element", "augmented", "numpy()"])
@pytest.mark.parametrize("view", list(VIEWS))
@pytest.mark.parametrize("requires_grad", [True, False])
def test_writes_into_the_base_of_any_view_are_caught(view, write, requires_grad):
    w = Tensor(np.arange(1.0, 7.0).reshape(2, 3), requires_grad=requires_grad, name="w")
    u = VIEWS[view](w)
    v = leaf(np.full(u.shape, 0.5))
    loss = (u * v).tanh().sum()  # mul's VJP reads u
    if write == "element":
        w.data[[0, 1, 1], [0, 1, 2]] = -5.0  # one element in each view
    elif write == "augmented":
        w.data *= 2.0
    else:
        w.numpy()[...] = 0.0
    with pytest.raises(InplaceError, match="changed in place"):
        loss.backward()
    assert v.grad is None and w.grad is None


@pytest.mark.parametrize("view", list(VIEWS))
def test_views_of_unchanged_arrays_give_the_right_gradient(view):
    """No false alarm: the same views, nothing written; the training-loop order (write after backward)."""
    w = leaf(np.arange(1.0, 7.0).reshape(2, 3))
    for _ in range(2):
        u = VIEWS[view](w)
        v = leaf(np.full(u.shape, 0.5))
        (u * v).sum().backward()
        np.testing.assert_array_equal(v.grad.data, u.data)
        w.data -= 0.1  # after backward: fine


def test_views_of_read_only_memory_are_not_checksummed():
    frozen = np.frombuffer(np.arange(6.0).tobytes())  # read-only, its base is immutable bytes
    x = Tensor(frozen.reshape(2, 3).T)  # Tensor() copies; make a leaf that keeps the view instead
    x.data = frozen.reshape(2, 3).T
    w = leaf(np.ones((3, 2)))
    loss = (w * x).sum()
    assert loss.parents[0]._stamps[2] is x.data  # nothing can change it: no checksum kept
    loss.backward()
    np.testing.assert_array_equal(w.grad.data, frozen.reshape(2, 3).T)


def test_broadcast_views_are_checksummed_over_their_distinct_elements():
    from autograd.inplace import checksum

    row = np.arange(5.0)
    assert checksum(np.broadcast_to(row, (10_000, 5))) == checksum(row[None])


class _OutputIsAView(ag.Function):
    """z = the first 2 entries of a global array (a view);   x_bar = g * z (reads its output)"""

    name = "global_view"
    store = np.array([1.0, 2.0, 3.0])

    @staticmethod
    def forward(x):
        return _OutputIsAView.store[:2]

    @staticmethod
    def vjp(g, out, needs):
        return (g * out,)


def test_a_node_output_that_is_a_view_of_writable_memory_is_checked():
    x = leaf([0.0, 0.0])
    y = ag.apply(_OutputIsAView, x)
    _OutputIsAView.store[0] = 50.0
    with pytest.raises(InplaceError, match=r"the output of 'global_view'.*changed in place"):
        y.backward(np.ones(2))
    _OutputIsAView.store[0] = 1.0
