"""Property-based fuzzing: random op compositions against NumPy (values) and finite differences (gradients).

A hypothesis strategy builds a random program: 1-3 float inputs with mutually broadcastable small shapes,
then up to 8 ops, each drawn from the primitives (elementwise, reductions with random axes and keepdims,
reshape, transpose, broadcast_to, basic and advanced getitem, matmul, where; operators, methods and
functions alike) and applied to earlier results (so a tensor can be used twice) that are less than 4 ops
deep (the guards below add a few small ops of their own). The program runs twice: on Tensors
and on plain NumPy arrays, the NumPy reference written independently of autograd (sigmoid as
1 / (1 + exp(-x)), indexing as NumPy's). Then gradcheck compares every Jacobian entry with central
differences. Other tests here: second derivatives, gradient accumulation, float16/float32/mixed inputs,
and getitem, matmul broadcasting and max ties on their own.

Values are chosen while the program is built, so every op is kept where it is smooth: denominators are
away from 0 (else 1 + y*y), logs and fractional or negative powers get positive inputs (else 1 + x*x),
exp gets bounded inputs (else exp(tanh(x))), relu inputs are away from the kink, and max never sees a
near tie (exact ties are kept: they come from one source, e.g. broadcasting, and share the gradient).
"""

from __future__ import annotations

import itertools
import os
import warnings
from dataclasses import dataclass, field

import numpy as np
import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd as ag
from autograd import Tensor, grad, gradcheck, gradgradcheck

MAX_SIZE = 64  # elements of any intermediate result: keeps each gradcheck cheap
# For a longer hunt: TRACEGRAD_FUZZ=10 runs ten times as many examples, and TRACEGRAD_FUZZ_RANDOM=1 draws
# new ones on every run instead of the fixed (derandomized) ones. The defaults keep this file fast.
SCALE = float(os.environ.get("TRACEGRAD_FUZZ", "1"))
RANDOM = os.environ.get("TRACEGRAD_FUZZ_RANDOM", "") not in ("", "0")


def examples(n: int):
    extra = {"derandomize": False, "database": None} if RANDOM else {}
    return settings(max_examples=max(1, int(n * SCALE)), deadline=None, **extra)


FUZZ = examples(100)


# --- programs --------------------------------------------------------------------------------------


@dataclass(eq=False)
class Node:
    """One op of a program: `op` applied to earlier nodes `args` with hyperparameters `params`."""

    op: str
    args: tuple = ()
    params: dict = field(default_factory=dict)

    def text(self) -> str:
        p = self.params
        if self.op == "input":
            return f"x{p['i']}"
        if self.op == "const":
            return f"const{p['value'].shape}"
        args = [a.text() for a in self.args]
        if self.op == "scalar":
            a, c = args[0], repr(p["c"])
            return f"({c} {p['sym']} {a})" if p["left"] else f"({a} {p['sym']} {c})"
        extra = [f"{k}={v!r}" for k, v in p.items() if k not in ("method", "cond")]
        if "cond" in p:
            extra.append(f"cond={p['cond'].astype(int).tolist()}")
        return f"{self.op}({', '.join(args + extra)})"


def _ag_unary(name):
    fn = getattr(ag, name)
    return lambda p, a: getattr(a, name)() if p.get("method") else fn(a)


def _ag_reduce(name):
    fn = getattr(ag, name)

    def run(p, a):
        if p.get("method"):
            return getattr(a, name)(axis=p["axis"], keepdims=p["keepdims"])
        return fn(a, p["axis"], p["keepdims"])

    return run


def _ag_scalar(p, a):
    c = p["c"]
    if p["left"]:
        return {"+": lambda: c + a, "-": lambda: c - a, "*": lambda: c * a, "/": lambda: c / a}[p["sym"]]()
    return {"+": lambda: a + c, "-": lambda: a - c, "*": lambda: a * c, "/": lambda: a / c}[p["sym"]]()


def _np_scalar(p, a):
    c = p["c"]
    f = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.true_divide}[p["sym"]]
    return f(c, a) if p["left"] else f(a, c)


def _ag_transpose(p, a):
    axes = p["axes"]
    if p.get("method") == "T":
        return a.T
    if p.get("method"):
        return a.transpose(*axes)
    return ag.transpose(a, axes)


def _ag_binary(sym):
    return {
        "+": lambda p, a, b: a + b if p.get("method") else ag.add(a, b),
        "-": lambda p, a, b: a - b if p.get("method") else ag.sub(a, b),
        "*": lambda p, a, b: a * b if p.get("method") else ag.mul(a, b),
        "/": lambda p, a, b: a / b if p.get("method") else ag.div(a, b),
    }[sym]


