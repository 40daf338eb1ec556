"""Graphs kept alive after backward (the `losses.append(loss)` trap): one clear warning, no false alarms."""

import gc
import warnings

import numpy as np
import pytest

import autograd.held as held
from autograd import Tensor, grad
from autograd.held import HeldGraphWarning, graph_bytes

MiB = 2**20


@pytest.fixture(autouse=True)
def fresh(monkeypatch):
    """Each test starts with nothing remembered and not warned yet, and a 1 MiB limit."""
    gc.collect()
    held._reset()
    monkeypatch.setattr(held, "LIMIT_BYTES", 1 * MiB)
    yield
    held._reset()


def step(w, rng):
    """A small training step's loss, backward already run: its graph holds about 320 KiB."""
    x = Tensor(rng.standard_normal((100, 100)))
    loss = ((x @ w).tanh() ** 2).mean()
    loss.backward()
    return loss


def test_keeping_losses_warns_once_naming_the_count_the_size_and_the_fix():
    w, rng = Tensor(np.zeros((100, 100)), requires_grad=True), np.random.default_rng(0)
    losses = []
    with pytest.warns(HeldGraphWarning) as caught:
        for _ in range(40):
            losses.append(step(w, rng))  # the trap: every step's graph stays alive
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "graphs from earlier backward() calls are still alive" in message
    assert "MiB" in message and "losses.append(loss.item())" in message and "loss.detach()" in message
    count = int(message.split()[0])
    assert held.MIN_HELD <= count < 10  # noticed soon after the limit was crossed, not at the end
    assert caught[0].filename == __file__  # points at the user's code, not at autograd's
    assert issubclass(HeldGraphWarning, UserWarning)  # shown by default (ResourceWarning is not)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(40):
            losses.append(step(w, rng))  # once per process
    assert losses[0].parents and losses[0].op  # the graphs stay as they were: still drawable


def test_summing_loss_tensors_is_the_same_trap():
    w, rng = Tensor(np.zeros((100, 100)), requires_grad=True), np.random.default_rng(0)
    total = 0
    with pytest.warns(HeldGraphWarning):
        for _ in range(40):
            total = total + step(w, rng)  # `total += loss` keeps each loss, and so each graph


@pytest.mark.parametrize("keep", ["nothing", "item", "detach"])
def test_the_usual_loops_never_warn(keep):
    w, rng = Tensor(np.zeros((100, 100)), requires_grad=True), np.random.default_rng(0)
    kept = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(200):
            loss = step(w, rng)
            if keep == "item":
                kept.append(loss.item())
            elif keep == "detach":
                kept.append(loss.detach())
    assert len(held._alive) <= 1  # only the last loss is alive: weak references, removed as roots die


def test_a_few_graphs_kept_on_purpose_do_not_warn(monkeypatch):
    monkeypatch.setattr(held, "LIMIT_BYTES", 1)  # anything counts as large ...
    w, rng = Tensor(np.zeros((100, 100)), requires_grad=True), np.random.default_rng(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kept = [step(w, rng) for _ in range(held.MIN_HELD)]  # ... but a handful is a normal program
    assert len(kept) == held.MIN_HELD


def test_limit_none_turns_it_off(monkeypatch):
    monkeypatch.setattr(held, "LIMIT_BYTES", None)
    w, rng = Tensor(np.zeros((100, 100)), requires_grad=True), np.random.default_rng(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        losses = [step(w, rng) for _ in range(40)]
    assert len(losses) == 40 and not held._alive


def test_graph_bytes_counts_each_array_once_and_not_the_parameters():
    w = Tensor(np.ones((1000,)), requires_grad=True)  # 8,000 bytes: a parameter, not counted
    x = Tensor(np.ones((1000,)))  # an input: counted
    y = x * w  # 8,000 bytes
    z = (y + y).reshape(10, 100)  # the sum: 8,000 bytes; the reshape is a view of it: 0 bytes
    loss = z.sum()  # 8 bytes
    nodes = 5  # x, mul, add, reshape, sum
    assert graph_bytes([loss]) == 3 * 8000 + 8 + nodes * held.NODE_OVERHEAD
    assert graph_bytes([loss, loss, z]) == graph_bytes([loss])  # shared parts once
    seen = set()
    graph_bytes([z], seen)
    assert graph_bytes([loss], seen) == 8 + held.NODE_OVERHEAD  # only what z's graph does not hold


def test_earlier_losses_sharing_the_current_graph_are_not_counted(monkeypatch):
    """Two heads on one big trunk: the first head's loss is alive, but holds nothing of its own."""
    monkeypatch.setattr(held, "MIN_HELD", 1)
    monkeypatch.setattr(held, "_next_look", 2)
    trunk = Tensor(np.ones((1000, 200)), requires_grad=True) * 2.0  # 1.5 MiB, over the limit
    heads = [(trunk[k] * 2.0).sum() for k in range(3)]  # a few KiB each
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for h in heads:
            h.backward()
    assert len(held._alive) == 3


def test_graph_bytes_walks_deep_graphs_without_recursion():
    theta = Tensor(0.5, requires_grad=True)
    c = theta
    for _ in range(20_000):
        c = c.tanh()
    (g,) = grad(c, theta, create_graph=True)
    assert graph_bytes([c]) == 20_000 * (8 + held.NODE_OVERHEAD)
    assert graph_bytes([g]) > graph_bytes([c])  # the recorded gradient reaches back into the forward graph
