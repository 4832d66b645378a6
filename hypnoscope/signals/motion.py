"""Motion from dense optical flow (DIS) at the analysis size.

Every value is normalised by the frame diagonal and by the real time between the two frames,
so the unit is *frame diagonals per second* and the same content measures the same at any
resolution or frame rate.
"""

from __future__ import annotations

import numpy as np

from hypnoscope.signals.context import FrameContext


class MotionExtractor:
    """Mean flow magnitude and global (median) flow per frame, in diagonals per second."""

    name = "motion"

    def __init__(self) -> None:
        self._energy: list[float] = []
        self._gx: list[float] = []
        self._gy: list[float] = []

    def update(self, ctx: FrameContext) -> None:
        if ctx.prev is None or ctx.is_duplicate or not ctx.dt > 0:
            for s in (self._energy, self._gx, self._gy):
                s.append(np.nan)
            return
        scale = 1.0 / (ctx.diagonal * ctx.dt)
        flow = ctx.flow
        self._energy.append(float(ctx.flow_magnitude.mean()) * scale)
        self._gx.append(float(np.median(flow[..., 0])) * scale)
        self._gy.append(float(np.median(flow[..., 1])) * scale)

    def series(self) -> dict[str, np.ndarray]:
        return {"motion": np.asarray(self._energy, dtype=float),
                "global_dx": np.asarray(self._gx, dtype=float),
                "global_dy": np.asarray(self._gy, dtype=float)}

    def units(self) -> dict[str, str]:
        u = "frame diagonals / s"
        return {"motion": u, "global_dx": u, "global_dy": u}

    def events(self) -> dict[str, list[float]]:
        return {}
