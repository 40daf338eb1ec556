"""How tracegrad uses the cores: its own pool of threads, and BLAS on one thread.

NumPy hands matrix products to a BLAS library (OpenBLAS in NumPy's wheels) that starts one thread per
core, and those threads wait for the next product by spinning. On a machine whose cores are shared (a
laptop running a browser, a test suite, another training run) the spinning threads, the busy process and
tracegrad's own Python thread fight for the cores, and a LeNet-5 step gets 10 to 20 times slower.

So tracegrad decides how its work is spread, with threads that sleep while they wait:

- the big convolutions (correlate2d's forward and kernel gradient, conv_transpose2d, from 8M
  multiply-adds) cut their work into fixed blocks of images and share the blocks out among
  `get_num_threads()` threads (the caller and sleeping workers); NumPy releases the GIL inside its
  copies and BLAS calls, so the blocks run at the same time. Whatever the thread count, each image's
  product is computed the same way and sums over blocks are added in block order, so the results are
  the same bits on 1 thread or on 8;
- BLAS runs on one thread (set once, when autograd is imported; `blas_threads()` says how many it has).
  A big matrix product on its own then uses one core where BLAS would have used all of them: that is
  the price of not spinning. `threadpoolctl.threadpool_limits(n)` gives BLAS n threads again.

Everything else stays on the calling thread, because a second Python thread pays only for long NumPy
calls: each thread takes the GIL back after every NumPy call, and a thread that waits (for the GIL, for
its piece, for a worker's result) waits for the OS to wake it. bench/bench_threads.py measures it; on
the 2-core machine of bench/README.md, over four runs:
- a hand-over to a sleeping worker and back costs 8 to 9 microseconds, and a worker starts its piece
  15 to 55 microseconds after it is given when it has slept a little while;
- np.tanh split between two threads is 1.8 to 2x slower than one thread on 0.2 MiB, 1.2x slower on
  LeNet-5's first feature map (1.8 MiB), and 1.8x faster on 18 MiB;
- LeNet-5's convolutions, a few NumPy calls per block of 8 images, run 1.0x to 1.4x faster on two;
- two threads each running forward and backward of half a LeNet-5 batch are no faster than one thread
  running both halves, and slower than one thread running the whole batch;
- conv2's kernel gradient on a worker, while this thread goes on down the input-gradient chain (what an
  engine that deferred leaf gradients would do), is no faster than the two in turn.
When another process holds a core, a LeNet-5 step slows down by about the share of the core it lost,
no more (bench/bench_busy.py measures it, beside PyTorch under the same load).

    autograd.set_num_threads(1)     # everything on the calling thread
    autograd.get_num_threads()      # default: the cores this process may use
"""

from __future__ import annotations

import os
import threading

from threadpoolctl import ThreadpoolController


def _usable_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


_state = {"threads": _usable_cores(), "workers": []}
_busy = threading.Lock()  # held by the run() that uses the workers, and by set_num_threads
_inside = threading.local()  # set in the workers: a piece that runs an op runs its parts itself
_blas = ThreadpoolController().select(user_api="blas")  # found once: the libraries NumPy has loaded


def set_num_threads(n: int) -> None:
    """Use n threads (n >= 1) for tracegrad's big ops; 1 runs everything on the calling thread."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads: n must be an int >= 1; got {n!r}")
    with _busy:  # waits for a run() in another thread to finish with the workers
        if n != _state["threads"]:
            for worker in _state["workers"]:
                worker.stop()
            _state["workers"] = []
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
    """[fn(p) for p in pieces], the pieces run at the same time on the workers (the first on this thread).

    Piece i runs on thread i mod T (T = get_num_threads(), thread 0 is the caller). Results come back in
    the order of the pieces, so what is made from them is deterministic. A run() while another thread's
    run() has the workers, or inside a worker, runs its pieces on the calling thread, one after another.
    """
    if len(pieces) <= 1 or getattr(_inside, "worker", False) or not _busy.acquire(blocking=False):
        return [fn(p) for p in pieces]
    try:
        count = min(_state["threads"], len(pieces))
        workers = _workers()[: count - 1]
        for j, worker in enumerate(workers, start=1):
            worker.give(fn, pieces[j::count])
        try:
            mine = [fn(p) for p in pieces[::count]]
        finally:  # the workers are waited for even when a piece here failed
            theirs = _collect(workers)
    finally:
        _busy.release()
    results = [None] * len(pieces)
    for j, done in enumerate([mine] + theirs):
        results[j::count] = done
    return results


class _Worker(threading.Thread):
    """One of tracegrad's threads. It sleeps on a lock until run() gives it pieces: a round trip takes
    8 to 9 microseconds here, where a queue and futures (concurrent.futures) took 11 to 99."""

    def __init__(self, name: str):
        super().__init__(name=name, daemon=True)
        self._go, self._done = threading.Lock(), threading.Lock()
        self._go.acquire()
        self._done.acquire()
        self._task = self._result = None
        self.start()

    def give(self, fn, pieces: list) -> None:
        self._task = (fn, pieces)
        self._go.release()

    def take(self) -> tuple[bool, object]:
        """(True, the results of its pieces) or (False, the exception one of them raised)."""
        self._done.acquire()
        outcome, self._result = self._result, None
        return outcome

    def stop(self) -> None:
        """End the thread once it is done with what it has. `_go` is locked while the thread waits or
        works; unlocked only between give() and the thread taking the task, and then it finds None."""
        self._task = None
        if self._go.locked():
            self._go.release()

    def run(self) -> None:
        _inside.worker = True
        while True:
            self._go.acquire()
            task, self._task = self._task, None  # read once: stop() may set None at any moment
            if task is None:
                return
            fn, pieces = task
            try:
                self._result = (True, [fn(p) for p in pieces])
            except BaseException as err:  # noqa: BLE001 (raised again in the caller's thread, by take)
                self._result = (False, err)
            self._done.release()


def _collect(workers: list[_Worker]) -> list[list]:
    """Wait for the workers' results; raise the first exception one of their pieces raised."""
    try:
        outcomes = [worker.take() for worker in workers]
    except BaseException:  # interrupted (Ctrl-C) while a worker was busy: retire the workers, start anew
        for worker in _state["workers"]:
            worker.stop()
        _state["workers"] = []
        raise
    for ok, value in outcomes:
        if not ok:
            raise value
    return [value for _, value in outcomes]


def _workers() -> list[_Worker]:
    """get_num_threads() - 1 workers, started the first time they are needed (the caller is the other)."""
    workers = _state["workers"]
    while len(workers) < _state["threads"] - 1:
        workers.append(_Worker(f"tracegrad-{len(workers) + 1}"))
    return workers


def _after_fork_in_child() -> None:
    """A forked child has only the thread that forked: its workers are gone, start new ones when needed."""
    global _busy
    _busy = threading.Lock()
    _state["workers"] = []


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)

limit_blas()  # on import: from here on, tracegrad's workers are what spreads the work
