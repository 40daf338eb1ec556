"""The backward pass as frames for slides: one picture per VJP call, in the order the engine ran it.

    theta, C = viz.tanh_chain(4, skip=True)
    frames = viz.backward_steps(C, wrt=theta)       # K + 1 pictures: "before the first step", then K steps
    viz.render_frames(frames, "out/tanh4-steps", formats=("pdf",))   # one PDF, one page per frame

Every frame is the backward graph of `viz.draw_backward` (the same DOT, so the same layout in every
frame); only styles change:

- the adjoint arriving at the node whose VJP runs: thick green border;
- the gradients that VJP sends: thick purple border; where one is added to what its input had already
  received, the sum (a box with a double border in every frame: it is a total of several
  contributions) is purple too, its `add` oval filled, and the caption says "+";
- what the pass has not computed yet: grey (the frame shows the pass so far);
- the caption (the graph's label): "step k of K: tanh's VJP runs for tanh3; adjoint dC/dtanh3 = 0.81
  arrives; sends 0.6 to tanh2".

"Computed so far" comes from the engine's record (autograd.record_backward) and creation order: every
recorded tensor has a creation number (`_seq`); a node of the backward graph is computed by step k when
its number is at most the largest number made during steps 1..k. Forward values and leaves (the seed,
constants) are there from the start. The caption is a fixed-size block, so the picture does not change
size or move between frames.
"""

from __future__ import annotations

import html
import re
import textwrap

from autograd import Tensor
from viz import labels as L
from viz.dot import MAX_NODES, draw_backward
from viz.drawing import OP_FONT
from viz.scale import GradientScale

ARRIVES = "#1a9641"  # green: the adjoint arriving at the node whose VJP runs
SENDS = "#7b3294"  # purple: what the VJP sends to its inputs
SUM_FILL = "#e7d4f0"  # the add oval of an accumulation (+)
NOT_YET = "#c4c4c4"  # grey: not computed yet
NOT_YET_TEXT = "#b0b0b0"
LEGEND = ("green = adjoint arriving, purple = gradients sent (double border: a sum, +), "
          "grey = not yet computed")
WRAP = 92  # characters per caption line
_EDGE = re.compile(r"^(\t\S+ -> \S+)( \[.*\])?\n$", re.S)


def _value(t: Tensor) -> str:
    """A tensor's number for the caption: the value of a scalar, else shape and rms."""
    if t.size == 1:
        return L.num(t.data.item())
    return f"(shape {L.shape_text(t.shape)}, rms {L.num(L.rms(t.data))})"


def _seq(t: Tensor) -> int | None:
    return getattr(t, "_seq", None)  # leaves (the seed, constants) have no creation number


def _cutoffs(record, forward_nodes) -> list[int]:
    """cutoffs[k]: the largest creation number made by the end of step k (k = 0: before the pass)."""
    made = [s for s in (_seq(t) for t in forward_nodes) if s is not None]
    out = [max(made, default=-1)]
    for step in record.steps:
        seqs = [_seq(t) for t in step.returned if isinstance(t, Tensor)]
        seqs += [_seq(t) for s in step.sends for t in (s.grad, s.total)]
        out.append(max([out[-1]] + [s for s in seqs if s is not None]))
    return out


