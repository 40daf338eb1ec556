"""What a drawn node says: its name, its numbers (a matrix for a small tensor), a labelled statistic.

    matrix_rows(np.eye(2))            # [['1', '0'], ['0', '1']]: 4 significant digits, as the seed prints
    statistic("grad", big_array)      # 'rms grad 0.012': a big tensor's size, said for what it is
    value_names(graph)                # ['theta', 'tanh1', ...]: a short name for every node

A tensor is small enough to print when each 2-d slice is at most 6 x 6 (a vector: at most 10 long);
of a 3-d or 4-d tensor the first few slices are printed, headed by their index ([0, 1]). Labels are
plain ASCII; names may hold any character: `plain()` and `html()` escape them for DOT.
"""

from __future__ import annotations

import html as _html
import itertools

import numpy as np

from viz.trace import Graph

MAX_SIDE = 6  # rows and columns of one printed 2-d slice
MAX_VECTOR = 10  # entries of a printed 1-d tensor
MAX_SLICES = 3  # 2-d slices printed of a 3-d or 4-d tensor


def num(x: float) -> str:
    """A number with 4 significant digits; integers without a decimal point (77, not 77.0)."""
    x = float(x)
    if x == 0:
        return "0"  # also -0.0
    return f"{x:.4g}"


def plain(text: str) -> str:
    """Text for a plain DOT label: backslashes doubled, so that `\\lambda` is drawn as typed."""
    return text.replace("\\", "\\\\")


def html(text: str) -> str:
    """Text for an HTML-like DOT label."""
    return _html.escape(text, quote=True)


def rms(a) -> float:
    """The root-mean-square of a tensor: its typical entry, comparable across sizes."""
    a = np.asarray(a, dtype=np.float64)
    return float(np.sqrt(np.mean(a * a))) if a.size else 0.0


def statistic(what: str, a) -> str:
    """'rms grad 0.012': the number drawn for a tensor too big to print, labelled."""
    return " ".join(["rms", what, num(rms(a))] if what else ["rms", num(rms(a))])


def printable(shape: tuple[int, ...]) -> bool:
    """Whether a tensor of this shape is drawn as numbers (values=True)."""
    if len(shape) == 0 or 0 in shape:
        return False
    if len(shape) == 1:
        return shape[0] <= MAX_VECTOR
    return len(shape) <= 4 and shape[-1] <= MAX_SIDE and shape[-2] <= MAX_SIDE


def matrix_rows(a: np.ndarray) -> list[list[str]]:
    """A 1-d or 2-d array as rows of formatted numbers."""
    a = np.asarray(a)
    a = a.reshape(1, -1) if a.ndim == 1 else a
    return [[num(v) for v in row] for row in a.astype(np.float64)]


def slices(a: np.ndarray) -> tuple[list[tuple[str, np.ndarray]], int]:
    """The 2-d slices to print, each with its index ('' for a 1-d or 2-d array), and how many are left."""
    a = np.asarray(a)
    if a.ndim <= 2 or all(n == 1 for n in a.shape[:-2]):
        return [("", a.reshape(a.shape[-2:]) if a.ndim > 2 else a)], 0
    lead = list(itertools.product(*(range(n) for n in a.shape[:-2])))
    shown = [("[" + ", ".join(map(str, idx)) + "]", a[idx]) for idx in lead[:MAX_SLICES]]
    return shown, len(lead) - len(shown)


def shape_text(shape) -> str:
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def is_constant(t) -> bool:
    """A scalar leaf with no name that needs no gradient: drawn inside the op that reads it (mul(., 3))."""
    return t._fn is None and not t.name and not t.requires_grad and t.data.size == 1


def value_names(graph: Graph, known: dict[int, str] | None = None, root: str | None = None) -> list[str]:
    """A short name per node: `known[id]` or its own name, else op and a per-op count (tanh1, tanh2, ...).

    Unnamed leaves are "param" (requires grad), their value (one element) or "input". An unnamed root
    is called `root` when given (default: "L" for one element, the reader's name for a loss, else "y"),
    so that legends and gradient names read d L / d conv1.weight rather than d neg1 / d ....
    """
    known = known or {}
    counts: dict[str, int] = {}
    roots = set(graph.roots)
    names = []
    for i, t in enumerate(graph.nodes):
        if id(t) in known or t.name:
            names.append(known.get(id(t)) or t.name)
        elif i in roots and t.op is not None and len(roots) == 1:
            names.append(root or ("L" if t.size == 1 else "y"))
        elif t.op is None:
            names.append("param" if t.requires_grad else num(t.data.item()) if t.size == 1 else "input")
        else:
            counts[t.op] = counts.get(t.op, 0) + 1
            names.append(f"{t.op}{counts[t.op]}")
    return names


# conv settings, said only when not these
_DEFAULTS = {"stride": (1, 1), "padding": (0, 0), "output_padding": (0, 0), "dilation": (1, 1)}


def index_text(index) -> str:
    """A basic index as NumPy code writes it: (slice(None), slice(0, 3), 1) -> '[:, 0:3, 1]'."""
    def one(e) -> str:
        if isinstance(e, slice):
            text = ("" if e.start is None else str(e.start)) + ":" + ("" if e.stop is None else str(e.stop))
            return text + ("" if e.step is None else f":{e.step}")
        return "..." if e is Ellipsis else str(e)

    return "[" + ", ".join(one(e) for e in (index if isinstance(index, tuple) else (index,))) + "]"


def params_text(params: dict) -> str:
    """An op's keyword arguments, short (index arrays, masks and default conv settings are left out)."""
    parts = []
    for k, v in params.items():
        if k in _DEFAULTS and v == _DEFAULTS[k]:
            continue
        if isinstance(v, np.ndarray) or (isinstance(v, tuple) and any(isinstance(e, np.ndarray) for e in v)):
            continue
        if k == "index":
            text = index_text(v)
        elif isinstance(v, np.dtype):
            text = f"{k}={v.name}"
        else:
            text = f"{k}={v}"
        parts.append(text if len(text) <= 24 else text[:21] + "...")
    return ", ".join(parts)


def tooltip(name: str, op: str | None, shape, value, grad) -> str:
    """What hovering a node shows: its name, op, shape, value and gradient (a statistic when big)."""
    parts = [name, f"op {op}" if op else "leaf", f"shape {shape_text(shape)}"]
    for what, a in (("value", value), ("grad", grad)):
        if a is None:
            continue
        a = np.asarray(a)
        parts.append(f"{what} {num(a.item())}" if a.size == 1 else statistic(what, a))
    return "; ".join(parts)
