"""Containers of modules: ModuleList and ModuleDict hold sub-modules in a list or dict and register them,
so their parameters are found under dotted names ("layers.0.weight", "heads.digit.bias").

    self.layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(3)])
    self.heads = nn.ModuleDict({"digit": nn.Linear(84, 10), "parity": nn.Linear(84, 2)})

Neither has a forward() of its own: a model calls the modules it holds.
"""

from __future__ import annotations

import operator
from collections.abc import Iterator, Mapping

from nn.module import Module

__all__ = ["ModuleDict", "ModuleList"]


class ModuleList(Module):
    """A list of Modules registered as children "0", "1", ...; it has no forward() of its own.

        self.layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(3)])
        for layer in self.layers:
            x = layer(x)

    Deleting or inserting renumbers the children, so their names stay "0" ... "n-1" (as PyTorch).
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _checked(self, module, where: str) -> Module:
        if not isinstance(module, Module):
            raise TypeError(f"ModuleList: {where} is a {type(module).__name__}, not a Module")
        return module

    def _index(self, index) -> int:
        try:
            i = operator.index(index)
        except TypeError:
            raise TypeError(f"ModuleList indices must be integers or slices, "
                            f"not {type(index).__name__}") from None
        n = len(self._modules)
        if not -n <= i < n:
            raise IndexError(f"ModuleList: index {i} is out of range for {n} modules")
        return i % n

    def _renumber(self, modules: list[Module]) -> None:
        self._modules.clear()
        for i, m in enumerate(modules):
            self._modules[str(i)] = m

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(list(self._modules.values()))

    def __getitem__(self, index):
        if isinstance(index, slice):
            return ModuleList(list(self._modules.values())[index])
        return self._modules[str(self._index(index))]

    def __setitem__(self, index, module: Module) -> None:
        self._modules[str(self._index(index))] = self._checked(module, f"item {index}")

    def __delitem__(self, index) -> None:
        modules = list(self._modules.values())
        if isinstance(index, slice):
            del modules[index]
        else:
            del modules[self._index(index)]
        self._renumber(modules)

    def __iadd__(self, modules) -> ModuleList:
        return self.extend(modules)

    def __add__(self, other) -> ModuleList:
        return ModuleList([*self, *other])

    def append(self, module: Module) -> ModuleList:
        self._modules[str(len(self._modules))] = self._checked(module, "the appended value")
        return self

    def extend(self, modules) -> ModuleList:
        if isinstance(modules, Module) and not isinstance(modules, (ModuleList, ModuleDict)):
            raise TypeError(f"ModuleList.extend: expected an iterable of Modules, got a single "
                            f"{type(modules).__name__} (use append)")
        for i, m in enumerate(list(modules)):
            self._checked(m, f"item {i} of extend()")
        for m in modules:
            self._modules[str(len(self._modules))] = m
        return self

    def insert(self, index: int, module: Module) -> None:
        modules = list(self._modules.values())
        modules.insert(operator.index(index), self._checked(module, "the inserted value"))
        self._renumber(modules)

    def pop(self, index: int = -1) -> Module:
        module = self[index]
        del self[index]
        return module

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ModuleList is a container without forward(): call its modules, "
                                  "e.g. `for layer in self.layers: x = layer(x)`")


class ModuleDict(Module):
    """A dict of Modules registered under their keys (str, no '.'), in insertion order; no forward().

        self.heads = nn.ModuleDict({"digit": nn.Linear(84, 10), "parity": nn.Linear(84, 2)})
        self.heads["digit"](h)          # parameters: "heads.digit.weight", ...
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        if key not in self._modules:
            raise KeyError(f"ModuleDict has no module {key!r} (keys: {list(self._modules)})")
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        self[key]  # noqa: B018  (the KeyError naming the keys)
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._modules))

    def __contains__(self, key) -> bool:
        return key in self._modules

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()

    def update(self, modules) -> None:
        """Add (key, module) pairs from a mapping or an iterable of pairs; all checked before any is added."""
        pairs = list(modules.items()) if isinstance(modules, Mapping) else list(modules)
        for i, pair in enumerate(pairs):
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise TypeError(f"ModuleDict.update: item {i} ({type(pair).__name__}) is not "
                                f"a (key, module) pair")
            if not isinstance(pair[1], Module):
                raise TypeError(f"ModuleDict: {pair[0]!r} is a {type(pair[1]).__name__}, not a Module")
        for key, module in pairs:
            self.add_module(key, module)

    def pop(self, key: str) -> Module:
        module = self[key]
        del self._modules[key]
        return module

    def clear(self) -> None:
        self._modules.clear()

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ModuleDict is a container without forward(): call its modules by key, "
                                  "e.g. `self.heads['digit'](x)`")
