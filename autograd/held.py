"""Graphs still held after backward: the `losses.append(loss)` trap, caught with one warning.

backward() never frees a graph (it stays drawable; see autograd.engine), so a graph lives as long as its
output does. Keeping every step's loss Tensor (`losses.append(loss)`, `total += loss`) therefore keeps
every step's graph: about 8 MiB per LeNet-5 step at batch 100, gigabytes over a run. This module notices:

    note(root)      called once at the end of every backward(): one weak reference, one dict entry

It keeps a weak reference to each root that backward() ran from; a reference removes itself when its
root dies, so `len(_alive)` is the number of those roots still alive (usually 1: the current loss). When
that number has grown by a quarter since the last look (and is at least MIN_HELD + 1), it sums the
memory of the graphs of the earlier roots (their arrays, each counted once, plus a fixed overhead per
node; the current root's graph and the leaves that require grad, i.e. the parameters, do not count).
Over LIMIT_BYTES it warns once per process with HeldGraphWarning, naming the count, the size and the fix
(`loss.item()` for a number, `loss.detach()` for a Tensor without its graph), then stops looking.

The looks grow geometrically with the number of held roots, so their cost stays a small fraction of the
backward passes that made those graphs; a training loop that drops its losses never looks at all.

    import autograd.held
    autograd.held.LIMIT_BYTES = 64 * 2**20     # warn earlier; None switches the check off
"""

from __future__ import annotations

import os
import sys
import warnings
import weakref

import numpy as np

__all__ = ["LIMIT_BYTES", "HeldGraphWarning", "graph_bytes", "note"]

LIMIT_BYTES: int | None = 512 * 2**20  # warn when earlier graphs still alive hold more than this
MIN_HELD = 4  # fewer earlier roots alive than this is a normal program (two losses, a graph kept to draw)
NODE_OVERHEAD = 360  # bytes per node besides its arrays: the Tensor, the ndarray header, the tuples


class HeldGraphWarning(UserWarning):
    """Graphs from earlier backward() calls are still alive and hold a lot of memory."""


_alive: dict[int, weakref.ref] = {}  # id(ref) -> ref, for every root of backward() still alive
_next_look = MIN_HELD + 1  # look when len(_alive) reaches this
_warned = False


def _forget(ref: weakref.ref) -> None:
    _alive.pop(id(ref), None)


def note(root) -> None:
    """Remember that backward() ran from `root`; now and then, sum what earlier roots still hold."""
    global _next_look
    if _warned or LIMIT_BYTES is None:
        return
    ref = weakref.ref(root, _forget)  # a new ref each time (a callback makes it unique)
    _alive[id(ref)] = ref
    if len(_alive) >= _next_look:
        _next_look = max(MIN_HELD + 1, len(_alive) + len(_alive) // 4)
        _look(root)
    elif 4 * len(_alive) < _next_look:  # most of them died: look again after fewer new ones
        _next_look = max(MIN_HELD + 1, len(_alive) + len(_alive) // 4)


def _look(current) -> None:
    global _warned
    earlier, ids = [], {id(current)}
    for ref in list(_alive.values()):  # a copy: a callback may remove entries while we walk
        root = ref()
        if root is not None and id(root) not in ids:  # the same root may have run backward twice
            ids.add(id(root))
            earlier.append(root)
    if len(earlier) < MIN_HELD:
        return
    seen: set[int] = set()
    graph_bytes([current], seen)  # what the current graph shares with earlier ones is not held by them
    held = graph_bytes(earlier, seen, stop_above=LIMIT_BYTES)
    if held > LIMIT_BYTES:
        _warned = True
        warnings.warn(
            f"{len(earlier)} graphs from earlier backward() calls are still alive, holding "
            f"{held / 2**20:,.0f} MiB or more: a Tensor keeps its whole graph (every intermediate array) "
            f"as long as it lives, so keeping each step's loss keeps each step's graph. Keep the number "
            f"instead: losses.append(loss.item()), or loss.detach() for a Tensor without its graph. "
            f"(Warned once; autograd.held.LIMIT_BYTES sets the threshold, None turns it off.)",
            HeldGraphWarning, stacklevel=_user_stacklevel(),
        )


def graph_bytes(roots, seen: set[int] | None = None, stop_above: int | None = None) -> int:
    """Bytes held by the graphs of `roots`: every array (by its base, once) plus NODE_OVERHEAD per node.

    Leaves that require grad (parameters) are not counted: the model holds them anyway. `seen` (ids of
    nodes and arrays already counted) may be shared between calls; the walk is iterative and stops
    early once the total is above `stop_above`.
    """
    seen = set() if seen is None else seen
    total = 0
    stack = []
    for r in roots:
        if id(r) not in seen:
            seen.add(id(r))
            stack.append(r)
    while stack:
        node = stack.pop()
        if node._fn is None and node._requires_grad:
            continue  # a parameter (or a user's leaf): not held by the graph
        total += NODE_OVERHEAD
        arrays = [node.data]
        if node.grad is not None:
            arrays.append(node.grad.data)
        arrays.extend(v for v in node.params.values() if isinstance(v, np.ndarray))
        for a in arrays:
            while isinstance(a.base, np.ndarray):  # a view: count the array that owns the memory
                a = a.base
            if id(a) not in seen:
                seen.add(id(a))
                total += a.nbytes
        if stop_above is not None and total > stop_above:
            break
        for p in node.parents:
            if id(p) not in seen:
                seen.add(id(p))
                stack.append(p)
    return total


_HERE = os.path.dirname(os.path.abspath(__file__))


def _user_stacklevel() -> int:
    """The stacklevel of the first frame outside the autograd package (the user's .backward() line)."""
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.dirname(os.path.abspath(frame.f_code.co_filename)) == _HERE:
        frame, level = frame.f_back, level + 1
    return level


def _reset() -> None:
    """Forget everything (for tests): no roots remembered, not warned yet."""
    global _next_look, _warned
    _alive.clear()
    _next_look = MIN_HELD + 1
    _warned = False
