"""Focus: where in the frame motion and change happen, and whether that place holds.

For each distinct frame, the optical-flow speed and the motion-compensated residual are
averaged over a fixed 6 x 8 grid of cells. Their normalised Gini coefficients say how
concentrated they are (0: spread evenly over the frame, 1: all in one cell). The cell with
the most motion is the focus of the frame when it stands out (at least
:data:`FOCUS_MIN_CONTRAST` times the mean cell). How long the focus stays in place is read
from the correlation of the motion map of a frame with a focus (zero-mean, unit-norm over the
cells) with the map :data:`PERSIST_LAGS_S` seconds earlier: a focus that holds keeps the map
correlated, a focus that moves does not.
"""

from __future__ import annotations

from collections import deque

import cv2
import numpy as np

from hypnoscope.signals.context import CELL_GRID, FrameContext, pixel_grid
from hypnoscope.signals.wander import spans_cut

#: The focus cell must move at least this many times the mean cell speed.
FOCUS_MIN_CONTRAST = 2.0
#: ... and at least this fast, frame diagonals / s (below it nothing really moves).
FOCUS_MIN_SPEED = 0.01
#: Lags (s) at which motion maps are correlated; the frame used is the nearest one within
#: 0.7 to 1.4 times the lag.
PERSIST_LAGS_S = (0.25, 0.5, 1.0, 2.0, 4.0)


def lag_name(lag: float) -> str:
    """Series name of the motion-map correlation at ``lag`` s, e.g. ``focus_corr_0.5s``."""
    return f"focus_corr_{lag:g}s"


def motion_map(speed: np.ndarray) -> np.ndarray | None:
    """Zero-mean, unit-norm motion map of a frame (cells flattened), or None when the frame
    has no focus (see :func:`focus_cell`): motion spread evenly has no place to hold, and
    normalising it would only magnify the flow's small systematic errors."""
    v = np.asarray(speed, dtype=np.float64).ravel()
    if np.isnan(focus_cell(v, min_level=FOCUS_MIN_SPEED)):
        return None
    v = v - v.mean()
    n = float(np.linalg.norm(v))
    return v / n if n > 1e-12 else None


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
    level (its weight), the focus cell (carried over on duplicate frames) and the
    correlation of the motion map with the maps ``PERSIST_LAGS_S`` earlier (dropped across
    the cuts that ``cut_source``'s ``cut`` series marks)."""

    name = "focus"

    def __init__(self, cut_source=None) -> None:
        self._cols: dict[str, list[float]] = {
            k: [] for k in ("focus_motion_gini", "focus_change_gini", "focus_change",
                            "focus_cell", *map(lag_name, PERSIST_LAGS_S))}
        self._lags: dict[str, list[float]] = {lag_name(x): [] for x in PERSIST_LAGS_S}
        self._t: list[float] = []
        self._maps: deque[tuple[float, np.ndarray | None]] = deque()
        self.cut_source = cut_source

    def _correlations(self, t: float, z: np.ndarray | None) -> dict[str, float]:
        """Correlation of map ``z`` with the stored map nearest each lag back, and the lags
        actually used (under ``lag:<name>``)."""
        out: dict[str, float] = {}
        for lag in PERSIST_LAGS_S:
            best, err = None, float("inf")
            for tp, zp in self._maps:
                d = t - tp
                if 0.7 * lag <= d <= 1.4 * lag and abs(d - lag) < err:
                    best, err = (tp, zp), abs(d - lag)
            if z is not None and best is not None and best[1] is not None:
                out[lag_name(lag)] = float(np.dot(z, best[1]))
                out["lag:" + lag_name(lag)] = t - best[0]
        return out

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
            z = motion_map(speed)
            values.update(self._correlations(ctx.t, z))
            self._maps.append((ctx.t, z))
            while self._maps and ctx.t - self._maps[0][0] > 1.4 * PERSIST_LAGS_S[-1] + 1e-6:
                self._maps.popleft()
        self._t.append(ctx.t)
        for k, col in self._cols.items():
            col.append(values.get(k, np.nan))
        for k, col in self._lags.items():
            col.append(values.get("lag:" + k, np.nan))

    def series(self) -> dict[str, np.ndarray]:
        out = {k: np.asarray(v, dtype=float) for k, v in self._cols.items()}
        cut = None
        if self.cut_source is not None:
            cut = self.cut_source.series().get("cut")
        if cut is not None and len(cut) == len(self._t):
            t = np.asarray(self._t)
            cut_t = t[np.nan_to_num(np.asarray(cut, dtype=float), nan=0.0) > 0]
            for k, lags in self._lags.items():  # maps across a cut belong to two shots
                out[k][spans_cut(t, np.asarray(lags), cut_t)] = np.nan
        return out

    def units(self) -> dict[str, str]:
        return {"focus_motion_gini": "0..1", "focus_change_gini": "0..1",
                "focus_change": "gray levels (mean motion-compensated residual)",
                "focus_cell": f"cell index, row-major on a {CELL_GRID[1]}x{CELL_GRID[0]} "
                              "grid (null: no focus)",
                **{lag_name(x): f"-1..1 (motion-map correlation with {x:g} s earlier)"
                   for x in PERSIST_LAGS_S}}

    def events(self) -> dict[str, list[float]]:
        return {}
