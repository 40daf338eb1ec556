"""The primitives, grouped by kind. Each module keeps forward and VJP side by side."""

from autograd.ops.elementwise import (
    add, cast, div, exp, log, mul, neg, pow, relu, sigmoid, sub, tanh, where,
)
from autograd.ops.linalg import matmul
from autograd.ops.reduce import broadcast_to, max, mean, sum, sum_to
from autograd.ops.shape import getitem, reshape, scatter_add, transpose

__all__ = [
    "add", "broadcast_to", "cast", "div", "exp", "getitem", "log", "matmul", "max", "mean", "mul",
    "neg", "pow", "relu", "reshape", "scatter_add", "sigmoid", "sub", "sum", "sum_to", "tanh",
    "transpose", "where",
]
