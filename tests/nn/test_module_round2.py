"""Tests for Module round 2: buffers, train/eval, ModuleList/ModuleDict, add_module/register_parameter,
the new activation layers (values, first and second order) and Conv2d's dilation."""

import math

import numpy as np
import pytest

import autograd
import nn
from autograd import Tensor, correlate2d, grad, gradcheck, gradgradcheck
from nn import functional as F

F64 = {"dtype": np.float64}


class WithBuffer(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2, rng=np.random.default_rng(0))
        self.register_buffer("steps", np.array(0, np.int64))
        self.register_buffer("scratch", np.zeros(3), persistent=False)
        self.register_buffer("absent", None)

    def forward(self, x):
        return self.fc(x)


# --- buffers --------------------------------------------------------------------------------------


def test_buffers_are_state_but_not_parameters():
    m = WithBuffer()
    assert isinstance(m.steps, Tensor) and not m.steps.requires_grad
    assert [n for n, _ in m.named_parameters()] == ["fc.weight", "fc.bias"]
    assert [n for n, _ in m.named_buffers()] == ["steps", "scratch"]  # None buffers are skipped
    assert list(m.state_dict()) == ["steps", "fc.weight", "fc.bias"]  # non-persistent left out
    outer = nn.Sequential(m)
    assert [n for n, _ in outer.named_buffers()] == ["0.steps", "0.scratch"]
    assert "0.steps" in outer.state_dict() and "steps" in dir(m)


def test_assigning_to_a_buffer_replaces_it():
    m = WithBuffer()
    m.steps = np.array(5, np.int64)
    assert m.steps.item() == 5 and m.state_dict()["steps"] == 5
    m.absent = np.ones(2)
    assert "absent" in m.state_dict()
    m.steps = None
    assert "steps" not in m.state_dict()
    with pytest.raises(TypeError, match="cannot assign str as buffer 'absent' of WithBuffer"):
        m.absent = "x"
    del m.absent
    assert "absent" not in m.state_dict() and not hasattr(m, "absent")


