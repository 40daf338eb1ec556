"""Save and load a module's state (parameters and buffers) as .npz files (keys are the dotted names:
"conv1.weight", "bn1.running_mean"; each array keeps its dtype, e.g. num_batches_tracked stays int64).

    nn.save(model, "lenet.npz")
    nn.load(model, "lenet.npz")     # the file must match the model's names, shapes and dtypes

save() is atomic: it writes a temporary file beside the target, flushes and fsyncs it, then renames
it over the target (os.replace), so a crash or error never leaves a half-written file at `path`. If
`path` is a symlink, the file it points to is the target (the link stays a link, as with open()).
load() never half-loads: it reads and checks the whole file first (through load_state_dict), and on any
problem raises, naming the file, with the module unchanged. Files are read with allow_pickle=False.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile

import numpy as np

from nn.module import Module

__all__ = ["load", "save"]

_RESERVED = ("file", "allow_pickle")  # np.savez's own argument names cannot be array names


def save(module: Module, path) -> None:
    """Write module.state_dict() to `path` (exactly that name: no ".npz" is appended)."""
    path = os.fspath(path)
    state = module.state_dict()
    clash = [k for k in state if k in _RESERVED]
    if clash:
        raise ValueError(f"save: cannot store parameters named {clash} (np.savez reserves those names)")
    target = os.path.realpath(path)  # a symlink is written through: its target gets the new weights
    if os.path.isdir(target):
        raise IsADirectoryError(f"save: cannot write {path}: it is a directory")
    directory = os.path.dirname(target)
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"save: cannot write {path}: the directory {directory} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **state)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _file_mode(target))  # mkstemp makes it private (0600); give it a normal file's mode
        os.replace(tmp, target)  # in the target's own directory, so the rename is atomic
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_directory(directory)


def load(module: Module, path) -> None:
    """Read `path` (written by save) into the module's parameters and buffers: all of them, or nothing.

    Raises FileNotFoundError if there is no such file, ValueError if it is not a readable .npz file or
    does not match the module (missing or unexpected names, wrong shapes or dtypes).
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"load: {path}: no such file")
    with open(path, "rb") as f:
        head = f.read(6)
    if not head.startswith(b"PK"):  # every .npz is a zip archive
        problem = ("it holds a single .npy array" if head == b"\x93NUMPY" else
                   "it is empty" if not head else "it does not start with the zip signature")
        raise ValueError(f"load: {path} is not a .npz file ({problem})")
    try:
        with np.load(path, allow_pickle=False) as f:
            state = {name: f[name] for name in f.files}  # reads (and decompresses) every array now
    except Exception as err:  # a damaged file can fail in zipfile, zlib, the .npy parser or pickle refusal
        raise ValueError(f"load: {path} is not a readable .npz file ({type(err).__name__}: {err})") from err
    try:
        module.load_state_dict(state)
    except ValueError as err:
        raise ValueError(f"load: {path} does not fit the module: {err}") from err


def _file_mode(path: str) -> int:
    """The target's current permissions, or the default for a new file (0666 minus the umask)."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _fsync_directory(directory: str) -> None:
    """Make the rename itself durable (POSIX); a no-op where directories cannot be opened."""
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
