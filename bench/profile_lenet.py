"""Where the time of a LeNet-5 training step goes: its phases, and its primitives by time per step.

    python bench/profile_lenet.py                 # a few seconds
    python bench/profile_lenet.py --threads 1 --top 30

A tool for whoever works on speed, not a benchmark with a target (`make bench` does not run it). The
step is bench_lenet.py's: nn.LeNet5(seed=0), batch 100, float32, cross_entropy, zero_grad, backward,
SGD lr 0.05 momentum 0.9, on one fixed batch. It is timed twice, each time after --warmup untimed steps:
--steps steps as it is, split into forward + loss, zero_grad + backward and the optimizer step (mean ms
per step); then as many with timers: in this process only, the `forward`, `vjp` and `fast_vjp` static
methods of every Function subclass defined in the autograd.ops modules are wrapped to add up their
wall-clock time and count their calls. The timers' own cost is measured on a timed no-op; the rest of
the difference between the two runs is noise. Then the primitives, by ms per step.

The rows overlap and do not add up to the step: a vjp is written in Tensor ops, so its time includes
the primitives it calls (correlate2d's vjp runs a correlate2d forward for the kernel's gradient and a
conv_transpose2d forward for the input's), and a fast_vjp may call another primitive's forward
(avg_pool2d's calls upsample2d's). "In primitives" counts outermost calls only, nothing twice; the
rest of the step is Python around them (Tensor objects, apply, the engine, the optimizer). A training
backward takes the engine's fast path (nothing recorded): a primitive with a fast_vjp runs it, the
others their vjp. The timers assume the primitives run on this thread only (tracegrad's pool runs
blocks of a convolution, not primitives).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import inspect
import os
import pkgutil
import sys
import time
import timeit
from collections import defaultdict

from bench_lenet import (
    BATCH, LR, MOMENTUM, PHASE_LABELS, PHASES, SEED, run_step, timed_step, tracegrad_model, tracegrad_parts,
    training_data,
)
from common import print_header, torch_available, use_checkout

METHODS = ("forward", "vjp", "fast_vjp")
COLUMNS = ("forward", "backward", "update", "step")  # PHASES, the whole step last


def op_classes() -> list[type]:
    """The Function subclasses defined in the autograd.ops modules (not the ones a module imports)."""
    import autograd.ops
    from autograd import Function

    found = []
    for info in pkgutil.iter_modules(autograd.ops.__path__):
        module = importlib.import_module(f"autograd.ops.{info.name}")
        found += [cls for _, cls in inspect.getmembers(module, inspect.isclass)
                  if issubclass(cls, Function) and cls is not Function and cls.__module__ == module.__name__]
    return found


class Timers:
    """Wall-clock seconds and calls per (primitive, method), and the seconds of the outermost calls."""

    def __init__(self):
        self.seconds: dict[tuple[str, str], float] = defaultdict(float)
        self.calls: dict[tuple[str, str], int] = defaultdict(int)
        self.outer = 0.0  # seconds inside primitives, counting nested calls once
        self.depth = 0

    def reset(self) -> None:
        self.seconds.clear()
        self.calls.clear()
        self.outer = 0.0

    def wrap(self, fn, key: tuple[str, str]):
        clock = time.perf_counter

        def timed(*args, **kwargs):
            self.depth += 1
            t0 = clock()
            try:
                return fn(*args, **kwargs)
            finally:
                dt = clock() - t0
                self.depth -= 1
                self.seconds[key] += dt
                self.calls[key] += 1
                if not self.depth:
                    self.outer += dt

        return timed

    def install(self, classes: list[type]) -> int:
        """Wrap each class's own static forward, vjp and fast_vjp; returns how many were wrapped."""
        names = [cls.name for cls in classes]
        wrapped = 0
        for cls in classes:
            # two classes share the name "pow" (tensor and scalar exponent): tell them apart
            label = cls.name if names.count(cls.name) == 1 else f"{cls.name} ({cls.__name__})"
            for method in METHODS:
                if isinstance(vars(cls).get(method), staticmethod):  # fast_vjp = None is not
                    setattr(cls, method, staticmethod(self.wrap(getattr(cls, method), (label, method))))
                    wrapped += 1
        return wrapped


def timer_cost() -> float:
    """Seconds a timer adds to one call: a timed no-op against a plain one (best of 5 runs)."""
    def noop():
        return None

    timed = Timers().wrap(noop, ("noop", "forward"))
    best = [min(timeit.repeat(f, number=20_000, repeat=5)) / 20_000 for f in (timed, noop)]
    return best[0] - best[1]


