"""Module and Parameter: the containers that CNN layers and models are made of.

    class TwoLayer(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(4, 8)        # a sub-Module: registered under "fc1"
            self.fc2 = nn.Linear(8, 2)
            self.scale = nn.Parameter(1.0)    # a Parameter: registered under "scale"

        def forward(self, x):                 # model(x) calls forward(x)
            return self.fc2(self.fc1(x).tanh()) * self.scale

    [name for name, _ in TwoLayer().named_parameters()]
    # ['scale', 'fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']

Assigning a Parameter or a Module to an attribute registers it (in `_parameters` / `_modules`, both
dicts, which keep insertion order). Names are dotted paths, as in PyTorch: a module's own parameters
come first, then those of each sub-module in the order they were assigned.

NOTE: only `Parameter`s are registered. A plain `Tensor(..., requires_grad=True)` attribute is not a
parameter: the optimizer and `state_dict()` will not see it.

Buffers are state that is not learned (BatchNorm's running statistics): `self.register_buffer("running_mean",
np.zeros(C))` keeps a Tensor that state_dict(), load_state_dict(), nn.save and nn.load include and
parameters() does not. `train()` / `eval()` set the `training` flag of a module and all its descendants.
The containers ModuleList and ModuleDict are in nn/containers.py, functional_call in nn/stateless.py.

Errors raised inside a forward name the module they happened in: the first module to see the error
(the innermost) re-raises it, same type, with its dotted path in front, e.g.
"LeNet5.conv1: expected input (N, 1, H, W), got (100, 3, 32, 32)". That, and the records of which
module call made which nodes (call_records), is done by Module.__call__ in nn/calls.py.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping

import numpy as np

from autograd import Tensor
from nn import calls

__all__ = ["Module", "Parameter"]


class Parameter(Tensor):
    """A Tensor that a Module registers as learnable: floating point, requires_grad=True by default.

    Parameter(np.zeros((3, 4), np.float32)) keeps float32; ints and bools become float64.
    Results of ops on Parameters are plain Tensors.
    """

    __slots__ = ()  # Tensor uses __slots__; a subclass without them would grow a __dict__

    def __init__(self, data, requires_grad: bool = True, name: str | None = None, dtype=None):
        if dtype is None:
            kind = np.asarray(data.data if isinstance(data, Tensor) else data).dtype.kind
            dtype = None if kind == "f" else np.float64
        elif np.dtype(dtype).kind != "f":
            raise TypeError(f"Parameter: dtype must be floating point, got {np.dtype(dtype)}")
        super().__init__(data, requires_grad=requires_grad, name=name, dtype=dtype)

    def __repr__(self) -> str:
        return "Parameter" + super().__repr__()[len("Tensor"):]


def _buffer_value(value, name: str, owner: str) -> Tensor | None:
    """A buffer's value: a Tensor kept as it is, an array or number as a new Tensor, or None."""
    if value is None or isinstance(value, Tensor):
        return value
    if isinstance(value, (np.ndarray, np.generic, int, float)) and not isinstance(value, (bool, np.bool_)):
        return Tensor(value)
    raise TypeError(f"cannot assign {type(value).__name__} as buffer '{name}' of {owner} "
                    f"(a Tensor, a NumPy array or None expected)")