# op: (autograd version, NumPy reference); each takes (params, *argument values)
IMPLS = {
    "add": (_ag_binary("+"), lambda p, a, b: np.add(a, b)),
    "sub": (_ag_binary("-"), lambda p, a, b: np.subtract(a, b)),
    "mul": (_ag_binary("*"), lambda p, a, b: np.multiply(a, b)),
    "div": (_ag_binary("/"), lambda p, a, b: np.true_divide(a, b)),
    "scalar": (_ag_scalar, _np_scalar),
    "neg": (lambda p, a: -a if p.get("method") else ag.neg(a), lambda p, a: np.negative(a)),
    "tanh": (_ag_unary("tanh"), lambda p, a: np.tanh(a)),
    "sigmoid": (_ag_unary("sigmoid"), lambda p, a: 1.0 / (1.0 + np.exp(-a))),
    "exp": (_ag_unary("exp"), lambda p, a: np.exp(a)),
    "log": (_ag_unary("log"), lambda p, a: np.log(a)),
    "relu": (_ag_unary("relu"), lambda p, a: np.maximum(a, 0)),
    "pow": (lambda p, a: a ** p["p"] if p.get("method") else ag.pow(a, p["p"]),
            lambda p, a: np.power(a, p["p"])),
    "pow_tensor": (lambda p, a, b: a**b, lambda p, a, b: np.power(a, b)),
    "sum": (_ag_reduce("sum"), lambda p, a: np.sum(a, axis=p["axis"], keepdims=p["keepdims"])),
    "mean": (_ag_reduce("mean"), lambda p, a: np.mean(a, axis=p["axis"], keepdims=p["keepdims"])),
    "max": (_ag_reduce("max"), lambda p, a: np.max(a, axis=p["axis"], keepdims=p["keepdims"])),
    "reshape": (lambda p, a: a.reshape(p["shape"]) if p.get("method") else ag.reshape(a, p["shape"]),
                lambda p, a: np.reshape(a, p["shape"])),
    "transpose": (_ag_transpose, lambda p, a: np.transpose(a, p["axes"])),
    "broadcast_to": (lambda p, a: a.broadcast_to(p["shape"]) if p.get("method")
                     else ag.broadcast_to(a, p["shape"]),
                     lambda p, a: np.broadcast_to(a, p["shape"])),
    "getitem": (lambda p, a: a[p["index"]] if p.get("method") else ag.getitem(a, p["index"]),
                lambda p, a: a[p["index"]]),
    "matmul": (lambda p, a, b: a @ b if p.get("method") else ag.matmul(a, b),
               lambda p, a, b: np.matmul(a, b)),
    "where": (lambda p, a, b: ag.where(p["cond"], a, b), lambda p, a, b: np.where(p["cond"], a, b)),
}


@dataclass
class Program:
    arrays: list  # the inputs' values (float64 unless dtypes were drawn)
    output: Node
    scale: float  # the largest |value| of any intermediate result, in float64
    const_dtype: object = None  # the constants' dtype (None: float64)
    has_const: bool = False

    def run(self, values, lib: str):
        """Evaluate on `values` (Tensors for lib="ag", arrays for lib="np"); shared nodes run once."""
        memo: dict[int, object] = {}
        which = 0 if lib == "ag" else 1

        def ev(node: Node):
            if id(node) in memo:
                return memo[id(node)]
            if node.op == "input":
                v = values[node.params["i"]]
            elif node.op == "const":
                arr = node.params["value"]
                arr = arr if self.const_dtype is None else arr.astype(self.const_dtype)
                v = Tensor(arr) if lib == "ag" else arr
            else:
                v = IMPLS[node.op][which](node.params, *[ev(a) for a in node.args])
            memo[id(node)] = v
            return v

        return ev(self.output)

    def __repr__(self) -> str:
        shapes = ", ".join(f"x{i}: {a.shape} {a.dtype}" for i, a in enumerate(self.arrays))
        consts = "" if self.const_dtype is None else f", constants {np.dtype(self.const_dtype)}"
        return f"Program({shapes}{consts}; out = {self.output.text()})"


def _reshape_targets(size: int) -> list[tuple[int, ...]]:
    """Every shape of 0 to 3 axes holding `size` elements."""
    divisors = [d for d in range(1, size + 1) if size % d == 0]
    found = [()] if size == 1 else []
    for ndim in (1, 2, 3):
        for dims in itertools.product(divisors, repeat=ndim):
            if int(np.prod(dims)) == size:
                found.append(dims)
    return found


def _near_tie(v: np.ndarray, axis, gap: float) -> bool:
    """Do the two largest values of some reduced slice differ, but by less than `gap` (relative)?"""
    axes = tuple(range(v.ndim)) if axis is None else ((axis,) if isinstance(axis, int) else tuple(axis))
    axes = tuple(a % v.ndim for a in axes) if v.ndim else ()
    if not axes:
        return False
    moved = np.moveaxis(v, axes, tuple(range(v.ndim - len(axes), v.ndim)))
    flat = moved.reshape(moved.shape[: v.ndim - len(axes)] + (-1,))
    if flat.shape[-1] < 2:
        return False
    top = np.sort(flat, axis=-1)[..., -2:]
    diff = top[..., 1] - top[..., 0]
    return bool(np.any((diff > 0) & (diff < gap * (1.0 + np.abs(top[..., 1])))))


