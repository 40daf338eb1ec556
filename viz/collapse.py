"""Big graphs, readable: a run of the same op becomes one node ("tanh x 50").

A run is a chain of nodes with the same op, each the only consumer of the one before. What only a run
uses (for the backward pass of a chain: the local derivatives 1 - y^2 that each step multiplies in)
is folded into it as hidden nodes; the run's label counts them. Folding can free new runs (the forward
values those local derivatives read), so the two steps repeat until nothing changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from viz.trace import Graph


@dataclass
class Collapsed:
    """runs: member indices of each run, in order; member_of / hidden: node index -> run number."""

    runs: list[list[int]] = field(default_factory=list)
    member_of: dict[int, int] = field(default_factory=dict)
    hidden: dict[int, int] = field(default_factory=dict)

    def shown(self, i: int) -> str | None:
        """The drawn node standing for node i: 'r<k>' for a run, 'n<i>' for itself, None if hidden."""
        if i in self.member_of:
            return f"r{self.member_of[i]}"
        return None if i in self.hidden else f"n{i}"


def collapse_runs(graph: Graph, min_run: int) -> Collapsed:
    """Collapse every run of at least `min_run` same-op nodes (min_run < 2: collapse nothing)."""
    result = Collapsed()
    if min_run < 2:
        return result
    consumers = [list(dict.fromkeys(cs)) for cs in graph.consumers()]  # distinct, in order
    named_leaves = {i for i, t in enumerate(graph.nodes) if t.is_leaf and (t.requires_grad or t.name)}
    keep = set(graph.roots) | named_leaves  # never folded away
    while True:
        found = _find_runs(graph, consumers, result, min_run)
        if not found:
            return result
        for run in found:
            for i in run:
                result.member_of[i] = len(result.runs)
            result.runs.append(run)
        _fold_private_inputs(graph, consumers, result, keep)


def _alive_consumers(i: int, consumers, result: Collapsed) -> list[int]:
    return [c for c in consumers[i] if c not in result.hidden]


def _find_runs(graph: Graph, consumers, result: Collapsed, min_run: int) -> list[list[int]]:
    runs, used = [], set()
    for j, t in enumerate(graph.nodes):
        if t.op is None or j in used or j in result.member_of or j in result.hidden:
            continue
        run = [j]
        while True:
            nxt = _alive_consumers(run[-1], consumers, result)
            if len(nxt) != 1 or run[-1] in graph.roots:
                break
            c = nxt[0]
            if graph.nodes[c].op != t.op or c in result.member_of or c in used:
                break
            run.append(c)
        used.update(run)
        if len(run) >= min_run:
            runs.append(run)
    return runs


def _fold_private_inputs(graph: Graph, consumers, result: Collapsed, keep: set[int]) -> None:
    """Hide every node all of whose (visible) consumers are one run or what is already hidden in it."""
    for i in range(len(graph.nodes) - 1, -1, -1):  # children before parents
        if i in keep or i in result.member_of or i in result.hidden:
            continue
        owners = set()
        for c in consumers[i]:
            owner = result.member_of.get(c, result.hidden.get(c))
            if owner is None:
                break
            owners.add(owner)
        else:
            if len(owners) == 1:
                result.hidden[i] = owners.pop()
