"""Tensor: a NumPy array plus the recorded graph that produced it.

    x = Tensor(0.5, requires_grad=True, name="theta")
    y = (x * x).tanh()
    y.op, y.parents        # 'tanh', (Tensor(0.25, op='mul'),)
    y.backward()
    x.grad                 # Tensor(0.8556...) = (1 - tanh(x^2)^2) * 2x

A Tensor is a leaf (made by the user: `op` is None) or a node (made by a primitive: `op` names it,
`parents` are its inputs in order, a tensor used twice appears twice). Nodes are recorded only when grad
mode is on and some input requires grad. Leaves that require grad collect `.grad` over backward calls.

dtype: Python floats give float64, Python ints int64; a Python number meeting a Tensor takes the
Tensor's dtype, so float32 stays float32. Only floating-point tensors can require grad. The conversion of
numbers, arrays and lists into the inputs of ops (as_tensor, operands) is in autograd/convert.py.

NOTE: the result of a recorded op is read-only (its graph may need it again); a leaf's `.data` can be
changed, and a backward pass through a graph that read the old values raises InplaceError.
"""

from __future__ import annotations

import itertools
import threading
from types import MappingProxyType

import numpy as np

from autograd.methods import OpMethods

NO_PARAMS = MappingProxyType({})  # the params of leaves and of ops without hyperparameters
_creation = itertools.count()  # nodes are numbered as they are made: parents always come first


class _GradMode(threading.local):
    """Per thread: are ops recorded, which phase ("forward"/"backward") new tensors belong to, and is
    detect_anomaly() on. The three live in one tuple, `flags`, so that an op reads them at once."""

    def __init__(self):
        self.flags = (True, "forward", False)  # (enabled, phase, anomaly)
        self.current = None  # in anomaly mode, the node whose VJP the backward pass is running
        self.records = None  # inside autograd.record_backward(): the list of records to fill

    enabled = property(lambda self: self.flags[0])
    phase = property(lambda self: self.flags[1])
    anomaly = property(lambda self: self.flags[2])  # check every op's result for NaN and inf


grad_mode_state = _GradMode()  # changed only through the context managers in autograd.function
_new = object.__new__  # a Tensor without __init__: the engine's fast constructors below
_FLOAT_KINDS = "f"
_NUMERIC_KINDS = "biuf"


def _to_array(data, dtype=None, who: str = "Tensor") -> np.ndarray:
    """A new array of real numbers from `data`, for Tensor() and autograd.convert; errors name `who`."""
    if isinstance(data, Tensor):
        data = data.data
    try:
        arr = np.array(data, dtype=dtype)  # always a copy: later writes to `data` never reach us
    except (ValueError, TypeError) as err:
        raise TypeError(f"{who}: cannot make numeric data from {type(data).__name__}: {err}") from None
    if arr.dtype.kind not in _NUMERIC_KINDS:
        raise TypeError(
            f"{who}: data must be real numbers (bool, int or float); got {type(data).__name__} "
            f"of dtype {arr.dtype}"
        )
    return arr


def _check_grad(t: Tensor, g) -> None:
    """Raise unless `g` can be the `.grad` of `t`: a floating-point Tensor of t's shape."""
    who = f"Tensor{f' {t.name!r}' if t.name else ''} of shape {t.data.shape}"
    if not isinstance(g, Tensor):
        raise TypeError(f"grad: the grad of {who} must be a Tensor or None; got {type(g).__name__}")
    if g.data.shape != t.data.shape:
        raise ValueError(f"grad: the grad of {who} must have its shape; got shape {g.data.shape}")
    if g.data.dtype.kind not in _FLOAT_KINDS:
        raise TypeError(f"grad: the grad of {who} must be floating point; got dtype {g.data.dtype}")


def _check_requires_grad(dtype: np.dtype, flag: bool, who: str = "Tensor") -> bool:
    flag = bool(flag)
    if flag and dtype.kind not in _FLOAT_KINDS:
        raise TypeError(
            f"{who}: only floating-point data can require grad; got dtype {dtype} "
            f"(make it float, e.g. Tensor(data, dtype=np.float64))"
        )
    return flag