class Module:
    """Base class of layers and models: holds Parameters and sub-Modules, and calls forward()."""

    def __init__(self):
        # object.__setattr__: these must exist before our own __setattr__ can work
        object.__setattr__(self, "_parameters", {})  # name -> Parameter, in assignment order
        object.__setattr__(self, "_buffers", {})  # name -> Tensor or None (see register_buffer)
        object.__setattr__(self, "_non_persistent", set())  # buffer names left out of state_dict()
        object.__setattr__(self, "_modules", {})  # name -> Module, in assignment order
        object.__setattr__(self, "training", True)

    # -- attribute registration ---------------------------------------------------------------------
    def __setattr__(self, name: str, value) -> None:
        params = self.__dict__.get("_parameters")
        modules = self.__dict__.get("_modules")
        buffers = self.__dict__.get("_buffers")
        if isinstance(value, (Parameter, Module)) and params is None:
            raise AttributeError(
                f"cannot assign {type(value).__name__} '{name}' before Module.__init__() was called "
                f"(call super().__init__() first in {type(self).__name__}.__init__)"
            )
        if isinstance(value, Parameter):
            self._forget(name, params)
            params[name] = value
        elif isinstance(value, Module):
            self._forget(name, modules)
            modules[name] = value
        elif buffers is not None and name in buffers:  # `self.running_mean = array` replaces the buffer
            buffers[name] = _buffer_value(value, name, type(self).__name__)
        elif params is not None and (name in params or name in modules):
            if value is not None:
                kind = "parameter" if name in params else "sub-module"
                raise TypeError(
                    f"cannot assign {type(value).__name__} to {kind} '{name}' of {type(self).__name__} "
                    f"(a Parameter, a Module or None expected)"
                )
            params.pop(name, None)  # `self.bias = None` unregisters it
            modules.pop(name, None)
            object.__setattr__(self, name, None)
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name: str, keep: dict | None = None) -> None:
        """Remove `name` from the instance dict and every registry but `keep` (where it is about to be
        registered: a replaced entry keeps its place in the order, as in PyTorch)."""
        self.__dict__.pop(name, None)
        for registry in (self._parameters, self._buffers, self._modules):
            if registry is not keep:
                registry.pop(name, None)
        self._non_persistent.discard(name)

    def __getattr__(self, name: str):
        # Called only when normal lookup fails: parameters and sub-modules live in the two dicts.
        for registry in ("_parameters", "_buffers", "_modules"):
            found = self.__dict__.get(registry)
            if found is not None and name in found:
                return found[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        if name in self._parameters:
            del self._parameters[name]
        elif name in self._modules:
            del self._modules[name]
        elif name in self._buffers:
            del self._buffers[name]
            self._non_persistent.discard(name)
        else:
            object.__delattr__(self, name)

    def __dir__(self):
        names = set(self._parameters) | set(self._buffers) | set(self._modules)
        return sorted(set(super().__dir__()) | names)

    # -- registering by name -------------------------------------------------------------------------
    def _check_new_name(self, name, what: str, registry: str) -> None:
        """`name` may be registered in self.<registry> ("_buffers"): a str, no '.', not another attribute."""
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot register {what} before Module.__init__() was called "
                                 f"(call super().__init__() first in {type(self).__name__}.__init__)")
        if not isinstance(name, str):
            raise TypeError(f"{what} name must be a str, got {type(name).__name__}")
        if name == "" or "." in name:
            raise KeyError(f"{what} name must be a non-empty str without '.', got {name!r}")
        if name not in self.__dict__[registry] and hasattr(self, name):
            raise KeyError(f"attribute '{name}' already exists in {type(self).__name__}")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """self.<name> = param, by name (None: a declared but absent parameter, as bias=False)."""
        self._check_new_name(name, "parameter", "_parameters")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign {type(param).__name__} as parameter '{name}' "
                            f"(a Parameter or None expected)")
        self._forget(name, self._parameters)
        if param is None:
            self._parameters.pop(name, None)
            object.__setattr__(self, name, None)
        else:
            self._parameters[name] = param

    def add_module(self, name: str, module: Module | None) -> None:
        """self.<name> = module, by name: for names that are not identifiers ("0", "conv-1")."""
        self._check_new_name(name, "module", "_modules")
        if not isinstance(module, Module):
            raise TypeError(f"{type(self).__name__}.add_module: '{name}' is a {type(module).__name__}, "
                            f"not a Module")
        self._forget(name, self._modules)
        self._modules[name] = module

    register_module = add_module

    def register_buffer(self, name: str, tensor, persistent: bool = True) -> None:
        """Keep `tensor` as self.<name>: state, not a parameter (BatchNorm's running statistics).

        A buffer is a Tensor (an array or number is converted, a Tensor kept as it is) or None. It is in
        state_dict() (so nn.save / nn.load) unless persistent=False, never in parameters(); the
        optimizer does not see it. Assigning `self.<name> = array` later replaces it.
        """
        self._check_new_name(name, "buffer", "_buffers")
        if isinstance(tensor, Parameter):
            raise TypeError(f"cannot register Parameter '{name}' as a buffer (assign it as an attribute "
                            f"or use register_parameter)")
        value = _buffer_value(tensor, name, type(self).__name__)
        self._forget(name, self._buffers)
        self._buffers[name] = value
        if not persistent:
            self._non_persistent.add(name)

    # -- walking the tree ---------------------------------------------------------------------------
    def named_children(self) -> Iterator[tuple[str, Module]]:
        yield from self._modules.items()

    def children(self) -> Iterator[Module]:
        for _, m in self.named_children():
            yield m

    def named_modules(self, prefix: str = "", remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """(dotted name, module) for this module ('' or `prefix`) and every descendant, depth first.

        A module reachable by two paths is yielded once, under the first (unless remove_duplicate=False).
        """
        seen: set[int] = set()
        stack = [(prefix, self)]  # an explicit stack: no recursion limit on deep nets
        while stack:
            name, module = stack.pop()
            if remove_duplicate:
                if id(module) in seen:
                    continue
                seen.add(id(module))
            yield name, module
            below = [(f"{name}.{n}" if name else n, m) for n, m in module._modules.items()]
            stack.extend(reversed(below))

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """('conv1.weight', Parameter) pairs: each module's own parameters, then its sub-modules'.

        A parameter shared by two modules (weight tying) is yielded once, unless remove_duplicate=False.
        """
        return self._named_tensors("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        """('bn1.running_mean', Tensor) pairs, ordered as named_parameters; None buffers are skipped."""
        return self._named_tensors("_buffers", prefix, recurse, remove_duplicate)

    def _named_tensors(self, registry: str, prefix: str, recurse: bool,
                       remove_duplicate: bool) -> Iterator[tuple[str, Tensor]]:
        """(dotted name, tensor) from each module's `registry` dict (_parameters or _buffers), module by
        module as named_modules walks them; None entries skipped, a shared tensor once (remove_duplicate)."""
        seen: set[int] = set()
        walk = self.named_modules(prefix, remove_duplicate) if recurse else [(prefix, self)]
        for mod_name, module in walk:
            for name, t in getattr(module, registry).items():
                if t is None:
                    continue
                if remove_duplicate:
                    if id(t) in seen:
                        continue
                    seen.add(id(t))
                yield (f"{mod_name}.{name}" if mod_name else name), t

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def num_parameters(self) -> int:
        """The number of learnable scalars (shared parameters counted once)."""
        return sum(p.size for p in self.parameters())

    # -- modes and gradients ------------------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Set `training` on this module and every descendant; returns self."""
        if not isinstance(mode, bool):
            raise TypeError(f"train: mode must be True or False, got {mode!r}")
        for m in self.modules():
            m.training = mode
        return self

    def eval(self) -> Module:
        """train(False): evaluation mode (Dropout is the identity, BatchNorm uses its running statistics)."""
        return self.train(False)

    def zero_grad(self) -> None:
        """Set every parameter's .grad to None (the next backward() starts from zero)."""
        for p in self.parameters():
            p.grad = None

    # -- state ---------------------------------------------------------------------------------------
    def _state_tensors(self) -> dict[str, Tensor]:
        """name -> Tensor for state_dict: each module's parameters, then its persistent buffers, then
        its sub-modules' (PyTorch's order); every registered name, tied ones too."""
        state = {}
        for mod_name, module in self.named_modules(remove_duplicate=False):
            prefix = f"{mod_name}." if mod_name else ""
            for name, p in module._parameters.items():
                state[prefix + name] = p
            for name, b in module._buffers.items():
                if b is not None and name not in module._non_persistent:
                    state[prefix + name] = b
        return state

    def state_dict(self) -> OrderedDict[str, np.ndarray]:
        """name -> a copy of the array of every parameter and persistent buffer, in order."""
        return OrderedDict((n, t.data.copy()) for n, t in self._state_tensors().items())

    def load_state_dict(self, state: Mapping, strict: bool = True) -> None:
        """Copy arrays from `state` (name -> array or Tensor) into the parameters and buffers: all or nothing.

        Everything is checked before anything changes: missing and unexpected names (both listed;
        strict=False allows them), then each array's shape and dtype (they must match exactly, no
        silent casts). On any problem a ValueError lists all of them and the module is unchanged.
        """
        if not isinstance(state, Mapping):
            raise TypeError(f"load_state_dict: expected a mapping name -> array, got {type(state).__name__}")
        own = self._state_tensors()
        problems = []
        if strict:
            missing = [n for n in own if n not in state]
            unexpected = [n for n in state if n not in own]
            if missing:
                problems.append(f"missing keys: {', '.join(map(repr, missing))}")
            if unexpected:
                problems.append(f"unexpected keys: {', '.join(map(repr, unexpected))}")
        new = {}
        for name, p in own.items():
            if name not in state:
                continue
            value = state[name]
            try:
                arr = value.data if isinstance(value, Tensor) else np.asarray(value)
            except (ValueError, TypeError) as err:
                problems.append(f"'{name}' is not an array ({err})")
                continue
            if arr.shape != p.shape:
                problems.append(f"'{name}' has shape {arr.shape}, expected {p.shape}")
            elif arr.dtype != p.dtype:
                problems.append(f"'{name}' has dtype {arr.dtype}, expected {p.dtype}")
            else:
                new[name] = np.array(arr, copy=True, order="C")  # our own copy; nothing assigned yet
        if problems:
            raise ValueError(f"{type(self).__name__}.load_state_dict: {'; '.join(problems)}")
        for name, arr in new.items():  # nothing below can fail: plain attribute assignments
            own[name].data = arr

    # -- calling ------------------------------------------------------------------------------------
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args, **kwargs):
        """forward(*args, **kwargs); an error inside is re-raised once, prefixed with the module path.

        The outermost call also records which module made which nodes, so that a drawing can group
        the graph by module: see `call_records`. Both are done in nn/calls.py.
        """
        return calls.call(self, args, kwargs)

    def call_records(self) -> list[tuple[int, int, tuple[tuple[str, int, int], ...]]]:
        """The last nn.calls.MAX_CALL_RECORDS outermost calls of this module, oldest first.

        Each is (start, end, spans): the creation numbers of the nodes it made lie between start and end,
        and each span (path, start, end) says which module call made which of them ('LeNet5.conv1',
        innermost calls first in the order they finished). Numbers and names only, no tensors: the
        records keep no graph alive. viz picks the calls whose numbers its graph's nodes carry, so a
        loss made before an evaluation pass is still drawn with its own calls.
        """
        return calls.call_records(self)

    # -- printing -----------------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The settings shown between the parentheses of repr(); layers override it."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        lines = [extra] if extra else []
        for name, m in self._modules.items():
            lines.append(f"({name}): " + repr(m).replace("\n", "\n  "))
        if not self._modules:
            return f"{type(self).__name__}({extra})"
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"
