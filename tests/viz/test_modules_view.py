"""draw_forward(loss, modules=model, depth=1): one node per module call, LeNet-5 on one slide."""

import re

import pytest

import nn
from viz import draw_forward
from viz.layout import smallest_label

LENET_CALLS = ["conv1", "pool1", "conv2", "pool2", "conv3", "fc1", "fc2"]


@pytest.fixture(scope="module")
def lenet():
    x, y, _, _ = nn.data.load_digits()
    model = nn.LeNet5(seed=0)
    return model, nn.functional.cross_entropy(model(x[:2]), y[:2])


def test_one_node_per_module_call_with_shapes_and_parameter_counts(lenet, dot_of):
    model, loss = lenet
    d = dot_of(draw_forward(loss, modules=model, depth=1))
    heads = [d.label(n)[0] for n in d.value_nodes()]
    for name in LENET_CALLS:
        found = [h for h in heads if h.startswith(f"{name}: ")]
        assert len(found) == 1, (name, heads)
        module = getattr(model, name)
        count = sum(p.size for p in module.parameters())
        assert found[0] == f"{name}: {type(module).__name__}" + (f" ({count:,} params)" if count else "")
    assert d.label(d.one("conv1: Conv2d (156 params)"))[1] == "(2, 1, 32, 32) -> (2, 6, 28, 28)"
    assert d.label(d.one("fc2: Linear (850 params)"))[1] == "(2, 84) -> (2, 10)"
    assert not d.op_nodes() and not d.clusters  # no op ovals, no clusters: one box per call
    assert sum(h.startswith("tanh") for h in heads) == 4  # LeNet5.forward's own tanh, between modules
    assert any(re.match(r"L = 9 ops: sub, exp, sum, log", h) for h in heads)  # the loss, one node


def test_module_boxes_keep_the_gradient_colour(lenet, dot_of):
    model, loss = lenet
    d = dot_of(draw_forward(loss, modules=model, depth=1))
    fills = {d.label(n)[0].split(":")[0]: d.nodes[n]["fillcolor"] for n in d.value_nodes()}
    assert fills["conv1"] != fills["fc2"] and fills["fc2"] != "white"  # the gradient grows towards the loss


def test_edges_follow_the_data(lenet, dot_of):
    model, loss = lenet
    d = dot_of(draw_forward(loss, modules=model, depth=1))
    head = {n: d.label(n)[0].split(":")[0].split(" ")[0] for n in d.value_nodes()}
    succ = {head[s]: head[t] for s, t, _ in d.edges if head[s] != "input"}
    assert succ["conv1"] == "tanh1" and succ["tanh1"] == "pool1" and succ["pool2"] == "conv3"
    assert succ["fc2"] == "L"


def test_depth_two_opens_the_modules_and_bad_depth_is_an_error(lenet, dot_of):
    model, loss = lenet
    full = dot_of(draw_forward(loss, modules=model, depth=2))
    conv1 = next(k for k, c in full.clusters.items() if c["label"] == "LeNet5.conv1")
    inside = sorted(full.label(n)[0].split(" ")[0] for n, c in full.cluster_of.items() if c == conv1)
    assert inside == ["add1", "conv1.bias", "conv1.weight", "correlate2d1", "reshape1"]
    with pytest.raises(ValueError, match="draw_forward: depth must be at least 1"):
        draw_forward(loss, modules=model, depth=0)


def test_lenet_module_view_fits_a_slide(lenet):
    model, loss = lenet
    svg = draw_forward(loss, modules=model, depth=1).pipe(format="svg", encoding="utf-8")
    assert smallest_label(svg) >= 12
