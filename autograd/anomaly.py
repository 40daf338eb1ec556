"""Anomaly detection: the first op whose result holds NaN or inf raises, saying which op and where.

    with autograd.detect_anomaly():
        loss = model(x)          # a forward op that makes NaN/inf raises AnomalyError here
        loss.backward()          # ... and so does any op of the backward pass

The error names the op, its phase, the shapes of its inputs and output, and the user's file and line
where the op was created (for the backward pass: where the forward op whose VJP failed was created).
Every op's result is scanned, so this is for hunting bugs, not for training runs. Per thread.
"""

from __future__ import annotations

import os
import sys

import numpy as np

from autograd.tensor import grad_mode_state

# files inside these folders are the library's own: the place an op "was created" is the first
# frame outside them
_LIBRARY = tuple(
    os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), pkg) + os.sep
    for pkg in ("autograd", "nn", "viz")
)


class AnomalyError(RuntimeError):
    """An op produced NaN or inf while detect_anomaly() was on."""


class detect_anomaly:
    """Context manager: inside it, every op's result is checked for NaN and inf (see module docstring)."""

    def __enter__(self):
        enabled, phase, self._saved = grad_mode_state.flags
        grad_mode_state.flags = (enabled, phase, True)
        return self

    def __exit__(self, *exc):
        grad_mode_state.flags = (*grad_mode_state.flags[:2], self._saved)
        return False


def user_frame() -> str:
    """'file.py:12' of the innermost caller outside the library (or '<unknown>')."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = os.path.abspath(frame.f_code.co_filename)
        if not filename.startswith(_LIBRARY):
            return f"{frame.f_code.co_filename}:{frame.f_lineno}"
        frame = frame.f_back
    return "<unknown>"


def check(fn, out: np.ndarray, arrays, phase: str) -> None:
    """Raise AnomalyError if `out` holds NaN or inf (floating-point results only)."""
    if out.dtype.kind not in "fc" or np.isfinite(out).all():
        return
    what = "NaN" if np.isnan(out).any() else "inf"
    inputs = ", ".join(str(a.shape) for a in arrays)
    bad_inputs = [i for i, a in enumerate(arrays)
                  if np.asarray(a).dtype.kind in "fc" and not np.isfinite(a).all()]
    note = f"; input {bad_inputs[0]} already held NaN or inf" if bad_inputs else ""
    if phase == "backward" and grad_mode_state.current is not None:
        node = grad_mode_state.current
        place = (f"in the backward pass of '{node.op}' (output shape {node.shape}), which was created at "
                 f"{getattr(node, '_origin', None) or '<unknown: made outside detect_anomaly>'}")
    else:
        place = f"in the forward pass, at {user_frame()}"
    raise AnomalyError(
        f"detect_anomaly: {fn.name} produced {what} {place}; input shapes {inputs}, output shape "
        f"{out.shape}{note}"
    )
