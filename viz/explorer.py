"""The explorer: the forward and backward graphs in the browser, and a stepper through the backward pass.

    w = viz.explore(C, wrt=theta)          # a Jupyter widget (anywidget): pan, zoom, hover, click, step
    w.save_html("chain.html")              # the same, one self-contained file (no server, no network)

Python lays everything out and computes every number; the browser only shows them. `scene()` is the
whole contract between the two, as JSON:

    {"title": str,
     "views": {"forward": View, "backward": View | null, "forward_full": View | null},
     "steps": [Step, ...],        # the backward pass in the order the engine ran it
     "result": {"name": str, "value": Numbers} | null}

    View  = {"svg": str,          # Graphviz's SVG; every node group <g class="node"> carries
                                  # data-name (its drawn name) and data-id (its DOT name)
             "nodes": {DOT name: Node},  "edges": [[from DOT name, to DOT name], ...]}
    Node  = {"name": str, "kind": "value" | "op" | "module", "op": str | null, "shape": [int],
             "value": Numbers | null, "grad": Numbers | null, "rule": str | null,
             "chain": {"terms": [{"from": str, "value": Numbers}], "total": Numbers} | null,
             "local": [{"input": str, "value": float}] | null,   # d node / d input, one-element tensors
             "module": str | null}           # for a module box: the path whose ops it stands for
    Numbers = {"shape": [int], "grid": [[float]] | null,   # all numbers of a small tensor (2-d)
               "maps": [{"index": str, "grid": [[float]]}] | null,  # 2-d slices of a big one, for heatmaps
               "rms": float, "min": float, "max": float}
    Step  = {"k": int, "node": str, "op": str,
             "node_id": DOT name in forward (in forward_full when there is one) | null,
             "adjoint": {"id": DOT name in backward | null, "name": str, "value": Numbers},
             "sends": [{"to": str, "to_id": DOT name in forward | null,
                        "grad": {"id": backward DOT name | null, "value": Numbers},  # to_id: as node_id
                        "total": {"id": backward DOT name | null, "value": Numbers},
                        "accumulated": bool}]}

The steps come from the engine's record of the pass (autograd.record_backward), never from
JavaScript. The JavaScript is one ES module kept in three files beside this file (JS_PARTS, joined in
order: no build step) and keeps to a small DOM contract: buttons named "Previous step", "Next step"
and "Fit", a region labelled "Inspector", a text "step k of K".
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import numpy as np

from autograd import Tensor
from viz import labels as L
from viz.dot import draw_backward, draw_forward
from viz.modules import module_clusters, parameter_names
from viz.trace import trace

HERE = Path(__file__).parent
MAX_MAP = 32  # side of a heatmap sent to the browser (bigger maps are subsampled)
MAX_MAPS = 6  # 2-d slices sent per tensor
# The explorer's JavaScript: one ES module split by concept, joined in this order (they share top-level
# names and import nothing; only the last has the default export): helpers and number views, the graph
# pane, the explorer itself.
JS_PARTS = ("explore_numbers.js", "explore_graph.js", "explore.js")


def numbers(a, maps: bool = True) -> dict:
    """A tensor's numbers for the browser: every number of a small one, heatmaps of a big one
    (maps=False: only its statistics)."""
    a = np.asarray(a, dtype=np.float64)
    out = {"shape": list(a.shape), "grid": None, "maps": None, "rms": _round(L.rms(a)),
           "min": _round(a.min()) if a.size else 0.0, "max": _round(a.max()) if a.size else 0.0}
    if a.size == 0:
        return out
    if a.ndim <= 1 and a.size <= 36:
        out["grid"] = _rounded(a.reshape(1, -1))
    elif a.ndim >= 2 and L.printable(a.shape) and a.size <= 36:
        out["grid"] = _rounded(a.reshape(-1, a.shape[-1]))  # leading axes of ones (N = C = 1) dropped
    if maps and a.ndim >= 2 and out["grid"] is None:
        maps = []
        for idx in list(np.ndindex(*a.shape[:-2]))[:MAX_MAPS]:
            m = a[idx]
            step = max(1, -(-max(m.shape) // MAX_MAP))  # subsample a big map to at most 64 x 64
            maps.append({"index": "[" + ", ".join(map(str, idx)) + "]" if idx else "",
                         "grid": _rounded(m[::step, ::step])})
        out["maps"] = maps
    return out


def _round(x) -> float | None:
    x = float(x)
    if not np.isfinite(x):
        return None if np.isnan(x) else (1e308 if x > 0 else -1e308)
    return float(f"{x:.8g}")  # the browser rounds once, for display: send more digits than it shows


def _rounded(a: np.ndarray) -> list:
    return [[_round(v) for v in row] for row in a]


def _rule(t: Tensor) -> str | None:
    """The VJP formula of t's primitive: the first line of its Function's docstring."""
    fn = getattr(t, "_fn", None)
    doc = getattr(fn, "__doc__", None) if fn is not None else None
    return doc.strip().splitlines()[0] if doc else None


def _tag_svg(svg: str, drawn: dict[str, str]) -> str:
    """Give every node group of Graphviz's SVG its drawn name (data-name) and DOT name (data-id)."""
    def tag(m: re.Match) -> str:
        dot_id = html.unescape(m.group(3))
        name = html.escape(drawn.get(dot_id, dot_id), quote=True)
        return f'{m.group(1)} data-id="{html.escape(dot_id, quote=True)}" data-name="{name}">{m.group(2)}'

    svg = svg[svg.index("<svg"):]
    return re.sub(r'(<g id="[^"]*" class="node")>(\s*<title>([^<]*)</title>)', tag, svg)


