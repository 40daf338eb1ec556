"""draw_forward / draw_backward: the numbers on the nodes are the closed-form derivatives of tanh^n.

With a_0 = theta, a_k = tanh(a_{k-1}):  dC/da_j = prod_{k>j} (1 - a_k^2);  dC/dtheta = prod_{k>=1} (...)
(+ 1 with the skip). Labels print 4 significant digits, so shown values are compared to rel 5e-4.
"""

import numpy as np
import pytest

import nn
from autograd import Tensor, grad
from viz import GradientScale, chain_activations, chain_derivative, draw_backward, draw_forward, tanh_chain

NS = [1, 2, 5, 20]
THETA = 0.5
SHOWN = dict(rel=5e-4, abs=0)  # "{:.4g}"


def partial(a: np.ndarray, j: int) -> float:
    """prod_{k>j} (1 - a_k^2), with a[k-1] = a_k (j = 0: the whole product)."""
    return float(np.prod(1.0 - a[j:] ** 2))


def tanh_name(k: int, n: int, skip: bool) -> str:
    """How the drawings name a_k: tanh1, tanh2, ...; the last one is the root "C" without the skip."""
    return "C" if (k == n and not skip) else f"tanh{k}"


# --- draw_forward ------------------------------------------------------------------------------------


@pytest.mark.parametrize("skip", [False, True])
@pytest.mark.parametrize("n", NS)
def test_forward_labels_are_closed_form(n, skip, dot_of):
    theta, c = tanh_chain(n, skip=skip, theta=THETA)
    d = dot_of(draw_forward(c))
    a = chain_activations(n, THETA)

    th = d.one("theta")
    assert d.number(th, "value") == THETA
    assert d.number(th, "grad") == pytest.approx(chain_derivative(n, THETA, skip), **SHOWN)
    assert d.entry(th, "grad") == f"{chain_derivative(n, THETA, skip):.4g}"
    for k in range(1, n + 1):
        node = d.one(tanh_name(k, n, skip))
        assert d.number(node, "value") == pytest.approx(a[k - 1], **SHOWN)
        assert d.number(node, "grad") == pytest.approx(partial(a, k), **SHOWN)
    if skip:
        root = d.one("C_res")
        assert d.number(root, "value") == pytest.approx(a[-1] + THETA, **SHOWN)
        assert d.number(root, "grad") == 1
    # one value box per traced node, one op ellipse per recorded op, one legend
    assert len(d.value_nodes()) == n + 1 + skip
    assert sorted(d.nodes[o]["label"] for o in d.op_nodes()) == sorted(["tanh"] * n + ["add"] * skip)
    assert "legend" in d.nodes and "colour = |d " in d.nodes["legend"]["label"]
    assert theta.grad is None and c.grad is None  # drawing computes gradients without storing them


def test_forward_without_grads_shows_stored_grad(dot_of):
    theta, c = tanh_chain(3)
    d = dot_of(draw_forward(c, grads=False))
    assert d.entry(d.one("theta"), "grad") is None and "legend" not in d.nodes
    c.backward()
    d = dot_of(draw_forward(c, grads=False))
    assert d.number(d.one("theta"), "grad") == pytest.approx(chain_derivative(3, THETA), **SHOWN)


def test_forward_theta_is_a_bold_square_parameter_and_constants_are_dotted(dot_of):
    x = Tensor(0.25, requires_grad=True, name="x")
    y = (x * 3.0).tanh()
    d = dot_of(draw_forward(y))
    assert d.nodes[d.one("x")]["penwidth"] == "2" and d.nodes[d.one("x")]["style"] == "filled"
    const = d.one("3")
    assert d.number(const, "value") == 3 and "dotted" in d.nodes[const]["style"]
    assert d.entry(const, "grad") is None  # a constant has no gradient


# --- draw_backward -----------------------------------------------------------------------------------


