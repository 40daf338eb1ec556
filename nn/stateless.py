"""functional_call: call a module with some parameters replaced by given tensors, by dotted name.

    gradcheck(lambda w: functional_call(model, {"fc2.bias": w}, x), [b])

The module is left as it was: "stateless", after PyTorch's old home for it (torch.nn.utils.stateless).
"""

from __future__ import annotations

from collections.abc import Mapping

from autograd import Tensor
from nn.module import Module

__all__ = ["functional_call"]


def functional_call(module: Module, parameters: Mapping[str, Tensor], *args, **kwargs):
    """module(*args, **kwargs) with some parameters replaced by the given tensors, by dotted name.

    The tensors take part in the graph instead of the module's own parameters, so a gradient check
    can treat them as inputs: gradcheck(lambda w: functional_call(model, {"fc2.bias": w}, x), [b]).
    The module is exactly as it was afterwards, also when the call fails.
    """
    owners = dict(module.named_modules())
    slots = []
    for name, tensor in parameters.items():
        path, _, leaf = name.rpartition(".")
        owner = owners.get(path)
        if owner is None or leaf not in owner._parameters:
            raise KeyError(f"functional_call: {type(module).__name__} has no parameter '{name}'")
        if not isinstance(tensor, Tensor) or tensor.shape != owner._parameters[leaf].shape:
            raise ValueError(f"functional_call: '{name}' needs a Tensor of shape "
                             f"{owner._parameters[leaf].shape}, got {getattr(tensor, 'shape', type(tensor))}")
        slots.append((owner, leaf, tensor))
    saved = [(owner, leaf, owner._parameters[leaf]) for owner, leaf, _ in slots]
    try:
        for owner, leaf, tensor in slots:
            owner._parameters[leaf] = tensor  # straight into the registry: a plain Tensor is allowed here
        return module(*args, **kwargs)
    finally:
        for owner, leaf, original in saved:
            owner._parameters[leaf] = original
