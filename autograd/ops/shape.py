"""Shape primitives: reshape, transpose, getitem and its VJP scatter_add."""

from __future__ import annotations

import numpy as np

from autograd.function import Function, apply
from autograd.tensor import Tensor, operand


class Reshape(Function):
    """z = x viewed with a new shape;   x_bar = reshape(g, x.shape)"""

    name = "reshape"

    @staticmethod
    def forward(x, shape):
        return np.reshape(x, shape)

    @staticmethod
    def vjp(g, out, needs):
        (x,) = out.parents
        return (reshape(g, x.shape),)


class Transpose(Function):
    """z = x with axes permuted by p;   x_bar = transpose(g, p^-1)"""

    name = "transpose"

    @staticmethod
    def forward(x, axes):
        return np.transpose(x, axes)

    @staticmethod
    def vjp(g, out, needs):
        inverse = tuple(int(i) for i in np.argsort(out.params["axes"]))
        return (transpose(g, inverse),)


class GetItem(Function):
    """z = x[index];   x_bar = scatter_add(g, index, x.shape)   (repeated indices accumulate)"""

    name = "getitem"

    @staticmethod
    def forward(x, index):
        return x[index]

    @staticmethod
    def vjp(g, out, needs):
        (x,) = out.parents
        return (scatter_add(g, out.params["index"], x.shape),)


class ScatterAdd(Function):
    """z = zeros(shape); z[index] += x (repeats add up);   x_bar = g[index]"""

    name = "scatter_add"

    @staticmethod
    def forward(x, index, shape):
        z = np.zeros(shape, dtype=x.dtype)
        if _is_basic(index):
            z[index] = x  # basic indexing cannot repeat a position
        else:
            np.add.at(z, index, x)
        return z

    @staticmethod
    def vjp(g, out, needs):
        return (getitem(g, out.params["index"]),)


def _is_basic(index: tuple) -> bool:
    return all(i is None or i is Ellipsis or isinstance(i, (int, slice)) for i in index)


def _normalize_index(index) -> tuple:
    """A tuple of ints, slices, None, Ellipsis and integer arrays (bool masks become their nonzero())."""
    if not isinstance(index, tuple):
        index = (index,)
    out = []
    for i in index:
        if isinstance(i, Tensor):
            i = i.data
        if isinstance(i, (list, np.ndarray)):
            empty_list = isinstance(i, list) and len(i) == 0
            i = np.array(i, dtype=np.intp if empty_list else None)  # our own copy: the VJP must see
            # the index the forward used (an empty list would be float64; NumPy takes it as integers)
            if i.dtype == bool:
                out.extend(np.nonzero(i))
                continue
            if i.dtype.kind not in "iu":
                raise IndexError(f"getitem: index arrays must hold integers or bools; got dtype {i.dtype}")
        elif isinstance(i, np.integer):
            i = int(i)
        elif not (i is None or i is Ellipsis or isinstance(i, (int, slice))):
            raise IndexError(f"getitem: unsupported index {i!r} of type {type(i).__name__}")
        out.append(i)
    return tuple(out)


def reshape(x: Tensor, shape) -> Tensor:
    if type(x) is not Tensor:
        x = operand(x, "reshape")
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(int(n) for n in shape)
    if x.data.shape == shape:
        return x
    return apply(Reshape, x, shape=shape)


def transpose(x: Tensor, axes=None) -> Tensor:
    if type(x) is not Tensor:
        x = operand(x, "transpose")
    if axes is None:
        axes = tuple(reversed(range(x.ndim)))
    axes = tuple(int(a) for a in axes)
    in_range = all(-x.ndim <= a < x.ndim for a in axes)
    if not in_range or sorted(a % x.ndim for a in axes) != list(range(x.ndim)):
        raise ValueError(f"transpose: axes {axes} are not a permutation of the axes of shape {x.shape}")
    axes = tuple(a % x.ndim for a in axes)
    if axes == tuple(range(x.ndim)):
        return x
    return apply(Transpose, x, axes=axes)


def getitem(x: Tensor, index) -> Tensor:
    return apply(GetItem, operand(x, "getitem"), index=_normalize_index(index))


def scatter_add(x: Tensor, index, shape) -> Tensor:
    return apply(ScatterAdd, operand(x, "scatter_add"), index=_normalize_index(index), shape=tuple(shape))
