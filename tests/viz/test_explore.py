"""The explorer's scene (issue 11), checked without a browser: the stepper's steps are the engine's
record of the backward pass, every drawn node is tagged for the JavaScript, the standalone page has no
network, and the record costs nothing outside `record_backward()`."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import autograd
import nn
from autograd.tensor import grad_mode_state
from viz import tanh_chain
from viz.explorer import scene, standalone_html
from viz.figures import figure4_graph

J_W = [[24.0, 27.0, 30.0], [45.0, 48.0, 51.0], [66.0, 69.0, 72.0]]  # I star J^O (Figure 4)
# the namespaces an SVG (or JavaScript that builds SVG) names: identifiers, never fetched
NAMESPACES = ("http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink", "http://www.w3.org/1999/xhtml",
              "http://www.w3.org/XML/1998/namespace")


def same(shown: np.ndarray, exact) -> bool:
    """The scene's numbers are rounded for display (4 significant digits): equal to that precision."""
    return np.allclose(shown, np.atleast_2d(np.asarray(exact, dtype=np.float64)), rtol=6e-4, atol=1e-12)


def grid(numbers: dict) -> np.ndarray:
    """The numbers of a scene's Numbers entry (small tensors only) as an array."""
    assert numbers["grid"] is not None, numbers
    return np.asarray(numbers["grid"], dtype=np.float64)


def svg_nodes(svg: str) -> list[ET.Element]:
    """The <g class="node"> groups of a view's SVG."""
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg"), root.tag
    return [e for e in root.iter() if e.tag.endswith("}g") and e.get("class") == "node"]


def svg_ids(view: dict) -> set[str]:
    return {g.get("data-id") for g in svg_nodes(view["svg"])}


def embedded_scene(page: str) -> dict:
    m = re.search(r'<script id="tracegrad-scene" type="application/json">(.*?)</script>', page, re.S)
    assert m, "no scene in the page"
    return json.loads(m.group(1))


@pytest.fixture(scope="module")
def chain():
    """tanh^4 with the skip: C_res = tanh4 + theta, theta = 0.5; dC_res/dtheta = 1.4545."""
    theta, c = tanh_chain(4, skip=True)
    return theta, c, scene(c, wrt=theta)


@pytest.fixture(scope="module")
def lenet():
    x, y, _, _ = nn.data.load_digits()
    model = nn.LeNet5(seed=0)
    loss = nn.functional.cross_entropy(model(x[:2]), y[:2])
    return loss, model, scene(loss, modules=model)


@pytest.fixture(scope="module")
def figure4():
    root, w = figure4_graph()
    return root, w, scene(root, wrt=w)


def test_the_steps_are_the_engines_vjp_calls(chain):
    theta, c, s = chain
    with autograd.record_backward() as passes:
        (g,) = autograd.grad(c, theta)
    (record,) = passes
    assert len(s["steps"]) == len(record.steps) == 5  # add (the skip), then tanh4 .. tanh1
    assert [st["k"] for st in s["steps"]] == list(range(1, len(record.steps) + 1))
    assert [st["node"] for st in s["steps"]] == ["C_res", "tanh4", "tanh3", "tanh2", "tanh1"]
    names = {id(t): st["node"] for t, st in zip((r.node for r in record.steps), s["steps"])}
    names[id(theta)] = "theta"
    for st, rec in zip(s["steps"], record.steps):
        assert st["op"] == rec.node.op
        assert st["adjoint"]["name"] == f"dC_res/d{st['node']}"
        assert same(grid(st["adjoint"]["value"]), rec.adjoint.data)
        assert len(st["sends"]) == len(rec.sends)
        for sent, r in zip(st["sends"], rec.sends):
            assert sent["to"] == names[id(r.input)]
            assert same(grid(sent["grad"]["value"]), r.grad.data)
            assert same(grid(sent["total"]["value"]), r.total.data)
            assert sent["accumulated"] == r.accumulated
    # theta is reached twice: by the skip (1.0) first, then by tanh1 (0.4545), accumulated to 1.4545
    to_theta = [sent for st in s["steps"] for sent in st["sends"] if sent["to"] == "theta"]
    assert [sent["accumulated"] for sent in to_theta] == [False, True]
    assert s["result"]["name"] == "dC_res/dtheta"
    assert f"{grid(s['result']['value']).item():.4f}" == "1.4545"
    assert same(grid(s["result"]["value"]), g.data)


