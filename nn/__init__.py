"""CNN modules built on autograd."""

from nn import data

__all__ = ["data"]
