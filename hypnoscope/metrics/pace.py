"""Pace: how much moves per second, how fast the motion itself changes, and the tempo.

Motion is normalised to the frame diagonal and timed between distinct pictures; values that
straddle a shot boundary (hard cut or gradual transition) are left out.
"""

from __future__ import annotations

import numpy as np

from hypnoscope.metrics.base import MetricSpec, SignalSet, nanpercentile
from hypnoscope.metrics.shots import (
    boundary_times,
    distinct,
    step_crosses_boundary,
    triple_crosses_boundary,
)

FACTOR = "pace"

SPECS = (
    MetricSpec("motion_energy", "diagonals / s", FACTOR,
               "mean optical-flow speed between distinct frames, shot boundaries excluded"),
    MetricSpec("motion_energy_p90", "diagonals / s", FACTOR,
               "90th percentile of the optical-flow speed (the fast moments)"),
    MetricSpec("visual_activity", "1 - r", FACTOR,
               "Cutting's visual activity: 1 - mean correlation of consecutive distinct "
               "frames within shots, stated at a 1/8 s lag"),
    MetricSpec("motion_timescale", "s", FACTOR,
               "slow-motion indicator: RMS speed over RMS acceleration of the 4x4 motion "
               "field; slowing a clip k times multiplies it by k"),
    MetricSpec("shot_tempo", "octaves", FACTOR,
               "tempo after Adams, Dorai and Venkatesh: log2(4 s / mean shot length) + "
               "log2(motion energy / 0.043 diagonals/s); 0 is a typical pace"),
)

#: Field speed (diagonals / s) below which nothing moves enough for a motion time scale.
MIN_TIMESCALE_SPEED = 0.005
#: The time scale is reported up to this many seconds (steady motion has none shorter).
MAX_TIMESCALE_S = 10.0
#: Reference mean shot length (s) of the tempo: about the average shot length of recent
#: feature films (Cutting, Brunick, DeLong, Iricinschi and Candan 2011).
TEMPO_SHOT_LENGTH_S = 4.0
#: Reference motion energy (diagonals / s) of the tempo: the median ``motion_energy`` of the
#: 48 camera-footage clips of the dev corpus (``benchmarks/tempo_reference.py``: 0.0430).
TEMPO_MOTION = 0.043
#: Motion below this share of the reference counts as this share (a still frame would give
#: minus infinity): the tempo's floor is log2 of it.
TEMPO_MOTION_FLOOR = 1 / 64


#: The lag (s) at which the visual activity is stated: one step of the canonical 8 fps.
ACTIVITY_LAG_S = 0.125


def correlation_at_lag(r: np.ndarray, lag: np.ndarray, ref_lag: float = ACTIVITY_LAG_S
                       ) -> np.ndarray:
    """Frame correlations ``r`` measured over time steps ``lag`` (s) restated at
    ``ref_lag``, assuming the Gaussian decorrelation ``r(lag) = exp(-(lag / tau)^2)`` that
    smooth motion gives at short lags: ``r(ref) = r(lag) ** ((ref / lag)^2)``. Negative
    correlations count as 0 (fully decorrelated)."""
    r = np.clip(np.asarray(r, dtype=float), 0.0, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(lag > 0, r ** ((ref_lag / lag) ** 2), np.nan)


def visual_activity(sig: SignalSet) -> float:
    """1 - mean correlation of consecutive distinct frames within shots, at 1/8 s lag (the
    mean, not Cutting's median: on a few seconds of a hand-held shot whose speed varies,
    the median jumps between the slow and the fast steps, the mean does not)."""
    ct = sig.series.get("content_t")
    ct = np.asarray(ct if ct is not None else sig.t, dtype=float)
    lag = np.concatenate([[np.nan], np.diff(ct)])
    corr = correlation_at_lag(sig.get("frame_correlation"), lag)
    corr[step_crosses_boundary(sig)] = np.nan
    corr = corr[np.isfinite(corr)]
    return 1.0 - float(corr.mean()) if len(corr) else float("nan")


def motion_within_shots(sig: SignalSet) -> np.ndarray:
    """Per-frame motion with the steps that cross a cut or a transition set to nan (flow
    across a shot boundary means nothing)."""
    motion = sig.get("motion").copy()
    motion[step_crosses_boundary(sig)] = np.nan
    return motion


# kept for callers of the first version
motion_without_cuts = motion_within_shots


def nanmean(x: np.ndarray) -> float:
    """Mean of the finite values, nan when there are none. The motion energy is a mean,
    not a median: the distance moved per second; and when a clip's speed varies, the median
    of a few seconds of steps depends on which steps the sampling happened to pick."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    return float(x.mean()) if len(x) else float("nan")


def all_repeats(sig: SignalSet) -> bool:
    """True when the span has frames but not one new picture after the first."""
    return len(sig.t) > 0 and int(distinct(sig)[1:].sum()) == 0


def motion_timescale(sig: SignalSet) -> float:
    """sqrt(mean speed^2 / mean acceleration^2) of the motion field within shots, s."""
    speed, accel = sig.get("field_speed"), sig.get("field_accel")
    ok = np.isfinite(speed) & np.isfinite(accel) & ~triple_crosses_boundary(sig)
    if ok.sum() < 2:
        return float("nan")
    s2, a2 = float((speed[ok] ** 2).mean()), float((accel[ok] ** 2).mean())
    if np.sqrt(s2) < MIN_TIMESCALE_SPEED:
        return float("nan")
    return float(min(MAX_TIMESCALE_S, np.sqrt(s2 / a2))) if a2 > 0 else MAX_TIMESCALE_S


def shot_tempo(mean_shot_length: float, motion: float) -> float:
    """Tempo in octaves: log2(reference shot length / mean shot length) + log2(motion /
    reference motion), the motion floored at :data:`TEMPO_MOTION_FLOOR` of the reference."""
    if not (mean_shot_length > 0 and np.isfinite(motion)):
        return float("nan")
    m = max(motion, TEMPO_MOTION * TEMPO_MOTION_FLOOR)
    return float(np.log2(TEMPO_SHOT_LENGTH_S / mean_shot_length) + np.log2(m / TEMPO_MOTION))


def compute(sig: SignalSet) -> dict[str, float]:
    still = all_repeats(sig)
    motion = motion_within_shots(sig)
    energy = 0.0 if still else nanmean(motion)
    mean_shot = sig.duration / (len(boundary_times(sig)) + 1) if sig.duration > 0 else np.nan
    return {
        "motion_energy": energy,
        "motion_energy_p90": 0.0 if still else nanpercentile(motion, 90),
        "visual_activity": 0.0 if still else visual_activity(sig),
        "motion_timescale": float("nan") if still else motion_timescale(sig),
        "shot_tempo": shot_tempo(mean_shot, energy),
    }
