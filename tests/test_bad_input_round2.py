"""Issue 10, "bad input accepted, or errors that do not name the op", and viz's module clusters (item 9).

Each test failed before the fix. Errors name the op and the shapes and change nothing; what NumPy
accepts, the ops accept with NumPy's answer (for axis 0 / -1 of a 0-d tensor: PyTorch's).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import autograd as ag
import nn
from autograd import Tensor, gradcheck, gradgradcheck, no_grad
from tests.checks import raises, unchanged, with_grad
from viz import draw_backward, draw_forward


# --- correlate2d: a kernel with an empty window ----------------------------------------------------


@pytest.mark.parametrize("w_shape", [(1, 1, 0, 3), (1, 1, 3, 0), (2, 1, 0, 0)], ids=str)
def test_correlate2d_rejects_a_kernel_with_an_empty_window(w_shape):
    x, w = with_grad((1, 1, 4, 4), 1), with_grad(w_shape, 2)
    with unchanged(x, w), raises(ValueError, "correlate2d", str(w_shape), "(1, 1, 4, 4)"):
        ag.correlate2d(x, w)  # was accepted: (1, 1, 0, 3) gave a (1, 1, 5, 2) output from 4 rows


def test_correlate2d_empty_batch_and_no_filters_stay_allowed():
    assert ag.correlate2d(Tensor(np.ones((0, 1, 4, 4))), Tensor(np.ones((2, 1, 3, 3)))).shape == (0, 2, 2, 2)
    assert ag.correlate2d(Tensor(np.ones((1, 1, 4, 4))), Tensor(np.ones((0, 1, 3, 3)))).shape == (1, 0, 2, 2)


# --- reshape: sizes must be integers ---------------------------------------------------------------


@pytest.mark.parametrize("shape", [(3.9, 2), (3.0, 2), (True, 6), ("6",), (None,)], ids=str)
def test_reshape_rejects_sizes_that_are_not_integers(shape):
    x = with_grad((6,))
    with unchanged(x), raises(TypeError, "reshape", repr(shape[0]), "(6,)"):
        x.reshape(*shape)  # (3.9, 2) became (3, 2)
    with unchanged(x), raises(TypeError, "reshape", repr(shape[0])):
        ag.reshape(x, shape)


def test_reshape_takes_what_numpy_takes():
    x = Tensor(np.arange(6.0))
    for shape in [(np.int64(2), 3), np.array([2, 3]), [2, 3], (-1, 3), np.int32(6), np.array(6)]:
        assert x.reshape(shape).shape == np.arange(6.0).reshape(shape).shape


# --- sum / max / mean / softmax of a 0-d tensor along axis 0 or -1 ----------------------------------


@pytest.mark.parametrize("axis", [0, -1, (0,), (-1,)], ids=str)
@pytest.mark.parametrize("name", ["sum", "max", "mean"])
def test_reductions_of_a_0d_tensor_along_axis_0_or_minus_1(name, axis):
    x = Tensor(1.5, requires_grad=True)
    y = getattr(x, name)(axis=axis)
    assert y.shape == () and y.item() == 1.5
    assert getattr(x, name)(axis=axis, keepdims=True).shape == ()
    y.backward()
    assert x.grad.item() == 1.0
    assert gradgradcheck(lambda t: getattr(t, name)(axis=axis) ** 2, [Tensor(1.5, requires_grad=True)])


@pytest.mark.parametrize("axis", [1, -2, (0, -1)], ids=str)
@pytest.mark.parametrize("name", ["sum", "max", "mean"])
def test_reductions_of_a_0d_tensor_along_other_axes_still_fail(name, axis):
    x = with_grad(())
    with unchanged(x), pytest.raises(ValueError, match=rf"{name}: .*\(\)"):
        getattr(x, name)(axis=axis)


@pytest.mark.parametrize("fn, value", [(nn.functional.softmax, 1.0), (nn.functional.log_softmax, 0.0)])
def test_softmax_of_a_0d_tensor(fn, value):
    x = Tensor(3.0, requires_grad=True)
    y = fn(x)
    assert y.shape == () and y.item() == value
    assert gradgradcheck(fn, [Tensor(3.0, requires_grad=True)])


@pytest.mark.parametrize("axis", [5, -3, 2], ids=str)
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_axis_out_of_range_names_the_function_and_the_shape(name, axis):
    x = with_grad((2, 3))
    with unchanged(x), raises(ValueError, name, str(axis), "(2, 3)"):
        getattr(nn.functional, name)(x, axis=axis)  # was a bare AxisError from np.max


# --- getitem: what NumPy takes ----------------------------------------------------------------------


A = np.arange(12.0).reshape(3, 4)


@pytest.mark.parametrize("index", [
    ((0,), 1), ((0, 2), 1), ((2, 0), (1, 3)), ((), 1),       # a tuple inside the index is a sequence
    (np.True_,), (np.False_,), (np.array(True),), (np.array(False),),  # 0-d bools add an axis of 1 or 0
    (Ellipsis, np.True_), (np.True_, slice(0, 2), [1, 2]), (None, np.True_, 1), (True, [0, 1]),
], ids=str)
def test_getitem_indexes_as_numpy(index):
    got = Tensor(A)[index]
    want = A[index]
    assert got.shape == want.shape
    np.testing.assert_array_equal(got.data, want)
    if want.size:
        assert gradcheck(lambda t: t[index], [Tensor(A.copy(), requires_grad=True)])
        assert gradgradcheck(lambda t: t[index] ** 2, [Tensor(A.copy(), requires_grad=True)])


def test_getitem_with_a_0d_bool_tensor():
    x = Tensor(A, requires_grad=True)
    assert x[Tensor(True)].shape == (1, 3, 4)   # was a bare ValueError about nonzero() of a 0-d array
    assert x[Tensor(False)].shape == (0, 3, 4)
    x[Tensor(True), 1].sum().backward()
    np.testing.assert_array_equal(x.grad.data, (np.arange(3) == 1)[:, None] * np.ones((3, 4)))


@pytest.mark.parametrize("index, mask", [
    (np.array([True, False]), (2,)),                         # shorter than the axis: was x[[0]]
    ((slice(None), np.array([True, False, True])), (3,)),
    ((Ellipsis, np.ones(2, bool)), (2,)),
    (np.ones((4, 3), bool), (4, 3)),
], ids=["short", "second axis", "after ...", "2-d"])
def test_getitem_bool_mask_must_match_its_axes(index, mask):
    x = with_grad((3, 4))
    with unchanged(x), raises(IndexError, "getitem", str(mask), "(3, 4)"):
        x[index]


# --- python -m viz with an --out it cannot write -----------------------------------------------------


def _cli(argv, capsys):
    from viz.__main__ import main

    with pytest.raises(SystemExit) as stop:
        main(argv)
    return stop.value.code, capsys.readouterr()


def test_viz_cli_out_is_a_file(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    for out in (blocker, blocker / "below"):
        code, io = _cli(["tanh-chain", "--n", "2", "--out", str(out)], capsys)
        assert code == 2 and io.out == ""
        lines = io.err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("python -m viz: error: --out") and str(out) in lines[0]
        assert "Traceback" not in io.err
    assert blocker.read_text() == "x"


def test_viz_cli_write_failing_midway_is_one_line(tmp_path, capsys, monkeypatch):
    import viz.__main__ as cli

    def fail(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path / "gradient-vs-depth.png"))

    monkeypatch.setattr(cli, "write_gradient_vs_depth", fail)
    code, io = _cli(["gradient-vs-depth", "--out", str(tmp_path)], capsys)
    assert code == 2 and "Traceback" not in io.err
    assert io.err.strip() == (f"python -m viz: error: could not write to --out {tmp_path}: Permission denied "
                              f"({tmp_path / 'gradient-vs-depth.png'})")


def test_viz_cli_checks_arguments_before_making_the_folder(tmp_path, capsys):
    code, io = _cli(["tanh-chain", "--n", "0", "--out", str(tmp_path / "new")], capsys)
    assert code == 2 and "--n must be at least 1" in io.err
    assert not (tmp_path / "new").exists()


# --- viz: names and titles with backslashes are drawn as typed ---------------------------------------


def _svg_texts(picture) -> tuple[list[str], int]:
    root = ET.fromstring(picture.pipe(format="svg"))
    texts = [e.text for e in root.iter() if e.tag.endswith("}text")]
    return texts, sum(1 for e in root.iter() if e.get("class") == "node")


def test_backslashes_in_names_and_titles_are_drawn_as_typed():
    def graph(*names):
        a, b, c = (Tensor(v, requires_grad=True, name=n) for v, n in zip((0.5, 2.0, 1.0), names))
        return a, (a * b).tanh() + c

    _, plain = graph("a", "b", "c")
    a, loss = graph(r"\N", r"\lambda", "c\\")
    texts, nodes = _svg_texts(draw_forward(loss, title="a\\"))
    assert texts[0] == "a\\"
    assert {r"\N", r"\lambda", "c\\"} <= set(texts)
    assert nodes == _svg_texts(draw_forward(plain, title="a"))[1]  # a trailing backslash swallows nothing
    texts, _ = _svg_texts(draw_backward(loss, wrt=a, title="end\\"))
    assert texts[0] == "end\\" and r"dL/d\N" in texts


# --- viz: module clusters come from the calls that made the drawn graph ------------------------------


@pytest.fixture(scope="module")
def digits():
    x, y, _, _ = nn.data.load_digits()
    return x[:6], y[:6]


def _clusters(picture) -> list[str]:
    return re.findall(r"subgraph cluster_\d+ \{\n\t*label=\"?([^\"\n]*)", picture.source)


def test_an_earlier_loss_keeps_its_clusters_after_an_evaluation_pass(digits):
    x, y = digits
    model = nn.LeNet5(seed=0)
    loss = nn.functional.cross_entropy(model(x[:2]), y[:2])
    before = draw_forward(loss, modules=model).source
    boxes = draw_forward(loss, modules=model, depth=1).source
    model.eval()
    with no_grad():
        model(x[2:4])
    model.train()
    later = nn.functional.cross_entropy(model(x[4:6]), y[4:6])
    assert draw_forward(loss, modules=model).source == before  # was 5 clusters instead of 7
    assert before.count("subgraph cluster_") == 7
    assert draw_forward(later, modules=model).source.count("subgraph cluster_") == 7
    assert draw_forward(loss, modules=model, depth=1).source == boxes
    assert "conv1: Conv2d" in boxes and "fc2: Linear" in boxes