def test_register_buffer_errors():
    m = WithBuffer()
    with pytest.raises(KeyError, match="attribute 'fc' already exists"):
        m.register_buffer("fc", np.zeros(1))
    with pytest.raises(KeyError, match="without '.'"):
        m.register_buffer("a.b", np.zeros(1))
    with pytest.raises(TypeError, match="cannot register Parameter 'p' as a buffer"):
        m.register_buffer("p", nn.Parameter(np.zeros(1)))
    with pytest.raises(TypeError, match="cannot assign list as buffer 'q'"):
        m.register_buffer("q", [1, 2])

    class Early(nn.Module):
        def __init__(self):
            self.register_buffer("x", np.zeros(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Early()


def test_load_state_dict_checks_buffers_all_or_nothing(tmp_path):
    src, dst = WithBuffer(), WithBuffer()
    src.steps = np.array(7, np.int64)
    src.fc.weight.data = src.fc.weight.data + 1
    nn.save(src, tmp_path / "m.npz")
    nn.load(dst, tmp_path / "m.npz")
    assert dst.steps.item() == 7 and dst.steps.dtype == np.int64
    np.testing.assert_array_equal(dst.fc.weight.data, src.fc.weight.data)
    state = src.state_dict()
    state["steps"] = np.array(1.0)  # float64, not int64
    state["fc.bias"] = np.zeros(2, np.float32)
    with pytest.raises(ValueError, match="'steps' has dtype float64, expected int64"):
        dst.load_state_dict(state)
    assert dst.fc.bias.data.any()  # nothing was loaded
    del state["steps"]
    with pytest.raises(ValueError, match="missing keys: 'steps'"):
        dst.load_state_dict(state)


def test_register_parameter_and_add_module():
    m = nn.Module()
    m.register_parameter("w", nn.Parameter(np.ones(2)))
    m.add_module("block-1", nn.Linear(2, 2))
    m.register_parameter("b", None)
    assert m.b is None
    assert [n for n, _ in m.named_parameters()] == ["w", "block-1.weight", "block-1.bias"]
    with pytest.raises(TypeError, match="a Parameter or None expected"):
        m.register_parameter("v", Tensor(np.ones(2)))
    with pytest.raises(TypeError, match="is a int, not a Module"):
        m.add_module("x", 3)


# --- train / eval ---------------------------------------------------------------------------------


def test_train_eval_reach_modules_in_lists_and_dicts():
    net = nn.Sequential(nn.ModuleList([nn.Dropout(), nn.BatchNorm1d(2)]),
                        nn.ModuleDict({"a": nn.Dropout(), "b": nn.Sequential(nn.BatchNorm1d(2))}))
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    assert net.train() is net
    assert all(m.training for m in net.modules())
    net[1].eval()
    assert [m.training for _, m in net.named_modules()] == [True, True, True, True] + [False] * 4


# --- ModuleList / ModuleDict ----------------------------------------------------------------------


class Stack(nn.Module):
    def __init__(self, n=3):
        super().__init__()
        rng = np.random.default_rng(0)
        self.layers = nn.ModuleList([nn.Linear(2, 2, rng=rng) for _ in range(n)])

    def forward(self, x):
        for layer in self.layers:
            x = layer(x).tanh()
        return x


def test_module_list_registers_with_pytorch_names():
    net = Stack()
    names = [n for n, _ in net.named_parameters()]
    assert names == [f"layers.{i}.{p}" for i in range(3) for p in ("weight", "bias")]
    assert list(net.state_dict()) == names
    assert net(np.ones((1, 2), np.float32)).shape == (1, 2)
    assert net.num_parameters() == 18


def test_module_list_operations_renumber():
    a, b, c, d = (nn.ReLU() for _ in range(4))
    ml = nn.ModuleList([a, b])
    ml.append(c).extend([d])
    assert len(ml) == 4 and list(ml) == [a, b, c, d] and ml[-1] is d
    del ml[1]
    assert list(ml._modules) == ["0", "1", "2"] and list(ml) == [a, c, d]
    ml.insert(0, b)
    assert list(ml) == [b, a, c, d] and list(ml._modules) == ["0", "1", "2", "3"]
    ml[2] = a
    assert ml[2] is a
    assert list(ml[1:3]) == [a, a] and isinstance(ml[1:3], nn.ModuleList)
    assert ml.pop() is d and len(ml) == 3
    ml += [d]
    assert len(ml) == 4 and len(ml + nn.ModuleList([a])) == 5


def test_module_list_errors():
    ml = nn.ModuleList([nn.ReLU()])
    with pytest.raises(IndexError, match="index 3 is out of range for 1 modules"):
        ml[3]
    with pytest.raises(TypeError, match="item 1 of extend\\(\\) is a int, not a Module"):
        ml.extend([nn.ReLU(), 1])
    assert len(ml) == 1  # all checked before any was added
    with pytest.raises(TypeError, match="got a single ReLU \\(use append\\)"):
        ml.extend(nn.ReLU())
    with pytest.raises(TypeError, match="indices must be integers or slices, not str"):
        ml["0"]
    with pytest.raises(NotImplementedError, match="container without forward"):
        ml(1)


def test_module_dict():
    rng = np.random.default_rng(0)

    class Heads(nn.Module):
        def __init__(self):
            super().__init__()
            self.heads = nn.ModuleDict({"digit": nn.Linear(3, 10, rng=rng),
                                        "parity": nn.Linear(3, 2, rng=rng)})

    net = Heads()
    assert [n for n, _ in net.named_parameters()] == [
        "heads.digit.weight", "heads.digit.bias", "heads.parity.weight", "heads.parity.bias"]
    md = net.heads
    assert list(md) == ["digit", "parity"] and "digit" in md and len(md) == 2
    md.update([("extra", nn.ReLU())])
    md["digit"] = nn.Tanh()  # replacing keeps the place
    assert list(md.keys()) == ["digit", "parity", "extra"] and isinstance(md["digit"], nn.Tanh)
    assert md.pop("extra").__class__ is nn.ReLU and list(md) == ["digit", "parity"]
    with pytest.raises(KeyError, match="ModuleDict has no module 'nope'"):
        md["nope"]
    with pytest.raises(KeyError, match="attribute 'train' already exists"):
        md["train"] = nn.ReLU()
    with pytest.raises(KeyError, match="without '.'"):
        md["a.b"] = nn.ReLU()
    with pytest.raises(TypeError, match="'x' is a int, not a Module"):
        md.update({"x": 1})
    with pytest.raises(NotImplementedError, match="container without forward"):
        md(1)
    md.clear()
    assert len(md) == 0 and list(net.parameters()) == []


# --- activations ----------------------------------------------------------------------------------


def np_gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def np_softplus(x, beta=1.0, threshold=20.0):
    with np.errstate(over="ignore"):  # the overflowing branch is not selected
        return np.where(beta * x > threshold, x, np.log1p(np.exp(beta * x)) / beta)


ACTIVATIONS = {
    "Sigmoid": (nn.Sigmoid(), lambda x: 1 / (1 + np.exp(-x))),
    "LeakyReLU": (nn.LeakyReLU(0.2), lambda x: np.where(x > 0, x, 0.2 * x)),
    "SiLU": (nn.SiLU(), lambda x: x / (1 + np.exp(-x))),
    "Softplus": (nn.Softplus(), np_softplus),
    "Softplus(beta=2)": (nn.Softplus(beta=2.0, threshold=5.0), lambda x: np_softplus(x, 2.0, 5.0)),
    "GELU(tanh)": (nn.GELU(approximate="tanh"), np_gelu_tanh),
    "GELU": (nn.GELU(), lambda x: 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))),
    "Identity": (nn.Identity(3, any="thing"), lambda x: x),
}


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_values_and_derivatives(name):
    layer, reference = ACTIVATIONS[name]
    x = np.random.default_rng(0).standard_normal((3, 4)) * 3
    np.testing.assert_allclose(layer(x).data, reference(x), rtol=1e-13, atol=1e-15)
    xt = Tensor(x, requires_grad=True)
    assert gradcheck(layer, [xt])
    assert gradgradcheck(layer, [xt])
    assert layer(x.astype(np.float32)).dtype == np.float32


