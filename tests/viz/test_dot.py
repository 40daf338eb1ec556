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
    d = dot_of(draw_forward(c, collapse=0))  # every node drawn, even a run of 20 tanh
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
    # one value box per traced node, one op ellipse per recorded op, and nothing else (no legend node)
    assert len(d.value_nodes()) == n + 1 + skip
    assert sorted(d.nodes[o]["label"] for o in d.op_nodes()) == sorted(["tanh"] * n + ["add"] * skip)
    assert len(d.nodes) == len(d.mentioned) == 2 * n + 1 + 2 * skip
    # the legend is the graph label's caption line
    rname = "C_res" if skip else "C"
    assert d.graph["label"].startswith(f"colour = |d{rname}/d node| (rms for tensors), log scale: white ")
    assert "\n" not in d.graph["label"]  # no title: the caption alone
    # large type: 14 pt values, 12 pt ops; every node says what it is on hover
    assert {d.nodes[x]["fontsize"] for x in d.value_nodes()} == {"14"}
    assert {d.nodes[x]["fontsize"] for x in d.op_nodes()} == {"12"}
    assert d.nodes[th]["tooltip"] == (f"theta; leaf; shape (); value {THETA:.4g}; "
                                      f"grad {chain_derivative(n, THETA, skip):.4g}")
    for k in range(1, n + 1):
        node = d.one(tanh_name(k, n, skip))
        assert d.nodes[node]["tooltip"] == (f"{tanh_name(k, n, skip)}; op tanh; shape (); "
                                            f"value {a[k - 1]:.4g}; grad {partial(a, k):.4g}")
    assert all(d.nodes[x].get("tooltip") for x in d.nodes)
    # each op oval feeds exactly its own value box; each tanh reads the value before it
    for o in d.op_nodes():
        assert [t for s, t, _ in d.edges if s == o] == ["n" + o[1:]]
    for k in range(1, n + 1):
        box = d.one(tanh_name(k, n, skip))
        (oval,) = [s for s, t, _ in d.edges if t == box]
        before = d.one("theta" if k == 1 else tanh_name(k - 1, n, skip))
        assert [s for s, t, _ in d.edges if t == oval] == [before]
    assert theta.grad is None and c.grad is None  # drawing computes gradients without storing them


def test_forward_collapses_long_runs_by_default(dot_of):
    theta, c = tanh_chain(20, theta=THETA)
    d = dot_of(draw_forward(c))  # collapse=None: runs of 8 or more repeats fold into one op and one value
    assert [d.nodes[o]["label"] for o in d.op_nodes()] == ["tanh x 20"]
    assert sorted(d.label(x)[0] for x in d.value_nodes()) == ["C", "theta"]
    assert d.number(d.one("C"), "value") == pytest.approx(chain_activations(20, THETA)[-1], **SHOWN)
    assert d.number(d.one("theta"), "grad") == pytest.approx(chain_derivative(20, THETA), **SHOWN)
    theta, c = tanh_chain(7, theta=THETA)
    assert len(dot_of(draw_forward(c)).op_nodes()) == 7  # a shorter run is drawn in full


def test_forward_without_grads_shows_stored_grad(dot_of):
    theta, c = tanh_chain(3)
    d = dot_of(draw_forward(c, grads=False))
    assert d.entry(d.one("theta"), "grad") is None
    assert "label" not in d.graph  # no colours, no title: no graph label at all
    assert {a["fillcolor"] for a in d.nodes.values() if "fillcolor" in a} == {"white"}
    c.backward()
    d = dot_of(draw_forward(c, grads=False))
    assert d.number(d.one("theta"), "grad") == pytest.approx(chain_derivative(3, THETA), **SHOWN)


