"""The seed's toy model: the tanh^n chain and the demo table."""

import subprocess
import sys

import numpy as np
import pytest

from autograd import Tensor
from viz import chain_derivative, tanh_chain
from viz.__main__ import chain_table


def test_tanh_chain_structure():
    theta, c = tanh_chain(3)
    assert theta.name == "theta" and theta.requires_grad and theta.item() == 0.5
    ops = []
    node = c
    while node.op is not None:
        ops.append(node.op)
        node = node.parents[0]
    assert ops == ["tanh"] * 3 and node is theta
    theta, c_res = tanh_chain(3, skip=True)
    assert c_res.op == "add" and c_res.parents[1] is theta


def test_tanh_chain_accepts_a_tensor_and_rejects_bad_n():
    t = Tensor(0.2, requires_grad=True)
    theta, _ = tanh_chain(2, theta=t)
    assert theta is t
    for bad in (0, -1, 2.5):
        with pytest.raises(ValueError, match="tanh_chain"):
            tanh_chain(bad)


def test_table_second_derivative_matches_closed_form():
    rows = chain_table(3, 0.5)
    assert len(rows) == 6
    t = np.tanh(0.5)
    first = rows[0]
    assert first["dC"] == pytest.approx(1 - t**2) and first["closed"] == pytest.approx(1 - t**2)
    assert first["d2C"] == pytest.approx(-2 * t * (1 - t**2))
    for r in rows:
        assert r["dC"] == pytest.approx(chain_derivative(r["n"], 0.5, r["skip"]), rel=1e-12)
        # the skip adds theta, whose second derivative is 0
    for plain, skip in zip(rows[:3], rows[3:]):
        assert skip["d2C"] == pytest.approx(plain["d2C"])


def test_command_line_prints_the_table():
    out = subprocess.run([sys.executable, "-m", "viz", "table", "--n", "3"], capture_output=True,
                         text=True, check=True).stdout
    assert "C_res = tanh^n + theta" in out
    assert "0.78644773" in out  # 1 - tanh(0.5)^2, n = 1
    assert "1.78644773" in out  # the same plus the identity path
