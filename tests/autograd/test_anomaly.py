"""detect_anomaly: the first NaN or inf names the op, its phase, the shapes and the user's line."""

import inspect
import threading
import warnings

import numpy as np
import pytest

import autograd as ag
import nn
from autograd import AnomalyError, Tensor, detect_anomaly


def _line_of(marker: str) -> str:
    """'test_anomaly.py:<line>' of the source line in this file that contains `marker`."""
    lines = inspect.getsource(inspect.getmodule(_line_of)).splitlines()
    (number,) = [i + 1 for i, line in enumerate(lines) if marker in line and "_line_of" not in line]
    return f"test_anomaly.py:{number}"


@pytest.fixture(autouse=True)
def _quiet_numpy():
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        yield


def test_forward_anomaly_names_op_shapes_and_line():
    x = Tensor([1.0, 0.0, 2.0], requires_grad=True)
    with detect_anomaly(), pytest.raises(AnomalyError) as info:
        x.log()  # MARK-forward
    msg = str(info.value)
    assert "log produced inf in the forward pass" in msg
    assert _line_of("MARK-forward") in msg and "input shapes (3,), output shape (3,)" in msg
    assert x.grad is None


def test_backward_anomaly_names_the_forward_op_and_where_it_was_made():
    x = Tensor([4.0, 0.0, 1.0], requires_grad=True)
    with detect_anomaly():
        y = x**0.5  # MARK-made
        with pytest.raises(AnomalyError) as info:
            y.sum().backward()
    msg = str(info.value)
    assert "backward pass of 'pow'" in msg and _line_of("MARK-made") in msg
    assert "produced inf" in msg and "(3,)" in msg
    assert x.grad is None  # a failed backward changes no grad


def test_create_graph_backward_is_checked_too():
    x = Tensor([0.0, 1.0], requires_grad=True)
    with detect_anomaly():
        y = (x * x) ** 0.5  # |x|: its second derivative at 0 is infinite
        with pytest.raises(AnomalyError, match="backward pass of 'pow'"):
            ag.grad(y.sum(), x, create_graph=True)


def test_inputs_that_already_hold_nan_are_pointed_out():
    x = Tensor([np.nan, 1.0], requires_grad=True)
    with detect_anomaly(), pytest.raises(AnomalyError, match="input 0 already held NaN or inf"):
        x.tanh()


def test_without_detection_nan_propagates_silently_as_in_numpy():
    x = Tensor([1.0, 0.0], requires_grad=True)
    y = x.log()
    assert np.isneginf(y.data[1])
    y.sum().backward()
    assert np.isinf(x.grad.data[1])


def test_mode_is_restored_and_per_thread():
    from autograd.tensor import grad_mode_state

    with pytest.raises(AnomalyError), detect_anomaly():
        Tensor([0.0]).log()
    assert grad_mode_state.anomaly is False and grad_mode_state.current is None
    seen = {}
    inside, release = threading.Event(), threading.Event()

    def worker():
        with detect_anomaly():
            inside.set()
            release.wait(5)

    t = threading.Thread(target=worker)
    t.start()
    inside.wait(5)
    seen["main"] = Tensor([0.0]).log().data[0]  # no error here: the other thread's mode is its own
    release.set()
    t.join()
    assert np.isneginf(seen["main"])


def test_anomaly_inside_a_module_names_the_module_path():
    model = nn.LeNet5(seed=0)
    model.conv2.weight.data[0, 0, 0, 0] = np.inf
    x = np.ones((2, 1, 32, 32), dtype=np.float32)
    with detect_anomaly(), pytest.raises(AnomalyError) as info:
        model(x)
    msg = str(info.value)
    assert msg.startswith("LeNet5.conv2: detect_anomaly: correlate2d produced") and "(16, 6, 5, 5)" in msg
