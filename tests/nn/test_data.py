"""Tests for nn.data: the stored MNIST subset, the fixed split, normalisation and batches()."""

import hashlib

import numpy as np
import pytest

import nn
from nn import data

# sha256 of nn/mnist_5k.npz as written by scripts/build_digits.py; change only together with the file.
FILE_SHA256 = "f0e036c644351dde49039b3923ef10c09d98b197b9fc6c524a54a1b0e0dce47d"
# sha256 of the train then test indices into the stored arrays (int64, little-endian): a fixed split.
SPLIT_SHA256 = "5f305126eb1c945c84ffbda96ac88e81b27b0099ff6c8f471354cadbb3688b1b"


@pytest.fixture(scope="module")
def digits():
    return data.load_digits()


@pytest.fixture(scope="module")
def stored():
    """The stored arrays, read directly (not through the module's cache)."""
    with np.load(data.DATA_FILE, allow_pickle=False) as f:
        return f["images"], f["labels"]


@pytest.fixture
def fresh_cache():
    data._load_file.cache_clear()
    yield
    data._load_file.cache_clear()


def test_package_exposes_data():
    assert nn.data is data
    assert "data" in nn.__all__


def test_stored_file_is_pinned():
    assert hashlib.sha256(data.DATA_FILE.read_bytes()).hexdigest() == FILE_SHA256


def test_stored_arrays(stored):
    images, labels = stored
    assert images.dtype == np.uint8 and images.shape == (5000, 28, 28)
    assert labels.dtype == np.uint8 and labels.shape == (5000,)
    assert np.array_equal(np.bincount(labels), np.full(10, 500))


def test_shapes_and_dtypes(digits):
    x_train, y_train, x_test, y_test = digits
    assert x_train.shape == (4000, 1, 32, 32) and x_train.dtype == np.float32
    assert x_test.shape == (1000, 1, 32, 32) and x_test.dtype == np.float32
    assert y_train.shape == (4000,) and y_train.dtype == np.int64
    assert y_test.shape == (1000,) and y_test.dtype == np.int64
    assert all(a.flags.c_contiguous and a.flags.writeable for a in digits)


def test_stratified_split(digits):
    _, y_train, _, y_test = digits
    assert np.array_equal(np.bincount(y_train, minlength=10), np.full(10, 400))
    assert np.array_equal(np.bincount(y_test, minlength=10), np.full(10, 100))


def test_split_is_pinned_and_disjoint(stored):
    _, labels = stored
    train_idx, test_idx = data._split_indices(labels)
    assert len(np.union1d(train_idx, test_idx)) == 5000  # disjoint and together all 5,000 images
    digest = hashlib.sha256(train_idx.astype("<i8").tobytes() + test_idx.astype("<i8").tobytes())
    assert digest.hexdigest() == SPLIT_SHA256


def test_training_set_is_not_sorted_by_label(digits):
    _, y_train, _, y_test = digits
    assert len(np.unique(y_train[:100])) == 10
    assert np.count_nonzero(np.diff(y_train)) > 3000  # about 3,600 label changes for a random order
    assert np.count_nonzero(np.diff(y_test)) > 700


def test_train_set_is_normalised(digits):
    x_train = digits[0]
    assert abs(x_train.mean(dtype=np.float64)) < 1e-5
    assert abs(x_train.std(dtype=np.float64) - 1.0) < 1e-5


