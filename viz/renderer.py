"""Rendering with a real `dot`: the system's Graphviz, or else the pip-installed graphviz-pure.

The graphviz package runs a program called `dot`. tracegrad depends on the graphviz-pure wheel, a
port of Graphviz whose program is called `graphviz-pure`; when no `dot` is on PATH, the graphviz
package is pointed at it (a system Graphviz, when present, wins). Labels are ASCII, so no renderer
prints font-width warnings.
"""

from __future__ import annotations

import re
import shutil
import sys
import sysconfig
from pathlib import Path

import graphviz
import graphviz.backend.dot_command as dot_command

from viz.layout import SLIDE, fit_html, fitted_scale, resized, smallest_label, svg_size


class RendererNotFound(RuntimeError):
    """No `dot` program could be found; the DOT text (`.source`) is still usable."""


def find_renderer() -> Path | None:
    """The `dot` on PATH, else the graphviz-pure program next to this Python (or on PATH), else None."""
    system = shutil.which("dot")
    if system:
        return Path(system)
    for folder in (sysconfig.get_path("scripts"), str(Path(sys.executable).parent)):
        candidate = shutil.which("graphviz-pure", path=folder)
        if candidate:
            return Path(candidate)
    found = shutil.which("graphviz-pure")
    return Path(found) if found else None


def use_renderer() -> Path:
    """Point the graphviz package at a working renderer and return it; raise RendererNotFound if none."""
    found = find_renderer()
    if found is None:
        raise RendererNotFound(
            "no Graphviz renderer found: install tracegrad with pip (it brings the graphviz-pure "
            "wheel), or `pip install graphviz-pure`, or install Graphviz so that `dot` is on PATH. "
            "The graph's DOT text is still available as `.source`."
        )
    if found.name != "dot":
        dot_command.DOT_BINARY = found
    return found


class Picture(graphviz.Digraph):
    """A graphviz.Digraph that finds its renderer itself (shown inline in Jupyter, rendered to files).

    In Jupyter it is shown as inline SVG scaled to the cell's width (no scroll box; hovering a node
    shows its tooltip). Without any renderer, showing or rendering raises RendererNotFound (saying how
    to get one), while `.source` (the DOT text) works as always.
    """

    def _repr_mimebundle_(self, include=None, exclude=None, **_):
        svg = self.pipe(format="svg", encoding="utf-8")
        return {"text/html": fit_html(svg), "image/svg+xml": svg, "text/plain": repr(self)}

    def _repr_html_(self):
        return fit_html(self.pipe(format="svg", encoding="utf-8"))

    def pipe(self, *args, **kwargs):
        use_renderer()
        return super().pipe(*args, **kwargs)

    def render(self, *args, **kwargs):
        use_renderer()
        return super().render(*args, **kwargs)


def _slide_layout(graph: graphviz.Digraph) -> tuple[graphviz.Digraph, str]:
    """Of the graph drawn left to right and top to bottom, the one whose text is bigger on a slide."""
    best = None
    for rankdir in ("LR", "TB"):
        candidate = graph.copy()
        candidate.graph_attr["rankdir"] = rankdir
        svg = candidate.pipe(format="svg", encoding="utf-8", quiet=True)
        size = smallest_label(svg, SLIDE)
        if best is None or size > best[0] * 1.02:  # the graph's own direction wins a near tie
            best = (size, candidate, svg)
    return best[1], best[2]


def _pdf(svg) -> bytes:
    """A vector PDF of an SVG, or of several SVGs one page each (text stays text, so it can be searched
    and copied): fpdf2's SVG reader; each page is the size of its picture."""
    from fpdf import FPDF
    from fpdf.svg import SVGObject

    pdf = None
    for one in [svg] if isinstance(svg, str) else list(svg):
        # fpdf2 draws shapes and text; links and tooltips mean nothing on paper (and it would skip what
        # is inside a link), so the SVG's <a> wrappers are unwrapped and its <title>s dropped first.
        one = re.sub(r"<title>.*?</title>", "", one, flags=re.S)
        one = re.sub(r"</?a\b[^>]*>", "", one)
        picture = SVGObject(one)
        if pdf is None:
            pdf = FPDF(unit="pt", format=(picture.width, picture.height))
            pdf.set_margin(0)
            pdf.set_creator("tracegrad")
        pdf.add_page(format=(picture.width, picture.height))
        picture.draw_to_page(pdf, 0, 0)
    return bytes(pdf.output())


FORMATS = ("svg", "png", "pdf")


