"""The seed text's toy model for vanishing gradients, and its skip-connected twin.

    C(theta)     = tanh(tanh(... tanh(theta)))     n times: tanh^n(theta)
    C_res(theta) = C(theta) + theta                the skip connection

With a_0 = theta and a_k = tanh(a_{k-1}), the chain rule multiplies n local derivatives:

    dC/dtheta     = prod_{k=1..n} (1 - a_k^2)      each factor is at most 1, so it shrinks with n
    dC_res/dtheta = prod_{k=1..n} (1 - a_k^2) + 1  the identity path keeps it at least 1
"""

from __future__ import annotations

import numpy as np

from autograd import Tensor


def tanh_chain(n: int, skip: bool = False, theta=0.5) -> tuple[Tensor, Tensor]:
    """Build C = tanh^n(theta) (plus theta with skip=True); returns (theta, C).

    `theta` may be a number (a new leaf named "theta" is made) or a Tensor that requires grad.
    """
    if int(n) != n or n < 1:
        raise ValueError(f"tanh_chain: n must be a positive integer, got {n!r}")
    if not isinstance(theta, Tensor):
        theta = Tensor(float(theta), requires_grad=True, name="theta")
    c = theta
    for _ in range(int(n)):
        c = c.tanh()
    if skip:
        c = c + theta
    c.name = "C_res" if skip else "C"
    return theta, c


def chain_activations(n: int, theta: float) -> np.ndarray:
    """a_1 .. a_n of the chain, in float64."""
    a = np.empty(n)
    x = float(theta)
    for k in range(n):
        x = np.tanh(x)
        a[k] = x
    return a


def chain_derivative(n: int, theta: float, skip: bool = False) -> float:
    """Closed form of dC/dtheta (or dC_res/dtheta): the product of the n factors 1 - a_k^2 (+ 1)."""
    a = chain_activations(n, theta)
    return float(np.prod(1.0 - a * a)) + (1.0 if skip else 0.0)
