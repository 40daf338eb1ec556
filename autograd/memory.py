"""How tracegrad's arrays get their memory: freed memory is kept for the next step (glibc only).

A training step makes the same big temporary arrays every time (im2col columns, gradients of
activations: about 17 MB for a LeNet-5 step of 100 images) and frees them at the end. glibc's malloc
maps every array above its mmap threshold freshly from the kernel and gives memory at the top of its
heap back once more than its trim threshold is free, so each step can start on new pages that the
kernel must fault in and zero: measured here, about 2,250 page faults per LeNet-5 step, 1 to 3.5 ms of
a 10 ms step, varying from one process to the next with how the thresholds happened to adapt.

So on glibc, when autograd is imported, `keep_freed_memory()` fixes both thresholds high (mallopt):
arrays up to MMAP_THRESHOLD come from the heap, and up to TRIM_THRESHOLD of freed memory stays there
for the next step. Arrays bigger than MMAP_THRESHOLD are still mapped and given back when freed (there
a page fault costs little beside the work on the array), so the cost is at most TRIM_THRESHOLD of
memory kept after a peak, plus the holes a heap keeps. Measured with bench/bench_lenet.py: resident
memory before the first step 68 MiB, peak 138 MiB (130 without; a threshold of 32 MiB kept 138 MiB
from the start). Other C libraries are left alone.
"""

from __future__ import annotations

import ctypes
import os

MMAP_THRESHOLD = 4 * 2**20  # bytes: arrays up to this size come from the heap (a 100-image step's are)
TRIM_THRESHOLD = 64 * 2**20  # bytes of free heap kept for reuse
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt parameters, from glibc's malloc.h


def is_glibc() -> bool:
    """Whether this process runs on GNU libc (asked of the C library itself: no file is read)."""
    try:
        return os.confstr("CS_GNU_LIBC_VERSION").startswith("glibc")
    except (AttributeError, ValueError, OSError):  # not a POSIX system, or no such name here
        return False


def keep_freed_memory() -> bool:
    """Fix glibc malloc's mmap and trim thresholds (see above); False where the C library is not glibc."""
    if not is_glibc():
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the C library this process already has loaded
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))


KEPT = keep_freed_memory()  # on import, once: whether the thresholds were set
