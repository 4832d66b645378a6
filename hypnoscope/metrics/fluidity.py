"""Fluidity: does the video blend everything, with no sharp edges in time?

Cuts and gradual transitions, how predictable each frame is from its neighbours, how smooth
the camera path is, how much frame features jerk, EvalCrafter's warping error, flicker, and
the cadence of repeated frames. Every value is computed between distinct frames, on the
times their pictures first appeared, and never across a shot boundary.
"""

from __future__ import annotations

import numpy as np

from hypnoscope.metrics.base import MetricSpec, SignalSet, nanmedian
from hypnoscope.metrics.shots import (
    boundary_times,
    distinct,
    shot_ids,
    step_crosses_boundary,
    triple_crosses_boundary,
)

FACTOR = "fluidity"

SPECS = (
    MetricSpec("cuts_per_minute", "cuts / min", FACTOR,
               "hard shot cuts per minute of video"),
    MetricSpec("transitions_per_minute", "transitions / min", FACTOR,
               "gradual transitions (dissolves and fades) per minute of video"),
    MetricSpec("shot_length_median", "s", FACTOR,
               "median length of the shots between cuts and transitions (the first and last "
               "may be cut off by the span)"),
    MetricSpec("longest_shot", "s", FACTOR, "length of the longest shot in the span"),
    MetricSpec("interpolation_error", "ratio", FACTOR,
               "median error of predicting a frame by flow-interpolating its neighbours, over "
               "the error without motion (0 predictable, 1 no better than no motion)"),
    MetricSpec("camera_jerk", "diagonals / s^3", FACTOR,
               "RMS magnitude of the third time derivative of the camera path (global "
               "motion), within shots"),
    MetricSpec("feature_accel_spread", "1 / s^2", FACTOR,
               "standard deviation of the second-order temporal differences of 16x9 gray "
               "frame features (D3's volatility)"),
    MetricSpec("warping_error", "MSE (RGB 0..1)", FACTOR,
               "EvalCrafter's warping error: mean squared error of the next frame warped "
               "back by optical flow, occluded pixels masked"),
    MetricSpec("flicker", "%", FACTOR,
               "frame-to-frame luminance fluctuation of the still pixels, as the standard "
               "deviation of an independent per-frame brightness change"),
    MetricSpec("duplicate_ratio", "share", FACTOR,
               "share of the source frames that repeat the previous picture (holds, "
               "frame-rate conversion)"),
    MetricSpec("cadence", "s", FACTOR,
               "mean time between new pictures in the source (1 / the rate of distinct "
               "frames)"),
)

#: Fewest camera-path samples in a shot to differentiate twice.
MIN_PATH_SAMPLES = 5


def shot_lengths(cut_times: list[float], start: float, end: float) -> np.ndarray:
    """Lengths in seconds of the shots that ``cut_times`` divide ``[start, end)`` into."""
    edges = [start] + sorted(c for c in cut_times if start < c < end) + [end]
    return np.diff(np.asarray(edges, dtype=float))


def content_times(sig: SignalSet) -> np.ndarray:
    """When each frame's picture first appeared (s): the ``content_t`` series, else ``t``."""
    ct = sig.series.get("content_t")
    return np.asarray(ct if ct is not None else sig.t, dtype=float)


def camera_jerk_values(sig: SignalSet) -> np.ndarray:
    """Jerk magnitudes (diagonals / s^3) of the camera path inside each shot.

    The global velocity of each step (series ``global_dx``/``global_dy``, diagonals / s) is
    placed at the middle of its step in content time and differentiated twice with
    ``np.gradient`` on those real times; the first and last value of each shot are dropped
    (one-sided differences)."""
    vx, vy = sig.get("global_dx"), sig.get("global_dy")
    ct = content_times(sig)
    prev_ct = np.concatenate([[np.nan], ct[:-1]])  # a duplicate carries its picture's time
    mid = 0.5 * (ct + prev_ct)
    ok = np.isfinite(vx) & np.isfinite(vy) & np.isfinite(mid) & ~step_crosses_boundary(sig)
    shots = shot_ids(sig)
    out = []
    for s in np.unique(shots[ok]):
        idx = np.flatnonzero(ok & (shots == s))
        if len(idx) < MIN_PATH_SAMPLES:
            continue
        t = mid[idx]
        keep = np.concatenate([[True], np.diff(t) > 1e-6])
        idx, t = idx[keep], t[keep]
        if len(idx) < MIN_PATH_SAMPLES:
            continue
        jx = np.gradient(np.gradient(vx[idx], t), t)
        jy = np.gradient(np.gradient(vy[idx], t), t)
        out.append(np.hypot(jx, jy)[1:-1])
    return np.concatenate(out) if out else np.zeros(0)


