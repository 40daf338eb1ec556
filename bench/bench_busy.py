"""Benchmark of a LeNet-5 training step on an idle and on a busy machine: tracegrad's thread settings.

    python bench/bench_busy.py                    # about a minute
    python bench/bench_busy.py --rounds 3 --steps 5
    python bench/bench_busy.py --quick            # 3 rounds of 5 steps

The step is bench_lenet.py's (imported from it): nn.LeNet5(seed=0), batch 100, float32, cross_entropy,
SGD lr 0.05 momentum 0.9, on one fixed batch. On a laptop the cores are shared with other work, and a
library whose threads wait for each other (BLAS, OpenMP) can slow down far more than the share of the
machine it lost: one descheduled thread holds up all the others. So each side is timed on an idle
machine and with ONE competing busy process: a separate Python process spinning `while True: pass`
on one core (common.BusyProcess), started by this script and killed when the measurement ends, also on
an error or Ctrl-C.

Every variant runs in its own fresh worker process (this script with --server), so that environment
variables and thread settings apply cleanly and PyTorch is never imported into a process that measures
tracegrad (a PyTorch worker imports tracegrad to copy LeNet5(seed=0)'s initial weights, as in
bench_lenet.py; PyTorch computes with its own threads, not NumPy's BLAS):

- tracegrad with its defaults;
- tracegrad after autograd.set_num_threads(1);
- tracegrad with NumPy's BLAS given all the cores again after autograd is imported
  (threadpoolctl.threadpool_limits(cores)): how tracegrad ran before autograd.threads put BLAS on one
  thread, the evidence for that choice;
- PyTorch with its default thread count (the reference of the ratios), and on one thread (information).

They take turns in rounds: in each round, every variant runs --steps steps on the idle machine, then
the busy process starts and every variant runs --steps steps again, then it is killed. A turn stops
early once it has taken TURN_BUDGET_S seconds and has MIN_STEPS steps (under load, a step can take
a second: this bounds the run time). Every turn comes after a pause of common.PAUSE_S = 0.5 s (so that
the threads of the previous turn have stopped spinning), and a turn's figure is the median of its
steps (ms). All variants are thus under the same load at nearly the same time. Reported per variant
and condition: the median over the rounds of its turns; the ratio to PyTorch (default threads) as the
median of the per-round ratios; and the slowdown busy / idle as the median of the per-round ratios.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
from dataclasses import dataclass, field

from bench_lenet import (
    BATCH, LR, MOMENTUM, SEED, step_times, torch_parts, tracegrad_model, tracegrad_parts, training_data,
)
from common import (
    PAUSE_S, BusyProcess, Server, one_round, print_header, print_torch_missing, serve, torch_available,
    use_checkout,
)

TURN_BUDGET_S = 1.0  # a turn stops after this many seconds...
MIN_STEPS = 3  # ...once it has this many steps
REFERENCE = "torch"  # the variant the ratios are taken against: PyTorch with its default thread count
CONDITIONS = ("idle", "busy")
THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")  # noted when set for all


@dataclass
class Variant:
    """One way of running the step: a worker process with these arguments and environment variables."""

    key: str
    label: str
    args: list[str]
    env: dict[str, str] = field(default_factory=dict)
    info: dict = field(default_factory=dict)  # what the worker says about its threads


# --- the workers -------------------------------------------------------------------------------------


def blas_threads() -> str:
    """The thread pools loaded in this process and their sizes (via threadpoolctl, when installed)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown (no threadpoolctl)"
    pools = [f"{p.get('internal_api', p.get('prefix', '?'))} {p['num_threads']}" for p in threadpool_info()]
    return ", ".join(pools) or "none found"


