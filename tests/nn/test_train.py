"""Training LeNet-5 on the bundled digits: the default run reaches 96%, the command line works."""

import subprocess
import sys

import numpy as np
import pytest

import nn
from nn.train import evaluate, fit


def test_default_training_reaches_96_percent():
    """The settings of `python -m nn.train` (30 epochs, SGD 0.05 / 0.9, batch 100, seed 0)."""
    data = nn.data.load_digits()
    model = nn.LeNet5(seed=0)
    history = fit(model, data, progress=False)
    assert len(history["test_accuracy"]) == 30
    assert history["test_accuracy"][-1] >= 0.96
    assert history["loss"][-1] < history["loss"][0] / 5
    assert evaluate(model, data[2], data[3]) == pytest.approx(history["test_accuracy"][-1])


def test_evaluate_restores_the_mode_and_records_nothing():
    x_train, y_train, _, _ = nn.data.load_digits()
    model = nn.LeNet5(seed=1)
    model.train()
    acc = evaluate(model, x_train[:50], y_train[:50])
    assert 0.0 <= acc <= 1.0 and model.training
    assert all(p.grad is None for p in model.parameters())


def test_command_line_trains_and_saves(tmp_path):
    path = tmp_path / "new" / "lenet5.npz"  # the directory is made
    out = subprocess.run([sys.executable, "-m", "nn.train", "--epochs", "1", "--quiet", "--save", str(path)],
                         capture_output=True, text=True, check=True).stdout
    assert "61,706 parameters" in out and "test accuracy" in out and str(path) in out
    accuracy = float(out.split("test accuracy ")[1].split()[0])
    assert 0.5 < accuracy <= 1.0  # one epoch already learns most digits
    model = nn.LeNet5(seed=123)
    nn.load(model, path)
    assert evaluate(model, *nn.data.load_digits()[2:]) == pytest.approx(accuracy)
    assert not np.allclose(model.conv1.weight.data, nn.LeNet5(seed=123).conv1.weight.data)
