"""Freed memory is kept for the next step: repeated big temporaries cost no new pages (glibc only)."""

from __future__ import annotations

import resource

import numpy as np
import pytest

from autograd import memory


def faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


@pytest.mark.skipif(not memory.is_glibc(), reason="the malloc thresholds are glibc's")
def test_glibc_thresholds_are_set_when_autograd_is_imported():
    assert memory.KEPT is True


@pytest.mark.skipif(not memory.is_glibc(), reason="the malloc thresholds are glibc's")
def test_a_training_step_reuses_its_memory_instead_of_faulting_in_new_pages():
    from nn import LeNet5
    from nn import functional as F
    from nn.optim import SGD

    rng = np.random.default_rng(0)
    x = rng.standard_normal((100, 1, 32, 32)).astype(np.float32)
    y = rng.integers(0, 10, 100)
    model = LeNet5(seed=0)
    opt = SGD(model.parameters(), lr=0.05)

    def step():
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    for _ in range(3):
        step()
    before = faults()
    for _ in range(10):
        step()
    # a step frees about 17 MB of temporaries; without the thresholds each step faulted in ~2,250
    # fresh 4 KiB pages (9 MB) again
    assert (faults() - before) / 10 < 200
