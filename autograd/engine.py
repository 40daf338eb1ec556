"""Reverse mode: topological order, the backward pass, gradient accumulation.

For y = f(x) recorded as a DAG, the backward pass visits nodes children-first and hands each node's
gradient (the adjoint, y_bar) to its primitive's VJP, which returns the gradients of its inputs.
Contributions to a tensor used more than once add up. Every walk is iterative: graphs of 10^5+ nodes
are normal here, and Python's recursion limit is about 10^3.

With create_graph=True the VJPs run with recording on, tagged phase="backward": the gradient is then a
graph itself, to be drawn or differentiated again. Without it nothing is recorded, so gradients travel
as plain arrays and a primitive's `fast_vjp` (its VJP fused into NumPy calls, checked bit for bit
against the Tensor-op VJP by tests/autograd/test_fast_vjp.py) may stand in for its `vjp`.

NOTE: backward never frees the graph (values and structure stay, so the graph can still be drawn);
`retain_graph` is accepted for PyTorch compatibility and changes nothing. The graph goes away when the
user drops its output: nodes only point to their inputs, so no reference cycles keep it alive.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from operator import attrgetter

import numpy as np

from autograd import held, inplace
from autograd.convert import as_tensor
from autograd.function import check_vjp_grad, check_vjp_result, set_grad_mode
from autograd.record import BackwardRecord
from autograd.ops.elementwise import cast
from autograd.tensor import Tensor, grad_mode_state


def toposort(roots: Sequence[Tensor]) -> list[Tensor]:
    """Recorded nodes reachable from `roots`, each after all of its parents.

    Every node is numbered when it is made, and it is made after its parents, so sorting the reachable
    nodes by that number gives a topological order: the order in which the program built them, the
    same on every run. The walk is iterative (an explicit stack), so depth costs no recursion.
    """
    found: list[Tensor] = []
    seen: set[int] = set()
    stack = [r for r in roots if r._fn is not None]
    for r in stack:
        seen.add(id(r))
    while stack:
        node = stack.pop()
        found.append(node)
        for p in node.parents:
            if p._fn is not None and id(p) not in seen:
                seen.add(id(p))
                stack.append(p)
    found.sort(key=_creation_number)
    return found


_creation_number = attrgetter("_seq")


def _as_list(x, what: str) -> list[Tensor]:
    items = [x] if isinstance(x, Tensor) else list(x)
    for t in items:
        if not isinstance(t, Tensor):
            raise TypeError(f"{what}: expected Tensors, got {type(t).__name__}")
    return items


def _seed(output: Tensor, g, who: str) -> Tensor:
    """The gradient that starts a backward pass at `output`: ones for a one-element output, else `g`."""
    if g is None:
        if output.data.size != 1:
            raise RuntimeError(
                f"{who}: output has shape {output.shape}; a gradient can be implied only for a "
                f"one-element output. Pass a gradient of shape {output.shape} (grad= / grad_outputs=)"
            )
        seed = Tensor._leaf(np.ones(output.shape, dtype=output.dtype))
        seed.phase = "backward"  # where the backward pass starts
        return seed
    g = as_tensor(g, like=output)
    if g.data.shape != output.data.shape:
        raise ValueError(f"{who}: gradient has shape {g.shape} but the output has shape {output.shape}")
    if g.data.dtype.kind != "f":
        raise TypeError(f"{who}: gradient must be floating point; got dtype {g.dtype}")
    return cast(g, output.data.dtype)  # a gradient takes the dtype of what it is the gradient of


def _backprop(roots, seeds, create_graph: bool, wanted: list[Tensor] | None):
    """Run the VJPs from `roots` (seeded with `seeds`) back to the leaves.

    wanted=None: gradients of every leaf that requires grad (and of nodes marked retain_grad).
    Otherwise only the paths that lead to the `wanted` tensors are followed.
    Returns {id(tensor): (tensor, gradient)}; nothing is written into any tensor here.
    """
    order = toposort(roots)
    relevant = None
    if wanted is not None:
        relevant = {id(t) for t in wanted}
        for node in order:  # parents come first: a node is relevant when a parent is
            for p in node.parents:
                if id(p) in relevant:
                    relevant.add(id(node))
                    break

    grads: dict = {}  # id(tensor) -> gradient so far (a Tensor; an array on the fast path)
    leaves: dict[int, Tensor] = {}  # id(leaf) -> leaf, for the leaves that received a gradient
    results: dict[int, tuple[Tensor, Tensor]] = {}
    wanted_ids = None if wanted is None else {id(t) for t in wanted}
    checksums: dict[int, int] = {}  # id(leaf array) -> its checksum now, computed once per pass

    anomaly_on = grad_mode_state.anomaly
    records = grad_mode_state.records  # None unless inside record_backward(): training pays one test
    record = None if records is None else BackwardRecord(list(roots), list(seeds), create_graph)
    # The fast path: nothing is recorded, so gradients can travel as plain arrays, and a primitive with
    # a `fast_vjp` (its VJP fused into NumPy calls) skips the Tensor ops of its `vjp`. Anomaly mode
    # and the backward record want the Tensor ops, so they take the recorded path.
    fast = not create_graph and record is None and not anomaly_on
    with set_grad_mode(create_graph, "backward"), _current_node_cleared():
        for r, s in zip(roots, seeds):
            _accumulate(grads, leaves, r, s.data if fast else s)
        for node in reversed(order):
            g = grads.pop(id(node), None)
            if g is None:
                continue
            parents = node.parents
            if relevant is None:
                if node._retain:
                    results[id(node)] = (node, g)
                needs = ([parents[0]._requires_grad] if len(parents) == 1  # the common case, kept fast
                         else [p._requires_grad for p in parents])
            else:
                if id(node) in wanted_ids:
                    results[id(node)] = (node, g)
                needs = [id(p) in relevant for p in parents]
                if True not in needs:
                    continue
            if anomaly_on:  # lets an anomaly name the forward op whose VJP failed
                grad_mode_state.current = node
            # the values the VJP reads must still be those of the forward pass (autograd.inplace)
            stamps = node._stamps
            if not (len(parents) == 1 and stamps[1] is parents[0].data and stamps[0] is node.data):
                inplace.verify(node, checksums)  # the full check; the line above is its common case
            fn = node._fn
            if fast and fn.fast_vjp is not None:
                parent_grads = fn.fast_vjp(g, node, needs)  # arrays in, arrays out
            else:
                parent_grads = fn.vjp(_as_leaf(g) if fast else g, node, needs)
                if type(parent_grads) is not tuple or len(parent_grads) != len(parents):
                    parent_grads = check_vjp_result(node, parent_grads)  # raises unless a list
                if fast:
                    parent_grads = _arrays(node, parent_grads, needs)
            if record is not None:
                step = record.step(node, g, parent_grads, needs)
            for p, pg, need in zip(parents, parent_grads, needs):
                if pg is None or not need:
                    continue
                if fast:
                    if pg.shape != p.data.shape:
                        _check_fast_grad(node, p, pg)
                elif type(pg) is not Tensor or pg.data.shape != p.data.shape:
                    _check_grad(node, parent_grads, pg)
                dtype = p.data.dtype  # a gradient takes its input's dtype
                if pg.dtype is not dtype and pg.dtype != dtype:
                    pg = pg.astype(dtype) if fast else cast(pg, dtype)
                _accumulate(grads, leaves, p, pg)
                if record is not None:
                    step.sent(p, pg, grads[id(p)])
    if record is not None:
        records.append(record)
    for pid, leaf in leaves.items():
        if relevant is None or pid in relevant:
            results[pid] = (leaf, grads[pid])
    if fast:  # the arrays become Tensors (constants of the backward pass, as the VJPs' results are)
        results = {k: (t, Tensor._leaf(np.asarray(g), "backward")) for k, (t, g) in results.items()}
    return results


def _check_grad(node: Tensor, parent_grads: tuple, pg) -> None:
    """A VJP result that is not a plain Tensor of its input's shape: fine for a Tensor subclass of the
    right shape, else an error naming the Function, the input and what was wrong."""
    i = next(k for k, q in enumerate(parent_grads) if q is pg)
    check_vjp_grad(node, i, pg)


def _as_leaf(g) -> Tensor:
    """A fast-path gradient (an array, or the NumPy scalar a 0-d operation returns) as a Tensor."""
    return Tensor._leaf(g if type(g) is np.ndarray else np.asarray(g))


def _arrays(node: Tensor, parent_grads: tuple, needs) -> list:
    """The arrays of a VJP's Tensor results (for the fast path), each checked as `_check_grad` does."""
    out = []
    for i, (pg, need) in enumerate(zip(parent_grads, needs)):
        if pg is None or not need:
            out.append(None)
            continue
        if type(pg) is not Tensor or pg.data.shape != node.parents[i].data.shape:
            check_vjp_grad(node, i, pg)  # raises unless a Tensor subclass of the right shape
        out.append(pg.data)
    return out


