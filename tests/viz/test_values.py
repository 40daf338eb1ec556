"""values=True: small tensors drawn as grids of their numbers; names, statistics and tooltips."""

import numpy as np
import pytest

import nn
from autograd import Tensor, avg_pool2d, correlate2d, grad, max_pool2d
from viz import draw_backward, draw_forward
from viz.figures import figure4_graph
from viz.labels import num, params_text, printable


def _grid_close(drawn: np.ndarray, expected) -> bool:
    """Drawn numbers have 4 significant digits: compare at that precision."""
    expected = np.asarray(expected, dtype=np.float64).reshape(drawn.shape)
    return np.allclose(drawn, expected, rtol=5e-4, atol=1e-12)


@pytest.fixture
def conv_example():
    rng = np.random.default_rng(3)
    x = Tensor(rng.normal(size=(1, 1, 4, 4)), requires_grad=True, name="x")
    w = Tensor(rng.normal(size=(1, 1, 3, 3)), requires_grad=True, name="w")
    loss = (correlate2d(x, w).tanh() * Tensor(np.array([[[[1.0, -2.0], [0.5, 3.0]]]]), name="G")).sum()
    return x, w, loss


def test_forward_numbers_are_the_values_and_gradients(conv_example, dot_of):
    x, w, loss = conv_example
    d = dot_of(draw_forward(loss, values=True))
    gx, gw = grad(loss, [x, w])
    for name, t, g in (("x", x, gx), ("w", w, gw)):
        (node,) = d.by_first_line(name)
        grids = dict(d.matrices(node))
        assert _grid_close(grids["value"], t.data[0, 0]), name
        assert _grid_close(grids["grad"], g.data[0, 0]), name
    tanh = d.one("tanh1")
    assert _grid_close(dict(d.matrices(tanh))["value"], np.tanh(correlate2d(x, w).data)[0, 0])
    assert d.number(d.one("L"), "value") == pytest.approx(loss.item(), rel=5e-4)  # scalars stay one line
    assert x.grad is None and w.grad is None


def test_backward_numbers_are_the_recorded_gradient(dot_of):
    loss, w = figure4_graph()
    d = dot_of(draw_backward(loss, wrt=w, values=True))
    (out,) = [n for n in d.value_nodes() if d.label(n)[0] == "dL/dW"]
    (j_w,) = grad(loss, w)
    assert _grid_close(dict(d.matrices(out))["value"], j_w.data[0, 0])
    # the correlate2d of the backward pass reads I and J^O: both drawn with their numbers
    assert any(m[0] == "value" and m[1].shape == (4, 4) for n in d.value_nodes() for m in d.matrices(n))
    assert "correlate2d" in {d.label(o)[0] for o in d.op_nodes()}


def test_big_tensors_keep_shape_and_a_labelled_statistic(dot_of):
    x, y, _, _ = nn.data.load_digits()
    model = nn.LeNet5(seed=0)
    loss = nn.functional.cross_entropy(model(x[:2]), y[:2])
    d = dot_of(draw_forward(loss, values=True, modules=model))
    conv1 = d.one("conv1.weight")  # (6, 1, 5, 5): 6 slices of 5x5, the first 3 printed
    grids = d.matrices(conv1)
    assert [h for h, _ in grids] == ["value [0, 0]", "value [1, 0]", "value [2, 0]",
                                     "grad [0, 0]", "grad [1, 0]", "grad [2, 0]"]
    assert _grid_close(grids[1][1], model.conv1.weight.data[1, 0])
    tanh1 = d.one("tanh1")  # (2, 6, 28, 28): too big to print
    assert d.matrices(tanh1) == [] and d.entry(tanh1, "shape") == "(2, 6, 28, 28)"
    assert not any(line.startswith("rms") for line in d.label(conv1))  # printed: no statistic line
    (g,) = grad(loss, [tanh_of(loss)])
    rms_lines = [line for line in d.label(tanh1) if line.startswith("rms grad ")]
    assert len(rms_lines) == 1
    rms = np.sqrt(np.mean(g.data.astype(float) ** 2))
    assert float(rms_lines[0].split()[-1]) == pytest.approx(rms, rel=1e-3)


def tanh_of(loss):
    """LeNet's first tanh output, found in the recorded graph."""
    from viz import trace

    return next(t for t in trace(loss).nodes if t.op == "tanh")


