"""Draw the forward graph and the recorded backward graph as graphviz.Digraph (shown inline in Jupyter).

    theta, C = viz.tanh_chain(4)
    viz.draw_forward(C)                         # op ovals and value boxes; value and gradient of each
    viz.draw_backward(C, wrt=theta)             # the graph that backward(create_graph=True) recorded
    viz.draw_backward(C, wrt=theta, values=True, highlight=[theta])   # numbers of small tensors, a path

In the backward graph the gradient computation is drawn solid and the forward values it reads faded
and dashed; each local derivative is one box named by its formula (1 - tanh3*tanh3), and each running
adjoint is named for what it is the gradient of (dC/dtanh2), as the engine's record of the pass says.
Colour is the gradient's magnitude on a log scale (`scale=` shares one scale between pictures).
Scalar constants are written into their op (mul(., 3)); runs of a repeated op or pattern collapse into
one node (`collapse=`); a model's graph is grouped by module (`modules=model`), or drawn one node per
module call (`depth=1`, see viz.modules). The output is deterministic: the same computation gives the
same DOT text, byte for byte.
"""

from __future__ import annotations

import graphviz
import numpy as np

from autograd import Tensor, grad, record_backward
from viz import labels as L
from viz.drawing import BACKWARD, FADED, Canvas
from viz.emit import NodeView, emit, plan
from viz.layout import choose_rankdir
from viz.modules import draw_modules, module_clusters, parameter_names
from viz.scale import GradientScale
from viz.trace import Graph, path_edges, trace

_SYMBOLS = {"add": "+", "sub": "-", "mul": "*", "div": "/"}
_PRECEDENCE = {"add": 1, "sub": 1, "mul": 2, "div": 2}
AUTO_COLLAPSE = 8  # collapse=None: runs of at least this many repeats are folded
MAX_NODES = 300  # values drawn at most, unless the caller asks for everything (max_nodes=None)


def _numbers(t: Tensor, name: str, g, values: bool, show_dtype: bool, what: str = "grad"):
    """(lines, matrices) for a value: scalars as 'value x' / 'grad y', small tensors as number grids."""
    lines = [name]
    matrices = []
    if t.size == 1:
        lines.append(f"value {L.num(t.data.item())}")
        if g is not None:
            lines.append(f"{what} {L.num(np.asarray(g).item())}")
    else:
        lines.append(f"shape {L.shape_text(t.shape)}")
        if values and L.printable(t.shape):
            matrices.append(("value", t.data))
            if g is not None:
                matrices.append((what, np.asarray(g)))
        elif g is not None:
            lines.append(L.statistic(what, g))
    if show_dtype:
        lines.insert(1, str(t.dtype))
    return lines, matrices


def _magnitude(g) -> float:
    g = np.asarray(g)
    return abs(float(g.item())) if g.size == 1 else L.rms(g)


def _op_text(t: Tensor, graph: Graph, views_folded) -> str:
    """An op's oval: its name, parameters, and the scalar constants it reads (mul(., 3))."""
    args = []
    folded = False
    for p in t.parents:
        j = graph.index[id(p)]
        if views_folded(j):
            args.append(L.num(p.data.item()))
            folded = True
        else:
            args.append(".")
    text = f"{t.op}({', '.join(args)})" if folded else t.op
    params = L.params_text(t.params)
    return text + (f"\n{params}" if params else "")


def _targets(graph: Graph, tensors, who: str) -> list[int]:
    out = []
    for k, t in enumerate([tensors] if isinstance(tensors, Tensor) else list(tensors)):
        if not isinstance(t, Tensor) or id(t) not in graph.index:
            shape = getattr(t, "shape", None)
            raise ValueError(f"{who}: highlight {k} (shape {shape}) is not in the drawn graph")
        out.append(graph.index[id(t)])
    return out


