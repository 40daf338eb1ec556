"""Shape primitives: reshape, transpose, getitem and its VJP scatter_add."""

from __future__ import annotations

import numpy as np

from autograd.convert import operand
from autograd.function import Function, apply
from autograd.tensor import Tensor


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

    @staticmethod
    def fast_vjp(g, out, needs):
        shape = out.parents[0].data.shape
        return (g if g.shape == shape else np.reshape(g, shape),)


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

    @staticmethod
    def fast_vjp(g, out, needs):
        return (np.transpose(g, tuple(int(i) for i in np.argsort(out.params["axes"]))),)


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


def _is_int(n) -> bool:
    return isinstance(n, (int, np.integer)) and not isinstance(n, (bool, np.bool_))


def sizes(shape, op: str, of=None) -> tuple[int, ...]:
    """`shape` (an int, or a sequence or integer array of ints) as a tuple of Python ints.

    Floats, bools, strings and None are refused, as NumPy refuses them: reshape(3.9, 2) is an error,
    not (3, 2). `of`, the shape of the tensor being reshaped, goes into the error.
    """
    if isinstance(shape, (tuple, list)) and len(shape) == 1 and isinstance(shape[0], (np.ndarray, Tensor)):
        shape = shape[0]  # x.reshape(np.array([2, 3])) arrives as (array([2, 3]),)
    if isinstance(shape, Tensor):
        shape = shape.data
    if isinstance(shape, np.ndarray):
        shape = shape.tolist() if shape.ndim else shape.item()
    items = tuple(shape) if isinstance(shape, (tuple, list)) else (shape,)
    bad = [n for n in items if not _is_int(n)]
    if bad:
        source = "" if of is None else f" (for a tensor of shape {tuple(of)})"
        raise TypeError(f"{op}: sizes must be integers; got {bad[0]!r} of type {type(bad[0]).__name__} "
                        f"in shape {shape!r}{source}")
    return tuple(int(n) for n in items)


def _index_item(i):
    """One entry of an index as getitem passes it to NumPy: a 0-d bool becomes a Python bool (a new
    axis of length 1 or 0, as NumPy), a sequence (list or tuple) or a Tensor an array."""
    if isinstance(i, Tensor):
        i = i.data
    if isinstance(i, np.ndarray) and i.ndim == 0 and i.dtype == bool:
        return bool(i)
    if isinstance(i, np.bool_):
        return bool(i)
    if isinstance(i, (list, tuple, np.ndarray)):
        empty = isinstance(i, (list, tuple)) and len(i) == 0
        return np.array(i, dtype=np.intp if empty else None)  # our own copy: the VJP must see
        # the index the forward used (an empty list would be float64; NumPy takes it as integers)
    return i


def _normalize_index(index, shape=None) -> tuple:
    """A tuple of ints, bools, slices, None, Ellipsis and integer arrays (bool masks become their
    nonzero(), after their shape is checked against `shape`, the shape indexed, when it is given)."""
    if not isinstance(index, tuple):
        index = (index,)
    index = tuple(_index_item(i) for i in index)
    if shape is not None:
        _check_masks(index, tuple(shape))
    out = []
    for i in index:
        if isinstance(i, np.ndarray):
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


def _check_masks(index: tuple, shape: tuple) -> None:
    """A bool mask must match the axes it covers exactly (NumPy's rule); nonzero() alone would not care."""
    def width(i) -> int:  # how many axes of `shape` an entry uses up
        if i is None or i is Ellipsis or isinstance(i, bool):
            return 0
        return i.ndim if isinstance(i, np.ndarray) and i.dtype == bool else 1

    used = 0
    for i in index:
        used += width(i)
    axis = 0
    for i in index:
        if i is Ellipsis:
            axis += max(len(shape) - used, 0)
        elif isinstance(i, np.ndarray) and i.dtype == bool and i.ndim > 0:
            covered = shape[axis: axis + i.ndim]
            if covered != i.shape:
                raise IndexError(f"getitem: boolean index of shape {i.shape} does not match axes "
                                 f"{axis}..{axis + i.ndim - 1} of shape {shape} (sizes {covered})")
        axis += width(i)


def reshape(x: Tensor, shape) -> Tensor:
    if type(x) is not Tensor:
        x = operand(x, "reshape")
    shape = sizes(shape, "reshape", x.shape)
    if x.data.shape == shape:
        return x
    return apply(Reshape, x, shape=shape)


def transpose(x: Tensor, axes=None) -> Tensor:
    if type(x) is not Tensor:
        x = operand(x, "transpose")
    if axes is None:
        axes = tuple(reversed(range(x.ndim)))
    if isinstance(axes, (tuple, list)) and len(axes) == 1 and isinstance(axes[0], np.ndarray):
        axes = axes[0]  # x.transpose(np.array([1, 0]))
    if isinstance(axes, np.ndarray):
        axes = axes.tolist()
    if not isinstance(axes, (tuple, list)) or not all(_is_int(a) for a in axes):
        raise TypeError(f"transpose: axes must be integers; got {axes!r} for shape {x.shape}")
    axes = tuple(int(a) for a in axes)
    in_range = all(-x.ndim <= a < x.ndim for a in axes)
    if not in_range or sorted(a % x.ndim for a in axes) != list(range(x.ndim)):
        raise ValueError(f"transpose: axes {axes} are not a permutation of the axes of shape {x.shape}")
    axes = tuple(a % x.ndim for a in axes)
    if axes == tuple(range(x.ndim)):
        return x
    return apply(Transpose, x, axes=axes)


def getitem(x: Tensor, index) -> Tensor:
    x = operand(x, "getitem")
    return apply(GetItem, x, index=_normalize_index(index, x.shape))


def scatter_add(x: Tensor, index, shape) -> Tensor:
    shape = sizes(shape, "scatter_add")
    return apply(ScatterAdd, operand(x, "scatter_add"), index=_normalize_index(index, shape), shape=shape)