def worker(kind: str, threads: int, warmup: int, blas: int = 0) -> None:
    """Serve steps: after `warmup` steps, one request a line -> 'info' (its threads) or k -> k steps' ms.

    kind 'tracegrad' (threads: 0 = its default, n = autograd.set_num_threads(n)) or 'torch' (threads:
    0 = torch's default, n = torch.set_num_threads(n)); blas: n > 0 gives NumPy's BLAS n threads.
    """
    if kind == "tracegrad":
        import autograd

        if threads:
            autograd.set_num_threads(threads)
        if blas:
            from threadpoolctl import threadpool_limits

            threadpool_limits(blas, user_api="blas")
        parts = tracegrad_parts(*tracegrad_model())
        get_threads = getattr(autograd, "get_num_threads", None)
    else:
        import torch

        parts, _ = torch_parts(threads)
        get_threads = torch.get_num_threads
    x, y = training_data()
    xb, yb = x[:BATCH], y[:BATCH]
    step_times(parts, xb, yb, warmup)
    info = {"threads": get_threads() if get_threads else None, "pools": blas_threads()}

    def turn(steps: int) -> list[float]:
        """ms of up to `steps` steps: stops once TURN_BUDGET_S has passed and MIN_STEPS are done."""
        times: list[float] = []
        while len(times) < steps and (len(times) < MIN_STEPS or sum(times) < TURN_BUDGET_S * 1e3):
            times += step_times(parts, xb, yb, 1)
        return times

    serve(lambda request: info if request == "info" else turn(int(request)))


