"""viz.trace: node order, edges, counts; and the exact size of the tanh^n graphs, forward and backward.

Expected backward counts, from the engine's VJPs (autograd/ops/elementwise.py), for
grad(C, theta, create_graph=True) with C = tanh^n(theta):
  the seed (a leaf of ones, made by grad(), phase "backward");
  per tanh step k = n..1, Tanh.vjp is g * (1 - out * out):
      mul(a_k, a_k), a constant leaf 1 (made by the VJP: phase "backward"), sub(1, .), mul(g, .);
  the forward values it reads: a_1..a_n (tanh, phase "forward"), and theta (a_1's parent).
With the skip (C_res = a_n + theta), Add.vjp passes g on unchanged (sum_to of the same shape is g
itself: no node), and theta's two contributions are summed: one add(seed, chain) in phase "backward".
The forward add is not read by any VJP, so it is not in the backward graph.
"""

import numpy as np
import pytest

import autograd
from autograd import Tensor
from viz import Graph, chain_activations, chain_derivative, tanh_chain, trace
from viz.trace import path_edges

NS = [1, 2, 5, 20]


# --- trace on small graphs -------------------------------------------------------------------------


def test_tensor_used_twice_gives_two_edges():
    x = Tensor(3.0, requires_grad=True, name="x")
    y = x * x
    g = trace(y)
    assert isinstance(g, Graph)
    assert g.nodes[0] is x and g.nodes[1] is y and len(g) == 2
    assert g.edges == [(0, 1, 0), (0, 1, 1)]
    assert g.roots == [1]
    assert g.consumers() == [[1, 1], []]
    assert g.index == {id(x): 0, id(y): 1}


def test_nodes_in_creation_order_parents_first_leaves_just_before_first_use():
    x = Tensor(0.3, requires_grad=True, name="x")
    y = Tensor(0.7, requires_grad=True, name="y")
    w = Tensor(2.0, requires_grad=True, name="w")
    p = y.exp()  # made first, though it is the *second* input of the final add
    q = x.tanh()
    r = x * p
    s = q + r
    out = s * w  # w is used only here
    g = trace(out)
    order = [p, q, r, s, out]
    expected = [y, p, x, q, r, s, w, out]
    assert [id(t) for t in g.nodes] == [id(t) for t in expected]
    assert all(g.nodes[i] is t for i, t in enumerate(expected))
    assert [t._seq for t in g.nodes if t.op is not None] == sorted(t._seq for t in order)
    for parent, child, _ in g.edges:
        assert parent < child
    idx = {id(t): i for i, t in enumerate(expected)}
    assert sorted(g.edges) == sorted([
        (idx[id(y)], idx[id(p)], 0),
        (idx[id(x)], idx[id(q)], 0),
        (idx[id(x)], idx[id(r)], 0), (idx[id(p)], idx[id(r)], 1),
        (idx[id(q)], idx[id(s)], 0), (idx[id(r)], idx[id(s)], 1),
        (idx[id(s)], idx[id(out)], 0), (idx[id(w)], idx[id(out)], 1),
    ])
    # edges are listed child by child, in slot order
    assert g.edges == [(p_, c_, s_) for c_, t in enumerate(g.nodes)
                       for s_, p_ in enumerate(idx[id(q_)] for q_ in t.parents)]


def test_trace_of_a_leaf_and_of_several_roots():
    x = Tensor(1.0, requires_grad=True)
    g = trace(x)
    assert len(g) == 1 and g.nodes[0] is x and g.edges == [] and g.roots == [0]
    a = x.tanh()
    b = a.exp()
    c = x * 2.0
    g = trace([b, c])
    assert g.roots == [g.index[id(b)], g.index[id(c)]]
    assert set(g.index) == {id(t) for t in g.nodes}
    assert len(g) == 5  # x, a, b, the constant 2, c
    assert g.count(None) == 2 and g.count("mul") == 1 and g.count("exp") == 1 and g.count("tanh") == 1


def test_same_program_same_trace():
    def build():
        theta, c = tanh_chain(4, skip=True)
        g = trace(c)
        return [(t.op, t.phase, t.name) for t in g.nodes], g.edges

    assert build() == build()


