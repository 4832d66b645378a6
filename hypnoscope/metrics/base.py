"""What metrics are computed from: per-frame series with their times, and metric specs."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class MetricSpec:
    """A metric's name, unit, the factor it belongs to and a one-line meaning.
    ``calibrate`` is False for a metric that legitimately depends on the file's format
    (e.g. its resolution), so calibrated scores must not use it (docs/metrics.md says why)."""

    name: str
    unit: str
    factor: str
    meaning: str
    calibrate: bool = True


@dataclass
class SignalSet:
    """Per-frame series over a time span.

    ``t`` holds frame times in seconds; each array in ``series`` has one value per frame;
    ``events`` holds named event times in seconds; ``start``/``end`` bound the span (s).
    """

    t: np.ndarray
    series: dict[str, np.ndarray]
    events: dict[str, list[float]] = field(default_factory=dict)
    start: float = 0.0
    end: float = 0.0

    @property
    def duration(self) -> float:
        """Length of the span, s."""
        return max(self.end - self.start, 0.0)

    def get(self, name: str) -> np.ndarray:
        """The series ``name``, or an all-nan array when no extractor produced it."""
        s = self.series.get(name)
        return s if s is not None else np.full(len(self.t), np.nan)

    def window(self, start: float, end: float) -> SignalSet:
        """The frames with ``start <= t < end`` and the events inside that span."""
        m = (self.t >= start) & (self.t < end)
        return SignalSet(
            t=self.t[m],
            series={k: v[m] for k, v in self.series.items()},
            events={k: [x for x in v if start <= x < end] for k, v in self.events.items()},
            start=start, end=end,
        )


def nanmedian(x: np.ndarray) -> float:
    """Median of the finite values, nan when there are none (no warning)."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    return float(np.median(x)) if len(x) else float("nan")


def nanpercentile(x: np.ndarray, q: float) -> float:
    """Percentile ``q`` (0..100) of the finite values, nan when there are none."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    return float(np.percentile(x, q)) if len(x) else float("nan")


def without_cuts(values: np.ndarray, cut: np.ndarray, after: int = 1) -> np.ndarray:
    """``values`` with nan on every cut frame and on the ``after`` frames that follow it
    (a residual or a correlation across a cut measures the cut, not the texture)."""
    out = np.asarray(values, dtype=float).copy()
    idx = np.flatnonzero(np.nan_to_num(np.asarray(cut, dtype=float), nan=0.0) > 0)
    for k in range(after + 1):
        j = idx + k
        out[j[j < len(out)]] = np.nan
    return out
