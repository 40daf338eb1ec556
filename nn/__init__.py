"""CNN modules built on autograd: Module, layers, models, losses, optimizers, saving, and the digit data."""

from nn import data, functional, optim
from nn.layers import AvgPool2d, Conv2d, Flatten, Linear, MaxPool2d, ReLU, Residual, Sequential, Tanh
from nn.models import LeNet5, ResidualCNN
from nn.module import Module, Parameter, functional_call
from nn.serialize import load, save

__all__ = [
    "AvgPool2d", "Conv2d", "Flatten", "LeNet5", "Linear", "MaxPool2d", "Module", "Parameter", "ReLU",
    "Residual", "ResidualCNN", "Sequential", "Tanh", "data", "functional", "functional_call", "load",
    "optim", "save", "train",
]


def __getattr__(name):
    """nn.train is imported on first use, not here, so `python -m nn.train` does not run it twice."""
    if name == "train":
        import importlib

        return importlib.import_module("nn.train")
    raise AttributeError(f"module 'nn' has no attribute {name!r}")
