"""Fit the AI-likeness model on a window table (scikit-learn), calibrated out of source.

The decision function is a logistic regression on signed-log, standardised window metrics,
each video weighted equally and both classes balanced. Its calibration (Platt scaling) is
fitted on predictions for sources the regression never saw (leave-one-source-out), for the
clips as they are and, when given, for their common-format copies, so the probabilities mean
what they say on new footage and on re-encoded footage alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, LeaveOneGroupOut

from hypnoscope.scoring.features import (
    MODEL_HOP_S,
    MODEL_WINDOW_S,
    WindowTable,
    fit_signed_log,
    signed_log,
    usable_columns,
)
from hypnoscope.scoring.index import fit_index
from hypnoscope.scoring.model import REFERENCE_QUANTILES, Model

#: Inverse regularisation strengths of the logistic regression tried by
#: :func:`fit_model`; the one with the best out-of-source AUC on the training sources wins.
C_GRID = (0.003, 0.01, 0.03, 0.1, 0.3)
#: Used when a single strength is asked for.
DEFAULT_C = 0.03


def per_video_weights(video: np.ndarray) -> np.ndarray:
    """1 / (number of rows of the row's video): every video weighs 1 in total."""
    _, inv, counts = np.unique(video, return_inverse=True, return_counts=True)
    return 1.0 / counts[inv]


def sample_weights(y: np.ndarray, video: np.ndarray) -> np.ndarray:
    """Weights giving every video the same total weight and both classes the same."""
    w = per_video_weights(video)
    for c in (0, 1):
        m = y == c
        if m.any():
            w[m] *= 0.5 * len(y) / w[m].sum()
    return w


def weighted_quantiles(x: np.ndarray, w: np.ndarray, qs=REFERENCE_QUANTILES) -> list[float]:
    """Quantiles (``qs`` in percent) of the finite values of ``x`` under weights ``w``."""
    m = np.isfinite(x)
    x, w = x[m], w[m]
    if len(x) == 0:
        return []
    order = np.argsort(x)
    x, w = x[order], w[order]
    cw = np.cumsum(w) - 0.5 * w
    cw /= w.sum()
    return [float(v) for v in np.interp(np.asarray(qs) / 100.0, cw, x)]


@dataclass
class Core:
    """The fitted decision function (before calibration)."""

    features: list[str]
    scale: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    fill: np.ndarray
    coef: np.ndarray
    intercept: float

    def transform(self, X: np.ndarray) -> np.ndarray:
        return signed_log(X, self.fill, self.scale, self.mean, self.std)

    def decision(self, X: np.ndarray) -> np.ndarray:
        return self.transform(X) @ self.coef + self.intercept


def fit_core(table: WindowTable, C: float = DEFAULT_C) -> Core:
    """Fit the transform and the logistic regression on the labelled rows of ``table``."""
    keep = usable_columns(table.X)
    feats = [f for f, k in zip(table.features, keep, strict=True) if k]
    X = table.X[:, keep]
    fill, scale, mean, std = fit_signed_log(X)
    Zs = signed_log(X, fill, scale, mean, std)
    w = sample_weights(table.y, table.video)
    lr = LogisticRegression(C=C, max_iter=2000)
    lr.fit(Zs, table.y, sample_weight=w)
    return Core(feats, scale, mean, std, fill, lr.coef_[0], float(lr.intercept_[0]))


def core_decision(core: Core, table: WindowTable) -> np.ndarray:
    idx = [table.features.index(f) for f in core.features]
    return core.decision(table.X[:, idx])


#: Above this many sources, the out-of-source decisions that choose C and fit the
#: calibration come from this many folds of whole sources instead of one fold per source:
#: every prediction is still made without its source, at a fraction of the cost (the
#: evaluation fits a model per held-out source, each with these inner folds).
INNER_FOLDS = 10


def out_of_source_decisions(table: WindowTable, C: float = DEFAULT_C,
                            folds: int = INNER_FOLDS,
                            copies: Sequence[WindowTable] = ()
                            ) -> tuple[np.ndarray, list[np.ndarray]]:
    """Decision value of every row from a model fitted without the row's source: one fold
    per source up to ``folds`` sources, else ``folds`` folds of whole sources (sklearn's
    GroupKFold, deterministic). Rows of each table in ``copies`` (the same videos in other
    formats, grouped alike) are predicted by the fold model that did not see their source.
    Returns the decisions of ``table`` and those of each copy table."""
    z = np.full(len(table.y), np.nan)
    zc = [np.full(len(c.y), np.nan) for c in copies]
    n_groups = len(np.unique(table.group))
    split = (LeaveOneGroupOut() if n_groups <= folds else GroupKFold(folds))
    for tr, te in split.split(table.X, table.y, table.group):
        sub = table.subset(tr)
        if len(np.unique(sub.y)) < 2:
            continue
        core = fit_core(sub, C)
        z[te] = core_decision(core, table.subset(te))
        held = np.unique(table.group[te])
        for c, out in zip(copies, zc, strict=True):
            m = np.isin(c.group, held)
            if m.any():
                out[m] = core_decision(core, c.subset(m))
    return z, zc


def calibration_sample(table: WindowTable, z: np.ndarray, copies: Sequence[WindowTable],
                       zc: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Decisions, labels and weights that the calibration is fitted on: the native rows,
    then the rows of every copy table (each holding both classes), each block weighted so
    that every video counts once in every format and both classes weigh the same within a
    block."""
    w = sample_weights(table.y, table.video)
    per_video = w.sum() / max(len(np.unique(table.video)), 1)
    zs, ys, ws = [z], [table.y], [w]
    for c, zz in zip(copies, zc, strict=True):
        wc = sample_weights(c.y, c.video)
        zs.append(zz)
        ys.append(c.y)
        ws.append(wc * per_video * len(np.unique(c.video)) / wc.sum())
    return np.concatenate(zs), np.concatenate(ys), np.concatenate(ws)


def fit_platt(z: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """Platt scaling: a, b with p = 1 / (1 + exp(a z + b)), fitted by weighted maximum
    likelihood on decision values ``z`` (nan rows ignored)."""
    m = np.isfinite(z)
    lr = LogisticRegression(C=1e6, max_iter=1000)
    lr.fit(z[m, None], y[m], sample_weight=w[m])
    return -float(lr.coef_[0, 0]), -float(lr.intercept_[0])


def reference_percentiles(table: WindowTable) -> dict[str, dict[str, list[float]]]:
    """Video-balanced percentiles of every metric, for camera ('real') and 'ai' windows."""
    ref: dict[str, dict[str, list[float]]] = {}
    w = per_video_weights(table.video)
    for j, name in enumerate(table.features):
        ref[name] = {}
        for cls, y in (("real", 0), ("ai", 1)):
            m = table.y == y
            q = weighted_quantiles(table.X[m, j], w[m])
            if q:
                ref[name][cls] = q
    return ref


def weighted_auc(y: np.ndarray, z: np.ndarray, w: np.ndarray) -> float:
    """ROC AUC of scores ``z`` under sample weights ``w`` (nan rows ignored)."""
    from sklearn.metrics import roc_auc_score

    m = np.isfinite(z)
    if len(np.unique(y[m])) < 2:
        return float("nan")
    return float(roc_auc_score(y[m], z[m], sample_weight=w[m]))


def fit_model(table: WindowTable, reference_table: WindowTable | None = None,
              C: float | None = None, provenance: dict[str, Any] | None = None,
              copies: dict[str, WindowTable] | None = None) -> Model:
    """The full model: decision function on all rows, calibration out of source,
    reference percentiles from ``reference_table`` (default: ``table``).

    With ``C`` None the regularisation strength is chosen from :data:`C_GRID` by the
    out-of-source AUC over the training sources (the predicted source never among them),
    so nothing is tuned on the footage being predicted.

    ``copies`` maps a format's name to the window table of the same videos transcoded to
    it (rows of other videos are ignored). The regression never sees them; the calibration
    is fitted on their out-of-source decisions as well as the native ones, so that a
    probability means the same for a re-encoded copy of a clip (docs/evaluation.md)."""
    labelled = table.subset(table.y >= 0)
    if len(np.unique(labelled.y)) < 2:
        raise ValueError("training needs windows of both classes (label 'ai' and "
                         "'real'/'human_cgi')")
    if len(np.unique(labelled.group)) < 2:
        raise ValueError("training needs at least two sources to calibrate out of source")
    seen = set(labelled.video.tolist())
    copies = {name: c.subset(np.isin(c.video, list(seen)) & (c.y >= 0))
              for name, c in (copies or {}).items()}
    # a format calibrates only with copies of both classes
    copies = {name: c for name, c in copies.items() if len(np.unique(c.y)) == 2}
    w = sample_weights(labelled.y, labelled.video)
    grid = (C,) if C is not None else C_GRID
    tried = {c: out_of_source_decisions(labelled, c, copies=list(copies.values()))
             for c in grid}
    aucs = {c: weighted_auc(labelled.y, z, w) for c, (z, _) in tried.items()}
    C = max(grid, key=lambda c: (np.nan_to_num(aucs[c], nan=-1.0), -c))
    z, zc = tried[C]
    if len(np.unique(labelled.y[np.isfinite(z)])) < 2:
        raise ValueError("calibration needs out-of-source predictions of both classes: "
                         "training needs at least two sources of each class")
    core = fit_core(labelled, C)
    a, b = fit_platt(*calibration_sample(labelled, z, list(copies.values()), zc))
    ref = reference_percentiles(reference_table or labelled)
    return Model(
        features=core.features, scale=core.scale.tolist(), mean=core.mean.tolist(),
        std=core.std.tolist(), fill=core.fill.tolist(), coef=core.coef.tolist(),
        intercept=core.intercept, platt_a=a, platt_b=b, window_s=MODEL_WINDOW_S,
        hop_s=MODEL_HOP_S, reference=ref, hypnotic=fit_index(reference_table or labelled),
        provenance={**(provenance or {}), "C": C,
                    "C_out_of_source_auc": {str(c): v for c, v in aucs.items()},
                    "calibrated_on": ["native", *copies],
                    "n_windows": int(len(labelled.y)),
                    "n_videos": int(len(labelled.video_ids())),
                    "n_sources": int(len(np.unique(labelled.group)))},
    )
