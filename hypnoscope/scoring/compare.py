"""Compare two groups metric by metric, and test the thesis claim by claim."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.stats import mannwhitneyu

from hypnoscope.metrics import metric_specs
from hypnoscope.report.stats import auc as single_metric_auc
from hypnoscope.report.stats import cliffs_delta
from hypnoscope.scoring.thesis import CLAIMS, DIRECTION


def _finite(x) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    return x[np.isfinite(x)]


def compare_groups(values: dict[str, dict[str, Sequence[float]]], a: str, b: str
                   ) -> list[dict[str, Any]]:
    """Per metric: medians of groups ``a`` and ``b``, Cliff's delta (a over b), single-metric
    AUC and a Mann–Whitney p-value. ``values[metric][group]`` holds one value per video."""
    specs = metric_specs()
    rows = []
    for metric, groups in values.items():
        va, vb = _finite(groups.get(a, [])), _finite(groups.get(b, []))
        if len(va) < 2 or len(vb) < 2:
            continue
        p = float(mannwhitneyu(va, vb).pvalue) if np.ptp(np.r_[va, vb]) > 0 else 1.0
        spec = specs.get(metric)
        rows.append({"metric": metric, "factor": spec.factor if spec else "",
                     "unit": spec.unit if spec else "",
                     f"median_{a}": float(np.median(va)), f"median_{b}": float(np.median(vb)),
                     "n_" + a: int(len(va)), "n_" + b: int(len(vb)),
                     "cliffs_delta": cliffs_delta(va, vb), "auc": single_metric_auc(va, vb),
                     "p_value": p})
    rows.sort(key=lambda r: -abs(r["cliffs_delta"]))
    return rows


def within_source_aucs(values: dict[str, Sequence[float]], y: Sequence[int],
                       sources: Sequence[str], min_per_class: int = 2
                       ) -> dict[str, dict[str, float]]:
    """Per metric, the single-metric AUC (generated over camera) inside each source that
    holds at least ``min_per_class`` videos of each class: ``values[metric]`` holds one value
    per video, aligned with the labels ``y`` (1 generated, 0 camera) and ``sources``.

    A metric that separates the classes inside every such source measures something the
    two kinds of footage differ in wherever they come from, not which repository (and so
    which formats and subjects) a clip came from."""
    y = np.asarray(y)
    sources = np.asarray(sources, dtype=object)
    out: dict[str, dict[str, float]] = {}
    for metric, v in values.items():
        v = np.asarray(v, dtype=float)
        per: dict[str, float] = {}
        for src in np.unique(sources):
            m = (sources == src) & np.isfinite(v)
            a, b = v[m & (y == 1)], v[m & (y == 0)]
            if len(a) >= min_per_class and len(b) >= min_per_class:
                per[str(src)] = single_metric_auc(a, b)
        out[metric] = per
    return out


def _beyond_chance(e: dict[str, Any], side: int) -> bool:
    """Whether the interval of ``e``'s thesis AUC over source resamples lies wholly above
    (``side`` 1) or below (-1) 0.5; True when there is no interval to check."""
    iv = e.get("thesis_auc_interval")
    if not iv:
        return True
    return iv[0] > 0.5 if side > 0 else iv[1] < 0.5


def verdict(evidence: list[dict[str, Any]], n_tests: int, alpha: float = 0.05) -> str:
    """Words for a claim from its metrics' direction-adjusted AUCs and p-values: a metric
    counts when its Mann-Whitney p-value passes Bonferroni's correction over ``n_tests``
    metrics, its AUC is at least 0.62 (or at most 0.38) in the thesis's direction, and,
    when the evidence carries one, the AUC's interval over source resamples excludes 0.5
    (the Mann-Whitney test counts videos as independent; videos of one source are not)."""
    if not evidence:
        return "no data"
    cut = alpha / max(n_tests, 1)
    pro = [e for e in evidence if e["p_value"] < cut and e["thesis_auc"] >= 0.62
           and _beyond_chance(e, 1)]
    con = [e for e in evidence if e["p_value"] < cut and e["thesis_auc"] <= 0.38
           and _beyond_chance(e, -1)]
    if pro and con:
        return "mixed"
    if pro:
        best = max(e["thesis_auc"] for e in pro)
        return "supported (strong)" if best >= 0.75 else "supported (moderate)"
    if con:
        return "contradicted"
    return "not supported"


def thesis_scorecard(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """For each claim: the direction-adjusted AUC of each of its metrics (generated versus
    camera, 1 = the thesis holds perfectly, 0.5 = no difference, 0 = the opposite holds),
    the strongest evidence, the median, and a verdict (see :func:`verdict`)."""
    by_metric = {r["metric"]: r for r in rows}
    n_tests = len(rows)
    card = []
    for claim, spec in CLAIMS.items():
        evidence = []
        for r in by_metric.values():
            d = DIRECTION.get(r["metric"], 0)
            if r["factor"] in spec["factors"] and d:
                auc = r["auc"] if d > 0 else 1.0 - r["auc"]
                iv = r.get("auc_interval")
                if iv and d < 0:
                    iv = [1.0 - iv[1], 1.0 - iv[0]]
                evidence.append({"metric": r["metric"], "direction": d,
                                 "thesis_auc": float(auc), "thesis_auc_interval": iv,
                                 "cliffs_delta": r["cliffs_delta"], "p_value": r["p_value"]})
        evidence.sort(key=lambda e: -abs(e["thesis_auc"] - 0.5))
        aucs = [e["thesis_auc"] for e in evidence]
        med = float(np.median(aucs)) if aucs else float("nan")
        card.append({"claim": claim, "text": spec["text"], "factors": list(spec["factors"]),
                     "median_thesis_auc": med, "best": evidence[0] if evidence else None,
                     "verdict": verdict(evidence, n_tests), "evidence": evidence})
    return card
