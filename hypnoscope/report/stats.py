"""Group comparison statistics for the compare report: effect size and single-metric AUC."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import rankdata


def _finite(x: Iterable[float]) -> np.ndarray:
    a = np.asarray([v if v is not None else np.nan for v in x], dtype=float)
    return a[np.isfinite(a)]


def auc(positive: Sequence[float], negative: Sequence[float]) -> float:
    """Probability that a value of ``positive`` exceeds one of ``negative`` (ties count
    half): the ROC AUC of the metric used alone as a score. nan if a group is empty."""
    p, n = _finite(positive), _finite(negative)
    if len(p) == 0 or len(n) == 0:
        return math.nan
    ranks = rankdata(np.concatenate([p, n]))
    u = ranks[: len(p)].sum() - len(p) * (len(p) + 1) / 2.0
    return float(u / (len(p) * len(n)))


def cliffs_delta(a: Sequence[float], b: Sequence[float]) -> float:
    """Cliff's delta of ``a`` against ``b``: P(a > b) - P(a < b), in -1..1 (0: no
    difference; ±0.147/0.33/0.474 are the usual small/medium/large thresholds)."""
    u = auc(a, b)
    return 2.0 * u - 1.0 if math.isfinite(u) else math.nan


def effect_label(delta: float) -> str:
    """Romano et al.'s words for the size of a Cliff's delta."""
    d = abs(delta)
    if not math.isfinite(d):
        return "–"
    return ("negligible" if d < 0.147 else "small" if d < 0.33 else "medium" if d < 0.474
            else "large")


@dataclass(frozen=True)
class MetricComparison:
    """One metric across groups: the values of each group, their medians, and Cliff's
    delta and AUC of every other group against the first (the reference)."""

    metric: str
    values: dict[str, np.ndarray]
    medians: dict[str, float]
    delta: dict[str, float]
    auc: dict[str, float]

    @property
    def strength(self) -> float:
        """The largest |delta| against the reference (0 when undefined)."""
        d = [abs(v) for v in self.delta.values() if math.isfinite(v)]
        return max(d) if d else 0.0


def compare_groups(groups: Mapping[str, Sequence[Mapping[str, float | None]]]
                   ) -> list[MetricComparison]:
    """Every metric present in any group, compared; strongest differences first.

    ``groups`` maps a group name to a list of metric dicts (one per clip or window); the
    first group is the reference that the others are compared to."""
    names = list(groups)
    if not names:
        return []
    metrics = list(dict.fromkeys(k for g in groups.values() for row in g for k in row))
    ref = names[0]
    out = []
    for m in metrics:
        values = {g: _finite(row.get(m) for row in groups[g]) for g in names}
        medians = {g: float(np.median(v)) if len(v) else math.nan for g, v in values.items()}
        delta = {g: cliffs_delta(values[g], values[ref]) for g in names[1:]}
        aucs = {g: auc(values[g], values[ref]) for g in names[1:]}
        out.append(MetricComparison(m, values, medians, delta, aucs))
    out.sort(key=lambda c: -c.strength)
    return out


def groups_from_rows(rows: Iterable[tuple[str, str, float | None]]
                     ) -> dict[str, list[dict[str, float | None]]]:
    """``(metric, group, value)`` rows (long format, one value per clip each) as the
    ``groups`` mapping: the k-th value of a metric in a group goes to that group's k-th
    metric dict."""
    out: dict[str, list[dict[str, float | None]]] = {}
    seen: dict[tuple[str, str], int] = {}
    for metric, group, value in rows:
        k = seen.get((group, metric), 0)
        seen[(group, metric)] = k + 1
        lst = out.setdefault(group, [])
        while len(lst) <= k:
            lst.append({})
        lst[k][metric] = value
    return out
