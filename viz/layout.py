"""Fit: pictures that stay legible in a notebook cell and on a 16:9 slide.

    choose_rankdir(canvas)            # "LR" or "TB": whichever estimate fits a 16:9 frame with bigger text
    smallest_label(svg, (1920, 1080)) # the smallest text's height in px once the picture fills the frame
    fit_html(svg)                     # the SVG scaled to its container's width (Jupyter shows this)

A picture is always shown scaled: to the width of a notebook cell, or to fill a slide. What matters
is then the height of its smallest text after scaling, which the layout decides: a long chain drawn
left to right becomes a thin strip whose text shrinks to nothing on a slide, the same chain top to
bottom a thin column. `choose_rankdir` estimates both layouts from the labels' sizes (no renderer
needed, so the choice is deterministic) and `viz.render(..., size="slide")` measures both for real.
"""

from __future__ import annotations

import re

SLIDE = (1920, 1080)
CELL = (1100, 1100)  # a notebook cell at a 1400 px window (a screen's height of it)
_PT_PER_CHAR = 0.56  # Helvetica's average advance, in font sizes
_RANKSEP, _NODESEP, _PAD = 18.0, 13.0, 12.0  # points: Canvas's ranksep 0.25in, nodesep 0.18in, margins


def _box_size(attrs: dict) -> tuple[float, float]:
    """Estimated (width, height) in points of a drawn node's label."""
    size = float(attrs.get("fontsize", 14))
    label = attrs.get("label", "")
    if label.startswith("<<"):  # an HTML label: rows of text and of numbers
        rows = re.findall(r"<TR>(.*?)</TR>", label)
        widths = [sum(len(re.sub(r"<[^>]+>", "", c)) + 1.2 for c in re.findall(r"<TD[^>]*>(.*?)</TD>", r))
                  for r in rows]
        return max(widths, default=4) * size * _PT_PER_CHAR + _PAD, len(rows) * size * 1.35 + _PAD
    lines = label.split("\n")
    return max(len(x) for x in lines) * size * _PT_PER_CHAR + _PAD, len(lines) * size * 1.2 + _PAD


def estimate(canvas, rankdir: str) -> tuple[float, float]:
    """A rough (width, height) of the canvas laid out in `rankdir`, in points."""
    sizes = {name: _box_size(attrs) for _, name, attrs in canvas.items}
    rank = dict.fromkeys(sizes, 0)
    out: dict[str, list[str]] = {n: [] for n in sizes}
    indegree = dict.fromkeys(sizes, 0)
    for src, dst, _ in canvas.edges:
        if src in out and dst in out:
            out[src].append(dst)
            indegree[dst] += 1
    ready = [n for n, k in indegree.items() if k == 0]
    while ready:  # longest path from a source, in topological order (Kahn), no recursion
        n = ready.pop()
        for m in out[n]:
            rank[m] = max(rank[m], rank[n] + 1)
            indegree[m] -= 1
            if indegree[m] == 0:
                ready.append(m)
    along, across = {}, {}  # per rank: the largest extent along the flow, the sum across it
    for name, (w, h) in sizes.items():
        a, c = (w, h) if rankdir == "LR" else (h, w)
        along[rank[name]] = max(along.get(rank[name], 0.0), a)
        across[rank[name]] = across.get(rank[name], 0.0) + c + _NODESEP
    length = sum(along.values()) + _RANKSEP * max(len(along) - 1, 0)
    breadth = max(across.values(), default=0.0)
    return (length, breadth) if rankdir == "LR" else (breadth, length)


def choose_rankdir(canvas, prefer: str = "LR", frame=CELL) -> str:
    """The direction whose estimated layout, scaled to fill `frame`, shows text bigger (ties: prefer)."""
    scales = {}
    for rankdir in ("LR", "TB"):
        w, h = estimate(canvas, rankdir)
        scales[rankdir] = min(frame[0] / max(w, 1.0), frame[1] / max(h, 1.0))
    other = "TB" if prefer == "LR" else "LR"
    return other if scales[other] > 1.1 * scales[prefer] else prefer


def svg_size(svg: str) -> tuple[float, float]:
    """The picture's size in its own units (points for Graphviz), from the viewBox."""
    m = re.search(r'viewBox="([-\d.]+)[ ,]+([-\d.]+)[ ,]+([-\d.]+)[ ,]+([-\d.]+)"', svg)
    if m is None:
        raise ValueError("svg_size: the SVG has no viewBox")
    return float(m.group(3)), float(m.group(4))


def font_sizes(svg: str) -> list[float]:
    """The font size of every text element, in the picture's units (Graphviz's attribute, or the
    `font: 12px ...` / `font-size: 12px` style that matplotlib writes)."""
    sizes = [float(x) for x in re.findall(r'<text[^>]*font-size="([\d.]+)"', svg)]
    sizes += [float(x) for x in re.findall(r'<text[^>]*style="[^"]*font(?:-size)?:\s*([\d.]+)px', svg)]
    return sizes


def fitted_scale(svg: str, frame=SLIDE) -> float:
    """How much the picture is scaled to fill `frame` (width, height in px) keeping its proportions."""
    w, h = svg_size(svg)
    return min(frame[0] / w, frame[1] / h)


def smallest_label(svg: str, frame=SLIDE) -> float:
    """The smallest text's height in px once the picture is scaled to fill `frame`."""
    sizes = font_sizes(svg)
    return min(sizes, default=0.0) * fitted_scale(svg, frame)


def resized(svg: str, size: str) -> str:
    """The SVG with its root's width and height attributes replaced by `size` (attribute text)."""
    start = svg.index("<svg")
    end = svg.index(">", start)
    head = re.sub(r'\s(width|height)="[^"]*"', "", svg[start:end])
    return svg[:start] + head + " " + size + svg[end:]


def fit_svg(svg: str) -> str:
    """The SVG made to scale with its container: width 100% (at most its natural width), height auto."""
    w, _ = svg_size(svg)
    return resized(svg, f'width="100%" style="max-width:{w:.0f}pt;width:100%;height:auto"')


def fit_html(svg: str) -> str:
    """The SVG for a notebook: inline (so tooltips work), scaled to the cell's width, never scrolled."""
    body = fit_svg(svg[svg.index("<svg"):])
    return f'<div class="tracegrad-graph" style="max-width:100%;overflow:hidden">{body}</div>'
