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


def trace(roots) -> Graph:
    """Every tensor that `roots` (a Tensor or a sequence) were computed from, with the edges between them."""
    roots = [roots] if isinstance(roots, Tensor) else list(roots)
    nodes: list[Tensor] = []
    index: dict[int, int] = {}

    def add(t: Tensor) -> None:
        if id(t) not in index:
            index[id(t)] = len(nodes)
            nodes.append(t)

    for node in toposort(roots):  # recorded nodes, in creation order
        for p in node.parents:
            if p._fn is None:
                add(p)  # a leaf appears just before its first user
        add(node)
    for r in roots:
        add(r)  # a root that is itself a leaf
    edges = [(index[id(p)], index[id(t)], slot) for t in nodes for slot, p in enumerate(t.parents)]
    return Graph(nodes, edges, [index[id(r)] for r in roots], index)
