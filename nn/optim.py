"""Optimizers: SGD (with momentum) and Adam, with the update rules of PyTorch's torch.optim.

An optimizer holds a list of parameters; `step()` reads each parameter's `.grad` and changes `.data`
in place with plain NumPy (nothing is recorded); parameters whose `.grad` is None are skipped, and
their state (momentum buffer, Adam's moments and step count) does not advance. Weight decay is the L2
kind, added to the gradient: g = grad + weight_decay * p (as in torch.optim.SGD and Adam, not AdamW).

    opt = nn.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    for xb, yb in batches:
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from autograd import Tensor, no_grad

__all__ = ["SGD", "Adam", "Optimizer"]


def _number(value, name: str, who: str, low: float, low_ok: bool, high: float = math.inf) -> float:
    """A real number in [low, high) (or (low, high) when low_ok is False); NaN is rejected."""
    if not isinstance(value, numbers.Real) or isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{who}: {name} must be a number, got {value!r}")
    value = float(value)
    above = value >= low if low_ok else value > low
    if not (above and value < high):
        lo = "[" if low_ok else "("
        raise ValueError(f"{who}: {name} must be in {lo}{low}, {high}), got {value}")
    return value


class Optimizer:
    """Base class: the parameter list, zero_grad(), and per-parameter state (a dict per parameter)."""

    def __init__(self, params, who: str):
        if isinstance(params, Tensor):
            raise TypeError(f"{who}: params must be an iterable of Parameters (e.g. model.parameters()), "
                            f"not a single Tensor; wrap it in a list")
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{who}: got an empty parameter list")
        seen = set()
        for i, p in enumerate(self.params):
            if not isinstance(p, Tensor):
                raise TypeError(f"{who}: parameter {i} is a {type(p).__name__}, not a Tensor")
            if not p.is_leaf:
                raise ValueError(f"{who}: parameter {i} (shape {p.shape}) was made by '{p.op}'; "
                                 f"only leaf tensors can be optimized")
            if id(p) in seen:
                raise ValueError(f"{who}: parameter {i} (shape {p.shape}) appears more than once")
            seen.add(id(p))
        self.state: dict[int, dict] = {}  # id(p) -> that parameter's buffers

    def zero_grad(self) -> None:
        """Set every parameter's .grad to None."""
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        raise NotImplementedError

    def _gradients(self) -> list:
        """(parameter, gradient + weight_decay * parameter) for every parameter that has a .grad.

        All are checked before any is returned, so that a bad gradient changes no parameter.
        """
        out = []
        for p in self.params:
            if p.grad is None:
                continue
            g = p.grad.data
            if g.shape != p.data.shape:  # .grad is checked when assigned, but its .data can be replaced
                raise ValueError(f"{type(self).__name__}.step: the gradient of a parameter of shape "
                                 f"{p.shape} has shape {g.shape}; no parameter was changed")
            if self.weight_decay:
                g = g + self.weight_decay * p.data
            out.append((p, g))
        return out


class SGD(Optimizer):
    """Stochastic gradient descent with momentum, as torch.optim.SGD (dampening 0, no Nesterov).

        g = grad + weight_decay * p
        b = g                      on the first step,   b = momentum * b + g   after   (if momentum > 0)
        p = p - lr * b             (p = p - lr * g without momentum)
    """

    def __init__(self, params, lr: float, momentum: float = 0.0, weight_decay: float = 0.0):
        super().__init__(params, "SGD")
        self.lr = _number(lr, "lr", "SGD", 0.0, False)
        self.momentum = _number(momentum, "momentum", "SGD", 0.0, True)
        self.weight_decay = _number(weight_decay, "weight_decay", "SGD", 0.0, True)

    @no_grad()
    def step(self) -> None:
        for p, g in self._gradients():
            if self.momentum:
                state = self.state.setdefault(id(p), {})
                buf = state.get("momentum_buffer")
                if buf is None:
                    buf = state["momentum_buffer"] = np.array(g, dtype=p.dtype)  # a copy of g
                else:
                    buf *= self.momentum
                    buf += g
                g = buf
            p.data -= self.lr * g


class Adam(Optimizer):
    """Adam, as torch.optim.Adam (L2 weight decay added to the gradient; amsgrad off).

        g = grad + weight_decay * p;   t = t + 1
        m = beta1 * m + (1 - beta1) * g          v = beta2 * v + (1 - beta2) * g^2
        m_hat = m / (1 - beta1^t)                v_hat = v / (1 - beta2^t)
        p = p - lr * m_hat / (sqrt(v_hat) + eps)
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0):
        super().__init__(params, "Adam")
        self.lr = _number(lr, "lr", "Adam", 0.0, False)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"Adam: betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = (_number(betas[0], "beta1", "Adam", 0.0, True, 1.0),
                      _number(betas[1], "beta2", "Adam", 0.0, True, 1.0))
        self.eps = _number(eps, "eps", "Adam", 0.0, True)
        self.weight_decay = _number(weight_decay, "weight_decay", "Adam", 0.0, True)

    @no_grad()
    def step(self) -> None:
        beta1, beta2 = self.betas
        for p, g in self._gradients():
            state = self.state.get(id(p))
            if state is None:
                zeros = np.zeros_like(p.data)
                state = self.state[id(p)] = {"step": 0, "exp_avg": zeros, "exp_avg_sq": zeros.copy()}
            state["step"] += 1
            t, m, v = state["step"], state["exp_avg"], state["exp_avg_sq"]
            m *= beta1
            m += (1 - beta1) * g
            v *= beta2
            v += (1 - beta2) * g * g
            m_hat = m / (1 - beta1**t)
            v_hat = v / (1 - beta2**t)
            p.data -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
