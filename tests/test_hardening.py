"""Hardening: a million-op graph end to end, and two threads training two models at once."""

import sys
import threading
import weakref

import numpy as np
import pytest

import nn
import viz
from autograd import Tensor
from nn.train import evaluate


def test_million_op_chain_builds_backpropagates_traces_renders_and_is_freed():
    assert sys.getrecursionlimit() <= 10_000
    n = 1_000_000
    theta, c = viz.tanh_chain(n, theta=0.5)
    c.backward()
    assert theta.grad.item() == pytest.approx(viz.chain_derivative(n, 0.5), rel=1e-9)
    graph = viz.trace(c)
    assert len(graph) == n + 1 and graph.count("tanh") == n
    picture = viz.draw_forward(c, collapse=8, grads=False)
    svg = picture.pipe(format="svg").decode()
    assert f"tanh x {n}" in picture.source and "<svg" in svg
    probe = weakref.ref(c.parents[0].parents[0])
    del c, graph, picture
    assert probe() is None  # freed by reference counting as soon as the output is dropped


def _train(seed: int, steps: int, out: dict) -> None:
    """A few SGD steps on fixed batches, with a no_grad evaluation between steps."""
    x_train, y_train, x_test, y_test = nn.data.load_digits()
    model = nn.LeNet5(seed=seed)
    optimizer = nn.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    for step in range(steps):
        xb, yb = x_train[step * 32: (step + 1) * 32], y_train[step * 32: (step + 1) * 32]
        loss = nn.functional.cross_entropy(model(Tensor(xb)), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        evaluate(model, x_test[:64], y_test[:64])  # no_grad in this thread only
    out[seed] = {name: p.data.copy() for name, p in model.named_parameters()}


def test_two_threads_train_two_models_as_if_one_after_the_other():
    sequential, threaded = {}, {}
    for seed in (1, 2):
        _train(seed, 6, sequential)
    workers = [threading.Thread(target=_train, args=(seed, 6, threaded)) for seed in (1, 2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert sorted(threaded) == [1, 2]
    for seed in (1, 2):
        for name, value in sequential[seed].items():
            np.testing.assert_array_equal(threaded[seed][name], value, err_msg=f"seed {seed}: {name}")
    assert not np.array_equal(sequential[1]["fc2.bias"], sequential[2]["fc2.bias"])