class Tensor(OpMethods):
    """An n-dimensional array (0-d for scalars) that can record the ops applied to it."""

    __slots__ = (
        "data", "_grad", "name", "parents", "params", "phase",
        "_requires_grad", "_fn", "_retain", "_seq", "_origin", "_stamps", "__weakref__",
    )
    __array_ufunc__ = None  # ndarray (op) Tensor defers to Tensor's reflected operator

    def __init__(self, data, requires_grad: bool = False, name: str | None = None, dtype=None):
        arr = _to_array(data, dtype)
        self.data = arr
        self._requires_grad = _check_requires_grad(arr.dtype, requires_grad)
        self._grad = None
        self.name = name
        self.parents = ()
        self.params = NO_PARAMS
        self.phase = "forward"
        self._fn = None
        self._retain = False

    # -- fast constructors used by the engine (no copy, no checks) ----------------------------------
    @staticmethod
    def _leaf(arr: np.ndarray, phase: str | None = None) -> Tensor:
        t = _new(Tensor)
        t.data = arr
        t._requires_grad = t._retain = False
        t._grad = t.name = t._fn = None
        t.parents = ()
        t.params = NO_PARAMS
        # a constant made by a VJP belongs to the backward pass
        t.phase = grad_mode_state.flags[1] if phase is None else phase
        return t

    @staticmethod
    def _node(arr, fn, parents, params, phase) -> Tensor:
        t = _new(Tensor)
        t.data = arr
        t._requires_grad = True
        t._grad = t.name = None
        t._fn = fn
        t.parents = parents
        t.params = params
        t.phase = phase
        t._retain = False
        t._seq = next(_creation)
        return t

    # -- properties --------------------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool):
        if self._fn is not None:
            raise RuntimeError(
                f"Tensor: requires_grad can only be changed on a leaf; this tensor was made by "
                f"'{self.op}' (use .detach() for a leaf copy)"
            )
        self._requires_grad = _check_requires_grad(self.data.dtype, flag)

    def requires_grad_(self, flag: bool = True) -> Tensor:
        self.requires_grad = flag
        return self

    @property
    def grad(self) -> Tensor | None:
        """The accumulated gradient: a Tensor of this tensor's shape, floating point; or None."""
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None):
        if value is not None:
            _check_grad(self, value)
        self._grad = value

    @property
    def op(self) -> str | None:
        """The name of the primitive that made this tensor; None for a leaf."""
        return None if self._fn is None else self._fn.name

    @property
    def is_leaf(self) -> bool:
        return self._fn is None

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    def __iter__(self):
        """Sub-tensors along the first axis, each recorded as a getitem (as iterating a NumPy array)."""
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        for i in range(self.data.shape[0]):
            yield _ops.getitem(self, i)

    def __contains__(self, value) -> bool:
        """`v in t`: whether any element equals v (as PyTorch; NumPy's `in` does the same)."""
        return bool(np.any(self.data == (value.data if isinstance(value, Tensor) else value)))

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d Tensor")
        return len(self.data)

    def item(self) -> float:
        if self.data.size != 1:
            raise ValueError(f"item: only a one-element Tensor converts to a number; shape is {self.shape}")
        return self.data.item()

    def numpy(self) -> np.ndarray:
        """The array itself, not a copy (read-only for the result of a recorded op: autograd.inplace)."""
        return self.data

    def __array__(self, dtype=None, copy=None):
        if copy:
            return np.array(self.data, dtype=dtype)
        return self.data if dtype is None else self.data.astype(dtype, copy=False)

    def __float__(self) -> float:
        return float(self.item())

    def detach(self) -> Tensor:
        """A leaf sharing this tensor's data, cut from the graph."""
        return Tensor._leaf(self.data)

    def retain_grad(self) -> Tensor:
        """Ask backward() to keep this non-leaf tensor's gradient in `.grad` too."""
        if not self._requires_grad:
            raise RuntimeError("retain_grad: this tensor does not require grad")
        self._retain = True
        return self

    def __repr__(self) -> str:
        body = np.array2string(self.data, precision=8, separator=", ", threshold=20, prefix="Tensor(")
        extra = ""
        if self.data.dtype != np.float64:
            extra += f", dtype={self.data.dtype}"
        if self.name is not None:
            extra += f", name={self.name!r}"
        if self.op is not None:
            extra += f", op={self.op!r}"
        elif self._requires_grad:
            extra += ", requires_grad=True"
        return f"Tensor({body}{extra})"

    def __reduce__(self):
        """copy.deepcopy and pickle: a leaf is its data, requires_grad and name (not its .grad)."""
        if self._fn is not None:
            raise TypeError(f"Tensor: only leaf tensors can be copied or pickled; this one was made by "
                            f"'{self.op}' (use .detach())")
        return (type(self), (self.data, self._requires_grad, self.name))

    def __bool__(self):
        raise TypeError("Tensor: truth value is ambiguous; compare .item() or .numpy() instead")

    # -- comparisons: elementwise, bool Tensors that do not require grad (autograd.ops.compare) ---
    # NOTE: hashing stays by identity, so tensors still work as dict keys and set members; but
    # `t in [a, b]` and `.index(t)` now compare elementwise: look tensors up by `is` or id(t).
    __hash__ = object.__hash__

    def __eq__(self, other):
        return _ops.compare.dunder(_ops.equal, self, other)

    def __ne__(self, other):
        return _ops.compare.dunder(_ops.not_equal, self, other)

    def __lt__(self, other):
        return _ops.compare.dunder(_ops.less, self, other)

    def __le__(self, other):
        return _ops.compare.dunder(_ops.less_equal, self, other)

    def __gt__(self, other):
        return _ops.compare.dunder(_ops.greater, self, other)

    def __ge__(self, other):
        return _ops.compare.dunder(_ops.greater_equal, self, other)

    # -- autodiff ----------------------------------------------------------------------------------
    def backward(self, grad=None, retain_graph: bool = False, create_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's `.grad`. See autograd.engine.backward."""
        from autograd.engine import backward

        backward(self, grad, retain_graph=retain_graph, create_graph=create_graph)

    def zero_grad(self) -> None:
        self._grad = None

    # -- operators (each a primitive in autograd.ops, or a short composition of them) -------------
    def __add__(self, other):
        return _ops.add(self, other)

    def __radd__(self, other):
        return _ops.add(other, self)

    def __sub__(self, other):
        return _ops.sub(self, other)

    def __rsub__(self, other):
        return _ops.sub(other, self)

    def __mul__(self, other):
        return _ops.mul(self, other)

    def __rmul__(self, other):
        return _ops.mul(other, self)

    def __truediv__(self, other):
        return _ops.div(self, other)

    def __rtruediv__(self, other):
        return _ops.div(other, self)

    def __pow__(self, other):
        return _ops.pow(self, other)

    def __rpow__(self, other):
        return _ops.pow(other, self)

    def __neg__(self):
        return _ops.neg(self)

    def __pos__(self):
        return self

    def __matmul__(self, other):
        return _ops.matmul(self, other)

    def __rmatmul__(self, other):
        return _ops.matmul(other, self)

    def __getitem__(self, index):
        return _ops.getitem(self, index)

    def exp(self):
        return _ops.exp(self)

    def log(self):
        return _ops.log(self)

    def tanh(self):
        return _ops.tanh(self)

    def sigmoid(self):
        return _ops.sigmoid(self)

    def relu(self):
        return _ops.relu(self)

    def sum(self, axis=None, keepdims: bool = False):
        return _ops.sum(self, axis, keepdims)

    def mean(self, axis=None, keepdims: bool = False):
        return _ops.mean(self, axis, keepdims)

    def max(self, axis=None, keepdims: bool = False):
        return _ops.max(self, axis, keepdims)

    def reshape(self, *shape):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return _ops.reshape(self, shape)

    def transpose(self, *axes):
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return _ops.transpose(self, axes or None)

    @property
    def T(self):
        return _ops.transpose(self, None)

    def broadcast_to(self, shape):
        return _ops.broadcast_to(self, shape)  # one int or a sequence, as np.broadcast_to

    def astype(self, dtype):
        return _ops.cast(self, dtype)


def creation_mark() -> int:
    """A number below every node made from now on and above every node made before: spans of work."""
    return next(_creation)


from autograd import ops as _ops  # noqa: E402  (ops need the Tensor class defined above)
