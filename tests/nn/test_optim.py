"""Tests for nn.optim: SGD (momentum, weight decay) and Adam against the update rules of the PyTorch docs."""

import numpy as np
import pytest

import nn
from autograd import Tensor
from nn.optim import SGD, Adam

GRADS = [np.array([0.5, -1.0, 2.0]), np.array([0.25, 0.5, -1.0]), np.array([-0.75, 0.0, 0.5])]


def param(values=(1.0, -2.0, 0.5), dtype=np.float64):
    return nn.Parameter(np.array(values, dtype=dtype))


def run(opt, p, grads):
    """Set each gradient, step, and record the parameter after every step."""
    seen = []
    for g in grads:
        p.grad = Tensor(np.array(g, dtype=p.dtype))
        opt.step()
        seen.append(p.data.copy())
    return seen


# --- SGD ------------------------------------------------------------------------------------------


def test_sgd_plain():
    p = param()
    run(SGD([p], lr=0.1), p, GRADS[:1])
    np.testing.assert_allclose(p.data, [1.0 - 0.05, -2.0 + 0.1, 0.5 - 0.2], rtol=1e-15)


def test_sgd_momentum_weight_decay_by_hand():
    """p = 1, grad 0.5 twice, lr 0.1, momentum 0.9, weight decay 0.1, worked out on paper:
    step 1: g = 0.5 + 0.1 * 1 = 0.6;      b = 0.6;                  p = 1 - 0.06 = 0.94
    step 2: g = 0.5 + 0.1 * 0.94 = 0.594;  b = 0.9 * 0.6 + 0.594 = 1.134;   p = 0.94 - 0.1134 = 0.8266
    """
    p = param([1.0])
    seen = run(SGD([p], lr=0.1, momentum=0.9, weight_decay=0.1), p, [[0.5], [0.5]])
    np.testing.assert_allclose(np.concatenate(seen), [0.94, 0.8266], rtol=1e-14)


def test_sgd_momentum_weight_decay_matches_the_docs_formula():
    lr, mu, wd = 0.05, 0.8, 0.01
    p = param()
    seen = run(SGD([p], lr=lr, momentum=mu, weight_decay=wd), p, GRADS)
    x, b = np.array([1.0, -2.0, 0.5]), None
    for g, got in zip(GRADS, seen):  # torch.optim.SGD: g += wd x; b = g (first) or mu b + g; x -= lr b
        g = g + wd * x
        b = g.copy() if b is None else mu * b + g
        x = x - lr * b
        np.testing.assert_allclose(got, x, rtol=1e-14)


def test_sgd_keeps_float32_and_updates_in_place():
    p = param(dtype=np.float32)
    data = p.data
    run(SGD([p], lr=0.1, momentum=0.9), p, GRADS)
    assert p.dtype == np.float32 and p.data is data


# --- Adam -----------------------------------------------------------------------------------------


def adam_reference(x, grads, lr, betas, eps, wd):
    """torch.optim.Adam's documented algorithm (amsgrad off, maximize off), in NumPy."""
    b1, b2 = betas
    m, v, out = np.zeros_like(x), np.zeros_like(x), []
    for t, g in enumerate(grads, start=1):
        g = g + wd * x
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        x = x - lr * m_hat / (np.sqrt(v_hat) + eps)
        out.append(x)
    return out


@pytest.mark.parametrize("wd", [0.0, 0.1])
def test_adam_matches_the_docs_formula(wd):
    p = param()
    opt = Adam([p], lr=0.01, betas=(0.8, 0.9), eps=1e-6, weight_decay=wd)
    seen = run(opt, p, GRADS)
    expected = adam_reference(np.array([1.0, -2.0, 0.5]), GRADS, 0.01, (0.8, 0.9), 1e-6, wd)
    np.testing.assert_allclose(seen, expected, rtol=1e-14)


def test_adam_first_step_moves_each_entry_by_lr():
    """After bias correction, step 1 is lr * g / (|g| + eps): every entry moves by about lr."""
    p = param()
    run(Adam([p], lr=0.001), p, GRADS[:1])
    np.testing.assert_allclose(p.data - [1.0, -2.0, 0.5], [-0.001, 0.001, -0.001], rtol=1e-7)


def test_params_without_grad_are_skipped_and_their_state_waits():
    a, b = param(), param()
    opt = Adam([a, b], lr=0.01)
    a.grad = Tensor(GRADS[0])
    opt.step()  # b has no gradient: unchanged, and its step count stays 0
    np.testing.assert_array_equal(b.data, [1.0, -2.0, 0.5])
    assert id(b) not in opt.state and opt.state[id(a)]["step"] == 1
    b.grad = Tensor(GRADS[0])
    a.grad = None
    opt.step()
    np.testing.assert_allclose(b.data, adam_reference(np.array([1.0, -2.0, 0.5]), GRADS[:1], 0.01,
                                                      (0.9, 0.999), 1e-8, 0.0)[0], rtol=1e-14)
    sgd_p = param()
    SGD([sgd_p], lr=1.0, momentum=0.9).step()
    np.testing.assert_array_equal(sgd_p.data, [1.0, -2.0, 0.5])


