"""Focus: is the motion and change concentrated somewhere, and does that place hold?"""

from __future__ import annotations

import numpy as np

from hypnoscope.metrics.base import MetricSpec, SignalSet
from hypnoscope.signals.focus import PERSIST_LAGS_S, lag_name

FACTOR = "focus"

SPECS = (
    MetricSpec("motion_gini", "0..1", FACTOR,
               "motion-weighted mean Gini of the flow speed over a 6x8 grid (0: motion "
               "everywhere alike, 1: all in one cell)"),
    MetricSpec("change_gini", "0..1", FACTOR,
               "change-weighted mean Gini of the motion-compensated residual over the grid"),
    MetricSpec("focus_persistence", "s", FACTOR,
               "integrated autocorrelation time of the motion map (up to 4 s): how long "
               "the focus of motion stays in place"),
)


def nanmean(x: np.ndarray) -> float:
    """Mean of the finite values, nan when there are none (no warning)."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    return float(x.mean()) if len(x) else float("nan")


def weighted_mean(x: np.ndarray, w: np.ndarray) -> float:
    """Mean of ``x`` weighted by ``w`` over the entries where both are finite and w > 0."""
    x, w = np.asarray(x, dtype=float), np.asarray(w, dtype=float)
    ok = np.isfinite(x) & np.isfinite(w) & (w > 0)
    return float(np.average(x[ok], weights=w[ok])) if ok.any() else float("nan")


def persistence_time(lags: np.ndarray, corr: np.ndarray) -> float:
    """Integrated autocorrelation time (s) of a correlation curve that is 1 at lag 0 and
    ``corr`` at ``lags`` (nan where unmeasured): the area under the curve, negative values
    counted as 0, trapezoids up to the longest measured lag (so a focus held throughout
    gives about that lag, a lower bound). nan when nothing was measured."""
    lags = np.asarray(lags, dtype=float)
    corr = np.asarray(corr, dtype=float)
    ok = np.isfinite(corr)
    if not ok.any():
        return float("nan")
    x = np.concatenate([[0.0], lags[ok]])
    y = np.clip(np.concatenate([[1.0], corr[ok]]), 0.0, 1.0)
    return float(np.sum(0.5 * (y[1:] + y[:-1]) * np.diff(x)))


def compute(sig: SignalSet) -> dict[str, float]:
    motion = sig.get("motion")
    if not np.isfinite(motion).any():
        motion = np.ones(len(sig.t))
    corr = [nanmean(sig.get(lag_name(x))) for x in PERSIST_LAGS_S]
    return {
        "motion_gini": weighted_mean(sig.get("focus_motion_gini"), motion),
        "change_gini": weighted_mean(sig.get("focus_change_gini"), sig.get("focus_change")),
        "focus_persistence": persistence_time(np.asarray(PERSIST_LAGS_S), np.asarray(corr)),
    }
