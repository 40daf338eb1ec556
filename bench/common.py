"""What the benchmark scripts share: the environment header, the PyTorch check, and worker processes.

The scripts are run as `python bench/<script>.py` from the repository root, so this directory is the
script's directory on sys.path and `from common import ...` finds this module.

A worker is the benchmark script itself, run again in a fresh process with a hidden flag: it prints its
results as JSON on the last line of its standard output, which `run_worker` reads back. PyTorch is only
ever imported in such a worker, never in the process that measures tracegrad.

Taking turns: a target is judged in rounds in which the two sides take turns (`take_turns`), with a
pause of PAUSE_S seconds before every turn. Without it, the BLAS/OpenMP threads of the side that has
just finished are still spinning (waiting for more work) while the other side starts, and slow it down.
The verdict is the median of the rounds' ratios (`RoundRatios`): each ratio compares two turns taken
a second apart, so a slow spell of the machine divides out, and the median drops the odd round.

A busy machine: `BusyProcess` runs a separate Python process spinning on one core for as long as a
`with` block lasts (bench_busy.py).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
PAUSE_S = 0.5  # seconds of pause before every turn of an alternated measurement


def use_checkout() -> None:
    """Import tracegrad's packages (autograd, nn) from this checkout, whatever the venv has installed."""
    root = str(REPO_ROOT)
    if root not in sys.path:
        sys.path.insert(0, root)


def torch_available() -> bool:
    """Whether PyTorch is importable from this interpreter; finds it without importing it."""
    return importlib.util.find_spec("torch") is not None


def print_header(title: str, have_torch: bool, torch_note: str) -> None:
    """The title, then the Python, NumPy and (if installed) PyTorch versions, and the machine."""
    cpus = os.cpu_count()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cpus
    print(title)
    print(f"  Python  {platform.python_implementation()} {platform.python_version()}")
    print(f"  NumPy   {np.__version__}")
    if have_torch:
        try:
            torch_version = importlib.metadata.version("torch")
        except importlib.metadata.PackageNotFoundError:
            torch_version = "installed (version unknown)"
        print(f"  torch   {torch_version} ({torch_note})")
    else:
        print("  torch   not installed")
    print(f"  machine {platform.machine()}, {platform.system()}, CPUs: {cpus} "
          f"(usable by this process: {usable})")
    print()


def print_torch_missing(indent: str = "   ") -> None:
    """Say that there is no PyTorch comparison, and how to get one."""
    print(f"{indent}PyTorch is not installed in this environment, so there is no comparison.")
    print(f"{indent}To get it, install PyTorch into this environment (a CPU-only build is enough):")
    print(f"{indent}.venv/bin/pip install torch")


def run_worker(script: str, args: list[str], name: str = "PyTorch worker",
               timeout: float = 600) -> tuple[dict | None, str]:
    """Run `script` (a path) with `args` in a fresh process of this interpreter; (results, error message).

    The results are the JSON object on the last line of the worker's standard output.
    """
    cmd = [sys.executable, os.path.abspath(script), *args]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, f"the {name} timed out"
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-5:])
        return None, f"the {name} failed (exit code {proc.returncode}):\n{tail}"
    lines = proc.stdout.strip().splitlines()
    try:
        return json.loads(lines[-1]), ""
    except (IndexError, json.JSONDecodeError):
        return None, f"could not read the {name}'s output: {proc.stdout[-500:]!r}"


