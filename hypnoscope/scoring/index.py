"""The hypnotic index: the thesis's signature as one number that can be checked.

What it combines: the metrics to which the thesis gives a direction
(:data:`hypnoscope.scoring.thesis.DIRECTION`), each turned so that higher is more like the
thesis's description of generated video, put through the same signed-log transform and
standardisation as the AI-likeness model, and added with **non-negative** weights. The
weights are fitted (a logistic regression with the weights bounded at zero, every video and
both classes weighing the same) to separate generated from camera footage, so a metric whose
thesis direction the footage contradicts gets weight zero: it cannot raise the index by
pointing the other way. A clip's score is the mean of its 1.5 s windows' scores.

Against which reference: 0..100 is the mean of the score's percentile among the reference
camera/human-made videos and its percentile among the reference generated videos (each video
counted once). A typical camera clip is near 25, a typical generated clip near 75; 0 and 100
are beyond every reference video.

Everything here is fitted by :func:`fit_index` (called by ``hypnoscope train``) and stored in
the model file under ``hypnotic``; nothing is tuned by hand. No metadata (container, codec,
size, frame rate, duration, audio) enters it: only the thesis's content metrics.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from hypnoscope.scoring.features import (
    WindowTable,
    candidate_features,
    fit_signed_log,
    signed_log,
    usable_columns,
)
from hypnoscope.scoring.model import REFERENCE_QUANTILES, quantile_rank
from hypnoscope.scoring.thesis import DIRECTION

#: Format tag of the ``hypnotic`` part of a model file.
INDEX_FORMAT = "hypnoscope-hypnotic-index/1"
#: Inverse regularisation strength of the weights (as scikit-learn's ``C``, with the sample
#: weights of :func:`hypnoscope.scoring.train.sample_weights`): the AI-likeness model's
#: default. The out-of-family AUC moves by less than 0.015 for strengths 100 times weaker
#: or stronger (docs/metrics.md).
INDEX_C = 0.03


def _transform(spec: dict[str, Any], X: np.ndarray) -> np.ndarray:
    """Window metric values (n, m) in ``spec["metrics"]`` order → standardised values turned
    to the thesis's direction (n, m)."""
    Z = signed_log(X, spec["fill"], spec["scale"], spec["mean"], spec["std"])
    return Z * np.asarray(spec["direction"], dtype=float)


def window_scores(spec: dict[str, Any], X: np.ndarray) -> np.ndarray:
    """The index's linear score of each window (rows of ``X``, metrics in
    ``spec["metrics"]`` order); higher is more hypnotic."""
    return _transform(spec, X) @ np.asarray(spec["weight"], dtype=float)


def video_score(spec: dict[str, Any], X: np.ndarray) -> float:
    """A video's score: the mean over its windows (rows of ``X``)."""
    s = window_scores(spec, X)
    return float(np.mean(s)) if len(s) else float("nan")


def index_of_score(spec: dict[str, Any], score: float) -> float:
    """0..100: the mean of ``score``'s percentiles among the reference camera and the
    reference generated videos."""
    ref = spec["reference"]
    if not np.isfinite(score):
        return float("nan")
    return 0.5 * (quantile_rank(np.asarray(ref["real"], dtype=float), score)
                  + quantile_rank(np.asarray(ref["ai"], dtype=float), score))


def hypnotic_index(spec: dict[str, Any], windows: Sequence[dict[str, float]]) -> float:
    """The index (0..100) of a video from its windows' metrics (name -> value)."""
    X = np.array([[m.get(n, np.nan) for n in spec["metrics"]] for m in windows], dtype=float)
    return index_of_score(spec, video_score(spec, X.reshape(len(windows), -1)))


def _nonnegative_logistic(Z: np.ndarray, y: np.ndarray, w: np.ndarray, C: float
                          ) -> tuple[np.ndarray, float]:
    """Weights >= 0 and a free intercept minimising ``C * sum(w * logloss) + |weights|^2/2``
    (scipy's bounded L-BFGS; scikit-learn's logistic regression has no bounds)."""
    from scipy.optimize import minimize

    def loss(b: np.ndarray) -> tuple[float, np.ndarray]:
        z = Z @ b[:-1] + b[-1]
        g = C * w * (1.0 / (1.0 + np.exp(-z)) - y)
        value = C * float(np.sum(w * (np.logaddexp(0.0, z) - y * z)))
        value += 0.5 * float(b[:-1] @ b[:-1])
        return value, np.r_[Z.T @ g + b[:-1], g.sum()]

    n = Z.shape[1]
    res = minimize(loss, np.zeros(n + 1), jac=True, method="L-BFGS-B",
                   bounds=[(0.0, None)] * n + [(None, None)])
    return np.maximum(res.x[:-1], 0.0), float(res.x[-1])


