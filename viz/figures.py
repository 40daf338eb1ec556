"""The seed text's Figures 3 and 4 as number grids, every number computed by the engine.

    import viz
    I = [[1, 2, 3, 4], [8, 9, 10, 11], [15, 16, 17, 18], [22, 23, 24, 25]]
    fig3 = viz.correlation_figure(I, [[5, 6], [3, 4]], at=(0, 0))           # O = I star W, O[0,0] = 77
    fig4 = viz.kernel_gradient_figure(I, [[1, -1], [2, 1]], at=(1, 1))     # J^W = I star J^O
    paths = viz.write_seed_figures("figures")                               # both, as PNG, SVG and PDF

Figure 3, cross-correlation (stride 1, no padding), indices from 0:

    O[i,j] = sum_{m,n} W[m,n] I[i+m, j+n] (+ b)        I (H, W_in), W (h, w) -> O (H-h+1, W_in-w+1)

Figure 4, the kernel's gradient for an upstream gradient J^O = dL/dO (the shape of O):

    J^W[m,n] = sum_{i,j} J^O[i,j] I[i+m, j+n] = (I star J^O)[m,n]

The window of I behind the chosen element is shaded (Rectangle patches with gid "window"), and the caption
writes its dot product out. The seed's worked element 5*1 + 6*2 + 3*8 + 4*9 is 77, not the 94 it prints
(correlate2d agrees), so Figure 3 shows 77.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from autograd import Tensor, correlate2d, grad

SEED_I = [[1, 2, 3, 4], [8, 9, 10, 11], [15, 16, 17, 18], [22, 23, 24, 25]]
SEED_W = [[5, 6], [3, 4]]  # 2x2: the seed's worked element has four products
SEED_J_O = [[1, -1], [2, 1]]

FILL, EDGE, SOFT = "#fdd49e", "#d7301f", "#fff0dc"  # window, its outline, the kernel that slides
HEADER, LEFT, BOTTOM, OP = 1.05, 0.55, 0.15, 1.1  # in cells: title and column indices, row indices, ...
DOT = "\u00b7"  # the middle dot for products: the star is cross-correlation here


def fmt(x) -> str:
    """A number as drawn: integers without '.0', others with 3 significant digits, or every digit before the
    point and one after; an exponent only from a million: 77, -0.5, 0.123, 12.3, 113.5, 1234.6."""
    x = float(x)
    if x.is_integer() and abs(x) < 1e6:
        return str(int(x))
    if not np.isfinite(x) or abs(x) >= 1e6:
        return f"{x:.3g}"
    digits = len(str(int(abs(x)))) if abs(x) >= 1 else 0
    return np.format_float_positional(x, precision=max(3, digits + 1), fractional=False, trim="-")


def number_grid(ax, values, title: str, window=None, fontsize: float = 16, fill: str = FILL):
    """Draw values (rows, cols) as square cells with the numbers centred; returns texts[r][c].

    Cell (r, c) is centred at x = c, y = r (rows downwards). window = (r0, c0, h, w) shades those cells
    (Rectangle patches with gid "window", the others gid "cell") and outlines the block (gid
    "window-outline"). Numbers are Text artists with gid "cell"; title, indices gid "title", "index".
    """
    from matplotlib.patches import Rectangle

    values = np.asarray(values, dtype=float)
    rows, cols = values.shape
    r0, c0, h, w = window if window is not None else (0, 0, 0, 0)
    texts = []
    for r in range(rows):
        texts.append([])
        for c in range(cols):
            inside = r0 <= r < r0 + h and c0 <= c < c0 + w
            ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, facecolor=fill if inside else "white",
                                   edgecolor="0.45", linewidth=1.2, gid="window" if inside else "cell"))
            texts[-1].append(ax.text(c, r, fmt(values[r, c]), ha="center", va="center", fontsize=fontsize,
                                     gid="cell"))
    if h and w:
        ax.add_patch(Rectangle((c0 - 0.5, r0 - 0.5), w, h, fill=False, edgecolor=EDGE, linewidth=3.5,
                               zorder=3, gid="window-outline"))
    for k in range(cols):
        ax.text(k, -0.62, str(k), ha="center", va="bottom", fontsize=10, color="0.45", gid="index")
    for k in range(rows):
        ax.text(-0.62, k, str(k), ha="right", va="center", fontsize=10, color="0.45", gid="index")
    ax.text((cols - 1) / 2, -1.0, title, ha="center", va="bottom", fontsize=15, gid="title")
    ax.set_xlim(-0.5 - LEFT, cols - 0.5 + 0.1)
    ax.set_ylim(rows - 0.5 + BOTTOM, -0.5 - HEADER)
    ax.set_aspect("equal")
    ax.axis("off")
    return texts


def correlation_figure(I, W, at=(0, 0), bias=None):
    """Figure 3: I, W and O = I star W as number grids; the window of I behind O[at] is shaded.

    O comes from autograd.correlate2d (stride 1, no padding; bias: one number added to every element).
    """
    who = "correlation_figure"
    I, W = _operands(who, I, W, ("I", "W"))
    if bias is not None and np.ndim(bias) != 0:
        raise ValueError(f"{who}: bias must be one number, got shape {np.shape(bias)}")
    b = None if bias is None else Tensor(np.array([float(bias)]))
    O = correlate2d(Tensor(I[None, None]), Tensor(W[None, None]), b).numpy()[0, 0]  # (H-h+1, W_in-w+1)
    i, j = _check_at(who, at, O.shape, "O")
    h, w = W.shape
    terms = [f"{_factor(W[m, n])}{DOT}{_factor(I[i + m, j + n])}" for m in range(h) for n in range(w)]
    terms += [] if bias is None else [_factor(bias)]
    caption = _sum_caption(f"O[{i},{j}]", terms, O[i, j])
    caption += "" if bias is None else f"   (bias b = {fmt(bias)})"
    panels = [(I, "I", (i, j, h, w), FILL), (W, "W", (0, 0, h, w), SOFT), (O, "O", (i, j, 1, 1), FILL)]
    return _triptych(panels, caption)


def kernel_gradient_figure(I, J_O, at=(0, 0)):
    """Figure 4: I, J^O and J^W = I star J^O; the window of I that meets J^O to make J^W[at] is shaded.

    J^W is the engine's gradient of correlate2d(I, W) with respect to the kernel W (shape
    (H - h + 1, W_in - w + 1) for I (H, W_in) and J^O (h, w)), with J^O as the upstream gradient.
    """
    who = "kernel_gradient_figure"
    I, J_O = _operands(who, I, J_O, ("I", "J_O"))
    J_W = kernel_gradient(I, J_O)
    m, n = _check_at(who, at, J_W.shape, "J^W")
    h, w = J_O.shape
    terms = [f"{_factor(J_O[i, j])}{DOT}{_factor(I[m + i, n + j])}" for i in range(h) for j in range(w)]
    panels = [(I, "I", (m, n, h, w), FILL), (J_O, "J^O", (0, 0, h, w), SOFT),
              (J_W, "J^W", (m, n, 1, 1), FILL)]
    return _triptych(panels, _sum_caption(f"$J^W$[{m},{n}]", terms, J_W[m, n]))


def kernel_gradient(I, J_O) -> np.ndarray:
    """J^W = dL/dW for O = correlate2d(I, W) and dL/dO = J_O, from autograd.grad (2-d in, 2-d out)."""
    I, J_O = np.asarray(I, dtype=float), np.asarray(J_O, dtype=float)
    shape = (I.shape[0] - J_O.shape[0] + 1, I.shape[1] - J_O.shape[1] + 1)
    W = Tensor(np.zeros((1, 1, *shape)), requires_grad=True)  # the values do not matter: O is linear in W
    (J_W,) = grad(correlate2d(Tensor(I[None, None]), W), W, grad_outputs=Tensor(J_O[None, None]))
    return J_W.numpy()[0, 0]


def figure4_graph(I=SEED_I, J_O=SEED_J_O) -> tuple[Tensor, Tensor]:
    """(L, W) with L = sum((I star W) * J^O), so that dL/dW = I star J^O: Figure 4 as a graph to draw.

    I and J^O require grad as well: L is linear in W, and only then does the engine record the
    correlate2d of the backward pass (viz.draw_backward(L, wrt=W, values=True) draws it with numbers).
    """
    I, J_O = np.asarray(I, dtype=float), np.asarray(J_O, dtype=float)
    shape = (I.shape[0] - J_O.shape[0] + 1, I.shape[1] - J_O.shape[1] + 1)
    I_t = Tensor(I[None, None], requires_grad=True, name="I")
    W = Tensor(np.zeros((1, 1, *shape)), requires_grad=True, name="W")
    J_t = Tensor(J_O[None, None], requires_grad=True, name="J_O")
    return (correlate2d(I_t, W) * J_t).sum(), W


def write_seed_figures(out_dir, formats=("png", "svg", "pdf")) -> list[Path]:
    """Write Figures 3 and 4 with the seed's numbers as figure3-cross-correlation.<fmt> and
    figure4-kernel-gradient.<fmt>; text stays text in PDF (TrueType) and SVG. Returns the paths."""
    import matplotlib
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    makers = {"figure3-cross-correlation": lambda: correlation_figure(SEED_I, SEED_W, at=(0, 0)),
              "figure4-kernel-gradient": lambda: kernel_gradient_figure(SEED_I, SEED_J_O, at=(1, 1))}
    paths = []
    with matplotlib.rc_context({"pdf.fonttype": 42, "svg.fonttype": "none"}):
        for stem, make in makers.items():
            fig = make()
            try:
                for f in formats:
                    paths.append(out / f"{stem}.{f.lstrip('.')}")
                    fig.savefig(paths[-1], dpi=200, facecolor="white")
            finally:
                plt.close(fig)
    return paths


def _operands(who: str, big, small, names) -> tuple[np.ndarray, np.ndarray]:
    """Two 2-d float arrays, the second no larger than the first along either axis."""
    try:
        a, k = np.asarray(big, dtype=float), np.asarray(small, dtype=float)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{who}: {names[0]} and {names[1]} must be 2-d arrays of numbers ({e})") from e
    if a.ndim != 2 or k.ndim != 2 or a.size == 0 or k.size == 0:
        raise ValueError(f"{who}: expected non-empty 2-d {names[0]} and {names[1]}, "
                         f"got shapes {a.shape} and {k.shape}")
    if k.shape[0] > a.shape[0] or k.shape[1] > a.shape[1]:
        raise ValueError(f"{who}: {names[1]} of shape {k.shape} is larger than {names[0]} of shape {a.shape}")
    return a, k


def _check_at(who: str, at, shape, name: str) -> tuple[int, int]:
    ok = (isinstance(at, tuple | list) and len(at) == 2
          and all(isinstance(x, int | np.integer) and not isinstance(x, bool) for x in at))
    if not ok or not (0 <= at[0] < shape[0] and 0 <= at[1] < shape[1]):
        raise ValueError(f"{who}: at={at!r} is not an element (row, col) of {name}, whose shape is {shape}")
    return int(at[0]), int(at[1])


def _title(name: str, values: np.ndarray) -> str:
    return f"${name}$  ({values.shape[0]}\u00d7{values.shape[1]})"


def _factor(x) -> str:
    s = fmt(x)
    return f"({s})" if s.startswith("-") else s


def _sum_caption(lhs: str, terms: list[str], total, width: int = 84) -> str:
    """'lhs = t1 + t2 + ... = total', broken into lines of about `width` characters."""
    lines, line = [], f"{lhs} = {terms[0]}"
    for t in terms[1:]:
        if len(line) + len(t) + 3 > width:
            lines.append(line + " +")
            line = "      " + t
        else:
            line += " + " + t
    return "\n".join([*lines, f"{line} = {fmt(total)}"])


def _triptych(panels, caption: str):
    """Three grids with a star and '=' between them, on one cell size; the caption below."""
    import matplotlib.pyplot as plt

    R = max(v.shape[0] for v, *_ in panels)  # the tallest grid; the others are centred on it
    ratios = [OP if k % 2 else panels[k // 2][0].shape[1] + LEFT + 0.1 for k in range(5)]  # in cells
    figsize, fontsize = _sizes(panels, caption, sum(ratios), R + HEADER + BOTTOM)
    fig, axes = plt.subplots(1, 5, figsize=figsize, width_ratios=ratios, layout="constrained")
    fig.get_layout_engine().set(w_pad=0.0, wspace=0.0)
    for ax, (values, name, window, fill) in zip(axes[::2], panels):
        number_grid(ax, values, _title(name, values), window, fontsize, fill)
        ax.set_gid(name.replace("^", "_"))  # "I", "W", "O", "J_O", "J_W": how tests find the grids
        extra = (R - values.shape[0]) / 2
        ax.set_ylim(values.shape[0] - 0.5 + extra + BOTTOM, -0.5 - extra - HEADER)
    _operator(axes[1], "star", R)
    _operator(axes[3], "=", R)
    fig.supxlabel(caption, fontsize=15).set_gid("caption")
    return fig


def _sizes(panels, caption: str, wide: float, tall: float) -> tuple[tuple[float, float], float]:
    """(figsize in inches, fontsize of the numbers) for a drawing `wide` x `tall` cells.

    About (10, 3.6) with numbers of 12 to 20 pt; larger when the cells would be too small for the numbers.
    """
    chars = max(len(fmt(x)) for v, *_ in panels for x in v.flat)
    below = 0.55 * (caption.count("\n") + 1)  # inches for the caption
    smallest = max(0.5, 12 * 0.62 * chars / (0.85 * 72))  # inches: `chars` digits at 12 pt fit in a cell
    cell = max(min(9.6 / wide, (3.5 - below) / tall), smallest)
    figsize = (max(10.0, wide * cell + 0.4), max(3.6, tall * cell + 0.1 + below))
    return figsize, float(np.clip(min(0.45 * cell * 72, 0.85 * cell * 72 / (0.62 * chars)), 12, 20))


def _operator(ax, op: str, R: int) -> None:
    """A star (drawn as a path, so it needs no font) or '=' halfway down the tallest grid."""
    ax.set_xlim(0, OP)
    ax.set_ylim(R - 0.5 + BOTTOM, -0.5 - HEADER)
    ax.set_aspect("equal")
    ax.axis("off")
    if op == "star":
        ax.plot([OP / 2], [(R - 1) / 2], marker="*", markersize=20, color="0.15", gid="star")
    else:
        ax.text(OP / 2, (R - 1) / 2, op, ha="center", va="center", fontsize=30, gid="equals")