def mean_phases(parts, xb, yb, warmup: int, steps: int, timers: Timers | None = None) -> dict[str, float]:
    """Mean ms per step of each phase over `steps` steps after `warmup` untimed ones (timers reset then)."""
    for _ in range(warmup):
        run_step(parts, xb, yb)
    gc.collect()
    if timers is not None:
        timers.reset()
    sums = dict.fromkeys(PHASES, 0.0)
    for _ in range(steps):
        ms, _ = timed_step(parts, xb, yb)
        for phase in PHASES:
            sums[phase] += ms[phase]
    return {phase: total / steps for phase, total in sums.items()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=40, help="measured steps per run; default 40")
    parser.add_argument("--warmup", type=int, default=5, help="untimed steps before them; default 5")
    parser.add_argument("--threads", type=int, help="autograd.set_num_threads(N); default: autograd's")
    parser.add_argument("--top", type=int, default=20, help="rows of the primitives' table; default 20")
    args = parser.parse_args(argv)
    if min(args.steps, args.top, 1 if args.threads is None else args.threads) < 1 or args.warmup < 0:
        parser.error("--steps, --top and --threads must be at least 1, --warmup at least 0")

    use_checkout()
    import autograd
    from autograd.threads import blas_threads

    if args.threads is not None:
        autograd.set_num_threads(args.threads)
    print_header("tracegrad LeNet-5 training step: where the time goes", torch_available(), "not used here")
    how = "--threads" if args.threads is not None else "autograd's default"
    print(f"tracegrad threads: {autograd.get_num_threads()} ({how}); BLAS threads: {blas_threads()}")
    if hasattr(os, "getloadavg"):
        print(f"system load average over the last minute: {os.getloadavg()[0]:.2f} "
              "(other busy processes slow every figure here)")
    print()

    x, y = training_data()
    xb, yb = x[:BATCH], y[:BATCH]
    parts = tracegrad_parts(*tracegrad_model())
    plain = mean_phases(parts, xb, yb, args.warmup, args.steps)
    timers = Timers()
    wrapped = timers.install(op_classes())
    timed = mean_phases(parts, xb, yb, args.warmup, args.steps, timers)

    print(f"1. The step: nn.LeNet5(seed={SEED}), batch {BATCH}, float32, cross_entropy, SGD lr {LR} "
          f"momentum {MOMENTUM}")
    print(f"   (each run: {args.warmup} warm-up steps, then {args.steps} steps on one batch; "
          "mean ms per step)")
    widths = [len(PHASE_LABELS[c]) + 3 for c in COLUMNS]
    print(f"   {'':<14}" + "".join(f"{PHASE_LABELS[c]:>{w}}" for c, w in zip(COLUMNS, widths)))
    for label, r in (("without timers", plain), ("with timers", timed)):
        print(f"   {label:<14}" + "".join(f"{r[c]:>{w}.2f}" for c, w in zip(COLUMNS, widths)))
    overhead = timed["step"] - plain["step"]
    calls = sum(timers.calls.values()) / args.steps
    print(f"   with timers - without: {overhead:+.2f} ms per step ({overhead / plain['step'] * 100:+.1f}%); "
          f"{calls:.0f} timed calls per step ({wrapped} methods wrapped)")
    cost = timer_cost()
    print(f"   the timers' own cost: {cost * 1e6:.2f} us per call (a timed no-op), "
          f"{cost * 1e3 * calls:.3f} ms per step;")
    print("   the rest of the difference is noise: the machine's speed drifts from one run to the next")
    print()

    rows = sorted(timers.seconds, key=timers.seconds.get, reverse=True)
    step = timed["step"]
    print(f"2. Primitives by ms per step (the run with timers; top {min(args.top, len(rows))} of "
          f"{len(rows)} rows)")
    print(f"   {'primitive':<20} {'what':<9} {'calls/step':>10} {'ms/step':>9} {'share':>7}")
    for key in rows[: args.top]:
        ms = timers.seconds[key] * 1e3 / args.steps
        print(f"   {key[0]:<20} {key[1]:<9} {timers.calls[key] / args.steps:>10g} {ms:>9.3f} "
              f"{ms / step * 100:>6.1f}%")
    inside = timers.outer * 1e3 / args.steps
    print(f"   (share: of the whole step with timers, {step:.2f} ms. The rows overlap and do not add up:")
    print("   a vjp's time includes the primitives its Tensor ops call, e.g. correlate2d's vjp includes a")
    print("   correlate2d forward and a conv_transpose2d forward; avg_pool2d's fast_vjp includes an")
    print("   upsample2d forward.)")
    print(f"   in primitives (outermost calls only, nothing twice): {inside:.2f} ms per step "
          f"({inside / step * 100:.0f}%); the other")
    print(f"   {step - inside:.2f} ms is Python around them (Tensor objects, apply, the engine, "
          "the optimizer)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
