"""Big graphs, readable: a repeated pattern of ops becomes one node ("tanh x 50", "(mul, add) x 100000").

    g = viz.trace(y)                     # y: x = x * a; x = x + b, repeated 100000 times
    col = collapse_runs(g, 8)
    col.pattern(0), col.repeats(0)       # ('mul', 'add'), 100000
    run_label(g, col, 0)                 # '(mul, add) x 100000\\n(+200000 nodes: const)'

A chain is a path of op nodes, each the only visible consumer of the one before; a root ends it. A run
is a stretch of a chain whose ops repeat with a period of p = 1..4 nodes (op[k] == op[k - p] all along)
at least `min_run` times: the smallest such p, as many whole periods as there are (a partial pattern at
the end is drawn normally). Starts are tried in creation order, so the first node that begins a run
takes it. What only a run uses (its constants; in the backward pass of a chain, the local derivatives
1 - y^2 that each step multiplies in) is folded into it as hidden nodes; named leaves, leaves that
require grad and roots never are. Folding can free new runs (the forward values those local derivatives
read), so the two steps repeat until nothing changes; each repeat looks only at the chains that changed.
Every step is a loop over node indices, linear in the size of the graph (10^6 nodes are normal).
"""

from __future__ import annotations

import itertools
from array import array
from dataclasses import dataclass, field

import numpy as np

from viz.trace import Graph

MAX_PERIOD = 4
_NONE, _MANY = -1, -2  # owner marks: no consumer owned yet; consumers owned by different runs


@dataclass
class Collapsed:
    """runs: member indices of each run, in chain order; member_of / hidden: node index -> run number;
    patterns: the ops of one period of each run."""

    runs: list[list[int]] = field(default_factory=list)
    member_of: dict[int, int] = field(default_factory=dict)
    hidden: dict[int, int] = field(default_factory=dict)
    patterns: list[tuple[str, ...]] = field(default_factory=list)
    _folded: list[list[int]] | None = field(default=None, init=False, repr=False, compare=False)

    def shown(self, i: int) -> str | None:
        """The drawn node standing for node i: 'r<k>' for a run, 'n<i>' for itself, None if hidden."""
        if i in self.member_of:
            return f"r{self.member_of[i]}"
        return None if i in self.hidden else f"n{i}"

    def pattern(self, k: int) -> tuple[str, ...]:  # the ops of one period of run k: ('mul', 'add')
        return self.patterns[k]

    def repeats(self, k: int) -> int:  # how many times run k repeats its pattern
        return len(self.runs[k]) // len(self.patterns[k])

    def folded(self, k: int) -> list[int]:
        """The hidden nodes of run k, in creation order (worked out for all runs at the first call)."""
        if self._folded is None:
            self._folded = [[] for _ in self.runs]
            for i in sorted(self.hidden):
                self._folded[self.hidden[i]].append(i)
        return self._folded[k]


def run_label(graph: Graph, collapsed: Collapsed, k: int) -> str:
    """The text of run k's op node: 'tanh x 50' or '(mul, add) x 100000', and on a second line what is
    folded into it, '(+100 nodes: sub, const)' (kinds in creation order; leaves count as const)."""
    pattern = collapsed.pattern(k)
    head = pattern[0] if len(pattern) == 1 else f"({', '.join(pattern)})"
    text = f"{head} x {collapsed.repeats(k)}"
    folded = collapsed.folded(k)
    if folded:
        kinds = ", ".join(dict.fromkeys(graph.nodes[i].op or "const" for i in folded))
        text += f"\n(+{len(folded)} nodes: {kinds})"
    return text


def collapse_runs(graph: Graph, min_run: int) -> Collapsed:
    """Collapse every run of at least `min_run` repeats of a pattern (min_run < 2: collapse nothing)."""
    result = Collapsed()
    if min_run < 2:
        return result
    chains = _Chains(graph, result)
    changed = [i for i in range(len(graph.nodes) - 1, -1, -1) if chains.ops[i] is not None]
    while True:
        starts = chains.measure(changed)
        found = [chains.claim(j, min_run) for j in starts if j not in result.member_of]
        found = [k for k in found if k is not None]
        if not found:
            return result
        changed = chains.upstream(chains.fold(found))


