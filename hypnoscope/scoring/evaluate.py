"""Leave-one-source-out evaluation of the AI-likeness model, and a metadata baseline.

Every prediction comes from a model (decision function *and* calibration) fitted without the
predicted video's source, so no generator or footage origin is ever on both sides.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.metrics import brier_score_loss, roc_auc_score

from hypnoscope.scoring.features import WindowTable
from hypnoscope.scoring.model import THRESHOLD, Model
from hypnoscope.scoring.resample import (
    BOOTSTRAP_LEVEL,
    BOOTSTRAP_RESAMPLES,
    auc_interval,
    percentile_interval,
    source_resamples,
)
from hypnoscope.scoring.train import fit_model, per_video_weights

#: Source facts a format detector would use (with container, codec and audio); never
#: model features.
METADATA_NUMERIC = ("width", "height", "nominal_fps", "duration_s", "frames_decoded")


@dataclass
class Scores:
    """Out-of-source predictions: per window (``p``) and per video (``video_p``)."""

    y: np.ndarray
    p: np.ndarray
    video: np.ndarray
    group: np.ndarray
    video_ids: np.ndarray = field(default_factory=lambda: np.array([]))
    video_y: np.ndarray = field(default_factory=lambda: np.array([]))
    video_p: np.ndarray = field(default_factory=lambda: np.array([]))
    video_group: np.ndarray = field(default_factory=lambda: np.array([]))

    def __post_init__(self) -> None:
        ids = np.unique(self.video)
        self.video_ids = ids
        self.video_y = np.array([self.y[self.video == v][0] for v in ids])
        self.video_p = np.array([np.nanmean(self.p[self.video == v]) for v in ids])
        self.video_group = np.array([self.group[self.video == v][0] for v in ids])


def _fold_model(args: tuple[WindowTable, str, float | None, dict[str, WindowTable] | None]
                ) -> tuple[str, Model | None]:
    table, g, C, copies = args
    train = table.subset(table.group != g)
    if len(np.unique(train.y)) < 2 or len(np.unique(train.group)) < 2:
        return g, None
    try:
        return g, fit_model(train, C=C, copies=copies)
    except ValueError:  # too few groups of one class left to calibrate on
        return g, None


def fold_models(table: WindowTable, C: float | None = None, workers: int = 1,
                copies: dict[str, WindowTable] | None = None) -> dict[str, Model]:
    """One model per held-out source (or group), fitted on all the others; none for a group
    whose others cannot train and calibrate one (fewer than two groups of a class). With
    ``workers`` > 1 the folds are fitted in that many processes (the same models).
    ``copies``: the common-format copies' tables, calibrated on as :func:`fit_model` says
    (each fold uses only the copies of the videos it trains on)."""
    jobs = [(table, str(g), C, copies) for g in np.unique(table.group)]
    if workers > 1 and len(jobs) > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=workers) as pool:
            done = list(pool.map(_fold_model, jobs))
    else:
        done = [_fold_model(j) for j in jobs]
    return {g: m for g, m in done if m is not None}


def feature_columns(table: WindowTable, rows: np.ndarray, features: Sequence[str]
                    ) -> np.ndarray:
    """The ``rows`` (mask) of ``table`` as columns in the order of ``features`` (nan for a
    feature the table lacks)."""
    n = int(np.count_nonzero(rows))
    return np.column_stack([table.X[rows, table.features.index(f)] if f in table.features
                            else np.full(n, np.nan) for f in features])


def predict_out_of_source(models: dict[str, Model], table: WindowTable) -> Scores:
    """Score every row of ``table`` with the model that never saw its source."""
    p = np.full(len(table.y), np.nan)
    for g, model in models.items():
        m = table.group == g
        if m.any():
            p[m] = model.predict_proba(feature_columns(table, m, model.features))
    ok = np.isfinite(p)
    return Scores(table.y[ok], p[ok], table.video[ok], table.group[ok])


#: Curves :func:`source_learning_curve` draws: over any group, or over groups of generated clips.
CURVE_OVER = ("groups", "generated")


def year_number(text: str | None) -> int | None:
    """The first four-digit year in ``text`` (a list's free-text ``year`` column: '2024',
    '2024-25', 'c. 2023'), None when there is none."""
    m = re.search(r"(?<!\d)(\d{4})(?!\d)", text or "")
    return int(m.group(1)) if m else None


def source_learning_curve(table: WindowTable, sizes: Sequence[int] | None = None,
                          repeats: int = 5, C: float | None = None, seed: int = 0,
                          on_draw: Callable[[int, int], None] | None = None,
                          over: str = "groups", years: dict[str, str] | None = None,
                          recent_from: int = 2024) -> list[dict[str, Any]]:
    """How the out-of-source (or out-of-group) video AUC grows with the number of groups
    trained on.

    For each ``k`` in ``sizes`` and each of ``repeats`` draws, every group is predicted by a
    model fitted (the shipped procedure) on ``k`` groups drawn at random from the others;
    the pooled video AUC of such a draw is one sample. With ``over="generated"`` only the
    groups holding generated clips are drawn (``k`` of them), and every other group except
    the predicted one is always trained on: the curve over the number of generator families
    seen. Default sizes: 3, 6, 9, ... up to all the drawable groups but one; at that size
    there is one draw, in which each group is predicted from all the others: the plain
    leave-one-group-out figure. A curve still rising at its end says more groups would help.

    Each row also gives, averaged over its draws, the share of non-generated videos called
    generated at the threshold (:data:`THRESHOLD`) and, with ``years`` (video id -> year),
    the share of the generated videos from ``recent_from`` on called generated.
    ``on_draw(done, total)`` is called after each draw."""
    if over not in CURVE_OVER:
        raise ValueError(f"the learning curve is drawn over one of {', '.join(CURVE_OVER)}, "
                         f"not {over!r}")
    names = np.unique(table.group)
    drawable = names if over == "groups" else np.unique(table.group[table.y == 1])
    fixed = np.setdiff1d(names, drawable)
    top = len(drawable) - 1
    sizes = sorted({k for k in (sizes or [*range(3, top, 3), top]) if 2 <= k <= top})
    rng = np.random.default_rng(seed)
    total, done = sum(1 if k == top else repeats for k in sizes), 0
    out = []
    for k in sizes:
        aucs, fprs, recent = [], [], []
        for _ in range(1 if k == top else repeats):
            models = {}
            for g in names:
                pool = drawable[drawable != g]
                always = fixed[fixed != g]
                for _try in range(20):  # draws too lopsided to calibrate are drawn again
                    pick = pool if k == top else rng.choice(pool, k, replace=False)
                    train = table.subset(np.isin(table.group, np.concatenate([always, pick])))
                    try:
                        models[g] = fit_model(train, C=C)
                        break
                    except ValueError:
                        continue
            s = predict_out_of_source(models, table)
            if len(np.unique(s.video_y)) == 2:
                aucs.append(float(roc_auc_score(s.video_y, s.video_p)))
            called = s.video_p >= THRESHOLD
            if (s.video_y == 0).any():
                fprs.append(float(called[s.video_y == 0].mean()))
            if years:
                new = np.array([(year_number(years.get(str(v))) or 0) >= recent_from
                                for v in s.video_ids]) & (s.video_y == 1)
                if new.any():
                    recent.append(float(called[new].mean()))
            done += 1
            if on_draw:
                on_draw(done, total)
        out.append({"training_sources": int(k), "draws": len(aucs),
                    "video_auc_mean": float(np.mean(aucs)) if aucs else None,
                    "video_auc_sd": float(np.std(aucs)) if len(aucs) > 1 else None,
                    "false_positive_rate_mean": float(np.mean(fprs)) if fprs else None,
                    "recent_generated_accuracy_mean":
                        float(np.mean(recent)) if recent else None})
    return out


def ece(y: np.ndarray, p: np.ndarray, bins: int = 10,
        weights: np.ndarray | None = None) -> float:
    """Expected calibration error with ``bins`` equal-width bins (optionally weighted)."""
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    edges = np.linspace(0, 1, bins + 1)
    idx = np.clip(np.digitize(p, edges) - 1, 0, bins - 1)
    total = 0.0
    for b in range(bins):
        m = idx == b
        if m.any():
            wb = w[m]
            total += wb.sum() * abs(np.average(p[m], weights=wb) - np.average(y[m], weights=wb))
    return float(total / w.sum())


def reliability(y: np.ndarray, p: np.ndarray, bins: int = 10) -> list[dict[str, float]]:
    edges = np.linspace(0, 1, bins + 1)
    idx = np.clip(np.digitize(p, edges) - 1, 0, bins - 1)
    rows = []
    for b in range(bins):
        m = idx == b
        if m.any():
            rows.append({"bin": f"{edges[b]:.1f}–{edges[b + 1]:.1f}", "n": int(m.sum()),
                         "mean_predicted": float(p[m].mean()),
                         "observed_ai": float(y[m].mean())})
    return rows


def auc_difference(a: Scores, b: Scores, level: float = BOOTSTRAP_LEVEL,
                   n: int = BOOTSTRAP_RESAMPLES, seed: int = 0) -> dict[str, Any]:
    """Video-level AUC of ``b`` minus that of ``a`` on the videos both scored, with its
    percentile interval over source resamples (the same resample for both, so what the
    two share cancels out)."""
    common, ia, ib = np.intersect1d(a.video_ids, b.video_ids, return_indices=True)
    y, pa, pb, g = a.video_y[ia], a.video_p[ia], b.video_p[ib], a.video_group[ia]
    diff = float(roc_auc_score(y, pb) - roc_auc_score(y, pa))
    diffs = [roc_auc_score(y[i], pb[i]) - roc_auc_score(y[i], pa[i])
             for i in source_resamples(g, n, seed) if len(np.unique(y[i])) == 2]
    return {"n": int(len(common)), "difference": diff,
            "interval": percentile_interval(diffs, level)}


def breakdown(s: Scores, category: dict[str, str], year: dict[str, str] | None = None,
              threshold: float = THRESHOLD) -> list[dict[str, Any]]:
    """Video-level figures per category (``category``: video id -> name, e.g. its source
    or generator family): videos, generated videos, accuracy at ``threshold``, mean P(AI),
    the most common ``year`` of its videos, and the AUC inside the category where it holds
    two videos of each class."""
    names = np.array([category.get(str(v), "unknown") for v in s.video_ids], dtype=object)
    rows = []
    for g in sorted(set(names)):
        m = names == g
        yg, pg = s.video_y[m], s.video_p[m]
        both = min(int(yg.sum()), int((yg == 0).sum())) >= 2
        years = [year[str(v)] for v in s.video_ids[m] if year and year.get(str(v))]
        rows.append({"name": str(g), "videos": int(m.sum()), "ai": int(yg.sum()),
                     "accuracy": float(np.mean((pg >= threshold) == (yg == 1))),
                     "mean_p_ai": float(pg.mean()),
                     "year": max(set(years), key=years.count) if years else None,
                     "auc": float(roc_auc_score(yg, pg)) if both else None})
    return rows


def summarize(s: Scores, year: dict[str, str] | None = None,
              threshold: float = THRESHOLD) -> dict[str, Any]:
    """AUC (with its interval over resamples of the held-out groups), accuracy at
    ``threshold``, Brier and ECE at window level (every window counting once, and every
    video's windows together counting once) and at video level; at video level also the
    share of camera/human-made videos called generated (false-positive rate) and of
    generated videos called generated (true-positive rate); and the figures per held-out
    group (``per_group``, with each group's ``year`` from ``year``: video id -> year)."""
    def block(y, p, g, w=None):
        if len(np.unique(y)) < 2:
            return {"n": int(len(y))}
        return {"n": int(len(y)), "auc": float(roc_auc_score(y, p, sample_weight=w)),
                "auc_interval": auc_interval(y, p, g, w),
                "accuracy": float(np.average((p >= threshold) == (y == 1), weights=w)),
                "brier": float(brier_score_loss(y, p, sample_weight=w)),
                "ece": ece(y, p, weights=w)}

    video = block(s.video_y, s.video_p, s.video_group)
    if "auc" in video:
        video["false_positive_rate"] = float(np.mean(s.video_p[s.video_y == 0] >= threshold))
        video["true_positive_rate"] = float(np.mean(s.video_p[s.video_y == 1] >= threshold))
    group = {str(v): str(g) for v, g in zip(s.video_ids, s.video_group, strict=True)}
    return {"threshold": threshold,
            "window": block(s.y, s.p, s.group),
            "window_per_video": block(s.y, s.p, s.group, per_video_weights(s.video)),
            "video": video,
            "reliability": reliability(s.video_y, s.video_p),
            "per_group": breakdown(s, group, year, threshold)}


def metadata_features(facts: Sequence[dict[str, Any]]) -> np.ndarray:
    """Metadata as numbers: log width, height, fps, duration and frame count, audio, and
    one-hot container and codec (the categories seen in ``facts``)."""
    cats = {c: sorted({str(f.get(c)) for f in facts}) for c in ("container", "codec")}
    rows = []
    for f in facts:
        row = [float(np.log(max(float(f.get(k) or 0.0), 1e-3))) for k in METADATA_NUMERIC]
        row.append(1.0 if f.get("has_audio") else 0.0)
        for c, values in cats.items():
            row += [1.0 if str(f.get(c)) == v else 0.0 for v in values]
        rows.append(row)
    return np.asarray(rows)


def metadata_baseline(facts: Sequence[dict[str, Any]], y: np.ndarray,
                      groups: np.ndarray) -> dict[str, Any]:
    """Leave-one-source-out AUC of classifiers on metadata alone (what a format detector
    would score), video level: a logistic regression and a random forest; ``auc`` is the
    better of the two."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X = metadata_features(facts)
    makers = {
        "logistic": lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
        "forest": lambda: RandomForestClassifier(300, min_samples_leaf=2, random_state=0),
    }
    out: dict[str, Any] = {}
    for name, make in makers.items():
        p = np.full(len(y), np.nan)
        for g in np.unique(groups):
            te = groups == g
            if len(np.unique(y[~te])) < 2:
                continue
            p[te] = make().fit(X[~te], y[~te]).predict_proba(X[te])[:, 1]
        ok = np.isfinite(p)
        if len(np.unique(y[ok])) < 2:
            continue
        out[name] = {"auc": float(roc_auc_score(y[ok], p[ok])),
                     "accuracy": float(np.mean((p[ok] >= 0.5) == (y[ok] == 1)))}
    best = max(out.values(), key=lambda r: r["auc"]) if out else {}
    return {"n": int(len(y)), "auc": best.get("auc"), "accuracy": best.get("accuracy"),
            "classifiers": out}