@pytest.mark.parametrize("shape, expected", [
    ((), False), ((10,), True), ((11,), False), ((6, 6), True), ((6, 7), False), ((7, 6), False),
    ((2, 3, 6, 6), True), ((2, 3, 7, 7), False), ((0, 3), False), ((1, 2, 3, 4, 5), False),
])
def test_what_is_small_enough_to_print(shape, expected):
    assert printable(shape) is expected


def test_numbers_are_written_with_four_significant_digits():
    assert [num(v) for v in (77.0, -0.0, 0.123456, 1234567.0, -2.5e-7)] == [
        "77", "0", "0.1235", "1.235e+06", "-2.5e-07"]


def test_pool_backward_graphs_show_the_rules(dot_of):
    x = Tensor(np.arange(16.0).reshape(1, 1, 4, 4), requires_grad=True, name="x")
    for pool, rule in ((avg_pool2d, np.full((4, 4), 0.25)), (max_pool2d, np.kron([[0, 0], [0, 0]], 1))):
        loss = pool(x, 2).sum()
        d = dot_of(draw_backward(loss, wrt=x, values=True))
        (out,) = [n for n in d.value_nodes() if d.label(n)[0] == "dL/dx"]
        expected = rule if pool is avg_pool2d else (np.arange(16).reshape(4, 4) % 2 == 1) & (
            np.arange(16).reshape(4, 4) // 4 % 2 == 1)
        assert _grid_close(dict(d.matrices(out))["value"], expected.astype(float))


def test_adjoints_are_named_for_what_they_are_the_gradient_of(dot_of):
    a = Tensor(0.3, requires_grad=True, name="a")
    h = (a * 2.0).tanh()
    h.name = "h"
    out = (h * h).sum()  # unnamed one-element root: "L"
    d = dot_of(draw_backward(out, wrt=a))
    firsts = [d.label(n)[0] for n in d.value_nodes()]
    assert "seed dL/dL" in firsts and "dL/da" in firsts and "dL/dh" in firsts
    assert d.number(d.one("dL/dh"), "value") == pytest.approx(2 * h.item(), rel=5e-4)
    assert d.graph["label"].startswith("backward graph of dL:")


def test_wrt_outside_the_graph_is_an_error_like_grad():
    a, b = Tensor(1.0, requires_grad=True), Tensor(2.0, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"draw_backward: wrt 0 \(shape \(\)\) is not used"):
        draw_backward(a * a, wrt=b)
    with pytest.raises(RuntimeError, match="is not used"):
        grad(a * a, b)  # the same kind of error as grad's


def test_tooltips_carry_name_op_shape_value_and_grad(conv_example, dot_of):
    _, _, loss = conv_example
    d = dot_of(draw_forward(loss))
    tip = d.nodes[d.one("tanh1")]["tooltip"]
    assert tip.startswith("tanh1; op tanh; shape (1, 1, 2, 2); rms value ") and "rms grad" in tip
    assert d.nodes[d.one("x")]["tooltip"].startswith("x; leaf; shape (1, 1, 4, 4)")


def test_names_with_backslashes_and_angle_brackets_are_drawn_as_typed(dot_of, svg):
    lam = Tensor(0.5, requires_grad=True, name=r"\lambda")
    tag = Tensor(2.0, requires_grad=True, name="<b>")
    picture = draw_forward((lam * tag).tanh())
    d = dot_of(picture)
    assert d.by_first_line(r"\lambda") and d.by_first_line("<b>")
    texts = [e.text for e in svg.parse(picture.pipe(format="svg")).iter() if e.tag.endswith("}text")]
    assert r"\lambda" in texts and "<b>" in texts


def test_an_index_is_labelled_as_numpy_code_writes_it():
    assert params_text({"index": (slice(None), slice(None), slice(0, 3), slice(0, 3))}) == "[:, :, 0:3, 0:3]"
    assert params_text({"index": (slice(None, None, -1), 2, None, Ellipsis)}) == "[::-1, 2, None, ...]"
    assert params_text({"index": (slice(0, None, 2),)}) == "[0::2]"
    # in a drawing: the kernel gradient of a strided correlation is cut to the kernel's size
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((1, 1, 4, 4)), requires_grad=True)
    w = Tensor(rng.standard_normal((2, 1, 3, 3)), requires_grad=True)
    loss = correlate2d(x, w, stride=2, padding=1).sum()
    assert "[:, :, 0:3, 0:3]" in draw_backward(loss, wrt=w).source
