"""tracegrad's autodiff core: Tensor, the recorded graph, reverse mode, gradient checks."""

# NOTE: tensor first. It imports the ops at its end, and they need the Tensor class to exist.
from autograd.tensor import Tensor, as_tensor  # noqa: I001
from autograd.anomaly import AnomalyError, detect_anomaly
from autograd.engine import backward, grad, toposort
from autograd.function import Function, apply, enable_grad, is_grad_enabled, no_grad
from autograd.gradcheck import GradcheckError, dotcheck, gradcheck, gradgradcheck
from autograd.inplace import InplaceError
from autograd.record import BackwardRecord, record_backward
from autograd.ops import (
    add, avg_pool2d, broadcast_to, cast, correlate2d, div, equal, exp, getitem, greater, greater_equal,
    less, less_equal, log, matmul, max, max_pool2d, mean, mul, neg, not_equal, pow, relu, reshape,
    scatter_add, sigmoid, sub, sum, sum_to, tanh, transpose, upsample, where,
)

__all__ = [
    "AnomalyError", "BackwardRecord", "Function", "GradcheckError", "InplaceError", "Tensor", "add",
    "apply", "as_tensor", "avg_pool2d", "backward", "broadcast_to", "cast", "correlate2d", "detect_anomaly",
    "div", "dotcheck", "enable_grad", "equal", "exp", "getitem", "grad", "gradcheck", "gradgradcheck",
    "greater", "greater_equal", "is_grad_enabled", "less", "less_equal", "log", "matmul", "max",
    "max_pool2d", "mean", "mul", "neg", "no_grad", "not_equal", "pow",
    "record_backward", "relu", "reshape", "scatter_add", "sigmoid", "sub", "sum", "sum_to", "tanh",
    "toposort", "transpose", "upsample", "where",
]
