"""Shapes and indexing beyond reshape/transpose/getitem: NumPy's names and semantics.

Primitives (a NumPy forward beside a VJP in Tensor ops; einsum has its own file):
    concatenate   z = [x1 | x2 | ...] along axis;   xk_bar = g[..., offset_k : offset_k + n_k, ...]
    pad           z = x with constant borders;       x_bar = g without the borders (a getitem)
    flip          z = x reversed along axes;         x_bar = flip(g, axes)

Composed from primitives, so exact to every order with no VJP of their own:
    squeeze, expand_dims, flatten (reshape); swapaxes, moveaxis (transpose); stack (expand_dims +
    concatenate); split, repeat, take_along_axis (getitem, whose VJP is scatter_add); tile (reshape +
    broadcast_to + reshape).
    one_hot is a constant: integer classes in, no gradient.

Shape letters in comments: n = the size of the axis an op works along.
"""

from __future__ import annotations

import itertools
import numbers

import numpy as np

from autograd.convert import as_tensor, operand
from autograd.function import Function, apply
from autograd.ops.reduce import broadcast_to, normalize_axes
from autograd.ops.shape import getitem, reshape, sizes, transpose
from autograd.tensor import Tensor


def _is_int(n) -> bool:
    return isinstance(n, numbers.Integral) and not isinstance(n, (bool, np.bool_))


def one_axis(axis, ndim: int, op: str, shape) -> int:
    """One axis (an int, negatives allowed) as a non-negative int below `ndim`; errors name `op`."""
    if not _is_int(axis):
        raise TypeError(f"{op}: axis must be an int; got {axis!r} (shape {tuple(shape)})")
    if not -ndim <= axis < ndim:
        raise ValueError(f"{op}: axis {axis} is out of range for shape {tuple(shape)}")
    return int(axis) % ndim


def _along(axis: int, index) -> tuple:
    """An index that applies `index` to axis `axis` and takes everything on the axes before it."""
    return (slice(None),) * axis + (index,)


def _tensors(seq, op: str) -> list[Tensor]:
    """A list of Tensors (arrays, lists and numbers converted, taking the dtype of a Tensor among them)."""
    if isinstance(seq, (str, bytes)) or not hasattr(seq, "__iter__"):
        raise TypeError(f"{op}: expected a sequence of tensors; got {type(seq).__name__}")
    items = list(seq)
    if not items:
        raise ValueError(f"{op}: need at least one tensor to join")
    like = next((t for t in items if isinstance(t, Tensor)), None)
    return [as_tensor(t, like=like, op=op) for t in items]


# ---------------------------------------------------------------------------------------------------
# primitives


class Concatenate(Function):
    """z = concatenate([x1, ..., xk], axis);   xi_bar = g[..., o_i : o_i + n_i, ...] on that axis

    o_i is where x_i starts in z, n_i its size along the axis; the other axes are the same for all.
    """

    name = "concatenate"

    @staticmethod
    def forward(*arrays, axis):
        return np.concatenate(arrays, axis=axis)

    @staticmethod
    def vjp(g, out, needs):
        axis, grads, start = out.params["axis"], [], 0
        for x, need in zip(out.parents, needs):
            stop = start + x.shape[axis]
            grads.append(getitem(g, _along(axis, slice(start, stop))) if need else None)
            start = stop
        return tuple(grads)


class Pad(Function):
    """z = x with `before`/`after` constants on each axis;   x_bar = g[b1 : b1 + n1, b2 : b2 + n2, ...]

    The constants do not depend on x, so the border of g is dropped.
    """

    name = "pad"

    @staticmethod
    def forward(x, pad_width, constant_values):
        return np.pad(x, pad_width, mode="constant", constant_values=constant_values)

    @staticmethod
    def vjp(g, out, needs):
        (x,) = out.parents
        inner = tuple(slice(b, b + n) for (b, _), n in zip(out.params["pad_width"], x.shape))
        return (getitem(g, inner),)


class Flip(Function):
    """z = x reversed along `axis` (None: every axis);   x_bar = flip(g, axis)"""

    name = "flip"

    @staticmethod
    def forward(x, axis):
        return np.flip(x, axis)

    @staticmethod
    def vjp(g, out, needs):
        return (apply(Flip, g, axis=out.params["axis"]),)


