"""Focus: is the motion and change concentrated somewhere, and does that place hold?"""

from __future__ import annotations

import numpy as np

from hypnoscope.metrics.base import MetricSpec, SignalSet
from hypnoscope.signals.context import CELL_GRID

FACTOR = "focus"

SPECS = (
    MetricSpec("motion_gini", "0..1", FACTOR,
               "motion-weighted mean Gini of the flow speed over a 6x8 grid (0: motion "
               "everywhere alike, 1: all in one cell)"),
    MetricSpec("change_gini", "0..1", FACTOR,
               "change-weighted mean Gini of the motion-compensated residual over the grid"),
    MetricSpec("focus_persistence", "s", FACTOR,
               "mean time the focus of motion stays within one cell of where it started"),
)


def weighted_mean(x: np.ndarray, w: np.ndarray) -> float:
    """Mean of ``x`` weighted by ``w`` over the entries where both are finite and w > 0."""
    x, w = np.asarray(x, dtype=float), np.asarray(w, dtype=float)
    ok = np.isfinite(x) & np.isfinite(w) & (w > 0)
    return float(np.average(x[ok], weights=w[ok])) if ok.any() else float("nan")


#: A run of focus survives an interruption (no focus, or the focus elsewhere) this short, s,
#: if the focus comes back: one frame of flow failure does not end a held focus.
FOCUS_GAP_S = 0.3


def focus_runs(t: np.ndarray, cell: np.ndarray, cut: np.ndarray | None = None,
               cols: int = CELL_GRID[0], reach: int = 1,
               gap_s: float = FOCUS_GAP_S) -> np.ndarray:
    """Durations (s) of the runs of frames whose focus cell (row-major index on a grid of
    ``cols`` columns) stays within ``reach`` cells (Chebyshev distance) of the run's first
    cell. A cut ends the run; so does an interruption (no focus, or the focus elsewhere)
    longer than ``gap_s`` s, at the frame where it ends. A run lasts from its first to its
    last frame at its place plus one median frame interval."""
    t = np.asarray(t, dtype=float)
    cell = np.asarray(cell, dtype=float)
    if len(t) < 2:
        return np.zeros(0)
    step = float(np.median(np.diff(t)))
    cut = np.zeros(len(t), bool) if cut is None else np.nan_to_num(cut, nan=0.0) > 0
    runs: list[float] = []
    first = last = anchor = None
    i = 0
    while i < len(t):
        here = None if cut[i] or not np.isfinite(cell[i]) else divmod(int(cell[i]), cols)
        if anchor is not None and not cut[i]:
            if here is not None and max(abs(here[0] - anchor[0]),
                                        abs(here[1] - anchor[1])) <= reach:
                last = i
                i += 1
                continue
            if t[i] - t[last] <= gap_s + 1e-9:
                i += 1
                continue  # a short interruption: the run may go on
        if anchor is not None:
            runs.append(t[last] - t[first] + step)
            if not cut[i] and i > last + 1:
                i = last + 1  # the interruption may itself start the next run
                anchor = None
                continue
        first = last = i
        anchor = here
        i += 1
    if anchor is not None:
        runs.append(t[last] - t[first] + step)
    return np.asarray(runs, dtype=float)


def compute(sig: SignalSet) -> dict[str, float]:
    motion = sig.get("motion")
    if not np.isfinite(motion).any():
        motion = np.ones(len(sig.t))
    runs = focus_runs(sig.t, sig.get("focus_cell"), sig.get("cut"))
    return {
        "motion_gini": weighted_mean(sig.get("focus_motion_gini"), motion),
        "change_gini": weighted_mean(sig.get("focus_change_gini"), sig.get("focus_change")),
        "focus_persistence": float(runs.mean()) if len(runs) else float("nan"),
    }