class _Builder:
    """Draws ops one at a time, evaluating the NumPy reference as it goes to keep every op smooth."""

    def __init__(self, draw, rng, cap, gap, kink, max_depth):
        self.draw, self.rng = draw, rng
        self.cap, self.gap, self.kink, self.max_depth = cap, gap, kink, max_depth
        self.pool: list[Node] = []  # what later ops can take as arguments
        self.values: dict[int, np.ndarray] = {}  # id(node) -> float64 value
        self.depth: dict[int, int] = {}  # id(node) -> ops between it and the inputs
        self.scale = 0.0

    def leaf(self, node: Node, value: np.ndarray) -> Node:
        self.values[id(node)], self.depth[id(node)] = value, 0
        self.pool.append(node)
        return node

    def node(self, op, args, params=None):
        """A new node with its float64 value, or None if the value is not finite or too big."""
        params = params or {}
        with np.errstate(all="ignore"):
            v = np.asarray(IMPLS[op][1](params, *[self.values[id(a)] for a in args]), dtype=np.float64)
        too_big = v.size > MAX_SIZE or v.ndim > 3 or (v.size and np.abs(v).max() > self.cap)
        if too_big or not np.all(np.isfinite(v)):
            return None
        n = Node(op, tuple(args), params)
        self.values[id(n)] = v
        self.depth[id(n)] = 1 + max(self.depth[id(a)] for a in args)
        if v.size:
            self.scale = max(self.scale, float(np.abs(v).max()))
        return n

    def value_of(self, node):
        return self.values[id(node)]

    def method(self):
        return self.draw(st.booleans(), label="method")

    # helpers that make an argument safe: each returns a node, or None
    def positive(self, a):
        """a itself when clearly positive (sometimes), else 1 + a*a."""
        v = self.value_of(a)
        if v.min() > 0.2 and self.draw(st.booleans(), label="positive as is"):
            return a
        sq = self.node("mul", (a, a), {"method": self.method()})
        return sq and self.node("scalar", (sq,), {"c": 1.0, "sym": "+", "left": self.method()})

    def denominator(self, a):
        """a itself when clearly away from 0 (sometimes), else 1 + a*a or exp(tanh(a))."""
        forms = ["1+a*a", "exp(tanh(a))"] + (["as is"] if np.abs(self.value_of(a)).min() > 0.25 else [])
        form = self.draw(st.sampled_from(forms), label="denominator")
        if form == "as is":
            return a
        if form == "1+a*a":
            sq = self.node("mul", (a, a), {"method": self.method()})
            return sq and self.node("scalar", (sq,), {"c": 1.0, "sym": "+", "left": self.method()})
        t = self.node("tanh", (a,), {"method": self.method()})
        return t and self.node("exp", (t,), {"method": self.method()})

    def bounded(self, a, limit):
        """a itself when |a| <= limit, else tanh(a)."""
        if np.abs(self.value_of(a)).max() <= limit:
            return a
        return self.node("tanh", (a,), {"method": self.method()})

    def pick(self, candidates, label):
        return self.draw(st.sampled_from(candidates), label=label)

    def partners(self, a, fits):
        """Pool entries b with fits(shape of a, shape of b)."""
        out = []
        for b in self.live():
            try:
                if fits(self.value_of(a).shape, self.value_of(b).shape):
                    out.append(b)
            except ValueError:
                pass
        return out

    def live(self):
        return [n for n in self.pool if self.depth[id(n)] < self.max_depth]

    # --- one op -------------------------------------------------------------------------------------
    def step(self, op):
        live = self.live()
        # mostly the latest result (hypothesis' simplest draw, 0, picks it), so programs grow deep
        other = self.draw(st.integers(0, 3), label="not the last result") == 3
        a = self.pick(live, "a") if other else live[-1]
        va = self.value_of(a)
        m = self.method
        if op in ("add", "sub", "mul", "div", "pow_tensor", "where"):
            def broadcastable(s, t):
                return np.broadcast_shapes(s, t) is not None
            b = self.pick(self.partners(a, broadcastable), "b")
            if self.draw(st.booleans(), label="swap"):
                a, b = b, a
            if op == "div":
                b = self.denominator(b)
            if op == "pow_tensor":
                a, b = self.positive(a), self.bounded(b, 2.0)
            if a is None or b is None:
                return None
            params = {"method": m()} if op != "pow_tensor" else {}
            if op == "where":
                shape = np.broadcast_shapes(self.value_of(a).shape, self.value_of(b).shape)
                kept = tuple(n if self.draw(st.booleans(), label="cond axis") else 1 for n in shape)
                cond_shape = kept[self.draw(st.integers(0, len(kept)), label="cond drop"):]
                params = {"cond": self.rng.random(cond_shape) < 0.5}
            return self.node(op, (a, b), params)
        if op == "scalar":
            sym = self.pick(["+", "-", "*", "/"], "symbol")
            left = self.draw(st.booleans(), label="left")
            c = self.pick([2.0, -0.5, 3, 1.5], "constant")
            if sym == "/" and left:
                a = self.denominator(a)
            return a and self.node("scalar", (a,), {"c": c, "sym": sym, "left": left})
        if op in ("neg", "tanh", "sigmoid"):
            return self.node(op, (a,), {"method": m()})
        if op == "exp":
            a = self.bounded(a, 4.0)
            return a and self.node("exp", (a,), {"method": m()})
        if op == "log":
            a = self.positive(a)
            return a and self.node("log", (a,), {"method": m()})
        if op == "relu":
            if va.size and np.abs(va).min() < self.kink * (1.0 + np.abs(va).max()):
                return None
            return self.node("relu", (a,), {"method": m()})
        if op == "pow":
            p = self.pick([2, 3, 0, 1, -1, -2, 0.5, 1.5, 2.0], "exponent")
            if p < 0 or p != int(p):
                a = self.positive(a)
            return a and self.node("pow", (a,), {"p": p, "method": m()})
        if op in ("sum", "mean", "max"):
            axes = st.none()
            if va.ndim:  # one axis first: the simplest draw keeps something of the shape
                axes = st.integers(-va.ndim, va.ndim - 1) | hnp.valid_tuple_axes(va.ndim) | axes
            axis = self.draw(axes, label="axis")
            if op == "max" and _near_tie(va, axis, self.gap):
                return None
            return self.node(op, (a,), {"axis": axis, "keepdims": self.draw(st.booleans(), label="keepdims"),
                                        "method": m()})
        if op == "reshape":
            shape = self.pick(_reshape_targets(va.size), "shape")
            if shape and self.draw(st.booleans(), label="use -1"):
                k = self.draw(st.integers(0, len(shape) - 1), label="-1 at")
                shape = shape[:k] + (-1,) + shape[k + 1:]
            return self.node("reshape", (a,), {"shape": shape, "method": m()})
        if op == "transpose":
            axes = tuple(self.draw(st.permutations(range(va.ndim)), label="axes"))
            if self.draw(st.booleans(), label="negative axes"):
                axes = tuple(x - va.ndim for x in axes)
            how = self.pick([False, True, "T"], "method")
            if how == "T":
                axes = None
            return self.node("transpose", (a,), {"axes": axes, "method": how})
        if op == "broadcast_to":
            lead = tuple(self.draw(st.lists(st.integers(1, 3), max_size=3 - va.ndim), label="new axes"))
            rest = tuple(self.draw(st.integers(1, 3), label="stretch") if n == 1 else n for n in va.shape)
            return self.node("broadcast_to", (a,), {"shape": lead + rest, "method": m()})
        if op == "getitem":
            index = self.draw(indices(va.shape), label="index")
            try:
                result = va[index]
            except IndexError:
                return None
            if result.size == 0:
                return None
            return self.node("getitem", (a,), {"index": index, "method": m()})
        if op == "matmul":
            def aligns(s, t):
                np.matmul(np.ones(s), np.ones(t))
                return True
            cands = self.partners(a, aligns) if va.ndim else []
            if va.ndim >= 2:
                cands.append("aT")
            if not cands:
                return None
            b = self.pick(cands, "b")
            if b == "aT":
                axes = tuple(range(va.ndim - 2)) + (va.ndim - 1, va.ndim - 2)
                b = self.node("transpose", (a,), {"axes": axes, "method": True})
            if self.draw(st.booleans(), label="swap") and b is not None:
                try:
                    aligns(self.value_of(b).shape, va.shape)
                    a, b = b, a
                except ValueError:
                    pass
            return b and self.node("matmul", (a, b), {"method": m()})
        raise AssertionError(op)


