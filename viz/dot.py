"""Draw the forward graph and the recorded backward graph as graphviz.Digraph (shown inline in Jupyter).

    theta, C = viz.tanh_chain(4)
    viz.draw_forward(C)                  # op nodes and value nodes; value and gradient of each scalar
    viz.draw_backward(C, wrt=theta)      # the graph that backward(create_graph=True) recorded

In the backward graph the gradient computation is drawn solid and the forward values it reads faded
and dashed; each local derivative is written out (1 - tanh3*tanh3) and each running adjoint carries
its value. Colour is the gradient's magnitude on a log scale (`scale=` shares one scale between
pictures). Runs of one op collapse into one node (`collapse=`), and a model's graph can be grouped into
one cluster per module (`modules=model`). Labels are ASCII and the output is deterministic: the same
computation gives the same DOT text, byte for byte.
"""

from __future__ import annotations


import graphviz
import numpy as np

from autograd import Tensor, grad
from viz.collapse import Collapsed, collapse_runs
from viz.renderer import Picture
from viz.scale import GradientScale
from viz.trace import Graph, trace

FADED = "#9a9a9a"
BACKWARD = "#1f5fa8"
_SYMBOLS = {"add": "+", "sub": "-", "mul": "*", "div": "/"}


def _num(x: float) -> str:
    return f"{x:.4g}"


def _magnitude(a) -> float:
    """|a| for a scalar; the root-mean-square for a tensor (comparable across sizes)."""
    a = np.asarray(a, dtype=np.float64)
    return float(np.sqrt(np.mean(a * a))) if a.size else 0.0


def _params_text(params) -> str:
    parts = []
    for k, v in params.items():
        if isinstance(v, np.ndarray) or (isinstance(v, tuple) and any(isinstance(e, np.ndarray) for e in v)):
            continue  # index arrays and masks: too long to print
        text = f"{k}={v}" if not isinstance(v, np.dtype) else f"{k}={v.name}"
        parts.append(text if len(text) <= 24 else text[:21] + "...")
    return ", ".join(parts)


def value_names(graph: Graph, known: dict[int, str] | None = None) -> list[str]:
    """A short name per node: `known[id]` or its own name, else op and a per-op count (tanh1, tanh2, ...).

    Unnamed leaves are "param" (requires grad), their value (one element) or "input".
    """
    known = known or {}
    counts: dict[str, int] = {}
    names = []
    for t in graph.nodes:
        if id(t) in known or t.name:
            names.append(known.get(id(t)) or t.name)
        elif t.op is None:
            names.append("param" if t.requires_grad else _num(t.data.item()) if t.size == 1 else "input")
        else:
            counts[t.op] = counts.get(t.op, 0) + 1
            names.append(f"{t.op}{counts[t.op]}")
    return names


def _parameter_names(modules) -> dict[int, str]:
    return {} if modules is None else {id(p): name for name, p in modules.named_parameters()}


def _module_clusters(graph: Graph, modules) -> dict[int, str]:
    """Node index -> module path: the innermost module whose call made it; a parameter, its owner's."""
    if modules is None:
        return {}
    root = type(modules).__name__
    spans = sorted(getattr(modules, "_spans", []), key=lambda s: s[2] - s[1])  # innermost first
    owners = {id(p): f"{root}.{name}".rsplit(".", 1)[0] for name, p in modules.named_parameters()}
    clusters = {}
    for i, t in enumerate(graph.nodes):
        path = owners.get(id(t))
        if path is None and t.op is not None:
            path = next((p for p, start, end in spans if start < t._seq < end), None)
        if path is not None and path != root:
            clusters[i] = path
    return clusters


