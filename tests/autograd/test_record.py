"""autograd.record_backward: what a backward pass ran, in order, with what it sent where."""

import numpy as np
import pytest

import autograd as ag
from autograd import Tensor, grad


def test_steps_follow_the_engine_and_sum_what_is_used_twice():
    x = Tensor(0.7, requires_grad=True, name="x")
    a = x.tanh()
    y = a * x  # x is used twice: by tanh and by mul
    with ag.record_backward() as passes:
        (gx,) = grad(y, x, create_graph=True)
    (rec,) = passes
    assert [s.node for s in rec.steps] == [y, a]  # children before parents
    mul_step, tanh_step = rec.steps
    assert mul_step.adjoint is rec.seeds[0] and mul_step.adjoint.item() == 1.0
    assert [s.input for s in mul_step.sends] == [a, x]
    assert tanh_step.adjoint is mul_step.sends[0].total  # what arrived at a is what mul sent it
    (to_x,) = tanh_step.sends
    assert to_x.accumulated and to_x.total is gx  # x's two contributions are summed: the gradient
    assert to_x.total.item() == pytest.approx(np.tanh(0.7) + 0.7 * (1 - np.tanh(0.7) ** 2))
    assert rec.adjoint_of()[id(x)] is gx and rec.adjoint_of()[id(a)] is tanh_step.adjoint


def test_nothing_is_recorded_outside_the_block_and_blocks_nest():
    x = Tensor(np.ones(3), requires_grad=True)
    with ag.record_backward() as outer:
        (x * 2).sum().backward()
        with ag.record_backward() as inner:
            (x * 3).sum().backward()
        (x * 4).sum().backward()
    (x * 5).sum().backward()
    assert len(outer) == 2 and len(inner) == 1
    assert not outer[0].create_graph and x.grad.numpy().tolist() == [14.0] * 3


def test_a_failed_pass_leaves_no_record():
    x = Tensor(np.ones(2), requires_grad=True)
    with ag.record_backward() as passes, pytest.raises(RuntimeError, match="output has shape"):
        (x * 2).backward()
    assert passes == []