def test_forward_theta_is_a_bold_square_parameter_and_constants_go_into_their_op(dot_of):
    x = Tensor(0.25, requires_grad=True, name="x")
    k = Tensor(2.0, name="k")  # a named input: drawn, dotted
    y = (x * 3.0 * k).tanh()
    d = dot_of(draw_forward(y, rankdir="LR"))
    assert d.nodes[d.one("x")]["penwidth"] == "2" and d.nodes[d.one("x")]["style"] == "filled"
    kn = d.one("k")
    assert d.number(kn, "value") == 2 and "dotted" in d.nodes[kn]["style"]
    assert d.entry(kn, "grad") is None  # an input that needs no gradient has none
    # the unnamed scalar 3 is not a box: it is written into the oval of the mul that reads it
    assert not d.by_first_line("3")
    assert sorted(d.nodes[o]["label"] for o in d.op_nodes()) == ["mul", "mul(., 3)", "tanh"]
    (m3,) = [o for o in d.op_nodes() if d.nodes[o]["label"] == "mul(., 3)"]
    assert [s for s, t, _ in d.edges if t == m3] == [d.one("x")]  # its only arrow in: from x
    (m,) = [o for o in d.op_nodes() if d.nodes[o]["label"] == "mul"]
    assert sorted(s for s, t, _ in d.edges if t == m) == sorted([d.one("mul1"), kn])
    assert d.number(d.one("mul1"), "value") == 0.75
    root = d.one("L")  # an unnamed one-element root is called L
    assert d.number(root, "value") == pytest.approx(np.tanh(1.5), **SHOWN)
    assert d.number(d.one("x"), "grad") == pytest.approx(6 * (1 - np.tanh(1.5) ** 2), **SHOWN)
    assert d.graph["label"].startswith("colour = |dL/d node|")
    assert len(d.value_nodes()) == 5 and len(d.op_nodes()) == 3 and len(d.edges) == 7


def test_tensor_used_twice_keeps_two_arrows_and_unnamed_tensor_root_is_y(dot_of):
    x = Tensor(np.array([0.5, -1.0]), requires_grad=True, name="x")
    y = x * x
    d = dot_of(draw_forward(y))
    (o,) = d.op_nodes()
    assert [s for s, t, _ in d.edges if t == o] == [d.one("x")] * 2
    assert d.entry(d.one("y"), "shape") == "(2,)"
    assert "label" not in d.graph  # a root of two elements has no gradient to colour by


# --- values=True: small tensors as grids of numbers ---------------------------------------------------


W_VALUE = np.array([[1.0, -2.0], [0.5, 3.0]])
X_VALUE = np.array([0.5, -1.0])


def small_net():
    """L = sum(tanh(W x)^2): dL/dW = outer(2 h (1 - h^2), x), h = tanh(W x)."""
    w = Tensor(W_VALUE.copy(), requires_grad=True, name="W")
    x = Tensor(X_VALUE.copy(), name="x")
    h = (w @ x).tanh()
    return w, x, (h * h).sum()


def small_net_grads():
    h = np.tanh(W_VALUE @ X_VALUE)
    dh = 2 * h
    dz = dh * (1 - h * h)
    return h, dh, dz, np.outer(dz, X_VALUE)


def test_forward_values_draws_matrices(dot_of):
    w, x, loss = small_net()
    h, dh, dz, dw = small_net_grads()
    d = dot_of(draw_forward(loss, values=True))
    wn = d.one("W")
    assert d.is_html(wn) and d.label(wn) == ["W", "shape (2, 2)", "value", "grad"]
    (hv, mv), (hg, mg) = d.matrices(wn)
    assert (hv, hg) == ("value", "grad")
    np.testing.assert_allclose(mv, W_VALUE, rtol=5e-4)
    np.testing.assert_allclose(mg, dw, rtol=5e-4)
    assert mv.shape == mg.shape == (2, 2)
    # a vector is one row; an input has no gradient grid
    assert [(hd, m.shape) for hd, m in d.matrices(d.one("x"))] == [("value", (1, 2))]
    np.testing.assert_array_equal(d.matrices(d.one("x"))[0][1], [X_VALUE])
    t = d.matrices(d.one("tanh1"))
    np.testing.assert_allclose(t[0][1], [h], rtol=5e-4)
    np.testing.assert_allclose(t[1][1], [dh], rtol=5e-4)
    np.testing.assert_allclose(d.matrices(d.one("matmul1"))[1][1], [dz], rtol=5e-4)
    # the scalar root keeps its plain text label
    assert not d.is_html(d.one("L"))
    assert d.number(d.one("L"), "value") == pytest.approx(np.sum(h * h), **SHOWN)
    # without values=True the same tensors are statistics, labelled
    d = dot_of(draw_forward(loss))
    assert d.label(d.one("W")) == ["W", "shape (2, 2)", f"rms grad {np.sqrt(np.mean(dw ** 2)):.4g}"]
    assert d.matrices(d.one("W")) == []