class _Drawing:
    """Collects DOT statements for one picture; `digraph()` returns them as a graphviz.Digraph."""

    def __init__(self, graph: Graph, names: list[str], collapsed: Collapsed, rankdir: str, title: str | None):
        self.graph, self.names, self.collapsed = graph, names, collapsed
        self.dot = Picture(
            graph_attr={"rankdir": rankdir, "fontname": "Helvetica", "fontsize": "11"},
            node_attr={"fontname": "Helvetica", "fontsize": "10"},
            edge_attr={"arrowsize": "0.6"},
        )
        if title:
            self.dot.attr(label=title, labelloc="t")
        self.clusters: dict[str, list[tuple[str, dict]]] = {}

    def node(self, name: str, cluster: str | None, **attrs) -> None:
        if cluster is None:
            self.dot.node(name, **attrs)
        else:
            self.clusters.setdefault(cluster, []).append((name, attrs))

    def finish(self) -> Picture:
        for k, (path, items) in enumerate(self.clusters.items()):
            with self.dot.subgraph(name=f"cluster_{k}") as sub:
                sub.attr(label=path, style="rounded,dashed", color="#7a7a7a", fontcolor="#4a4a4a")
                for name, attrs in items:
                    sub.node(name, **attrs)
        return self.dot


def _draw(graph: Graph, names: list[str], labels: list[list[str]], styles: list[dict], collapse: int,
          clusters: dict[int, str], rankdir: str, title: str | None, legend: str | None) -> graphviz.Digraph:
    collapsed = collapse_runs(graph, collapse)
    d = _Drawing(graph, names, collapsed, rankdir, title)
    for k, run in enumerate(collapsed.runs):
        last = run[-1]
        folded = [graph.nodes[i].op or "const" for i, r in collapsed.hidden.items() if r == k]
        kinds = ", ".join(dict.fromkeys(folded))
        op_label = f"{graph.nodes[last].op} x {len(run)}"
        if folded:
            op_label += f"\n(+{len(folded)} nodes: {kinds})"
        style = styles[last]
        d.node(f"o_r{k}", clusters.get(last), label=op_label, shape="ellipse", **_op_style(style))
        d.node(f"r{k}", clusters.get(last), label="\n".join(labels[last]), **style)
        d.dot.edge(f"o_r{k}", f"r{k}", **_edge_style(style))
    for i, t in enumerate(graph.nodes):
        if collapsed.shown(i) != f"n{i}":
            continue
        d.node(f"n{i}", clusters.get(i), label="\n".join(labels[i]), **styles[i])
        if t.op is not None:
            params = _params_text(t.params)
            d.node(f"o{i}", clusters.get(i), label=t.op + (f"\n{params}" if params else ""), shape="ellipse",
                   **_op_style(styles[i]))
            d.dot.edge(f"o{i}", f"n{i}", **_edge_style(styles[i]))
    seen = set()
    for p, c, _slot in graph.edges:
        src, dst = collapsed.shown(p), collapsed.shown(c)
        if dst is None:  # c is folded into a run: the input feeds that run
            dst = f"r{collapsed.hidden[c]}"
        if src is None or src == dst:
            continue
        target = f"o_{dst}" if dst.startswith("r") else f"o{dst[1:]}"
        key = (src, target)
        if dst.startswith("r") and key in seen:
            continue
        seen.add(key)
        d.dot.edge(src, target, **_edge_style(styles[p]))
    if legend:
        d.dot.node("legend", label=legend, shape="note", fontsize="9", color=FADED, fontcolor="#4a4a4a")
    return d.finish()


def _op_style(value_style: dict) -> dict:
    keep = {k: value_style[k] for k in ("color", "fontcolor") if k in value_style}
    if "dashed" in value_style.get("style", ""):
        keep["style"] = "dashed"
    return keep


def _edge_style(value_style: dict) -> dict:
    return _op_style(value_style)


def _value_label(t: Tensor, name: str, show_dtype: bool) -> list[str]:
    lines = [name]
    if t.size == 1:
        lines.append(f"value {_num(t.data.item())}")
    else:
        lines.append(f"shape {tuple(t.shape)}")
    if show_dtype:
        lines.append(str(t.dtype))
    return lines


