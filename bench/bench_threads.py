"""Where a second thread pays in tracegrad, and where CPython's GIL eats the gain.

    python bench/bench_threads.py            # about 45 s
    python bench/bench_threads.py --rounds 5 --repeats 40

A tool behind autograd/threads.py's design (`make bench` does not run it; there is no target): each
section runs the same work on one thread and on two, taking turns in rounds (a 0.5 s pause before
every turn), and prints the medians and the median of the rounds' ratios (two threads / one; below 1
means the second thread helped).

1. A hand-over: threads.run() with two pieces that do nothing, the cost of waking a worker and
   waiting for it, and how late a worker starts its piece when the pieces take 0.1 ms (microseconds).
2. One NumPy call split in two halves (np.tanh, out=): each half releases the GIL once, for its whole
   length.
3. Many NumPy calls split in two: 10 calls of np.tanh per thread, each on a tenth of its half, so the
   two threads take the GIL back after every call.
4. LeNet-5's convolutions (batch 100, float32) at autograd.set_num_threads(1) and (2): the forward of
   the second layer and the kernel gradients of both; blocks of 8 images or channels, a few NumPy calls
   each.
5. Data parallel: a LeNet-5 forward and backward of 50 images on each of two threads (two models),
   against one thread running both halves, and one thread running the whole batch of 100.
6. Overlap: the kernel gradient of LeNet-5's second layer on a worker, while this thread goes on with
   the input gradient and the first layer's pooling, tanh and kernel gradient (what an engine that
   defers leaf gradients would do), against the two in turn, on autograd's 2 threads.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np

from common import print_header, take_turns, use_checkout

use_checkout()

import autograd  # noqa: E402  (after use_checkout: this checkout's package)
from autograd import threads  # noqa: E402
from autograd.ops.conv import Correlate2d  # noqa: E402
from autograd.ops.conv_transpose import ConvTranspose2d  # noqa: E402
from autograd.ops.pool import Upsample2d  # noqa: E402

ONE, ZERO = (1, 1), (0, 0)


def per_call_ms(fn, repeats: int) -> float:
    """The median of `repeats` timed calls of fn(), in ms (after two untimed calls)."""
    fn()
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


def beside(worker, mine, theirs) -> None:
    """theirs() on `worker` (one of tracegrad's worker threads) while this thread runs mine()."""
    worker.give(lambda _: theirs(), [None])
    mine()
    ok, value = worker.take()
    if not ok:
        raise value


def worker_start_us(rng, repeats: int) -> float:
    """Microseconds from threads.run() to the start of its second piece, on a worker that slept while
    the pieces of the run before (np.tanh on 0.9 MiB each) ran: the median of `repeats` runs."""
    halves = np.split(rng.standard_normal(470_400).astype(np.float32), 2)

    def piece(i: int) -> float:
        started = time.perf_counter()
        np.tanh(halves[i], out=halves[i])
        return started

    delays = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        delays.append(threads.run(piece, [0, 1])[1] - t0)
    return statistics.median(delays) * 1e6


def tanh_split(rng, size: int, calls: int):
    """(one thread, two threads): np.tanh over `size` floats, each thread's half in `calls` calls."""
    a = rng.standard_normal(size).astype(np.float32)
    out = np.empty_like(a)
    pieces = list(zip(np.split(a, 2 * calls), np.split(out, 2 * calls)))

    def half(i: int) -> None:
        for x, o in pieces[i * calls: (i + 1) * calls]:
            np.tanh(x, out=o)

    return (lambda: [half(0), half(1)]), (lambda: threads.run(half, [0, 1]))


def compare(title: str, one, two, rounds: int, repeats: int, threads_for=(1, 2)) -> None:
    """Time one() on threads_for[0] threads and two() on threads_for[1], in turns; print the result."""
    def timed(fn, n):
        def turn() -> float:
            autograd.set_num_threads(n)
            return per_call_ms(fn, repeats)
        return turn

    results = take_turns({"one": timed(one, threads_for[0]), "two": timed(two, threads_for[1])}, rounds)
    ones, twos = results["one"], results["two"]
    ratio = statistics.median([b / a for a, b in zip(ones, twos)])
    print(f"   {title:<58} {statistics.median(ones):8.3f} {statistics.median(twos):8.3f} {ratio:7.2f}x")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=3, help="turns of each side per comparison")
    ap.add_argument("--repeats", type=int, default=30, help="timed calls per turn")
    args = ap.parse_args(argv)
    print_header("tracegrad: where a second thread pays (autograd/threads.py)", False, "")
    print(f"   {'ms, median of the rounds':<58} {'1 thread':>8} {'2':>8} {'2 / 1':>8}")
    rng = np.random.default_rng(0)
    f32 = np.float32
    rounds, repeats = args.rounds, args.repeats

    print("1. a hand-over")
    autograd.set_num_threads(2)
    trips = take_turns({"run": lambda: per_call_ms(lambda: threads.run(lambda p: None, [0, 1]), 200)}, rounds)
    print(f"   threads.run(two pieces that do nothing): {statistics.median(trips['run']) * 1e3:.1f} us "
          f"(rounds: {', '.join(f'{t * 1e3:.1f}' for t in trips['run'])})")
    late = take_turns({"start": lambda: worker_start_us(rng, repeats * 5)}, rounds)["start"]
    print(f"   a worker's start, after run() gives it its piece, when the pieces take about 0.1 ms: "
          f"{statistics.median(late):.1f} us")

    print("2. one NumPy call, split in two halves")
    for size in (47_040, 470_400, 4_704_000):  # a tenth of LeNet-5's first feature map, all of it, x10
        compare(f"np.tanh on {size:,} floats ({size * 4 / 2**20:.1f} MiB)", *tanh_split(rng, size, 1),
                rounds, repeats)
    print("3. 10 NumPy calls per thread, each on a tenth of its half")
    for size in (47_040, 470_400):
        compare(f"np.tanh on {size:,} floats in 20 calls", *tanh_split(rng, size, 10), rounds, repeats)

    print("4. LeNet-5's convolutions, autograd.set_num_threads(1) against (2)")
    x1 = rng.standard_normal((100, 1, 32, 32)).astype(f32)
    x2 = rng.standard_normal((100, 6, 14, 14)).astype(f32)
    w2 = rng.standard_normal((16, 6, 5, 5)).astype(f32)
    g1 = rng.standard_normal((100, 6, 28, 28)).astype(f32)
    g2 = rng.standard_normal((100, 16, 10, 10)).astype(f32)
    y1 = np.tanh(rng.standard_normal((100, 6, 28, 28))).astype(f32)

    def conv2():
        return Correlate2d.forward(x2, w2, ONE, ZERO, ONE)

    def kernel_grad(x, g):
        return Correlate2d.forward(x.transpose(1, 0, 2, 3), g.transpose(1, 0, 2, 3), ONE, ZERO, ONE)

    for title, fn in (("conv2 forward (100, 6, 14, 14) * (16, 6, 5, 5)", conv2),
                      ("conv1 kernel gradient (6, 1, 5, 5)", lambda: kernel_grad(x1, g1)),
                      ("conv2 kernel gradient (16, 6, 5, 5)", lambda: kernel_grad(x2, g2)),
                      ("conv2 input gradient (conv_transpose2d)",
                       lambda: ConvTranspose2d.forward(g2, w2, ONE, ZERO, ZERO, ONE))):
        compare(title, fn, fn, rounds, repeats)

    print("5. data parallel: forward + backward of 50 images on each of two threads (one model each)")
    import nn
    from autograd import Tensor
    from nn.data import load_digits
    from nn.functional import cross_entropy

    images, labels, _, _ = load_digits()
    xb, yb = images[:100], labels[:100]
    models = [nn.LeNet5(seed=0), nn.LeNet5(seed=0)]
    worker = threads._Worker("bench")  # a worker of tracegrad's own, given different work than this thread

    def half(i: int, rows: slice) -> None:
        loss = cross_entropy(models[i](Tensor(xb[rows])), yb[rows])
        for p in models[i].parameters():
            p.grad = None
        loss.backward()

    def both_halves_in_parallel():
        beside(worker, lambda: half(0, slice(0, 50)), lambda: half(1, slice(50, 100)))

    compare("both halves one after the other / in parallel",
            lambda: [half(0, slice(0, 50)), half(1, slice(50, 100))], both_halves_in_parallel,
            rounds, repeats // 2, threads_for=(1, 1))
    compare("the whole batch of 100 on one thread / halves in parallel",
            lambda: half(0, slice(0, 100)), both_halves_in_parallel, rounds, repeats // 2, threads_for=(1, 1))

    print("6. overlap: conv2's kernel gradient on a worker, the input-gradient chain on this thread")

    def chain():  # conv2's input gradient, pool1's and tanh1's backward, conv1's kernel gradient
        gx = ConvTranspose2d.forward(g2, w2, ONE, ZERO, ZERO, ONE)                  # (100, 6, 14, 14)
        up = Upsample2d.forward(gx / 4, (2, 2), (2, 2), (100, 6, 28, 28))
        d = np.multiply(y1, y1)
        np.subtract(1, d, out=d)
        np.multiply(up, d, out=d)
        return kernel_grad(x1, d)

    def overlapped():
        beside(worker, chain, lambda: kernel_grad(x2, g2))

    compare("in turn (each op split on 2 threads) / overlapped", lambda: [kernel_grad(x2, g2), chain()],
            overlapped, rounds, repeats, threads_for=(2, 2))
    autograd.set_num_threads(threads._usable_cores())
    return 0


if __name__ == "__main__":
    sys.exit(main())
