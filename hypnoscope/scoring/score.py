"""Scores for one analysis: AI-likeness, hypnotic index, factor percentiles and reasons."""

from __future__ import annotations

from typing import Any

import numpy as np

from hypnoscope.metrics import SignalSet, compute_metrics, metric_specs, steadiness
from hypnoscope.scoring.features import window_metric_rows
from hypnoscope.scoring.index import hypnotic_index
from hypnoscope.scoring.model import Model
from hypnoscope.scoring.thesis import CLAIMS, DIRECTION

#: Factors that make up the hypnotic index (the thesis's signature).
INDEX_FACTORS = tuple(f for c in CLAIMS.values() for f in c["factors"])


def factor_percentiles(metrics: dict[str, float], model: Model, cls: str) -> dict[str, float]:
    """Each factor's 'hypnotic' percentile against class ``cls`` (0..100): the mean, over
    the factor's metrics that have a thesis direction, of the metric's percentile among the
    reference windows, flipped where lower is more hypnotic."""
    specs = metric_specs()
    per: dict[str, list[float]] = {}
    for name, value in metrics.items():
        d = DIRECTION.get(name, 0)
        spec = specs.get(name)
        if not d or spec is None:
            continue
        pct = model.percentile(name, value, cls)
        if np.isfinite(pct):
            per.setdefault(spec.factor, []).append(pct if d > 0 else 100.0 - pct)
    return {f: float(np.mean(v)) for f, v in per.items()}


#: What each metric measures, in words a reader without docs/metrics.md understands; the
#: reasons lead with it and give the metric's name after it.
PLAIN_NAMES = {
    "cuts_per_minute": "hard cuts", "transitions_per_minute": "dissolves and fades",
    "shot_length_median": "typical shot length", "longest_shot": "longest shot",
    "interpolation_error": "error of predicting a frame from its neighbours",
    "camera_jerk": "jerkiness of the camera motion",
    "feature_accel_spread": "jitter of the picture's frame-to-frame change",
    "warping_error": "difference between frames once motion is compensated",
    "flicker": "brightness flicker of still areas", "duplicate_ratio": "repeated frames",
    "cadence": "time between new pictures", "motion_energy": "average speed of motion",
    "motion_energy_p90": "speed of the fastest moments",
    "visual_activity": "change between consecutive frames",
    "motion_timescale": "slowness of changes in motion",
    "shot_tempo": "tempo of cuts and motion", "tension_mean": "average tension",
    "tension_range": "range of the tension curve",
    "salient_events_per_minute": "salient events", "peak_prominence": "strongest tension peak",
    "climax_position": "position of the climax", "build_up": "build-up before the climax",
    "release": "release after the climax", "flatness": "time the tension stays level",
    "morph_index": "appearance change that motion does not explain",
    "descriptor_speed": "speed at which the scene's look changes",
    "descriptor_straightness": "directness of the scene's drift",
    "recurrence": "returns to an earlier look",
    "nonrigidity": "surfaces deforming instead of moving rigidly",
    "epipolar_residual": "points straying from a solid 3-D scene",
    "sharpness": "sharpness", "fine_texture": "fine detail", "noise_sigma": "sensor noise",
    "noise_sigma_180p": "sensor noise at 180 px",
    "boiling": "fine texture changing from frame to frame",
    "boiling_corr": "smoothness of texture changes", "colourfulness": "colourfulness",
    "saturation": "colour saturation", "contrast_rms": "contrast",
    "clipped_highlights": "blown-out highlights", "clipped_shadows": "crushed shadows",
    "motion_gini": "motion concentrated in one place",
    "change_gini": "change concentrated in one place",
    "focus_persistence": "time the focus of motion stays put",
    **{steadiness.metric_name(s, stat): f"{said} of {words}"
       for s, words in steadiness.SERIES.items()
       for stat, said in steadiness.STATISTICS.items()},
}


def _format(value: float, unit: str, with_unit: bool = True) -> str:
    """``value`` as the report's metric table writes it (3 significant digits), with the
    unit's name after it (``with_unit``) unless it is dimensionless."""
    from hypnoscope.report.numbers import fmt

    if not with_unit or unit in ("", "ratio", "correlation", "log ratio") or ".." in unit:
        return fmt(value)
    return f"{fmt(value)} {unit}"


def _value_text(value: float, whole: float | None, unit: str, window_s: float) -> str:
    """The value a reason quotes: the report's whole-clip number when it is the number the
    model read, else the median over windows, said so, with the whole-clip number next to
    it."""
    from hypnoscope.report.numbers import fmt

    basis = f"median of its {window_s:g} s windows"
    if whole is None or not np.isfinite(whole):
        return f"{_format(value, unit)} ({basis})"
    if fmt(whole) == fmt(value):
        return _format(value, unit)
    return f"{_format(value, unit)} ({basis}; whole clip {fmt(whole)})"


def direction_agrees(name: str, model: Model) -> bool:
    """Whether the model's direction for feature ``name`` (does a higher value raise the
    AI-likeness?) is the direction the two reference medians show (is the generated
    median higher than the camera median?). A reason is given only where they agree, so
    "points to generated" is never said of a value on the camera side of the medians."""
    i = model.features.index(name)
    toward_ai_when_higher = np.sign(model.coef[i] * -model.platt_a)
    medians = np.sign(model.reference_median(name, "ai") - model.reference_median(name, "real"))
    return bool(toward_ai_when_higher != 0 and toward_ai_when_higher == medians)


