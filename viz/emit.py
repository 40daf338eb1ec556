"""A traced graph and one NodeView per node -> boxes and arrows on a Canvas.

draw_forward and draw_backward decide what each node looks like (a NodeView); this module decides
what is drawn at all and where the arrows go:

- a node folded into its consumer (a scalar constant, or a backward formula used by one formula only)
  is not drawn; its inputs' arrows go to the consumer, and the consumer's text already shows it;
- a run of repeated ops (viz.collapse) is drawn as one op and one value;
- every other node is a box, with an oval for its op unless its name already is its formula;
- arrows on a highlighted path are bold.

Arrows are deduplicated only where something was folded: a tensor used twice by one op keeps its
two arrows (x * x).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from viz.collapse import Collapsed, collapse_runs, run_label
from viz.drawing import Canvas
from viz.trace import Graph


@dataclass
class NodeView:
    """How one node is drawn. oval: the op's text (None: no oval). folded: drawn inside its consumer."""

    lines: list[str]
    style: dict = field(default_factory=dict)
    matrices: list = field(default_factory=list)
    oval: str | None = None
    oval_style: dict = field(default_factory=dict)
    tooltip: str | None = None
    folded: bool = False
    cluster: str | None = None


@dataclass
class Plan:
    """What will be drawn: the runs, and the nodes whose values are drawn (`keep`); `left_out` values
    made earlier than those are summed up in one box."""

    collapsed: Collapsed
    keep: set[int]
    left_out: int


def plan(graph: Graph, folded: list[bool], collapse: int, max_nodes: int | None) -> Plan:
    """Fold runs, then keep at most `max_nodes` values, those made last (nearest the root).

    Decided before any label is written, so that a graph of 10^6 nodes that folds into a few costs
    text for a few only.
    """
    collapsed = collapse_runs(graph, collapse)
    units = sorted([run[-1] for run in collapsed.runs]
                   + [i for i in range(len(graph.nodes))
                      if not folded[i] and i not in collapsed.member_of and i not in collapsed.hidden])
    left_out = 0
    if max_nodes is not None and len(units) > max_nodes:
        left_out = len(units) - max_nodes
        units = units[left_out:]
    return Plan(collapsed, set(units), left_out)


def emit(canvas: Canvas, graph: Graph, views: list[NodeView], plan: Plan,
         bold_edges: set[tuple[int, int]]) -> dict[int, str]:
    """Draw `graph` on `canvas` as `views` say (only the views of `plan.keep` need text).

    Returns, for every node whose value is drawn, the DOT name of the box that shows it.
    """
    consumers = graph.consumers()
    collapsed = plan.collapsed
    bold_nodes = {c for _, c in bold_edges} | {p for p, _ in bold_edges}

    def inlet(i: int) -> str:
        """The drawn node that takes node i's inputs."""
        while views[i].folded and i not in collapsed.member_of and i not in collapsed.hidden:
            i = consumers[i][0]
        k = collapsed.member_of.get(i, collapsed.hidden.get(i))
        if k is not None:
            return f"o_r{k}"
        return f"o{i}" if views[i].oval is not None else f"n{i}"

    def outlet(i: int) -> str | None:
        """The drawn node that shows node i's value (None: inside a run, or folded away)."""
        if i in collapsed.member_of:
            k = collapsed.member_of[i]
            return f"r{k}" if collapsed.runs[k][-1] == i else None
        if i in collapsed.hidden or views[i].folded:
            return None
        return f"n{i}"

    dropped: set[str] = set()
    if plan.left_out:
        for k, run in enumerate(collapsed.runs):
            if run[-1] not in plan.keep:
                dropped.update((f"r{k}", f"o_r{k}"))
        for i in range(len(views)):
            if outlet(i) == f"n{i}" and i not in plan.keep:
                dropped.update((f"n{i}", f"o{i}"))
        canvas.box("elided", [f"{plan.left_out:,} earlier values not drawn",
                              "(max_nodes=None draws them all)"],
                   style="rounded,dashed", color="#7a7a7a", fontcolor="#4a4a4a")
    for k, run in enumerate(collapsed.runs):
        if f"r{k}" in dropped:
            continue
        last = run[-1]
        v = views[last]
        bold = any(i in bold_nodes for i in run)
        canvas.oval(f"o_r{k}", run_label(graph, collapsed, k), cluster=v.cluster, bold=bold, **v.oval_style)
        canvas.box(f"r{k}", v.lines, matrices=v.matrices, cluster=v.cluster, tooltip=v.tooltip, bold=bold,
                   **v.style)
        canvas.edge(f"o_r{k}", f"r{k}", bold=bold, **_edge_style(v))
    for i, v in enumerate(views):
        if outlet(i) != f"n{i}" or f"n{i}" in dropped:
            continue
        bold = i in bold_nodes
        canvas.box(f"n{i}", v.lines, matrices=v.matrices, cluster=v.cluster, tooltip=v.tooltip, bold=bold,
                   **v.style)
        if v.oval is not None:
            canvas.oval(f"o{i}", v.oval, cluster=v.cluster, tooltip=v.tooltip, bold=bold, **v.oval_style)
            canvas.edge(f"o{i}", f"n{i}", bold=bold, **_edge_style(v))
    seen: set[tuple[str, str]] = set()
    for p, c, _slot in graph.edges:
        src, dst = outlet(p), inlet(c)
        if src is None or dst in (f"o_{src}", src) or dst in dropped:
            continue
        folded = views[c].folded or c in collapsed.hidden or dst.startswith("o_r")
        if src in dropped:
            src, folded = "elided", True
        bold = (p, c) in bold_edges
        if folded:
            if (src, dst) in seen:
                continue
            seen.add((src, dst))
        canvas.edge(src, dst, bold=bold, **_edge_style(views[p]))
    shown = {}
    for i in range(len(views)):
        name = outlet(i)
        if name is not None and name not in dropped:
            shown[i] = name
    return shown


def _edge_style(v: NodeView) -> dict:
    keep = {k: v.style[k] for k in ("color",) if k in v.style}
    if "dashed" in v.style.get("style", ""):
        keep["style"] = "dashed"
    return keep