def draw_forward(root: Tensor, *, values: bool = False, grads: bool | None = None, highlight=(),
                 modules=None, depth: int | None = None, scale: GradientScale | None = None,
                 collapse: int | None = None, max_nodes: int | None = MAX_NODES, show_dtype: bool = False,
                 rankdir: str | None = None, title: str | None = None) -> graphviz.Digraph:
    """The forward graph of `root`: an op oval and a value box per primitive, leaves by name.

    values: draw small tensors (2-d slices up to 6 x 6) as grids of their numbers, and their gradients.
    grads: show d root / d node on every node and colour it by magnitude (default: when root is a
    one-element tensor that requires grad); computed with autograd.grad, so no `.grad` changes.
    highlight: tensors; every path from them to the root is drawn bold.
    modules, depth: a Module whose last call made this graph: one cluster per module; with depth=1 one
    node per module call (depth=2 opens the modules one level further).
    scale: a GradientScale to share between pictures (default: one covering this graph).
    collapse: runs of at least this many repeats become one node (None: 8; 0: never).
    max_nodes: draw at most this many values, the last made; the rest become one box (None: all).
    rankdir: "LR" or "TB" (None: whichever fits a 16:9 frame better).
    """
    graph = trace(root)
    names = L.value_names(graph, parameter_names(modules))
    if grads is None:
        grads = root.requires_grad and root.size == 1
    gradient = _gradients(root, graph) if grads else {}
    if gradient and scale is None:
        scale = GradientScale.covering(_magnitude(g) for g in gradient.values())
    caption = None
    if gradient:
        caption = (f"colour = |d{names[graph.roots[0]]}/d node| (rms for tensors), "
                   f"log scale: white {L.num(scale.low)} .. red {L.num(scale.high)}")
    bold = path_edges(graph, _targets(graph, highlight, "draw_forward"), graph.roots) if highlight else set()
    if modules is not None and depth is not None:
        canvas = draw_modules(graph, names, modules, depth, gradient, scale, bold, values)
        canvas.rankdir = rankdir or choose_rankdir(canvas)
        return canvas.finish(title, caption)
    clusters = module_clusters(graph, modules)
    folded = [L.is_constant(t) and i not in graph.roots for i, t in enumerate(graph.nodes)]
    drawn = plan(graph, folded, AUTO_COLLAPSE if collapse is None else collapse, max_nodes)
    views = [NodeView([], folded=f) for f in folded]  # text only for what is drawn
    for i in drawn.keep:
        t = graph.nodes[i]
        g = gradient.get(i)
        if g is None and t.grad is not None and not gradient:
            g = t.grad.data  # what an earlier backward() stored
        lines, matrices = _numbers(t, names[i], g, values, show_dtype)
        style = {"style": "rounded,filled", "fillcolor": "white"}
        if i in gradient:
            style["fillcolor"] = scale.color(_magnitude(gradient[i]))
        if t.is_leaf and t.requires_grad:
            style.update(style="filled", penwidth="2")  # parameters (and theta): square-cornered, bold
        elif t.is_leaf:
            style["style"] = "rounded,filled,dotted"  # inputs
        views[i] = NodeView(lines, style, matrices, folded=folded[i], cluster=clusters.get(i),
                            tooltip=L.tooltip(names[i], t.op, t.shape, t.data, g))
        if t.op is not None:
            views[i].oval = _op_text(t, graph, folded.__getitem__)
    canvas = Canvas()
    shown = emit(canvas, graph, views, drawn, bold)
    canvas.rankdir = rankdir or choose_rankdir(canvas)
    picture = canvas.finish(title, caption)
    picture.boxes = {id(graph.nodes[i]): box for i, box in shown.items()}  # tensor -> its DOT node
    picture.tensor_of = {box: graph.nodes[i] for i, box in shown.items()}  # and back (the explorer)
    picture.gradients = {id(graph.nodes[i]): g for i, g in gradient.items()}  # d root / d node
    return picture


def _gradients(root: Tensor, graph: Graph) -> dict[int, np.ndarray]:
    """d root / d node for every node that requires grad; nothing is stored in any tensor."""
    targets = [i for i, t in enumerate(graph.nodes) if t.requires_grad]
    gs = grad(root, [graph.nodes[i] for i in targets], allow_unused=True)
    return {i: g.data for i, g in zip(targets, gs) if g is not None}


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


def _wrt_list(root: Tensor, forward: Graph, wrt) -> list[Tensor]:
    if wrt is None:
        return [t for t in forward.nodes if t.is_leaf and t.requires_grad]
    wrt = [wrt] if isinstance(wrt, Tensor) else list(wrt)
    for k, w in enumerate(wrt):
        if not isinstance(w, Tensor):
            raise TypeError(f"draw_backward: wrt {k} is a {type(w).__name__}, not a Tensor")
        if not w.requires_grad:
            raise RuntimeError(f"draw_backward: wrt {k} (shape {w.shape}) does not require grad")
        if id(w) not in forward.index:
            raise RuntimeError(f"draw_backward: wrt {k} (shape {w.shape}) is not used to compute the root "
                               f"(shape {root.shape}), so it has no gradient to draw")
    return wrt


