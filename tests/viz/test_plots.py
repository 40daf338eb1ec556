"""matplotlib figures: gradient magnitude against depth (the vanishing gradient), and feature maps."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from viz import chain_derivative, chain_gradients, feature_maps, gradient_vs_depth  # noqa: E402

THETAS = (0.5, 1.5, 3.0)


@pytest.fixture(scope="module")
def figure():
    fig = gradient_vs_depth(max_n=15)
    yield fig
    plt.close(fig)


def test_figure_has_a_solid_and_a_dashed_line_per_theta(figure):
    (ax,) = figure.axes
    lines = ax.get_lines()
    assert len(lines) == 2 * len(THETAS)
    assert [line.get_linestyle() for line in lines] == ["-", "--"] * len(THETAS)
    assert ax.get_yscale() == "log"
    for line in lines:
        assert list(line.get_xdata()) == list(range(1, 16))
    for k, theta in enumerate(THETAS):  # the same colour for one theta, with and without skip
        assert lines[2 * k].get_color() == lines[2 * k + 1].get_color()
        assert str(theta) in lines[2 * k].get_label() and "C + theta" in lines[2 * k + 1].get_label()


@pytest.mark.parametrize("k, theta", list(enumerate(THETAS)))
def test_plotted_values_are_the_closed_form(figure, k, theta):
    lines = figure.axes[0].get_lines()
    plain = np.asarray(lines[2 * k].get_ydata())
    skip = np.asarray(lines[2 * k + 1].get_ydata())
    ns = range(1, 16)
    assert plain == pytest.approx([chain_derivative(n, theta) for n in ns], rel=1e-12)
    assert skip == pytest.approx([chain_derivative(n, theta, True) for n in ns], rel=1e-12)
    assert np.all(np.diff(plain) < 0)  # vanishes with depth
    assert np.all(skip >= 1.0) and np.all(skip <= 2.0)  # the identity path keeps it alive
    assert plain[-1] < 0.5 * plain[0]


def test_chain_gradients_from_the_engine():
    g = chain_gradients([1, 3, 10], 0.7, False)
    assert g == pytest.approx([chain_derivative(n, 0.7) for n in (1, 3, 10)], rel=1e-12)
    g = chain_gradients([2], -0.7, True)  # magnitudes
    assert g == pytest.approx([abs(chain_derivative(2, -0.7, True))], rel=1e-12)


def test_gradient_vs_depth_draws_into_a_given_axes():
    fig, ax = plt.subplots()
    try:
        assert gradient_vs_depth(max_n=3, thetas=(0.5,), ax=ax) is fig
        assert len(ax.get_lines()) == 2
    finally:
        plt.close(fig)


def test_feature_maps():
    maps = np.arange(10 * 4 * 5, dtype=float).reshape(10, 4, 5)
    fig = feature_maps(maps, title="conv1", cols=4)
    try:
        images = [ax.images[0] for ax in fig.axes if ax.images]
        assert len(fig.axes) == 12 and len(images) == 10
        assert np.array_equal(images[3].get_array(), maps[3])
        assert fig._suptitle.get_text() == "conv1"
    finally:
        plt.close(fig)
    with pytest.raises(ValueError, match="K, H, W"):
        feature_maps(np.zeros((4, 5)))