def backward_steps(root: Tensor, wrt=None, *, values: bool = False, scale: GradientScale | None = None,
                   collapse: int | None = 0, max_nodes: int | None = MAX_NODES, show_dtype: bool = False,
                   rankdir: str | None = None, title: str | None = None) -> list:
    """One Picture per step of the backward pass of d root / d wrt, after a first frame "before the first
    step": K + 1 frames for the K VJP calls the engine made, all laid out as `draw_backward` lays out
    the graph (the arguments are draw_backward's, except that runs of repeated ops are not folded
    unless `collapse` says so: a step inside a folded run could not be shown).

    Each frame also carries, for programs and tests: `.step` (k, 0 for the first frame), `.steps` (K),
    `.caption` (the step's text), `.adjoint` (DOT name of the arriving adjoint, or None if not drawn),
    `.sends` and `.totals` (DOT names of what the step sent and of the sums it added into), `.faded`
    (DOT names not computed yet), and `.record`, `.boxes`, `.drawn` of the drawing.
    """
    base = draw_backward(root, wrt, values=values, scale=scale, collapse=collapse, max_nodes=max_nodes,
                         show_dtype=show_dtype, rankdir=rankdir)
    record = base.record
    forward, fnames = base.forward, base.forward_names
    rname = fnames[id(root)]
    forward_ids = set(fnames)
    cutoffs = _cutoffs(record, forward.nodes)

    # every drawn node of the backward graph -> the tensor whose value it shows (an op oval: its box's)
    by_box = base.tensor_of
    shown: dict[str, Tensor] = {}
    for name in base.drawn:
        mine = name[2:] if name.startswith("o_") else "n" + name[1:] if name.startswith("o") else name
        if mine in by_box:
            shown[name] = by_box[mine]

    def computed(t: Tensor, k: int) -> bool:
        s = _seq(t)
        return id(t) in forward_ids or s is None or s <= cutoffs[k]

    def box(t: Tensor) -> str | None:
        return base.boxes.get(id(t))

    def oval(name: str | None) -> str | None:
        if name is None:
            return None
        o = "o_" + name if name.startswith("r") else "o" + name[1:]
        return o if o in base.drawn else None

    sums = []  # boxes of totals that are sums of several contributions: double border in every frame
    for step in record.steps:
        for s in step.sends:
            b = box(s.total)
            if s.accumulated and b is not None and b not in sums:
                sums.append(b)

    K = len(record.steps)
    captions = [_caption(None, 0, K, rname, fnames, record)]
    captions += [_caption(step, k, K, rname, fnames, record) for k, step in enumerate(record.steps, 1)]
    lines = [textwrap.wrap(c, WRAP, break_long_words=False) for c in captions]
    head = [title] if title else []
    rows = max(len(x) for x in lines) + len(head) + 1
    width = max(len(line) for x in lines + [head, [LEGEND]] for line in x)

    frames = []
    for k in range(K + 1):
        step = record.steps[k - 1] if k else None
        frame = base.copy()
        faded = [name for name, t in shown.items() if not computed(t, k)]
        faded_set = set(faded)
        for name in faded:
            attrs = {"color": NOT_YET, "fontcolor": NOT_YET_TEXT}
            if base.drawn[name].startswith("op "):
                attrs["style"] = "solid"
            elif by_box.get(name) is not None and id(by_box[name]) not in forward_ids:
                attrs.update(style="rounded,filled", fillcolor="white", penwidth="1")
            frame.node(name, **attrs)
        for name in sums:
            frame.node(name, peripheries="2")
        adjoint = box(record.seeds[0]) if step is None else box(step.adjoint)
        sends = [] if step is None else list(dict.fromkeys(b for b in (box(s.grad) for s in step.sends)
                                                             if b is not None))
        totals = [] if step is None else [b for s in step.sends if s.accumulated
                                          for b in [box(s.total)] if b is not None]
        hot = set()
        for name in sends + totals:
            frame.node(name, color=SENDS, penwidth="4")
            hot.add(name)
            o = oval(name)
            if o is not None:
                attrs = {"color": SENDS, "penwidth": "2.5"}
                if name in totals:
                    attrs.update(style="filled", fillcolor=SUM_FILL)
                frame.node(o, **attrs)
                hot.add(o)
        if adjoint is not None:
            frame.node(adjoint, color=ARRIVES, penwidth="4")
        frame.body[:] = [_restyle(line, faded_set, hot) for line in frame.body
                         if not line.startswith("\tlabel=")]  # draw_backward's caption: replaced below
        frame.attr(label=_label(head + lines[k] + [""] * (rows - 1 - len(head) - len(lines[k])) + [LEGEND],
                                width), labelloc="t")
        frame.step, frame.steps, frame.caption = k, K, captions[k]
        frame.adjoint, frame.sends, frame.totals, frame.faded = adjoint, sends, totals, faded
        frame.record, frame.boxes, frame.drawn = record, dict(base.boxes), dict(base.drawn)
        frame.arrows = list(getattr(base, "arrows", []))
        frames.append(frame)
    return frames


def _caption(step, k: int, K: int, rname: str, fnames: dict, record) -> str:
    if step is None:
        seed = record.seeds[0]
        return (f"step 0 of {K}: before the first step; the seed d{rname}/d{rname} = {_value(seed)} "
                f"starts the backward pass")
    node = fnames.get(id(step.node), step.node.op or "?")
    text = (f"step {k} of {K}: {step.node.op}'s VJP runs for {node}; adjoint d{rname}/d{node} = "
            f"{_value(step.adjoint)} arrives; ")
    sends = []
    for s in step.sends:
        to = fnames.get(id(s.input), "?")
        part = f"{_value(s.grad)} to {to}"
        if s.accumulated:
            part += f" (+ onto what {to} had: total d{rname}/d{to} = {_value(s.total)})"
        sends.append(part)
    return text + ("sends " + ", ".join(sends) if sends else "sends nothing")


def _label(lines: list[str], width: int) -> str:
    """The caption as a block of fixed size (the same in every frame), so the layout never moves."""
    w = round(width * float(OP_FONT) * 0.56 + 8)
    h = round(len(lines) * float(OP_FONT) * 1.25 + 4)
    text = "<BR/>".join(html.escape(line, quote=False) for line in lines)
    return (f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0"><TR>'
            f'<TD FIXEDSIZE="TRUE" WIDTH="{w}" HEIGHT="{h}" BALIGN="LEFT" ALIGN="LEFT">{text}</TD>'
            f'</TR></TABLE>>')


def _restyle(line: str, faded: set[str], hot: set[str]) -> str:
    """An edge statement of the DOT body, greyed if either end is not computed yet, purple if it
    feeds what this step sends; every other line as it was."""
    m = _EDGE.match(line)
    if m is None:
        return line
    src, dst = [x.strip() for x in m.group(1).split(" -> ")]
    if src in faded or dst in faded:
        extra = f'color="{NOT_YET}"'
    elif dst in hot:
        extra = f'color="{SENDS}" penwidth=2.5'
    else:
        return line
    attrs = m.group(2)
    return m.group(1) + (f"{attrs[:-1]} {extra}]" if attrs else f" [{extra}]") + "\n"