#: Mean luminance (gray levels) of the still pixels under which a step is not used for
#: flicker: nearly black pictures (the tail of a fade, video black at 16) carry no reliable
#: relative change, the codec's quantisation dominates there.
FLICKER_MIN_LEVEL = 24.0


def flicker_percent(sig: SignalSet) -> float:
    """Flicker in % from the still-pixel luminance steps ``d`` (levels) and levels ``m``.

    For two consecutive steps (times ``h1`` then ``h2`` long, in content time), the
    luminance at the middle frame is compared with the straight line between its
    neighbours: ``e = (h2 d1 - h1 d2) / (h1 + h2)``. A steady fade lies on the line (``e =
    0`` at any frame timing); a brightness gain that fluctuates independently per frame with
    standard deviation ``s`` gives ``e / m`` of variance ``s^2 (1 + a^2 + b^2)`` with ``a =
    h2 / (h1 + h2)``, ``b = 1 - a``, so ``s`` is estimated from the mean of ``(e / m)^2 /
    (1 + a^2 + b^2)``. 0 when nothing in the span ever changed (all repeats); nan when no
    still pixels were measured."""
    d = sig.get("still_luminance_step").copy()
    m = sig.get("still_luminance")
    d[step_crosses_boundary(sig)] = np.nan
    dist = distinct(sig)
    if dist.sum() <= 1:
        return 0.0
    ct = content_times(sig)
    shots = shot_ids(sig)
    ok = np.isfinite(d) & np.isfinite(m) & (m >= FLICKER_MIN_LEVEL) & (m + d >= FLICKER_MIN_LEVEL)
    dist_idx = np.flatnonzero(dist)
    vals = []
    for p, i, j in zip(dist_idx[:-2], dist_idx[1:-1], dist_idx[2:], strict=True):
        if not (ok[i] and ok[j] and shots[i] == shots[j]):
            continue
        h1, h2 = ct[i] - ct[p], ct[j] - ct[i]
        if not (h1 > 0 and h2 > 0):
            continue
        a = h2 / (h1 + h2)
        e = (h2 * d[i] - h1 * d[j]) / (h1 + h2) / (m[i] + d[i])
        vals.append(e * e / (1.0 + a * a + (1.0 - a) ** 2))
    if len(vals) < 2:
        return float("nan")
    return float(100.0 * np.sqrt(np.mean(vals)))


def duplicate_stats(sig: SignalSet) -> tuple[float, float]:
    """(share of source frames that repeat, mean seconds between new pictures), from the
    source frames decoded between the span's first and last analysis frames (each analysis
    frame counts those since the previous one)."""
    n = np.nan_to_num(sig.get("source_frames"), nan=0.0)[1:]
    dup = np.nan_to_num(sig.get("duplicate"), nan=0.0)[1:]
    total = float(n.sum())
    if total <= 0:
        return float("nan"), float("nan")
    new = float((n * (1.0 - dup)).sum())
    span = float(sig.t[-1] - sig.t[0])
    return 1.0 - new / total, (span / new if new > 0 else float("nan"))


def compute(sig: SignalSet) -> dict[str, float]:
    cuts = sig.events.get("cuts", [])
    n_cuts = sum(1 for c in cuts if sig.start < c < sig.end)
    n_trans = sum(1 for c in sig.events.get("transitions", []) if sig.start <= c < sig.end)
    dur = sig.duration
    lengths = shot_lengths(boundary_times(sig), sig.start, sig.end)

    interp = sig.get("interpolation_error").copy()
    interp[triple_crosses_boundary(sig)] = np.nan
    accel = sig.get("feature_accel").copy()
    accel = accel[np.isfinite(accel) & ~triple_crosses_boundary(sig)]
    warp = sig.get("warping_error").copy()
    warp = warp[np.isfinite(warp) & ~step_crosses_boundary(sig)]
    jerk = camera_jerk_values(sig)
    dup_ratio, cadence = duplicate_stats(sig)
    return {
        "cuts_per_minute": 60.0 * n_cuts / dur if dur > 0 else float("nan"),
        "transitions_per_minute": 60.0 * n_trans / dur if dur > 0 else float("nan"),
        "shot_length_median": float(np.median(lengths)) if len(lengths) else float("nan"),
        "longest_shot": float(lengths.max()) if len(lengths) else float("nan"),
        "interpolation_error": nanmedian(interp),
        "camera_jerk": float(np.sqrt(np.mean(jerk * jerk))) if len(jerk) else float("nan"),
        "feature_accel_spread": float(np.std(accel)) if len(accel) >= 3 else float("nan"),
        "warping_error": float(np.mean(warp)) if len(warp) else float("nan"),
        "flicker": flicker_percent(sig),
        "duplicate_ratio": dup_ratio,
        "cadence": cadence,
    }
