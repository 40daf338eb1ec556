"""Gradient magnitude as colour, on a log scale that several pictures can share.

    scale = viz.GradientScale(1e-6, 1.0)      # pass the same scale to both drawings to compare them
    scale.color(0.01)                         # '#fd9f44': a hex colour between white (small) and red (big)

Below `low` (a vanished gradient) is white, above `high` full red; zero is white too.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

# white -> pale yellow -> orange -> red: black text stays readable on every step
_ANCHORS = [(255, 255, 255), (255, 247, 188), (254, 196, 79), (236, 112, 20), (204, 32, 32)]


class GradientScale:
    """Maps |gradient| in [low, high] to a colour, linearly in log10."""

    def __init__(self, low: float, high: float):
        if not (0 < low < high) or not math.isfinite(high):
            raise ValueError(f"GradientScale: need 0 < low < high (finite); got low={low!r}, high={high!r}")
        self.low, self.high = float(low), float(high)

    @classmethod
    def covering(cls, magnitudes: Iterable[float]) -> GradientScale:
        """The smallest scale holding every finite non-zero magnitude (a decade wide at least)."""
        mags = [abs(float(m)) for m in magnitudes if m and math.isfinite(m)]
        if not mags:
            return cls(1e-3, 1.0)
        low, high = max(min(mags), 1e-300), max(max(mags), 1e-299)  # below 1e-300 counts as vanished
        return cls(min(low, high / 10), high)

    def position(self, magnitude: float) -> float:
        """0 at or below low, 1 at or above high, log-linear between."""
        if not magnitude or not math.isfinite(magnitude):
            return 0.0 if not magnitude else 1.0
        decades = math.log10(self.high) - math.log10(self.low)
        t = (math.log10(abs(magnitude)) - math.log10(self.low)) / decades
        return min(1.0, max(0.0, t))

    def color(self, magnitude: float) -> str:
        t = self.position(magnitude) * (len(_ANCHORS) - 1)
        i = min(int(t), len(_ANCHORS) - 2)
        f = t - i
        rgb = [round(a + (b - a) * f) for a, b in zip(_ANCHORS[i], _ANCHORS[i + 1])]
        return "#{:02x}{:02x}{:02x}".format(*rgb)

    def __repr__(self) -> str:
        return f"GradientScale({self.low:.3g}, {self.high:.3g})"
