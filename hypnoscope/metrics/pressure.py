"""Pressure and arc: is there a setup and a payoff, or a constant pressure?

The tension curve combines three per-frame signals, each compressed logarithmically against
a fixed reference (perceived intensity grows with the ratio, not the difference; the
references are never rescaled per clip, so two clips compare), then smoothed on the real
timestamps with a Gaussian of :data:`SIGMA_S` seconds (so it does not depend on the frame
rate):

    tension = G * log(1 + surprise / SURPRISE_REF) + G * log(1 + motion / MOTION_REF)
              + CUT_WEIGHT * (G * cut impulses)

Everything here is a pure function of arrays (times in seconds), so the curve can be
recomputed for any frame sequence, e.g. a re-timed edit of the video.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d
from scipy.signal import find_peaks
from scipy.stats import spearmanr

from hypnoscope.metrics.base import MetricSpec, SignalSet

FACTOR = "pressure"

#: Gaussian smoothing of the tension curve, s (standard deviation; full width at half
#: maximum 0.6 s).
SIGMA_S = 0.25
#: Surprise reference, nats: about the surprise of a steadily moving textured scene.
SURPRISE_REF = 0.1
#: Motion reference, frame diagonals / s: a slow pan (a diagonal in 20 s).
MOTION_REF = 0.05
#: Tension added by one cut, in tension units x s (the area of its smoothed impulse).
CUT_WEIGHT = 0.5
#: Minimum prominence of a salient tension peak, tension units.
SALIENT_PROMINENCE = 0.3
#: Minimum time between two salient peaks, s.
PEAK_MIN_GAP_S = 1.0
#: Step of the uniform time grid the arc is measured on, s.
GRID_S = 0.05
#: Relative band around the median that counts as "the same pressure" (flatness).
FLAT_BAND = 0.25
#: Absolute floor of that band, tension units (so near-zero tension is not amplified).
FLAT_FLOOR = 0.1

SPECS = (
    MetricSpec("tension_mean", "tension units", FACTOR,
               "mean level of the tension curve (surprise + activity + cut impulses)"),
    MetricSpec("tension_range", "tension units", FACTOR,
               "dynamic range of the tension curve: 95th minus 5th percentile"),
    MetricSpec("salient_events_per_minute", "events / min", FACTOR,
               "tension peaks with prominence >= 0.3 units (at least 1 s apart) per minute"),
    MetricSpec("peak_prominence", "tension units", FACTOR,
               "prominence of the strongest tension peak (0 when the curve has no peak)"),
    MetricSpec("climax_position", "0..1", FACTOR,
               "time of the tension maximum as a fraction of the span (undefined when the "
               "curve never rises 0.3 units above its minimum)"),
    MetricSpec("build_up", "-1..1", FACTOR,
               "Spearman rank correlation of tension with time before the climax"),
    MetricSpec("release", "-1..1", FACTOR,
               "minus the Spearman rank correlation of tension with time after the climax"),
    MetricSpec("flatness", "0..1", FACTOR,
               "share of the time the tension stays within 25 % (+0.1) of its median"),
)


def frame_durations(t: np.ndarray) -> np.ndarray:
    """The share of time each sample stands for, s: half the gap to each neighbour (the
    median gap at the ends)."""
    t = np.asarray(t, dtype=float)
    if len(t) < 2:
        return np.ones(len(t))
    gaps = np.diff(t)
    med = float(np.median(gaps))
    left = np.concatenate([[med], gaps])
    right = np.concatenate([gaps, [med]])
    return 0.5 * (left + right)


def _grid(t: np.ndarray, step: float) -> tuple[float, int, np.ndarray]:
    t0 = float(t.min())
    n = int(np.floor((float(t.max()) - t0) / step + 0.5)) + 1
    idx = np.clip(np.round((t - t0) / step).astype(int), 0, n - 1)
    return t0, n, idx


def smooth_on_time(t: np.ndarray, x: np.ndarray, sigma_s: float = SIGMA_S) -> np.ndarray:
    """Gaussian kernel average of ``x`` at each time in ``t`` (s), each sample weighted by
    the time it stands for, nan samples ignored. Evaluated on a fine grid, so the cost is
    linear in the length."""
    t = np.asarray(t, dtype=float)
    x = np.asarray(x, dtype=float)
    if len(t) == 0:
        return np.zeros(0)
    step = sigma_s / 8.0
    _, n, idx = _grid(t, step)
    ok = np.isfinite(x)
    w = frame_durations(t) * ok
    sums = np.bincount(idx, weights=np.where(ok, x, 0.0) * w, minlength=n)
    wts = np.bincount(idx, weights=w, minlength=n)
    sums = gaussian_filter1d(sums, sigma_s / step, mode="constant", truncate=4.0)
    wts = gaussian_filter1d(wts, sigma_s / step, mode="constant", truncate=4.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = sums / wts
    out[wts <= 1e-12 * max(float(wts.max()), 1e-300)] = np.nan
    return out[idx]


def impulse_density(t: np.ndarray, event_times: np.ndarray,
                    sigma_s: float = SIGMA_S) -> np.ndarray:
    """Sum of unit-area Gaussians (sigma ``sigma_s``) centred on ``event_times``, evaluated
    at ``t``; events per second."""
    t = np.asarray(t, dtype=float)
    ev = np.asarray(event_times, dtype=float)
    if len(t) == 0 or len(ev) == 0:
        return np.zeros(len(t))
    d = (t[:, None] - ev[None, :]) / sigma_s
    near = np.abs(d) < 6.0
    g = np.where(near, np.exp(-0.5 * d * d), 0.0)
    return g.sum(axis=1) / (sigma_s * np.sqrt(2.0 * np.pi))


def tension_curve(t: np.ndarray, surprise: np.ndarray, motion: np.ndarray,
                  cut: np.ndarray, sigma_s: float | None = None) -> np.ndarray:
    """Tension per frame (tension units) from per-frame surprise (nats), motion (frame
    diagonals / s) and cut flags (1 on the first frame of a shot), at times ``t`` (s).

    Each continuous signal is compressed as log(1 + x / reference) and smoothed on the
    real timestamps with a Gaussian of ``sigma_s`` s; each cut adds a Gaussian impulse of
    area :data:`CUT_WEIGHT`. A signal that is nan everywhere contributes nothing."""
    sigma_s = SIGMA_S if sigma_s is None else sigma_s
    t = np.asarray(t, dtype=float)
    out = np.zeros(len(t))
    for x, ref in ((surprise, SURPRISE_REF), (motion, MOTION_REF)):
        x = np.log1p(np.clip(np.asarray(x, dtype=float), 0.0, None) / ref)
        out += np.nan_to_num(smooth_on_time(t, x, sigma_s), nan=0.0)
    cut = np.nan_to_num(np.asarray(cut, dtype=float), nan=0.0)
    out += CUT_WEIGHT * impulse_density(t, t[cut > 0], sigma_s)
    return out


def uniform_curve(t: np.ndarray, y: np.ndarray, step: float = GRID_S,
                  start: float | None = None,
                  end: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``y`` (sampled at times ``t``) linearly interpolated on a uniform grid of ``step`` s
    from the first to the last finite sample (clipped to ``[start, end]``)."""
    t = np.asarray(t, dtype=float)
    y = np.asarray(y, dtype=float)
    ok = np.isfinite(y) & np.isfinite(t)
    t, y = t[ok], y[ok]
    if len(t) == 0:
        return np.zeros(0), np.zeros(0)
    a = t[0] if start is None else max(t[0], start)
    b = t[-1] if end is None else min(t[-1], end)
    n = int(np.floor((b - a) / step + 1e-9)) + 1
    grid = a + step * np.arange(max(n, 1))
    return grid, np.interp(grid, t, y)


