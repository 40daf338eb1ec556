"""Benchmark of the `losses.append(loss)` trap: memory per held LeNet-5 step, the warning, its cost.

    python bench/bench_held_graphs.py                 # about two minutes
    python bench/bench_held_graphs.py --held-steps 80 --steps 100 --rounds 4

1. Memory: LeNet-5 training steps (batch 100, float32, cross-entropy, SGD lr 0.05 momentum 0.9, as
   nn.train.fit does them) whose loss Tensors are kept in a list, so every step's graph stays alive.
   Reports the memory each held step adds (tracemalloc, which NumPy reports its buffers to, and the
   resident memory), autograd.held's own estimate of it (graph_bytes), and whether, after which step and
   with what message the HeldGraphWarning fired (default limit: autograd.held.LIMIT_BYTES = 512 MiB).
2. Cost: the usual loop (losses dropped, or kept as loss.item()) with backward()'s hook on and with it
   replaced by a no-op, alternating step by step, --steps steps per side and round, on one fixed batch;
   ms per step (median of the rounds' medians), and the hook's own cost per call in microseconds.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
import tracemalloc
import warnings

from common import print_header, use_checkout

BATCH, LR, MOMENTUM, SEED = 100, 0.05, 0.9, 0
MiB = 2**20


def resident_mib() -> float | None:
    """Resident memory of this process in MiB (Linux /proc/self/statm), None elsewhere."""
    import os

    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / MiB
    except (OSError, IndexError, ValueError):
        return None


def setup():
    import nn
    from autograd import Tensor
    from nn.functional import cross_entropy

    x, y, _, _ = nn.data.load_digits()
    model = nn.LeNet5(seed=SEED)
    optimizer = nn.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)

    def step(i):
        j = (i * BATCH) % len(y)
        loss = cross_entropy(model(Tensor(x[j:j + BATCH])), y[j:j + BATCH])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss

    return step


def memory(held_steps: int) -> None:
    import autograd.held as held

    step = setup()
    step(0)
    gc.collect()
    print(f"1. Holding the loss of every step (losses.append(loss)), {held_steps} LeNet-5 steps, "
          f"batch {BATCH}")
    losses, fired = [], None
    tracemalloc.start()
    rss0, traced0 = resident_mib(), tracemalloc.get_traced_memory()[0]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", held.HeldGraphWarning)
        for i in range(1, held_steps + 1):
            losses.append(step(i))
            if caught and fired is None:
                fired = (i, str(caught[0].message))
    gc.collect()
    rss1, traced1 = resident_mib(), tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    per_traced = (traced1 - traced0) / held_steps / MiB
    estimate = held.graph_bytes(losses) / held_steps / MiB
    print(f"   memory per held step: {per_traced:.2f} MiB (tracemalloc), "
          + (f"{(rss1 - rss0) / held_steps:.2f} MiB (resident), " if rss0 is not None else "")
          + f"{estimate:.2f} MiB (autograd.held.graph_bytes)")
    print(f"   after {held_steps} steps: {(traced1 - traced0) / MiB:,.0f} MiB held; a 30-epoch run "
          f"(1,200 steps) would hold {per_traced * 1200 / 1024:.1f} GiB")
    limit = held.LIMIT_BYTES / MiB if held.LIMIT_BYTES else None
    if fired:
        print(f"   HeldGraphWarning fired once, at step {fired[0]} (limit {limit:,.0f} MiB): {fired[1]}")
    else:
        print(f"   HeldGraphWarning did not fire (limit {limit} MiB)")
    del losses
    gc.collect()


def cost(steps: int, rounds: int) -> None:
    import autograd.held as held
    from autograd import Tensor

    step = setup()
    hook = held.note
    for i in range(5):  # warm-up
        step(i).item()
    times = {"hook on": [], "hook off": []}
    for r in range(rounds):  # the two sides alternate step by step: a busy machine slows both alike
        t = {"hook on": [], "hook off": []}
        for i in range(2 * steps):
            label = ("hook on", "hook off")[(i + r) % 2]
            held.note = hook if label == "hook on" else (lambda root: None)
            start = time.perf_counter()
            step(0).item()  # the usual loop: the loss is dropped, its number kept
            t[label].append(time.perf_counter() - start)
        for label in times:
            times[label].append(statistics.median(t[label]) * 1e3)
    held.note = hook
    print(f"2. Cost in the usual loop: {rounds} rounds of {steps} LeNet-5 steps per side, hook on and off "
          f"alternating step by step")
    for label, ms in times.items():
        print(f"   {label:<9} {statistics.median(ms):7.2f} ms/step  (round medians: "
              + ", ".join(f"{m:.2f}" for m in ms) + ")")
    on, off = statistics.median(times["hook on"]), statistics.median(times["hook off"])
    print(f"   difference of the medians {on - off:+.3f} ms/step ({(on - off) / off:+.2%})")
    held._reset()
    value = Tensor(1.0).data
    per_call = []
    for note in (lambda root: None, held.note):  # best of 20: 1,000 roots each, dropped after, as in training
        best = float("inf")
        for _ in range(20):
            batch = [Tensor._leaf(value) for _ in range(1000)]
            start = time.perf_counter()
            for i in range(len(batch)):
                note(batch[i])
                batch[i] = None  # the root dies: its weak reference removes itself
            best = min(best, (time.perf_counter() - start) / len(batch))
        per_call.append(best * 1e6)
    per_call = per_call[1] - per_call[0]
    held._reset()
    print(f"   autograd.held.note itself: {per_call:.2f} us per backward() call")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--held-steps", type=int, default=100, help="steps whose losses are kept")
    parser.add_argument("--steps", type=int, default=200, help="steps per round in the cost part")
    parser.add_argument("--rounds", type=int, default=2, help="rounds per side in the cost part")
    args = parser.parse_args(argv)
    use_checkout()
    print_header("tracegrad: graphs held after backward (the losses.append(loss) trap)", False, "")
    memory(args.held_steps)
    print()
    cost(args.steps, args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
