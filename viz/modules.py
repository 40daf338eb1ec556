"""A network's graph by module: clusters for the full graph, or one node per module call.

    viz.draw_forward(loss, modules=model)            # every op, one dashed cluster per module
    viz.draw_forward(loss, modules=model, depth=1)   # conv1, tanh1, pool1, ...: LeNet-5 on one slide

A module's call is known from the creation numbers of the nodes it made: Module.__call__ records them
for the model's last calls (`call_records()`), and the calls whose numbers the drawn nodes carry are
used, so an older loss is drawn with its own calls; a module called twice gets a cluster per call. At
depth d, every op made inside a module d levels below the model is drawn as that module's node: its
name and class, input -> output shape, parameter count and the gradient reaching its output (colour
kept). Ops outside such modules stay single boxes, except that
a connected group of four or more of them (a loss written as a function) becomes one node too.
"""

from __future__ import annotations

import bisect
import warnings

import numpy as np

from viz import labels as L
from viz.drawing import Canvas
from viz.trace import Graph

MIN_LOOSE_GROUP = 4


def parameter_names(modules) -> dict[int, str]:
    return {} if modules is None else {id(p): name for name, p in modules.named_parameters()}


def _spans(modules, graph: Graph) -> list[tuple[str, int, int]]:
    """(path, start, end) of every module call in the recorded calls of `modules` that made nodes of
    `graph`, innermost first. A model keeps its last calls (nn.Module.call_records), so a loss made
    before an evaluation pass is drawn with the calls that made it, not with the latest."""
    records = modules.call_records() if hasattr(modules, "call_records") else []
    made = sorted(t._seq for t in graph.nodes if t.op is not None)

    def any_between(start: int, end: int) -> bool:
        k = bisect.bisect_right(made, start)
        return k < len(made) and made[k] < end

    used = [r for r in records if any_between(r[0], r[1])]
    if records and made and not used and made[0] < records[0][0]:
        warnings.warn(f"draw_forward: the calls of {type(modules).__name__} that made this graph are no "
                      f"longer recorded (a model keeps its last {len(records)}); it is drawn without module "
                      f"clusters", stacklevel=4)
    spans = [s for r in used for s in r[2] if any_between(s[1], s[2])]
    return sorted(spans, key=lambda s: s[2] - s[1])  # innermost first


def _owners(modules) -> dict[int, str]:
    """id(parameter) -> the path of the module that holds it ('LeNet5.conv1')."""
    root = type(modules).__name__
    return {id(p): f"{root}.{name}".rsplit(".", 1)[0] for name, p in modules.named_parameters()}


def module_clusters(graph: Graph, modules) -> dict[int, str]:
    """Node index -> cluster: the innermost module call that made it; a parameter, its owner's (first) call.

    A cluster is named by the module's path; a module called more than once in the graph (weights
    shared) gets one cluster per call, 'path (call k)'.
    """
    if modules is None:
        return {}
    root = type(modules).__name__
    spans = _spans(modules, graph)
    owners = _owners(modules)
    made = {}  # node index -> the span of the call that made it
    for i, t in enumerate(graph.nodes):
        if t.op is not None:
            span = next((s for s in spans if s[1] < t._seq < s[2]), None)
            if span is not None and span[0] != root:
                made[i] = span
    calls: dict[str, list] = {}  # path -> its calls that made drawn nodes, in the order they were made
    for span in sorted(set(made.values()), key=lambda s: s[1]):
        calls.setdefault(span[0], []).append(span)

    def name(span) -> str:
        same = calls[span[0]]
        return span[0] if len(same) == 1 else f"{span[0]} (call {same.index(span) + 1})"

    clusters = {}
    for i, t in enumerate(graph.nodes):
        path = owners.get(id(t)) if t.op is None else None
        if i in made:
            clusters[i] = name(made[i])
        elif path is not None and path != root:
            clusters[i] = name(calls[path][0]) if path in calls else path
    return clusters


def _groups(graph: Graph, modules, depth: int) -> dict[int, str]:
    """Node index -> the module call (path@start) at `depth` that made it (parameters: their owner's)."""
    at_depth = [s for s in _spans(modules, graph) if s[0].count(".") == depth]
    first = {}  # path -> its first call at this depth that made a drawn node
    for s in sorted(at_depth, key=lambda s: s[1]):
        first.setdefault(s[0], s)
    owners = _owners(modules)
    out = {}
    for i, t in enumerate(graph.nodes):
        if t.op is not None:
            span = next((s for s in at_depth if s[1] < t._seq < s[2]), None)
            if span is not None:
                out[i] = f"{span[0]}@{span[1]}"
        elif id(t) in owners and owners[id(t)].count(".") >= depth:
            owner = ".".join(owners[id(t)].split(".")[: depth + 1])
            span = first.get(owner)
            if span is not None:
                out[i] = f"{span[0]}@{span[1]}"
    return out


