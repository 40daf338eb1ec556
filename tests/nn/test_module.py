"""Tests for nn.module: Parameter, registration, names, modes, state_dict, and errors that name the module."""

import copy
import pickle
import threading
from collections import OrderedDict

import numpy as np
import pytest

import nn
from autograd import Tensor
from nn.calls import _call_stack


class Block(nn.Module):
    """A sub-module with a parameter of its own and a child."""

    def __init__(self):
        super().__init__()
        self.gain = nn.Parameter(np.ones(3))
        self.lin = nn.Linear(3, 3, rng=np.random.default_rng(0), dtype=np.float64)

    def forward(self, x):
        return self.lin(x) * self.gain


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.first = nn.Linear(2, 3, rng=np.random.default_rng(1), dtype=np.float64)
        self.scale = nn.Parameter(2.0)
        self.block = Block()
        self.last = nn.Linear(3, 1, rng=np.random.default_rng(2), dtype=np.float64)

    def forward(self, x):
        return self.last(self.block(self.first(x))) * self.scale


def snapshot(module):
    """Every parameter's bytes, dtype, shape and array identity."""
    return [(n, p.data.tobytes(), p.dtype, p.shape, id(p.data)) for n, p in module.named_parameters()]


# --- Parameter ------------------------------------------------------------------------------------


def test_parameter_defaults():
    p = nn.Parameter(np.zeros((2, 3), np.float32))
    assert isinstance(p, Tensor) and p.requires_grad and p.is_leaf
    assert p.dtype == np.float32 and p.shape == (2, 3)
    assert nn.Parameter([1, 2]).dtype == np.float64  # ints become float
    assert nn.Parameter(1.5).dtype == np.float64
    assert nn.Parameter([1.0], dtype=np.float32).dtype == np.float32
    assert not nn.Parameter([1.0], requires_grad=False).requires_grad
    assert not hasattr(p, "__dict__")  # __slots__ = (): no per-instance dict
    assert repr(p).startswith("Parameter([[0., 0., 0.]")


def test_parameter_copies_and_ops_give_tensors():
    a = np.ones(3)
    p = nn.Parameter(a)
    a[0] = 5.0
    assert p.data[0] == 1.0
    y = p * 2
    assert type(y) is Tensor and y.op == "mul"
    (y.sum()).backward()
    np.testing.assert_array_equal(p.grad.data, [2.0, 2.0, 2.0])


def test_deepcopy_and_pickle_of_a_model():
    net = Net()
    for clone in (copy.deepcopy(net), pickle.loads(pickle.dumps(net))):
        assert [n for n, _ in clone.named_parameters()] == [n for n, _ in net.named_parameters()]
        for (_, a), (_, b) in zip(net.named_parameters(), clone.named_parameters()):
            assert type(b) is nn.Parameter and b.requires_grad and a.data.tobytes() == b.data.tobytes()
            assert not np.shares_memory(a.data, b.data)
        x = Tensor(np.ones((2, 2)))
        np.testing.assert_array_equal(clone(x).data, net(x).data)


def test_parameter_rejects_integer_dtype():
    with pytest.raises(TypeError, match="floating point"):
        nn.Parameter([1, 2], dtype=np.int64)


# --- registration and names -----------------------------------------------------------------------


def test_named_parameters_order_and_names():
    names = [n for n, _ in Net().named_parameters()]
    # a module's own parameters first, then each child's, in assignment order (as PyTorch)
    assert names == ["scale", "first.weight", "first.bias", "block.gain", "block.lin.weight",
                     "block.lin.bias", "last.weight", "last.bias"]
    net = Net()
    assert [p for p in net.parameters()] == [p for _, p in net.named_parameters()]
    assert net.block.lin.weight is dict(net.named_parameters())["block.lin.weight"]
    assert [n for n, _ in net.named_parameters(prefix="net")][:2] == ["net.scale", "net.first.weight"]
    assert [n for n, _ in net.named_parameters(recurse=False)] == ["scale"]


def test_modules_children_and_named_modules():
    net = Net()
    assert [n for n, _ in net.named_modules()] == ["", "first", "block", "block.lin", "last"]
    assert list(net.modules())[0] is net and list(net.modules())[3] is net.block.lin
    assert list(net.children()) == [net.first, net.block, net.last]
    assert [n for n, _ in net.named_children()] == ["first", "block", "last"]