def render(graph: graphviz.Digraph, path, formats=("svg", "png"), size: str | None = None) -> list[Path]:
    """Write `graph` as path.svg, path.png, path.pdf (for the given formats); returns the files written.
    A list of graphs (frames) is written as render_frames writes it.

    size="slide": lay out for a 16:9 slide (left to right or top to bottom, whichever keeps the text
    bigger) and size the SVG and PNG to fill 1920 x 1080 px; the PDF is vector, its page the picture.
    PDF comes from the SVG through fpdf2, so it needs no system Graphviz or Cairo.
    """
    if isinstance(graph, (list, tuple)):  # frames (viz.backward_steps): numbered files, one PDF
        return render_frames(graph, path, formats, size)
    formats = _checked(formats, size, "render")
    use_renderer()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if size == "slide":
        graph, svg = _slide_layout(graph)
        scale = fitted_scale(svg, SLIDE)
    else:
        svg, scale = graph.pipe(format="svg", encoding="utf-8", quiet=True), None
    written = []
    for fmt in formats:
        out = path.parent / f"{path.name}.{fmt}"  # appended, so "theta0.5" keeps its ".5"
        if fmt == "svg":
            out.write_text(svg if scale is None else _sized(svg, scale), encoding="utf-8")
        elif fmt == "pdf":
            out.write_bytes(_pdf(svg))
        else:
            out.write_bytes(_bitmap(graph, fmt, scale))
        written.append(out)
    return written


def _bitmap(graph: graphviz.Digraph, fmt: str, scale: float | None) -> bytes:
    """A PNG (or other bitmap) of `graph`, `scale` times its natural size (None: natural size)."""
    if scale is not None:
        graph = graph.copy()
        graph.graph_attr["dpi"] = f"{72 * scale:.2f}"
    return graph.pipe(format=fmt, quiet=True)


def _sized(svg: str, scale: float) -> str:
    """The SVG with its width and height set to `scale` times its natural size, in px."""
    w, h = svg_size(svg)
    return resized(svg, f'width="{w * scale:.0f}px" height="{h * scale:.0f}px"')


def _checked(formats, size, who: str) -> tuple[str, ...]:
    formats = (formats,) if isinstance(formats, str) else tuple(formats)
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise ValueError(f"{who}: formats must be among {FORMATS}; got {formats!r}")
    if size not in (None, "slide"):
        raise ValueError(f"{who}: size must be None or 'slide'; got {size!r}")
    return formats


def render_frames(frames, path_stem, formats=("svg", "png"), size: str | None = None) -> list[Path]:
    """Write pictures of the same graph (viz.backward_steps) as numbered files stem-01.svg, stem-01.png,
    stem-02.svg, ... and, for "pdf", one PDF stem.pdf with a page per frame; returns the files written
    (grouped by format, frames in order).

    size="slide": the layout (left to right or top to bottom) is chosen once, on the first frame, and
    used for every frame, so that nothing jumps from one frame to the next; SVG and PNG fill 1920 x 1080.
    """
    frames = list(frames)
    if not frames:
        raise ValueError("render_frames: no frames to write")
    for k, f in enumerate(frames):
        if not isinstance(f, graphviz.Digraph):
            raise TypeError(f"render_frames: frame {k} is a {type(f).__name__}, not a graphviz.Digraph")
    formats = _checked(formats, size, "render_frames")
    use_renderer()
    stem = Path(path_stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    scale = None
    if size == "slide":
        first, svg = _slide_layout(frames[0])
        scale = fitted_scale(svg, SLIDE)
        laid = []
        for f in frames:
            f = f.copy()
            f.graph_attr["rankdir"] = first.graph_attr["rankdir"]
            laid.append(f)
        frames = laid
    svgs = [f.pipe(format="svg", encoding="utf-8", quiet=True) for f in frames]
    digits = max(2, len(str(len(frames))))
    written = []
    for fmt in formats:
        if fmt == "pdf":
            out = stem.parent / f"{stem.name}.pdf"
            out.write_bytes(_pdf(svgs))
            written.append(out)
            continue
        for k, (frame, svg) in enumerate(zip(frames, svgs), start=1):
            out = stem.parent / f"{stem.name}-{k:0{digits}d}.{fmt}"
            if fmt == "svg":
                out.write_text(svg if scale is None else _sized(svg, scale), encoding="utf-8")
            else:
                out.write_bytes(_bitmap(frame, fmt, scale))
            written.append(out)
    return written
