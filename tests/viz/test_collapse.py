"""Run collapsing ("tanh x 50", "(mul, add) x 100") and big graphs: no recursion, linear time, small DOT."""

import sys
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import Tensor
from viz import Graph, chain_derivative, draw_backward, draw_forward, tanh_chain, trace
from viz.collapse import Collapsed, collapse_runs, run_label


def test_forward_chain_collapses_to_one_node(dot_of):
    theta, c = tanh_chain(50)
    full = dot_of(draw_forward(c, collapse=0))
    small = dot_of(draw_forward(c, collapse=8))
    assert draw_forward(c).source == draw_forward(c, collapse=8).source  # the default folds runs of 8+
    (run,) = small.by_first_line("tanh x 50")
    assert small.nodes[run]["shape"] == "ellipse"
    assert len(full.nodes) == 101 and len(small.nodes) == 3  # theta, run op, run value
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
    full = dot_of(draw_backward(c, wrt=theta, collapse=0))
    d = dot_of(draw_backward(c, wrt=theta, collapse=8))
    (run,) = d.by_first_line("mul x 50")
    text = d.nodes[run]["label"]
    # per step: 1 - y*y (sub), its constant 1, y*y (mul) and the forward y (tanh) are folded in
    assert "+200 nodes" in text and all(kind in text for kind in ("sub", "const", "mul", "tanh"))
    root = "C_res" if skip else "C"
    out = d.one(f"d{root}/dtheta")
    assert d.number(out, "value") == pytest.approx(chain_derivative(50, 0.5, skip), rel=5e-4)
    assert d.one(f"seed d{root}/d{root}")
    assert not d.by_first_line("theta")  # the backward graph reads no forward value outside the run
    # full: 50 steps of (forward value, 1 - y*y, mul oval, adjoint) plus seed and the skip's add
    assert len(full.nodes) >= 200 and len(d.nodes) <= 6
    assert not d.by_first_line("1 - tanh3*tanh3") and full.one("1 - tanh3*tanh3")


def test_collapse_zero_one_and_short_runs_change_nothing(dot_of):
    theta, c = tanh_chain(50)
    plain = draw_forward(c, collapse=0).source
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
    assert titles == ["n0", "o_r0", "r0"]


# --- repeated patterns: (mul, add) x 100000 ---------------------------------------------------------


def _steps(x, ops: str, n: int):
    """Apply n rounds of `ops` to x: m = * 1.0001, a = + 0.5, t = tanh, e = exp (each constant a new leaf)."""
    for _ in range(n):
        for op in ops:
            x = x * 1.0001 if op == "m" else x + 0.5 if op == "a" else x.tanh() if op == "t" else x.exp()
    return x


def _chain(*parts) -> tuple[Tensor, Graph]:
    x0 = Tensor(0.3, requires_grad=True, name="x0")
    x = x0
    for ops, n in parts:
        x = _steps(x, ops, n)
    return x, trace(x)


def test_period_two_chain_folds_with_its_constants():
    _, g = _chain(("ma", 100))
    col = collapse_runs(g, 8)
    assert len(col.runs) == 1 and col.pattern(0) == ("mul", "add") and col.repeats(0) == 100
    run = col.runs[0]
    assert [g.nodes[i].op for i in run] == ["mul", "add"] * 100
    assert run[-1] == g.roots[0]  # the root is the run's last member: its value is drawn
    assert len(col.hidden) == 200 and all(g.nodes[i].op is None for i in col.hidden)
    assert col.shown(0) == "n0"  # x0 requires grad and has a name
    assert run_label(g, col, 0) == "(mul, add) x 100\n(+200 nodes: const)"
    assert col.folded(0) == sorted(col.hidden)


def test_period_three_chain():
    _, g = _chain(("mat", 30))
    col = collapse_runs(g, 8)
    assert [(col.pattern(k), col.repeats(k)) for k in range(len(col.runs))] == [(("mul", "add", "tanh"), 30)]
    assert run_label(g, col, 0).split("\n")[0] == "(mul, add, tanh) x 30"


def test_smallest_period_is_preferred():
    _, g = _chain(("mama", 20), ("tttt", 5))  # period 2 (not 4), then period 1 (not 2 or 4)
    col = collapse_runs(g, 8)
    assert [(col.pattern(k), col.repeats(k)) for k in range(len(col.runs))] == [
        (("mul", "add"), 40), (("tanh",), 20)]