def draw_forward(root: Tensor, *, grads: bool | None = None, scale: GradientScale | None = None,
                 collapse: int = 0, modules=None, show_dtype: bool = False, rankdir: str = "LR",
                 title: str | None = None) -> graphviz.Digraph:
    """The forward graph of `root`: an op node and a value node per primitive, leaves by name.

    grads: show d root / d node on every node and colour it by magnitude (default: when root is a
    one-element tensor that requires grad); computed with autograd.grad, so no `.grad` changes.
    scale: a GradientScale to share between pictures (default: one covering this graph).
    collapse: runs of at least this many same-op nodes become one node (0: never).
    modules: a Module whose last call made this graph: one cluster per module (conv1, pool1, ...).
    """
    graph = trace(root)
    names = value_names(graph, _parameter_names(modules))
    if grads is None:
        grads = root.requires_grad and root.size == 1
    adjoint = _adjoints(root, graph) if grads else {}
    if adjoint and scale is None:
        scale = GradientScale.covering(adjoint.values())
    labels, styles = [], []
    for i, t in enumerate(graph.nodes):
        lines = _value_label(t, names[i], show_dtype)
        style = {"shape": "box", "style": "rounded,filled", "fillcolor": "white"}
        if i in adjoint:
            lines.append(f"grad {_num(adjoint[i])}" if t.size == 1 else f"|grad| {_num(adjoint[i])}")
            style["fillcolor"] = scale.color(adjoint[i])
        elif t.grad is not None:
            g = t.grad.data
            lines.append(f"grad {_num(g.item())}" if t.size == 1 else f"|grad| {_num(_magnitude(g))}")
        if t.is_leaf and t.requires_grad:
            style["style"] = "filled"  # parameters (and theta) are square-cornered and bold
            style["penwidth"] = "2"
        elif t.is_leaf:
            style["style"] = "rounded,filled,dotted"  # inputs and constants
        labels.append(lines)
        styles.append(style)
    legend = None
    if adjoint:
        legend = (f"colour = |d {names[graph.roots[0]]} / d node|\n"
                  f"log scale: white {_num(scale.low)} .. red {_num(scale.high)}")
    clusters = _module_clusters(graph, modules)
    return _draw(graph, names, labels, styles, collapse, clusters, rankdir, title, legend)


def _adjoints(root: Tensor, graph: Graph) -> dict[int, float]:
    """d root / d node for every node that requires grad (magnitude for tensors); nothing stored."""
    targets = [i for i, t in enumerate(graph.nodes) if t.requires_grad]
    gs = grad(root, [graph.nodes[i] for i in targets], allow_unused=True)
    out = {}
    for i, g in zip(targets, gs):
        if g is not None:
            out[i] = g.data.item() if g.size == 1 else _magnitude(g.data)
    return out


_PRECEDENCE = {"add": 1, "sub": 1, "mul": 2, "div": 2}


def _expression(t: Tensor, parents: list[tuple[str, int] | None]) -> tuple[str, int] | None:
    """(formula, precedence) for a backward node built only from forward values and constants."""
    if any(p is None for p in parents):
        return None
    prec = _PRECEDENCE.get(t.op, 3)
    if t.op in _SYMBOLS and len(parents) == 2:
        (a, pa), (b, pb) = parents
        a = a if pa >= prec else f"({a})"
        b = b if pb > prec or (pb == prec and t.op in ("add", "mul")) else f"({b})"
        sep = f" {_SYMBOLS[t.op]} " if prec == 1 else _SYMBOLS[t.op]
        text = f"{a}{sep}{b}"
    elif t.op == "neg":
        text, prec = f"-({parents[0][0]})", 3
    elif t.op == "pow" and "p" in t.params:
        text = f"({parents[0][0]})^{t.params['p']}"
    else:
        text = f"{t.op}({', '.join(p[0] for p in parents)})"
    return (text, prec) if len(text) <= 28 else None