def _phrase(name: str, value: float, model: Model, toward_ai: bool,
            whole: float | None = None) -> str:
    """A reason in words: what the metric measures (and its name), its value (see
    :func:`_value_text`), where it falls among camera footage, and the two reference
    medians."""
    spec = metric_specs().get(name)
    unit = spec.unit if spec else ""
    label = PLAIN_NAMES.get(name, name.replace("_", " "))
    real = model.reference_median(name, "real")
    ai = model.reference_median(name, "ai")
    pct = model.percentile(name, value, "real")
    if pct >= 99.5 or pct <= 0.5:
        where = f"{'higher' if pct >= 50 else 'lower'} than in any camera footage of the reference"
    else:
        where = (f"higher than in {pct:.0f} % of camera footage" if pct >= 50
                 else f"lower than in {100 - pct:.0f} % of camera footage")
    side = "points to generated" if toward_ai else "points to camera"
    named = label if label == name.replace("_", " ") else f"{label} ({name})"
    return (f"{named} {_value_text(value, whole, unit, model.window_s)}: {where} (camera "
            f"median {_format(real, unit, False)}, generated {_format(ai, unit, False)}); "
            f"{side}")


def reasons(metrics: dict[str, float], model: Model, k: int = 5,
            whole: dict[str, float] | None = None) -> list[dict[str, Any]]:
    """The ``k`` strongest contributions to the AI-likeness of ``metrics`` (the median of
    each metric over the clip's windows), in plain words with numbers and the reference;
    ``whole`` holds the whole-clip values the report's metric table shows. A feature whose
    model direction the reference medians contradict is not given as a reason (see
    :func:`direction_agrees`)."""
    x = np.array([[metrics.get(f, np.nan) for f in model.features]])
    contrib = model.contributions(x)
    order = np.argsort(-np.abs(contrib))
    out = []
    for i in order:
        if len(out) == k:
            break
        name = model.features[i]
        value = float(metrics.get(name, np.nan))
        if (not np.isfinite(value) or abs(contrib[i]) < 1e-3
                or not direction_agrees(name, model)):
            continue
        toward_ai = contrib[i] > 0
        w = (whole or {}).get(name)
        out.append({"metric": name, "value": value, "log_odds": float(contrib[i]),
                    "basis": f"median of {model.window_s:g} s windows",
                    "whole_clip": None if w is None or not np.isfinite(w) else float(w),
                    "text": _phrase(name, value, model, toward_ai, w)})
    return out


def _median(values: list[float]) -> float:
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    return float(np.median(v)) if len(v) else float("nan")


def _index(model: Model, windows: list[dict[str, float]], f_real: dict[str, float]
           ) -> float | None:
    """The hypnotic index (:mod:`hypnoscope.scoring.index`); for a model file without its
    fitted part, the earlier definition (the mean of the factors' percentiles among camera
    footage)."""
    if model.hypnotic:
        value = hypnotic_index(model.hypnotic, windows)
        return value if np.isfinite(value) else None
    parts = [f_real[f] for f in INDEX_FACTORS if f in f_real]
    return float(np.mean(parts)) if parts else None


def score_signals(sig: SignalSet, model: Model, whole: dict[str, float] | None = None
                  ) -> dict[str, Any]:
    """Scores for a whole video from its signals; ``status`` is ``"insufficient"`` (with a
    reason and no numbers) when no window of the model's length can be scored. ``whole``:
    the whole-clip metrics the report shows (computed here when not given), which the
    reasons quote where they are the numbers the model read."""
    rows = window_metric_rows(sig, model.window_s, model.hop_s)
    if not rows:
        return {"status": "insufficient",
                "reason": f"no complete {model.window_s:g} s window with enough distinct "
                          f"frames (clip is {sig.duration:.2f} s, {len(sig.t)} frames)"}
    X = np.array([[m.get(f, np.nan) for f in model.features] for _, _, m in rows])
    p = model.predict_proba(X)
    video_p = float(np.mean(p))
    # each metric's median over the windows: what the factors and the reasons read
    median_metrics = {k: _median([m.get(k, np.nan) for _, _, m in rows]) for k in rows[0][2]}
    f_real = factor_percentiles(median_metrics, model, "real")
    f_ai = factor_percentiles(median_metrics, model, "ai")
    if whole is None:
        whole = compute_metrics(sig)
    details = reasons(median_metrics, model, whole=whole)
    return {
        "status": "ok",
        "ai_likeness": video_p,
        "hypnotic_index": _index(model, [m for _, _, m in rows], f_real),
        "windows": [{"start_s": a, "end_s": b, "ai_likeness": float(pi)}
                    for (a, b, _), pi in zip(rows, p, strict=True)],
        "window_s": model.window_s,
        "factors": {f: {"value": f_real.get(f), "pct_real": f_real.get(f),
                        "pct_ai": f_ai.get(f)}
                    for f in sorted(set(f_real) | set(f_ai))},
        "reasons": [r["text"] for r in details],
        "reason_details": details,
        "model": model.provenance.get("name", "default"),
    }