def test_values_prints_slices_of_a_bigger_tensor(dot_of):
    a = np.arange(2 * 3 * 2, dtype=np.float64).reshape(2, 3, 2) / 4
    x = Tensor(a, requires_grad=True, name="A")
    d = dot_of(draw_forward((x * x).sum(), values=True))
    got = d.matrices(d.one("A"))
    assert [hd for hd, _ in got] == ["value [0]", "value [1]", "grad [0]", "grad [1]"]
    for (_, m), expected in zip(got, [a[0], a[1], 2 * a[0], 2 * a[1]]):
        np.testing.assert_allclose(m, expected, rtol=5e-4)
    big = Tensor(np.ones((3, 7)), requires_grad=True, name="B")  # 7 columns: too wide to print
    d = dot_of(draw_forward((big * big).sum(), values=True))
    assert d.matrices(d.one("B")) == [] and d.entry(d.one("B"), "rms grad") == "2"


# --- highlight: bold paths --------------------------------------------------------------------------


def test_forward_highlight_makes_the_paths_to_the_root_bold(dot_of):
    w, x, loss = small_net()
    d = dot_of(draw_forward(loss, highlight=[w]))
    bold = [(s, t) for s, t, a in d.edges if a.get("penwidth") == "3"]
    assert all(a["color"] == "#1a1a1a" for _, _, a in d.edges if a.get("penwidth") == "3")
    names = {n: d.label(n)[0] for n in d.value_nodes()}
    # W -> matmul -> tanh -> mul (h used twice: two bold arrows) -> sum = L; x is off the path
    on_path = {n for e in bold for n in e}
    assert {names[n] for n in on_path if n in names} == {"W", "matmul1", "tanh1", "mul1", "L"}
    assert len(bold) == 4 + 5  # four op -> value arrows, five value -> op arrows (h * h: two)
    assert d.one("x") not in on_path
    assert all(d.nodes[n].get("penwidth") == "3" for n in on_path)
    assert d.nodes[d.one("x")].get("penwidth") is None
    assert all(d.nodes[n].get("penwidth") != "3" for n in d.nodes if n not in on_path)
    with pytest.raises(ValueError, match="highlight 0"):
        draw_forward(loss, highlight=[Tensor(1.0)])


def test_backward_highlight_runs_from_the_seed_to_the_gradient(dot_of):
    theta, c = tanh_chain(3, skip=True, theta=THETA)
    d = dot_of(draw_backward(c, wrt=theta, highlight=[theta]))
    bold = [(s, t) for s, t, a in d.edges if a.get("penwidth") == "3"]
    on_path = {n for e in bold for n in e}
    boxes = {d.label(n)[0] for n in on_path if n in d.value_nodes()}
    assert boxes == {"seed dC_res/dC_res", "dC_res/dtanh2", "dC_res/dtanh1", "dC_res/dtheta via tanh1",
                     "dC_res/dtheta"}
    for k in (1, 2, 3):  # local derivatives and forward values feed the path but are not on it
        assert d.one(f"1 - tanh{k}*tanh{k}") not in on_path and d.one(f"tanh{k}") not in on_path
    # bold edges run from the seed to dC_res/dtheta: every bold box but the seed has a bold arrow in
    for n in on_path:
        if n != d.one("seed dC_res/dC_res"):
            assert any(t == n for _, t in bold)


