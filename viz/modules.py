"""A network's graph by module: clusters for the full graph, or one node per module call.

    viz.draw_forward(loss, modules=model)            # every op, one dashed cluster per module
    viz.draw_forward(loss, modules=model, depth=1)   # conv1, tanh1, pool1, ...: LeNet-5 on one slide

A module's call is known from the creation numbers of the nodes it made (Module.__call__ keeps them in
`_spans`, for its last call). At depth d, every op made inside a module d levels below the model is
drawn as that module's node: its name and class, input -> output shape, parameter count and the
gradient reaching its output (colour kept). Ops outside such modules stay single boxes, except that
a connected group of four or more of them (a loss written as a function) becomes one node too.
"""

from __future__ import annotations

import numpy as np

from viz import labels as L
from viz.drawing import Canvas
from viz.trace import Graph

MIN_LOOSE_GROUP = 4


def parameter_names(modules) -> dict[int, str]:
    return {} if modules is None else {id(p): name for name, p in modules.named_parameters()}


def _spans(modules) -> list[tuple[str, int, int]]:
    return sorted(getattr(modules, "_spans", []), key=lambda s: s[2] - s[1])  # innermost first


def module_clusters(graph: Graph, modules) -> dict[int, str]:
    """Node index -> module path: the innermost module whose call made it; a parameter, its owner's."""
    if modules is None:
        return {}
    root = type(modules).__name__
    spans = _spans(modules)
    owners = {id(p): f"{root}.{name}".rsplit(".", 1)[0] for name, p in modules.named_parameters()}
    clusters = {}
    for i, t in enumerate(graph.nodes):
        path = owners.get(id(t))
        if path is None and t.op is not None:
            path = next((p for p, start, end in spans if start < t._seq < end), None)
        if path is not None and path != root:
            clusters[i] = path
    return clusters


def _groups(graph: Graph, modules, depth: int) -> dict[int, str]:
    """Node index -> the module call (path@start) at `depth` that made it (parameters: their owner's)."""
    root = type(modules).__name__
    at_depth = [s for s in _spans(modules) if s[0].count(".") == depth]
    owners = {id(p): f"{root}.{name}".rsplit(".", 1)[0] for name, p in modules.named_parameters()}
    out = {}
    for i, t in enumerate(graph.nodes):
        if t.op is not None:
            span = next((s for s in at_depth if s[1] < t._seq < s[2]), None)
            if span is not None:
                out[i] = f"{span[0]}@{span[1]}"
        elif id(t) in owners and owners[id(t)].count(".") >= depth:
            owner = ".".join(owners[id(t)].split(".")[: depth + 1])
            span = next((s for s in at_depth if s[0] == owner), None)
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