def _check_fast_grad(node: Tensor, p: Tensor, pg) -> None:
    raise RuntimeError(f"{node._fn.name}: fast_vjp returned a gradient of shape {pg.shape} for an input "
                       f"of shape {p.shape} (it must return each input's shape)")


class _current_node_cleared:
    """Forget the anomaly-mode 'current node' when a backward pass ends, however it ends."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        grad_mode_state.current = None
        return False


def _accumulate(grads: dict, leaves: dict, t: Tensor, g: Tensor) -> None:
    """grads[t] += g: a tensor used more than once collects every contribution."""
    prev = grads.get(id(t))
    if prev is None:
        grads[id(t)] = g
        if t._fn is None:
            leaves[id(t)] = t
    else:
        grads[id(t)] = prev + g


_grad_lock = threading.Lock()  # held once per backward() call, while it writes .grad


def _grad_sum(t: Tensor, g: Tensor, create_graph: bool) -> Tensor:
    """t.grad + g (or g): a recorded sum with create_graph, else a new leaf with its own memory."""
    prev = t._grad
    if prev is None:
        return g if create_graph else Tensor._leaf(np.array(g.data))  # own, writable memory
    if prev.data.shape != t.data.shape:  # .grad is checked when assigned, but its .data can be replaced
        name = f" {t.name!r}" if t.name else ""
        raise ValueError(
            f"backward: the .grad of Tensor{name} of shape {t.shape} has shape {prev.shape}; "
            f"cannot add a gradient of shape {g.shape} to it (set .grad = None to start again)"
        )
    return prev + g if create_graph else Tensor._leaf(prev.data + g.data)


def backward(output: Tensor, grad=None, retain_graph: bool = False, create_graph: bool = False) -> None:
    """Accumulate d(output)/d(leaf) into `leaf.grad` for every leaf that requires grad.

    `grad` is the gradient of some final scalar with respect to `output` (required unless `output`
    has one element). Gradients add to what `.grad` already holds. If anything fails, no `.grad`
    changes.
    """
    del retain_graph  # graphs are never freed by backward (see module docstring)
    if not isinstance(output, Tensor):
        raise TypeError(f"backward: expected a Tensor, got {type(output).__name__}")
    if not output._requires_grad:
        raise RuntimeError(
            "backward: this tensor does not require grad and has no recorded graph "
            "(was it computed under no_grad, or from tensors without requires_grad=True?)"
        )
    seed = _seed(output, grad, "backward")
    results = _backprop([output], [seed], create_graph, None)
    # .grad += g for every leaf: all sums first, then all writes, so that a failure changes no .grad;
    # under one lock, so that threads back-propagating into a shared parameter lose no contribution
    with _grad_lock, set_grad_mode(create_graph, "backward"):
        sums = [(t, _grad_sum(t, g, create_graph)) for t, g in results.values()]
        for t, total in sums:
            t._grad = total
    held.note(output)  # warns once if graphs of earlier backward() calls pile up (autograd/held.py)


def grad(outputs, inputs, grad_outputs=None, create_graph: bool = False, retain_graph=None,
         allow_unused: bool = False) -> tuple[Tensor | None, ...]:
    """Gradients of `outputs` with respect to `inputs`, returned (not written into `.grad`).

    grad_outputs: one gradient per output (None for one-element outputs). With create_graph=True the
    results are recorded graphs (phase "backward"), so they can be differentiated again.
    An input that the outputs do not depend on is an error, or None with allow_unused=True.
    """
    del retain_graph
    outs = _as_list(outputs, "grad outputs")
    ins = _as_list(inputs, "grad inputs")
    if grad_outputs is None:
        gos = [None] * len(outs)
    else:
        gos = [grad_outputs] if isinstance(grad_outputs, Tensor) else list(grad_outputs)
        if len(gos) != len(outs):
            raise ValueError(f"grad: {len(outs)} outputs but {len(gos)} grad_outputs")
    for i, t in enumerate(ins):
        if not t._requires_grad:
            raise RuntimeError(f"grad: input {i} (shape {t.shape}) does not require grad")
    for i, t in enumerate(outs):
        if not t._requires_grad:
            raise RuntimeError(f"grad: output {i} (shape {t.shape}) does not require grad")
    seeds = [_seed(o, g, "grad") for o, g in zip(outs, gos)]
    results = _backprop(outs, seeds, create_graph, ins)
    found = []
    for i, t in enumerate(ins):
        if id(t) in results:
            found.append(results[id(t)][1])
        elif allow_unused:
            found.append(None)
        else:
            raise RuntimeError(
                f"grad: input {i} (shape {t.shape}) is not used to compute the outputs "
                f"(pass allow_unused=True to get None for it)"
            )
    return tuple(found)
