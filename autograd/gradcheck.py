"""Gradient checks against finite differences, in float64.

gradcheck      every entry of the Jacobian: VJPs (one per output element) against central differences
               (f(x + eps) - f(x - eps)) / (2 eps), one pair of evaluations per input element.
gradgradcheck  gradcheck of the gradient itself: x, v -> grad(f(x), x, v, create_graph=True),
               so it checks the VJP's own VJP (second order), in x and in v.
dotcheck       the dot-product test for inputs too big for a full Jacobian:
               <u, J v> (a directional difference) == <J^T u, v> (one VJP), for random u, v.

A failure raises GradcheckError naming the input, the index, and both numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from autograd.engine import grad
from autograd.function import no_grad
from autograd.tensor import Tensor


class GradcheckError(AssertionError):
    """A gradient check failed; the message names the worst entry."""


def _outputs(result, who: str) -> list[Tensor]:
    outs = [result] if isinstance(result, Tensor) else list(result)
    for o in outs:
        if not isinstance(o, Tensor):
            raise TypeError(
                f"{who}: fn must return a Tensor or a sequence of Tensors, got {type(o).__name__}"
            )
    return outs


def _checked_inputs(inputs, who: str) -> tuple[list[Tensor], list[int]]:
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"{who}: input {i} is a {type(t).__name__}, not a Tensor")
        if t.requires_grad and t.dtype != np.float64:
            raise TypeError(f"{who}: input {i} has dtype {t.dtype}; gradient checks need float64 inputs")
    checked = [i for i, t in enumerate(inputs) if t.requires_grad]
    if not checked:
        raise ValueError(f"{who}: no input requires grad, so there is nothing to check")
    return inputs, checked


def _label(inputs: list[Tensor], i: int) -> str:
    t = inputs[i]
    name = f" '{t.name}'" if t.name else ""
    return f"input {i}{name} (shape {t.shape})"


def _evaluate(fn, arrays: list[np.ndarray], template: list[Tensor]) -> list[np.ndarray]:
    args = [Tensor(a, requires_grad=t.requires_grad, name=t.name) for a, t in zip(arrays, template)]
    return [np.array(o.data, dtype=np.float64) for o in _outputs(fn(*args), "gradcheck")]


def _analytic_jacobians(outs, inputs, checked):
    """J[k][i] of shape (out_k.size, in_i.size), one VJP per output element."""
    jac = [[np.zeros((o.size, inputs[i].size)) for i in checked] for o in outs]
    for k, o in enumerate(outs):
        if not o.requires_grad:
            continue  # a constant output: its Jacobian is zero
        for j in range(o.size):
            seed = np.zeros(o.size)
            seed[j] = 1.0
            gs = grad(o, [inputs[i] for i in checked], Tensor(seed.reshape(o.shape)), allow_unused=True)
            for c, g in enumerate(gs):
                if g is not None:
                    jac[k][c][j] = g.data.reshape(-1)
    return jac


def _numeric_jacobians(fn, inputs, checked, eps):
    # C order, so that reshape(-1) below is a view: the perturbations must reach the arrays themselves
    arrays = [np.array(t.data, dtype=t.dtype, order="C") for t in inputs]
    base = _evaluate(fn, arrays, inputs)
    jac = [[np.zeros((b.size, inputs[i].size)) for i in checked] for b in base]
    for c, i in enumerate(checked):
        flat = arrays[i].reshape(-1)
        for e in range(flat.size):
            orig = flat[e]
            flat[e] = orig + eps
            plus = _evaluate(fn, arrays, inputs)
            flat[e] = orig - eps
            minus = _evaluate(fn, arrays, inputs)
            flat[e] = orig
            for k in range(len(base)):
                jac[k][c][:, e] = ((plus[k] - minus[k]) / (2 * eps)).reshape(-1)
    return jac


def gradcheck(fn: Callable, inputs: Sequence[Tensor], eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True) -> bool:
    """Check fn's VJPs against central differences for every input that requires grad.

    Returns True, or raises GradcheckError naming the worst entry (input, index, output, both values);
    with raise_exception=False it returns False instead.
    """
    inputs, checked = _checked_inputs(inputs, "gradcheck")
    outs = _outputs(fn(*inputs), "gradcheck")
    analytic = _analytic_jacobians(outs, inputs, checked)
    numeric = _numeric_jacobians(fn, inputs, checked, eps)
    worst = None
    for k in range(len(outs)):
        for c, i in enumerate(checked):
            a, n = analytic[k][c], numeric[k][c]
            excess = np.abs(a - n) - (atol + rtol * np.abs(n))
            nan_a, nan_n = np.isnan(a), np.isnan(n)  # NaN on one side only is the worst mismatch
            excess = np.where(nan_a | nan_n, np.where(nan_a == nan_n, -1.0, np.inf), excess)
            if excess.size and excess.max() > 0:
                j, e = np.unravel_index(int(np.argmax(excess)), excess.shape)
                if worst is None or excess[j, e] > worst[0]:
                    worst = (excess[j, e], k, i, j, e, a[j, e], n[j, e])
    if worst is None:
        return True
    _, k, i, j, e, a, n = worst
    where_in = np.unravel_index(e, inputs[i].shape) if inputs[i].ndim else ()
    where_out = np.unravel_index(j, outs[k].shape) if outs[k].ndim else ()
    msg = (
        f"gradcheck: {_label(inputs, i)} at index {tuple(int(v) for v in where_in)}, output {k} at "
        f"index {tuple(int(v) for v in where_out)}: analytic {a:.10g} vs numeric {n:.10g} "
        f"(|difference| {abs(a - n):.3g} > atol {atol:g} + rtol {rtol:g} * |numeric|)"
    )
    if raise_exception:
        raise GradcheckError(msg)
    return False


def _grad_fn(fn: Callable, n_inputs: int, checked: list[int]):
    """x..., v... -> d<v, fn(x)>/dx for the checked inputs, recorded so it can be differentiated."""

    def gradient(*args):
        xs, vs = args[:n_inputs], args[n_inputs:]
        outs = _outputs(fn(*xs), "gradgradcheck")
        live = [(o, v) for o, v in zip(outs, vs) if o.requires_grad]
        targets = [xs[i] for i in checked]
        if not live:
            return [Tensor(np.zeros(t.shape)) for t in targets]
        gs = grad([o for o, _ in live], targets, [v for _, v in live], create_graph=True, allow_unused=True)
        return [g if g is not None else Tensor(np.zeros(t.shape)) for g, t in zip(gs, targets)]

    return gradient


def gradgradcheck(fn: Callable, inputs: Sequence[Tensor], grad_outputs=None, eps: float = 1e-6,
                  atol: float = 1e-5, rtol: float = 1e-3, seed: int = 0,
                  raise_exception: bool = True) -> bool:
    """Second order: gradcheck of (x, v) -> grad(fn(x), x, v, create_graph=True).

    grad_outputs (v) are random float64 tensors by default; they are inputs of the check too, so the
    VJP's linearity in v is checked as well as its derivative in x.
    """
    inputs, checked = _checked_inputs(inputs, "gradgradcheck")
    with no_grad():
        outs = _outputs(fn(*inputs), "gradgradcheck")
    if grad_outputs is None:
        rng = np.random.default_rng(seed)
        vs = [Tensor(rng.standard_normal(o.shape), requires_grad=True, name=f"v{k}")
              for k, o in enumerate(outs)]
    else:
        vs = [grad_outputs] if isinstance(grad_outputs, Tensor) else list(grad_outputs)
        vs = [Tensor(v, requires_grad=True, dtype=np.float64) for v in vs]
        if len(vs) != len(outs):
            raise ValueError(f"gradgradcheck: {len(outs)} outputs but {len(vs)} grad_outputs")
    return gradcheck(_grad_fn(fn, len(inputs), checked), list(inputs) + vs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)


def _pairing(fn, inputs, arrays, checked, us, vs, step) -> float:
    """<u, fn(x + step * v)>"""
    shifted = list(arrays)
    for c, i in enumerate(checked):
        shifted[i] = arrays[i] + step * vs[c]
    return sum(float(np.sum(u * y)) for u, y in zip(us, _evaluate(fn, shifted, inputs)))


def dotcheck(fn: Callable, inputs: Sequence[Tensor], eps: float = 1e-6, rtol: float = 1e-4,
             trials: int = 2, seed: int = 0) -> bool:
    """The dot-product test <u, J v> == <J^T u, v> in random directions u (outputs) and v (inputs).

    J v comes from one central difference along v, J^T u from one backward pass: cheap enough for
    inputs of any size. Raises GradcheckError with both numbers on a mismatch.
    """
    inputs, checked = _checked_inputs(inputs, "dotcheck")
    rng = np.random.default_rng(seed)
    arrays = [np.array(t.data) for t in inputs]
    for trial in range(trials):
        outs = _outputs(fn(*inputs), "dotcheck")
        us = [rng.standard_normal(o.shape) for o in outs]
        vs = [rng.standard_normal(inputs[i].shape) for i in checked]
        live = [(o, u) for o, u in zip(outs, us) if o.requires_grad]
        vjp = grad([o for o, _ in live], [inputs[i] for i in checked], [Tensor(u) for _, u in live],
                   allow_unused=True) if live else [None] * len(checked)
        analytic = sum(float(np.sum(g.data * v)) for g, v in zip(vjp, vs) if g is not None)

        numeric = (_pairing(fn, inputs, arrays, checked, us, vs, eps)
                   - _pairing(fn, inputs, arrays, checked, us, vs, -eps)) / (2 * eps)
        scale = max(abs(analytic), abs(numeric), 1e-12)
        if not abs(analytic - numeric) <= rtol * scale + 1e-10:
            raise GradcheckError(
                f"dotcheck: trial {trial}: <J^T u, v> = {analytic:.10g} (VJP) but <u, J v> = "
                f"{numeric:.10g} (finite difference); relative difference "
                f"{abs(analytic - numeric) / scale:.3g} > rtol {rtol:g}"
            )
    return True
