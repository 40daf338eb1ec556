"""CNN modules built on autograd: Module, layers, models, losses, optimizers, saving, and the digit data."""

from nn import data, functional, optim, train
from nn.layers import AvgPool2d, Conv2d, Flatten, Linear, MaxPool2d, ReLU, Residual, Sequential, Tanh
from nn.models import LeNet5, ResidualCNN
from nn.module import Module, Parameter, functional_call
from nn.serialize import load, save

__all__ = [
    "AvgPool2d", "Conv2d", "Flatten", "LeNet5", "Linear", "MaxPool2d", "Module", "Parameter", "ReLU",
    "Residual", "ResidualCNN", "Sequential", "Tanh", "data", "functional", "functional_call", "load",
    "optim", "save", "train",
]
