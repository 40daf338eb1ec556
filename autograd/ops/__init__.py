"""The primitives, grouped by kind. Each module keeps forward and VJP side by side."""

from autograd.ops.elementwise import (
    add, cast, div, exp, log, mul, neg, pow, relu, sigmoid, sub, tanh, where,
)
from autograd.ops.compare import equal, greater, greater_equal, less, less_equal, not_equal
from autograd.ops.conv import correlate2d
from autograd.ops.linalg import matmul
from autograd.ops.pool import avg_pool2d, max_pool2d, upsample
from autograd.ops.reduce import broadcast_to, max, mean, sum, sum_to
from autograd.ops.shape import getitem, reshape, scatter_add, transpose

__all__ = [
    "add", "avg_pool2d", "broadcast_to", "correlate2d", "cast", "div", "equal", "exp", "getitem", "greater",
    "greater_equal", "less", "less_equal", "log", "matmul", "max", "max_pool2d", "mean", "mul", "neg",
    "not_equal", "pow", "relu", "reshape", "scatter_add", "sigmoid", "sub", "sum", "sum_to", "tanh",
    "transpose", "upsample", "where",
]
