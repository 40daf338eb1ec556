"""draw_forward(loss, modules=model): one cluster per module, parameters by their dotted names."""

import re

import pytest

import nn
from viz import draw_forward, render

LENET_MODULES = ["conv1", "pool1", "conv2", "pool2", "conv3", "fc1", "fc2"]
LENET_PARAMS = [f"{m}.{p}" for m in ("conv1", "conv2", "conv3", "fc1", "fc2") for p in ("weight", "bias")]
OPS = {  # what each module makes (the tanh between them is LeNet5.forward's own, so outside)
    "conv1": {"correlate2d", "reshape", "add"}, "pool1": {"avg_pool2d"},
    "conv2": {"correlate2d", "reshape", "add"}, "pool2": {"avg_pool2d"},
    "conv3": {"correlate2d", "reshape", "add"},
    "fc1": {"transpose", "matmul", "add"}, "fc2": {"transpose", "matmul", "add"},
}


@pytest.fixture(scope="module")
def lenet():
    x, y, _, _ = nn.data.load_digits()
    model = nn.LeNet5(seed=0)
    loss = nn.functional.cross_entropy(model(x[:2]), y[:2])
    return model, loss, draw_forward(loss, modules=model)


def test_one_cluster_per_module(lenet, dot_of):
    _, _, picture = lenet
    d = dot_of(picture)
    labels = [c["label"] for c in d.clusters.values()]
    assert labels == [f"LeNet5.{m}" for m in LENET_MODULES]
    assert all(name.startswith("cluster_") for name in d.clusters)
    assert picture.source.count("subgraph cluster_") == 7


def test_parameters_named_and_inside_their_module(lenet, dot_of):
    model, _, picture = lenet
    d = dot_of(picture)
    label_of = {name: c["label"] for name, c in d.clusters.items()}
    assert [n for n, _ in model.named_parameters()] == LENET_PARAMS
    for pname in LENET_PARAMS:
        node = d.one(pname)
        assert label_of[d.cluster_of[node]] == "LeNet5." + pname.split(".")[0]
        assert d.nodes[node]["penwidth"] == "2"  # a parameter: square, bold
    assert not d.by_first_line("param")  # no unnamed parameter is left


def test_ops_inside_their_module_and_the_rest_outside(lenet, dot_of):
    _, _, picture = lenet
    d = dot_of(picture)
    label_of = {name: c["label"] for name, c in d.clusters.items()}
    found = {m: set() for m in LENET_MODULES}
    for node in d.op_nodes():
        label = d.label(node)[0]
        op = re.match(r"\w+", label).group(0)
        assert label == op or re.fullmatch(rf"{op}\((\.|[-\d.e]+)(, (\.|[-\d.e]+))*\)", label), label
        if node in d.cluster_of:
            found[label_of[d.cluster_of[node]].split(".", 1)[1]].add(op)
        else:  # LeNet5.forward's activations and reshape, and the loss
            assert op in {"tanh", "reshape", "sub", "exp", "sum", "log", "getitem", "div", "neg", "max"}, op
    assert found == OPS
    for k in (1, 2, 3, 4):
        assert d.one(f"tanh{k}") not in d.cluster_of
    # the loss's mean over the 2 samples divides by a constant: written into the op, not drawn as a box
    assert [d.label(o)[0] for o in d.op_nodes() if d.label(o)[0].startswith("div")] == ["div(., 2)"]
    assert not d.by_first_line("2")
    # every node drawn in a cluster is declared only there (edges may name it before)
    top_level = [line.strip().split(" ")[0] for line in picture.source.splitlines()
                 if line.startswith("\tn") and " [" in line]
    assert not set(top_level) & set(d.cluster_of)


def test_without_modules_no_clusters(lenet, dot_of):
    _, loss, _ = lenet
    d = dot_of(draw_forward(loss))
    assert d.clusters == {}
    assert len(d.by_first_line("param")) == 10


def test_rendered_parameters_lie_inside_their_cluster_box(lenet, tmp_path, svg, dot_of):
    _, _, picture = lenet
    (svg_file, png_file) = render(picture, tmp_path / "lenet")
    root = svg.parse(svg_file.read_text())
    d = dot_of(picture)
    boxes = {}
    for g in svg.groups(root, "cluster"):
        poly = next(e for e in g if e.tag.endswith("}polygon") or e.tag.endswith("}path"))
        if poly.tag.endswith("}polygon"):
            pts = [tuple(map(float, p.split(","))) for p in poly.get("points").split()]
        else:  # rounded clusters are drawn as a path: take its numbers pairwise
            nums = [float(v) for v in re.split(r"[MC,\s]+", poly.get("d")) if v]
            pts = list(zip(nums[::2], nums[1::2]))
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        boxes[svg.title(g)] = (min(xs), max(xs), min(ys), max(ys))
    assert len(boxes) == 7
    for pname in LENET_PARAMS:
        node = d.one(pname)
        g = next(g for g in svg.groups(root, "node") if svg.title(g) == node)
        text = next(e for e in g.iter() if e.tag.endswith("}text"))  # inside the tooltip's <a>
        assert text.text == pname
        x, y = float(text.get("x")), float(text.get("y"))
        x0, x1, y0, y1 = boxes[d.cluster_of[node]]
        assert x0 <= x <= x1 and y0 <= y <= y1, (pname, (x, y), boxes[d.cluster_of[node]])
        others = [c for c, (a0, a1, b0, b1) in boxes.items() if a0 <= x <= a1 and b0 <= y <= b1]
        assert others == [d.cluster_of[node]]
    w, h = svg.png_size(png_file.read_bytes())
    assert w > 200 and h > 100


