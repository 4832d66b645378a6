"""Focus: where in the frame motion and change happen, and whether that place holds.

For each distinct frame, the optical-flow speed and the motion-compensated residual are
averaged over a fixed 6 x 8 grid of cells. Their normalised Gini coefficients say how
concentrated they are (0: spread evenly over the frame, 1: all in one cell). The cell with
the most motion is the focus of the frame when it stands out (at least
:data:`FOCUS_MIN_CONTRAST` times the mean cell); the metrics follow how long it stays.
"""

from __future__ import annotations

import cv2
import numpy as np

from hypnoscope.signals.context import CELL_GRID, FrameContext
from hypnoscope.signals.wander import pixel_grid

#: The focus cell must move at least this many times the mean cell speed.
FOCUS_MIN_CONTRAST = 2.0
#: ... and at least this fast, frame diagonals / s (below it nothing really moves).
FOCUS_MIN_SPEED = 0.01


def gini(x: np.ndarray) -> float:
    """Normalised Gini coefficient of non-negative values: 0 when all are equal, 1 when
    one holds everything (nan when all are zero or there are fewer than two)."""
    x = np.sort(np.clip(np.asarray(x, dtype=float).ravel(), 0.0, None))
    n = len(x)
    total = float(x.sum())
    if n < 2 or total <= 0:
        return float("nan")
    g = 2.0 * float(np.dot(np.arange(1, n + 1), x)) / (n * total) - (n + 1.0) / n
    return g * n / (n - 1.0)


def focus_cell(cells: np.ndarray, min_contrast: float = FOCUS_MIN_CONTRAST,
               min_level: float = 0.0) -> float:
    """Index (row-major) of the cell with the largest value when it is at least
    ``min_contrast`` times the mean and at least ``min_level``; nan otherwise."""
    c = np.asarray(cells, dtype=float).ravel()
    k = int(np.argmax(c))
    mean = float(c.mean())
    if c[k] < min_level or c[k] < min_contrast * mean or c[k] <= 0:
        return float("nan")
    return float(k)


def residual_cells(ctx: FrameContext) -> np.ndarray:
    """Mean motion-compensated residual (gray levels) per grid cell, counting only pixels
    whose flow source lies inside the previous frame (content entering at the border is not
    change); cells with no such pixel get 0."""
    h, w = ctx.gray.shape
    gx, gy = pixel_grid(h, w)
    mx = cv2.subtract(gx, ctx.flow[..., 0])
    my = cv2.subtract(gy, ctx.flow[..., 1])
    inside = ((mx >= 0) & (mx <= w - 1) & (my >= 0) & (my <= h - 1)).astype(np.float32)
    resid = cv2.multiply(cv2.absdiff(ctx.gray_f32, ctx.warped_prev), inside)
    num = cv2.resize(resid, CELL_GRID, interpolation=cv2.INTER_AREA)
    den = cv2.resize(inside, CELL_GRID, interpolation=cv2.INTER_AREA)
    return np.where(den > 1e-3, num / np.maximum(den, 1e-3), 0.0)


class FocusExtractor:
    """Per-frame Gini of motion and of unexplained change over the cell grid, the change
    level (its weight), and the focus cell (carried over on duplicate frames)."""

    name = "focus"

    def __init__(self) -> None:
        self._cols: dict[str, list[float]] = {
            k: [] for k in ("focus_motion_gini", "focus_change_gini", "focus_change",
                            "focus_cell")}

    def update(self, ctx: FrameContext) -> None:
        values: dict[str, float] = {}
        if ctx.is_duplicate and self._cols["focus_cell"]:
            # A held picture keeps its focus where it was (and measures nothing else).
            values["focus_cell"] = self._cols["focus_cell"][-1]
        elif ctx.prev is not None and not ctx.is_duplicate and ctx.dt > 0:
            speed = ctx.flow_cells / (ctx.diagonal * ctx.dt)
            values["focus_motion_gini"] = gini(speed)
            values["focus_cell"] = focus_cell(speed, min_level=FOCUS_MIN_SPEED)
            cells = residual_cells(ctx)
            values["focus_change_gini"] = gini(cells)
            values["focus_change"] = float(np.nanmean(cells))
        for k, col in self._cols.items():
            col.append(values.get(k, np.nan))

    def series(self) -> dict[str, np.ndarray]:
        return {k: np.asarray(v, dtype=float) for k, v in self._cols.items()}

    def units(self) -> dict[str, str]:
        return {"focus_motion_gini": "0..1", "focus_change_gini": "0..1",
                "focus_change": "gray levels (mean motion-compensated residual)",
                "focus_cell": f"cell index, row-major on a {CELL_GRID[1]}x{CELL_GRID[0]} "
                              "grid (null: no focus)"}

    def events(self) -> dict[str, list[float]]:
        return {}