def test_num_parameters():
    assert Net().num_parameters() == 1 + (2 * 3 + 3) + (3 + 3 * 3 + 3) + (3 + 1)


def test_reassign_and_unregister():
    net = Net()
    net.scale = nn.Parameter(3.0)  # replacing keeps the registration
    assert net.scale.item() == 3.0
    net.first = None  # a registered child set to None is unregistered
    assert net.first is None and "first" not in net._modules
    assert [n for n, _ in net.named_parameters()][:2] == ["scale", "block.gain"]
    net.plain = 5  # ordinary attributes are ordinary
    assert net.plain == 5 and "plain" not in net._parameters
    del net.scale
    assert "scale" not in dict(net.named_parameters())
    with pytest.raises(AttributeError, match="'Net' object has no attribute 'scale'"):
        _ = net.scale


def test_assigning_a_plain_value_to_a_parameter_slot_is_an_error():
    net = Net()
    with pytest.raises(TypeError, match="cannot assign Tensor to parameter 'scale' of Net"):
        net.scale = Tensor(1.0, requires_grad=True)
    with pytest.raises(TypeError, match="cannot assign int to sub-module 'block'"):
        net.block = 3
    assert isinstance(net.scale, nn.Parameter) and isinstance(net.block, Block)


def test_forgetting_super_init_is_explained():
    class Broken(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(1.0)

    with pytest.raises(AttributeError, match=r"call super\(\).__init__\(\) first in Broken"):
        Broken()


def test_shared_parameter_is_yielded_once():
    net = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 3))
    net[1].weight = net[0].weight  # weight tying
    assert [n for n, _ in net.named_parameters()] == ["0.weight", "0.bias", "1.bias"]
    assert net.num_parameters() == 9 + 3 + 3
    assert list(net.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]  # every name, as PyTorch


def test_train_eval_propagate():
    net = Net()
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert [m.training for m in net.modules()] == [False] * 5
    net.block.train()  # a subtree only
    assert [m.training for m in net.modules()] == [False, False, True, True, False]
    net.train()
    assert all(m.training for m in net.modules())
    with pytest.raises(TypeError, match="mode must be True or False"):
        net.train("no")


def test_zero_grad_sets_grads_to_none():
    net = Net()
    net(Tensor(np.ones((4, 2)))).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_repr_is_nested():
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Residual(nn.Sequential(nn.ReLU())), nn.Flatten())
    assert repr(net) == (
        "Sequential(\n"
        "  (0): Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1))\n"
        "  (1): Residual(\n"
        "    (block): Sequential(\n"
        "      (0): ReLU()\n"
        "    )\n"
        "  )\n"
        "  (2): Flatten()\n"
        ")"
    )


# --- state_dict / load_state_dict -----------------------------------------------------------------


def test_state_dict_is_an_ordered_copy():
    net = Net()
    state = net.state_dict()
    assert isinstance(state, OrderedDict)
    assert list(state) == [n for n, _ in net.named_parameters()]
    state["scale"][...] = 99.0
    assert net.scale.item() == 2.0
    net.scale.data[...] = 7.0
    assert state["scale"] == 99.0


def test_state_dict_round_trip():
    a, b = Net(), Net()
    for p in b.parameters():
        p.data = p.data + 1.0
    x = Tensor(np.random.default_rng(0).standard_normal((5, 2)))
    assert not np.allclose(a(x).data, b(x).data)
    source = a.state_dict()
    b.load_state_dict(source)
    np.testing.assert_array_equal(a(x).data, b(x).data)
    source["scale"][...] = -1.0  # b has its own copy
    assert b.scale.item() == 2.0


def test_load_state_dict_accepts_tensors():
    a, b = Net(), Net()
    b.scale = nn.Parameter(5.0)
    a.load_state_dict(dict(b.named_parameters()))
    assert a.scale.item() == 5.0 and a.scale is not b.scale


