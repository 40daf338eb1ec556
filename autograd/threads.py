"""How tracegrad uses the cores: its own pool of threads, and BLAS on one thread.

NumPy hands matrix products to a BLAS library (OpenBLAS in NumPy's wheels) that starts one thread per
core, and those threads wait for the next product by spinning. On a machine whose cores are shared (a
laptop running a browser, a test suite, another training run) the spinning threads, the busy process and
tracegrad's own Python thread fight for the cores, and a LeNet-5 step gets 10 to 20 times slower.

So tracegrad decides how its work is spread, with threads that sleep while they wait:

- the big convolutions (correlate2d's forward and kernel gradient, conv_transpose2d, from 16M
  multiply-adds) cut their work into fixed blocks of images and share the blocks out among
  `get_num_threads()` threads of a pool; NumPy releases the GIL inside its copies and BLAS calls, so the
  blocks run at the same time. The blocks are the same whatever the thread count, and sums over blocks
  are added in block order, so the results are the same bits on 1 thread or on 8;
- BLAS runs on one thread (set once, when autograd is imported; `blas_threads()` says how many it has).
  A big matrix product on its own then uses one core where BLAS would have used all of them: that is
  the price of not spinning. `threadpoolctl.threadpool_limits(n)` gives BLAS n threads again.

Everything else stays on the calling thread. Python threads pay for every hand-over of the GIL (an OS
wake-up, tens of microseconds here), so only work of a millisecond or more between hand-overs runs
faster on two threads: measured here, two threads each running tanh on 59k floats 50 times took 2.4x
as long as one thread doing both halves, and two threads each running half a LeNet-5 step (forward and
backward of 50 images) were no faster than one thread running both. A 16 MB tanh does scale (2x).
When another process holds a core, a LeNet-5 step slows down by about the share of the core it lost,
no more (bench/bench_busy.py measures it, beside PyTorch under the same load).

    autograd.set_num_threads(1)     # everything on the calling thread
    autograd.get_num_threads()      # default: the cores this process may use
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

from threadpoolctl import ThreadpoolController


def _usable_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


_state = {"threads": _usable_cores(), "pool": None}
_pool_lock = threading.Lock()
_inside = threading.local()  # set in the pool's threads: a piece that runs an op runs its parts itself
_blas = ThreadpoolController().select(user_api="blas")  # found once: the libraries NumPy has loaded


def set_num_threads(n: int) -> None:
    """Use n threads (n >= 1) for tracegrad's big ops; 1 runs everything on the calling thread."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads: n must be an int >= 1; got {n!r}")
    with _pool_lock:
        if n != _state["threads"] and _state["pool"] is not None:
            _state["pool"].shutdown(wait=True)
            _state["pool"] = None
        _state["threads"] = n


def get_num_threads() -> int:
    """How many threads tracegrad's big ops use (default: the cores this process may use)."""
    return _state["threads"]


def blas_threads() -> int:
    """How many threads NumPy's BLAS uses now (tracegrad sets 1 when it is imported)."""
    counts = [lib.num_threads for lib in _blas.lib_controllers]
    return max(counts) if counts else 1


def limit_blas() -> None:
    """Put NumPy's BLAS on one thread (autograd does this once, when it is imported)."""
    _blas.limit(limits=1)


def parts(n: int, min_size: int = 1) -> list[slice]:
    """Cut range(n) into at most get_num_threads() slices of at least `min_size` items, in order."""
    k = max(1, min(_state["threads"], n // max(1, min_size)))
    bounds = [n * i // k for i in range(k + 1)]
    return [slice(bounds[i], bounds[i + 1]) for i in range(k)]


def run(fn, pieces: list) -> list:
    """[fn(p) for p in pieces], the pieces run at the same time on the pool (the first on this thread).

    Results come back in the order of the pieces, so what is made from them is deterministic.
    """
    if len(pieces) <= 1 or getattr(_inside, "worker", False):
        return [fn(p) for p in pieces]
    try:
        futures = [_pool().submit(fn, p) for p in pieces[1:]]
    except RuntimeError:  # set_num_threads in another thread shut this pool down: run them here
        return [fn(p) for p in pieces]
    first = fn(pieces[0])
    return [first] + [f.result() for f in futures]


def _mark() -> None:
    _inside.worker = True


def _pool() -> ThreadPoolExecutor:
    with _pool_lock:
        if _state["pool"] is None:
            _state["pool"] = ThreadPoolExecutor(max_workers=max(1, _state["threads"] - 1),
                                                thread_name_prefix="tracegrad", initializer=_mark)
        return _state["pool"]


limit_blas()  # on import: from here on, tracegrad's pool is what spreads the work