def _view(picture, nodes: dict[str, dict]) -> dict:
    svg = picture.pipe(format="svg", encoding="utf-8")
    return {"svg": _tag_svg(svg, picture.drawn), "nodes": nodes,
            "edges": [list(e) for e in getattr(picture, "arrows", [])]}


def _chain_terms(record, names: dict[int, str]) -> dict[int, dict]:
    """For every tensor that received gradient: what each consumer sent it, and their sum."""
    out: dict[int, dict] = {}
    for step in record.steps:
        for s in step.sends:
            entry = out.setdefault(id(s.input), {"terms": [], "total": None})
            entry["terms"].append({"from": names.get(id(step.node), step.node.op or "?"),
                                   "value": numbers(s.grad.data)})
            entry["total"] = numbers(s.total.data)
    return out


def _local_derivatives(record, names: dict[int, str]) -> dict[int, list]:
    """d node / d input of one-element nodes: what the VJP sent divided by the adjoint it received."""
    out: dict[int, list] = {}
    for step in record.steps:
        g = step.adjoint.data
        if g.size != 1 or float(g) == 0.0:
            continue
        for s in step.sends:
            if s.grad.data.size == 1:
                out.setdefault(id(step.node), []).append(
                    {"input": names.get(id(s.input), "?"), "value": _round(float(s.grad.data) / float(g))})
    return out