OPS = [
    "add", "sub", "mul", "div", "scalar", "neg", "tanh", "sigmoid", "exp", "log", "relu", "pow", "pow_tensor",
    "sum", "mean", "max", "reshape", "transpose", "broadcast_to", "getitem", "matmul", "where",
]


@st.composite
def indices(draw, shape):
    """A random index for an array of `shape`: ints, non-empty slices (any step sign), None, Ellipsis,
    integer arrays or lists with repeats and negatives, bool masks; basic, advanced or mixed."""
    items = []
    adv_shape = draw(st.sampled_from([(1,), (2,), (3,), (4,), (2, 2), (1, 3)]), label="array index shape")
    used = draw(st.integers(0, len(shape)), label="axes indexed")
    for n in shape[:used]:
        kind = draw(st.sampled_from(["int", "slice", "all", "array", "list", "mask", "none"]), label="kind")
        if kind == "none":
            items.append(None)
            kind = draw(st.sampled_from(["int", "slice", "all"]), label="kind after None")
        if kind == "int":
            items.append(draw(st.integers(-n, n - 1), label="int"))
        elif kind == "all":
            items.append(slice(None))
        elif kind == "slice":
            step = draw(st.sampled_from([1, 2, -1, -2, None]), label="step")
            start = draw(st.integers(0, n - 1), label="start")
            if step is None or step > 0:
                stop = draw(st.one_of(st.none(), st.integers(start + 1, n)), label="stop")
            else:
                stop = draw(st.one_of(st.none(), st.integers(-1, start - 1)), label="stop")
                stop = None if stop == -1 else stop
            if draw(st.booleans(), label="negative start"):
                start -= n
            items.append(slice(start, stop, step))
        elif kind in ("array", "list"):
            arr = draw(hnp.arrays(np.int64, adv_shape, elements=st.integers(-n, n - 1)), label="array")
            items.append(arr.tolist() if kind == "list" and arr.ndim == 1 else arr)
        else:  # a bool mask with at least one True
            mask = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n), label="mask"))
            mask[draw(st.integers(0, n - 1), label="true at")] = True
            items.append(mask)
    if draw(st.booleans(), label="ellipsis") and len(items) < len(shape):
        items.insert(draw(st.integers(0, len(items)), label="ellipsis at"), Ellipsis)
    if draw(st.booleans(), label="trailing None"):
        items.append(None)
    if len(items) == 1 and draw(st.booleans(), label="bare"):
        return items[0]
    return tuple(items)