def _unit(ndim: int, axis: int, n: int) -> tuple[int, ...]:
    return tuple(n if i == axis else 1 for i in range(ndim))


# ---------------------------------------------------------------------------------------------------
# user-facing functions


def squeeze(x, axis=None) -> Tensor:
    """Remove axes of size 1 (all of them, or those in `axis`): (2, 1, 3) -> (2, 3). A reshape."""
    x = operand(x, "squeeze")
    axes = normalize_axes(axis, x.ndim, "squeeze", x.shape)
    if axes is None:
        axes = tuple(i for i, n in enumerate(x.shape) if n == 1)
    for a in axes:
        if x.shape[a] != 1:
            raise ValueError(f"squeeze: cannot remove axis {a} of size {x.shape[a]} (shape {x.shape}); "
                             f"only axes of size 1 can be squeezed")
    return reshape(x, tuple(n for i, n in enumerate(x.shape) if i not in axes))


def expand_dims(x, axis) -> Tensor:
    """Insert axes of size 1 at the places `axis` names in the result: (2, 3), axis=1 -> (2, 1, 3)."""
    x = operand(x, "expand_dims")
    n_new = len(axis) if isinstance(axis, (tuple, list)) else 1
    out_ndim = x.ndim + n_new
    try:
        axes = normalize_axes(axis, out_ndim, "expand_dims", (None,) * out_ndim)
    except ValueError:
        raise ValueError(f"expand_dims: axis {axis!r} is out of range for a result of {out_ndim} axes "
                         f"(input shape {x.shape})") from None
    rest = iter(x.shape)
    return reshape(x, tuple(1 if i in axes else next(rest) for i in range(out_ndim)))


def flatten(x) -> Tensor:
    """NumPy's ndarray.flatten(): all elements in C order, shape (x.size,). A reshape.

    NOTE: nn.Flatten keeps the batch axis; this one does not (as NumPy).
    """
    x = operand(x, "flatten")
    return reshape(x, (x.size,))


def swapaxes(x, axis1: int, axis2: int) -> Tensor:
    """Exchange two axes: (2, 3, 4), 0, 2 -> (4, 3, 2). A transpose."""
    x = operand(x, "swapaxes")
    a, b = one_axis(axis1, x.ndim, "swapaxes", x.shape), one_axis(axis2, x.ndim, "swapaxes", x.shape)
    perm = list(range(x.ndim))
    perm[a], perm[b] = perm[b], perm[a]
    return transpose(x, perm)