# --- draw_backward -----------------------------------------------------------------------------------


@pytest.mark.parametrize("skip", [False, True])
@pytest.mark.parametrize("n", NS)
def test_backward_labels_are_closed_form(n, skip, dot_of):
    theta, c = tanh_chain(n, skip=skip, theta=THETA)
    d = dot_of(draw_backward(c, wrt=theta, collapse=0))
    a = chain_activations(n, THETA)
    root = "C_res" if skip else "C"

    out = d.one(f"d{root}/dtheta")
    assert d.number(out, "value") == pytest.approx(chain_derivative(n, THETA, skip), **SHOWN)
    assert d.number(d.one(f"seed d{root}/d{root}"), "value") == 1

    # running adjoints, named for what they are the gradient of: dC/dtanh_j = prod_{k>j}(1 - a_k^2)
    adjoints = [x for x in d.value_nodes() if d.label(x)[0].startswith(f"d{root}/dtanh")]
    assert sorted(d.label(x)[0] for x in adjoints) == sorted(f"d{root}/dtanh{j}" for j in range(1, n))
    for j in range(1, n):
        assert d.number(d.one(f"d{root}/dtanh{j}"), "value") == pytest.approx(partial(a, j), **SHOWN)
    if skip:  # theta's gradient is the sum of the seed (through the add) and the chain through tanh1
        via = d.one(f"d{root}/dtheta via tanh1")
        assert d.number(via, "value") == pytest.approx(partial(a, 0), **SHOWN)
        (add,) = [s for s, t, _ in d.edges if t == out]
        assert d.nodes[add]["label"] == "add"
        assert sorted(s for s, t, _ in d.edges if t == add) == sorted([via, d.one(f"seed d{root}/d{root}")])

    # local derivatives: one box each, named by the formula, read straight from the forward value
    for k in range(1, n + 1):
        name = tanh_name(k, n, skip)
        local = d.one(f"1 - {name}*{name}")
        assert d.number(local, "value") == pytest.approx(1 - a[k - 1] ** 2, **SHOWN)
        fwd = d.one(name)  # the forward value it reads: drawn faded and dashed
        assert d.number(fwd, "value") == pytest.approx(a[k - 1], **SHOWN)
        assert "dashed" in d.nodes[fwd]["style"] and "dashed" not in d.nodes[local]["style"]
        into = [(s, e) for s, t, e in d.edges if t == local]
        assert [s for s, _ in into] == [fwd]  # no oval, and y*y's two reads are one arrow
        assert into[0][1].get("style") == "dashed"
        assert not d.by_first_line(f"{name}*{name}")  # the inner square is folded into the formula
    assert not d.by_first_line("1")  # and so are the constants 1
    assert not d.by_first_line("theta")  # the trace stops at forward values: theta is not read
    # boxes: n forward values, n local derivatives, n adjoint muls, the seed (+ the add); ovals: the ops
    assert len(d.value_nodes()) == 3 * n + 1 + skip
    assert sorted(d.nodes[o]["label"] for o in d.op_nodes()) == sorted(["mul"] * n + ["add"] * skip)
    assert len(d.nodes) == len(d.mentioned)
    assert d.graph["label"].startswith(f"backward graph of d{root}: solid = ")


