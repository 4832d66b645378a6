"""Flicker: brightness that changes where nothing moves.

For each pair of consecutive distinct frames, the pixels where the optical flow is below
:data:`STATIC_PX` are the still part of the scene; the step's relative luminance change
there is ``log(mean(cur) / mean(prev))`` over those pixels (the same pixels in both frames).
A steady fade changes every step by the same amount; flicker changes it back and forth, so
the metric reads the fluctuation of this step series (see ``metrics.fluidity``).
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
                          min_share: float = MIN_STATIC_SHARE) -> float:
    """log of the mean-luminance ratio cur/prev over the still pixels (gray frames, levels);
    nan when too few pixels are still."""
    still = (flow_magnitude < static_px).view(np.uint8)
    if cv2.countNonZero(still) < min_share * still.size:
        return float("nan")
    a = cv2.mean(prev, mask=still)[0] + 1.0
    b = cv2.mean(cur, mask=still)[0] + 1.0
    return float(np.log(b / a))


class FlickerExtractor:
    """Per distinct frame: the relative luminance change of the still pixels since the
    previous distinct frame (natural log, ~ a fraction)."""

    name = "flicker"

    def __init__(self, static_px: float = STATIC_PX) -> None:
        self.static_px = static_px
        self._step: list[float] = []

    def update(self, ctx: FrameContext) -> None:
        if ctx.prev is None or ctx.is_duplicate:
            self._step.append(np.nan)
            return
        self._step.append(static_luminance_step(ctx.prev.gray, ctx.gray, ctx.flow_magnitude,
                                                self.static_px))

    def series(self) -> dict[str, np.ndarray]:
        return {"still_luminance_step": np.asarray(self._step, dtype=float)}

    def units(self) -> dict[str, str]:
        return {"still_luminance_step": "log ratio of mean luminance of still pixels, "
                                        "per step between distinct frames"}

    def events(self) -> dict[str, list[float]]:
        return {}