@st.composite
def broadcastable_shapes(draw, k: int, max_side: int = 4):
    """k shapes (ndim <= 3, sides <= max_side) that broadcast together: each is a suffix of one common
    shape with some axes set to 1."""
    # hypothesis' simplest draw (0) gives the biggest case here: small cases come often enough anyway
    ndim = 3 - draw(st.integers(0, 2), label="axes fewer than 3")
    full = [max_side - draw(st.integers(0, max_side - 1), label="side below max") for _ in range(ndim)]
    shapes = []
    for _ in range(k):
        kept = len(full) - draw(st.integers(0, len(full)), label="leading axes left out")
        suffix = full[len(full) - kept:]
        shapes.append(tuple(1 if draw(st.integers(0, 3), label="axis set to 1") == 3 else n for n in suffix))
    return shapes


@st.composite
def programs(draw, max_inputs=3, max_ops=8, max_depth=4, max_side=4, cap=1e3, gap=1e-3, kink=1e-2,
             dtypes=None):
    """A random Program; with `dtypes` (a list), each input and the constants get a dtype drawn from it."""
    k = draw(st.integers(1, max_inputs), label="inputs")
    shapes = draw(broadcastable_shapes(k, max_side), label="shapes")
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1), label="seed"))

    def values(shape):  # |values| in [0.25, 2], either sign; continuous, so no accidental ties
        return rng.uniform(0.25, 2.0, shape) * rng.choice([-1.0, 1.0], shape)

    b = _Builder(draw, rng, cap, gap, kink, max_depth)
    arrays = [values(shape) for shape in shapes]
    for i, a in enumerate(arrays):
        b.leaf(Node("input", (), {"i": i}), a)
    if draw(st.booleans(), label="constant"):
        c = values(draw(st.sampled_from(list(shapes)), label="constant shape"))
        b.leaf(Node("const", (), {"value": c}), c)
    last = None
    n_ops = max_ops - draw(st.integers(0, max_ops - min(2, max_ops)), label="ops left out")
    done = 0
    for op in draw(st.permutations(OPS), label="op order"):  # a permutation: diverse, no op twice
        new = b.step(op)  # None when the op does not fit (shapes, a tie, a kink): go on to the next one
        if new is not None:
            b.pool.append(new)
            last = new
            done += 1
            if done == n_ops:
                break
    if last is None:  # nothing applied: one smooth op on the first input
        last = b.node("tanh", (b.pool[0],), {})
    const_dtype = None
    if dtypes is not None:
        arrays = [a.astype(draw(st.sampled_from(dtypes), label=f"dtype x{i}")) for i, a in enumerate(arrays)]
        const_dtype = draw(st.sampled_from(dtypes), label="dtype of constants")
    has_const = any(n.op == "const" for n in b.pool)
    return Program(arrays, last, b.scale, const_dtype, has_const)


def _inputs(prog: Program) -> list[Tensor]:
    return [Tensor(a, requires_grad=True, name=f"x{i}") for i, a in enumerate(prog.arrays)]


