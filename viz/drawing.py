"""From drawn boxes and arrows to DOT text: node labels (plain or with number grids), clusters, caption.

    c = Canvas(rankdir="LR")
    c.box("n0", ["theta", "value 0.5"], tooltip="theta; leaf; shape ()")
    c.box("n1", ["W"], matrices=[("value", np.eye(2))])     # an HTML-like label with a grid of numbers
    c.edge("n0", "n1", bold=True)                            # on a highlighted path
    picture = c.finish(title="my graph", caption="colour = |grad|")

Fonts are large (14 pt for values, 12 for ops and the caption) because every picture is meant to be
shown scaled down, in a notebook cell or on a slide; the gaps between nodes are kept small for the
same reason. Highlighted paths are drawn bold and dark. Output is deterministic: statements come out
in the order they were added.
"""

from __future__ import annotations

import numpy as np

from viz.labels import html, matrix_rows, plain, slices
from viz.renderer import Picture

FADED = "#9a9a9a"
BACKWARD = "#1f5fa8"
PATH = "#1a1a1a"
VALUE_FONT, OP_FONT = "14", "12"


def html_label(lines: list[str], matrices: list[tuple[str, np.ndarray]]) -> str:
    """An HTML-like label: text lines, then for each (heading, array) the heading and its number grid."""
    rows = [f"<TR><TD>{html(line)}</TD></TR>" for line in lines]
    for heading, array in matrices:
        shown, left = slices(array)
        for index, a in shown:
            rows.append(f"<TR><TD>{html((heading + ' ' + index).strip())}</TD></TR>")
            cells = "".join("<TR>" + "".join(f'<TD ALIGN="RIGHT">{v}</TD>' for v in row) + "</TR>"
                            for row in matrix_rows(a))
            rows.append('<TR><TD><TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3" '
                        f'COLOR="#b0b0b0">{cells}</TABLE></TD></TR>')
        if left:
            rows.append(f"<TR><TD>(+{left} more slices)</TD></TR>")
    return '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">' + "".join(rows) + "</TABLE>>"


class Canvas:
    """Collects boxes (values), ovals (ops) and arrows, then writes them as one Picture."""

    def __init__(self, rankdir: str = "LR"):
        self.rankdir = rankdir
        self.items: list[tuple[str | None, str, dict]] = []  # (cluster, node name, attributes)
        self.drawn: dict[str, str] = {}  # DOT node name -> its drawn name (what a reader calls it)
        self.edges: list[tuple[str, str, dict]] = []
        self.cluster_order: list[str] = []

    def _add(self, name: str, cluster: str | None, attrs: dict) -> None:
        if cluster is not None and cluster not in self.cluster_order:
            self.cluster_order.append(cluster)
        self.items.append((cluster, name, attrs))

    def box(self, name: str, lines: list[str], *, matrices=(), cluster: str | None = None,
            tooltip: str | None = None, bold: bool = False, **attrs) -> None:
        """A value: its text lines, and number grids for `matrices` [(heading, array), ...]."""
        label = html_label(lines, list(matrices)) if matrices else plain("\n".join(lines))
        self.drawn[name] = lines[0] if lines else name
        attrs = {"label": label, "shape": "box", "fontsize": VALUE_FONT, **attrs}
        if tooltip:
            attrs["tooltip"] = plain(tooltip)
        if bold:
            attrs["penwidth"] = "3"
        self._add(name, cluster, attrs)

    def oval(self, name: str, text: str, *, cluster: str | None = None, tooltip: str | None = None,
             bold: bool = False, **attrs) -> None:
        """An op: its name (and parameters) in a small ellipse."""
        self.drawn[name] = "op " + text.split("\n")[0]
        attrs = {"label": plain(text), "shape": "ellipse", "fontsize": OP_FONT, "margin": "0.04,0.02",
                 "height": "0.3", **attrs}
        if tooltip:
            attrs["tooltip"] = plain(tooltip)
        if bold:
            attrs["penwidth"] = "3"
        self._add(name, cluster, attrs)

    def edge(self, src: str, dst: str, *, bold: bool = False, **attrs) -> None:
        if bold:
            attrs = {**attrs, "penwidth": "3", "color": PATH, "arrowsize": "0.8"}
        self.edges.append((src, dst, attrs))

    def finish(self, title: str | None = None, caption: str | None = None) -> Picture:
        """The Picture: title and caption as the graph's label (one line each), clusters dashed."""
        dot = Picture(
            graph_attr={"rankdir": self.rankdir, "fontname": "Helvetica", "fontsize": OP_FONT,
                        "nodesep": "0.18", "ranksep": "0.25", "margin": "0.05"},
            node_attr={"fontname": "Helvetica", "margin": "0.08,0.04", "height": "0.3", "width": "0.3"},
            edge_attr={"arrowsize": "0.6"},
        )
        # a long caption is cut at its "; " into lines: a picture is never wider than its graph for it
        text = [title] if title else []
        if caption:
            text += caption.split("; ") if len(caption) > 60 else [caption]
        if text:
            dot.attr(label=plain("\n".join(text)), labelloc="t")
        for cluster, name, attrs in self.items:
            if cluster is None:
                dot.node(name, **attrs)
        for k, path in enumerate(self.cluster_order):
            with dot.subgraph(name=f"cluster_{k}") as sub:
                sub.attr(label=plain(path), style="rounded,dashed", color="#7a7a7a", fontcolor="#4a4a4a")
                for cluster, name, attrs in self.items:
                    if cluster == path:
                        sub.node(name, **attrs)
        for src, dst, attrs in self.edges:
            dot.edge(src, dst, **attrs)
        dot.drawn = dict(self.drawn)  # for the explorer: which SVG node is which
        dot.arrows = [(src, dst) for src, dst, _ in self.edges]
        return dot
