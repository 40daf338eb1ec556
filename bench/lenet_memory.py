"""The memory of a LeNet-5 training run: section 2 of bench_lenet.py (its --memory-worker, and the report).

A fresh process (bench_lenet.py with --memory-worker) trains for a number of steps (bench_lenet's
--memory-steps, default 1,000), cycling through the training set. It samples its resident memory (from
/proc/self/statm) before the first step and every RSS_EVERY = 50 steps, and reports it before the first
step, after step LEAK_CHECK_STEP = 50 and after the last step, so a leak shows as growth from step 50
on, with the peak (getrusage's ru_maxrss). It counts the live autograd.Tensor objects (gc.collect(),
then gc.get_objects()) before the first step, after step 50 and after the last step: only the model's
Parameters and their gradients should be left, no tensor of a step's graph. Then, for scale, the tensors
alive between one more step's forward and backward (that step's graph) and the tracemalloc peak of one
more step (NumPy reports its array buffers to tracemalloc).

The step itself comes from the caller (bench_lenet.py passes its data, step parts and run_step), so this
module does not import bench_lenet back. It is found as `common` is: bench/ is the running script's
directory, first on sys.path.
"""

from __future__ import annotations

import gc
import json
import os
import sys

LEAK_CHECK_STEP = 50  # resident memory after this step is compared with that after the last one
RSS_EVERY = 50  # the memory run samples its resident memory every this many steps...
RSS_PRINT_EVERY = 100  # ...and the report shows every this many steps of it