def fit_index(table: WindowTable, C: float = INDEX_C) -> dict[str, Any]:
    """The index fitted on the labelled windows of ``table`` (the ``hypnotic`` part of a
    model file): metrics, directions, transform, non-negative weights, and the reference
    percentiles of the video scores of both classes. Empty when ``table`` lacks a class or
    every thesis metric."""
    from hypnoscope.scoring.train import sample_weights, weighted_quantiles

    t = table.subset(table.y >= 0)
    allowed = set(candidate_features(t.features))  # never a metadata-like metric
    cols = [j for j, f in enumerate(t.features) if DIRECTION.get(f) and f in allowed]
    if len(np.unique(t.y)) < 2 or not cols:
        return {}
    X = t.X[:, cols]
    keep = np.flatnonzero(usable_columns(X))
    cols, X = [cols[k] for k in keep], X[:, keep]
    metrics = [t.features[j] for j in cols]
    fill, scale, mean, std = fit_signed_log(X)
    spec: dict[str, Any] = {
        "format": INDEX_FORMAT, "metrics": metrics,
        "direction": [int(DIRECTION[m]) for m in metrics], "fill": fill.tolist(),
        "scale": scale.tolist(), "mean": mean.tolist(), "std": std.tolist(), "C": C}
    weight, _ = _nonnegative_logistic(_transform(spec, X), t.y.astype(float),
                                      sample_weights(t.y, t.video), C)
    spec["weight"] = weight.tolist()
    s = window_scores(spec, X)
    ids = t.video_ids()
    per_video = np.array([s[t.video == v].mean() for v in ids])
    cls = np.array([t.y[t.video == v][0] for v in ids])
    spec["reference"] = {name: weighted_quantiles(per_video[cls == c],
                                                  np.ones(int(np.sum(cls == c))),
                                                  REFERENCE_QUANTILES)
                         for name, c in (("real", 0), ("ai", 1))}
    return spec


def video_indices(spec: dict[str, Any], table: WindowTable, rows: np.ndarray
                  ) -> dict[str, float]:
    """Video id -> index for the videos of ``table``'s ``rows`` (mask)."""
    idx = [table.features.index(m) if m in table.features else -1 for m in spec["metrics"]]
    out = {}
    for v in np.unique(table.video[rows]):
        m = rows & (table.video == v)
        X = np.column_stack([table.X[m, j] if j >= 0 else np.full(int(m.sum()), np.nan)
                             for j in idx])
        out[str(v)] = index_of_score(spec, video_score(spec, X))
    return out


def out_of_group_indices(models: dict[str, Any], table: WindowTable) -> dict[str, float]:
    """Video id -> index from the model that never saw the video's group (``models``: held
    out group -> :class:`hypnoscope.scoring.model.Model`, as ``evaluate`` fits them), so
    the weights, the transform and the reference percentiles all come from other groups."""
    out: dict[str, float] = {}
    for g, model in models.items():
        rows = table.group == g
        if rows.any() and model.hypnotic:
            out.update(video_indices(model.hypnotic, table, rows))
    return out


def index_summary(index: dict[str, float], label: dict[str, str], group: dict[str, str]
                  ) -> dict[str, Any]:
    """How well an index separates generated from camera videos: the AUC against camera
    footage (label ``real``) and against camera and human-made footage, each with its 95 %
    interval over resamples of the held-out groups, and the median index per label.
    ``index``, ``label`` and ``group`` map video ids to the index, the label and the group."""
    from hypnoscope.report.stats import auc as rank_auc
    from hypnoscope.scoring.features import label_to_y
    from hypnoscope.scoring.resample import auc_interval

    ids = [v for v in index if np.isfinite(index[v]) and label_to_y(label.get(v)) >= 0]
    x = np.array([index[v] for v in ids], dtype=float)
    y = np.array([label_to_y(label[v]) for v in ids])
    g = np.array([group.get(v, "") for v in ids], dtype=object)
    camera = np.array([label[v] == "real" for v in ids], dtype=bool)
    out: dict[str, Any] = {"n": len(ids), "median": {
        lab: float(np.median(x[[label[v] == lab for v in ids]]))
        for lab in sorted({label[v] for v in ids})}}
    for name, keep in (("vs_camera", (y == 1) | camera), ("vs_camera_and_human", y >= 0)):
        if len(np.unique(y[keep])) < 2:
            continue
        out[name] = {"n": int(keep.sum()),
                     "auc": rank_auc(x[keep & (y == 1)], x[keep & (y == 0)]),
                     "auc_interval": auc_interval(y[keep], x[keep], g[keep])}
    return out
