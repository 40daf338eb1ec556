"""Benchmark of one LeNet-5 training step (batch 100, float32): time, memory, and PyTorch for comparison.

    python bench/bench_lenet.py                      # full run, under a minute
    python bench/bench_lenet.py --steps 20 --memory-steps 200

A step is what nn.train.fit does per batch: nn.LeNet5(seed=0) forward on a (100, 1, 32, 32) batch of the
bundled digits (nn.data.load_digits()), nn.functional.cross_entropy, zero_grad, backward, and
nn.optim.SGD(lr=0.05, momentum=0.9).step(). After a few warm-up steps, every timed step is timed on its
own, on one fixed batch (the first 100 training images), and split into forward + loss, zero_grad +
backward, and the optimizer step.

Memory (lenet_memory.py): a fresh process (this script with --memory-worker) trains for --memory-steps
steps (default 1,000), cycling through the training set. It reports its resident memory before the first
step, after step 50 and after the last step (growth from step 50 on would be a leak) and the peak, counts
the live autograd.Tensor objects at the same points (only the model's Parameters and their gradients
should be left, no tensor of a step's graph), and, for scale, the tensors of one step's graph and the
tracemalloc peak of one step.

PyTorch, when it is importable from this interpreter, runs the same step (same architecture, the initial
weights of LeNet5(seed=0) copied in, same batch) in separate processes (this script with --torch-worker),
once with torch's default thread count and once with torch.set_num_threads(1), so that it is never
imported into the process measuring tracegrad.

Target: a training step in at most 1.0x PyTorch's time (PyTorch with its default threads), judged in
rounds in which tracegrad (in this process) and a PyTorch server process take turns, ROUND_STEPS steps
each, each turn after a pause of common.PAUSE_S = 0.5 s (section 4): a round's ratio is the median step
of tracegrad's turn over that of PyTorch's, and the verdict is the median of the rounds' ratios. Without
the pause, the threads of the side that has just finished still spin and slow the other down.

bench_busy.py imports this module's step (tracegrad_model, tracegrad_parts, torch_parts, ...).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import time

from common import (
    PAUSE_S, RoundRatios, Server, judge, print_header, print_torch_missing, run_worker, serve, take_turns,
    torch_available, use_checkout,
)
from lenet_memory import LEAK_CHECK_STEP, memory_worker, print_memory

TARGET_RATIO = 1.0  # tracegrad / PyTorch (default threads), median of the rounds' ratios of median steps
BATCH = 100
LR = 0.05
MOMENTUM = 0.9
SEED = 0
ROUND_STEPS = 10  # steps per side and round in the alternated measurement
LOSS_RTOL = (1e-4, 1e-2)  # agreement of the losses with PyTorch's: first step, after the last step
PHASES = ("step", "forward", "backward", "update")
PHASE_LABELS = {"step": "whole step", "forward": "forward + loss", "backward": "zero_grad + backward",
                "update": "optimizer step"}


def training_data():
    """The training images (4000, 1, 32, 32) float32 and labels (4000,) int64."""
    from nn.data import load_digits

    x_train, y_train, _, _ = load_digits()
    return x_train, y_train


def run_step(parts, xb, yb) -> float:
    """One training step; returns the loss."""
    forward, backward, update = parts
    loss = forward(xb, yb)
    backward(loss)
    update()
    return loss.item()


def timed_step(parts, xb, yb) -> tuple[dict[str, float], float]:
    """One training step: (ms of each phase in PHASES, the whole step first), and the loss."""
    forward, backward, update = parts
    t0 = time.perf_counter()
    loss = forward(xb, yb)
    t1 = time.perf_counter()
    backward(loss)
    t2 = time.perf_counter()
    update()
    t3 = time.perf_counter()
    seconds = (t3 - t0, t1 - t0, t2 - t1, t3 - t2)
    return {phase: t * 1e3 for phase, t in zip(PHASES, seconds)}, loss.item()


def time_steps(parts, xb, yb, warmup: int, steps: int) -> dict:
    """Time `steps` training steps on (xb, yb) after `warmup` untimed ones.

    parts = (forward(xb, yb) -> loss, backward(loss) [zero_grad, then backward], update() [optimizer
    step]). Returns, per phase, the median, min and mean in ms, and the first and last losses.
    """
    first_loss = run_step(parts, xb, yb)
    for _ in range(warmup - 1):
        run_step(parts, xb, yb)
    gc.collect()
    times = {phase: [] for phase in PHASES}
    for _ in range(steps):
        ms, last_loss = timed_step(parts, xb, yb)
        for phase in PHASES:
            times[phase].append(ms[phase])
    out = {phase: {"median": statistics.median(ts), "min": min(ts), "mean": statistics.fmean(ts)}
           for phase, ts in times.items()}
    out.update(first_loss=first_loss, last_loss=last_loss, warmup=warmup, steps=steps)
    return out


# --- tracegrad ---------------------------------------------------------------------------------------


def tracegrad_model():
    """LeNet5(seed=0) and its optimizer, SGD(lr=0.05, momentum=0.9)."""
    import nn

    model = nn.LeNet5(seed=SEED)
    return model, nn.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)


def tracegrad_parts(model, optimizer):
    """(forward, backward, update) of a tracegrad training step, as nn.train.fit does it."""
    from autograd import Tensor
    from nn.functional import cross_entropy

    def forward(xb, yb):
        return cross_entropy(model(Tensor(xb)), yb)

    def backward(loss):
        optimizer.zero_grad()
        loss.backward()

    return forward, backward, optimizer.step


# --- PyTorch (only ever imported in the worker processes) ---------------------------------------------


def torch_parts(threads: int):
    """(forward, backward, update) of the same step in PyTorch, from tracegrad's initial weights, and
    the model (threads 0: torch's default thread count)."""
    import torch
    from torch import nn as tnn

    if threads:
        torch.set_num_threads(threads)
    model = tnn.Sequential(
        tnn.Conv2d(1, 6, 5), tnn.Tanh(), tnn.AvgPool2d(2),
        tnn.Conv2d(6, 16, 5), tnn.Tanh(), tnn.AvgPool2d(2),
        tnn.Conv2d(16, 120, 5), tnn.Tanh(), tnn.Flatten(),
        tnn.Linear(120, 84), tnn.Tanh(),
        tnn.Linear(84, 10),
    )
    reference, _ = tracegrad_model()  # start from the same weights, so that the losses can be compared
    with torch.no_grad():
        for p, q in zip(model.parameters(), reference.parameters(), strict=True):
            if tuple(p.shape) != q.shape:
                raise ValueError(f"parameter shapes differ: torch {tuple(p.shape)}, tracegrad {q.shape}")
            p.copy_(torch.from_numpy(q.data))
    optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)

    def forward(xb, yb):
        return tnn.functional.cross_entropy(model(torch.from_numpy(xb)), torch.from_numpy(yb))

    def backward(loss):
        optimizer.zero_grad()
        loss.backward()

    return (forward, backward, optimizer.step), model