@pytest.mark.parametrize("skip", [False, True])
@pytest.mark.parametrize("n", NS)
def test_backward_labels_are_closed_form(n, skip, dot_of):
    theta, c = tanh_chain(n, skip=skip, theta=THETA)
    d = dot_of(draw_backward(c, wrt=theta))
    a = chain_activations(n, THETA)
    root = "C_res" if skip else "C"

    out = d.one(f"d{root}/dtheta")
    assert d.number(out, "value") == pytest.approx(chain_derivative(n, THETA, skip), **SHOWN)
    assert d.number(d.one(f"seed d{root}/d{root}"), "value") == 1

    # running adjoints, in the order the backward pass makes them: prod_{k>j}(1 - a_k^2), j = n-1 .. 1
    # (with the skip the last product, j = 0, is an adjoint too: the add after it is the output)
    adjoints = [d.number(x, "value") for x in d.by_first_line("adjoint")]
    last = 0 if skip else 1
    expected = [partial(a, j) for j in range(n - 1, last - 1, -1)]
    assert adjoints == pytest.approx(expected, **SHOWN)
    assert len(adjoints) == (n if skip else n - 1)

    # local derivatives written out, with their values
    for k in range(1, n + 1):
        name = tanh_name(k, n, skip)
        local = d.one(f"1 - {name}*{name}")
        assert d.number(local, "value") == pytest.approx(1 - a[k - 1] ** 2, **SHOWN)
        square = d.one(f"{name}*{name}")
        assert d.number(square, "value") == pytest.approx(a[k - 1] ** 2, **SHOWN)
        # the forward value it reads: drawn faded and dashed
        fwd = d.one(name)
        assert d.number(fwd, "value") == pytest.approx(a[k - 1], **SHOWN)
        assert "dashed" in d.nodes[fwd]["style"] and "dashed" not in d.nodes[local]["style"]
    assert len(d.by_first_line("1")) == n  # the constants of 1 - y*y
    assert "dashed" in d.nodes[d.one("theta")]["style"]
    # one box per node of the recorded graph: 5n + 2 (+1), see test_trace
    assert len(d.value_nodes()) == 5 * n + 2 + skip
    assert sorted(d.nodes[o]["label"] for o in d.op_nodes()) == sorted(
        ["tanh"] * n + ["mul"] * (2 * n) + ["sub"] * n + ["add"] * skip)


def test_backward_edges_follow_the_recorded_graph(dot_of):
    theta, c = tanh_chain(2)
    d = dot_of(draw_backward(c, wrt=theta))
    ids = {d.label(x)[0]: x for x in d.value_nodes()}
    ops_into = {}  # value node -> the op node that makes it
    for src, dst, _ in d.edges:
        if src in d.op_nodes():
            ops_into[dst] = src

    def inputs(value_label):
        op = ops_into[ids[value_label]]
        return sorted(d.label(s)[0] for s, t, _ in d.edges if t == op)

    assert inputs("C*C") == ["C", "C"]  # a tensor used twice: two edges
    assert inputs("1 - C*C") == ["1", "C*C"]
    assert inputs("dC/dtheta") == ["1 - tanh1*tanh1", "adjoint"]
    assert inputs("adjoint") == ["1 - C*C", "seed dC/dC"]


def test_backward_colours_come_from_the_scale(dot_of):
    n = 6
    scale = GradientScale(1e-3, 2.0)
    theta, c = tanh_chain(n, skip=True, theta=THETA)
    d = dot_of(draw_backward(c, wrt=theta, scale=scale))
    a = chain_activations(n, THETA)
    adjoints = d.by_first_line("adjoint")
    for x, j in zip(adjoints, range(n - 1, -1, -1)):
        assert d.nodes[x]["fillcolor"] == scale.color(partial(a, j))
    out = d.one("dC_res/dtheta")
    assert d.nodes[out]["fillcolor"] == scale.color(chain_derivative(n, THETA, True))
    assert d.nodes[d.one("seed dC_res/dC_res")]["fillcolor"] == scale.color(1.0)
    for k in range(1, n + 1):  # local derivatives are off the adjoint path: white, not coloured
        assert d.nodes[d.one(f"1 - tanh{k}*tanh{k}")]["fillcolor"] == "white"
    assert "white 0.001 .. red 2" in d.nodes["legend"]["label"]


