"""Tests for nn.save / nn.load: round trips, atomic writes, and bad files that change nothing."""

import io
import os
import stat

import numpy as np
import pytest

import nn
from nn import serialize


def snapshot(module):
    """Every parameter's bytes, dtype, shape and array identity: 'unchanged' means all of these."""
    return [(n, p.data.tobytes(), p.dtype, p.shape, id(p.data)) for n, p in module.named_parameters()]


def test_round_trip(tmp_path):
    src, dst = nn.LeNet5(seed=0), nn.LeNet5(seed=1)
    path = tmp_path / "lenet.npz"
    nn.save(src, path)
    with np.load(path, allow_pickle=False) as f:
        assert list(f.files) == [n for n, _ in src.named_parameters()]  # keys are the dotted names
        assert f["conv1.weight"].dtype == np.float32
    nn.load(dst, str(path))  # a str works as well as a Path
    for (n, a), (m, b) in zip(src.named_parameters(), dst.named_parameters()):
        assert n == m and a.data.tobytes() == b.data.tobytes() and a.data is not b.data
    x = np.random.default_rng(0).standard_normal((2, 1, 32, 32)).astype(np.float32)
    np.testing.assert_array_equal(src(x).data, dst(x).data)


def test_writes_exactly_the_given_name_and_no_temp_files(tmp_path):
    nn.save(nn.Linear(3, 2), tmp_path / "weights.bin")  # no ".npz" appended
    nn.save(nn.Linear(3, 2), tmp_path / "weights.bin")  # overwriting works
    assert os.listdir(tmp_path) == ["weights.bin"]
    nn.load(nn.Linear(3, 2), tmp_path / "weights.bin")