def resident_kib() -> float | None:
    """This process's resident memory in KiB from /proc/self/statm; None where there is no such file."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE") / 1024


def live_tensors() -> dict:
    """The autograd.Tensor objects alive now, after gc.collect(): all, Parameters, gradients, graph nodes.

    A gradient is some tensor's `.grad` (a leaf the engine made); a graph node is a tensor made by an op
    (its `_fn` is set). The rest are leaves too (inputs, constants).
    """
    from autograd import Tensor
    from nn import Parameter

    gc.collect()
    tensors = [o for o in gc.get_objects() if isinstance(o, Tensor)]
    grads = {id(t.grad) for t in tensors if t.grad is not None}
    counts = {"all": len(tensors), "parameters": sum(isinstance(t, Parameter) for t in tensors),
              "grads": sum(id(t) in grads for t in tensors), "nodes": sum(t._fn is not None for t in tensors)}
    del tensors
    return counts


def memory_worker(steps: int, x, y, parts, run_step, batch: int) -> None:
    """Train for `steps` steps, cycling through (x, y) in batches of `batch`; print the figures as JSON.

    parts = (forward, backward, update) of a step and run_step(parts, xb, yb) -> loss, as in
    bench_lenet.py; the model and its optimizer are made before the call (counted as live tensors).
    """
    import resource
    import tracemalloc

    out = {"steps": steps, "tensors_before": live_tensors()}
    samples = [(0, resident_kib())]  # (step, resident memory in KiB) before the first step, then sampled
    loss = None
    for i in range(1, steps + 1):
        start = (i - 1) % (len(x) // batch) * batch
        loss = run_step(parts, x[start : start + batch], y[start : start + batch])
        if i % RSS_EVERY == 0 or i == steps:
            samples.append((i, resident_kib()))
        if i == LEAK_CHECK_STEP:  # after the sample, so that the gc.collect() in it does not move it
            out["tensors_check"] = live_tensors()
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out["maxrss_kib"] = maxrss / 1024 if sys.platform == "darwin" else maxrss  # bytes on macOS
    out["tensors_end"] = live_tensors()
    rss = dict(samples)
    out.update(rss_samples=samples, rss_before=rss[0], rss_check=rss[LEAK_CHECK_STEP], rss_end=rss[steps],
               last_loss=loss)

    # For scale: the tensors of one step's graph, alive between its forward and its backward.
    forward, backward, update = parts
    loss = forward(x[:batch], y[:batch])
    out["tensors_step"] = live_tensors()
    backward(loss)
    update()
    del loss

    gc.collect()
    tracemalloc.start()
    run_step(parts, x[:batch], y[:batch])
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    out["step_peak_kib"] = peak / 1024
    out["step_kept_kib"] = current / 1024  # allocated during the step and still alive after it
    print(json.dumps(out))


# --- report ------------------------------------------------------------------------------------------


def mib(kib: float | None) -> str:
    return "unavailable" if kib is None else f"{kib / 1024:.1f} MiB"


def tensor_counts(c: dict) -> str:
    return f"{c['all']} ({c['parameters']} Parameters, {c['grads']} gradients, {c['nodes']} graph nodes)"


def print_memory(res: dict) -> None:
    """Section 2 of bench_lenet.py's report, from the JSON of memory_worker."""
    steps = res["steps"]
    before, check, end = res["tensors_before"], res["tensors_check"], res["tensors_end"]
    rows = []
    if res["rss_before"] is not None:
        growth = res["rss_end"] - res["rss_check"]
        series = [(s, kib) for s, kib in res["rss_samples"] if s % RSS_PRINT_EVERY == 0 or s == steps]
        last_round = steps - steps % RSS_PRINT_EVERY
        at = f"0, {RSS_PRINT_EVERY}, ..., {last_round}" if last_round >= 3 * RSS_PRINT_EVERY else \
            ", ".join(str(s) for s, _ in series if s <= last_round)
        at += f" and {steps}" if last_round != steps else ""
        rows += [("resident memory before the first step", mib(res["rss_before"])),
                 (f"resident memory after step {LEAK_CHECK_STEP}", mib(res["rss_check"])),
                 (f"resident memory after step {steps}", mib(res["rss_end"])),
                 (f"growth from step {LEAK_CHECK_STEP} to step {steps}",
                  f"{growth / 1024:+.1f} MiB ({growth / (steps - LEAK_CHECK_STEP):+.2f} KiB per step)")]
    rows += [("peak resident memory (ru_maxrss)", f"{mib(res['maxrss_kib'])}  "
              "(whole process: Python, NumPy, the digits, the run)"),
             ("live tensors before the first step", tensor_counts(before)),
             (f"live tensors after step {LEAK_CHECK_STEP}", tensor_counts(check)),
             (f"live tensors after step {steps}", tensor_counts(end)),
             ("live tensors mid-step (its graph)", tensor_counts(res["tensors_step"])),
             ("tracemalloc peak of one step", f"{mib(res['step_peak_kib'])} allocated during the step, "
              f"{mib(res['step_kept_kib'])} of it alive after it"),
             (f"loss after step {steps}", f"{res['last_loss']:.4f}")]
    for label, value in rows:
        print(f"   {label + ':':<40} {value}")
    if res["rss_before"] is None:
        print("   resident memory per step: unavailable (no /proc/self/statm on this system)")
    else:
        print(f"   resident memory (MiB) at steps {at}: {' '.join(f'{kib / 1024:.1f}' for _, kib in series)}")
        # Keeping what one step allocates, even once over the whole run, would show as this much growth.
        leak = res["rss_end"] - res["rss_check"] > res["step_peak_kib"]
        print(f"   leak check: the growth is {'above' if leak else 'below'} one step's tracemalloc peak -> "
              f"{'POSSIBLE LEAK' if leak else 'no sign of a leak'}")
    # Counted after gc.collect(), so a graph kept alive by a reference cycle alone does not count. The
    # first backward adds the Parameters' gradients, so the count that must not grow is from step 50 on.
    if end["all"] > check["all"]:
        verdict = (f"GROWS from step {LEAK_CHECK_STEP} to step {steps} ({check['all']} -> {end['all']}) "
                   "-> tensors of past steps are kept alive")
    elif end["nodes"]:
        verdict = f"does not grow, but {end['nodes']} graph nodes outlive the steps that made them"
    else:
        verdict = (f"does not grow from step {LEAK_CHECK_STEP} to step {steps}, and no graph node outlives "
                   "its step -> no graph kept alive")
    print(f"   tensor check: the number of live tensors {verdict}")

