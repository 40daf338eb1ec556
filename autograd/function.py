"""The Function pattern: a primitive is a NumPy forward beside a VJP written in Tensor ops.

    class Tanh(Function):
        '''y = tanh(x);   x_bar = y_bar * (1 - y^2)'''
        name = "tanh"
        forward = staticmethod(np.tanh)            # arrays in, array out

        @staticmethod
        def vjp(g, out, needs):                    # Tensors in, Tensors out
            return (g * (1 - out * out),)

`apply(Tanh, x)` runs the forward and, when grad mode is on and some input requires grad, records the
output as a node: `out.op`, `out.parents` (the input Tensors, in order), `out.params` (the keyword
arguments), `out.phase` ("forward", or "backward" while a backward pass is being recorded).

A VJP receives the upstream gradient `g` (same shape as `out`), the output node `out` (its parents are
the inputs) and `needs`, one bool per parent telling which input gradients are wanted; it returns one
Tensor or None per parent, each of that parent's shape. Because a VJP is written in Tensor ops, running
it with grad mode on records the backward pass as a graph that can be drawn and differentiated again.
Nothing is saved beside the inputs and the output: a VJP recomputes what else it needs. The output is
made read-only, and a node remembers enough of its inputs to notice when one was changed in place
before its VJP runs (autograd.inplace).

Grad mode is per thread.
"""

from __future__ import annotations

import numpy as np

from autograd import anomaly, inplace
from autograd.tensor import NO_PARAMS, Tensor, grad_mode_state


class Function:
    """Base of every primitive: `name`, `forward(*arrays, **params)`, `vjp(g, out, needs)`."""

    name = "function"

    @staticmethod
    def forward(*arrays, **params):
        raise NotImplementedError

    @staticmethod
    def vjp(g, out, needs):
        raise NotImplementedError

    @staticmethod
    def describe(arrays, params):
        """What an error message says about the inputs; ops may say more."""
        shapes = " and ".join(str(a.shape) for a in arrays)
        extra = "".join(f", {k}={v!r}" for k, v in params.items())
        return f"shapes {shapes}{extra}"


# ---------------------------------------------------------------------------------------------------
# grad mode: whether ops are recorded, and which phase new nodes belong to (per thread)


# The state itself lives in tensor.py (new tensors read the phase from it); it is managed here.
_mode = grad_mode_state


def is_grad_enabled() -> bool:
    return _mode.enabled


class set_grad_mode:
    """Context manager: record ops (`enabled`) and tag new nodes with `phase` inside the block."""

    def __init__(self, enabled: bool, phase: str | None = None):
        self.enabled = enabled
        self.phase = phase

    def __enter__(self):
        enabled, phase, anomaly_on = _mode.flags
        self._saved = (enabled, phase)
        _mode.flags = (self.enabled, phase if self.phase is None else self.phase, anomaly_on)
        return self

    def __exit__(self, *exc):
        _mode.flags = (*self._saved, _mode.flags[2])
        return False


class no_grad(set_grad_mode):
    """`with no_grad(): ...` computes values and records nothing (also usable as a decorator)."""

    def __init__(self):
        super().__init__(False)

    def __call__(self, fn):
        def wrapper(*args, **kwargs):
            with no_grad():
                return fn(*args, **kwargs)

        wrapper.__name__ = fn.__name__
        wrapper.__doc__ = fn.__doc__
        return wrapper


class enable_grad(set_grad_mode):
    """`with enable_grad(): ...` records ops again inside a no_grad block."""

    def __init__(self):
        super().__init__(True)


# ---------------------------------------------------------------------------------------------------
# apply: run a primitive's forward and record it


_ndarray, _asarray = np.ndarray, np.asarray  # looked up once: apply runs for every op


def apply(fn: type[Function], *inputs: Tensor, **params) -> Tensor:
    """Run `fn.forward` on the inputs' arrays; record the result as a node when a gradient can flow."""
    try:
        n = len(inputs)  # one or two inputs and no params are the common cases, kept fast
        if params:
            out = fn.forward(*[t.data for t in inputs], **params)
        elif n == 1:
            out = fn.forward(inputs[0].data)
        elif n == 2:
            out = fn.forward(inputs[0].data, inputs[1].data)
        else:
            out = fn.forward(*[t.data for t in inputs])
    except (ValueError, IndexError, TypeError) as err:
        # NOTE: the inputs are untouched: forwards never write into their arguments.
        arrays = [t.data for t in inputs]
        raise type(err)(f"{fn.name}: {fn.describe(arrays, params)}: {err}") from None
    if type(out) is not _ndarray:  # NumPy returns scalars for 0-d results
        out = _asarray(out)
    enabled, phase, anomaly_on = _mode.flags
    if anomaly_on:
        anomaly.check(fn, out, [t.data for t in inputs], phase)
    if enabled:
        for t in inputs:
            if t._requires_grad:
                node = Tensor._node(out, fn, inputs, params or NO_PARAMS, phase)
                out.setflags(write=False)  # the graph owns the result now (see autograd.inplace)
                node._stamps = inplace.stamps(out, inputs)
                if anomaly_on:
                    node._origin = anomaly.user_frame()
                return node
    return Tensor._leaf(out, phase)
