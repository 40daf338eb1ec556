"""Train LeNet-5 on the bundled handwritten digits.

    python -m nn.train                      # 30 epochs, SGD lr 0.05, momentum 0.9, batch 100, seed 0
    python -m nn.train --epochs 5 --save lenet5.npz

Each epoch shows a progress bar with the running loss and accuracy; the test accuracy on the 1,000
held-out images is printed at the end of every epoch. `fit` and `evaluate` are the same loop for
notebooks: `fit` returns the history (loss, train and test accuracy per epoch) for plotting.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import os
import sys
import tempfile
import time

import numpy as np

from autograd import Tensor, no_grad
from nn.data import batches, load_digits
from nn.functional import accuracy, cross_entropy
from nn.models import LeNet5
from nn.module import Module
from nn.optim import SGD
from nn.serialize import save

if importlib.util.find_spec("ipywidgets"):  # a widget bar in Jupyter, a text bar elsewhere
    from tqdm.auto import tqdm
else:
    from tqdm import tqdm


def evaluate(model: Module, x: np.ndarray, y: np.ndarray, batch_size: int = 500) -> float:
    """Accuracy of `model` on (x, y), in eval mode and without recording a graph."""
    was_training = model.training
    model.eval()
    correct = 0
    with no_grad():
        for xb, yb in batches(x, y, batch_size, shuffle=False):
            correct += accuracy(model(Tensor(xb)), yb) * len(yb)
    model.train(was_training)
    return correct / len(y)


def fit(model: Module, data, epochs: int = 30, lr: float = 0.05, momentum: float = 0.9,
        batch_size: int = 100, seed: int = 0, progress: bool = True) -> dict[str, list[float]]:
    """Train with SGD on data = (x_train, y_train, x_test, y_test); returns the per-epoch history."""
    x_train, y_train, x_test, y_test = data
    rng = np.random.default_rng(seed)
    optimizer = SGD(model.parameters(), lr=lr, momentum=momentum)
    history = {"loss": [], "train_accuracy": [], "test_accuracy": []}
    model.train()
    for epoch in range(1, epochs + 1):
        total_loss = total_correct = seen = 0.0
        bar = tqdm(batches(x_train, y_train, batch_size, rng=rng), total=-(-len(y_train) // batch_size),
                   desc=f"epoch {epoch:>2}/{epochs}", disable=not progress, leave=False, file=sys.stdout)
        for xb, yb in bar:
            logits = model(Tensor(xb))                          # (B, 10)
            loss = cross_entropy(logits, yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total_loss += loss.item() * len(yb)
            total_correct += accuracy(logits, yb) * len(yb)
            seen += len(yb)
            bar.set_postfix(loss=f"{total_loss / seen:.4f}", acc=f"{total_correct / seen:.3f}")
        history["loss"].append(total_loss / seen)
        history["train_accuracy"].append(total_correct / seen)
        history["test_accuracy"].append(evaluate(model, x_test, y_test))
        if progress:
            print(f"epoch {epoch:>2}/{epochs}  loss {history['loss'][-1]:.4f}  "
                  f"train accuracy {history['train_accuracy'][-1]:.4f}  "
                  f"test accuracy {history['test_accuracy'][-1]:.4f}")
    return history


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nn.train", description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=30,
                        help="passes over the 4,000 training digits (default: %(default)s)")
    parser.add_argument("--lr", type=float, default=0.05,
                        help="SGD learning rate, > 0 (default: %(default)s)")
    parser.add_argument("--momentum", type=float, default=0.9,
                        help="SGD momentum, in [0, 1) (default: %(default)s)")
    parser.add_argument("--batch-size", type=int, default=100,
                        help="digits per SGD step (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0,
                        help="initialisation and shuffling (default: %(default)s)")
    parser.add_argument("--save", metavar="PATH",
                        help="write the trained weights to this .npz file (checked before training)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars or per-epoch lines")
    args = parser.parse_args(argv)
    if args.epochs < 1 or args.batch_size < 1:
        parser.error("--epochs and --batch-size must be at least 1")
    if not 0 < args.lr < math.inf:
        parser.error(f"--lr must be a positive number, got {args.lr}")
    if not 0 <= args.momentum < 1:
        parser.error(f"--momentum must be in [0, 1), got {args.momentum}")
    if args.save:
        problem = _cannot_save(args.save)
        if problem:
            parser.error(f"--save {args.save}: {problem}")

    data = load_digits()
    model = LeNet5(seed=args.seed)
    print(f"LeNet-5 ({model.num_parameters():,} parameters) on {len(data[1]):,} training and "
          f"{len(data[3]):,} test digits; SGD lr {args.lr}, momentum {args.momentum}, "
          f"batch {args.batch_size}")
    start = time.perf_counter()
    history = fit(model, data, args.epochs, args.lr, args.momentum, args.batch_size, args.seed,
                  progress=not args.quiet)
    seconds = time.perf_counter() - start
    print(f"test accuracy {history['test_accuracy'][-1]:.4f} after {args.epochs} epochs ({seconds:.1f} s)")
    if args.save:
        save(model, args.save)
        print(f"weights saved to {args.save}")
    return 0


def _cannot_save(path: str) -> str | None:
    """Why the weights could not be written to `path`, or None: checked (and its directory made) before
    training, so that a bad --save fails in a second, not after the whole run."""
    target = os.path.realpath(path)  # through symlinks, as save() writes
    if os.path.isdir(target):
        return "is a directory (give a file name, e.g. lenet5.npz)"
    directory = os.path.dirname(target)
    try:
        os.makedirs(directory, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-test.", dir=directory)  # the only sure test
    except OSError as err:
        return f"cannot write in {directory} ({err.strerror or err})"
    os.close(fd)
    os.unlink(probe)
    return None


if __name__ == "__main__":
    raise SystemExit(main())
