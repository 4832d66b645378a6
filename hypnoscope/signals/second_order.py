"""Second-order temporal differences of frame features (after D3, ICCV 2025).

D3 detects generated video without training by the spread of the second-order differences
(the "acceleration") of per-frame features: camera footage fluctuates more there than
generated video. D3 uses a learned encoder's features; hypnoscope uses a cheap, fixed one:
the frame's gray levels area-averaged to 16 x 9 cells, in 0..1. For each distinct frame with
distinct neighbours the acceleration ``(v2 - v1) / ((t2 - t0) / 2)``, with ``v`` the feature
velocity over each real time step, is reduced to its RMS over the features.
"""

from __future__ import annotations

from collections import deque

import cv2
import numpy as np

from hypnoscope.signals.context import FrameContext

#: (width, height) of the feature raster.
FEATURE_GRID = (16, 9)


def frame_features(ctx: FrameContext) -> np.ndarray:
    """The per-frame feature vector: gray 16 x 9 cells in 0..1."""
    return cv2.resize(ctx.gray_small, FEATURE_GRID, interpolation=cv2.INTER_AREA).ravel() / 255.0


def feature_acceleration(f0: np.ndarray, f1: np.ndarray, f2: np.ndarray, t0: float,
                         t1: float, t2: float) -> float:
    """RMS over features of the second time derivative at the middle frame, per s^2."""
    v1 = (f1 - f0) / (t1 - t0)
    v2 = (f2 - f1) / (t2 - t1)
    a = (v2 - v1) / (0.5 * (t2 - t0))
    return float(np.sqrt((a * a).mean()))


class SecondOrderExtractor:
    """Per distinct frame (stored at the middle of each distinct triple): the RMS feature
    acceleration. Keeps the previous two distinct frames' features only."""

    name = "second_order"

    def __init__(self) -> None:
        self._recent: deque[tuple[int, float, np.ndarray]] = deque(maxlen=2)
        self._acc: list[float] = []

    def update(self, ctx: FrameContext) -> None:
        self._acc.append(np.nan)
        if ctx.is_duplicate:
            return
        f2, t2 = frame_features(ctx), ctx.content_t
        if len(self._recent) == 2:
            (_, t0, f0), (i1, t1, f1) = self._recent
            if t2 > t1 > t0:
                self._acc[i1] = feature_acceleration(f0, f1, f2, t0, t1, t2)
        self._recent.append((ctx.index, t2, f2))

    def series(self) -> dict[str, np.ndarray]:
        return {"feature_accel": np.asarray(self._acc, dtype=float)}

    def units(self) -> dict[str, str]:
        return {"feature_accel": "RMS second time derivative of 16x9 gray features (0..1), "
                                 "1 / s^2"}

    def events(self) -> dict[str, list[float]]:
        return {}