def draw_backward(root: Tensor, wrt=None, *, scale: GradientScale | None = None, collapse: int = 0,
                  show_dtype: bool = False, rankdir: str = "LR",
                  title: str | None = None) -> graphviz.Digraph:
    """The gradient computation of d root / d wrt, as the engine records it with create_graph=True.

    wrt: a Tensor or a sequence (default: every leaf of root's graph that requires grad).
    Backward nodes are drawn solid: local derivatives with their formula (1 - tanh3*tanh3), running
    adjoints with their value, coloured by magnitude; the forward values they read are faded and dashed.
    """
    forward = trace(root)
    forward_names = {id(t): n for t, n in zip(forward.nodes, value_names(forward))}
    if wrt is None:
        wrt = [t for t in forward.nodes if t.is_leaf and t.requires_grad]
    wrt = [wrt] if isinstance(wrt, Tensor) else list(wrt)
    # The seed requires grad so that every step that handles the gradient is recorded, even where the
    # gradient does not depend on any forward value (a linear function, the sum of a loss).
    seed = Tensor(np.ones(root.shape, dtype=root.dtype), requires_grad=True,
                  name=f"d{forward_names[id(root)]}")
    gradients = grad(root, wrt, grad_outputs=seed, create_graph=True, allow_unused=True)
    outputs = [g for g in gradients if g is not None]
    graph = trace(outputs)
    forward_ids = set(forward_names)
    names, exprs, on_path = [], [], []
    for t in graph.nodes:
        parent_idx = [graph.index[id(p)] for p in t.parents]
        if t is seed:  # where the backward pass starts: d root / d root = 1
            names.append(f"seed {seed.name}/d{forward_names[id(root)]}")
            exprs.append(None)
            on_path.append(True)
        elif id(t) in forward_ids:  # a forward value that a VJP reads
            names.append(forward_names[id(t)])
            exprs.append((forward_names[id(t)], 3))
            on_path.append(False)
        elif t.op is None:  # a constant made by a VJP
            names.append(_num(t.data.item()) if t.size == 1 else "constant")
            exprs.append((names[-1], 3) if t.size == 1 else None)
            on_path.append(False)
        else:  # a recorded step of the gradient computation
            exprs.append(_expression(t, [exprs[j] for j in parent_idx]))
            on_path.append(any(on_path[j] for j in parent_idx))
            names.append("adjoint" if on_path[-1] else exprs[-1][0] if exprs[-1] else t.op)
    output_names: dict[int, list[str]] = {}  # one gradient tensor can serve several inputs (x + y)
    for g, w in zip(gradients, wrt):
        if g is not None:
            label = f"d{forward_names[id(root)]}/d{forward_names.get(id(w), 'input')}"
            output_names.setdefault(graph.index[id(g)], []).append(label)
    for i, labels_of_i in output_names.items():
        names[i] = " = ".join(labels_of_i)
    magnitudes = {i: _magnitude(t.data) for i, t in enumerate(graph.nodes) if on_path[i]}
    if scale is None:
        scale = GradientScale.covering(magnitudes.values())
    labels, styles = [], []
    for i, t in enumerate(graph.nodes):
        if id(t) in forward_ids:
            labels.append(_value_label(t, names[i], show_dtype))
            styles.append({"shape": "box", "style": "rounded,dashed", "color": FADED, "fontcolor": FADED})
            continue
        lines = _value_label(t, names[i], show_dtype)
        style = {"shape": "box", "style": "rounded,filled", "color": BACKWARD, "fillcolor": "white"}
        if on_path[i]:
            style["fillcolor"] = scale.color(magnitudes[i])
            style["penwidth"] = "1.5"
        labels.append(lines)
        styles.append(style)
    legend = (f"backward graph of d{forward_names[id(root)]}: solid = recorded gradient computation, "
              f"dashed = forward values it reads\ncolour = |adjoint|, log scale: white {_num(scale.low)} .. "
              f"red {_num(scale.high)}")
    return _draw(graph, names, labels, styles, collapse, {}, rankdir, title, legend)
