"""Training LeNet-5 on the bundled digits: the default run reaches 96%, the command line works."""

import contextlib
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

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


# --- the command line: bad options fail at once, before any training (issue 10) -------------------


def _run(*args):
    return subprocess.run([sys.executable, "-W", "default", "-m", "nn.train", *args],
                          capture_output=True, text=True)


def test_a_bad_save_path_fails_before_training(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = _run("--epochs", "1", "--quiet", "--save", str(blocker / "sub" / "w.npz"))
    assert result.returncode == 2  # argparse's usage error, not a traceback after the run
    assert "Traceback" not in result.stderr and "test accuracy" not in result.stdout
    assert f"--save {blocker / 'sub' / 'w.npz'}: cannot write in {blocker / 'sub'}" in result.stderr


@pytest.fixture
def no_training(monkeypatch):
    """main() in this process, with fit() replaced by a failure: the checks must come first."""
    import nn.train as train

    def fit(*args, **kwds):
        raise AssertionError("training started")

    monkeypatch.setattr(train, "fit", fit)
    return train.main


@pytest.mark.parametrize("args, message", [
    (["--lr", "-0.1"], "--lr must be a positive number, got -0.1"),
    (["--lr", "0"], "--lr must be a positive number"),
    (["--lr", "nan"], "--lr must be a positive number"),
    (["--lr", "inf"], "--lr must be a positive number"),
    (["--momentum", "1.5"], r"--momentum must be in \[0, 1\), got 1.5"),
    (["--momentum", "1"], r"--momentum must be in \[0, 1\)"),
    (["--momentum", "-0.5"], r"--momentum must be in \[0, 1\)"),
    (["--epochs", "0"], "--epochs and --batch-size must be at least 1"),
    (["--save", "."], r"--save \.: is a directory"),
])
def test_bad_options_are_usage_errors(no_training, capsys, args, message):
    with pytest.raises(SystemExit) as info:
        no_training(args)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: python -m nn.train")
    assert re.search(message, err), err


def test_save_path_checks_follow_symlinks_and_make_the_directory(no_training, tmp_path):
    import nn.train as train

    assert train._cannot_save(str(tmp_path / "new" / "deeper" / "w.npz")) is None
    assert (tmp_path / "new" / "deeper").is_dir() and os.listdir(tmp_path / "new" / "deeper") == []
    (tmp_path / "to-dir").symlink_to(tmp_path / "new")
    assert "is a directory" in train._cannot_save(str(tmp_path / "to-dir"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_an_unwritable_directory_is_refused(no_training, tmp_path):
    import nn.train as train

    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        assert "cannot write in" in train._cannot_save(str(locked / "w.npz"))
    finally:
        locked.chmod(0o700)


def test_help_lists_defaults_and_warns_nothing():
    result = _run("--help")
    assert result.returncode == 0
    assert result.stderr == ""  # no RuntimeWarning about 'nn.train' found in sys.modules
    for option, default in [("--epochs", "30"), ("--lr", "0.05"), ("--momentum", "0.9"),
                            ("--batch-size", "100"), ("--seed", "0")]:
        line = " ".join(result.stdout.split(option, 2)[-1].split())  # the option's help, wrapped or not
        assert f"(default: {default})" in line.split("--")[0], (option, result.stdout)


def test_nn_train_is_still_reachable_as_an_attribute():
    code = "import nn, sys; assert 'nn.train' not in sys.modules; print(nn.train.fit.__name__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "fit"


# --- the newcomer's other rough edges (issue 10): make notebook as root, the README's first numbers --


def test_make_notebook_allows_root_only_as_root():
    root = Path(__file__).resolve().parents[2]
    if shutil.which("make") is None:
        pytest.skip("no make")
    out = subprocess.run(["make", "-n", "-C", str(root), "notebook"], capture_output=True, text=True,
                         check=True).stdout
    line = next(s for s in out.splitlines() if "jupyter lab" in s)
    assert ("--allow-root" in line) == (os.geteuid() == 0), line


def test_readme_first_example_prints_exactly_its_comments():
    root = Path(__file__).resolve().parents[2]
    block = (root / "README.md").read_text().split("```python\n", 1)[1].split("```", 1)[0]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block, "README.md", "exec"), {})
    comments = [line.split("#", 1)[1].strip() for line in block.splitlines() if line.startswith("print(")]
    assert out.getvalue().splitlines() == comments  # character for character: 0.3858, not 0.38577888...
