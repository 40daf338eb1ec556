"""GradientScale: |gradient| -> colour on a log scale; one scale shared between pictures."""

import math
import re

import numpy as np
import pytest

from viz import GradientScale, chain_activations, chain_derivative, draw_backward, draw_forward, tanh_chain

WHITE, RED = "#ffffff", "#cc2020"


def rgb(colour: str) -> tuple[int, int, int]:
    assert re.fullmatch(r"#[0-9a-f]{6}", colour), colour
    return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))


def luminance(colour: str) -> float:
    r, g, b = rgb(colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_ends_white_and_red():
    s = GradientScale(1e-4, 2.0)
    assert s.color(1e-4) == WHITE
    assert s.color(2.0) == RED
    assert s.position(1e-4) == 0.0 and s.position(2.0) == 1.0
    assert s.position(math.sqrt(1e-4 * 2.0)) == pytest.approx(0.5)  # linear in log10
    assert s.color(1e-4) != s.color(1e-3) != s.color(2.0)


def test_monotone_between():
    s = GradientScale(1e-6, 1.0)
    mags = np.logspace(-6, 0, 301)
    colours = [s.color(m) for m in mags]
    lum = [luminance(c) for c in colours]
    assert all(a >= b for a, b in zip(lum, lum[1:]))  # never lighter as the gradient grows
    coarse = [luminance(s.color(m)) for m in np.logspace(-6, 0, 13)]
    assert all(a > b for a, b in zip(coarse, coarse[1:]))  # and visibly darker step by step
    positions = [s.position(m) for m in mags]
    assert all(a < b for a, b in zip(positions, positions[1:]))
    # red and green only fall: white -> yellow -> orange -> red
    reds = [rgb(c)[0] for c in colours]
    greens = [rgb(c)[1] for c in colours]
    assert reds == sorted(reds, reverse=True) and greens == sorted(greens, reverse=True)


def test_clips_outside_and_takes_magnitudes():
    s = GradientScale(1e-3, 10.0)
    assert s.color(1e-9) == s.color(0.0) == s.color(1e-3) == WHITE
    assert s.color(1e6) == s.color(float("inf")) == s.color(10.0) == RED
    assert s.position(1e-9) == 0.0 and s.position(1e9) == 1.0
    assert s.color(-0.5) == s.color(0.5)  # the magnitude counts, not the sign


@pytest.mark.parametrize("low, high", [(1.0, 1.0), (2.0, 1.0), (0.0, 1.0), (-1e-3, 1.0), (1e-3, float("inf")),
                                       (float("nan"), 1.0), (1e-3, float("nan"))])
def test_rejects_bad_ranges(low, high):
    with pytest.raises(ValueError, match="low < high"):
        GradientScale(low, high)


def test_covering():
    s = GradientScale.covering([0.5, 1e-6, 1.0, 0.02])
    assert (s.low, s.high) == (1e-6, 1.0)
    assert s.color(1e-6) == WHITE and s.color(1.0) == RED
    s = GradientScale.covering([0.5])  # at least a decade wide
    assert (s.low, s.high) == pytest.approx((0.05, 0.5))
    s = GradientScale.covering([0.0, float("nan"), float("inf"), -3.0, 0.3, 2.0])  # ignored; |x| counts
    assert (s.low, s.high) == (0.3, 3.0)
    s = GradientScale.covering([])
    assert (s.low, s.high) == (1e-3, 1.0)
    s = GradientScale.covering(iter([np.float32(0.25), np.float64(4.0)]))  # any iterable, NumPy numbers
    assert (s.low, s.high) == (0.25, 4.0)
    assert "GradientScale(" in repr(s)


def test_covering_subnormal_magnitudes():
    """Tiny magnitudes still give a valid scale (low = high / 10 used to underflow to 0.0 and raise)."""
    for mags in ([1e-323], [5e-324, 1e-320], [1e-310]):
        s = GradientScale.covering(mags)
        assert 0 < s.low < s.high and math.isfinite(s.high)
        assert s.color(0.0) == WHITE and s.color(1.0) == RED


# --- one scale for two pictures: the skip connection keeps theta's gradient alive -------------------


@pytest.mark.parametrize("n", [30])
def test_shared_scale_shows_vanishing_versus_alive(n, dot_of):
    scale = GradientScale(1e-4, 2.0)
    theta, c = tanh_chain(n)
    theta_r, c_res = tanh_chain(n, skip=True)
    plain = dot_of(draw_forward(c, scale=scale, collapse=0))  # every tanh drawn, not one "tanh x 30"
    skip = dot_of(draw_forward(c_res, scale=scale, collapse=0))
    plain_theta = plain.nodes[plain.one("theta")]["fillcolor"]
    skip_theta = skip.nodes[skip.one("theta")]["fillcolor"]
    assert plain_theta == scale.color(chain_derivative(n, 0.5))
    assert skip_theta == scale.color(chain_derivative(n, 0.5, True))
    assert luminance(plain_theta) > luminance(skip_theta) + 20  # whiter: the gradient has vanished
    # the same holds for the output of the backward pictures
    plain_b = dot_of(draw_backward(c, wrt=theta, scale=scale, collapse=0))
    skip_b = dot_of(draw_backward(c_res, wrt=theta_r, scale=scale, collapse=0))
    pb = plain_b.nodes[plain_b.one("dC/dtheta")]["fillcolor"]
    sb = skip_b.nodes[skip_b.one("dC_res/dtheta")]["fillcolor"]
    assert (pb, sb) == (plain_theta, skip_theta)
    for d in (plain, skip, plain_b, skip_b):  # the legend: the graph label's caption line
        assert d.graph["label"].endswith("white 0.0001 .. red 2")
    # and a collapsed drawing (the default for a run of 30) colours its ends the same
    folded = dot_of(draw_forward(c, scale=scale))
    assert len(folded.value_nodes()) == 2
    assert folded.nodes[folded.one("theta")]["fillcolor"] == plain_theta
    assert folded.nodes[folded.one("C")]["fillcolor"] == scale.color(1.0)
    # every colour in the forward pictures is scale.color of the gradient the node shows
    a = chain_activations(n, 0.5)
    for d, is_skip in ((plain, False), (skip, True)):
        for k in range(1, n + 1):
            name = "C" if (k == n and not is_skip) else f"tanh{k}"
            node = d.one(name)
            exact = float(np.prod(1 - a[k:] ** 2))
            assert d.number(node, "grad") == pytest.approx(exact, rel=5e-4)
            assert d.nodes[node]["fillcolor"] == scale.color(exact)
        for x in d.value_nodes():  # theta, C_res too: the colour of the (rounded) value shown
            shown = rgb(scale.color(d.number(x, "grad")))
            assert max(abs(u - v) for u, v in zip(rgb(d.nodes[x]["fillcolor"]), shown)) <= 2


def test_default_scale_covers_each_picture(dot_of):
    """Without a shared scale each picture spans its own range, from its smallest gradient to its largest:
    without the skip theta's is the smallest (white), with it theta's is the largest (red)."""
    a = chain_activations(30, 0.5)
    _, c = tanh_chain(30)
    d = dot_of(draw_forward(c))
    assert d.nodes[d.one("theta")]["fillcolor"] == WHITE
    assert d.nodes[d.one("C")]["fillcolor"] == RED
    assert d.graph["label"] == (f"colour = |dC/d node| (rms for tensors), "
                                f"log scale: white {chain_derivative(30, 0.5):.4g} .. red 1")
    _, c_res = tanh_chain(30, skip=True)
    d = dot_of(draw_forward(c_res, collapse=0))
    low, high = float(np.prod(1 - a[1:] ** 2)), chain_derivative(30, 0.5, True)  # tanh1's, theta's
    assert d.graph["label"] == (f"colour = |dC_res/d node| (rms for tensors), "
                                f"log scale: white {low:.4g} .. red {high:.4g}")
    assert d.nodes[d.one("theta")]["fillcolor"] == RED
    assert d.nodes[d.one("tanh1")]["fillcolor"] == WHITE
    middle = GradientScale(low, high).color(1.0)
    assert d.nodes[d.one("C_res")]["fillcolor"] == middle and middle not in (WHITE, RED)
