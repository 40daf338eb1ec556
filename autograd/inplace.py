"""Catching values changed in place after a recorded op has read them.

A VJP reads its node's inputs and output again when the backward pass runs (tanh's reads its output,
mul's reads both inputs). If one of those arrays was changed in between, the gradient would be computed
from values the forward pass never saw: silently wrong. So the engine guards them:

- An op's output belongs to the graph: it is made read-only when the node is recorded, so
  `y.data[0] = 1.0` or `y.data -= 1` on a recorded result fails at the write.
- A leaf's array (a parameter, an input) stays writable: optimizers and users change parameters in
  place between steps. A node remembers a checksum of each writable leaf input; the backward pass
  checks it before running the VJP, and raises InplaceError if the values have changed.
- A node also remembers each input's (and its own) array object, so replacing one (`w.data = new`)
  after the op is caught by the same check.
- A read-only array can still change when it is a view of memory that is writable: `w.T`,
  `w.reshape(3, 1)`, `x.broadcast_to(...)`, `w[1:]`, and `.detach()` of any of them all see a write
  into `w.data`. So "writable" here means: the array, or an array its `.base` chain leads to, is
  writable (`may_change`). Such a view is checksummed like a writable leaf, whether it is a leaf or a
  node's input or output. A broadcast view (zero strides) is checksummed over its distinct elements.

    w = Tensor(np.ones(3), requires_grad=True)
    loss = (w * w).sum()
    w.data -= 0.1               # e.g. an optimizer step between forward and backward
    loss.backward()             # InplaceError: input 0 of 'mul' (shape (3,)) was changed ...

Changing a parameter after backward() and before the next forward pass (the usual training loop)
is fine: it is only an error when a backward pass would read the changed values.
"""

from __future__ import annotations

import zlib

import numpy as np


class InplaceError(RuntimeError):
    """A value that a recorded op needs for its gradient was changed after the op read it."""


def checksum(a: np.ndarray) -> int:
    """CRC-32 of the array's bytes (ravel copies only an array that is not contiguous).

    A broadcast view repeats elements along its zero-stride axes: those are read once.
    """
    if a.base is not None and 0 in a.strides:  # only a view can have zero strides
        a = a[tuple(slice(0, 1) if s == 0 else slice(None) for s in a.strides)]
    return zlib.crc32(a.ravel(order="K"))


def may_change(a: np.ndarray) -> bool:
    """True when the values of `a` can still change: it is writable, or a view of memory that is.

    A view's `.base` is the array (or buffer) it looks into; NumPy keeps that chain short.
    """
    while not a.flags.writeable:
        b = a.base
        if b is None:  # owns its memory, read-only
            return False
        if not isinstance(b, np.ndarray):  # a buffer: bytes, bytearray, mmap, ...
            try:
                return not memoryview(b).readonly
            except TypeError:
                return True  # cannot tell: check it
        a = b
    return True


def _stamp(a: np.ndarray) -> object:
    """What a node keeps of an array it reads: the array, and its checksum if its values can change."""
    if a.flags.writeable or (a.base is not None and may_change(a)):
        return (a, checksum(a))
    return a


def stamps(out: np.ndarray, inputs) -> tuple:
    """(a stamp of the output, one stamp per input): the array, with a checksum if it can change.

    A node's array is read-only (apply made it so); it can change only when it is a view (`.base` is
    set) of writable memory. Leaves' arrays are usually writable (parameters, inputs). The output of a
    view op (reshape, transpose, getitem, broadcast_to) looks into its input's memory, whose stamp
    already covers it; only an output that is a view of other memory gets a checksum of its own.
    """
    base = out.base
    if base is not None and not _views_an_input(base, inputs):
        out = _stamp(out)
    if len(inputs) == 1:  # the common case, kept fast
        t = inputs[0]
        a = t.data
        return (out, a if t._fn is not None and a.base is None else _stamp(a))
    return (out, *[t.data if t._fn is not None and t.data.base is None else _stamp(t.data) for t in inputs])


def _views_an_input(base, inputs) -> bool:
    for t in inputs:
        if base is t.data or base is t.data.base:
            return True
    return False


def verify(node, checksums: dict) -> None:
    """Raise InplaceError if an input or the output of `node` changed since the node was recorded.

    `checksums` caches the current checksum of each leaf array for one backward pass.
    """
    saved = node._stamps
    _check(node, None, node, saved[0], checksums)
    i = 0
    for t in node.parents:
        i += 1
        _check(node, i - 1, t, saved[i], checksums)


def _check(node, which: int | None, t, s, checksums: dict) -> None:
    """Raise if the array `s` stamps (input `which` of node, None: its output) is not t.data as it was."""
    if s is t.data:  # the same array, and its values cannot change: nothing else to check
        return
    if type(s) is not tuple or s[0] is not t.data:
        _fail(node, which, t, "its .data was replaced")
    a, crc = s
    now = checksums.get(id(a))
    if now is None:
        now = checksums[id(a)] = checksum(a)
    if now != crc:
        how = "its values were changed in place"
        if not a.flags.writeable:
            how += " (it is a view of an array that was written to)"
        _fail(node, which, t, how)


def _fail(node, which: int | None, t, how: str) -> None:
    which = "the output" if which is None else f"input {which}"
    name = f" '{t.name}'" if t.name else ""
    origin = getattr(node, "_origin", None)
    where = f" (the op was created at {origin})" if origin else ""
    raise InplaceError(
        f"backward: {which}{name} of '{node.op}' (shape {t.shape}) was changed after the forward pass "
        f"recorded '{node.op}'{where}: {how}. Its gradient would be computed from values the forward pass "
        f"never saw. Run the forward pass again after changing it (an optimizer step belongs after "
        f"backward())."
    )
