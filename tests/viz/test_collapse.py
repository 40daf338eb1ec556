"""Run collapsing ("tanh x 50") and big graphs: no recursion, and a picture the renderer can draw."""

import sys

import pytest

import autograd
from viz import chain_derivative, draw_backward, draw_forward, tanh_chain, trace
from viz.collapse import collapse_runs


def test_forward_chain_collapses_to_one_node(dot_of):
    theta, c = tanh_chain(50)
    full = dot_of(draw_forward(c))
    small = dot_of(draw_forward(c, collapse=8))
    (run,) = small.by_first_line("tanh x 50")
    assert small.nodes[run]["shape"] == "ellipse"
    assert len(full.nodes) == 102 and len(small.nodes) == 4  # theta, run op, run value, legend
    assert not small.by_first_line("tanh")  # no single tanh op node is left
    th = small.one("theta")
    assert small.number(th, "grad") == pytest.approx(chain_derivative(50, 0.5), rel=5e-4)
    out = small.one("C")  # the run's value is the output
    assert small.number(out, "value") == pytest.approx(c.item(), rel=5e-4)
    assert (th, run) in [(s, t) for s, t, _ in small.edges]
    assert (run, out) in [(s, t) for s, t, _ in small.edges]
    assert len(small.edges) == 2


def test_skip_chain_keeps_the_add_and_both_edges_from_theta(dot_of):
    theta, c = tanh_chain(50, skip=True)
    d = dot_of(draw_forward(c, collapse=8))
    (run,) = d.by_first_line("tanh x 50")
    th, root = d.one("theta"), d.one("C_res")
    (add,) = [o for o in d.op_nodes() if d.label(o)[0] == "add"]
    edges = {(s, t) for s, t, _ in d.edges}
    assert (th, run) in edges and (th, add) in edges and (add, root) in edges
    assert d.number(th, "grad") == pytest.approx(chain_derivative(50, 0.5, True), rel=5e-4)
    assert d.one("tanh50")  # the run's value node carries the last member's name


@pytest.mark.parametrize("skip", [False, True])
def test_backward_chain_folds_the_local_derivatives(skip, dot_of):
    theta, c = tanh_chain(50, skip=skip)
    full = dot_of(draw_backward(c, wrt=theta))
    d = dot_of(draw_backward(c, wrt=theta, collapse=8))
    (run,) = d.by_first_line("mul x 50")
    text = d.nodes[run]["label"]
    # per step: 1 - y*y (sub), its constant 1, y*y (mul) and the forward y (tanh) are folded in
    assert "+200 nodes" in text and all(kind in text for kind in ("sub", "const", "mul", "tanh"))
    root = "C_res" if skip else "C"
    out = d.one(f"d{root}/dtheta")
    assert d.number(out, "value") == pytest.approx(chain_derivative(50, 0.5, skip), rel=5e-4)
    assert d.one("theta") and d.one(f"seed d{root}/d{root}")
    assert len(full.nodes) > 400 and len(d.nodes) <= 7
    assert not d.by_first_line("1 - tanh3*tanh3") and full.one("1 - tanh3*tanh3")


def test_collapse_zero_one_and_short_runs_change_nothing(dot_of):
    theta, c = tanh_chain(50)
    plain = draw_forward(c).source
    assert draw_forward(c, collapse=0).source == plain
    assert draw_forward(c, collapse=1).source == plain
    assert len(dot_of(plain).by_first_line("tanh")) == 50
    _, short = tanh_chain(5)
    assert draw_forward(short, collapse=8).source == draw_forward(short, collapse=0).source
    theta5, c5 = tanh_chain(5)
    assert (draw_backward(c5, wrt=theta5, collapse=8).source
            == draw_backward(c5, wrt=theta5, collapse=0).source)


def test_collapse_threshold_is_inclusive(dot_of):
    _, c = tanh_chain(12)
    assert dot_of(draw_forward(c, collapse=12)).by_first_line("tanh x 12")
    assert not dot_of(draw_forward(c, collapse=13)).by_first_line("tanh x 12")


def test_collapse_runs_structure():
    theta, c = tanh_chain(10, skip=True)
    g = trace(c)
    col = collapse_runs(g, 4)
    assert col.runs == [list(range(1, 11))] and col.hidden == {}
    assert col.shown(0) == "n0" and col.shown(5) == "r0" and col.shown(11) == "n11"
    (d,) = autograd.grad(c, theta, create_graph=True)
    gb = trace(d)
    colb = collapse_runs(gb, 4)
    assert len(colb.runs) == 1 and len(colb.runs[0]) == 10
    assert all(gb.nodes[i].op == "mul" for i in colb.runs[0])
    assert len(colb.hidden) == 40
    kept = {id(theta), id(d)}
    assert all(id(gb.nodes[i]) not in kept for i in colb.hidden)


def test_big_chain_traces_and_renders(svg):
    n = 20_000
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(min(old, 1000))  # the default limit: a recursive walk would fail here
    try:
        theta, c = tanh_chain(n)
        g = trace(c)
        assert len(g) == n + 1 and len(g.edges) == n and g.count("tanh") == n
        picture = draw_forward(c, collapse=8)
    finally:
        sys.setrecursionlimit(old)
    assert "tanh x 20000" in picture.source
    root = svg.parse(picture.pipe(format="svg"))
    titles = sorted(svg.title(e) for e in svg.groups(root, "node"))
    assert len(titles) == 4 and "n0" in titles and "legend" in titles