class _Chains:
    """Per node: consumers not hidden (`alive`) and not in or hidden in a run (`unowned`, with their
    `owner`); per op node: its chain link `nxt` (its only visible consumer, else -1) and `lens`."""

    def __init__(self, graph: Graph, result: Collapsed):
        n = len(graph.nodes)
        self.result = result
        self.ops = [t.op for t in graph.nodes]
        (self.cons, self.cons_at), (self.pars, self.pars_at) = _adjacency(graph)
        self.roots = set(graph.roots)
        named = {i for i, t in enumerate(graph.nodes) if t.op is None and (t.requires_grad or t.name)}
        self.keep = self.roots | named  # never folded away
        self.alive = [b - a for a, b in zip(self.cons_at, self.cons_at[1:])]
        self.unowned = self.alive[:]
        self.owner = [_NONE] * n
        self.nxt = [self.cons[self.cons_at[i]] if k == 1 and op is not None and i not in self.roots else -1
                    for i, (k, op) in enumerate(zip(self.alive, self.ops))]
        self.lens = [array("q", [1]) * n for _ in range(MAX_PERIOD)]  # lens[p - 1][i] = L_p(i), see measure

    def measure(self, order: list[int]) -> list[int]:
        """Update `lens` of the nodes in `order` (highest index first: links point up); return those
        that may start a run, lowest first. L_p(i), the longest stretch of i's chain from i with period
        p, is L_p(next) + 1 if op(i) == op(p nodes ahead), else min(p, chain length): one sweep, no walk
        per start. Members of runs, which end a chain, are ignored: from i the true L_p is min(L_p(i), d)
        with d the distance to the first member (see claim)."""
        ops, nxt, lens = self.ops, self.nxt, self.lens
        for i in order:
            op, after, j, length = ops[i], nxt[i], nxt[i], 1  # j: the node p ahead of i
            for p, lp in enumerate(lens, start=1):
                if j >= 0:
                    length += 1
                    lp[i] = lp[after] + 1 if ops[j] == op else p
                    j = nxt[j]
                else:
                    lp[i] = length
        member_of, hidden = self.result.member_of, self.result.hidden
        return [i for i in reversed(order) if i not in member_of and i not in hidden]

    def claim(self, j: int, min_run: int) -> int | None:
        """Make the run that starts at node j, if there is one; returns its number."""
        lengths, member_of, nxt = [lp[j] for lp in self.lens], self.result.member_of, self.nxt
        period, size = _choose(lengths, min_run, len(self.ops))
        run, i = [j], j
        while len(run) < size and (i := nxt[i]) >= 0 and i not in member_of:
            run.append(i)
        if len(run) < size:  # cut short by an earlier run: shorter, or none
            period, size = _choose(lengths, min_run, len(run))
            del run[size:]
        if not period:
            return None
        k = len(self.result.runs)
        member_of.update(dict.fromkeys(run, k))
        self.result.runs.append(run)
        self.result.patterns.append(tuple(self.ops[i] for i in run[:period]))
        return k

    def fold(self, new_runs: list[int]) -> set[int]:
        """Hide every node all of whose consumers belong to one run (as members or hidden); returns the
        op nodes whose chain link changed. Counting unowned consumers makes this linear."""
        result, unowned, owner, alive = self.result, self.unowned, self.owner, self.alive
        relinked: set[int] = set()
        for k in new_runs:
            stack = result.runs[k][:]  # what this finds to hide is hidden in run k
            while stack:
                c = stack.pop()
                c_hidden = c in result.hidden
                for p in self.pars[self.pars_at[c]:self.pars_at[c + 1]]:
                    unowned[p] -= 1
                    owner[p] = k if owner[p] in (_NONE, k) else _MANY
                    if unowned[p] == 0 and owner[p] == k and p not in self.keep and p not in result.member_of:
                        result.hidden[p] = k
                        stack.append(p)
                    if c_hidden:
                        alive[p] -= 1
                        if alive[p] <= 1 and self.ops[p] is not None and p not in self.roots:
                            cs = self.cons[self.cons_at[p]:self.cons_at[p + 1]]
                            self.nxt[p] = next((x for x in cs if x not in result.hidden), -1)
                            relinked.add(p)
        return relinked

    def upstream(self, relinked: set[int]) -> list[int]:
        """Where a new run can start: relinked nodes and all whose chain runs into one, highest first."""
        seen = {i for i in relinked if i not in self.result.hidden and i not in self.result.member_of}
        stack = list(seen)
        while stack:
            c = stack.pop()
            for p in self.pars[self.pars_at[c]:self.pars_at[c + 1]]:
                if self.nxt[p] == c and p not in seen:
                    seen.add(p)
                    stack.append(p)
        return sorted(seen, reverse=True)


def _adjacency(graph: Graph) -> tuple[tuple[array, array], tuple[array, array]]:
    """((consumers, at), (parents, at)): node i's distinct consumers are consumers[at[i]:at[i + 1]].
    Flat arrays built with NumPy: a list per node costs more than all the rest (the GC walks them all)."""
    n = len(graph.nodes)
    flat = np.fromiter(itertools.chain.from_iterable(graph.edges), dtype=np.int64, count=3 * len(graph.edges))
    key = np.sort(flat[0::3] * n + flat[1::3])  # (parent, child) pairs, parent-major
    key = key[np.r_[True, key[1:] != key[:-1]]] if len(key) else key  # a tensor used twice counts once
    parent, child = np.divmod(key, n)

    def flat(a: np.ndarray) -> array:
        return array("q", a.astype(np.int64).tobytes())

    def offsets(of: np.ndarray) -> array:
        return flat(np.concatenate(([0], np.cumsum(np.bincount(of, minlength=n)))))

    by_child = parent[np.argsort(child, kind="stable")]
    return (flat(child), offsets(parent)), (flat(by_child), offsets(child))


def _choose(lengths: list[int], min_run: int, cap: int) -> tuple[int, int]:
    """(period, run size) for the smallest period repeated min_run times within `cap` nodes; (0, 0)."""
    for p, length in enumerate(lengths, start=1):
        length = min(length, cap)
        if length >= p * min_run:
            return p, length - length % p
    return 0, 0