def tension_peaks(t: np.ndarray, tension: np.ndarray,
                  prominence: float = SALIENT_PROMINENCE,
                  min_gap_s: float = PEAK_MIN_GAP_S) -> np.ndarray:
    """Times (s) of the salient peaks of a tension curve."""
    grid, y = uniform_curve(t, tension)
    if len(y) < 3:
        return np.zeros(0)
    idx, _ = find_peaks(y, prominence=prominence,
                        distance=max(1, int(round(min_gap_s / GRID_S))))
    return grid[idx]


def _rank_corr(x: np.ndarray, y: np.ndarray) -> float:
    if len(x) < 5 or np.ptp(y) <= 1e-12:
        return float("nan")
    return float(spearmanr(x, y).statistic)


def arc_metrics(t: np.ndarray, tension: np.ndarray, start: float | None = None,
                end: float | None = None) -> dict[str, float]:
    """The shape of a tension curve sampled at times ``t`` (s) over the span
    ``[start, end]`` (defaults: first and last sample). Keys as in :data:`SPECS`."""
    nan = float("nan")
    keys = [s.name for s in SPECS]
    grid, y = uniform_curve(t, tension, start=start, end=end)
    if len(y) < 3:
        return dict.fromkeys(keys, nan)
    a = grid[0] if start is None else start
    b = grid[-1] if end is None else end
    span = max(b - a, GRID_S)
    p5, p50, p95 = np.percentile(y, [5, 50, 95])
    idx, props = find_peaks(y, prominence=0.0)
    prom = props["prominences"]
    salient, _ = find_peaks(y, prominence=SALIENT_PROMINENCE,
                            distance=max(1, int(round(PEAK_MIN_GAP_S / GRID_S))))
    k = int(np.argmax(y))
    band = FLAT_BAND * abs(p50) + FLAT_FLOOR
    out = {
        "tension_mean": float(y.mean()),
        "tension_range": float(p95 - p5),
        "salient_events_per_minute": 60.0 * len(salient) / span,
        "peak_prominence": float(prom.max()) if len(prom) else 0.0,
        "climax_position": float(np.clip((grid[k] - a) / span, 0.0, 1.0)),
        "build_up": _rank_corr(grid[:k + 1], y[:k + 1]),
        "release": -_rank_corr(grid[k:], y[k:]),
        "flatness": float(np.mean(np.abs(y - p50) <= band)),
    }
    if np.ptp(y) < SALIENT_PROMINENCE:
        # No maximum stands out: a climax (and a build-up to it) is not defined.
        out.update(climax_position=nan, build_up=nan, release=nan)
    return out


def compute(sig: SignalSet) -> dict[str, float]:
    tension = sig.series.get("tension")
    if tension is None:
        tension = tension_curve(sig.t, sig.get("surprise"), sig.get("motion"), sig.get("cut"))
    end = sig.end if sig.end > sig.start else None
    return arc_metrics(sig.t, tension, start=sig.start, end=end)
