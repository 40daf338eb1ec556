"""CNN modules built on autograd: Module, layers, models, losses, optimizers, saving, and the digit data."""

from nn import data, functional, optim
from nn.activations import GELU, Identity, LeakyReLU, Sigmoid, SiLU, Softplus
from nn.containers import ModuleDict, ModuleList
from nn.layers import AvgPool2d, Conv2d, Flatten, Linear, MaxPool2d, ReLU, Residual, Sequential, Tanh
from nn.models import LeNet5, ResidualCNN
from nn.module import Module, Parameter
from nn.norm import BatchNorm1d, BatchNorm2d, Dropout
from nn.serialize import load, save
from nn.stateless import functional_call

__all__ = [
    "AvgPool2d", "BatchNorm1d", "BatchNorm2d", "Conv2d", "Dropout", "Flatten", "GELU", "Identity",
    "LeNet5", "LeakyReLU", "Linear", "MaxPool2d", "Module", "ModuleDict", "ModuleList", "Parameter",
    "ReLU", "Residual", "ResidualCNN", "Sequential", "SiLU", "Sigmoid", "Softplus", "Tanh", "data",
    "functional", "functional_call", "load", "optim", "save", "train",
]


def __getattr__(name):
    """nn.train is imported on first use, not here, so `python -m nn.train` does not run it twice."""
    if name == "train":
        import importlib

        return importlib.import_module("nn.train")
    raise AttributeError(f"module 'nn' has no attribute {name!r}")
