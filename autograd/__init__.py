"""tracegrad's autodiff core: Tensor, the recorded graph, reverse mode, gradient checks."""

# NOTE: tensor first. It imports the ops at its end, and they need the Tensor class to exist.
from autograd.tensor import Tensor  # noqa: I001
from autograd.convert import as_tensor
from autograd.anomaly import AnomalyError, detect_anomaly
from autograd.engine import backward, grad, toposort
from autograd.function import Function, apply, enable_grad, is_grad_enabled, no_grad
from autograd.gradcheck import GradcheckError, dotcheck, gradcheck, gradgradcheck
from autograd.inplace import InplaceError
from autograd.record import BackwardRecord, record_backward
from autograd.threads import get_num_threads, set_num_threads
from autograd import memory  # noqa: F401  (on import: freed memory is kept for the next step, glibc only)
from autograd.ops import (
    abs, add, argmax, argmin, avg_pool2d, broadcast_to, cast, ceil, clip, concatenate, correlate2d, cos,
    cumsum, div, einsum, elu, equal, erf, exp, expand_dims, expm1, flatten, flip, floor, gelu, getitem,
    greater, greater_equal, leaky_relu, less, less_equal, log, log1p, logsumexp, matmul, max, max_pool2d,
    maximum, mean, min, minimum, moveaxis, mul, neg, not_equal, one_hot, pad, pow, prod, relu, repeat,
    reshape, round, scatter_add, sigmoid, sign, silu, sin, softplus, split, sqrt, square, squeeze, stack,
    std, sub, sum, sum_to, swapaxes, take_along_axis, tanh, tile, transpose, upsample, var, where,
)
from autograd.ops.conv_transpose import conv_transpose2d
from autograd.creation import (
    arange, eye, full, full_like, normal, ones, ones_like, uniform, zeros, zeros_like,
)

__all__ = [
    "abs", "add", "AnomalyError", "apply", "arange", "argmax", "argmin", "as_tensor", "avg_pool2d",
    "backward", "BackwardRecord", "broadcast_to", "cast", "ceil", "clip", "concatenate",
    "conv_transpose2d", "correlate2d", "cos", "cumsum", "detect_anomaly", "div", "dotcheck", "einsum",
    "elu", "enable_grad", "equal", "erf", "exp", "expand_dims", "expm1", "eye", "flatten", "flip",
    "floor", "full", "full_like", "Function", "gelu", "get_num_threads", "getitem", "grad", "gradcheck",
    "GradcheckError", "gradgradcheck", "greater", "greater_equal", "InplaceError", "is_grad_enabled",
    "leaky_relu", "less", "less_equal", "log", "log1p", "logsumexp", "matmul", "max", "max_pool2d",
    "maximum", "mean", "min", "minimum", "moveaxis", "mul", "neg", "no_grad", "normal", "not_equal",
    "one_hot", "ones", "ones_like", "pad", "pow", "prod", "record_backward", "relu", "repeat",
    "reshape", "round", "scatter_add", "set_num_threads", "sigmoid", "sign", "silu", "sin", "softplus",
    "split", "sqrt", "square", "squeeze", "stack", "std", "sub", "sum", "sum_to", "swapaxes",
    "take_along_axis", "tanh", "Tensor", "tile", "toposort", "transpose", "uniform", "upsample", "var",
    "where", "zeros", "zeros_like",
]
