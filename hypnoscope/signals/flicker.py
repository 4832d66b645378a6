"""Flicker: brightness that changes where nothing moves.

For each pair of consecutive distinct frames, the pixels where the optical flow is below
:data:`STATIC_PX` are the still part of the scene; the step's luminance change there is
``mean(cur) - mean(prev)`` over those pixels (the same pixels in both frames), recorded with
the luminance ``mean(prev)`` it happened at. A steady fade changes every step by the same
amount; flicker changes it back and forth, so the metric reads the second difference of the
luminance relative to its level (see ``metrics.fluidity``).
"""

from __future__ import annotations

import cv2
import numpy as np

from hypnoscope.signals.context import FrameContext

#: Flow magnitude (px at the analysis size, per step) under which a pixel is still.
STATIC_PX = 0.5
#: Least share of still pixels for a step to be measured.
MIN_STATIC_SHARE = 0.05


def static_luminance_step(prev: np.ndarray, cur: np.ndarray, flow_magnitude: np.ndarray,
                          static_px: float = STATIC_PX,
                          min_share: float = MIN_STATIC_SHARE) -> tuple[float, float]:
    """(mean luminance change, mean luminance of ``prev``) over the still pixels (gray
    frames, levels); nans when too few pixels are still."""
    still = (flow_magnitude < static_px).view(np.uint8)
    if cv2.countNonZero(still) < min_share * still.size:
        return float("nan"), float("nan")
    a = cv2.mean(prev, mask=still)[0]
    b = cv2.mean(cur, mask=still)[0]
    return float(b - a), float(a)


class FlickerExtractor:
    """Per distinct frame: the luminance change of the still pixels since the previous
    distinct frame, and their luminance before it (levels)."""

    name = "flicker"

    def __init__(self, static_px: float = STATIC_PX) -> None:
        self.static_px = static_px
        self._step: list[float] = []
        self._level: list[float] = []

    def update(self, ctx: FrameContext) -> None:
        if ctx.prev is None or ctx.is_duplicate:
            self._step.append(np.nan)
            self._level.append(np.nan)
            return
        step, level = static_luminance_step(ctx.prev.gray, ctx.gray, ctx.flow_magnitude,
                                            self.static_px)
        self._step.append(step)
        self._level.append(level)

    def series(self) -> dict[str, np.ndarray]:
        return {"still_luminance_step": np.asarray(self._step, dtype=float),
                "still_luminance": np.asarray(self._level, dtype=float)}

    def units(self) -> dict[str, str]:
        return {"still_luminance_step": "gray levels: mean change of the still pixels, per "
                                        "step between distinct frames",
                "still_luminance": "gray levels: their mean before the step"}

    def events(self) -> dict[str, list[float]]:
        return {}
