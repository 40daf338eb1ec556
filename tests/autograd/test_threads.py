"""tracegrad's threads: its pool, the thread count setting, BLAS on one thread, same results at any count."""

from __future__ import annotations

import os
import signal
import threading
import time

import numpy as np
import pytest

import autograd
from autograd import threads


@pytest.fixture
def restore_threads():
    n = autograd.get_num_threads()
    yield
    autograd.set_num_threads(n)


def test_blas_runs_on_one_thread_once_autograd_is_imported():
    assert threads.blas_threads() == 1


def test_default_is_the_usable_cores_and_the_setting_is_checked(restore_threads):
    assert autograd.get_num_threads() >= 1
    autograd.set_num_threads(3)
    assert autograd.get_num_threads() == 3
    for bad in (0, -1, 1.5, True, "2", None):
        with pytest.raises(ValueError, match="set_num_threads: n must be an int >= 1"):
            autograd.set_num_threads(bad)
    assert autograd.get_num_threads() == 3  # a refused value changes nothing


@pytest.mark.parametrize("n, k, size", [(10, 3, 1), (100, 2, 1), (5, 8, 1), (7, 4, 3), (0, 2, 1)])
def test_parts_cut_a_range_in_order_without_gaps(restore_threads, n, k, size):
    autograd.set_num_threads(k)
    ps = threads.parts(n, size)
    assert 1 <= len(ps) <= k
    assert [i for s in ps for i in range(n)[s]] == list(range(n))
    if len(ps) > 1:
        assert min(s.stop - s.start for s in ps) >= size


def test_run_keeps_the_order_and_uses_other_threads(restore_threads):
    autograd.set_num_threads(4)
    seen = []

    def piece(i):
        seen.append(threading.current_thread().name)
        return i * i

    assert threads.run(piece, list(range(7))) == [i * i for i in range(7)]
    assert any(name.startswith("tracegrad") for name in seen)


def test_a_piece_that_runs_pieces_itself_does_not_wait_forever(restore_threads):
    autograd.set_num_threads(2)

    def inner(i):
        return threads.run(lambda j: i + j, [0, 1, 2])

    assert threads.run(inner, [10, 20, 30]) == [[10, 11, 12], [20, 21, 22], [30, 31, 32]]


def test_an_error_in_a_piece_reaches_the_caller(restore_threads):
    autograd.set_num_threads(2)

    def piece(i):
        if i == 1:
            raise ValueError("piece 1 failed")
        return i

    with pytest.raises(ValueError, match="piece 1 failed"):
        threads.run(piece, [0, 1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_lenet_step_gives_the_same_bits_at_any_thread_count(restore_threads, dtype):
    """The work is cut into the same blocks whatever the thread count, and sums over blocks are added
    in block order, so the gradients do not change by a single bit."""
    from nn import LeNet5
    from nn import functional as F

    rng = np.random.default_rng(1)
    x = rng.standard_normal((64, 1, 32, 32)).astype(dtype)
    y = rng.integers(0, 10, 64)

    def gradients(n):
        autograd.set_num_threads(n)
        model = LeNet5(seed=0, dtype=dtype)
        F.cross_entropy(model(x), y).backward()
        return [p.grad.numpy().copy() for p in model.parameters()]

    one = gradients(1)
    for n in (2, 3, 5):
        for a, b in zip(gradients(n), one):
            assert a.tobytes() == b.tobytes()


def test_changing_the_thread_count_while_another_thread_runs_pieces(restore_threads):
    """set_num_threads shuts the old pool down; a run() in another thread still finishes, right."""
    errors, results = [], []

    def worker():
        try:
            for _ in range(300):
                results.append(threads.run(lambda i: i * 2, [1, 2, 3, 4]) == [2, 4, 6, 8])
        except Exception as err:  # noqa: BLE001 (reported below)
            errors.append(err)

    t = threading.Thread(target=worker)
    t.start()
    for n in [1, 2, 3, 2] * 25:
        autograd.set_num_threads(n)
    t.join()
    assert not errors and all(results) and len(results) == 300


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX only")
def test_a_forked_child_starts_its_own_workers(restore_threads):
    """A child made by fork has only the forking thread: run() there must not wait for workers that
    exist only in the parent (a data loader that forks, after a first run in the parent)."""
    autograd.set_num_threads(2)
    assert threads.run(lambda i: i + 1, [1, 2]) == [2, 3]  # the parent's worker now exists
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report, then leave at once (no pytest teardown in the child)
        try:
            names = threads.run(lambda i: threading.current_thread().name, [0, 1])
            ok = names[1].startswith("tracegrad") and threads.run(lambda i: i * 3, [1, 2]) == [3, 6]
            os.write(write, b"ok" if ok else repr(names).encode())
        finally:
            os._exit(0)
    os.close(write)
    deadline = time.monotonic() + 30
    while os.waitpid(pid, os.WNOHANG) == (0, 0):  # a child that waits for a missing worker hangs
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail("the forked child's run() did not finish in 30 s")
        time.sleep(0.01)
    with os.fdopen(read, "rb") as f:
        assert f.read() == b"ok"


@pytest.mark.parametrize("when", ["before its result", "after its result"])
def test_an_interrupted_wait_retires_the_workers_and_the_next_run_is_right(restore_threads, monkeypatch,
                                                                           when):
    """Ctrl-C while run() waits for a worker: the workers are retired (one may still be busy, or not yet
    started), and the next run() starts new ones instead of reading a result of the interrupted run."""
    autograd.set_num_threads(2)
    assert threads.run(lambda i: i, [0, 1]) == [0, 1]
    old = list(threads._state["workers"])
    real_take = threads._Worker.take

    def interrupted(self):
        monkeypatch.setattr(threads._Worker, "take", real_take)
        if when == "after its result":
            real_take(self)
        raise KeyboardInterrupt

    monkeypatch.setattr(threads._Worker, "take", interrupted)
    with pytest.raises(KeyboardInterrupt):
        threads.run(lambda i: i, [0, 1])
    assert threads._state["workers"] == []
    for worker in old:
        worker.join(timeout=10)
        assert not worker.is_alive()
    assert threads.run(lambda i: i * 10, [1, 2]) == [10, 20]
