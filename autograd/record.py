"""What a backward pass did, step by step: which VJP ran for which node, what it sent where.

    with autograd.record_backward() as passes:
        loss.backward()
    (rec,) = passes                  # one BackwardRecord per backward()/grad() call in the block
    for step in rec.steps:           # in the order the engine ran them (children before parents)
        step.node, step.adjoint      # the forward node and the gradient that arrived at it (y_bar)
        for s in step.sends:         # one per input that received a gradient
            s.input, s.grad, s.total # the input, what this VJP sent it, its running sum afterwards

The record only keeps references to tensors the pass made anyway, so it costs one list append per
step; outside `record_backward()` the engine tests one attribute per pass and records nothing.
With create_graph=True the adjoints and totals are recorded tensors (phase "backward"): viz uses
that to name each running adjoint after what it is the gradient of (dC/dtanh3) and to replay the
pass one step at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from autograd.tensor import Tensor, grad_mode_state


@dataclass
class Send:
    """One gradient a VJP sent: `total` is the input's accumulated gradient after adding `grad`."""

    input: Tensor
    grad: Tensor
    total: Tensor

    @property
    def accumulated(self) -> bool:
        """True when the input had received a gradient before (the sum is a new `add`)."""
        return self.total is not self.grad


@dataclass
class Step:
    """One VJP call: for `node`, with upstream gradient `adjoint`; `returned` is one entry per input."""

    node: Tensor
    adjoint: Tensor
    returned: tuple
    needs: list[bool]
    sends: list[Send] = field(default_factory=list)

    def sent(self, input: Tensor, grad: Tensor, total: Tensor) -> None:
        self.sends.append(Send(input, grad, total))


@dataclass
class BackwardRecord:
    """One backward pass: its roots and seeds, and its steps in the order they ran."""

    roots: list[Tensor]
    seeds: list[Tensor]
    create_graph: bool
    steps: list[Step] = field(default_factory=list)

    def step(self, node: Tensor, adjoint: Tensor, returned, needs) -> Step:
        s = Step(node, adjoint, tuple(returned), list(needs))
        self.steps.append(s)
        return s

    def adjoint_of(self) -> dict[int, Tensor]:
        """id(tensor) -> its complete gradient: the adjoint its VJP received, or a leaf's final total."""
        out = {id(s.node): s.adjoint for s in self.steps}
        for s in self.steps:
            for send in s.sends:
                if send.input._fn is None:
                    out[id(send.input)] = send.total  # later sends overwrite: the last total is the sum
        return out


class record_backward:
    """Context manager: every backward pass run inside (this thread) appends a BackwardRecord."""

    def __enter__(self) -> list[BackwardRecord]:
        self._saved = grad_mode_state.records
        self.records: list[BackwardRecord] = []
        grad_mode_state.records = self.records
        return self.records

    def __exit__(self, *exc) -> bool:
        grad_mode_state.records = self._saved
        return False
