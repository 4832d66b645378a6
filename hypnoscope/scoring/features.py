"""Window-level feature tables for calibration, built from per-frame series.

Metrics are pure functions of the series, so the model's window length is independent of the
analysis's reporting windows: the windows the model needs are recomputed from the series.
No metadata (container, codec, size, rate, duration, audio) ever enters a feature table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from hypnoscope.metrics import SignalSet, compute_metrics, metric_specs, steadiness, window_bounds

#: The model's window length and hop, s. The shortest generated clips in the reference
#: corpus are 1.6 s long, so every clip gives at least one window.
MODEL_WINDOW_S = 1.5
MODEL_HOP_S = 0.75
#: A window needs at least this many analysis frames to be scored.
MIN_FRAMES = 4

#: Metrics never used as features, with the reason (besides those whose spec says
#: ``calibrate=False``: they depend on the file's format by definition).
EXCLUDED: dict[str, str] = {
    "shot_length_median": "equals the window length when the window has no cut",
    "longest_shot": "equals the window length when the window has no cut",
    "duplicate_ratio": "repeated frames reveal the native frame rate and the container "
                       "(GIF holds), not the content",
    "cadence": "the interval between distinct pictures is the native frame rate",
    "warping_error": "sits at the codec's noise floor on clean clips: moves 30-50 % "
                     "between formats",
    # the relative jitter of the steadiness series (docs/evaluation.md)
    **{steadiness.metric_name(s, "jitter"):
       "with them the verdict on one re-encoded clip moves by more than 0.15 on 5 of 40 "
       "corpus clip-and-format pairs (tests/test_corpus_invariance.py allows 4)"
       for s in steadiness.SERIES},
}


def candidate_features(names: Iterable[str] | None = None) -> list[str]:
    """The metrics that may be features: every documented metric that its spec allows
    for calibration and that is not in :data:`EXCLUDED`."""
    specs = metric_specs()
    names = list(names) if names is not None else list(specs)
    return [n for n in names
            if n in specs and specs[n].calibrate and n not in EXCLUDED]


def signed_log(X: np.ndarray, fill: np.ndarray, scale: np.ndarray, mean: np.ndarray,
               std: np.ndarray) -> np.ndarray:
    """Feature values (n, f) → the models' inputs (n, f): missing values replaced by
    ``fill``, then ``sign(x) log(1 + |x| / scale)`` (metrics span decades; this keeps their
    order and sign), standardised by ``mean`` and ``std`` of those log values."""
    X = np.array(X, dtype=float, ndmin=2)
    X = np.where(np.isfinite(X), X, np.asarray(fill, dtype=float))
    Z = np.sign(X) * np.log1p(np.abs(X) / np.asarray(scale, dtype=float))
    return (Z - np.asarray(mean, dtype=float)) / np.asarray(std, dtype=float)


def usable_columns(X: np.ndarray) -> np.ndarray:
    """Mask of the columns of ``X`` (rows: windows) that can be learned from: finite in at
    least half the rows, and not constant over those."""
    finite = np.isfinite(X)
    ok = finite.mean(axis=0) >= 0.5
    spread = np.array([np.ptp(X[finite[:, j], j]) if finite[:, j].any() else 0.0
                       for j in range(X.shape[1])])
    return ok & (spread > 0)


def fit_signed_log(X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(fill, scale, mean, std) of :func:`signed_log` fitted on the columns of ``X``:
    each column's median fills its missing values, its median absolute value is the scale,
    and mean and standard deviation standardise the log values (a constant column keeps
    std 1)."""
    fill = np.array([np.nanmedian(c) for c in X.T])
    Xf = np.where(np.isfinite(X), X, fill)
    scale = np.array([max(float(np.median(np.abs(c))), 1e-9) for c in Xf.T])
    Z = signed_log(Xf, fill, scale, np.zeros(len(scale)), np.ones(len(scale)))
    mean, std = Z.mean(axis=0), Z.std(axis=0)
    std[std < 1e-9] = 1.0
    return fill, scale, mean, std


def window_metric_rows(sig: SignalSet, length: float = MODEL_WINDOW_S,
                       hop: float = MODEL_HOP_S) -> list[tuple[float, float, dict]]:
    """(start, end, metrics) of every complete window with enough distinct frames."""
    rows = []
    for a, b in window_bounds(sig.duration, length, hop):
        w = sig.window(a, b)
        if len(w.t) < MIN_FRAMES:
            continue
        rows.append((a, b, compute_metrics(w)))
    return rows


@dataclass
class WindowTable:
    """One row per window: ``X`` (n, f) feature values (nan allowed), ``y`` 1 for
    generated and 0 for camera/human-made (-1 unknown), ``video`` and ``group`` (source)
    per row, and ``start`` (s)."""

    features: list[str]
    X: np.ndarray
    y: np.ndarray
    video: np.ndarray
    group: np.ndarray
    start: np.ndarray

    def video_ids(self) -> np.ndarray:
        return np.unique(self.video)

    def subset(self, mask: np.ndarray) -> WindowTable:
        return WindowTable(self.features, self.X[mask], self.y[mask], self.video[mask],
                           self.group[mask], self.start[mask])


def label_to_y(label: str | None) -> int:
    """1 for 'ai' (generated), 0 for camera or human-made footage, -1 when unknown."""
    if label is None:
        return -1
    label = label.strip().lower()
    if label in {"ai", "generated", "fake", "synthetic"}:
        return 1
    if label in {"real", "camera", "human_cgi", "human", "cgi"}:
        return 0
    return -1


def build_table(records: Sequence[tuple[str, str | None, str | None, SignalSet]],
                features: Sequence[str] | None = None, length: float = MODEL_WINDOW_S,
                hop: float = MODEL_HOP_S) -> WindowTable:
    """A window table from (video_id, label, group, signals) records."""
    rows, ys, vids, groups, starts = [], [], [], [], []
    feats = list(features) if features is not None else None
    for vid, label, group, sig in records:
        for a, _b, m in window_metric_rows(sig, length, hop):
            if feats is None:
                feats = candidate_features(m)
            rows.append([m.get(f, np.nan) for f in feats])
            ys.append(label_to_y(label))
            vids.append(vid)
            groups.append(group or "")
            starts.append(a)
    feats = feats or []
    X = np.asarray(rows, dtype=float).reshape(len(rows), len(feats))
    return WindowTable(feats, X, np.asarray(ys, int), np.asarray(vids, object),
                       np.asarray(groups, object), np.asarray(starts, float))