def draw_backward(root: Tensor, wrt=None, *, values: bool = False, highlight=(),
                  scale: GradientScale | None = None, collapse: int | None = None,
                  max_nodes: int | None = MAX_NODES, show_dtype: bool = False, rankdir: str | None = None,
                  title: str | None = None) -> graphviz.Digraph:
    """The gradient computation of d root / d wrt, as the engine records it with create_graph=True.

    wrt: a Tensor or a sequence (default: every leaf of root's graph that requires grad).
    values: small tensors drawn as grids of their numbers.
    highlight: forward tensors; every path of the backward graph from the seed to their gradient is bold.
    Backward nodes are drawn solid: local derivatives named by their formula (1 - tanh3*tanh3), running
    adjoints by what they are the gradient of (dC/dtanh2), coloured by magnitude; the forward values
    they read are faded and dashed.
    """
    if not isinstance(root, Tensor):
        raise TypeError(f"draw_backward: root must be a Tensor, got {type(root).__name__}")
    if not root.requires_grad:
        raise RuntimeError(f"draw_backward: the root (shape {root.shape}) does not require grad: "
                           "there is no backward graph")
    forward = trace(root)
    fnames = {id(t): n for t, n in zip(forward.nodes, L.value_names(forward))}
    rname = fnames[id(root)]
    wrt = _wrt_list(root, forward, wrt)
    # The seed requires grad so that every step that handles the gradient is recorded, even where the
    # gradient does not depend on any forward value (a linear function, the sum of a loss).
    seed = Tensor(np.ones(root.shape, dtype=root.dtype), requires_grad=True, name=f"d{rname}")
    with record_backward() as records:
        gradients = grad(root, wrt, grad_outputs=seed, create_graph=True, allow_unused=True)
    adjoint_names = _adjoint_names(records[0], rname, fnames)
    outputs = [g for g in gradients if g is not None]
    graph = trace(outputs, stop=forward.nodes)
    names, exprs, on_path = _backward_names(graph, seed, fnames, rname, adjoint_names)
    output_labels: dict[int, list[str]] = {}  # one gradient tensor can serve several inputs (x + y)
    for g, w in zip(gradients, wrt):
        if g is not None:
            output_labels.setdefault(graph.index[id(g)], []).append(f"d{rname}/d{fnames.get(id(w), 'input')}")
    for i, found in output_labels.items():
        t = graph.nodes[i]
        keep = [names[i]] if t is seed or id(t) in adjoint_names else []
        names[i] = " = ".join(keep + found)
    magnitudes = {i: _magnitude(t.data) for i, t in enumerate(graph.nodes) if on_path[i]}
    if scale is None:
        scale = GradientScale.covering(magnitudes.values())
    consumers = graph.consumers()
    folded = []
    for i, t in enumerate(graph.nodes):
        if id(t) in fnames:  # a forward value: faded; a scalar constant is written into its op
            folded.append(L.is_constant(t) and t is not root)
        else:  # a constant, or a formula read only by one other formula, goes into its consumer
            folded.append(bool((L.is_constant(t) and t is not seed) or (
                exprs[i] is not None and t.op is not None and not on_path[i] and consumers[i]
                and all(exprs[c] is not None for c in consumers[i]) and len(set(consumers[i])) == 1
                and i not in graph.roots)))
    drawn = plan(graph, folded, AUTO_COLLAPSE if collapse is None else collapse, max_nodes)
    views = [NodeView([], folded=f) for f in folded]  # text only for what is drawn
    for i in drawn.keep:
        t = graph.nodes[i]
        lines, matrices = _numbers(t, names[i], None, values, show_dtype)
        tip = L.tooltip(names[i], t.op, t.shape, t.data, None)
        if id(t) in fnames:
            views[i] = NodeView(lines, {"style": "rounded,dashed", "color": FADED, "fontcolor": FADED},
                                matrices, tooltip=tip, folded=folded[i])
            continue
        style = {"style": "rounded,filled", "color": BACKWARD, "fillcolor": "white"}
        if on_path[i]:
            style.update(fillcolor=scale.color(magnitudes[i]), penwidth="1.5")
        views[i] = NodeView(lines, style, matrices, tooltip=tip, folded=folded[i])
        if t.op is not None and (on_path[i] or exprs[i] is None):
            views[i].oval = _op_text(t, graph, folded.__getitem__)
            views[i].oval_style = {"color": BACKWARD}
    bold = set()
    if highlight:
        targets = []
        for k, t in enumerate([highlight] if isinstance(highlight, Tensor) else list(highlight)):
            found = [i for i, g in enumerate(graph.nodes) if _names_gradient_of(names[i], rname, fnames, t)]
            if not found:
                raise ValueError(f"draw_backward: highlight {k} (shape {getattr(t, 'shape', None)}) has no "
                                 "gradient in the drawn backward graph")
            targets += found
        bold = path_edges(graph, [graph.index[id(seed)]], targets)
    caption = (f"backward graph of d{rname}: solid = recorded gradient computation, dashed = forward values;"
               f" colour = |adjoint| (rms), white {L.num(scale.low)} .. red {L.num(scale.high)}")
    canvas = Canvas()
    shown = emit(canvas, graph, views, drawn, bold)
    canvas.rankdir = rankdir or choose_rankdir(canvas, prefer="TB")
    picture = canvas.finish(title, caption)
    picture.boxes = {id(graph.nodes[i]): box for i, box in shown.items()}  # tensor -> its DOT node
    picture.tensor_of = {box: graph.nodes[i] for i, box in shown.items()}  # and back (the explorer)
    picture.record = records[0]  # the engine's record of the pass drawn: the explorer's stepper
    picture.forward, picture.forward_names = forward, fnames  # the forward graph it reads, its names
    return picture