class Server:
    """This script, run again in a fresh process as a server: one request a line, one JSON line back.

    Lets a benchmark alternate between its own measurement and the other process's, round by round,
    so that a slow spell of the machine (other load, a noisy neighbour) hits both sides alike.
    """

    def __init__(self, script: str, args: list[str], name: str = "PyTorch worker",
                 env: dict[str, str] | None = None):
        """Start the server; `env` adds environment variables to this process's (e.g. a thread count)."""
        self.name = name
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(script), *args], text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE,
                                     env=None if env is None else {**os.environ, **env})

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def ask(self, request: str) -> dict:
        """Send one request line; return the JSON object of the answer line (RuntimeError on failure)."""
        try:
            self.proc.stdin.write(request + "\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            pass  # the worker died: readline below finds nothing and says so
        line = self.proc.stdout.readline()
        if not line:
            tail = "\n".join(self.proc.stderr.read().strip().splitlines()[-5:])
            try:
                code = self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                code = None
            raise RuntimeError(f"the {self.name} stopped (exit code {code}):\n{tail}")
        return json.loads(line)

    def close(self) -> None:
        """Close its standard input (the server's loop ends); kill it if it has not exited 30 s later."""
        if self.proc.stdin:
            try:
                self.proc.stdin.close()
            except BrokenPipeError:
                pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def serve(answer: Callable[[str], object]) -> None:
    """The loop of a server process: one request a line on stdin -> answer(request) as a JSON line."""
    for line in sys.stdin:
        print(json.dumps(answer(line.strip())), flush=True)


# --- taking turns ------------------------------------------------------------------------------------


def one_round(turns: dict[str, Callable[[], float]], pause: float = PAUSE_S) -> dict[str, float]:
    """Each turn once, in order, each after `pause` seconds of sleep; {name: what its turn returned}.

    The pause lets the threads of the previous turn (BLAS, OpenMP: they spin for a while after their
    work, waiting for more) go to sleep before the next turn starts, so no turn pays for another's.
    """
    out = {}
    for name, turn in turns.items():
        time.sleep(pause)
        out[name] = turn()
    return out


def take_turns(turns: dict[str, Callable[[], float]], rounds: int,
               pause: float = PAUSE_S) -> dict[str, list[float]]:
    """`rounds` rounds of `one_round`; {name: the values of its turns, one per round}."""
    out: dict[str, list[float]] = {name: [] for name in turns}
    for _ in range(rounds):
        for name, value in one_round(turns, pause).items():
            out[name].append(value)
    return out


@dataclass
class RoundRatios:
    """Ratios of two sides' times taken in turns: per round, their median, and best against best.

    ours[i] and theirs[i] are the times of round i (lower is better). The median of the per-round ratios
    is the verdict; the best against best (min / min) is shown as information only: it pairs turns from
    different rounds, so a single lucky turn of either side moves it.
    """

    ours: list[float]
    theirs: list[float]

    @property
    def per_round(self) -> list[float]:
        return [a / b for a, b in zip(self.ours, self.theirs, strict=True)]

    @property
    def median(self) -> float:
        return statistics.median(self.per_round)

    @property
    def best(self) -> float:
        return min(self.ours) / min(self.theirs)


def judge(ratio: float, target: float) -> str:
    """'MET' if ratio <= target, else 'NOT MET'."""
    return "MET" if ratio <= target else "NOT MET"


# --- a busy machine ----------------------------------------------------------------------------------

# The competing process: `while True: pass` in its main thread, on one core. A second thread waits on
# its standard input, a pipe from this process, and ends it when the pipe closes: when BusyProcess
# closes it, and also when this process dies without cleaning up (killed), so no spinner is left behind.
_SPIN = """\
import os, sys, threading
def _watch():
    sys.stdin.read()
    os._exit(0)
threading.Thread(target=_watch, daemon=True).start()
while True:
    pass
"""


class BusyProcess:
    """A separate Python process spinning on one core (`while True: pass`) for as long as a `with` block.

    Stands for the other work of a busy laptop (a browser tab, a build): one core of the machine is
    taken. It is killed when the block ends, also on an error or Ctrl-C.
    """

    def __enter__(self) -> BusyProcess:
        self.proc = subprocess.Popen([sys.executable, "-c", _SPIN], stdin=subprocess.PIPE)
        return self

    def check(self) -> None:
        """RuntimeError if the spinner has stopped (the measurement would not be under load)."""
        if self.proc.poll() is not None:
            raise RuntimeError(f"the busy process stopped (exit code {self.proc.returncode})")

    def __exit__(self, *exc) -> None:
        self.proc.kill()
        self.proc.wait()
        if self.proc.stdin:
            self.proc.stdin.close()
