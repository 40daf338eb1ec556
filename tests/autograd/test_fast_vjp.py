"""Every fast_vjp gives exactly (bit for bit) what its primitive's Tensor-op vjp gives.

A primitive's `vjp` in Tensor ops is the single source of the backward pass: it is what a recorded
backward pass draws and differentiates again. The engine uses `fast_vjp` (the same steps on arrays)
only when nothing is recorded, so the two must agree exactly, on random shapes, broadcasting, both
float dtypes and special values (inf, NaN, signed zeros) in the inputs and in the upstream gradient.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import warnings

import numpy as np
import pytest

import autograd
import autograd.ops as ops_package
from autograd import Tensor
from autograd.function import Function
from autograd.ops import reduce

SPECIAL = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 1e-300, 3.0])


def _functions_with_fast_vjp() -> list[type[Function]]:
    """Every Function class in autograd.ops that defines a fast_vjp (found by looking, not by a list)."""
    found = set()
    for info in pkgutil.iter_modules(ops_package.__path__):
        module = importlib.import_module(f"autograd.ops.{info.name}")
        for obj in vars(module).values():
            if inspect.isclass(obj) and issubclass(obj, Function) and obj.fast_vjp is not None:
                found.add(obj)
    return sorted(found, key=lambda c: c.name)


def _random_shape(rng, ndim_max=3) -> tuple[int, ...]:
    return tuple(int(n) for n in rng.integers(1, 5, size=rng.integers(0, ndim_max + 1)))


def _broadcast_pair(rng):
    """Two shapes that broadcast together (some axes of one of them 1 or missing)."""
    full = _random_shape(rng)
    def cut(s):
        s = tuple(1 if rng.random() < 0.3 else n for n in s)
        return s[int(rng.integers(0, len(s) + 1)):] if rng.random() < 0.3 else s
    return cut(full), cut(full)


def _values(rng, shp, dtype, special: bool) -> np.ndarray:
    a = rng.standard_normal(shp)
    if special and a.size:
        mask = rng.random(shp) < 0.4
        a = np.where(mask, rng.choice(SPECIAL, size=shp), a)
    return np.asarray(a, dtype=dtype)


# one maker per primitive: rng, dtype, special -> (output node built from fresh leaves)
def _unary(op, positive=False):
    def make(rng, dtype, special):
        x = _values(rng, _random_shape(rng), dtype, special)
        if positive and not special:
            x = np.abs(x) + dtype(0.1)
        return op(Tensor(x, requires_grad=True))
    return make


def _binary(op):
    def make(rng, dtype, special):
        sx, sy = _broadcast_pair(rng)
        return op(Tensor(_values(rng, sx, dtype, special), requires_grad=True),
                  Tensor(_values(rng, sy, dtype, special), requires_grad=True))
    return make


def _where(rng, dtype, special):
    sx, sy = _broadcast_pair(rng)
    cond = rng.random(np.broadcast_shapes(sx, sy)) < 0.5
    return autograd.where(cond, Tensor(_values(rng, sx, dtype, special), requires_grad=True),
                          Tensor(_values(rng, sy, dtype, special), requires_grad=True))


def _sum(rng, dtype, special):
    shp = _random_shape(rng)
    x = Tensor(_values(rng, shp, dtype, special), requires_grad=True)
    axes = [i for i in range(len(shp)) if rng.random() < 0.5]
    axis = None if rng.random() < 0.3 else tuple(axes)
    return autograd.sum(x, axis=axis, keepdims=bool(rng.random() < 0.5))


def _sum_to(rng, dtype, special):
    small = tuple(1 if rng.random() < 0.5 else n for n in _random_shape(rng))
    big = _random_shape(rng, 2) + tuple(int(rng.integers(1, 4)) if n == 1 else n for n in small)
    return reduce.sum_to(Tensor(_values(rng, big, dtype, special), requires_grad=True), small)


def _broadcast_to(rng, dtype, special):
    small, _ = _broadcast_pair(rng)
    big = tuple(int(rng.integers(1, 4)) if n == 1 else n for n in small)
    big = tuple(int(n) for n in rng.integers(1, 3, size=rng.integers(0, 2))) + big
    return autograd.broadcast_to(Tensor(_values(rng, small, dtype, special), requires_grad=True), big)


def _reshape(rng, dtype, special):
    shp = _random_shape(rng)
    x = Tensor(_values(rng, shp, dtype, special), requires_grad=True)
    return autograd.reshape(x, (int(np.prod(shp, dtype=int)),) if rng.random() < 0.5 else shp[::-1] + (1,))


def _transpose(rng, dtype, special):
    shp = _random_shape(rng) + (2,)
    x = Tensor(_values(rng, shp, dtype, special), requires_grad=True)
    return autograd.transpose(x, tuple(int(i) for i in rng.permutation(len(shp))))


def _matmul(rng, dtype, special):
    m, k, n = (int(v) for v in rng.integers(1, 5, size=3))
    batch = _random_shape(rng, 2)
    kind = int(rng.integers(0, 5))
    sx, sy = [((k,), (k,)), ((k,), (k, n)), ((m, k), (k,)), ((m, k), (k, n)),
              (batch + (m, k), batch[1:] + (k, n))][kind]
    return autograd.matmul(Tensor(_values(rng, sx, dtype, special), requires_grad=True),
                           Tensor(_values(rng, sy, dtype, special), requires_grad=True))


def _avg_pool(rng, dtype, special):
    k = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    s = k if rng.random() < 0.5 else (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    hw = (k[0] + int(rng.integers(0, 5)), k[1] + int(rng.integers(0, 5)))
    x = Tensor(_values(rng, (int(rng.integers(1, 3)), int(rng.integers(1, 3))) + hw, dtype, special),
               requires_grad=True)
    return autograd.avg_pool2d(x, k, s)


def _conv_args(rng):
    """A random convolution: stride, padding, dilation and a kernel; sizes up to 13 reach every internal
    path of correlate2d (whole rows, im2col, one image, long kernel rows for the kernel's gradient)."""
    stride = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
    dilation = (int(rng.integers(1, 3)), int(rng.integers(1, 3))) if rng.random() < 0.3 else (1, 1)
    kernel = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    padding = (int(rng.integers(0, 2)), int(rng.integers(0, 2)))
    return stride, padding, dilation, kernel


def _correlate2d(rng, dtype, special):
    stride, padding, dilation, (f1, f2) = _conv_args(rng)
    n, c, k = int(rng.integers(1, 4)), int(rng.integers(1, 3)), int(rng.integers(1, 3))
    hw = tuple(d * (f - 1) + int(rng.integers(1, 12)) for d, f in zip(dilation, (f1, f2)))
    x = Tensor(_values(rng, (n, c) + hw, dtype, special), requires_grad=True)
    w = Tensor(_values(rng, (k, c, f1, f2), dtype, special), requires_grad=True)
    return autograd.correlate2d(x, w, stride=stride, padding=padding, dilation=dilation)


def _conv_transpose2d(rng, dtype, special):
    stride, padding, dilation, (f1, f2) = _conv_args(rng)
    n, c, k = int(rng.integers(1, 4)), int(rng.integers(1, 3)), int(rng.integers(1, 3))
    hw = (int(rng.integers(1, 10)) + 2 * padding[0], int(rng.integers(1, 10)) + 2 * padding[1])
    output_padding = tuple(int(rng.integers(0, max(s, d))) for s, d in zip(stride, dilation))
    g = Tensor(_values(rng, (n, k) + hw, dtype, special), requires_grad=True)
    w = Tensor(_values(rng, (k, c, f1, f2), dtype, special), requires_grad=True)
    return autograd.conv_transpose2d(g, w, stride=stride, padding=padding, output_padding=output_padding,
                                     dilation=dilation)


MAKERS = {
    "add": _binary(autograd.add), "sub": _binary(autograd.sub), "mul": _binary(autograd.mul),
    "div": _binary(autograd.div), "where": _where,
    "neg": _unary(autograd.neg), "exp": _unary(autograd.exp), "log": _unary(autograd.log, positive=True),
    "tanh": _unary(autograd.tanh), "relu": _unary(autograd.relu),
    "sum": _sum, "sum_to": _sum_to, "broadcast_to": _broadcast_to, "reshape": _reshape,
    "transpose": _transpose, "matmul": _matmul, "avg_pool2d": _avg_pool,
    "correlate2d": _correlate2d, "conv_transpose2d": _conv_transpose2d,
}

FAST = _functions_with_fast_vjp()


def _same_bits(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def test_every_fast_vjp_has_a_case_here():
    missing = [c.name for c in FAST if c.name not in MAKERS]
    assert not missing, f"add a maker to MAKERS for: {missing}"
    assert len(FAST) >= 15  # the hot primitives all have one (the list is found by looking)


@pytest.mark.parametrize("fn", FAST, ids=lambda c: c.name)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("special", [False, True], ids=["plain", "special-values"])
def test_fast_vjp_equals_the_tensor_op_vjp(fn, dtype, special):
    rng = np.random.default_rng([hash(fn.name) % 2**32, special])
    compared = 0
    for _ in range(60):
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            out = MAKERS[fn.name](rng, dtype, special)
            if out._fn is not fn:  # a shape that the op's function short-cuts (e.g. reshape to itself)
                continue
            g = _values(rng, out.shape, out.dtype, special)
            for needs in ([True] * len(out.parents), [True] + [False] * (len(out.parents) - 1),
                          [False] * (len(out.parents) - 1) + [True]):
                with autograd.no_grad():
                    slow = fn.vjp(Tensor(g), out, needs)
                fast = fn.fast_vjp(g, out, needs)
                assert len(fast) == len(slow)
                for i, (s, f) in enumerate(zip(slow, fast)):
                    if s is None or not needs[i]:
                        assert f is None or not needs[i]
                        continue
                    assert _same_bits(s.data, f), (fn.name, i, out.parents[i].shape, g.shape)
                    compared += 1
    assert compared >= 60


def test_backward_without_create_graph_equals_the_recorded_backward():
    """End to end: the fast path and the recorded path give the same bits for a small network."""
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((4, 1, 6, 6)).astype(np.float32))
    w = Tensor(rng.standard_normal((3, 1, 3, 3)).astype(np.float32), requires_grad=True)
    v = Tensor(rng.standard_normal((12, 2)).astype(np.float32), requires_grad=True)

    def loss():
        h = autograd.avg_pool2d(autograd.correlate2d(x, w).tanh(), 2)   # (4, 3, 2, 2)
        y = h.reshape(4, 12) @ v
        return (autograd.exp(-y) / (1 + y * y)).relu().sum()

    fast = autograd.grad(loss(), [w, v])
    recorded = autograd.grad(loss(), [w, v], create_graph=True)
    for f, r in zip(fast, recorded):
        assert _same_bits(f.data, r.data)
