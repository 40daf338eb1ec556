"""matplotlib figures: gradient magnitude against depth, and feature maps.

    fig = viz.gradient_vs_depth()       # |dC/dtheta| and |dC_res/dtheta| for n = 1..40, a few theta
"""

from __future__ import annotations

import numpy as np

from autograd import grad
from viz.chains import tanh_chain


def chain_gradients(ns, theta: float, skip: bool) -> np.ndarray:
    """|dC/dtheta| from the engine for each chain length in ns."""
    out = []
    for n in ns:
        x, c = tanh_chain(int(n), skip=skip, theta=theta)
        (g,) = grad(c, x)
        out.append(abs(g.item()))
    return np.array(out)


def gradient_vs_depth(max_n: int = 40, thetas=(0.5, 1.5, 3.0), ax=None):
    """Line plot (log scale) of |dC/dtheta| (solid) and |dC_res/dtheta| (dashed) against n."""
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=(6.4, 4.0), layout="constrained")
    else:
        fig = ax.figure
    ns = np.arange(1, max_n + 1)
    for k, theta in enumerate(thetas):
        color = f"C{k}"
        ax.plot(ns, chain_gradients(ns, theta, False), color=color, label=f"C = tanh^n, theta = {theta}")
        ax.plot(ns, chain_gradients(ns, theta, True), color=color, linestyle="--",
                label=f"C + theta, theta = {theta}")
    ax.set_yscale("log")
    ax.set_xlabel("n (number of tanh)")
    ax.set_ylabel("|dC/dtheta|")
    ax.set_title("The skip connection keeps the gradient alive")
    ax.legend(fontsize=7, ncol=2)
    ax.grid(True, which="both", alpha=0.3)
    return fig


def feature_maps(maps: np.ndarray, title: str = "", cols: int = 8, cmap: str = "gray"):
    """A grid of images: maps (K, H, W), e.g. one example's activations after a conv layer."""
    import matplotlib.pyplot as plt

    maps = np.asarray(maps)
    if maps.ndim != 3:
        raise ValueError(f"feature_maps: expected maps of shape (K, H, W), got {maps.shape}")
    rows = -(-len(maps) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.2, rows * 1.3 + (0.5 if title else 0.0)),
                             squeeze=False, layout="constrained")
    for ax in axes.flat:
        ax.axis("off")
    for ax, m, k in zip(axes.flat, maps, range(len(maps))):
        ax.imshow(m, cmap=cmap)
        ax.set_title(str(k), fontsize=7)
    if title:
        fig.suptitle(title)
    return fig
