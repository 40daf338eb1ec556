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

A primitive may also define `fast_vjp(g, out, needs)`: the same VJP fused into NumPy calls, with `g`
and the results as arrays (`out.data`, `out.parents[i].data` are the values). The engine uses it only
when nothing is recorded (create_graph=False); the Tensor-op `vjp` stays the single source of what a
recorded backward pass draws and differentiates, and tests/autograd/test_fast_vjp.py checks that both
give the same bits on random shapes and special values.

Grad mode is per thread.
"""

from __future__ import annotations

import functools
import inspect

import numpy as np

from autograd import anomaly, inplace
from autograd.tensor import NO_PARAMS, Tensor, grad_mode_state


class Function:
    """Base of every primitive: `name`, `forward(*arrays, **params)`, `vjp(g, out, needs)`."""

    name = "function"
    fast_vjp = None  # optional: vjp on arrays, for backward passes that record nothing (see above)

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
    """Context manager: record ops (`enabled`) and tag new nodes with `phase` inside the block.

    Also a decorator (`@no_grad()`): each call of the function runs under the mode; for a generator
    function, each resumption of the generator does (the mode is not left on between `next` calls).
    """

    def __init__(self, enabled: bool, phase: str | None = None):
        self.enabled = enabled
        self.phase = phase

    def _fresh(self) -> set_grad_mode:
        return set_grad_mode(self.enabled, self.phase)  # one per block: __enter__ saves state in it

    def __call__(self, fn):
        if inspect.isgeneratorfunction(fn):
            return functools.wraps(fn)(functools.partial(_generator_under, self._fresh, fn))

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self._fresh():
                return fn(*args, **kwargs)

        return wrapper

    def __enter__(self):
        enabled, phase, anomaly_on = _mode.flags
        self._saved = (enabled, phase)
        _mode.flags = (self.enabled, phase if self.phase is None else self.phase, anomaly_on)
        return self

    def __exit__(self, *exc):
        _mode.flags = (*self._saved, _mode.flags[2])
        return False


def _generator_under(mode, fn, *args, **kwargs):
    """Run the generator fn(*args, **kwargs), entering `mode()` around each of its resumptions."""
    gen = fn(*args, **kwargs)
    try:
        with mode():
            response = gen.send(None)
        while True:
            try:
                request = yield response
            except GeneratorExit:
                with mode():
                    gen.close()
                raise
            except BaseException as exc:  # thrown in by the caller: pass it on, under the mode
                with mode():
                    response = gen.throw(exc)
            else:
                with mode():
                    response = gen.send(request)
    except StopIteration as stop:
        return stop.value


class no_grad(set_grad_mode):
    """`with no_grad(): ...` computes values and records nothing (also usable as a decorator)."""

    def __init__(self):
        super().__init__(False)


class enable_grad(set_grad_mode):
    """`with enable_grad(): ...` records ops again inside a no_grad block."""

    def __init__(self):
        super().__init__(True)


# ---------------------------------------------------------------------------------------------------
# apply: run a primitive's forward and record it


_ndarray, _asarray = np.ndarray, np.asarray  # looked up once: apply runs for every op
_REAL_SCALARS = frozenset(np.dtype(c).type for c in "?efdg" + np.typecodes["AllInteger"])  # np.float64, ...


def apply(fn: type[Function], *inputs: Tensor, **params) -> Tensor:
    """Run `fn.forward` on the inputs' arrays; record the result as a node when a gradient can flow."""
    a = b = None  # the input arrays in the common cases (one or two inputs, no params), kept fast
    try:
        n = len(inputs)
        if params or not 0 < n < 3:
            out = fn.forward(*[t.data for t in inputs], **params)
        elif n == 1:
            a = inputs[0].data
            out = fn.forward(a)
        else:
            a, b = inputs[0].data, inputs[1].data
            out = fn.forward(a, b)
    except (ValueError, IndexError, TypeError) as err:
        # NOTE: the inputs are untouched: forwards never write into their arguments.
        arrays = [t.data for t in inputs]
        message = f"{fn.name}: {fn.describe(arrays, params)}: {err}"
        try:
            named = type(err)(message)
        except TypeError:  # an exception class that wants more than a message (NumPy's ufunc errors)
            named = next(k for k in (TypeError, ValueError, IndexError) if isinstance(err, k))(message)
        raise named from None
    if type(out) is not _ndarray:  # NumPy returns scalars for 0-d results
        out = _asarray(out) if type(out) in _REAL_SCALARS else _forward_result(fn, out)
    elif out is a or out is b or (a is None and _is_an_input(out, inputs)):
        out = out.copy()  # a forward that returns its input: the result must not be the input's array
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


# ---------------------------------------------------------------------------------------------------
# checks of what a Function returned (user-defined Functions get them wrong; built-ins pay little)


def _is_an_input(out: np.ndarray, inputs) -> bool:
    for t in inputs:
        if out is t.data:
            return True
    return False


def _forward_result(fn: type[Function], out) -> np.ndarray:
    """A forward's result as an array: a NumPy array or number is fine, anything else is an error."""
    if isinstance(out, (np.ndarray, np.generic, int, float, bool)):
        out = _asarray(out)
        if out.dtype.kind in "biuf":
            return out
        what = f"an array of dtype {out.dtype}"
    else:
        what = type(out).__name__
    raise TypeError(f"{fn.name}: forward must return a NumPy array of real numbers; got {what}")


def check_vjp_result(node: Tensor, grads) -> tuple:
    """The engine calls this when a VJP's result is not a tuple of one entry per input: raise, naming
    the Function and what was wrong, unless it is a list of the right length (returned as a tuple)."""
    fn, n = node._fn, len(node.parents)
    head = f"{fn.name}: VJP must return a tuple of {n} gradient{'s' if n != 1 else ''} (one Tensor or None"
    head += " per input)"
    if not isinstance(grads, (tuple, list)):
        raise TypeError(f"{head}; got {type(grads).__name__}")
    if len(grads) != n:
        raise TypeError(f"{head}; got {len(grads)}")
    return tuple(grads)


def check_vjp_grad(node: Tensor, i: int, grad) -> None:
    """Raise unless `grad`, sent to input i of `node`, is a Tensor of that input's shape."""
    fn, p = node._fn, node.parents[i]
    if not isinstance(grad, Tensor):
        raise TypeError(
            f"{fn.name}: VJP returned {type(grad).__name__} for input {i} (shape {p.shape}); "
            f"a VJP must return Tensors (or None): wrap arrays as Tensor(...) and write it in Tensor ops"
        )
    if grad.data.shape != p.data.shape:
        raise RuntimeError(
            f"{fn.name}: VJP returned a gradient of shape {grad.shape} for input {i} of shape {p.shape} "
            f"(a VJP must return each input's shape)"
        )