def test_file_modes(tmp_path):
    path = tmp_path / "m.npz"
    nn.save(nn.Linear(3, 2), path)
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask  # a normal file, not mkstemp's 0600
    path.chmod(0o640)
    nn.save(nn.Linear(3, 2), path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640  # overwriting keeps the target's mode


def test_failed_write_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    nn.save(nn.Linear(3, 2, rng=np.random.default_rng(0)), path)
    before = path.read_bytes()

    def broken_savez(file, *args, **kwds):
        file.write(b"PK\x03\x04 half an archive")  # a partial write into the temporary file ...
        raise OSError("disk full")  # ... then the failure

    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        nn.save(nn.Linear(3, 2, rng=np.random.default_rng(1)), path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.npz"]  # the temporary file is gone


def test_failed_first_write_leaves_nothing(tmp_path, monkeypatch):
    def broken_savez(file, *args, **kwds):
        file.write(b"junk")
        raise KeyboardInterrupt  # even an interrupt cleans up

    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(KeyboardInterrupt):
        nn.save(nn.Linear(3, 2), tmp_path / "new.npz")
    assert os.listdir(tmp_path) == []


def test_reserved_names_are_refused_before_writing(tmp_path):
    class Odd(nn.Module):
        def __init__(self):
            super().__init__()
            self.file = nn.Parameter(1.0)

    with pytest.raises(ValueError, match="np.savez reserves those names"):
        nn.save(Odd(), tmp_path / "odd.npz")
    assert os.listdir(tmp_path) == []


# --- bad files ------------------------------------------------------------------------------------


def _valid_state():
    return nn.LeNet5(seed=1).state_dict()


def _write_npz(path, state):
    buf = io.BytesIO()
    np.savez(buf, **state)
    path.write_bytes(buf.getvalue())


def _bad_file(case, path):
    """Write the bad file for `case`; return the expected exception type and message pattern."""
    if case == "missing":
        return FileNotFoundError, "no such file"
    if case == "empty":
        path.write_bytes(b"")
        return ValueError, r"is not a .npz file \(it is empty\)"
    if case == "random-bytes":
        path.write_bytes(b"\x00" + np.random.default_rng(0).bytes(4095))
        return ValueError, r"is not a .npz file \(it does not start with the zip signature\)"
    if case == "npy-not-npz":
        np.save(path.with_suffix(".npy"), np.zeros(3))
        path.with_suffix(".npy").rename(path)
        return ValueError, r"is not a .npz file \(it holds a single .npy array\)"
    if case == "truncated":
        _write_npz(path, _valid_state())
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif case == "corrupt-member":  # a zip whose first member's bytes are damaged
        _write_npz(path, _valid_state())
        raw = bytearray(path.read_bytes())
        raw[60:200] = bytes(140)
        path.write_bytes(bytes(raw))
    elif case == "pickled-object-array":
        _write_npz(path, {**_valid_state(), "conv1.bias": np.array([object()] * 6)})
    else:
        state = _valid_state()
        if case == "missing-key":
            del state["fc2.bias"]
            match = r"missing keys: 'fc2.bias'"
        elif case == "extra-key":
            state["fc3.weight"] = np.zeros((2, 2), np.float32)
            match = r"unexpected keys: 'fc3.weight'"
        elif case == "wrong-shape":
            state["conv2.weight"] = np.zeros((16, 6, 3, 3), np.float32)
            match = r"'conv2.weight' has shape \(16, 6, 3, 3\), expected \(16, 6, 5, 5\)"
        else:  # wrong dtype
            state["fc1.weight"] = state["fc1.weight"].astype(np.float64)
            match = r"'fc1.weight' has dtype float64, expected float32"
        _write_npz(path, state)
        return ValueError, "does not fit the module: LeNet5.load_state_dict: " + match
    return ValueError, "is not a readable .npz file"


@pytest.mark.parametrize("case", [
    "missing", "empty", "truncated", "random-bytes", "npy-not-npz", "corrupt-member", "pickled-object-array",
    "missing-key", "extra-key", "wrong-shape", "wrong-dtype",
])
def test_bad_file_raises_names_the_file_and_changes_nothing(tmp_path, case):
    model = nn.LeNet5(seed=0)
    before = snapshot(model)
    path = tmp_path / "bad.npz"
    error, message = _bad_file(case, path)
    with pytest.raises(error) as info:
        nn.load(model, path)
    assert str(info.value).startswith(f"load: {path}")
    assert info.match(message)
    assert snapshot(model) == before


def test_a_file_with_good_and_bad_entries_loads_nothing(tmp_path):
    model = nn.LeNet5(seed=0)
    before = snapshot(model)
    state = _valid_state()  # different values for every key ...
    state["fc2.bias"] = np.zeros(11, np.float32)  # ... but the last one is wrong
    _write_npz(tmp_path / "m.npz", state)
    with pytest.raises(ValueError, match="'fc2.bias' has shape"):
        nn.load(model, tmp_path / "m.npz")
    assert snapshot(model) == before


def test_load_uses_load_state_dicts_checks(tmp_path, monkeypatch):
    """load validates through Module.load_state_dict (one set of checks, not two)."""
    nn.save(nn.Linear(3, 2), tmp_path / "m.npz")
    calls = []
    monkeypatch.setattr(nn.Module, "load_state_dict", lambda self, state: calls.append(sorted(state)))
    serialize.load(nn.Linear(3, 2), tmp_path / "m.npz")
    assert calls == [["bias", "weight"]]


def test_save_into_a_missing_directory_names_it(tmp_path):
    model = nn.Linear(2, 2, rng=np.random.default_rng(0))
    with pytest.raises(FileNotFoundError, match="does not exist"):
        nn.save(model, tmp_path / "missing" / "w.npz")
    assert not (tmp_path / "missing").exists()


# --- symlinks and directories (issue 10, item 11) -------------------------------------------------


def test_save_through_a_symlink_writes_its_target_and_keeps_the_link(tmp_path):
    real_dir = tmp_path / "runs"
    real_dir.mkdir()
    target = real_dir / "lenet-v1.npz"
    nn.save(nn.Linear(3, 2, rng=np.random.default_rng(0)), target)
    link = tmp_path / "latest.npz"
    link.symlink_to(target)
    new = nn.Linear(3, 2, rng=np.random.default_rng(1))
    nn.save(new, link)
    assert link.is_symlink() and os.readlink(link) == str(target)  # still a link, to the same file
    loaded = nn.Linear(3, 2)
    nn.load(loaded, target)  # the target has the new weights
    np.testing.assert_array_equal(loaded.weight.data, new.weight.data)
    assert sorted(os.listdir(real_dir)) == ["lenet-v1.npz"] and sorted(os.listdir(tmp_path)) == [
        "latest.npz", "runs"]  # no temporary file left in either directory


def test_save_through_a_chain_of_relative_symlinks_and_a_dangling_one(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "b.npz").symlink_to("c.npz")  # dangling, relative: save creates a/c.npz
    (tmp_path / "link.npz").symlink_to("a/b.npz")
    model = nn.Linear(3, 2, rng=np.random.default_rng(2))
    nn.save(model, tmp_path / "link.npz")
    assert (tmp_path / "link.npz").is_symlink() and (tmp_path / "a" / "b.npz").is_symlink()
    assert not (tmp_path / "a" / "c.npz").is_symlink()
    loaded = nn.Linear(3, 2)
    nn.load(loaded, tmp_path / "a" / "c.npz")
    np.testing.assert_array_equal(loaded.weight.data, model.weight.data)


def test_save_through_a_symlink_keeps_the_targets_mode(tmp_path):
    target = tmp_path / "w.npz"
    nn.save(nn.Linear(3, 2), target)
    target.chmod(0o640)
    (tmp_path / "link.npz").symlink_to(target)
    nn.save(nn.Linear(3, 2), tmp_path / "link.npz")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_save_to_a_directory_names_it_and_writes_nothing(tmp_path):
    (tmp_path / "out").mkdir()
    with pytest.raises(IsADirectoryError, match="is a directory"):
        nn.save(nn.Linear(3, 2), tmp_path / "out")
    assert os.listdir(tmp_path / "out") == []