def test_normalisation_uses_training_statistics(digits, stored):
    x_train, y_train, x_test, y_test = digits
    images, labels = stored
    train_idx, test_idx = data._split_indices(labels)
    pad = ((0, 0), (2, 2), (2, 2))
    raw_train = np.pad(images[train_idx], pad).astype(np.float64)[:, None]
    raw_test = np.pad(images[test_idx], pad).astype(np.float64)[:, None]
    mean, std = raw_train.mean(), raw_train.std()
    np.testing.assert_allclose(x_train, (raw_train - mean) / std, rtol=0, atol=1e-6)
    np.testing.assert_allclose(x_test, (raw_test - mean) / std, rtol=0, atol=1e-6)
    assert np.array_equal(y_train, labels[train_idx]) and np.array_equal(y_test, labels[test_idx])
    # The test set's own statistics differ slightly: near, but not exactly, mean 0 and std 1.
    assert 1e-4 < abs(x_test.mean(dtype=np.float64)) < 0.05
    assert 1e-4 < abs(x_test.std(dtype=np.float64) - 1.0) < 0.05


def test_padding_border_is_normalised_zero(digits):
    x_train, _, x_test, _ = digits
    zero = x_train.min()  # pixel value 0, after normalisation
    assert -1.0 < zero < 0.0
    for x in (x_train, x_test):
        assert x.min() == zero
        for border in (x[..., :2, :], x[..., -2:, :], x[..., :, :2], x[..., :, -2:]):
            assert np.all(border == zero)
        assert np.all(x[..., 2:-2, 2:-2].max(axis=(-1, -2)) > zero)  # every image has strokes inside


def test_deterministic_across_calls(digits):
    again = data.load_digits()
    for a, b in zip(digits, again):
        assert np.array_equal(a, b)


def test_returns_copies():
    first = data.load_digits()
    reference = [a.copy() for a in first]
    for a in first:
        a[...] = 7
    second = data.load_digits()
    for a, b, ref in zip(first, second, reference):
        assert not np.shares_memory(a, b)
        assert np.array_equal(b, ref)


def test_pixels_look_like_mnist(stored):
    images, _ = stored
    assert images.min() == 0 and images.max() == 255
    assert 0.75 < np.mean(images == 0) < 0.85  # mostly background
    assert 0.08 < np.mean(images >= 128) < 0.2  # strokes
    assert np.all(images.max(axis=(1, 2)) >= 128)  # every image has ink
    # MNIST digits are centred (by centre of mass) in the 28x28 field: the outer 2-pixel frame holds
    # about 0.2% of the ink.
    ink = images.astype(np.float64)
    assert (ink.sum() - ink[:, 2:-2, 2:-2].sum()) / ink.sum() < 0.01


def test_classes_are_distinct_digits(stored):
    images, labels = stored
    x = images.reshape(5000, -1).astype(np.float64)
    means = np.stack([x[labels == c].mean(axis=0) for c in range(10)])
    dist = np.linalg.norm(means[:, None] - means[None], axis=-1)
    assert dist[~np.eye(10, dtype=bool)].min() > 500  # closest pair (4, 9) is about 680 apart
    # A nearest-class-mean classifier fitted on the training split gets about 81% of the test split.
    train_idx, test_idx = data._split_indices(labels)
    centroids = np.stack([x[train_idx][labels[train_idx] == c].mean(axis=0) for c in range(10)])
    pred = ((x[test_idx, None] - centroids[None]) ** 2).sum(axis=-1).argmin(axis=1)
    assert np.mean(pred == labels[test_idx]) > 0.7


def test_missing_file_error_names_file_and_fix(tmp_path, monkeypatch, fresh_cache):
    monkeypatch.setattr(data, "DATA_FILE", tmp_path / "mnist_5k.npz")
    with pytest.raises(FileNotFoundError, match=r"mnist_5k\.npz.*scripts/build_digits\.py"):
        data.load_digits()


@pytest.mark.parametrize(
    "content",
    [b"not a zip file", b"PK\x03\x04" + b"\x00" * 40],
    ids=["garbage", "truncated-zip"],
)
def test_corrupt_file_error_names_file_and_fix(tmp_path, monkeypatch, fresh_cache, content):
    path = tmp_path / "mnist_5k.npz"
    path.write_bytes(content)
    monkeypatch.setattr(data, "DATA_FILE", path)
    with pytest.raises(ValueError, match=r"mnist_5k\.npz is corrupt.*scripts/build_digits\.py"):
        data.load_digits()


