"""Values into Tensors: how numbers, arrays and lists become the inputs of ops.

    as_tensor([1.0, 2.0])          # a leaf holding a copy of the list
    operands(x, 2.0, "mul")        # (x, a constant 2.0 in x's floating dtype)
    operand(np.ones(3), "tanh")    # a leaf holding a copy of the array

Every op converts its inputs here. A Python or NumPy number meeting a Tensor takes the Tensor's floating
dtype, so float32 stays float32; a Tensor is passed through as it is. Python numbers become read-only
0-d arrays that are cached, since VJPs use the same few numbers over and over.

NOTE: this module imports Tensor from autograd.tensor, which imports the ops at its end; the ops import
this module. So autograd.tensor must be imported first (autograd/__init__.py does).
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from autograd.tensor import Tensor, _to_array


def as_tensor(value, like: Tensor | None = None, op: str = "Tensor") -> Tensor:
    """A Tensor for `value` (a copy of arrays and lists); errors name `op`.

    A real Python or NumPy number takes `like`'s floating dtype, so float32 stays float32.
    """
    if type(value) is float or type(value) is int:  # the common case, kept fast
        return Tensor._leaf(_constant(value, None if like is None else like.data.dtype))
    if isinstance(value, Tensor):
        return value
    if isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)):
        if like is not None and like.data.dtype.kind == "f":
            return Tensor._leaf(np.asarray(value, dtype=like.data.dtype))
    return Tensor._leaf(_to_array(value, who=op))


_constants: dict = {}  # (type, number, id(the other operand's dtype)) -> (that dtype, 0-d array)


def _constant(value: float | int, like_dtype) -> np.ndarray:
    """A read-only 0-d array for a Python number meeting an operand of `like_dtype` (None: no operand):
    in that dtype when it is floating point, else NumPy's choice.

    Cached: VJPs use the same few numbers over and over. The key holds the dtype's id (hashing a dtype
    costs more than the lookup); the entry holds the dtype itself, so that id stays its own.
    NOTE: -0.0 == 0.0 (one key, yet 1/-0.0 is -inf) and NaN != NaN (a new key each time): neither is cached.
    """
    if value != value or (not value and math.copysign(1.0, value) < 0):  # NaN or -0.0
        return _new_constant(value, like_dtype)
    key = (type(value), value, id(like_dtype))
    hit = _constants.get(key)
    if hit is not None:
        return hit[1]
    arr = _new_constant(value, like_dtype)
    if len(_constants) < 1024:
        _constants[key] = (like_dtype, arr)
    return arr


def _new_constant(value: float | int, like_dtype) -> np.ndarray:
    """A read-only 0-d array of `value`: in `like_dtype` when that is floating point."""
    floating = like_dtype is not None and like_dtype.kind == "f"
    arr = np.asarray(value, dtype=like_dtype if floating else None)
    if arr.dtype.kind == "O":  # an int past int64/uint64: NumPy keeps a Python object
        raise OverflowError(f"the integer {value} does not fit in 64 bits; use a float ({float(value):g})")
    arr.flags.writeable = False
    return arr


def operands(x, y, op: str) -> tuple[Tensor, Tensor]:
    """Two Tensors for the binary op `op`; a number takes the other operand's float dtype."""
    if type(x) is Tensor:  # the common cases, kept fast
        return (x, y) if type(y) is Tensor else (x, as_tensor(y, like=x, op=op))
    if type(y) is Tensor:
        return as_tensor(x, like=y, op=op), y
    if not isinstance(x, Tensor):
        x = as_tensor(x, like=y if isinstance(y, Tensor) else None, op=op)
    if not isinstance(y, Tensor):
        y = as_tensor(y, like=x, op=op)
    return x, y


def operand(x, op: str) -> Tensor:
    """A Tensor for the input of the one-input op `op` (arrays, lists and numbers are converted).

    Hot paths skip the call for plain Tensors: `x if type(x) is Tensor else operand(x, "tanh")`.
    """
    return x if isinstance(x, Tensor) else as_tensor(x, op=op)