def scene(root: Tensor, wrt=None, modules=None, values: bool = True, title: str | None = None) -> dict:
    """Everything the explorer shows, as plain data (see the module docstring)."""
    graph = trace(root)
    names = dict(zip((id(t) for t in graph.nodes), L.value_names(graph, parameter_names(modules))))
    wants_grad = root.requires_grad and root.size == 1
    # nothing folded: every node the stepper visits must be drawn
    forward = draw_forward(root, values=values, modules=modules, collapse=0)
    backward = draw_backward(root, wrt=wrt, values=values, collapse=0) if wants_grad else None
    record = backward.record if backward is not None else None
    chain = _chain_terms(record, names) if record is not None else {}
    local = _local_derivatives(record, names) if record is not None else {}
    grads = forward.gradients  # d root / d node, as the drawing computed them (empty without one)
    fnodes = {}
    clusters = module_clusters(graph, modules)  # node index -> the module path that made it
    for box, t in forward.tensor_of.items():
        fnodes[box] = {"name": names[id(t)], "kind": "value", "op": t.op, "shape": list(t.shape),
                       "value": numbers(t.data), "grad": numbers(grads[id(t)]) if id(t) in grads else None,
                       "rule": _rule(t), "chain": chain.get(id(t)), "local": local.get(id(t)),
                       "module": clusters.get(graph.index[id(t)])}
    for dot_id, name in forward.drawn.items():
        if dot_id not in fnodes:
            fnodes[dot_id] = {"name": name, "kind": "op" if name.startswith("op ") else "value", "op": None,
                              "shape": [], "value": None, "grad": None, "rule": None, "chain": None,
                              "module": None}
    views = {"forward": _view(forward, fnodes), "backward": None, "forward_full": None}
    if modules is not None:
        folded = draw_forward(root, values=values, modules=modules, depth=1)
        mnodes = {d: {"name": n, "kind": "module" if ": " in n else "value", "op": None, "shape": [],
                      "value": None, "grad": None, "rule": None, "chain": None,
                      "module": n.split(":")[0] if ": " in n else None} for d, n in folded.drawn.items()}
        views["forward_full"] = views["forward"]
        views["forward"] = _view(folded, mnodes)
    steps, result = [], None
    if backward is not None:
        bnames = {}
        bnodes = {}
        for d, n in backward.drawn.items():
            t = backward.tensor_of.get(d)
            bnodes[d] = {"name": n, "kind": "op" if n.startswith("op ") else "value",
                         "op": None if t is None else t.op, "shape": [] if t is None else list(t.shape),
                         "value": None if t is None else numbers(t.data), "grad": None,
                         "rule": None if t is None else _rule(t), "chain": None, "module": None}
        views["backward"] = _view(backward, bnodes)
        for tid, box in backward.boxes.items():
            bnames[tid] = box
        for k, step in enumerate(record.steps, start=1):
            sends = [{"to": names.get(id(s.input), "?"), "to_id": forward.boxes.get(id(s.input)),
                      "grad": {"id": bnames.get(id(s.grad)), "value": numbers(s.grad.data, maps=False)},
                      "total": {"id": bnames.get(id(s.total)), "value": numbers(s.total.data, maps=False)},
                      "accumulated": s.accumulated} for s in step.sends]
            steps.append({"k": k, "node": names.get(id(step.node), "?"), "op": step.node.op,
                          "node_id": forward.boxes.get(id(step.node)),
                          "adjoint": {"id": bnames.get(id(step.adjoint)),
                                      "name": f"d{names[id(root)]}/d{names.get(id(step.node), '?')}",
                                      "value": numbers(step.adjoint.data, maps=False)},
                          "sends": sends})
        wrt_list = [wrt] if isinstance(wrt, Tensor) else list(wrt) if wrt is not None else \
            [t for t in graph.nodes if t.is_leaf and t.requires_grad]
        if len(wrt_list) == 1 and id(wrt_list[0]) in grads:
            result = {"name": f"d{names[id(root)]}/d{names[id(wrt_list[0])]}",
                      "value": numbers(grads[id(wrt_list[0])])}
    return {"title": title or f"{names[id(root)]}: forward and backward", "views": views, "steps": steps,
            "result": result}


def _module_source() -> str:
    """The explorer's ES module: the JS_PARTS joined in order, with its one default export at the end."""
    parts = [(HERE / name).read_text(encoding="utf-8") for name in JS_PARTS]
    if [p.count("export default") for p in parts] != [0] * (len(parts) - 1) + [1]:
        raise RuntimeError(f"viz: only the last of {JS_PARTS} may, and must, say `export default` once")
    return "\n".join(parts)


def _css() -> str:
    return (HERE / "explore.css").read_text(encoding="utf-8")


def standalone_html(data: dict) -> str:
    """One self-contained page: the scene, the stylesheet and the module inline; no network."""
    js = _module_source().replace("export default", "const tracegradExplorer =", 1)
    payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(data.get("title", "tracegrad"))}</title>
<style>{_css()}</style></head>
<body><div id="tracegrad-explorer"></div>
<script id="tracegrad-scene" type="application/json">{payload}</script>
<script>
{js}
(function () {{
  const scene = document.getElementById("tracegrad-scene").textContent;
  const model = {{ get: (key) => (key === "scene" ? scene : null), on: () => {{}}, off: () => {{}} }};
  tracegradExplorer.render({{ model, el: document.getElementById("tracegrad-explorer") }});
}})();
</script></body></html>
"""


def _widget_class():
    import anywidget
    import traitlets

    class Explorer(anywidget.AnyWidget):
        """The explorer as a Jupyter widget; `save_html(path)` writes the same as one standalone file."""

        _esm = _module_source()  # the joined parts: anywidget takes one module, as a string
        _css = HERE / "explore.css"
        scene = traitlets.Unicode("{}").tag(sync=True)

        def save_html(self, path) -> Path:
            path = Path(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(standalone_html(json.loads(self.scene)), encoding="utf-8")
            return path

    return Explorer


def explore(root: Tensor, wrt=None, modules=None, values: bool = True, title: str | None = None):
    """The explorer widget of `root`'s forward graph and, when root has one element, its backward pass."""
    if not isinstance(root, Tensor):
        raise TypeError(f"explore: root must be a Tensor, got {type(root).__name__}")
    data = scene(root, wrt=wrt, modules=modules, values=values, title=title)
    return _widget_class()(scene=json.dumps(data, separators=(",", ":")))
