"""highlight=[tensors]: exactly the edges on some path from the root to those tensors are bold."""

import numpy as np
import pytest

from autograd import Tensor
from viz import draw_backward, draw_forward, tanh_chain, trace
from viz.trace import path_edges


def _all_paths_edges(graph, sources, sinks):
    """Brute force: every edge on some simple path from a source to a sink (small graphs only)."""
    children = {}
    for p, c, _ in graph.edges:
        children.setdefault(p, set()).add(c)
    on = set()
    stack = [(s, (s,)) for s in sources]
    while stack:
        node, path = stack.pop()
        if node in sinks:
            on.update(zip(path, path[1:]))
        for c in sorted(children.get(node, ())):
            stack.append((c, path + (c,)))
    return on


@pytest.mark.parametrize("seed", range(5))
def test_path_edges_match_brute_force_on_random_graphs(seed):
    rng = np.random.default_rng(seed)
    leaves = [Tensor(rng.normal(), requires_grad=True, name=f"x{k}") for k in range(3)]
    values = list(leaves)
    for _ in range(8):
        a, b = (values[i] for i in rng.integers(0, len(values), 2))
        values.append(a * b if rng.random() < 0.5 else (a + b).tanh())
    graph = trace(values[-1])
    for k in range(len(graph.nodes)):
        assert path_edges(graph, [k], graph.roots) == _all_paths_edges(graph, [k], set(graph.roots))


def _bold_edges(d):
    return {(s, t) for s, t, a in d.edges if a.get("penwidth") == "3"}


def test_forward_skip_path_is_bold_and_nothing_else(dot_of):
    theta, c = tanh_chain(3, skip=True)
    other = Tensor(2.0, requires_grad=True, name="other")
    d = dot_of(draw_forward(c * other, highlight=[theta]))
    bold = _bold_edges(d)
    th = d.one("theta")
    # both paths from theta are bold: into the first tanh and into the skip's add
    assert sorted(d.label(t)[0] for s, t in bold if s == th) == ["add", "tanh"]
    assert not any(s == d.one("other") for s, _ in bold)  # other is not on a path from theta
    # every bold edge continues to the root: walking bold edges from theta reaches it
    reach, frontier = {th}, [th]
    while frontier:
        n = frontier.pop()
        for s, t in bold:
            if s == n and t not in reach:
                reach.add(t)
                frontier.append(t)
    assert d.one("L") in reach


def test_backward_highlight_marks_the_identity_path_of_the_skip(dot_of):
    theta, c = tanh_chain(4, skip=True)
    d = dot_of(draw_backward(c, wrt=theta, highlight=[theta]))
    seed, out = d.one("seed dC_res/dC_res"), d.one("dC_res/dtheta")
    bold = _bold_edges(d)
    adds = [o for o in d.op_nodes() if d.label(o)[0] == "add"]
    assert (seed, adds[0]) in bold  # the identity path: straight from the seed into the sum
    assert (adds[0], out) in bold
    faded = [n for n in d.value_nodes() if "dashed" in d.nodes[n].get("style", "")]
    assert not any(s in faded for s, _ in bold)  # forward values are not on a gradient path


def test_highlighting_something_not_drawn_is_an_error():
    theta, c = tanh_chain(2)
    with pytest.raises(ValueError, match="draw_forward: highlight 0"):
        draw_forward(c, highlight=[Tensor(1.0)])
    with pytest.raises(ValueError, match="draw_backward: highlight 0"):
        draw_backward(c, wrt=theta, highlight=[Tensor(1.0)])


def test_highlight_is_deterministic():
    sources = []
    for _ in range(2):
        theta, c = tanh_chain(3, skip=True)
        sources.append(draw_backward(c, wrt=theta, highlight=[theta]).source)
    assert sources[0] == sources[1]