def torch_worker(threads: int, warmup: int, steps: int) -> None:
    """The same step in PyTorch (threads 0: torch's default thread count); print the results as JSON."""
    import torch

    default_threads = torch.get_num_threads()
    parts, model = torch_parts(threads)
    x, y = training_data()
    out = time_steps(parts, x[:BATCH], y[:BATCH], warmup, steps)
    out.update(version=torch.__version__, threads=torch.get_num_threads(), default_threads=default_threads,
               dtype=str(next(model.parameters()).dtype))
    print(json.dumps(out))


def step_times(parts, xb, yb, steps: int) -> list[float]:
    """ms of each of `steps` whole training steps."""
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        run_step(parts, xb, yb)
        times.append((time.perf_counter() - t0) * 1e3)
    return times


def torch_server(warmup: int) -> None:
    """One 'k' a line on stdin -> k PyTorch steps (default threads), their ms as a JSON list."""
    parts, _ = torch_parts(0)
    x, y = training_data()
    step_times(parts, x[:BATCH], y[:BATCH], warmup)
    serve(lambda k: step_times(parts, x[:BATCH], y[:BATCH], int(k)))


def alternate(rounds: int, steps: int, warmup: int) -> tuple[RoundRatios, list[float], list[float]]:
    """`rounds` times: `steps` tracegrad steps here, then as many PyTorch steps in a server process,
    each turn after a pause of PAUSE_S. Returns the rounds' median steps (ms) as RoundRatios, and all
    the steps' ms of each side."""
    model, optimizer = tracegrad_model()
    parts = tracegrad_parts(model, optimizer)
    x, y = training_data()
    step_times(parts, x[:BATCH], y[:BATCH], warmup)
    ours, theirs = [], []

    def our_turn() -> float:
        gc.collect()
        ours.append(step_times(parts, x[:BATCH], y[:BATCH], steps))
        return statistics.median(ours[-1])

    with Server(__file__, ["--torch-server", "--warmup", str(warmup)]) as server:
        server.ask("1")  # waits until PyTorch is loaded and warm: its start-up must not overlap our steps

        def their_turn() -> float:
            theirs.append(server.ask(str(steps)))
            return statistics.median(theirs[-1])

        medians = take_turns({"tracegrad": our_turn, "torch": their_turn}, rounds)
    return (RoundRatios(medians["tracegrad"], medians["torch"]),
            [t for turn in ours for t in turn], [t for turn in theirs for t in turn])