def variants(have_torch: bool) -> tuple[list[Variant], list[str]]:
    """The variants to measure, and notes on those skipped."""
    out = [Variant("tg", "tracegrad, defaults", ["--server", "tracegrad"])]
    notes = []
    out.append(Variant("tg1", "tracegrad, set_num_threads(1)", ["--server", "tracegrad", "--threads", "1"]))
    cores = str(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
    out.append(Variant("tg-blas", f"tracegrad, BLAS on {cores} threads", ["--server", "tracegrad",
                                                                         "--blas", cores]))
    if have_torch:
        out += [Variant(REFERENCE, "PyTorch, default threads", ["--server", "torch"]),
                Variant("torch1", "PyTorch, 1 thread (info)", ["--server", "torch", "--threads", "1"])]
    return out, notes


# --- the measurement ---------------------------------------------------------------------------------


def measure(vs: list[Variant], rounds: int, steps: int,
            warmup: int) -> tuple[dict[str, dict[str, list[float]]], list[int]]:
    """({condition: {variant key: the median ms of its turn in each round}}, the number of steps of each
    turn); fills in each Variant's info.

    Every round: each variant's turn on the idle machine, then each variant's turn with the busy process
    running (started for the round, killed after it), every turn after a pause of PAUSE_S.
    """
    times = {c: {v.key: [] for v in vs} for c in CONDITIONS}
    with contextlib.ExitStack() as stack:
        servers = {}
        for v in vs:  # they all start together; each is waited for below
            servers[v.key] = stack.enter_context(
                Server(__file__, [*v.args, "--warmup", str(warmup)], name=f"worker '{v.label}'", env=v.env))
        for v in vs:  # the answer comes after the worker's warm-up: no start-up overlaps a measured turn
            v.info = servers[v.key].ask("info")

        counts = []

        def turn(server: Server):
            def take() -> float:
                ms = server.ask(str(steps))
                counts.append(len(ms))
                return statistics.median(ms)
            return take

        turns = {key: turn(server) for key, server in servers.items()}
        for r in range(rounds):
            for condition in CONDITIONS:
                with BusyProcess() if condition == "busy" else contextlib.nullcontext() as load:
                    result = one_round(turns)
                    if load is not None:
                        load.check()
                for key, ms in result.items():
                    times[condition][key].append(ms)
            if sys.stdout.isatty():  # progress, on a terminal only
                print(f"   round {r + 1}/{rounds} done", end="\r", flush=True)
    if sys.stdout.isatty():
        print(" " * 30, end="\r")
    return times, counts


def per_round(a: list[float], b: list[float]) -> float:
    """The median of the per-round ratios a[i] / b[i]."""
    return statistics.median(x / y for x, y in zip(a, b, strict=True))


# --- report ------------------------------------------------------------------------------------------


def report(vs: list[Variant], times: dict[str, dict[str, list[float]]], rounds: int,
           counts: list[int]) -> None:
    width = max(len(v.label) for v in vs)
    steps = f"{min(counts)}" if min(counts) == max(counts) else f"{min(counts)} to {max(counts)}"
    print(f"2. Each round's turns (ms per step, the median of the turn's steps; {steps} steps a turn)")
    for condition in CONDITIONS:
        print(f"   {condition + ':':<{width}} " + " ".join(f"{i:>7}" for i in range(1, rounds + 1)))
        for v in vs:
            print(f"   {v.label:<{width}} " + " ".join(f"{t:7.2f}" for t in times[condition][v.key]))
    print()

    have_ref = any(v.key == REFERENCE for v in vs)
    print("3. Summary (ms per step: median over the rounds; ratios: median of the per-round ratios)")
    header = f"   {'':<{width}} {'idle ms':>8} {'busy ms':>8} {'busy/idle':>9}"
    if have_ref:
        header += f" {'/torch idle':>11} {'/torch busy':>11}"
    print(header)
    idle, busy = times["idle"], times["busy"]
    for v in vs:
        row = (f"   {v.label:<{width}} {statistics.median(idle[v.key]):>8.2f} "
               f"{statistics.median(busy[v.key]):>8.2f} {per_round(busy[v.key], idle[v.key]):>8.2f}x")
        if have_ref:
            row += (f" {per_round(idle[v.key], idle[REFERENCE]):>10.2f}x"
                    f" {per_round(busy[v.key], busy[REFERENCE]):>10.2f}x")
        print(row)
    print("   (busy: one other process spinning on one core"
          + ("; /torch: this row over PyTorch with its default threads, same round and condition)"
             if have_ref else ")"))
    ours = [v for v in vs if v.key.startswith("tg")]
    if len(ours) < 2:
        return

    def ranked(what: str, score) -> None:
        """The best tracegrad variant by `score` (lower is better), and by how much it beats the next."""
        first, second = sorted(ours, key=score)[:2]
        print(f"   {what}: {first.label} (next: {second.label}, {score(second) / score(first) - 1:+.0%})")

    for condition in CONDITIONS:
        ranked(f"fastest tracegrad variant {condition}",
               lambda v, c=condition: statistics.median(times[c][v.key]))
    ranked("least slowed down by the busy process", lambda v: per_round(busy[v.key], idle[v.key]))
    print("   (on a shared machine, differences of a few per cent are noise)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5,
                        help="rounds (each: every variant idle, then every variant busy); default 5")
    parser.add_argument("--steps", type=int, default=10,
                        help=f"timed steps per turn (fewer, at least {MIN_STEPS}, once a turn has taken "
                             f"{TURN_BUDGET_S:g} s); default 10")
    parser.add_argument("--warmup", type=int, default=5, help="untimed steps when a worker starts; default 5")
    parser.add_argument("--quick", action="store_true", help="3 rounds of 5 steps")
    parser.add_argument("--server", choices=("tracegrad", "torch"), help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--blas", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.steps = 3, 5
    if args.rounds < 1 or args.steps < 1 or args.warmup < 1:
        parser.error("--rounds, --steps and --warmup must be at least 1")

    use_checkout()
    if args.server:
        worker(args.server, args.threads, args.warmup, args.blas)
        return 0

    have_torch = torch_available()  # finds it without importing it
    print_header("tracegrad LeNet-5 training step, idle and with one competing busy process", have_torch,
                 "in worker processes: default threads, and 1 thread")
    print(f"1. Variants: one training step, nn.LeNet5(seed={SEED}), batch {BATCH}, float32, cross_entropy, "
          f"SGD lr {LR} momentum {MOMENTUM}, each in its own worker process")
    print(f"   ({args.rounds} rounds; in each, every variant runs {args.steps} steps idle, then every "
          f"variant {args.steps} steps with the busy process; a turn stops after {TURN_BUDGET_S:g} s once "
          f"it has {MIN_STEPS} steps;")
    print(f"   a {PAUSE_S} s pause before every turn; busy: one other process spinning `while True: pass`)")
    for name in THREAD_ENV:
        if name in os.environ:
            print(f"   note: {name}={os.environ[name]} is set in this environment and applies to every "
                  "worker")
    vs, notes = variants(have_torch)
    try:
        times, counts = measure(vs, args.rounds, args.steps, args.warmup)
    except RuntimeError as err:
        print(f"   {err}")
        return 1
    width = max(len(v.label) for v in vs)
    print(f"   {'':<{width}} {'threads':>7}  thread pools in the process (threadpoolctl)")
    for v in vs:
        threads = "?" if v.info["threads"] is None else str(v.info["threads"])
        print(f"   {v.label:<{width}} {threads:>7}  {v.info['pools']}")
    print("   (threads: autograd.get_num_threads() or torch.get_num_threads(); ? where there is none)")
    for note in notes:
        print(f"   {note}")
    print()
    report(vs, times, args.rounds, counts)
    if not have_torch:
        print()
        print_torch_missing()
    return 0


if __name__ == "__main__":
    sys.exit(main())