def _assert_value(out: Tensor, ref: np.ndarray, scale: float, rtol: float = 1e-9):
    assert isinstance(out, Tensor)
    assert out.shape == ref.shape, (out.shape, ref.shape)
    np.testing.assert_allclose(out.data, ref, rtol=rtol, atol=rtol * (1.0 + scale))


# --- tests -----------------------------------------------------------------------------------------


@FUZZ
@given(prog=programs())
def test_random_programs_match_numpy_and_finite_differences(prog):
    note(repr(prog))
    originals = [a.copy() for a in prog.arrays]
    xs = _inputs(prog)
    out = prog.run(xs, "ag")
    ref = prog.run(prog.arrays, "np")
    assert out.dtype == np.float64
    _assert_value(out, ref, prog.scale)
    assert gradcheck(lambda *t: prog.run(t, "ag"), xs)
    for a, before in zip(prog.arrays, originals):  # nothing wrote into the inputs' arrays
        np.testing.assert_array_equal(a, before)


@examples(25)
@given(prog=programs(max_inputs=2, max_ops=3, max_depth=3, max_side=2))
def test_random_programs_second_derivatives(prog):
    """gradgradcheck: the VJPs are Tensor ops themselves, so their own VJPs must be right too."""
    note(repr(prog))
    xs = _inputs(prog)
    assert gradgradcheck(lambda *t: prog.run(t, "ag"), xs)


@FUZZ
@given(prog=programs(max_inputs=2), data=st.data())
def test_random_programs_backward_accumulates(prog, data):
    """backward(v) twice adds up to 2 * the VJP; a leaf used by several ops gets the sum of its paths."""
    note(repr(prog))
    xs = _inputs(prog)
    out = prog.run(xs, "ag")
    if not out.requires_grad:
        return
    v = np.random.default_rng(data.draw(st.integers(0, 2**16), label="v seed")).standard_normal(out.shape)
    vjp = ag.grad(out, xs, Tensor(v), allow_unused=True)
    out.backward(Tensor(v))
    out.backward(v)  # an ndarray seed works too
    for x, g in zip(xs, vjp):
        if g is None:
            assert x.grad is None
            continue
        assert x.grad is not None and x.grad.shape == x.shape and x.grad.dtype == x.dtype
        np.testing.assert_allclose(x.grad.data, 2 * g.data, rtol=1e-12, atol=1e-12)


LOW = {np.float16: 3e-2, np.float32: 2e-5, np.float64: 1e-9}


@FUZZ
@given(prog=programs(cap=8.0, gap=0.1, kink=0.1, dtypes=[np.float16, np.float32, np.float64]))
def test_random_programs_in_float16_float32_and_mixed(prog):
    """Each input has its own float dtype: the output has NumPy's result dtype, every gradient its input's
    dtype, and both are close to the float64 answers."""
    note(repr(prog))
    xs = _inputs(prog)
    out = prog.run(xs, "ag")
    ref_low = prog.run(prog.arrays, "np")  # NumPy in the same dtypes: the expected dtype
    f64 = [a.astype(np.float64) for a in prog.arrays]
    ref = prog.run(f64, "np")
    assert out.dtype == ref_low.dtype
    used = [a.dtype.type for a in prog.arrays] + ([prog.const_dtype] if prog.has_const else [])
    tol = max(LOW[t] for t in used)
    _assert_value(out, ref, prog.scale, rtol=tol)

    if not out.requires_grad:  # built from constants only
        return
    x64 = [Tensor(a, requires_grad=True) for a in f64]
    out64 = prog.run(x64, "ag")
    v = np.random.default_rng(0).uniform(0.5, 1.0, out.shape)
    out.backward(v.astype(out.dtype))
    out64.backward(v)
    for x, x_ref in zip(xs, x64):
        if x_ref.grad is None:
            assert x.grad is None
            continue
        assert x.grad is not None and x.grad.dtype == x.dtype and x.grad.shape == x.shape
        g = x_ref.grad.data
        np.testing.assert_allclose(x.grad.data.astype(np.float64), g, rtol=tol,
                                   atol=tol * (1.0 + np.abs(g).max(initial=0.0)) * (1.0 + prog.scale))


@examples(100)
@given(data=st.data())
def test_random_indices_values_and_gradients(data):
    """getitem alone, on a bigger variety of indices: NumPy's value, the gradient np.add.at gives."""
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4), label="shape")
    index = data.draw(indices(shape), label="index")
    a = np.random.default_rng(1).standard_normal(shape)
    try:
        expected = a[index]
    except IndexError:
        return
    x = Tensor(a, requires_grad=True)
    out = x[index]
    np.testing.assert_array_equal(out.data, expected)
    assert out.shape == expected.shape
    v = np.random.default_rng(2).standard_normal(expected.shape)
    out.backward(v)
    g = np.zeros(shape)
    np.add.at(g, index, v)
    np.testing.assert_allclose(x.grad.data, g, rtol=1e-12, atol=1e-12)
    if 0 < expected.size <= 24:
        assert gradcheck(lambda t: t[index], [Tensor(a, requires_grad=True)])


