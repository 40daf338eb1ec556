"""Benchmark of tracegrad's engine: long scalar chains, per-op overhead, and PyTorch for comparison.

    python bench/bench_engine.py             # full run (n = 10^3, 10^4, 10^5), under a minute
    python bench/bench_engine.py --quick     # n up to 10^4 only
    python bench/bench_engine.py --repeats 3 --rounds 7

The seed workload is the chain C(theta) = tanh^n(theta): build it (one recorded node per tanh), then
backward. Each figure is the best of a few runs (fewer for the biggest n), with gc.collect() between
runs. PyTorch, when it is importable from this interpreter, runs the same chains in a separate process
(this script with --torch-worker) so that it is never imported into the process measuring tracegrad.

Target: build + backward of the 10^5 chain in at most 1.0x PyTorch's time. The verdict comes from
rounds in which tracegrad (in this process) and a PyTorch server process take turns, each turn after a
pause of common.PAUSE_S = 0.5 s (section 4): the median of the rounds' ratios. Without the pause, one
side's threads still spinning after its turn slow the other down.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
import timeit

import numpy as np

from common import (
    PAUSE_S, RoundRatios, Server, judge, print_header, print_torch_missing, run_worker, serve, take_turns,
    torch_available,
)

TARGET_RATIO = 1.0  # tracegrad / PyTorch, build + backward of the 10^5 chain, median of the rounds' ratios
TARGET_N = 100_000
SKIP_N = 100_000
CREATE_GRAPH_N = 10_000
FULL_NS = (1_000, 10_000, 100_000)
QUICK_NS = (1_000, 10_000)
PER_OP_NUMBER = 50_000  # calls per timing of one op


def repeats_for(n: int, repeats: int) -> int:
    """Fewer runs for the biggest chains: each 10^5 run takes about a second."""
    return repeats if n < 100_000 else max(1, (repeats + 1) // 2)


def time_chain(build, n: int, repeats: int, create_graph: bool = False) -> dict:
    """Best build, backward and build+backward times (seconds) over `repeats` runs of build(n)."""
    builds, backwards, totals = [], [], []
    grad = None
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        theta, c = build(n)
        t1 = time.perf_counter()
        if create_graph:
            c.backward(create_graph=True)
        else:
            c.backward()
        t2 = time.perf_counter()
        grad = theta.grad.item()
        del theta, c
        gc.collect()  # free the graph outside the timed region
        builds.append(t1 - t0)
        backwards.append(t2 - t1)
        totals.append(t2 - t0)
    return {"build": min(builds), "backward": min(backwards), "total": min(totals), "grad": grad,
            "repeats": repeats}


# --- tracegrad ---------------------------------------------------------------------------------------


def tg_chain(n: int):
    from autograd import Tensor

    theta = Tensor(0.5, requires_grad=True)
    c = theta
    for _ in range(n):
        c = c.tanh()
    return theta, c


def tg_skip_chain(n: int):
    from autograd import Tensor

    theta = Tensor(0.5, requires_grad=True)
    c = theta
    for _ in range(n):
        c = c.tanh()
    return theta, c + theta  # the seed's C_res = tanh^n(theta) + theta


def per_op_overhead(repeats: int) -> list[tuple[str, float, str, float]]:
    """(tracegrad op, microseconds per call, NumPy call, microseconds per call) for 0-d operands."""
    from autograd import Tensor, no_grad

    env = {
        "x": Tensor(0.5, requires_grad=True),
        "y": Tensor(1.5, requires_grad=True),
        "a": np.array(0.5),
        "b": np.array(1.5),
        "np": np,
    }

    def usec(stmt: str) -> float:
        timer = timeit.Timer(stmt, globals=env, timer=time.perf_counter)
        gc.collect()
        return min(timer.repeat(repeat=repeats, number=PER_OP_NUMBER)) / PER_OP_NUMBER * 1e6

    tanh_np = usec("np.tanh(a)")
    mul_np = usec("np.multiply(a, b)")
    tanh_rec = usec("x.tanh()")
    with no_grad():
        tanh_nograd = usec("x.tanh()")
    mul_rec = usec("x * y")
    return [
        ("x.tanh()  recording", tanh_rec, "np.tanh(a)", tanh_np),
        ("x.tanh()  no_grad()", tanh_nograd, "np.tanh(a)", tanh_np),
        ("x * y     recording", mul_rec, "np.multiply(a, b)", mul_np),
    ]


# --- PyTorch (only ever imported in the worker process) ---------------------------------------------


def torch_chain(n: int):
    """The same chain in PyTorch: (theta, tanh^n(theta)), float64."""
    import torch

    theta = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    c = theta
    for _ in range(n):
        c = torch.tanh(c)
    return theta, c


def torch_skip_chain(n: int):
    theta, c = torch_chain(n)
    return theta, c + theta


def torch_worker(ns: list[int], skip_n: int, repeats: int) -> None:
    """Run the same chains with PyTorch on one thread; print the results as one JSON line."""
    import torch

    torch.set_num_threads(1)
    chain, skip_chain = torch_chain, torch_skip_chain
    time_chain(chain, 1_000, 2)  # warm-up: first calls initialise the dispatcher and autograd engine
    out = {
        "version": torch.__version__,
        "threads": torch.get_num_threads(),
        "chain": {str(n): time_chain(chain, n, repeats_for(n, repeats)) for n in ns},
    }
    if skip_n:
        out["skip"] = {str(skip_n): time_chain(skip_chain, skip_n, repeats_for(skip_n, repeats))}
    print(json.dumps(out))


def torch_server() -> None:
    """One 'n' a line on stdin -> one PyTorch run of the tanh^n chain, as a JSON line on stdout."""
    import torch

    torch.set_num_threads(1)
    time_chain(torch_chain, 1_000, 2)  # warm-up
    serve(lambda n: time_chain(torch_chain, int(n), 1))


def alternate(rounds: int, n: int) -> RoundRatios:
    """Build + backward of the tanh^n chain (seconds): tracegrad here, then PyTorch in a server process,
    `rounds` times, each turn after a pause of PAUSE_S."""
    with Server(__file__, ["--torch-server"]) as server:
        server.ask("1000")  # waits until PyTorch is loaded and warm: its start-up must not overlap our runs
        times = take_turns({"tracegrad": lambda: time_chain(tg_chain, n, 1)["total"],
                            "torch": lambda: server.ask(str(n))["total"]}, rounds)
    return RoundRatios(times["tracegrad"], times["torch"])


def run_torch_worker(ns, skip_n: int, repeats: int) -> tuple[dict | None, str]:
    """Run this script as a PyTorch worker in a fresh process; (results, error message)."""
    return run_worker(__file__, ["--torch-worker", "--ns", ",".join(str(n) for n in ns),
                                 "--skip-n", str(skip_n), "--repeats", str(repeats)])


# --- report ------------------------------------------------------------------------------------------


def fmt_s(t: float) -> str:
    return f"{t:.4f}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="only chains up to n = 10^4")
    parser.add_argument("--repeats", type=int, default=5,
                        help="runs per measurement, best kept (about half as many at n = 10^5); default 5")
    parser.add_argument("--rounds", type=int, default=7,
                        help="rounds of the alternated target measurement; default 7")
    parser.add_argument("--torch-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--torch-server", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--ns", default="", help=argparse.SUPPRESS)
    parser.add_argument("--skip-n", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")

    ns = QUICK_NS if args.quick else FULL_NS
    skip_n = max(ns) if args.quick else SKIP_N

    if args.torch_worker:
        torch_worker([int(s) for s in args.ns.split(",") if s], args.skip_n, args.repeats)
        return 0
    if args.torch_server:
        torch_server()
        return 0
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")

    have_torch = torch_available()  # finds it without importing it
    print_header("tracegrad engine benchmark", have_torch, "run in a separate process, 1 thread")

    # 1. chains ---------------------------------------------------------------------------------------
    time_chain(tg_chain, 1_000, 2)  # warm-up
    print("1. Chain C(theta) = tanh^n(theta), theta = 0.5 (seconds, best of the runs)")
    print(f"   {'n':>8} {'runs':>4} {'build':>9} {'backward':>9} {'total':>9} {'us/node':>8}  dC/dtheta")
    tg = {}
    for n in ns:
        r = time_chain(tg_chain, n, repeats_for(n, args.repeats))
        tg[n] = r
        print(f"   {n:>8} {r['repeats']:>4} {fmt_s(r['build']):>9} {fmt_s(r['backward']):>9} "
              f"{fmt_s(r['total']):>9} {r['total'] / n * 1e6:>8.2f}  {r['grad']:.8e}")
    skip = time_chain(tg_skip_chain, skip_n, repeats_for(skip_n, args.repeats))
    print(f"   skip connection C_res = tanh^n(theta) + theta, n = {skip_n} ({skip_n + 1} nodes, "
          f"{skip['repeats']} runs): build {fmt_s(skip['build'])}, backward {fmt_s(skip['backward'])}, "
          f"total {fmt_s(skip['total'])}")
    cg = time_chain(tg_chain, CREATE_GRAPH_N, args.repeats, create_graph=True)
    plain = tg[CREATE_GRAPH_N]["backward"]
    print(f"   backward(create_graph=True), n = {CREATE_GRAPH_N} (information): "
          f"{fmt_s(cg['backward'])} s, {cg['backward'] / plain:.2f}x the plain backward")
    print()

    # 2. per-op overhead ------------------------------------------------------------------------------
    print(f"2. Per-op overhead on 0-d float64 operands (microseconds per call, best of {args.repeats} "
          f"x {PER_OP_NUMBER} calls)")
    print(f"   {'tracegrad':<22} {'us':>7}   {'NumPy':<18} {'us':>7} {'ratio':>7}")
    for label, us, np_label, np_us in per_op_overhead(args.repeats):
        print(f"   {label:<22} {us:>7.3f}   {np_label:<18} {np_us:>7.3f} {us / np_us:>6.1f}x")
    print()

    # 3. PyTorch --------------------------------------------------------------------------------------
    print("3. PyTorch comparison (same chains, build + backward, seconds)")
    if not have_torch:
        print_torch_missing()
        print(f"   Target (not checked): build + backward of the 10^5 chain <= {TARGET_RATIO}x PyTorch.")
        return 0
    res, err = run_torch_worker(ns, skip_n, args.repeats)
    if res is None:
        print(f"   {err}")
        print(f"   Target (not checked): build + backward of the 10^5 chain <= {TARGET_RATIO}x PyTorch.")
        return 0
    print(f"   torch {res['version']}, torch.set_num_threads(1) (threads: {res['threads']})")
    print(f"   {'chain':<14} {'tracegrad':>9} {'torch':>9} {'ratio':>7}   {'build ratio':>11} "
          f"{'bwd ratio':>9}  gradients agree")
    rows = [(f"tanh^n {n}", tg[n], res["chain"][str(n)]) for n in ns]
    rows.append((f"skip   {skip_n}", skip, res["skip"][str(skip_n)]))
    for label, a, b in rows:
        agree = abs(a["grad"] - b["grad"]) <= 1e-9 * max(abs(a["grad"]), abs(b["grad"]), 1e-300)
        print(f"   {label:<14} {fmt_s(a['total']):>9} {fmt_s(b['total']):>9} {a['total'] / b['total']:>6.2f}x"
              f"   {a['build'] / b['build']:>10.2f}x {a['backward'] / b['backward']:>8.2f}x  "
              f"{'yes' if agree else 'NO'}")
    if TARGET_N not in tg:
        print(f"   Target (not checked with --quick): build + backward of the 10^5 chain <= "
              f"{TARGET_RATIO}x PyTorch.")
        return 0
    print()

    # 4. the target, measured in alternation -----------------------------------------------------------
    # The table above times all of tracegrad's runs, then all of PyTorch's: on a machine whose speed
    # drifts (shared or throttled cores) that alone can move a ratio by 30%. Here the two take turns,
    # with a pause before each turn, and each round gives a ratio.
    print(f"4. Target: build + backward of the 10^5 chain <= {TARGET_RATIO:.1f}x PyTorch (median of the "
          f"rounds' ratios), measured in alternation")
    print(f"   ({args.rounds} rounds: tracegrad once, then PyTorch once, each after a {PAUSE_S} s pause; "
          f"seconds)")
    try:
        r = alternate(args.rounds, TARGET_N)
    except RuntimeError as err:
        print(f"   {err}")
        return 0
    print("   round     " + " ".join(f"{i:>7}" for i in range(1, args.rounds + 1)))
    print("   tracegrad " + " ".join(f"{t:7.3f}" for t in r.ours))
    print("   torch     " + " ".join(f"{t:7.3f}" for t in r.theirs))
    print("   ratio     " + " ".join(f"{x:6.2f}x" for x in r.per_round))
    print(f"   best against best (information): {min(r.ours):.3f} s / {min(r.theirs):.3f} s = {r.best:.2f}x")
    print(f"   median of the rounds' ratios: {r.median:.2f}x -> {judge(r.median, TARGET_RATIO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
