"""Bootstrap over sources: resamples that keep each source whole, and AUC intervals from them.

The sources (generators, footage origins), not the clips, are the independent units of the
evaluation and of the group comparison: clips of one source share a format, subjects and a
style, so resampling clips one by one would make every figure look far surer than it is.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import roc_auc_score

from hypnoscope.report.stats import auc as rank_auc

#: Bootstrap resamples for the intervals, and their coverage.
BOOTSTRAP_RESAMPLES, BOOTSTRAP_LEVEL = 2000, 0.95


def source_resamples(groups: np.ndarray, n: int = BOOTSTRAP_RESAMPLES, seed: int = 0
                     ) -> list[np.ndarray]:
    """``n`` bootstrap resamples of the rows of ``groups`` (one source label per row) in
    which whole sources are drawn with replacement: row indices, a source's rows as many
    times as it was drawn."""
    names, inverse = np.unique(groups, return_inverse=True)
    rows_of = [np.flatnonzero(inverse == k) for k in range(len(names))]
    rng = np.random.default_rng(seed)
    return [np.concatenate([rows_of[k] for k in rng.integers(0, len(names), len(names))])
            for _ in range(n)]


def percentile_interval(samples: Sequence[float], level: float = BOOTSTRAP_LEVEL
                        ) -> list[float] | None:
    """The central ``level`` percentile interval ([low, high]) of ``samples``; None when
    there are none."""
    if len(samples) == 0:
        return None
    tail = (1.0 - level) / 2.0 * 100.0
    return [float(np.percentile(samples, tail)), float(np.percentile(samples, 100.0 - tail))]


def auc_interval(y: np.ndarray, p: np.ndarray, groups: np.ndarray,
                 weights: np.ndarray | None = None, level: float = BOOTSTRAP_LEVEL,
                 n: int = BOOTSTRAP_RESAMPLES, seed: int = 0) -> list[float] | None:
    """Percentile interval of the ROC AUC of scores ``p`` for labels ``y`` (1 positive)
    over source resamples (:func:`source_resamples`); rows with a non-finite score are left
    out. None when fewer than two sources hold the rows."""
    y, p, groups = np.asarray(y), np.asarray(p, dtype=float), np.asarray(groups)
    ok = np.isfinite(p)
    y, p, groups = y[ok], p[ok], groups[ok]
    if len(np.unique(groups)) < 2:
        return None
    w = None if weights is None else np.asarray(weights, dtype=float)[ok]
    aucs = []
    for i in source_resamples(groups, n, seed):
        yi, pi = y[i], p[i]
        if len(np.unique(yi)) < 2:
            continue
        aucs.append(rank_auc(pi[yi == 1], pi[yi == 0]) if w is None
                    else roc_auc_score(yi, pi, sample_weight=w[i]))
    return percentile_interval(aucs, level)