def test_activation_gradients_at_the_kinks_follow_pytorch():
    x = Tensor(np.zeros(3), requires_grad=True)
    (g,) = grad(nn.LeakyReLU(0.1)(x).sum(), [x])
    np.testing.assert_array_equal(g.data, 0.1)  # PyTorch: x > 0 ? 1 : slope
    (g,) = grad(nn.Softplus()(x).sum(), [x])
    np.testing.assert_array_equal(g.data, 0.5)  # sigmoid(0)


def test_softplus_is_stable_and_linear_past_the_threshold():
    x = np.array([-1e4, -50.0, 0.0, 19.0, 21.0, 1e4])
    with np.errstate(over="raise"):
        y = F.softplus(x).data
    np.testing.assert_allclose(y, np_softplus(x), rtol=1e-14, atol=1e-16)
    assert y[4] == 21.0 and y[5] == 1e4


def test_gelu_exact_form_matches_math_erf():
    x = np.linspace(-3, 3, 7)
    expected = [0.5 * v * (1 + math.erf(v / math.sqrt(2))) for v in x]
    np.testing.assert_allclose(nn.GELU()(x).data, expected, rtol=1e-12)
    xt = Tensor(x[:4] + 0.1, requires_grad=True)
    assert gradcheck(nn.GELU(), [xt]) and gradgradcheck(nn.GELU(), [xt])