def _adjoint_names(record, rname: str, fnames: dict) -> dict[int, list[str]]:
    """id(backward tensor) -> what it is the gradient of, from the engine's record of the pass:
    the adjoint each VJP received (dC/dtanh2), and each part of a gradient that several parts sum to
    (dC/dtheta via tanh1)."""
    names: dict[int, list[str]] = {}
    for step in record.steps:
        names.setdefault(id(step.adjoint), []).append(f"d{rname}/d{fnames[id(step.node)]}")
    parts: dict[int, int] = {}  # id(input) -> how many parts its gradient is the sum of
    for step in record.steps:
        for send in step.sends:
            parts[id(send.input)] = parts.get(id(send.input), 0) + 1
    for step in record.steps:
        for send in step.sends:
            if id(send.grad) not in names and parts[id(send.input)] > 1:
                names[id(send.grad)] = [f"d{rname}/d{fnames[id(send.input)]} via {fnames[id(step.node)]}"]
    return names


def _names_gradient_of(name: str, rname: str, fnames: dict, t) -> bool:
    want = f"d{rname}/d{fnames.get(id(t), '?')}"
    return want in name.split(" = ")


def _backward_names(graph: Graph, seed: Tensor, fnames: dict, rname: str, adjoint_names: dict):
    """A name per backward node, its formula (forward values and constants only) and whether it
    depends on the seed (a running adjoint) or not (a local derivative)."""
    names, exprs, on_path = [], [], []
    for t in graph.nodes:
        if t is seed:  # where the backward pass starts: d root / d root = 1
            names.append(f"seed d{rname}/d{rname}")
            exprs.append(None)
            on_path.append(True)
        elif id(t) in fnames:  # a forward value that a VJP reads
            names.append(fnames[id(t)])
            exprs.append((fnames[id(t)], 3))
            on_path.append(False)
        elif t.op is None:  # a constant made by a VJP
            names.append(L.num(t.data.item()) if t.size == 1 else "constant")
            exprs.append((names[-1], 3) if t.size == 1 else None)
            on_path.append(False)
        else:  # a recorded step of the gradient computation
            parent_idx = [graph.index[id(p)] for p in t.parents]
            exprs.append(_expression(t, [exprs[j] for j in parent_idx]))
            on_path.append(any(on_path[j] for j in parent_idx))
            if on_path[-1]:
                exprs[-1] = None
                known = adjoint_names.get(id(t))
                names.append(" = ".join(known[:2]) if known else t.op)
            else:
                names.append(exprs[-1][0] if exprs[-1] else t.op)
    return names, exprs, on_path