def moveaxis(x, source, destination) -> Tensor:
    """Move axes to new places, the others keep their order: (2, 3, 4), 0, -1 -> (3, 4, 2). A transpose."""
    x = operand(x, "moveaxis")
    src = source if isinstance(source, (tuple, list)) else (source,)
    dst = destination if isinstance(destination, (tuple, list)) else (destination,)
    if len(src) != len(dst):
        raise ValueError(f"moveaxis: source {source!r} and destination {destination!r} must name as many "
                         f"axes (shape {x.shape})")
    src = [one_axis(a, x.ndim, "moveaxis", x.shape) for a in src]
    dst = [one_axis(a, x.ndim, "moveaxis", x.shape) for a in dst]
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise ValueError(f"moveaxis: repeated axis in source {source!r} or destination {destination!r}")
    order = [i for i in range(x.ndim) if i not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return transpose(x, order)


def concatenate(tensors, axis: int | None = 0) -> Tensor:
    """Join tensors along an existing axis: (2, 3) and (4, 3), axis 0 -> (6, 3); axis=None flattens first."""
    xs = _tensors(tensors, "concatenate")
    if axis is None:
        xs, axis = [flatten(x) for x in xs], 0
    first = xs[0]
    if first.ndim == 0:
        raise ValueError("concatenate: 0-d tensors cannot be concatenated (use stack)")
    axis = one_axis(axis, first.ndim, "concatenate", first.shape)
    for i, x in enumerate(xs[1:], 1):
        same = x.ndim == first.ndim and all(
            a == b for j, (a, b) in enumerate(zip(x.shape, first.shape)) if j != axis)
        if not same:
            raise ValueError(f"concatenate: input {i} has shape {x.shape} but input 0 has shape "
                             f"{first.shape}; all axes but axis {axis} must match")
    if len(xs) == 1:
        return xs[0]
    return apply(Concatenate, *xs, axis=axis)


def stack(tensors, axis: int = 0) -> Tensor:
    """Join same-shaped tensors along a new axis: two (2, 3), axis 0 -> (2, 2, 3)."""
    xs = _tensors(tensors, "stack")
    for i, x in enumerate(xs[1:], 1):
        if x.shape != xs[0].shape:
            raise ValueError(f"stack: input {i} has shape {x.shape} but input 0 has shape {xs[0].shape}; "
                             f"all inputs must have the same shape")
    axis = one_axis(axis, xs[0].ndim + 1, "stack", xs[0].shape + (None,))
    return concatenate([expand_dims(x, axis) for x in xs], axis)


def split(x, indices_or_sections, axis: int = 0) -> list[Tensor]:
    """Cut x along `axis`: an int N gives N equal parts (an error if they are not equal); a list of
    indices gives the parts between them, as NumPy: split(x, [2, 5]) -> x[:2], x[2:5], x[5:]."""
    x = operand(x, "split")
    if x.ndim == 0:
        raise ValueError("split: a 0-d tensor cannot be split")
    axis = one_axis(axis, x.ndim, "split", x.shape)
    n = x.shape[axis]
    if _is_int(indices_or_sections):
        parts = int(indices_or_sections)
        if parts <= 0:
            raise ValueError(f"split: the number of sections must be positive; got {parts}")
        if n % parts:
            raise ValueError(f"split: axis {axis} of shape {x.shape} has {n} elements, which do not split "
                             f"into {parts} equal sections")
        bounds = [i * (n // parts) for i in range(parts + 1)]
    else:
        cuts = np.asarray(indices_or_sections).tolist()
        if not isinstance(cuts, list) or not all(_is_int(c) for c in cuts):
            raise TypeError(f"split: indices_or_sections must be an int or a sequence of ints; "
                            f"got {indices_or_sections!r}")
        bounds = [0, *cuts, n]
    return [getitem(x, _along(axis, slice(a, b))) for a, b in itertools.pairwise(bounds)]


def pad(x, pad_width, mode: str = "constant", constant_values=0) -> Tensor:
    """Add constant borders, NumPy's pad_width forms: n (every side), (n,), (before, after) (every axis),
    or ((b1, a1), (b2, a2), ...) (one pair per axis). (2, 3), ((1, 0), (2, 2)) -> (3, 7)."""
    x = operand(x, "pad")
    if mode != "constant":
        raise ValueError(f"pad: only mode='constant' is supported; got mode={mode!r}")
    try:
        widths = np.asarray(pad_width)
        if widths.dtype == object or widths.dtype.kind not in "iu" or widths.ndim > 2:
            raise TypeError
        widths = np.broadcast_to(widths, (x.ndim, 2))
    except (TypeError, ValueError):
        raise ValueError(f"pad: pad_width {pad_width!r} does not fit shape {x.shape}: give n, (before, after)"
                         f" or one (before, after) pair of non-negative ints per axis") from None
    if (widths < 0).any():
        raise ValueError(f"pad: pad widths must be non-negative; got {pad_width!r} for shape {x.shape}")
    cv = np.asarray(constant_values.data if isinstance(constant_values, Tensor) else constant_values)
    if cv.dtype.kind not in "biuf" or cv.ndim > 2:
        raise TypeError(f"pad: constant_values must be a number or per-axis numbers; got {constant_values!r}")
    cv = cv.item() if cv.ndim == 0 else tuple(map(tuple, np.broadcast_to(cv, (x.ndim, 2)).tolist()))
    return apply(Pad, x, pad_width=tuple((int(b), int(a)) for b, a in widths), constant_values=cv)


def flip(x, axis=None) -> Tensor:
    """Reverse the order of elements along `axis` (an int, ints, or None for every axis)."""
    x = operand(x, "flip")
    axes = normalize_axes(axis, x.ndim, "flip", x.shape)
    if axes == ():
        return x
    return apply(Flip, x, axis=axes)


def tile(x, reps) -> Tensor:
    """Repeat the whole of x `reps` times along each axis (NumPy's rules for unequal lengths):
    (2, 3), (2, 1) -> (4, 3).   Composed: reshape to (1, s1, 1, s2...), broadcast, reshape."""
    x = operand(x, "tile")
    reps = sizes(reps, "tile", x.shape)
    if any(r < 0 for r in reps):
        raise ValueError(f"tile: reps must be non-negative; got {reps} for shape {x.shape}")
    d = max(x.ndim, len(reps))
    shape, reps = (1,) * (d - x.ndim) + x.shape, (1,) * (d - len(reps)) + reps
    y = reshape(x, tuple(itertools.chain.from_iterable((1, s) for s in shape)))
    y = broadcast_to(y, tuple(itertools.chain.from_iterable(zip(reps, shape))))
    return reshape(y, tuple(r * s for r, s in zip(reps, shape)))


def repeat(x, repeats, axis: int | None = None) -> Tensor:
    """Repeat each element: repeat([a, b], 2) -> [a, a, b, b]; `repeats` an int or one count per element
    along `axis`; axis=None flattens first (as NumPy).   A getitem with the repeated indices."""
    x = operand(x, "repeat")
    if axis is None:
        x, axis = flatten(x), 0
    axis = one_axis(axis, x.ndim, "repeat", x.shape)
    n = x.shape[axis]
    counts = np.asarray(repeats.data if isinstance(repeats, Tensor) else repeats)
    if counts.dtype.kind not in "iu" or counts.ndim > 1:
        raise TypeError(f"repeat: repeats must be an int or a 1-d sequence of ints; got {repeats!r}")
    if counts.ndim == 1 and counts.size not in (1, n):
        raise ValueError(f"repeat: {counts.size} repeat counts for axis {axis} of size {n} (shape {x.shape})")
    if (counts < 0).any():
        raise ValueError(f"repeat: repeat counts must be non-negative; got {repeats!r}")
    return getitem(x, _along(axis, np.repeat(np.arange(n), counts)))


def take_along_axis(x, indices, axis: int | None) -> Tensor:
    """z[..., j, ...] = x[..., indices[..., j, ...], ...] along `axis` (as NumPy: indices has x's number of
    axes, the other axes broadcast); axis=None: x flattened, indices 1-d.   A getitem."""
    x = operand(x, "take_along_axis")
    idx = np.asarray(indices.data if isinstance(indices, Tensor) else indices)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"take_along_axis: indices must be integers; got dtype {idx.dtype}")
    if axis is None:
        x, axis = flatten(x), 0
    if idx.ndim != x.ndim:
        raise ValueError(f"take_along_axis: indices of shape {idx.shape} and x of shape {x.shape} must have "
                         f"the same number of axes")
    axis = one_axis(axis, x.ndim, "take_along_axis", x.shape)
    n = x.shape[axis]
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise IndexError(f"take_along_axis: indices must lie in [{-n}, {n}) for axis {axis} of shape "
                         f"{x.shape}; got {idx.min()}..{idx.max()}")
    fancy = [np.arange(m).reshape(_unit(x.ndim, i, m)) for i, m in enumerate(x.shape)]
    fancy[axis] = idx
    try:
        np.broadcast_shapes(*(f.shape for f in fancy))
    except ValueError:
        raise ValueError(f"take_along_axis: indices of shape {idx.shape} do not broadcast against x of shape "
                         f"{x.shape} on the axes other than {axis}") from None
    return getitem(x, tuple(fancy))


def one_hot(indices, num_classes: int, dtype=np.float64) -> Tensor:
    """z[..., c] = 1 where indices[...] == c, else 0: shape indices.shape + (num_classes,).

    A constant: it does not require grad and records nothing (class indices are not differentiable).
    """
    idx = np.asarray(indices.data if isinstance(indices, Tensor) else indices)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"one_hot: indices must be integers; got dtype {idx.dtype} (shape {idx.shape})")
    if not _is_int(num_classes) or num_classes < 0:
        raise ValueError(f"one_hot: num_classes must be a non-negative int; got {num_classes!r}")
    if idx.size and (idx.min() < 0 or idx.max() >= num_classes):
        raise ValueError(f"one_hot: class indices must lie in [0, {num_classes}); got "
                         f"{idx.min()}..{idx.max()} (shape {idx.shape})")
    return Tensor((idx[..., None] == np.arange(num_classes)).astype(dtype))
