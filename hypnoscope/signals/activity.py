"""Cutting's visual activity: how much consecutive frames differ, as a correlation.

Cutting, DeLong and Brunick (2011) measure a film's visual activity as one minus the
correlation between the luminance of near-adjacent frames. Here every distinct frame is
correlated with the previous distinct one on a 64 x 36 gray raster (the context's
``gray_small``), so the value is the same at any resolution; the analysis rate fixes "near".
"""

from __future__ import annotations

import numpy as np

from hypnoscope.signals.context import FrameContext


def frame_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of two equally sized rasters; 1.0 when both are flat and equal,
    0.0 when only one is flat."""
    a = a.ravel().astype(np.float64)
    b = b.ravel().astype(np.float64)
    a = a - a.mean()
    b = b - b.mean()
    na, nb = float(np.sqrt(a @ a)), float(np.sqrt(b @ b))
    if na < 1e-6 or nb < 1e-6:
        return 1.0 if na < 1e-6 and nb < 1e-6 else 0.0
    return float(a @ b / (na * nb))


class ActivityExtractor:
    """Per distinct frame: the correlation of its small gray raster with the previous
    distinct frame's."""

    name = "activity"

    def __init__(self) -> None:
        self._corr: list[float] = []

    def update(self, ctx: FrameContext) -> None:
        if ctx.prev is None or ctx.is_duplicate:
            self._corr.append(np.nan)
            return
        self._corr.append(frame_correlation(ctx.prev.gray_small, ctx.gray_small))

    def series(self) -> dict[str, np.ndarray]:
        return {"frame_correlation": np.asarray(self._corr, dtype=float)}

    def units(self) -> dict[str, str]:
        return {"frame_correlation": "Pearson r of consecutive distinct frames, -1..1"}

    def events(self) -> dict[str, list[float]]:
        return {}
