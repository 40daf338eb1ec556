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
    """CRC-32 of the array's bytes (ravel copies only an array that is not contiguous)."""
    return zlib.crc32(a.ravel(order="K"))


def _leaf_stamp(a: np.ndarray) -> object:
    """What a node keeps of a leaf input's array: the array, and its checksum if it is writable."""
    return (a, checksum(a)) if a.flags.writeable else a


def stamps(out: np.ndarray, inputs) -> tuple:
    """(the output array, one stamp per input: the array, for a writable leaf's also its checksum)."""
    if len(inputs) == 1:  # the common case, kept fast
        t = inputs[0]
        return (out, t.data if t._fn is not None else _leaf_stamp(t.data))
    return (out, *[t.data if t._fn is not None else _leaf_stamp(t.data) for t in inputs])


def verify(node, checksums: dict) -> None:
    """Raise InplaceError if an input or the output of `node` changed since the node was recorded.

    `checksums` caches the current checksum of each leaf array for one backward pass.
    """
    saved = node._stamps
    if node.data is not saved[0]:
        _fail(node, "the output", node, "its .data was replaced")
    i = 0
    for t in node.parents:
        i += 1
        s = saved[i]
        if s is t.data:  # the same array, read-only or not a leaf's: nothing else to check
            continue
        if type(s) is not tuple or s[0] is not t.data:
            _fail(node, f"input {i - 1}", t, "its .data was replaced")
        a, crc = s
        now = checksums.get(id(a))
        if now is None:
            now = checksums[id(a)] = checksum(a)
        if now != crc:
            _fail(node, f"input {i - 1}", t, "its values were changed in place")


def _fail(node, which: str, t, how: str) -> None:
    name = f" '{t.name}'" if t.name else ""
    origin = getattr(node, "_origin", None)
    where = f" (the op was created at {origin})" if origin else ""
    raise InplaceError(
        f"backward: {which}{name} of '{node.op}' (shape {t.shape}) was changed after the forward pass "
        f"recorded '{node.op}'{where}: {how}. Its gradient would be computed from values the forward pass "
        f"never saw. Run the forward pass again after changing it (an optimizer step belongs after "
        f"backward())."
    )