def test_count_by_op_and_phase():
    x = Tensor(0.4, requires_grad=True)
    y = (x * x).tanh()
    (dx,) = autograd.grad(y, x, create_graph=True)
    g = trace(dx)
    assert g.count("tanh") == g.count("tanh", "forward") == 1
    assert g.count("tanh", "backward") == 0
    assert g.count("mul", "forward") == 1
    assert g.count("mul", "backward") >= 3
    assert g.count("mul") == g.count("mul", "forward") + g.count("mul", "backward")
    assert g.count("no-such-op") == 0
    assert g.count(None) == sum(1 for t in g.nodes if t.is_leaf)


# --- the tanh^n chain: forward graph ---------------------------------------------------------------


@pytest.mark.parametrize("skip", [False, True])
@pytest.mark.parametrize("n", NS)
def test_forward_graph_counts(n, skip):
    theta, c = tanh_chain(n, skip=skip)
    g = trace(c)
    assert len(g) == n + 1 + skip
    assert g.count("tanh") == g.count("tanh", "forward") == n
    assert g.count(None) == 1 and g.nodes[0] is theta
    assert g.count("add") == int(skip)
    assert len(g.edges) == n + 2 * skip
    assert g.nodes[-1] is c and g.roots == [len(g) - 1]
    # a chain: tanh k takes node k-1
    assert g.edges[:n] == [(k - 1, k, 0) for k in range(1, n + 1)]
    if skip:
        assert g.edges[n:] == [(n, n + 1, 0), (0, n + 1, 1)]
    assert all(t.phase == "forward" for t in g.nodes)


# --- the tanh^n chain: the backward graph that create_graph=True records ---------------------------


@pytest.mark.parametrize("skip", [False, True])
@pytest.mark.parametrize("n", NS)
def test_backward_graph_counts(n, skip):
    theta, c = tanh_chain(n, skip=skip)
    (d,) = autograd.grad(c, theta, create_graph=True)
    assert d.item() == pytest.approx(chain_derivative(n, 0.5, skip), rel=1e-12)
    g = trace(d)

    assert g.count("mul", "backward") == 2 * n  # mul(y, y) and mul(adjoint, .) per step
    assert g.count("sub", "backward") == n  # 1 - y*y
    assert g.count("add", "backward") == int(skip)  # theta's two contributions summed
    assert g.count("tanh", "forward") == n  # the forward values that Tanh.vjp reads
    assert g.count("tanh", "backward") == 0
    assert g.count("add", "forward") == 0  # the forward add is never read
    assert g.count(None, "backward") == n + 1  # the constant 1 of each 1 - y*y, and the seed
    assert g.count(None) == n + 2  # ... plus theta
    assert g.count("mul", "forward") == g.count("sub", "forward") == 0
    assert len(g) == 5 * n + 2 + skip
    assert len(g.edges) == 7 * n + 2 * skip

    forward = {id(t) for t in trace(c).nodes}
    tanhs = [t for t in g.nodes if t.op == "tanh"]
    assert all(id(t) in forward for t in tanhs)
    assert all(t.phase == "forward" for t in g.nodes if id(t) in forward)
    assert all(t.phase == "backward" for t in g.nodes if t.op is not None and id(t) not in forward)

    leaves = [t for t in g.nodes if t.is_leaf]
    assert any(t is theta for t in leaves)
    constants = [t for t in leaves if t.phase == "backward"]
    assert len(constants) == n + 1 and theta.phase == "forward"
    assert all(float(t.data) == 1.0 and not t.requires_grad for t in constants)
    consumers = g.consumers()
    (seed,) = [t for t in constants if {g.nodes[j].op for j in consumers[g.index[id(t)]]} != {"sub"}]

    # per tanh step: exactly one mul(a_k, a_k), read by one sub(1, .), read by one mul(adjoint, .)
    a = chain_activations(n, 0.5)
    for k, t in enumerate(tanhs, start=1):
        assert float(t.data) == pytest.approx(a[k - 1], rel=1e-14)
        users = dict.fromkeys(consumers[g.index[id(t)]])
        (sq,) = [g.nodes[j] for j in users if g.nodes[j].phase == "backward"]
        assert sq.op == "mul" and sq.parents[0] is t and sq.parents[1] is t
        (local,) = [g.nodes[j] for j in consumers[g.index[id(sq)]]]
        assert local.op == "sub" and local.parents[1] is sq and any(local.parents[0] is k for k in constants)
        assert float(local.data) == pytest.approx(1 - a[k - 1] ** 2, rel=1e-12)
        (step,) = [g.nodes[j] for j in consumers[g.index[id(local)]]]
        assert step.op == "mul" and step.parents[1] is local
        assert float(step.data) == pytest.approx(np.prod(1 - a[k - 1:] ** 2), rel=1e-12)
    # the seed starts the chain of adjoints (and, with the skip, is also theta's direct gradient)
    seed_users = [g.nodes[j].op for j in consumers[g.index[id(seed)]]]
    assert seed_users == (["mul", "add"] if skip else ["mul"])