@pytest.mark.parametrize("case", ["missing", "unexpected", "shape", "dtype", "not-an-array"])
def test_load_state_dict_errors_leave_module_unchanged(case):
    net = Net()
    before = snapshot(net)
    state = {n: a + 1.0 for n, a in net.state_dict().items()}  # valid new values everywhere ...
    if case == "missing":
        del state["block.lin.bias"], state["scale"]
        match = r"missing keys: 'scale', 'block.lin.bias'"
    elif case == "unexpected":
        state["block.extra"] = np.zeros(3)
        state["zzz"] = np.zeros(1)
        match = r"unexpected keys: 'block.extra', 'zzz'"
    elif case == "shape":
        state["last.weight"] = np.zeros((3, 1))
        match = r"'last.weight' has shape \(3, 1\), expected \(1, 3\)"
    elif case == "dtype":
        state["first.bias"] = state["first.bias"].astype(np.float32)
        match = r"'first.bias' has dtype float32, expected float64"
    else:
        state["first.bias"] = [[1.0], [1.0, 2.0]]
        match = r"'first.bias' is not an array"
    with pytest.raises(ValueError, match=match):
        net.load_state_dict(state)  # ... but one problem means nothing is loaded
    assert snapshot(net) == before


def test_load_state_dict_lists_every_problem():
    net = Net()
    state = net.state_dict()
    del state["scale"]
    state["extra"] = np.zeros(2)
    state["first.weight"] = np.zeros((2, 2))
    with pytest.raises(ValueError) as info:
        net.load_state_dict(state)
    msg = str(info.value)
    assert msg.startswith("Net.load_state_dict: ")
    assert "missing keys: 'scale'" in msg and "unexpected keys: 'extra'" in msg
    assert "'first.weight' has shape (2, 2), expected (3, 2)" in msg


def test_load_state_dict_non_strict_and_type_error():
    net = Net()
    net.load_state_dict({"scale": np.array(4.0), "other": np.zeros(1)}, strict=False)
    assert net.scale.item() == 4.0
    with pytest.raises(ValueError, match="has shape"):
        net.load_state_dict({"scale": np.zeros(2)}, strict=False)  # shapes are checked regardless
    with pytest.raises(TypeError, match="expected a mapping"):
        net.load_state_dict([("scale", np.array(1.0))])


# --- errors raised inside forward name the module --------------------------------------------------


class Raiser(nn.Module):
    def __init__(self, exc):
        super().__init__()
        self.exc = exc

    def forward(self, x):
        raise self.exc


class Outer(nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.body = nn.Sequential(nn.Tanh(), inner)

    def forward(self, x):
        return self.body(x)


@pytest.mark.parametrize("exc_type", [ValueError, TypeError, IndexError, RuntimeError])
def test_error_names_the_innermost_module_once(exc_type):
    original = exc_type("something is off")
    with pytest.raises(exc_type) as info:
        Outer(Raiser(original))(Tensor(np.zeros(2)))
    assert str(info.value) == "Outer.body.1: something is off"  # prefixed once, by the innermost module
    assert info.value.__cause__ is original
    assert _call_stack() == []


def test_layer_error_is_named_in_a_sequential():
    net = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(5, 2))
    with pytest.raises(ValueError, match=r"^Sequential\.2: expected input \(N, 5\).*got \(2, 4\)$"):
        net(np.zeros((2, 3)))


def test_error_in_the_root_module_and_in_an_unregistered_module():
    with pytest.raises(ValueError, match=r"^Raiser: bad$"):
        Raiser(ValueError("bad"))(None)

    class Hidden(nn.Module):  # calls a module it did not register
        def __init__(self):
            super().__init__()
            self.helpers = [Raiser(IndexError("no"))]

        def forward(self, x):
            return self.helpers[0](x)

    with pytest.raises(IndexError, match=r"^Hidden\.<Raiser>: no$"):
        Hidden()(None)


def test_other_exceptions_pass_through_unchanged():
    original = KeyError("k")
    with pytest.raises(KeyError) as info:
        Outer(Raiser(original))(Tensor(np.zeros(2)))
    assert info.value is original


def test_exception_with_an_unusual_constructor_keeps_its_type_and_gets_a_note():
    original = UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")  # a ValueError
    with pytest.raises(UnicodeDecodeError) as info:
        Outer(Raiser(original))(Tensor(np.zeros(2)))
    assert info.value is original
    if hasattr(original, "add_note"):  # Python 3.11+
        assert info.value.__notes__ == ["(raised in module Outer.body.1)"]