def test_depth_one_draws_one_node_per_module_call(lenet, dot_of):
    model, loss, _ = lenet
    d = dot_of(draw_forward(loss, modules=model, depth=1))
    assert d.clusters == {} and d.op_nodes() == []
    params = {"conv1": 6 * 1 * 25 + 6, "conv2": 16 * 6 * 25 + 16, "conv3": 120 * 16 * 25 + 120,
              "fc1": 120 * 84 + 84, "fc2": 84 * 10 + 10}
    assert sum(params.values()) == sum(p.data.size for p in model.parameters())
    kinds = {"conv": "Conv2d", "pool": "AvgPool2d", "fc": "Linear"}
    boxes = {}
    for m in LENET_MODULES:
        kind = kinds[m.rstrip("0123456789")]
        head = f"{m}: {kind}" + (f" ({params[m]:,} params)" if m in params else "")
        boxes[m] = d.one(head)
    assert d.label(boxes["conv1"])[1] == "(2, 1, 32, 32) -> (2, 6, 28, 28)"
    assert d.label(boxes["fc2"])[1] == "(2, 84) -> (2, 10)"
    # the modules follow each other: every box is reached from the one before it (through a tanh or not)
    succ = {}
    for s, t, _ in d.edges:
        succ.setdefault(s, set()).add(t)

    def reaches(a, b, steps=3):
        frontier = {a}
        for _ in range(steps):
            frontier = {t for n in frontier for t in succ.get(n, ())}
            if b in frontier:
                return True
        return False

    for a, b in zip(LENET_MODULES, LENET_MODULES[1:]):
        assert reaches(boxes[a], boxes[b]), (a, b)
    (loss_box,) = [n for n in d.value_nodes() if d.label(n)[0].startswith("L = ")]
    assert reaches(boxes["fc2"], loss_box, 1)
    # colour: the gradient reaching each module's output; the loss itself is the reddest
    assert d.nodes[loss_box]["fillcolor"] == "#cc2020"
    with pytest.raises(ValueError, match="depth must be at least 1"):
        draw_forward(loss, modules=model, depth=0)


# --- clusters come from the calls that made the drawn graph (issue 10, item 9) -----------------------


class _Twice(nn.Module):
    """One Linear applied twice (weights shared), with a tanh of the model's own between."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 3)

    def forward(self, x):
        return self.fc(self.fc(x).tanh())


def test_a_module_called_twice_gets_one_cluster_per_call(dot_of):
    import numpy as np

    from autograd import Tensor

    model = _Twice()
    out = model(Tensor(np.ones((2, 3)))).sum()
    d = dot_of(draw_forward(out, modules=model))
    labels = sorted(c["label"] for c in d.clusters.values())
    assert labels == ["_Twice.fc (call 1)", "_Twice.fc (call 2)"]
    by_label = {c["label"]: name for name, c in d.clusters.items()}
    # the shared weight is drawn once, in the first call's cluster; each call has its own matmul
    assert d.cluster_of[d.one("fc.weight")] == by_label["_Twice.fc (call 1)"]
    matmuls = [n for n in d.op_nodes() if d.label(n)[0].startswith("matmul")]
    assert sorted(d.cluster_of[n] for n in matmuls) == sorted(by_label.values())
    assert d.one("tanh1") not in d.cluster_of
    # depth=1: one box per call
    boxes = dot_of(draw_forward(out, modules=model, depth=1))
    assert len([n for n in boxes.nodes if boxes.label(n)[0].startswith("fc: Linear")]) == 2


def test_an_earlier_graph_is_drawn_with_its_own_call_after_later_calls(lenet):
    model, loss, picture = lenet
    x, _, _, _ = nn.data.load_digits()
    for _ in range(3):
        model(x[:1])  # later calls, graphs thrown away
    assert draw_forward(loss, modules=model).source == picture.source


def test_a_graph_older_than_the_records_warns_and_draws_no_op_clusters():
    import numpy as np

    from autograd import Tensor
    from nn.calls import MAX_CALL_RECORDS

    model = _Twice()
    old = model(Tensor(np.ones((1, 3)))).sum()
    for _ in range(MAX_CALL_RECORDS):
        model(Tensor(np.ones((1, 3))))
    assert len(model.call_records()) == MAX_CALL_RECORDS
    with pytest.warns(UserWarning, match="no longer recorded"):
        source = draw_forward(old, modules=model).source
    assert "(call" not in source
