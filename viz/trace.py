"""The recorded graph as plain data: ordered nodes and edges, the same on every run.

    g = viz.trace(C)
    g.nodes     # [theta, tanh, tanh, ...]: every tensor, each after all of its parents
    g.edges     # [(0, 1, 0), (1, 2, 0), ...]: (parent index, child index, input slot)

Indices are stable: nodes are ordered by when the program made them (leaves just before their first
user), so the same program gives the same trace, and hence the same DOT text. The walk is iterative.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from autograd import Tensor, toposort


@dataclass
class Graph:
    """nodes: tensors, parents first; edges: (parent, child, slot) by index; roots: indices of the roots."""

    nodes: list[Tensor]
    edges: list[tuple[int, int, int]]
    roots: list[int]
    index: dict[int, int] = field(repr=False)  # id(tensor) -> position in nodes

    def __len__(self) -> int:
        return len(self.nodes)

    def consumers(self) -> list[list[int]]:
        """For every node, the indices of the nodes that take it as an input (in edge order)."""
        out: list[list[int]] = [[] for _ in self.nodes]
        for p, c, _ in self.edges:
            out[p].append(c)
        return out

    def count(self, op: str | None = None, phase: str | None = None) -> int:
        """How many nodes have this op (None: leaves) and, if given, this phase."""
        return sum(1 for t in self.nodes if t.op == op and (phase is None or t.phase == phase))


def trace(roots, stop=()) -> Graph:
    """Every tensor that `roots` (a Tensor or a sequence) were computed from, with the edges between them.

    stop: tensors drawn as given, without their history (a backward graph stops at the forward values
    its VJPs read).
    """
    roots = [roots] if isinstance(roots, Tensor) else list(roots)
    stop_ids = {id(t) for t in stop}
    nodes: list[Tensor] = []
    index: dict[int, int] = {}

    def add(t: Tensor) -> None:
        if id(t) not in index:
            index[id(t)] = len(nodes)
            nodes.append(t)

    for node in _recorded(roots, stop_ids):  # recorded nodes, in creation order
        for p in node.parents:
            if p._fn is None or id(p) in stop_ids:
                add(p)  # a leaf appears just before its first user
        add(node)
    for r in roots:
        add(r)  # a root that is itself a leaf
    edges = [(index[id(p)], index[id(t)], slot) for t in nodes if id(t) not in stop_ids
             for slot, p in enumerate(t.parents)]
    return Graph(nodes, edges, [index[id(r)] for r in roots], index)


def _recorded(roots: list[Tensor], stop_ids: set[int]) -> list[Tensor]:
    """The recorded nodes reachable from roots without passing a stop node, in creation order."""
    if not stop_ids:
        return toposort(roots)
    found, seen = [], set()
    stack = [r for r in roots if r._fn is not None and id(r) not in stop_ids]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        found.append(node)
        stack.extend(p for p in node.parents if p._fn is not None and id(p) not in stop_ids)
    found.sort(key=lambda t: t._seq)
    return found


def path_edges(graph: Graph, sources, sinks) -> set[tuple[int, int]]:
    """The edges (parent, child) on some path from a node in `sources` to a node in `sinks` (indices).

    Edges point from inputs to results, so in a forward graph the paths from the root back to a tensor
    are the paths from that tensor (a source) to the root (a sink). Two passes over the ordered nodes,
    no recursion: reached-from-a-source parents first, reaches-a-sink children first.
    """
    n = len(graph.nodes)
    down = [False] * n
    up = [False] * n
    for i in sources:
        down[i] = True
    for i in sinks:
        up[i] = True
    parents_of: list[list[int]] = [[] for _ in range(n)]
    for p, c, _ in graph.edges:
        parents_of[c].append(p)
    for c in range(n):
        if not down[c] and any(down[p] for p in parents_of[c]):
            down[c] = True
    for c in range(n - 1, -1, -1):
        if up[c]:
            for p in parents_of[c]:
                up[p] = True
    return {(p, c) for p, c, _ in graph.edges if down[p] and up[c]}