def test_backward_edges_follow_the_recorded_graph(dot_of):
    theta, c = tanh_chain(2)
    d = dot_of(draw_backward(c, wrt=theta, rankdir="LR"))
    ids = {d.label(x)[0]: x for x in d.value_nodes()}
    assert sorted(ids) == sorted(["C", "tanh1", "1 - C*C", "1 - tanh1*tanh1", "seed dC/dC", "dC/dtanh1",
                                  "dC/dtheta"])
    ops_into = {}  # value node -> the op node that makes it
    for src, dst, _ in d.edges:
        if src in d.op_nodes():
            assert dst not in ops_into
            ops_into[dst] = src

    def inputs(value_label):
        """The labels of what feeds a box: through its op oval, or straight in (a formula box)."""
        box = ids[value_label]
        target = ops_into.get(box, box)
        return sorted(d.label(s)[0] for s, t, _ in d.edges if t == target)

    assert inputs("1 - C*C") == ["C"]  # C*C and 1 are folded in: one arrow from C
    assert inputs("1 - tanh1*tanh1") == ["tanh1"]
    assert inputs("dC/dtanh1") == ["1 - C*C", "seed dC/dC"]
    assert inputs("dC/dtheta") == ["1 - tanh1*tanh1", "dC/dtanh1"]
    assert inputs("C") == inputs("tanh1") == inputs("seed dC/dC") == []
    assert {d.nodes[o]["label"] for o in ops_into.values()} == {"mul"}
    assert "1 - C*C" not in {d.label(ops_into[b])[0] for b in ops_into}
    assert len(d.edges) == 2 + 2 + 4  # oval -> box, forward value -> formula, into the two muls
    dashed = [(d.label(s)[0], d.label(t)[0]) for s, t, a in d.edges if a.get("style") == "dashed"]
    assert sorted(dashed) == [("C", "1 - C*C"), ("tanh1", "1 - tanh1*tanh1")]


def test_backward_colours_come_from_the_scale(dot_of):
    n = 6
    scale = GradientScale(1e-3, 2.0)
    theta, c = tanh_chain(n, skip=True, theta=THETA)
    d = dot_of(draw_backward(c, wrt=theta, scale=scale))
    a = chain_activations(n, THETA)
    for j in range(1, n):
        assert d.nodes[d.one(f"dC_res/dtanh{j}")]["fillcolor"] == scale.color(partial(a, j))
    assert d.nodes[d.one("dC_res/dtheta via tanh1")]["fillcolor"] == scale.color(partial(a, 0))
    out = d.one("dC_res/dtheta")
    assert d.nodes[out]["fillcolor"] == scale.color(chain_derivative(n, THETA, True))
    assert d.nodes[d.one("seed dC_res/dC_res")]["fillcolor"] == scale.color(1.0)
    for k in range(1, n + 1):  # local derivatives are off the adjoint path: white, not coloured
        assert d.nodes[d.one(f"1 - tanh{k}*tanh{k}")]["fillcolor"] == "white"
        assert "fillcolor" not in d.nodes[d.one(f"tanh{k}")]  # forward values: faded, unfilled
    assert d.graph["label"].endswith("colour = |adjoint| (rms), white 0.001 .. red 2")


def test_backward_default_wrt_is_every_parameter_leaf(dot_of):
    x = Tensor(0.3, requires_grad=True, name="x")
    w = Tensor(2.0, requires_grad=True, name="w")
    y = (x * w).tanh()
    d = dot_of(draw_backward(y))
    t = np.tanh(0.6)
    assert d.number(d.one("dL/dx"), "value") == pytest.approx((1 - t * t) * 2.0, **SHOWN)
    assert d.number(d.one("dL/dw"), "value") == pytest.approx((1 - t * t) * 0.3, **SHOWN)
    assert d.number(d.one("dL/dmul1"), "value") == pytest.approx(1 - t * t, **SHOWN)
    assert d.number(d.one("1 - L*L"), "value") == pytest.approx(1 - t * t, **SHOWN)
    assert x.grad is None and w.grad is None


def test_backward_wrt_must_be_in_the_graph():
    theta, c = tanh_chain(2)
    other = Tensor(np.zeros((2, 3)), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"wrt 0 \(shape \(2, 3\)\) is not used to compute the root"):
        draw_backward(c, wrt=other)
    with pytest.raises(RuntimeError, match="does not require grad"):
        draw_backward(c, wrt=Tensor(1.0))
    with pytest.raises(TypeError, match="wrt 1 is a float"):
        draw_backward(c, wrt=[theta, 1.0])


