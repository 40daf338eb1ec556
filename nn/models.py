"""Two CNNs for the 32x32 digits: the seed text's simplified LeNet-5, and a small residual CNN.

Both take `seed` (None: a fresh random initialisation) and pass one generator through all their layers,
so the same seed gives the same parameters.
"""

from __future__ import annotations

import numpy as np

from autograd import as_tensor
from nn.layers import AvgPool2d, Conv2d, Flatten, Linear, MaxPool2d, ReLU, Residual, Sequential
from nn.module import Module

__all__ = ["LeNet5", "ResidualCNN"]


def _check_size(x, size: tuple[int, int], channels: int) -> None:
    """The FC head fixes the image size; the first conv checks the layout and the channels itself."""
    if x.ndim == 4 and x.shape[2:] != size:
        raise ValueError(f"expected input (N, {channels}, {size[0]}, {size[1]}), got {x.shape}")


class LeNet5(Module):
    """INPUT, [CONV, POOL] x 2, CONV, FC, FC (softmax is in the loss): (N, 1, 32, 32) -> logits (N, 10).

    CONV: 6, 16 and 120 filters of 5x5, stride 1, tanh; POOL: average 2x2, stride 2; FC 84 (tanh), FC 10.
    Parameters: 156 + 2,416 + 48,120 + 10,164 + 850 = 61,706.
    """

    def __init__(self, seed: int | None = None, dtype=np.float32):
        super().__init__()
        rng = np.random.default_rng(seed)
        self.conv1 = Conv2d(1, 6, 5, rng=rng, dtype=dtype)  # 6 * 1 * 25 + 6 = 156
        self.pool1 = AvgPool2d(2, 2)
        self.conv2 = Conv2d(6, 16, 5, rng=rng, dtype=dtype)  # 16 * 6 * 25 + 16 = 2,416
        self.pool2 = AvgPool2d(2, 2)
        self.conv3 = Conv2d(16, 120, 5, rng=rng, dtype=dtype)  # 120 * 16 * 25 + 120 = 48,120
        self.fc1 = Linear(120, 84, rng=rng, dtype=dtype)  # 120 * 84 + 84 = 10,164
        self.fc2 = Linear(84, 10, rng=rng, dtype=dtype)  # 84 * 10 + 10 = 850

    def forward(self, x):
        x = as_tensor(x)  # (N, 1, 32, 32)
        _check_size(x, (32, 32), 1)
        x = self.pool1(self.conv1(x).tanh())  # (N, 6, 28, 28) -> (N, 6, 14, 14)
        x = self.pool2(self.conv2(x).tanh())  # (N, 16, 10, 10) -> (N, 16, 5, 5)
        x = self.conv3(x).tanh()  # (N, 120, 1, 1)
        x = x.reshape(x.shape[0], 120)  # (N, 120)
        x = self.fc1(x).tanh()  # (N, 84)
        return self.fc2(x)  # (N, 10) logits


class ResidualCNN(Module):
    """conv 1->8 5x5 + relu, max pool, x + block(x) (two 3x3 convs, padding 1), relu, max pool, FC 10.

    (N, 1, 32, 32) -> (N, 8, 28, 28) -> (N, 8, 14, 14) -> residual (N, 8, 14, 14) -> (N, 8, 7, 7)
    -> (N, 392) -> logits (N, 10). Parameters: 208 + 2 * 584 + 3,930 = 5,306.
    """

    def __init__(self, seed: int | None = None, dtype=np.float32):
        super().__init__()
        rng = np.random.default_rng(seed)
        self.conv1 = Conv2d(1, 8, 5, rng=rng, dtype=dtype)
        self.pool1 = MaxPool2d(2)
        self.res1 = Residual(Sequential(
            Conv2d(8, 8, 3, padding=1, rng=rng, dtype=dtype),
            ReLU(),
            Conv2d(8, 8, 3, padding=1, rng=rng, dtype=dtype),
        ))
        self.pool2 = MaxPool2d(2)
        self.flatten = Flatten()
        self.fc = Linear(8 * 7 * 7, 10, rng=rng, dtype=dtype)

    def forward(self, x):
        x = as_tensor(x)  # (N, 1, 32, 32)
        _check_size(x, (32, 32), 1)
        x = self.pool1(self.conv1(x).relu())  # (N, 8, 14, 14)
        x = self.pool2(self.res1(x).relu())  # x + block(x), then (N, 8, 7, 7)
        return self.fc(self.flatten(x))  # (N, 392) -> (N, 10) logits
