"""Rendering with a real `dot`: the system's Graphviz, or else the pip-installed graphviz-pure.

The graphviz package runs a program called `dot`. tracegrad depends on the graphviz-pure wheel, a
port of Graphviz whose program is called `graphviz-pure`; when no `dot` is on PATH, the graphviz
package is pointed at it (a system Graphviz, when present, wins). Labels are ASCII, so no renderer
prints font-width warnings.
"""

from __future__ import annotations

import shutil
import sys
import sysconfig
from pathlib import Path

import graphviz
import graphviz.backend.dot_command as dot_command


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

    Without any renderer, showing or rendering raises RendererNotFound (saying how to get one), while
    `.source` (the DOT text) works as always.
    """

    def pipe(self, *args, **kwargs):
        use_renderer()
        return super().pipe(*args, **kwargs)

    def render(self, *args, **kwargs):
        use_renderer()
        return super().render(*args, **kwargs)


def render(graph: graphviz.Digraph, path, formats=("svg", "png")) -> list[Path]:
    """Write `graph` as path.svg, path.png (for the given formats); returns the files written."""
    use_renderer()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        out = path.parent / f"{path.name}.{fmt}"  # appended, so "theta0.5" keeps its ".5"
        out.write_bytes(graph.pipe(format=fmt, quiet=True))
        written.append(out)
    return written