def test_zero_grad_and_training_a_quadratic():
    target = np.array([3.0, -1.0])
    for make in (lambda ps: SGD(ps, lr=0.1, momentum=0.5), lambda ps: Adam(ps, lr=0.1)):
        p = nn.Parameter(np.zeros(2))
        opt = make([p])
        for _ in range(200):
            opt.zero_grad()
            assert p.grad is None
            ((p - Tensor(target)) ** 2).sum().backward()
            opt.step()
        np.testing.assert_allclose(p.data, target, atol=1e-3)


def test_optimizer_takes_module_parameters():
    model = nn.Linear(3, 2, rng=np.random.default_rng(0))
    opt = SGD(model.parameters(), lr=0.1)  # a generator is fine
    assert opt.params == [model.weight, model.bias]


# --- argument checks ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda p: SGD(p, lr=0.0), ValueError, r"SGD: lr must be in \(0.0, inf\), got 0.0"),
        (lambda p: SGD(p, lr=-1), ValueError, "SGD: lr must be in"),
        (lambda p: SGD(p, lr=float("nan")), ValueError, "SGD: lr must be in"),
        (lambda p: SGD(p, lr=True), TypeError, "SGD: lr must be a number"),
        (lambda p: SGD(p, lr=0.1, momentum=-0.5), ValueError, r"SGD: momentum must be in \[0.0"),
        (lambda p: SGD(p, lr=0.1, weight_decay=-1e-4), ValueError, "SGD: weight_decay must be in"),
        (lambda p: Adam(p, lr=0), ValueError, "Adam: lr must be in"),
        (lambda p: Adam(p, betas=(0.9, 1.0)), ValueError, r"Adam: beta2 must be in \[0.0, 1.0\), got 1.0"),
        (lambda p: Adam(p, betas=(-0.1, 0.9)), ValueError, "Adam: beta1 must be in"),
        (lambda p: Adam(p, betas=0.9), ValueError, "Adam: betas must be a pair"),
        (lambda p: Adam(p, eps=-1e-8), ValueError, "Adam: eps must be in"),
        (lambda p: Adam(p, weight_decay=-1.0), ValueError, "Adam: weight_decay must be in"),
    ],
)
def test_hyperparameter_checks(make, error, message):
    with pytest.raises(error, match=message):
        make([param()])


def test_parameter_list_checks():
    p = param()
    with pytest.raises(ValueError, match="SGD: got an empty parameter list"):
        SGD([], lr=0.1)
    with pytest.raises(TypeError, match="not a single Tensor"):
        SGD(p, lr=0.1)
    with pytest.raises(TypeError, match="Adam: parameter 1 is a ndarray, not a Tensor"):
        Adam([p, np.zeros(2)])
    with pytest.raises(ValueError, match="parameter 0 .* was made by 'mul'; only leaf tensors"):
        SGD([p * 2], lr=0.1)
    with pytest.raises(ValueError, match=r"parameter 1 \(shape \(3,\)\) appears more than once"):
        SGD([p, p], lr=0.1)


def test_against_torch_when_installed():
    """The same three steps in torch.optim give the same numbers (skipped without PyTorch)."""
    torch = pytest.importorskip("torch")
    for ours, theirs in [
        (lambda ps: SGD(ps, lr=0.05, momentum=0.8, weight_decay=0.01),
         lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.8, weight_decay=0.01)),
        (lambda ps: Adam(ps, lr=0.01, betas=(0.8, 0.9), eps=1e-6, weight_decay=0.1),
         lambda ps: torch.optim.Adam(ps, lr=0.01, betas=(0.8, 0.9), eps=1e-6, weight_decay=0.1)),
    ]:
        p = param()
        seen = run(ours([p]), p, GRADS)
        tp = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64, requires_grad=True)
        opt = theirs([tp])
        for g, got in zip(GRADS, seen):
            tp.grad = torch.tensor(g)
            opt.step()
            np.testing.assert_allclose(got, tp.detach().numpy(), rtol=1e-13)


def test_a_gradient_of_the_wrong_shape_changes_no_parameter():
    a, b = nn.Parameter(np.ones(3)), nn.Parameter(np.ones((2, 2)))
    a.grad, b.grad = Tensor(np.ones(3)), Tensor(np.ones((2, 2)))
    b.grad.data = np.ones((2, 1))  # replaced behind the check that assignment makes
    opt = nn.optim.SGD([a, b], lr=0.1)
    with pytest.raises(ValueError, match=r"SGD.step: the gradient of a parameter of shape \(2, 2\)"):
        opt.step()
    assert (a.data == 1).all() and (b.data == 1).all()