@pytest.mark.parametrize("breaker", ["e", "m"])
def test_broken_pattern_in_the_middle_gives_two_runs(breaker):
    _, g = _chain(("ma", 20), (breaker, 1), ("ma", 20))
    col = collapse_runs(g, 8)
    assert [(col.pattern(k), col.repeats(k)) for k in range(len(col.runs))] == [(("mul", "add"), 20)] * 2
    (odd,) = [i for i, t in enumerate(g.nodes) if t.op is not None and i not in col.member_of]
    assert g.nodes[odd].op == {"e": "exp", "m": "mul"}[breaker]
    assert col.runs[0][-1] < odd < col.runs[1][0]
    # only the second run reads it, so (as any private input) it is folded into that run
    assert col.hidden[odd] == 1 and col.shown(col.runs[0][-1]) == "r0"
    kinds = {"e": "exp, const", "m": "const, mul"}[breaker]  # in creation order: a mul's constant comes first
    assert run_label(g, col, 1) == f"(mul, add) x 20\n(+{len(col.folded(1))} nodes: {kinds})"


def test_partial_pattern_at_the_end_stays_unfolded():
    _, g = _chain(("ma", 20), ("m", 1))
    col = collapse_runs(g, 8)
    assert len(col.runs) == 1 and col.repeats(0) == 20
    root = g.roots[0]
    assert g.nodes[root].op == "mul" and col.shown(root) == f"n{root}"
    (const,) = [p for p, c, _ in g.edges if c == root and g.nodes[p].op is None]
    assert col.shown(const) == f"n{const}"  # the root's constant is not the run's
    assert not collapse_runs(g, 21).runs  # 20 repeats, not 20.5


def test_period_one_is_as_before():
    theta, c = tanh_chain(50)
    g = trace(c)
    col = collapse_runs(g, 8)
    assert col.runs == [list(range(1, 51))] and col.pattern(0) == ("tanh",) and col.repeats(0) == 50
    assert run_label(g, col, 0) == "tanh x 50"
    (d,) = autograd.grad(c, theta, create_graph=True)
    gb = trace(d)
    colb = collapse_runs(gb, 8)
    first, second = run_label(gb, colb, 0).split("\n")
    assert first == "mul x 50" and second.startswith(f"(+{len(colb.hidden)} nodes: ")
    assert set(second[second.index(":") + 2:-1].split(", ")) == {"const", "tanh", "mul", "sub"}


def test_named_leaves_and_leaves_that_require_grad_are_never_hidden():
    w = Tensor(1.0001, name="w")  # named: drawn, though only the run reads it
    b = Tensor(0.5, requires_grad=True)  # a parameter
    x = Tensor(0.3)
    for _ in range(20):
        x = (x + b) * w * 0.5
    g = trace(x)
    col = collapse_runs(g, 8)
    assert [(col.pattern(k), col.repeats(k)) for k in range(len(col.runs))] == [(("add", "mul", "mul"), 20)]
    ids = {id(g.nodes[i]) for i in col.hidden}
    assert id(w) not in ids and id(b) not in ids
    assert len(col.hidden) == 21  # the 20 constants 0.5 and the unnamed input x
    assert all(g.nodes[i].op is None and g.nodes[i].name is None for i in col.hidden)


def test_roots_are_never_folded_away():
    theta, c = tanh_chain(30)
    g = trace(c)
    mid = g.nodes[10]  # tanh10, a second root in the middle of the chain
    g2 = trace([c, mid])
    col = collapse_runs(g2, 4)
    assert col.runs == [list(range(1, 11)), list(range(11, 31))]  # a root ends its run
    k = Tensor(2.0)  # a constant that only the run reads, but a root: drawn
    x = theta
    for _ in range(10):
        x = x * k
    g3 = trace([x, k])
    col3 = collapse_runs(g3, 4)
    assert len(col3.runs) == 1 and col3.shown(g3.index[id(k)]) is not None


def test_a_graph_without_edges():
    assert collapse_runs(trace(Tensor(1.0)), 8) == Collapsed()


def test_collapse_is_deterministic():
    results = []
    for _ in range(2):
        _, g = _chain(("ma", 30), ("t", 3), ("mat", 10))
        col = collapse_runs(g, 4)
        results.append((col, [run_label(g, col, k) for k in range(len(col.runs))]))
        assert collapse_runs(g, 4) == col
    assert results[0] == results[1]
    # the earliest start wins: the third tanh begins (tanh, mul, add) x 10, the two before it are read
    # by that run only (so folded into it), and the last tanh, the root, is a partial pattern
    assert results[0][1] == ["(mul, add) x 30\n(+60 nodes: const)",
                             "(tanh, mul, add) x 10\n(+22 nodes: tanh, const)"]


