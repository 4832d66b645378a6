"""Compare two groups metric by metric, and test the thesis claim by claim."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.stats import mannwhitneyu

from hypnoscope.metrics import metric_specs
from hypnoscope.scoring.thesis import CLAIMS, DIRECTION


def cliffs_delta(a: np.ndarray, b: np.ndarray) -> float:
    """Cliff's delta of ``a`` over ``b`` (-1..1): P(a > b) - P(a < b)."""
    a, b = _finite(a), _finite(b)
    if len(a) == 0 or len(b) == 0:
        return float("nan")
    diff = np.sign(a[:, None] - b[None, :])
    return float(diff.mean())


def single_metric_auc(a: np.ndarray, b: np.ndarray) -> float:
    """AUC of the metric alone at telling ``a`` (positive) from ``b``: P(a > b) + ties/2."""
    d = cliffs_delta(a, b)
    return (d + 1.0) / 2.0 if np.isfinite(d) else float("nan")


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


def verdict(auc: float) -> str:
    """Words for a direction-adjusted AUC (0.5 = no difference)."""
    if not np.isfinite(auc):
        return "no data"
    if auc >= 0.75:
        return "supported (strong)"
    if auc >= 0.62:
        return "supported (moderate)"
    if auc > 0.38:
        return "not supported"
    return "contradicted"


def thesis_scorecard(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """For each claim: the direction-adjusted AUC of each of its metrics (generated versus
    camera, 1 = the thesis holds perfectly, 0.5 = no difference, 0 = the opposite holds),
    the best and the median, and a verdict from the median."""
    by_metric = {r["metric"]: r for r in rows}
    card = []
    for claim, spec in CLAIMS.items():
        evidence = []
        for r in by_metric.values():
            d = DIRECTION.get(r["metric"], 0)
            if r["factor"] in spec["factors"] and d:
                auc = r["auc"] if d > 0 else 1.0 - r["auc"]
                evidence.append({"metric": r["metric"], "direction": d,
                                 "thesis_auc": float(auc), "cliffs_delta": r["cliffs_delta"],
                                 "p_value": r["p_value"]})
        evidence.sort(key=lambda e: -e["thesis_auc"])
        aucs = [e["thesis_auc"] for e in evidence]
        med = float(np.median(aucs)) if aucs else float("nan")
        card.append({"claim": claim, "text": spec["text"], "factors": list(spec["factors"]),
                     "median_thesis_auc": med, "best": evidence[0] if evidence else None,
                     "verdict": verdict(med), "evidence": evidence})
    return card