def test_the_forward_nodes_carry_values_grads_and_the_chain_rule(chain):
    theta, c, s = chain
    nodes = s["views"]["forward"]["nodes"]
    (box,) = [n for n in nodes.values() if n["name"] == "theta"]
    assert grid(box["value"]).item() == 0.5
    assert f"{grid(box['grad']).item():.4f}" == "1.4545"
    terms = box["chain"]["terms"]
    assert [t["from"] for t in terms] == ["C_res", "tanh1"]
    assert same(grid(box["chain"]["total"]), sum(grid(t["value"]).item() for t in terms))
    (tanh1,) = [n for n in nodes.values() if n["name"] == "tanh1"]
    assert tanh1["op"] == "tanh" and "tanh" in tanh1["rule"]
    # local derivatives of one-element nodes: d tanh_k / d tanh_{k-1} = 1 - a_k^2; the skip's add: 1 and 1
    a = np.tanh(0.5)
    assert tanh1["local"] == [{"input": "theta", "value": pytest.approx(1 - a * a, rel=1e-7)}]
    (root,) = [n for n in nodes.values() if n["name"] == "C_res"]
    assert [(d["input"], d["value"]) for d in root["local"]] == [("tanh4", 1.0), ("theta", 1.0)]


def _views(*scenes):
    for s in scenes:
        for name, view in s["views"].items():
            if view is not None:
                yield s["title"], name, view


def test_every_drawn_node_is_tagged_with_its_name_and_id(chain, figure4, lenet):
    for title, name, view in _views(chain[2], figure4[2], lenet[2]):
        groups = svg_nodes(view["svg"])
        assert groups, (title, name)
        for g in groups:
            assert g.get("data-name"), (title, name, g.get("id"))
            assert g.get("data-id"), (title, name, g.get("id"))
            assert g.get("data-id") in view["nodes"], (title, name, g.get("data-id"))
            assert g.get("data-name") == view["nodes"][g.get("data-id")]["name"], (title, name)
        for a, b in view["edges"]:
            assert {a, b} <= set(view["nodes"]), (title, name, a, b)


def test_step_ids_refer_to_drawn_nodes(chain, figure4):
    for s in (chain[2], figure4[2]):
        forward = svg_ids(s["views"]["forward"])
        backward = svg_ids(s["views"]["backward"])
        assert s["steps"]
        for st in s["steps"]:
            assert st["node_id"] is None or st["node_id"] in forward, st
            assert st["adjoint"]["id"] is None or st["adjoint"]["id"] in backward, st
            for sent in st["sends"]:
                assert sent["to_id"] is None or sent["to_id"] in forward, sent
                assert sent["grad"]["id"] is None or sent["grad"]["id"] in backward, sent
                assert sent["total"]["id"] is None or sent["total"]["id"] in backward, sent
    # in the chain, every forward node whose VJP runs is drawn, and so is every adjoint
    steps = chain[2]["steps"]
    assert all(st["node_id"] is not None and st["adjoint"]["id"] is not None for st in steps)
    fnodes = chain[2]["views"]["forward"]["nodes"]
    assert [fnodes[st["node_id"]]["name"] for st in steps] == [st["node"] for st in steps]


