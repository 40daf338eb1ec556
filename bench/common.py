"""What the benchmark scripts share: the environment header, the PyTorch check, and worker processes.

The scripts are run as `python bench/<script>.py` from the repository root, so this directory is the
script's directory on sys.path and `from common import ...` finds this module.

A worker is the benchmark script itself, run again in a fresh process with a hidden flag: it prints its
results as JSON on the last line of its standard output, which `run_worker` reads back. PyTorch is only
ever imported in such a worker, never in the process that measures tracegrad.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent


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

    def __init__(self, script: str, args: list[str], name: str = "PyTorch worker"):
        self.name = name
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(script), *args], text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)

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
            raise RuntimeError(f"the {self.name} stopped (exit code {self.proc.poll()}):\n{tail}")
        return json.loads(line)

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
