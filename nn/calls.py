"""Calling a Module: forward() inside a per-thread stack of the modules being called.

    model(x)    # Module.__call__ -> call(model, (x,), {}) -> model.forward(x)

The stack serves two things:

- Errors raised inside a forward name the module they happened in: the first module to see the error
  (the innermost) re-raises it, same type, with its dotted path in front, e.g.
  "LeNet5.conv1: expected input (N, 1, H, W), got (100, 3, 32, 32)".
- The outermost call records which module call made which nodes, as spans of creation numbers
  (autograd.tensor.creation_mark), and keeps the last MAX_CALL_RECORDS of them on the module
  (Module.call_records): viz draws a graph grouped by module from them.
"""

from __future__ import annotations

import sys
import threading
from collections import deque
from typing import TYPE_CHECKING

from autograd.tensor import creation_mark

if TYPE_CHECKING:
    from nn.module import Module

_calls = threading.local()  # per thread: .stack (the modules being called), .spans (of the outermost call)
_CAUGHT = (ValueError, TypeError, IndexError, RuntimeError)
MAX_CALL_RECORDS = 256  # outermost calls remembered per module, for drawing graphs by module (a few KiB each)


def _call_stack() -> list[Module]:
    stack = getattr(_calls, "stack", None)
    if stack is None:
        stack = _calls.stack = []
    return stack


def _module_path(stack: list[Module]) -> str:
    """'LeNet5.conv1': the outermost module's class name, then each child's name in its parent."""
    path = type(stack[0]).__name__
    for parent, child in zip(stack, stack[1:]):
        name = next((n for n, m in parent._modules.items() if m is child), None)
        path += f".{name}" if name is not None else f".<{type(child).__name__}>"  # not a registered child
    return path


def call(module: Module, args: tuple, kwargs: dict):
    """module.forward(*args, **kwargs); an error inside is re-raised once, prefixed with the module path.

    The outermost call also records which module made which nodes (see call_records).
    """
    stack = _call_stack()
    stack.append(module)
    outermost = len(stack) == 1
    if outermost:  # this call's spans describe one forward pass: collected here, per thread
        _calls.spans = []
    start = creation_mark()
    try:
        out = module.forward(*args, **kwargs)
        # the nodes made inside this call (and not inside a child) belong to this module: viz
        # draws them as one cluster per module call
        _calls.spans.append((sys.intern(_module_path(stack)), start, creation_mark()))
        return out
    except _CAUGHT as err:
        if getattr(err, "_tracegrad_module_path", None) is not None:
            raise  # an inner module already named itself
        path = _module_path(stack)
        try:
            named = type(err)(f"{path}: {err}")
        except Exception:
            named = None
        if named is None:  # an exception type with a different constructor: keep it, add a note
            err._tracegrad_module_path = path
            if hasattr(err, "add_note"):
                err.add_note(f"(raised in module {path})")
            raise
        named._tracegrad_module_path = path
        raise named from err
    finally:
        stack.pop()
        if outermost:
            _record_call(module, start, creation_mark(), _calls.spans)


def _record_call(module: Module, start: int, end: int, spans: list) -> None:
    records = module.__dict__.get("_call_records")
    if records is None:
        records = deque(maxlen=MAX_CALL_RECORDS)
        object.__setattr__(module, "_call_records", records)
    records.append((start, end, tuple(spans)))  # deque.append: safe from several threads


def call_records(module: Module) -> list[tuple[int, int, tuple[tuple[str, int, int], ...]]]:
    """The last MAX_CALL_RECORDS outermost calls of `module`, oldest first (Module.call_records)."""
    return list(module.__dict__.get("_call_records", ()))
