"""Steadiness: how much each motion and structure signal varies over a span.

The pressure claim says generated video keeps one constant pressure. Its motion speed,
its flow field, its unexplained change and how well one frame predicts the next stay at one
level for seconds, where a hand-held camera, a walking subject or a gust of wind makes
them rise and fall from one eighth of a second to the next. Each metric here is the
coefficient of variation (standard deviation over absolute mean, as ``scipy.stats.variation``)
of one per-frame series over the span: 0 for a series that holds one value, about 1 when
it swings as widely as its own level; and its relative jitter (``<series>_jitter``): the
median size of its frame-to-frame second difference against its median level, 0 for a
series that holds or changes at a steady rate, large when it jerks from frame to frame.

These metrics are dimensionless and do not depend on the picture's size or frame rate
beyond what the series themselves do (every series is measured on the 180 px, 8 fps
analysis grid); the model reads them on its 1.5 s windows, and the format invariance of
that use is checked on the common-format copies (docs/evaluation.md).
"""

from __future__ import annotations

import numpy as np

from hypnoscope.metrics.base import MetricSpec, SignalSet

FACTOR = "pressure"

#: The per-frame series whose steadiness is measured, with what each one is in words.
SERIES: dict[str, str] = {
    "motion": "the motion speed",
    "field_speed": "the speed of the 4x4 flow field",
    "field_accel": "the change of the 4x4 flow field",
    "feature_accel": "the acceleration of the 16x9 picture features",
    "global_dx": "the camera's horizontal motion",
    "global_dy": "the camera's vertical motion",
    "tracked_points": "the number of points that can be tracked",
    "frame_correlation": "the correlation of consecutive frames",
    "change_score": "the frame-to-frame change",
    "focus_change": "the change that motion does not explain",
    "focus_motion_gini": "how concentrated the motion is",
    "focus_change_gini": "how concentrated the change is",
    "descriptor_speed": "the speed of the scene's look",
    "surprise": "the surprise of each frame",
    "morph": "the share of change motion does not explain",
    "nonrigidity": "the deformation of surfaces",
    "epipolar_residual": "the points' distance from a solid 3-D scene",
    "interpolation_error": "the error of predicting a frame from its neighbours",
    "occluded_share": "the share of pixels that appear or disappear",
    "rigid_residual": "the residual of the tracked points around the camera motion",
}

#: Fewest finite values of a series in a span to measure its variation.
MIN_VALUES = 6


def metric_name(series: str, statistic: str = "cv") -> str:
    """The metric measuring the steadiness of ``series`` by ``statistic``:
    ``<series>_cv`` (coefficient of variation) or ``<series>_jitter``."""
    return f"{series}_{statistic}"


#: The two statistics, with what each says in words.
STATISTICS = {"cv": "variation over time", "jitter": "frame-to-frame jitter"}

SPECS = tuple(
    spec for s, words in SERIES.items() for spec in (
        MetricSpec(metric_name(s, "cv"), "ratio", FACTOR,
                   f"coefficient of variation (standard deviation / |mean|) over the span of "
                   f"{words} (0: holds one level)"),
        MetricSpec(metric_name(s, "jitter"), "ratio", FACTOR,
                   f"median absolute second difference between consecutive frames of "
                   f"{words}, over its median absolute level (0: holds or changes at a "
                   f"steady rate)")))


#: The names of every steadiness metric.
NAMES = frozenset(spec.name for spec in SPECS)


def _finite(x: np.ndarray, min_values: int) -> np.ndarray | None:
    """The finite values of ``x`` in order, None when there are fewer than ``min_values``."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    return x if len(x) >= min_values else None


def coefficient_of_variation(x: np.ndarray, min_values: int = MIN_VALUES) -> float:
    """Standard deviation over absolute mean of the finite values of ``x`` (population
    standard deviation: ``abs(scipy.stats.variation(x))``); 0 for a constant series, nan with
    fewer than ``min_values`` finite values or a zero mean of a varying series.

    Computed with NumPy directly: scipy's wrapper costs about 0.3 ms per call, and this runs
    for 20 series on every window of every clip (tests/test_steadiness.py checks that both
    give the same value)."""
    x = _finite(x, min_values)
    if x is None:
        return float("nan")
    sd = float(x.std())
    if sd == 0:
        return 0.0
    mean = abs(float(x.mean()))
    return sd / mean if mean > 0 else float("nan")


def relative_jitter(x: np.ndarray, min_values: int = MIN_VALUES) -> float:
    """Median absolute second difference of the finite values of ``x`` (in order) over
    their median absolute value: how much the series jerks from one frame to the next
    against its level (a constant or a steady ramp: 0). nan with fewer than ``min_values``
    finite values, or a zero level under a series that moves."""
    x = _finite(x, min_values)
    if x is None:
        return float("nan")
    jerk = float(np.median(np.abs(np.diff(x, 2))))
    if jerk == 0:
        return 0.0
    level = float(np.median(np.abs(x)))
    return jerk / level if level > 0 else float("nan")


def compute(sig: SignalSet) -> dict[str, float]:
    out = {}
    for s in SERIES:
        x = sig.get(s)
        out[metric_name(s, "cv")] = coefficient_of_variation(x)
        out[metric_name(s, "jitter")] = relative_jitter(x)
    return out