def test_figure4_backward_view_shows_the_kernel_gradient(figure4):
    root, w, s = figure4
    (expected,) = autograd.grad(root, w)
    assert np.asarray(expected.data).reshape(3, 3).tolist() == J_W
    assert s["result"]["name"] == "dL/dW"
    assert grid(s["result"]["value"]).tolist() == J_W
    backward = s["views"]["backward"]
    (box,) = [d for d, n in backward["nodes"].items() if n["name"] == "dL/dW"]
    assert box in svg_ids(backward)
    (g,) = [g for g in svg_nodes(backward["svg"]) if g.get("data-id") == box]
    drawn = [t for t in ("".join(e.itertext()).strip() for e in g.iter() if e.tag.endswith("}text")) if t]
    for number in (24, 27, 30, 45, 48, 51, 66, 69, 72):
        assert str(number) in drawn, (number, drawn)


def test_lenet_opens_by_module_and_keeps_the_full_graph(lenet):
    loss, model, s = lenet
    forward = s["views"]["forward"]
    modules = {n["module"] for n in forward["nodes"].values() if n["kind"] == "module"}
    assert {"conv1", "pool1", "conv2", "pool2", "conv3", "fc1", "fc2"} <= modules
    drawn = {g.get("data-name") for g in svg_nodes(forward["svg"])}
    for m in ("conv1", "conv2", "conv3", "fc1", "fc2"):
        assert any(name.startswith(m + ":") for name in drawn), (m, drawn)
    full = s["views"]["forward_full"]
    assert full is not None
    names = {n["name"] for n in full["nodes"].values()}
    assert "correlate2d1" in names and "op correlate2d" in names
    assert len(full["nodes"]) > len(forward["nodes"])


def test_standalone_html_is_self_contained_and_carries_the_scene(chain, lenet):
    for s in (chain[2], lenet[2]):
        page = standalone_html(s)
        assert page.startswith("<!DOCTYPE html>")
        rest = page
        for ns in NAMESPACES:
            rest = rest.replace(ns, "").replace(ns.replace("/", "\\/"), "")
        urls = re.findall(r"https?:(?://|\\/\\/)[^\s\"'<>)]*", rest)
        assert not urls, urls[:5]
        assert not re.search(r"<(script|link|img|iframe)\b[^>]*\b(src|href)=", page, re.I)
        assert not re.search(r"@import|\bimport\s*\(|^\s*import\s", page, re.M)
        assert embedded_scene(page) == json.loads(json.dumps(s))


def test_explore_returns_a_widget_that_saves_the_standalone_page(tmp_path):
    pytest.importorskip("anywidget", reason="anywidget builds the Jupyter widget (to be a dependency)")
    from viz.explorer import explore

    theta, c = tanh_chain(4, skip=True)
    w = explore(c, wrt=theta)
    data = json.loads(w.scene)
    theta2, c2 = tanh_chain(4, skip=True)
    assert data == json.loads(json.dumps(scene(c2, wrt=theta2)))
    out = w.save_html(tmp_path / "sub" / "chain.html")
    assert out == tmp_path / "sub" / "chain.html"
    text = out.read_text(encoding="utf-8")
    assert text == standalone_html(data)
    assert embedded_scene(text) == data
    with pytest.raises(TypeError, match="explore: root must be a Tensor"):
        explore(1.0)


def test_the_record_is_off_by_default():
    assert grad_mode_state.records is None
    theta, c = tanh_chain(4, skip=True)
    c.backward()
    assert grad_mode_state.records is None
    with autograd.record_backward() as passes:
        assert grad_mode_state.records is passes
        theta2, c2 = tanh_chain(4, skip=True)
        c2.backward()
    assert grad_mode_state.records is None
    assert len(passes) == 1 and len(passes[0].steps) == 5
    # what training does: a plain backward of a small network leaves nothing behind either
    x, y, _, _ = nn.data.load_digits()
    model = nn.LeNet5(seed=0)
    nn.functional.cross_entropy(model(x[:2]), y[:2]).backward()
    assert grad_mode_state.records is None
