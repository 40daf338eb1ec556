"""Creation functions: new leaf Tensors, NumPy's names and defaults, each with dtype and requires_grad.

    w = ag.normal((3, 2), rng, std=0.1, requires_grad=True)   # rng = np.random.default_rng(0)
    b = ag.zeros(2, requires_grad=True)
    i = ag.arange(5)                                          # int64, as np.arange(5)

zeros, ones, eye, normal and uniform default to float64 (as NumPy); full, arange and the *_like
functions take NumPy's dtype (from the fill value, the arguments, the model tensor). Only floating
dtypes can require grad. Random tensors come from a NumPy Generator passed in, never from global state,
so a seed reproduces them.
"""

from __future__ import annotations

import numbers

import numpy as np

from autograd.ops.shape import sizes
from autograd.tensor import Tensor

_FLOAT64 = np.float64


def _dtype(dtype, op: str) -> np.dtype | None:
    if dtype is None:
        return None
    try:
        dtype = np.dtype(dtype)
    except TypeError as err:
        raise TypeError(f"{op}: {dtype!r} is not a dtype: {err}") from None
    if dtype.kind not in "biuf":
        raise TypeError(f"{op}: Tensors hold real numbers (bool, int or float); got dtype {dtype}")
    return dtype


def _shape(shape, op: str) -> tuple[int, ...]:
    shape = sizes(shape, op)
    if any(n < 0 for n in shape):
        raise ValueError(f"{op}: sizes must be non-negative; got shape {shape}")
    return shape


def _leaf(arr: np.ndarray, requires_grad: bool, op: str) -> Tensor:
    if requires_grad and arr.dtype.kind != "f":
        raise TypeError(f"{op}: only floating-point tensors can require grad; got dtype {arr.dtype} "
                        f"(pass dtype=np.float64)")
    t = Tensor._leaf(arr, "forward")
    t.requires_grad = bool(requires_grad)
    return t


def _number(value, op: str, what: str):
    if isinstance(value, Tensor):
        value = value.data
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if not isinstance(value, (numbers.Real, np.bool_)):
        raise TypeError(f"{op}: {what} must be a number; got {value!r}")
    return value


def zeros(shape, dtype=_FLOAT64, requires_grad: bool = False) -> Tensor:
    """A tensor of 0s: zeros((2, 3)) or zeros(3)."""
    return _leaf(np.zeros(_shape(shape, "zeros"), dtype=_dtype(dtype, "zeros")), requires_grad, "zeros")


def ones(shape, dtype=_FLOAT64, requires_grad: bool = False) -> Tensor:
    """A tensor of 1s."""
    return _leaf(np.ones(_shape(shape, "ones"), dtype=_dtype(dtype, "ones")), requires_grad, "ones")


def full(shape, fill_value, dtype=None, requires_grad: bool = False) -> Tensor:
    """A tensor of `fill_value`; dtype None takes the fill value's (full(2, 7) is int64, as NumPy)."""
    value = _number(fill_value, "full", "fill_value")
    arr = np.full(_shape(shape, "full"), value, dtype=_dtype(dtype, "full"))
    return _leaf(arr, requires_grad, "full")


def arange(start, stop=None, step=1, dtype=None, requires_grad: bool = False) -> Tensor:
    """start, start + step, ... below stop (arange(n): 0..n-1); dtype from the arguments, as NumPy."""
    if stop is None:
        start, stop = 0, start
    args = [_number(v, "arange", name) for v, name in ((start, "start"), (stop, "stop"), (step, "step"))]
    if args[2] == 0:
        raise ValueError("arange: step must not be zero")
    arr = np.arange(*args, dtype=_dtype(dtype, "arange"))
    return _leaf(arr, requires_grad, "arange")


def eye(N: int, M: int | None = None, k: int = 0, dtype=_FLOAT64, requires_grad: bool = False) -> Tensor:
    """An (N, M) matrix (M defaults to N) with 1s on diagonal k (0 the main one, > 0 above it)."""
    n, m = _shape((N, N if M is None else M), "eye")
    if not isinstance(k, numbers.Integral) or isinstance(k, bool):
        raise TypeError(f"eye: k must be an int; got {k!r}")
    return _leaf(np.eye(n, m, k, dtype=_dtype(dtype, "eye")), requires_grad, "eye")


def _like(x) -> np.ndarray:
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def zeros_like(x, dtype=None, requires_grad: bool = False) -> Tensor:
    """0s of x's shape and (unless given) dtype; a new leaf, not connected to x."""
    return _leaf(np.zeros_like(_like(x), dtype=_dtype(dtype, "zeros_like")), requires_grad,
                 "zeros_like")


def ones_like(x, dtype=None, requires_grad: bool = False) -> Tensor:
    """1s of x's shape and (unless given) dtype; a new leaf, not connected to x."""
    return _leaf(np.ones_like(_like(x), dtype=_dtype(dtype, "ones_like")), requires_grad,
                 "ones_like")


def full_like(x, fill_value, dtype=None, requires_grad: bool = False) -> Tensor:
    """`fill_value` in x's shape and (unless given) dtype."""
    value = _number(fill_value, "full_like", "fill_value")
    arr = np.full_like(_like(x), value, dtype=_dtype(dtype, "full_like"))
    return _leaf(arr, requires_grad, "full_like")


def _generator(rng, op: str) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"{op}: rng must be a numpy.random.Generator (np.random.default_rng(seed)); "
                        f"got {type(rng).__name__}")
    return rng


def _float_dtype(dtype, op: str) -> np.dtype:
    dtype = _dtype(dtype, op)
    if dtype.kind != "f":
        raise TypeError(f"{op}: random values need a floating dtype; got {dtype}")
    return dtype


def normal(shape, rng, mean=0.0, std=1.0, dtype=_FLOAT64, requires_grad: bool = False) -> Tensor:
    """Samples of N(mean, std^2) from the Generator `rng` (drawn in float64, then cast to dtype)."""
    shape, rng, dtype = _shape(shape, "normal"), _generator(rng, "normal"), _float_dtype(dtype, "normal")
    mean, std = _number(mean, "normal", "mean"), _number(std, "normal", "std")
    if std < 0:
        raise ValueError(f"normal: std must be non-negative; got {std}")
    return _leaf(rng.normal(mean, std, size=shape).astype(dtype), requires_grad, "normal")


def uniform(shape, rng, low=0.0, high=1.0, dtype=_FLOAT64, requires_grad: bool = False) -> Tensor:
    """Samples of U[low, high) from the Generator `rng` (drawn in float64, then cast to dtype)."""
    shape, rng, dtype = _shape(shape, "uniform"), _generator(rng, "uniform"), _float_dtype(dtype, "uniform")
    low, high = _number(low, "uniform", "low"), _number(high, "uniform", "high")
    if not low <= high:
        raise ValueError(f"uniform: low must not exceed high; got low={low}, high={high}")
    return _leaf(rng.uniform(low, high, size=shape).astype(dtype), requires_grad, "uniform")