# --- trace(..., stop=): a backward graph without the forward history -----------------------------------


@pytest.mark.parametrize("skip", [False, True])
@pytest.mark.parametrize("n", NS)
def test_backward_graph_stopped_at_the_forward_values(n, skip):
    theta, c = tanh_chain(n, skip=skip)
    forward = trace(c)
    (d,) = autograd.grad(c, theta, create_graph=True)
    full, g = trace(d), trace(d, stop=forward.nodes)
    # the forward values the VJPs read are kept, as given; what they were computed from is not
    tanhs = [t for t in g.nodes if t.op == "tanh"]
    assert len(tanhs) == n and all(id(t) in forward.index for t in tanhs)
    assert all(t is not theta for t in g.nodes) and id(theta) not in g.index
    assert len(g) == len(full) - 1 == 5 * n + 1 + skip
    assert len(g.edges) == len(full.edges) - n == 6 * n + 2 * skip  # no tanh_{k-1} -> tanh_k edges
    assert not any(g.nodes[c_].op == "tanh" for _, c_, _ in g.edges)  # a stop node has no inputs drawn
    # and the rest is the same graph: the same nodes (a stop node placed like a leaf, just before its
    # first user), the same edges between them
    kept = [t for t in full.nodes if t is not theta]
    assert sorted(id(t) for t in g.nodes) == sorted(id(t) for t in kept)
    recorded = [id(t) for t in g.nodes if t.op not in (None, "tanh")]  # the backward ops: creation order
    assert recorded == [id(t) for t in kept if t.op not in (None, "tanh")]
    by_id = {id(t): i for i, t in enumerate(g.nodes)}
    expected = sorted((by_id[id(full.nodes[p])], by_id[id(full.nodes[c_])], s) for p, c_, s in full.edges
                      if full.nodes[c_].op != "tanh")
    assert sorted(g.edges) == expected
    assert g.roots == [g.index[id(d)]]
    assert all(p < c_ for p, c_, _ in g.edges)


def test_stop_at_a_root_or_at_nothing():
    theta, c = tanh_chain(3)
    g = trace(c, stop=[c])
    assert g.nodes == [c] and g.edges == [] and g.roots == [0]
    assert trace(c, stop=()).edges == trace(c).edges


# --- path_edges: the edges of a highlighted path ---------------------------------------------------------


def test_path_edges_on_the_skip_chain():
    theta, c = tanh_chain(3, skip=True)
    g = trace(c)  # theta, tanh1, tanh2, tanh3, add: edges 0->1, 1->2, 2->3, 3->4, 0->4
    assert path_edges(g, [0], g.roots) == {(0, 1), (1, 2), (2, 3), (3, 4), (0, 4)}
    assert path_edges(g, [2], g.roots) == {(2, 3), (3, 4)}
    assert path_edges(g, [0], [2]) == {(0, 1), (1, 2)}
    assert path_edges(g, [3], [1]) == set()  # edges run from inputs to results only
    assert path_edges(g, g.roots, g.roots) == set()
    x = Tensor(2.0, requires_grad=True)
    y = x * x  # a tensor used twice: one edge pair (x, y) for both slots
    assert path_edges(trace(y), [0], [1]) == {(0, 1)}