# --- report ------------------------------------------------------------------------------------------


def print_times(label: str, r: dict, threads: str = "", tg: dict | None = None) -> None:
    """A row of the comparison; with `tg`, the ratio of tracegrad's median step to this row's."""
    s = r["step"]
    ratio = f"{tg['step']['median'] / s['median']:>6.2f}x" if tg else f"{'':>7}"
    print(f"   {label:<24} {threads:>7} {s['median']:>8.2f} {s['min']:>8.2f} {s['mean']:>8.2f} {ratio}  "
          f"{r['forward']['median']:>9.2f} {r['backward']['median']:>9.2f} {r['update']['median']:>9.3f}")


def losses_agree(a: dict, b: dict) -> bool:
    return (abs(a["first_loss"] - b["first_loss"]) <= LOSS_RTOL[0] * abs(b["first_loss"])
            and abs(a["last_loss"] - b["last_loss"]) <= LOSS_RTOL[1] * abs(b["last_loss"]))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=50, help="timed steps; default 50")
    parser.add_argument("--warmup", type=int, default=5, help="untimed steps before them; default 5")
    parser.add_argument("--memory-steps", type=int, default=1000,
                        help=f"steps of the memory run (more than {LEAK_CHECK_STEP}); default 1000")
    parser.add_argument("--memory-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--rounds", type=int, default=7,
                        help=f"rounds of the alternated target measurement ({ROUND_STEPS} steps each side); "
                             "default 7")
    parser.add_argument("--torch-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--torch-server", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.steps < 1 or args.warmup < 1:
        parser.error("--steps and --warmup must be at least 1")
    if args.memory_steps <= LEAK_CHECK_STEP:
        parser.error(f"--memory-steps must be more than {LEAK_CHECK_STEP}")

    use_checkout()
    if args.memory_worker:
        x, y = training_data()
        memory_worker(args.memory_steps, x, y, tracegrad_parts(*tracegrad_model()), run_step, BATCH)
        return 0
    if args.torch_worker:
        torch_worker(args.threads, args.warmup, args.steps)
        return 0
    if args.torch_server:
        torch_server(args.warmup)
        return 0
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")

    have_torch = torch_available()  # finds it without importing it
    print_header("tracegrad LeNet-5 training-step benchmark", have_torch,
                 "run in separate processes: default threads, then 1 thread")

    # 1. step time ------------------------------------------------------------------------------------
    print(f"1. One training step: nn.LeNet5(seed={SEED}), batch {BATCH}, float32, cross_entropy, "
          f"SGD lr {LR} momentum {MOMENTUM}")
    print(f"   ({args.warmup} warm-up steps, then {args.steps} timed steps on one fixed batch; ms per step)")
    if hasattr(os, "getloadavg"):
        print(f"   (system load average over the last minute: {os.getloadavg()[0]:.2f}; "
              f"other busy processes slow every figure here)")
    x, y = training_data()
    model, optimizer = tracegrad_model()
    tg = time_steps(tracegrad_parts(model, optimizer), x[:BATCH], y[:BATCH], args.warmup, args.steps)
    print(f"   {'':<22} {'median':>8} {'min':>8} {'mean':>8} {'share':>7}")
    for phase in PHASES:
        r = tg[phase]
        share = r["median"] / tg["step"]["median"] * 100
        print(f"   {PHASE_LABELS[phase]:<22} {r['median']:>8.2f} {r['min']:>8.2f} {r['mean']:>8.2f} "
              f"{share:>6.0f}%")
    print("   (shares are of the median step; the phases' medians need not add up to it)")
    print(f"   loss {tg['first_loss']:.4f} at the first step, {tg['last_loss']:.4f} after step "
          f"{args.warmup + args.steps}")
    print()

    # 2. memory ---------------------------------------------------------------------------------------
    print(f"2. Memory of a training run: {args.memory_steps} steps through the training set in a fresh "
          f"process")
    res, err = run_worker(__file__, ["--memory-worker", "--memory-steps", str(args.memory_steps)],
                          name="memory worker")
    if res is None:
        print(f"   {err}")
    else:
        print_memory(res)
    print()

    # 3. PyTorch --------------------------------------------------------------------------------------
    target = (f"a step in at most {TARGET_RATIO:.1f}x PyTorch's time (torch with its default threads, "
              f"median of the rounds' ratios)")
    print("3. PyTorch comparison (same step, initial weights and batch; ms per step)")
    if not have_torch:
        print_torch_missing()
        print(f"   tracegrad: median {tg['step']['median']:.2f} ms per step")
        print(f"   Target (not checked): {target}.")
        return 0
    common_args = ["--torch-worker", "--warmup", str(args.warmup), "--steps", str(args.steps)]
    runs = {}
    for threads in (0, 1):
        res, err = run_worker(__file__, [*common_args, "--threads", str(threads)])
        if res is None:
            print(f"   {err}")
        runs[threads] = res
    default, single = runs[0], runs[1]
    if default is None and single is None:
        print(f"   Target (not checked): {target}.")
        return 0
    any_run = default or single
    print(f"   torch {any_run['version']}, {any_run['dtype']}, default thread count "
          f"{any_run['default_threads']}")
    print(f"   {'':<24} {'threads':>7} {'median':>8} {'min':>8} {'mean':>8} {'ratio':>7}  "
          f"{'fwd+loss':>9} {'backward':>9} {'opt step':>9}")
    print_times("tracegrad", tg)
    if default is not None:
        print_times("torch, default threads", default, str(default["threads"]), tg=tg)
    if single is not None:
        print_times("torch, 1 thread", single, str(single["threads"]), tg=tg)
    print("   (ratio: tracegrad's median step over this row's; the phase columns are medians)")
    print(f"   loss at the first step / after step {args.warmup + args.steps}:")
    print(f"   {'tracegrad':<24} {tg['first_loss']:.6f} / {tg['last_loss']:.6f}")
    for label, r in (("torch, default threads", default), ("torch, 1 thread", single)):
        if r is not None:
            agree = "agree" if losses_agree(tg, r) else "DIFFER"
            print(f"   {label:<24} {r['first_loss']:.6f} / {r['last_loss']:.6f} -> {agree} with tracegrad's")
    if default is None:
        print(f"   Target (not checked): {target}.")
        return 0
    print()

    # 4. the target, measured in alternation -----------------------------------------------------------
    # Above, all of tracegrad's steps run before all of PyTorch's: on a machine whose speed drifts that
    # alone moves the ratio. Here the two take turns, ROUND_STEPS steps each, with a pause before each
    # turn, and each round gives a ratio of the two turns' median steps.
    print(f"4. Target: {target}, measured in alternation")
    print(f"   ({args.rounds} rounds: {ROUND_STEPS} tracegrad steps, then {ROUND_STEPS} PyTorch steps, each "
          f"turn after a {PAUSE_S} s pause; ms per step, the median of each turn)")
    try:
        r, ours, theirs = alternate(args.rounds, ROUND_STEPS, args.warmup)
    except RuntimeError as err:
        print(f"   {err}")
        return 0
    print("   round     " + " ".join(f"{i:>7}" for i in range(1, args.rounds + 1)))
    print("   tracegrad " + " ".join(f"{t:7.2f}" for t in r.ours))
    print("   torch     " + " ".join(f"{t:7.2f}" for t in r.theirs))
    print("   ratio     " + " ".join(f"{x:6.2f}x" for x in r.per_round))
    print(f"   information: median of all steps {statistics.median(ours):.2f} / "
          f"{statistics.median(theirs):.2f} = {statistics.median(ours) / statistics.median(theirs):.2f}x; "
          f"best step against best step {min(ours):.2f} / {min(theirs):.2f} = {min(ours) / min(theirs):.2f}x")
    print(f"   median of the rounds' ratios: {r.median:.2f}x -> {judge(r.median, TARGET_RATIO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
