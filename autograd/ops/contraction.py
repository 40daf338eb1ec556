"""Contraction: einsum as one primitive; its VJP is the same contraction with g in an operand's place.

    z = einsum("s1,...,sn->o", x1, ..., xn);   xk_bar = einsum("o,s1,..(sk left out)..,sn->sk", g, ...)

    einsum("ij,jk->ik", a, b)     # matmul;  'bij,bjk->bik' batched, 'i,j->ij' outer, 'ii->' trace
"""

from __future__ import annotations

import numpy as np

from autograd.convert import as_tensor
from autograd.function import Function, apply
from autograd.ops.reduce import broadcast_to
from autograd.ops.shape import reshape
from autograd.tensor import Tensor


class Einsum(Function):
    """z = einsum("s1,...,sn->o", x1, ..., xn): multiply along shared letters, sum the letters not in o.

        xk_bar = einsum("o,s1,..(sk left out)..,sn->sk", g, x1, ..., xn)

    z is linear in each x_k, so its VJP is the same contraction with g in x_k's place and x_k's
    subscripts as the output. Two details NumPy's einsum cannot write as an output: a letter that only
    x_k has and o lacks (summed away: its gradient is g broadcast along it), and a letter x_k repeats
    ("ii", a diagonal: the gradient lives on the diagonal, the rest is 0, a constant mask).
    """

    name = "einsum"

    @staticmethod
    def forward(*arrays, subscripts):
        return np.einsum(subscripts, *arrays)

    @staticmethod
    def vjp(g, out, needs):
        ins, o = out.params["subscripts"].split("->")
        ins = ins.split(",")
        xs = out.parents
        grads = []
        for k, need in enumerate(needs):
            grads.append(_einsum_grad(g, o, ins, xs, k) if need else None)
        return tuple(grads)


def _einsum_grad(g: Tensor, o: str, ins: list[str], xs, k: int) -> Tensor:
    """The gradient of einsum's output with respect to operand k (see Einsum)."""
    sk, x = ins[k], xs[k]
    others = [s for i, s in enumerate(ins) if i != k]
    seen = set(o).union(*others)
    present = "".join(dict.fromkeys(c for c in sk if c in seen))  # x_k's letters that g or others carry
    terms = ",".join([o, *others])
    if terms == present:
        d = g  # nothing to contract: 'ij->ij' and the like
    else:
        d = apply(Einsum, g, *[xs[i] for i in range(len(xs)) if i != k], subscripts=f"{terms}->{present}")
    # put d on x_k's axes: size at the first place of each present letter, 1 elsewhere, then broadcast
    first = {c: sk.index(c) for c in sk}
    lay = tuple(n if (first[c] == i and c in present) else 1 for i, (c, n) in enumerate(zip(sk, x.shape)))
    d = broadcast_to(reshape(d, lay), x.shape)
    if len(first) == len(sk):
        return d
    mask = np.ones(x.shape, dtype=bool)  # a repeated letter: keep the diagonal of its axes only
    for i, c in enumerate(sk):
        f = first[c]
        if f != i:
            a = np.arange(x.shape[i]).reshape(_unit(x.ndim, i, x.shape[i]))
            b = np.arange(x.shape[f]).reshape(_unit(x.ndim, f, x.shape[f]))
            mask &= a == b
    return d * Tensor._leaf(mask.astype(d.dtype))


def _unit(ndim: int, axis: int, n: int) -> tuple[int, ...]:
    return tuple(n if i == axis else 1 for i in range(ndim))



def einsum(subscripts: str, *operands) -> Tensor:
    """Einstein summation with explicit ('ij,jk->ik') or implicit ('ij,jk') output, any number of operands:
    matmul 'ij,jk->ik', batched 'bij,bjk->bik', outer 'i,j->ij', trace 'ii->', diagonal 'ii->i',
    transpose 'ij->ji', sum 'ij->'. Letters name axes; a letter missing from the output is summed.

    NOTE: no ellipsis ('...') and no broadcasting of size-1 axes: each letter has one size.
    """
    if not isinstance(subscripts, str):
        raise TypeError(f"einsum: subscripts must be a string like 'ij,jk->ik'; got {subscripts!r}")
    if not operands:
        raise ValueError("einsum: need at least one operand")
    like = next((t for t in operands if isinstance(t, Tensor)), None)
    xs = [as_tensor(t, like=like, op="einsum") for t in operands]
    spec = _parse_einsum(subscripts, [x.shape for x in xs])
    ins, out = spec.split("->")
    if len(xs) == 1 and ins == out:
        return xs[0]
    return apply(Einsum, *xs, subscripts=spec)


def _parse_einsum(subscripts: str, shapes: list) -> str:
    """The explicit form 'ij,jk->ik' of `subscripts`, after checking it against the operands' shapes."""
    s = subscripts.replace(" ", "")
    shown = " and ".join(str(tuple(sh)) for sh in shapes)
    if "." in s:
        raise ValueError(f"einsum: ellipsis ('...') is not supported in {subscripts!r}; name every axis "
                         f"with a letter (e.g. 'bij,bjk->bik')")
    ins, arrow, out = s.partition("->")
    if any(c in ins + out for c in "->"):
        raise ValueError(f"einsum: {subscripts!r} must have at most one '->' and no other '-' or '>'")
    terms = ins.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: {subscripts!r} names {len(terms)} operand(s) but {len(shapes)} were given "
                         f"(shapes {shown})")
    letters = "".join(terms) + out
    if not all(c.isascii() and c.isalpha() for c in letters.replace(",", "")):
        raise ValueError(f"einsum: subscripts must be letters a-z, A-Z, ',' and '->'; got {subscripts!r}")
    size: dict[str, int] = {}
    for k, (term, shape) in enumerate(zip(terms, shapes)):
        if len(term) != len(shape):
            raise ValueError(f"einsum: operand {k} has shape {tuple(shape)} ({len(shape)} axes) but "
                             f"subscripts {term!r} name {len(term)} (in {subscripts!r})")
        for c, n in zip(term, shape):
            if size.setdefault(c, n) != n:
                raise ValueError(f"einsum: index {c!r} has sizes {size[c]} and {n} in {subscripts!r} "
                                 f"(shapes {shown})")
    if not arrow:  # implicit mode, as NumPy: the letters that appear once, in alphabetical order
        counts = {c: "".join(terms).count(c) for c in size}
        out = "".join(sorted(c for c, m in counts.items() if m == 1))
    for c in out:
        if out.count(c) > 1:
            raise ValueError(f"einsum: output index {c!r} is repeated in {subscripts!r}; an output cannot "
                             f"repeat an index")
        if c not in size:
            raise ValueError(f"einsum: output index {c!r} in {subscripts!r} appears in no operand")
    return f"{','.join(terms)}->{out}"