def _loose_groups(graph: Graph, grouped: dict[int, str], inside: dict[int, str]) -> dict[int, str]:
    """Connected sets (four or more) of ops outside every module, each as one group."""
    loose = [i for i, t in enumerate(graph.nodes)
             if t.op is not None and i not in grouped and i not in inside]
    parent = {i: i for i in loose}

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for p, c, _ in graph.edges:
        if p in parent and c in parent:
            parent[find(p)] = find(c)
    members: dict[int, list[int]] = {}
    for i in loose:
        members.setdefault(find(i), []).append(i)
    out = {}
    for ms in members.values():
        if len(ms) >= MIN_LOOSE_GROUP:
            for i in ms:
                out[i] = f"ops@{ms[0]}"
    return out


def draw_modules(graph: Graph, names: list[str], modules, depth: int, gradient: dict, scale, bold: set,
                 values: bool) -> Canvas:
    """One box per module call at `depth` (and per loose op); arrows where tensors cross between them."""
    if depth < 1:
        raise ValueError(f"draw_forward: depth must be at least 1 (got {depth}); depth=None draws every op")
    group = _groups(graph, modules, depth)
    clusters = module_clusters(graph, modules)  # what a deeper view opens stays inside its module
    group.update(_loose_groups(graph, group, clusters))
    consumers = graph.consumers()
    members: dict[str, list[int]] = {}
    for i in sorted(group):
        members.setdefault(group[i], []).append(i)
    roots = set(graph.roots)
    root_name = type(modules).__name__
    modules_by_path = {root_name + ("." + n if n else ""): m for n, m in modules.named_modules()}
    bold_nodes = {c for _, c in bold} | {p for p, _ in bold}
    canvas = Canvas()
    drawn: dict[int, str] = {}  # node index -> the drawn box that shows it
    for key, ms in members.items():
        out = max((i for i in ms if i in roots or any(group.get(c) != key for c in consumers[i])),
                  default=ms[-1])
        for i in ms:
            drawn[i] = f"g{ms[0]}"
        inputs = [p for p, c, _ in graph.edges if group.get(c) == key and group.get(p) != key
                  and not L.is_constant(graph.nodes[p])]
        shapes = [L.shape_text(graph.nodes[p].shape) for p in dict.fromkeys(inputs)]
        path = key.split("@")[0]
        if path.startswith("ops"):
            ops = ", ".join(dict.fromkeys(graph.nodes[i].op for i in ms if graph.nodes[i].op))
            head = f"{names[out]} = " if out in roots else ""
            title = f"{head}{sum(1 for i in ms if graph.nodes[i].op)} ops: {ops}"
        else:
            module = modules_by_path.get(path)
            nparams = sum(int(graph.nodes[i].size) for i in ms if graph.nodes[i].op is None)
            title = f"{path.split('.', 1)[-1]}: {type(module).__name__ if module else 'module'}"
            title += f" ({nparams:,} params)" if nparams else ""
        lines = [title, f"{' + '.join(shapes) or '()'} -> {L.shape_text(graph.nodes[out].shape)}"]
        # the gradient is the box's colour; its number is in the tooltip (a slide has no room for it)
        _add_box(canvas, f"g{ms[0]}", lines, graph.nodes[out], gradient.get(out), scale, values,
                 bold=any(i in bold_nodes for i in ms))
    for i, t in enumerate(graph.nodes):
        if i in drawn or (L.is_constant(t) and i not in roots):
            continue
        drawn[i] = f"n{i}"
        head = names[i] if t.op is None or names[i].startswith(t.op) else f"{names[i]} = {t.op}"
        lines = [f"{head} {L.shape_text(t.shape)}" if t.size != 1 else f"{head} = {L.num(t.data.item())}"]
        _add_box(canvas, f"n{i}", lines, t, gradient.get(i), scale, values, bold=i in bold_nodes,
                 leaf=t.op is None, cluster=clusters.get(i))
    bold_drawn = {(drawn.get(a), drawn.get(b)) for a, b in bold}
    seen = set()
    for p, c, _ in graph.edges:
        src, dst = drawn.get(p), drawn.get(c)
        if src is None or dst is None or src == dst or (src, dst) in seen:
            continue
        seen.add((src, dst))
        canvas.edge(src, dst, bold=(src, dst) in bold_drawn)
    return canvas


def _add_box(canvas: Canvas, name: str, lines: list[str], t, g, scale, values: bool, bold: bool,
             leaf: bool = False, cluster: str | None = None) -> None:
    style = {"style": "rounded,filled", "fillcolor": "white"}
    matrices = []
    tip = list(lines)
    if g is not None:
        style["fillcolor"] = scale.color(abs(float(np.asarray(g).item())) if t.size == 1 else L.rms(g))
        tip.append(f"grad {L.num(np.asarray(g).item())}" if t.size == 1 else L.statistic("grad", g))
        if values and L.printable(t.shape):
            matrices = [("value", t.data), ("grad", np.asarray(g))]
    if leaf:
        style["style"] = "filled" if t.requires_grad else "rounded,filled,dotted"
    canvas.box(name, lines, matrices=matrices, bold=bold, tooltip="; ".join(tip), cluster=cluster, **style)