@st.composite
def matmul_shapes(draw):
    """Shapes NumPy's matmul accepts: 1-d on either side, batch axes that broadcast (up to 3-d)."""
    m, k, n = (draw(st.integers(1, 3), label=c) for c in "mkn")
    batch = draw(st.lists(st.integers(1, 3), max_size=1), label="batch")
    x_batch = tuple(b if draw(st.booleans(), label="x keeps batch") else 1 for b in batch)
    y_batch = tuple(b if draw(st.booleans(), label="y keeps batch") else 1 for b in batch)
    x = draw(st.sampled_from([x_batch + (m, k), (m, k), (k,)]), label="x shape")
    y = draw(st.sampled_from([y_batch + (k, n), (k, n), (k,)]), label="y shape")
    return x, y


@examples(60)
@given(shapes=matmul_shapes(), wanted=st.sampled_from([(True, True), (True, False), (False, True)]))
def test_random_matmul_shapes(shapes, wanted):
    """matmul over 1-d, 2-d and broadcast batched operands: NumPy's value, finite-difference gradients."""
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1])
    x, y = Tensor(a, requires_grad=wanted[0]), Tensor(b, requires_grad=wanted[1])
    _assert_value(x @ y, np.matmul(a, b), 1.0, rtol=1e-12)
    assert gradcheck(ag.matmul, [x, y])


@examples(60)
@given(data=st.data())
def test_max_over_repeated_values_shares_the_gradient(data):
    """Exact ties made by broadcasting or repeated indices: the tied copies of one element share its
    gradient, and together they give that element the full derivative (what finite differences see)."""
    n = data.draw(st.integers(2, 4), label="n")
    x = Tensor(np.random.default_rng(4).permutation(n) + 0.5, requires_grad=True)  # distinct values
    how = data.draw(st.sampled_from(["repeat", "broadcast", "both"]), label="how")
    index = data.draw(hnp.arrays(np.int64, data.draw(st.integers(1, 6), label="len"),
                                 elements=st.integers(-n, n - 1)), label="index")
    rows = data.draw(st.integers(1, 3), label="rows")
    axis = data.draw(st.sampled_from([None, -1, (0, 1)]), label="axis")
    keepdims = data.draw(st.booleans(), label="keepdims")

    def f(t):
        if how == "repeat":
            u = t[np.concatenate([index, index])].reshape(2, -1)
        elif how == "broadcast":
            u = t.broadcast_to((rows, n))
        else:
            u = t[index].broadcast_to((rows, len(index)))
        return u.max(axis=axis, keepdims=keepdims)

    note(f"x={x.data}, index={index}")
    assert gradcheck(f, [x])


@pytest.mark.parametrize("size", [1, 4, 6, 12])
def test_reshape_targets_cover_every_factorisation(size):
    """The generator's reshape targets: right size, no duplicates, all axis counts up to 3."""
    targets = _reshape_targets(size)
    assert len(targets) == len(set(targets))
    assert all(int(np.prod(t)) == size for t in targets)
    assert (size,) in targets and (1, size) in targets and (size, 1, 1) in targets


def test_near_tie_detection():
    v = np.array([[1.0, 1.0 + 1e-6, 0.0], [2.0, 2.0, 1.0]])
    assert _near_tie(v, 1, 1e-3)  # first row: 1 and 1 + 1e-6
    assert not _near_tie(v[1:], 1, 1e-3)  # an exact tie is allowed
    assert not _near_tie(v, 0, 1e-3)
    assert _near_tie(v, None, 1e-3) is False  # 2.0 and 2.0 tie exactly


# --- special values: casts, -0.0, pow at 0 / negative / inf, comparisons (issue 10) --------------------

# Values where ops have special cases: signed zeros, infinities, NaN, negatives, subnormals, integers.
SPECIAL_FLOATS = st.sampled_from([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5,
                                  3.0, 1e-310, -1e-310, 1e300])
SPECIAL_OR_ANY = SPECIAL_FLOATS | st.floats(-4, 4, allow_subnormal=False)
SMALL_SHAPES = hnp.array_shapes(min_dims=0, max_dims=2, max_side=3)


def _torch_pow_grads(a, b):
    """PyTorch's pow backward (FunctionsManual.cpp pow_backward_self / pow_backward_exponent)."""
    with np.errstate(all="ignore"):
        z = np.power(a, b)
        dx = np.where(b == 0, 0.0, b * np.power(a, b - 1))
        return z, dx, np.where((a == 0) & (b >= 0), 0.0, z * np.log(a))