LAYERS_AND_PRIMITIVES = {
    "LeakyReLU": (nn.LeakyReLU(0.2), lambda x: autograd.leaky_relu(x, 0.2)),
    "SiLU": (nn.SiLU(), autograd.silu),
    "Softplus": (nn.Softplus(), autograd.softplus),
    "Softplus(beta=2)": (nn.Softplus(beta=2.0, threshold=5.0), lambda x: autograd.softplus(x, 2.0, 5.0)),
    "GELU": (nn.GELU(), autograd.gelu),
    "GELU(tanh)": (nn.GELU(approximate="tanh"), lambda x: autograd.gelu(x, approximate="tanh")),
}


@pytest.mark.parametrize("name", list(LAYERS_AND_PRIMITIVES))
def test_activation_layers_are_the_autograd_primitives(name):
    """Same node, same values, same first and second derivatives (also at 0 and past the threshold)."""
    layer, primitive = LAYERS_AND_PRIMITIVES[name]
    x = np.concatenate([np.random.default_rng(1).standard_normal(8) * 4, [0.0, -0.0, 30.0, -30.0]])
    a, b = Tensor(x, requires_grad=True), Tensor(x, requires_grad=True)
    ya, yb = layer(a), primitive(b)
    assert ya.op == yb.op and tuple(ya.parents) == (a,)  # one primitive node on x, not a composition
    np.testing.assert_array_equal(ya.data, yb.data)
    (ga,) = grad(ya.sum(), [a], create_graph=True)
    (gb,) = grad(yb.sum(), [b], create_graph=True)
    np.testing.assert_array_equal(ga.data, gb.data)
    assert ga.requires_grad == gb.requires_grad  # leaky_relu's gradient is a constant mask
    if ga.requires_grad:
        (gga,) = grad(ga.sum(), [a])
        (ggb,) = grad(gb.sum(), [b])
        np.testing.assert_array_equal(gga.data, ggb.data)


def test_functional_activations_are_the_autograd_primitives():
    assert (F.leaky_relu, F.silu, F.softplus, F.gelu) == (autograd.leaky_relu, autograd.silu,
                                                          autograd.softplus, autograd.gelu)


def test_activation_layers_check_their_settings_at_construction():
    with pytest.raises(ValueError, match="GELU: approximate must be 'none' or 'tanh'"):
        nn.GELU(approximate="fast")
    with pytest.raises(ValueError, match="beta must not be 0"):
        nn.Softplus(beta=0)
    with pytest.raises(TypeError, match="negative_slope must be a finite number"):
        nn.LeakyReLU(float("nan"))


def test_activation_reprs():
    assert repr(nn.LeakyReLU()) == "LeakyReLU(negative_slope=0.01)"
    assert repr(nn.GELU("tanh")) == "GELU(approximate='tanh')"
    assert repr(nn.Softplus()) == "Softplus(beta=1.0, threshold=20.0)"


# --- Conv2d dilation ------------------------------------------------------------------------------


def test_conv2d_passes_dilation_through():
    conv = nn.Conv2d(2, 3, 3, padding=1, dilation=2, rng=np.random.default_rng(0), **F64)
    x = np.random.default_rng(1).standard_normal((1, 2, 7, 7))
    y = conv(x)
    assert y.shape == (1, 3, 5, 5)  # 7 + 2 - 2 * (3 - 1) - 1 + 1
    expected = correlate2d(Tensor(x), conv.weight, conv.bias, padding=1, dilation=2)
    np.testing.assert_allclose(y.data, expected.data, rtol=1e-15)
    assert repr(conv) == "Conv2d(2, 3, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), dilation=(2, 2))"
    with pytest.raises(ValueError, match=r"H >= 5 and W >= 5 for the \(3, 3\) kernel with dilation \(2, 2\)"):
        nn.Conv2d(1, 1, 3, dilation=2)(np.zeros((1, 1, 4, 9)))
    with pytest.raises(ValueError, match="dilation"):
        nn.Conv2d(1, 1, 3, dilation=0)