def test_forward_not_defined():
    with pytest.raises(NotImplementedError, match="^Module: Module does not define forward"):
        nn.Module()(1)


def test_call_stacks_are_per_thread():
    """A module waiting inside its forward in one thread does not appear in another thread's paths."""
    entered, release = threading.Event(), threading.Event()

    class Waiter(nn.Module):
        def forward(self, x):
            entered.set()
            release.wait(5)
            return x

    thread = threading.Thread(target=Waiter(), args=(None,))
    thread.start()
    try:
        assert entered.wait(5)
        with pytest.raises(ValueError, match=r"^Outer\.body\.1: boom$"):
            Outer(Raiser(ValueError("boom")))(Tensor(np.zeros(2)))
    finally:
        release.set()
        thread.join()


def test_functional_call_uses_the_given_tensors_and_restores_the_module():
    import autograd

    model = nn.Sequential(nn.Linear(3, 4, rng=np.random.default_rng(0), dtype=np.float64), nn.Tanh(),
                          nn.Linear(4, 2, rng=np.random.default_rng(1), dtype=np.float64))
    x = autograd.Tensor(np.random.default_rng(2).standard_normal((5, 3)))
    original = model[2].bias
    bias = autograd.Tensor(np.array([10.0, -10.0]), requires_grad=True)
    out = nn.functional_call(model, {"2.bias": bias}, x)
    np.testing.assert_allclose(out.data - model(x).data, np.broadcast_to([10.0 - original.data[0],
                                                                          -10.0 - original.data[1]], (5, 2)))
    assert model[2].bias is original
    assert autograd.gradcheck(lambda b: nn.functional_call(model, {"2.bias": b}, x).tanh().sum(), [bias])
    with pytest.raises(KeyError, match="no parameter '2.weights'"):
        nn.functional_call(model, {"2.weights": bias}, x)
    with pytest.raises(ValueError, match=r"\(2,\)"):
        nn.functional_call(model, {"2.bias": autograd.Tensor(np.ones(3))}, x)
    with pytest.raises(ValueError):
        nn.functional_call(model, {"2.bias": bias}, autograd.Tensor(np.ones((5, 7))))
    assert model[2].bias is original


# --- call records: which module call made which nodes, for the last calls -----------------------------


def test_call_records_keep_each_outermost_call_as_numbers_only():
    from nn.calls import MAX_CALL_RECORDS

    model = Outer(nn.Tanh())
    assert model.call_records() == []
    x = Tensor(np.zeros(2), requires_grad=True)
    y1 = model(x)
    y2 = model(x)
    (s1, e1, spans1), (s2, e2, spans2) = model.call_records()
    assert s1 < y1._seq < e1 < s2 < y2._seq < e2
    assert [p for p, _, _ in spans1] == ["Outer.body.0", "Outer.body.1", "Outer.body", "Outer"]  # inner first
    assert all(s1 <= a < b <= e1 for _, a, b in spans1)
    assert all(type(v) in (str, int) for span in spans1 + spans2 for v in span)  # no tensor is kept alive
    assert model.body.call_records() == []  # only the outermost module records
    for _ in range(MAX_CALL_RECORDS + 5):
        model(x)
    records = model.call_records()
    assert len(records) == MAX_CALL_RECORDS  # bounded: the oldest are dropped
    assert records[0][0] > e2 and records == sorted(records)


def test_a_failing_call_is_recorded_too_and_the_next_call_starts_afresh():
    model = Outer(Raiser(ValueError("boom")))
    with pytest.raises(ValueError):
        model(Tensor(np.zeros(2)))
    (_, _, spans), = model.call_records()
    assert [p for p, _, _ in spans] == ["Outer.body.0"]  # the calls that finished before the error
    ok = Outer(nn.Tanh())
    ok(Tensor(np.zeros(2)))
    assert [p for p, _, _ in ok.call_records()[0][2]][-1] == "Outer"


def test_call_records_survive_copy_and_pickle():
    model = Outer(nn.Tanh())
    model(Tensor(np.zeros(2)))
    assert copy.deepcopy(model).call_records() == model.call_records()
    assert pickle.loads(pickle.dumps(model)).call_records() == model.call_records()