def _quietly(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's own: log(0), 0 ** -1, inf - inf
        return fn()


@examples(200)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=3), data=st.data())
def test_pow_tensor_exponent_at_special_values_is_pytorchs(shapes, data):
    a = data.draw(hnp.arrays(np.float64, shapes.input_shapes[0], elements=SPECIAL_OR_ANY), label="x")
    b = data.draw(hnp.arrays(np.float64, shapes.input_shapes[1], elements=SPECIAL_OR_ANY), label="y")
    x, y = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    z_ref, dx_ref, dy_ref = _torch_pow_grads(*np.broadcast_arrays(a, b))
    z = _quietly(lambda: x**y)
    np.testing.assert_array_equal(z.data, z_ref)
    gx, gy = _quietly(lambda: grad(z.sum(), (x, y)))
    # summed back over broadcast axes (inf + -inf is NaN there, in both)
    np.testing.assert_array_equal(gx.data, _quietly(lambda: ag.sum_to(Tensor(dx_ref), a.shape).data))
    np.testing.assert_array_equal(gy.data, _quietly(lambda: ag.sum_to(Tensor(dy_ref), b.shape).data))


@examples(100)
@given(x=hnp.arrays(np.float64, SMALL_SHAPES, elements=SPECIAL_OR_ANY),
       p=st.sampled_from([0, 1, 2, 3, -1, -2, 0.5, -0.5, 1.5, np.float64(2), np.float32(0.5)]))
def test_pow_number_exponent_at_special_values(x, p):
    """x ** p: NumPy's value; PyTorch's pow_backward: 0 where p == 0, else p * x^(p-1)."""
    t = Tensor(x, requires_grad=True)
    z = _quietly(lambda: t**p)
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(z.data, np.power(x, float(p)))
        expected = np.zeros_like(x) if p == 0 else float(p) * np.power(x, float(p) - 1)
    (g,) = _quietly(lambda: grad(z.sum(), t))
    np.testing.assert_array_equal(g.data, expected)


@examples(60)
@given(x=hnp.arrays(np.float64, SMALL_SHAPES, elements=st.sampled_from([0.0, -0.0, 1.0, -1.0])))
def test_signed_zeros_keep_their_sign(x):
    """-0.0 and 0.0 are different numbers to 1/x and pow: values as NumPy, sign and all (issue 10, item 5)."""
    t = Tensor(x, requires_grad=True)
    cases = [(lambda u: 1 / u, lambda a: 1 / a), (lambda u: u * -0.0, lambda a: a * -0.0),
             (lambda u: 1 / (u * -0.0), lambda a: 1 / (a * -0.0)), (lambda u: u**-1, lambda a: a**-1.0),
             (lambda u: -u, np.negative), (lambda u: u - 0.0, lambda a: a - 0.0)]
    for op, ref in cases:
        expected = _quietly(lambda ref=ref: ref(x))
        out = _quietly(lambda op=op: op(t))
        np.testing.assert_array_equal(out.data, expected)
        np.testing.assert_array_equal(np.signbit(out.data), np.signbit(expected))
    check = ag.equal(t, -0.0)
    np.testing.assert_array_equal(check.data, x == 0)  # but -0.0 == 0.0, as NumPy says


@examples(100)
@given(x=hnp.arrays(np.float64, SMALL_SHAPES, elements=SPECIAL_OR_ANY),
       dtype=st.sampled_from([np.int8, np.int32, np.int64, np.uint8, np.bool_, np.float16, np.float32,
                              np.float64, np.complex128, np.object_, np.str_, np.bytes_]))
def test_casts(x, dtype):
    """int/bool: NumPy's values, a constant (no grad, no node); float: differentiable; others: refused."""
    t = Tensor(x, requires_grad=True)
    kind = np.dtype(dtype).kind
    if kind not in "biuf":
        with pytest.raises(TypeError, match="cast"):
            t.astype(dtype)
        return
    y = _quietly(lambda: t.astype(dtype))
    np.testing.assert_array_equal(y.data, _quietly(lambda: x.astype(dtype)))  # NaN to int: NumPy's value
    if kind != "f":
        assert not y.requires_grad and y.op is None
        return
    assert y.requires_grad
    (g,) = _quietly(lambda: grad(y.sum(), t))
    assert g.dtype == np.float64
    np.testing.assert_array_equal(g.data, np.ones(x.shape))


@examples(100)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=3), data=st.data(),
       name=st.sampled_from(["equal", "not_equal", "less", "less_equal", "greater", "greater_equal"]))
def test_comparisons_at_special_values(shapes, data, name):
    a = data.draw(hnp.arrays(np.float64, shapes.input_shapes[0], elements=SPECIAL_OR_ANY), label="x")
    b = data.draw(hnp.arrays(np.float64, shapes.input_shapes[1], elements=SPECIAL_OR_ANY), label="y")
    m = getattr(ag, name)(Tensor(a, requires_grad=True), b)
    assert m.dtype == np.bool_ and not m.requires_grad and m.op is None
    np.testing.assert_array_equal(m.data, getattr(np, name)(a, b))
