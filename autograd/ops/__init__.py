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
from autograd.ops.unary import (
    abs, ceil, clip, cos, erf, expm1, floor, log1p, maximum, minimum, round, sign, sin, sqrt, square,
)
from autograd.ops.activations import elu, gelu, leaky_relu, silu, softplus
from autograd.ops.stats import argmax, argmin, cumsum, logsumexp, min, prod, std, var
from autograd.ops.contraction import einsum
from autograd.ops.join import (
    concatenate, expand_dims, flatten, flip, moveaxis, one_hot, pad, repeat, split, squeeze, stack,
    swapaxes, take_along_axis, tile,
)

__all__ = [
    "abs", "add", "argmax", "argmin", "avg_pool2d", "broadcast_to", "cast", "ceil", "clip", "concatenate",
    "correlate2d", "cos", "cumsum", "div", "einsum", "elu", "equal", "erf", "exp", "expand_dims", "expm1",
    "flatten", "flip", "floor", "gelu", "getitem", "greater", "greater_equal", "leaky_relu", "less",
    "less_equal", "log", "log1p", "logsumexp", "matmul", "max", "max_pool2d", "maximum", "mean", "min",
    "minimum", "moveaxis", "mul", "neg", "not_equal", "one_hot", "pad", "pow", "prod", "relu", "repeat",
    "reshape", "round", "scatter_add", "sigmoid", "sign", "silu", "sin", "softplus", "split", "sqrt",
    "square", "squeeze", "stack", "std", "sub", "sum", "sum_to", "swapaxes", "take_along_axis", "tanh",
    "tile", "transpose", "upsample", "var", "where",
]