def test_backward_forward_constant_goes_into_the_op(dot_of):
    x = Tensor(0.25, requires_grad=True, name="x")
    d = dot_of(draw_backward((x * 3.0).tanh()))
    assert not d.by_first_line("3")
    assert "mul(., 3)" in [d.nodes[o]["label"] for o in d.op_nodes()]


def test_backward_every_part_of_a_summed_gradient_is_named(dot_of):
    x = Tensor(0.3, requires_grad=True, name="x")
    d = dot_of(draw_backward((x * x).tanh()))
    parts = [n for n in d.value_nodes() if d.label(n)[0].startswith("dL/dx via")]
    assert len(parts) == 2


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
    assert d.label(tanh1)[1] == "shape (2, 6, 28, 28)"
    assert d.entry(d.one("conv1.weight"), "shape") == "(6, 1, 5, 5)"
    assert d.entry(d.one("fc2.bias"), "shape") == "(10,)"
    assert d.entry(d.by_first_line("input")[0], "shape") == "(2, 1, 32, 32)"
    root = d.one("L")  # the loss: -mean(log softmax), an unnamed one-element root
    assert d.entry(root, "shape") is None and d.number(root, "value") == pytest.approx(loss.item(), **SHOWN)
    assert d.graph["label"].startswith("colour = |dL/d node|")
    assert not any("float32" in d.nodes[x]["label"] for x in d.value_nodes())

    d32 = dot_of(draw_forward(loss, modules=model, show_dtype=True))
    assert d32.label(d32.one("tanh1"))[:3] == ["tanh1", "float32", "shape (2, 6, 28, 28)"]
    dtypes = {d32.label(x)[1] for x in d32.value_nodes()}
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
        assert d.number(d.one(name), "rms grad") == pytest.approx(rms, rel=1e-3)
        assert d.entry(d.one(name), "|grad|") is None
    assert all(p.grad is None for p in model.parameters())


def test_backward_names_every_input_when_two_share_a_gradient(dot_of):
    x = Tensor(0.3, requires_grad=True, name="x")
    y = Tensor(0.4, requires_grad=True, name="y")
    c = (x + y).tanh()
    d = dot_of(draw_backward(c))
    # one tensor is d/d(x + y), d/dx and d/dy at once: one box, its names joined with " = "
    shared = d.one("dL/dadd1 = dL/dx = dL/dy")
    assert d.number(shared, "value") == pytest.approx(1 - np.tanh(0.7) ** 2, **SHOWN)
    # the seed itself is the gradient when the root is a sum
    s = x + y
    d = dot_of(draw_backward(s, wrt=[x, y]))
    assert d.number(d.one("seed dL/dL = dL/dx = dL/dy"), "value") == 1


def test_title_and_direction(dot_of):
    theta, c = tanh_chain(2)
    d = dot_of(draw_forward(c, title="C = tanh^2(theta): forward", rankdir="TB"))
    title, legend = d.graph["label"].split("\n")
    assert title == "C = tanh^2(theta): forward" and legend.startswith("colour = |dC/d node|")
    assert d.graph["rankdir"] == "TB" and d.graph["labelloc"] == "t"
    d = dot_of(draw_forward(c, grads=False, title="just a title", rankdir="LR"))
    assert d.graph["label"] == "just a title" and d.graph["rankdir"] == "LR"
    d = dot_of(draw_backward(c, wrt=theta))
    assert d.graph["label"].startswith("backward graph of dC: ")
    # rankdir=None: chosen from the layout's estimated fit to 16:9, the same every time
    for draw in (lambda: draw_forward(c), lambda: draw_backward(c, wrt=theta)):
        first, second = dot_of(draw()), dot_of(draw())
        assert first.graph["rankdir"] in ("LR", "TB") and first.graph["rankdir"] == second.graph["rankdir"]
    assert dot_of(draw_backward(c, wrt=theta, rankdir="LR")).graph["rankdir"] == "LR"


# --- the DOT reader of conftest.py (HTML-like labels, graph label) -----------------------------------