def test_wrong_arrays_error(tmp_path, monkeypatch, fresh_cache):
    path = tmp_path / "mnist_5k.npz"
    np.savez_compressed(path, images=np.zeros((10, 28, 28), np.uint8), labels=np.zeros(10, np.uint8))
    monkeypatch.setattr(data, "DATA_FILE", path)
    with pytest.raises(ValueError, match=r"corrupt: images is uint8 \(10, 28, 28\).*build_digits\.py"):
        data.load_digits()


# --- batches -------------------------------------------------------------------------------------------


def _epoch(n=10, batch_size=4, **kwargs):
    x = np.arange(n * 3).reshape(n, 3)
    y = np.arange(n) * 10
    return list(data.batches(x, y, batch_size, **kwargs))


def test_batches_cover_every_example_once():
    out = _epoch(n=103, batch_size=16, rng=np.random.default_rng(0))
    assert [len(xb) for xb, _ in out] == [16] * 6 + [7]
    xs = np.concatenate([xb for xb, _ in out])
    ys = np.concatenate([yb for _, yb in out])
    assert np.array_equal(np.sort(ys), np.arange(103) * 10)  # every index exactly once
    assert np.array_equal(xs[:, 0] // 3 * 10, ys)  # x and y stay paired
    assert not np.array_equal(ys, np.arange(103) * 10)  # shuffled


def test_batches_last_batch_smaller_and_no_shuffle_keeps_order():
    out = _epoch(n=10, batch_size=4, shuffle=False)
    assert [yb.tolist() for _, yb in out] == [[0, 10, 20, 30], [40, 50, 60, 70], [80, 90]]
    assert [xb.shape for xb, _ in out] == [(4, 3), (4, 3), (2, 3)]
    assert [len(yb) for _, yb in _epoch(n=8, batch_size=4, shuffle=False)] == [4, 4]
    assert [len(yb) for _, yb in _epoch(n=3, batch_size=50, shuffle=False)] == [3]
    assert _epoch(n=0, batch_size=4) == []


def test_batches_shuffle_is_reproducible_with_a_seeded_rng():
    a = _epoch(n=50, batch_size=8, rng=np.random.default_rng(42))
    b = _epoch(n=50, batch_size=8, rng=np.random.default_rng(42))
    c = _epoch(n=50, batch_size=8, rng=np.random.default_rng(43))
    assert all(np.array_equal(ya, yb) for (_, ya), (_, yb) in zip(a, b))
    assert not all(np.array_equal(ya, yc) for (_, ya), (_, yc) in zip(a, c))


def test_batches_work_on_the_digits(digits):
    x_train, y_train, _, _ = digits
    xb, yb = next(data.batches(x_train, y_train, 64, rng=np.random.default_rng(0)))
    assert xb.shape == (64, 1, 32, 32) and xb.dtype == np.float32 and yb.dtype == np.int64


@pytest.mark.parametrize("batch_size", [0, -3])
def test_batches_rejects_bad_batch_size(batch_size):
    # Raised when batches() is called, before any iteration.
    with pytest.raises(ValueError, match=rf"batches: batch_size must be at least 1, got {batch_size}"):
        data.batches(np.zeros((5, 2)), np.zeros(5), batch_size)


def test_batches_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match=r"batches: x has 5 examples but y has 4"):
        data.batches(np.zeros((5, 2)), np.zeros(4), 2)


def test_batches_rejects_wrong_types():
    for bad in (2.5, True, "4"):
        with pytest.raises(TypeError, match="batches: batch_size must be an integer"):
            data.batches(np.zeros((5, 2)), np.zeros(5), bad)
    with pytest.raises(TypeError, match="batches"):
        data.batches(np.zeros((5, 2)), np.zeros(5), 2, rng=np.random.RandomState(0))