# --- a 200,000-step chain: 107 MB of DOT before, one run now -------------------------------------


@pytest.fixture(scope="module")
def mul_add_chain():
    """x = x * 1.0001; x = x + 0.5, 200,000 times: 400,000 op nodes and as many constant leaves."""
    x = Tensor(1.0, requires_grad=True, name="x0")
    for _ in range(200_000):
        x = x * 1.0001
        x = x + 0.5
    return x


def test_200k_mul_add_chain_collapses_to_one_run(mul_add_chain):
    g = trace(mul_add_chain)
    assert len(g) == 800_001
    col = collapse_runs(g, 8)
    assert col.patterns == [("mul", "add")] and col.repeats(0) == 200_000
    assert len(col.hidden) == 400_000 and col.runs[0][-1] == g.roots[0]
    shown = sum(1 for i in range(len(g)) if col.shown(i) == f"n{i}")
    assert shown == 1 and shown + len(col.runs) < 50  # x0, and the run's op and value
    assert run_label(g, col, 0) == "(mul, add) x 200000\n(+400000 nodes: const)"


def test_200k_mul_add_chain_dot_is_small(mul_add_chain):
    source = draw_forward(mul_add_chain, collapse=8, grads=False).source
    assert len(source) < 50_000 and "(mul, add) x 200000" in source


# --- the definition, literally, against the linear-time collapse ---------------------------------


def _naive_collapse(graph, min_run: int):
    """Every round, walk every chain from every start, then hide from the last node to the first."""
    n, roots, ops = len(graph.nodes), set(graph.roots), [t.op for t in graph.nodes]
    consumers = [list(dict.fromkeys(c for p, c, _ in graph.edges if p == i)) for i in range(n)]
    keep = roots | {i for i, t in enumerate(graph.nodes) if t.op is None and (t.requires_grad or t.name)}
    runs, patterns, member, hidden = [], [], {}, {}
    while True:
        before = len(runs)
        for j in range(n):
            if ops[j] is None or j in member or j in hidden:
                continue
            path = [j]
            while path[-1] not in roots:
                alive = [c for c in consumers[path[-1]] if c not in hidden]
                if len(alive) != 1 or alive[0] in member:
                    break
                path.append(alive[0])
            for p in range(1, 5):
                end = next((k for k in range(p, len(path)) if ops[path[k]] != ops[path[k - p]]), len(path))
                if end // p >= min_run:
                    run = path[:end - end % p]
                    member.update(dict.fromkeys(run, len(runs)))
                    runs.append(run)
                    patterns.append(tuple(ops[i] for i in run[:p]))
                    break
        if len(runs) == before:
            return runs, patterns, member, hidden
        for i in range(n - 1, -1, -1):
            if i not in keep and i not in member and i not in hidden:
                owners = {member.get(c, hidden.get(c)) for c in consumers[i]}
                if len(owners) == 1 and None not in owners:
                    hidden[i] = owners.pop()


@st.composite
def _graphs(draw):
    """Mostly chains of a repeated pattern with noise, side inputs and shared nodes."""
    pattern = draw(st.text("abc", min_size=1, max_size=4))
    nodes, edges = [SimpleNamespace(op=None, requires_grad=True, name="x")], []
    for _ in range(draw(st.integers(1, 80))):
        kind = draw(st.integers(0, 9))
        if kind == 0:  # a leaf: constant, named or a parameter
            name = draw(st.sampled_from([None, "w"]))
            nodes.append(SimpleNamespace(op=None, requires_grad=draw(st.booleans()), name=name))
            continue
        i = len(nodes)
        op = draw(st.sampled_from("abcd")) if kind == 1 else pattern[i % len(pattern)]
        first = i - 1 if kind > 2 else draw(st.integers(0, i - 1))
        edges.append((first, i, 0))
        if kind % 2:
            edges.append((draw(st.integers(0, i - 1)), i, 1))
        nodes.append(SimpleNamespace(op=op, requires_grad=True, name=None))
    roots = sorted({len(nodes) - 1, *draw(st.lists(st.integers(0, len(nodes) - 1), max_size=2))})
    return Graph(nodes, edges, roots, {})


@settings(max_examples=300, deadline=None)
@given(graph=_graphs(), min_run=st.integers(2, 4))
def test_collapse_matches_the_definition(graph, min_run):
    col = collapse_runs(graph, min_run)
    assert (col.runs, col.patterns, col.member_of, col.hidden) == _naive_collapse(graph, min_run)