_N0_LABEL = (
    '<<TABLE BORDER="0" CELLBORDER="0">'
    "<TR><TD>W &amp; &lt;b&gt; &quot;q&quot;</TD></TR><TR><TD>shape (2, 2, 3)</TD></TR>"
    "<TR><TD>value [0]</TD></TR>"
    '<TR><TD><TABLE BORDER="0" CELLBORDER="1">'
    '<TR><TD ALIGN="RIGHT">1.5</TD><TD ALIGN="RIGHT">-2</TD><TD ALIGN="RIGHT">0</TD></TR>'
    '<TR><TD ALIGN="RIGHT">3</TD><TD ALIGN="RIGHT">4e-05</TD><TD ALIGN="RIGHT">7</TD></TR>'
    "</TABLE></TD></TR>"
    "<TR><TD>grad</TD></TR>"
    '<TR><TD><TABLE CELLBORDER="1"><TR><TD ALIGN="RIGHT">0.25</TD></TR></TABLE></TD></TR>'
    "<TR><TD>rms grad 0.5</TD></TR></TABLE>>"
)
HAND_WRITTEN = (
    "digraph {\n"
    "\tgraph [rankdir=LR]\n"
    '\tlabel="my title\ncolour = |dC/d node|" labelloc=t\n'
    f'\tn0 [label={_N0_LABEL} shape=box tooltip="W; leaf"]\n'
    '\tn1 [label="mul(., 3)" shape=ellipse]\n'
    '\tn2 [label="x\nvalue 2" shape=box]\n'
    '\tn0 -> n1 [color="#1a1a1a" penwidth=3]\n'
    "\tn1 -> n2\n"
    "}\n"
)


def test_reader_handles_html_labels_and_the_graph_label(dot_of):
    d = dot_of(HAND_WRITTEN)
    assert d.graph["label"] == "my title\ncolour = |dC/d node|" and d.graph["rankdir"] == "LR"
    assert d.is_html("n0") and not d.is_html("n2")
    # text rows in order, entities unescaped, no numbers of the grids
    assert d.label("n0") == ['W & <b> "q"', "shape (2, 2, 3)", "value [0]", "grad", "rms grad 0.5"]
    assert d.one('W & <b> "q"') == "n0" and d.entry("n0", "shape") == "(2, 2, 3)"
    assert d.number("n0", "rms grad") == 0.5
    (h1, m1), (h2, m2) = d.matrices("n0")
    assert (h1, h2) == ("value [0]", "grad")
    np.testing.assert_array_equal(m1, [[1.5, -2, 0], [3, 4e-5, 7]])
    assert m1.shape == (2, 3) and m2.shape == (1, 1) and m2[0, 0] == 0.25
    assert d.matrices("n2") == [] and d.label("n2") == ["x", "value 2"]
    assert d.nodes["n0"]["tooltip"] == "W; leaf" and d.nodes["n0"]["shape"] == "box"
    assert d.value_nodes() == ["n0", "n2"] and d.op_nodes() == ["n1"]
    assert [(s, t) for s, t, _ in d.edges] == [("n0", "n1"), ("n1", "n2")]
    assert d.edges[0][2] == {"color": "#1a1a1a", "penwidth": "3"}


def test_reader_reads_the_library_html_label(dot_of):
    """The reader agrees with what viz.drawing writes for values=True (a 2 x 3 x 2 tensor: two slices)."""
    from viz.drawing import Canvas

    a = np.arange(12.0).reshape(2, 3, 2) - 5.5
    canvas = Canvas()
    canvas.box("n0", ["W <&>", "shape (2, 3, 2)"], matrices=[("value", a)])
    d = dot_of(canvas.finish(title="t", caption="c"))
    assert d.label("n0") == ["W <&>", "shape (2, 3, 2)", "value [0]", "value [1]"]
    got = d.matrices("n0")
    assert [h for h, _ in got] == ["value [0]", "value [1]"]
    for (_, m), expected in zip(got, a):
        np.testing.assert_array_equal(m, expected)
    assert d.graph["label"] == "t\nc"