def test_backward_default_wrt_is_every_parameter_leaf(dot_of):
    x = Tensor(0.3, requires_grad=True, name="x")
    w = Tensor(2.0, requires_grad=True, name="w")
    y = (x * w).tanh()
    d = dot_of(draw_backward(y))
    t = np.tanh(0.6)
    assert d.number(d.one("dtanh1/dx"), "value") == pytest.approx((1 - t * t) * 2.0, **SHOWN)
    assert d.number(d.one("dtanh1/dw"), "value") == pytest.approx((1 - t * t) * 0.3, **SHOWN)
    assert x.grad is None and w.grad is None


# --- tensors: shapes and dtypes --------------------------------------------------------------------


@pytest.fixture(scope="module")
def lenet_loss():
    x, y, _, _ = nn.data.load_digits()
    model = nn.LeNet5(seed=0)
    loss = nn.functional.cross_entropy(model(x[:2]), y[:2])
    return model, loss


def test_forward_shows_shapes_and_dtype_on_request(lenet_loss, dot_of):
    model, loss = lenet_loss
    d = dot_of(draw_forward(loss, modules=model))
    tanh1 = d.one("tanh1")
    assert d.entry(tanh1, "shape") == "(2, 6, 28, 28)" and d.entry(tanh1, "value") is None
    assert d.entry(d.one("conv1.weight"), "shape") == "(6, 1, 5, 5)"
    assert d.entry(d.one("fc2.bias"), "shape") == "(10,)"
    assert d.entry(d.by_first_line("input")[0], "shape") == "(2, 1, 32, 32)"
    root = d.one("neg1")  # the loss: -mean(log softmax)
    assert d.entry(root, "shape") is None and d.number(root, "value") == pytest.approx(loss.item(), **SHOWN)
    assert not any("float32" in d.nodes[x]["label"] for x in d.value_nodes())

    d32 = dot_of(draw_forward(loss, modules=model, show_dtype=True))
    assert d32.label(d32.one("tanh1"))[:3] == ["tanh1", "shape (2, 6, 28, 28)", "float32"]
    dtypes = {d32.label(x)[2] for x in d32.value_nodes()}
    assert "float32" in dtypes and dtypes <= {"float32", "int64"}, dtypes
    theta, c = tanh_chain(2)
    assert "float64" in dot_of(draw_forward(c, show_dtype=True)).label("n0")


def test_forward_tensor_grads_are_root_mean_square(lenet_loss, dot_of):
    model, loss = lenet_loss
    d = dot_of(draw_forward(loss, modules=model))
    names = ["conv1.weight", "conv3.bias", "fc2.weight"]
    grads = grad(loss, [dict(model.named_parameters())[n] for n in names])
    for name, g in zip(names, grads):
        rms = float(np.sqrt(np.mean(np.asarray(g.data, dtype=np.float64) ** 2)))
        assert d.number(d.one(name), "|grad|") == pytest.approx(rms, rel=1e-3)
    assert all(p.grad is None for p in model.parameters())


def test_backward_names_every_input_when_two_share_a_gradient(dot_of):
    x = Tensor(0.3, requires_grad=True, name="x")
    y = Tensor(0.4, requires_grad=True, name="y")
    c = (x + y).tanh()
    d = dot_of(draw_backward(c))
    labels = [line for name in d.value_nodes() for line in d.label(name)]
    assert any("dtanh1/dx" in line for line in labels)
    assert any("dtanh1/dy" in line for line in labels)


def test_title_and_direction(dot_of):
    theta, c = tanh_chain(2)
    d = dot_of(draw_forward(c, title="C = tanh^2(theta): forward", rankdir="TB"))
    assert d.graph["label"] == "C = tanh^2(theta): forward" and d.graph["rankdir"] == "TB"
    d = dot_of(draw_backward(c, wrt=theta))
    assert "label" not in d.graph and d.graph["rankdir"] == "LR"
