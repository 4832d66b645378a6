"""The motion field's own rate of change: how quickly the motion itself evolves.

The flow is averaged over a 4 x 4 grid of cells into 16 velocity vectors (camera and object
motion alike), in frame diagonals per second. For each distinct frame with distinct
neighbours, the field's speed (RMS over cells of the two velocities around the frame) and
its acceleration (change of the cell velocities between the two steps, over the time
between the steps' midpoints) are recorded. Slowing a clip down by a factor k divides the
speed by k and the acceleration by k^2, so their ratio, a time (the motion time scale),
grows by k: the slow-motion indicator in ``metrics.pace``.
"""

from __future__ import annotations

import cv2
import numpy as np

from hypnoscope.signals.context import FrameContext

#: (columns, rows) of the velocity grid.
FIELD_GRID = (4, 4)


def cell_velocities(flow: np.ndarray, diagonal: float, dt: float) -> np.ndarray:
    """Mean flow per grid cell, (rows*cols, 2), in diagonals per second."""
    cells = cv2.resize(flow, FIELD_GRID, interpolation=cv2.INTER_AREA)
    return cells.reshape(-1, 2).astype(np.float64) / (diagonal * dt)


class MotionFieldExtractor:
    """Per distinct frame (stored at the middle of each distinct triple): RMS cell speed and
    RMS cell acceleration."""

    name = "motion_field"

    def __init__(self) -> None:
        self._last: tuple[int, float, np.ndarray] | None = None  # index, midpoint t, cells
        self._speed: list[float] = []
        self._accel: list[float] = []

    def update(self, ctx: FrameContext) -> None:
        self._speed.append(np.nan)
        self._accel.append(np.nan)
        if ctx.prev is None or ctx.is_duplicate or not ctx.dt > 0:
            if ctx.prev is None:
                self._last = None
            return
        v = cell_velocities(ctx.flow, ctx.diagonal, ctx.dt)
        mid = ctx.content_t - 0.5 * ctx.dt
        if self._last is not None:
            i_prev, mid_prev, v_prev = self._last
            if mid > mid_prev:
                acc = (v - v_prev) / (mid - mid_prev)
                i = ctx.prev.index
                self._speed[i] = float(np.sqrt(0.5 * ((v * v).sum(1) + (v_prev * v_prev).sum(1))
                                               .mean()))
                self._accel[i] = float(np.sqrt((acc * acc).sum(1).mean()))
        self._last = (ctx.index, mid, v)

    def series(self) -> dict[str, np.ndarray]:
        return {"field_speed": np.asarray(self._speed, dtype=float),
                "field_accel": np.asarray(self._accel, dtype=float)}

    def units(self) -> dict[str, str]:
        return {"field_speed": "RMS of 4x4 cell flow velocities, diagonals / s",
                "field_accel": "RMS of their change, diagonals / s^2"}

    def events(self) -> dict[str, list[float]]:
        return {}
