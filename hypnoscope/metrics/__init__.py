"""Metrics: pure functions from per-frame series to named scalars, grouped by factor.

Each factor has one module (``fluidity``, ``pace``, ...) holding its ``SPECS`` (name, unit,
meaning) and a ``compute(SignalSet) -> dict`` function. To find where a metric is computed,
open the module of its factor; a name ending in ``_cv`` or ``_jitter`` (how a series varies
within the span) is in ``steadiness``.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypnoscope.defaults import DEFAULT_WINDOW_S
from hypnoscope.metrics import fluidity, focus, pace, polish, pressure, steadiness, wander
from hypnoscope.metrics.base import MetricSpec, SignalSet

#: The metric modules, in the order the thesis names their factors (``steadiness`` holds
#: the pressure factor's within-span variation of every motion and structure series).
FACTOR_MODULES = (fluidity, pace, pressure, steadiness, wander, polish, focus)



def metric_specs() -> dict[str, MetricSpec]:
    """Every metric's spec by name."""
    return {s.name: s for m in FACTOR_MODULES for s in m.SPECS}


def compute_metrics(sig: SignalSet) -> dict[str, float]:
    """All metrics of every factor over the span of ``sig``."""
    out: dict[str, float] = {}
    for module in FACTOR_MODULES:
        out.update(module.compute(sig))
    return out


@dataclass
class Window:
    """Metrics over one fixed-length window ``[start, end)`` in seconds."""

    start: float
    end: float
    metrics: dict[str, float]


def window_bounds(duration: float, length: float, hop: float) -> list[tuple[float, float]]:
    """Start and end (s) of every complete window of ``length`` s, ``hop`` s apart."""
    if length <= 0 or hop <= 0 or duration + 1e-6 < length:
        return []
    bounds = []
    start = 0.0
    while start + length <= duration + 1e-6:
        bounds.append((start, start + length))
        start += hop
    return bounds


def compute_windows(sig: SignalSet, length: float = DEFAULT_WINDOW_S,
                    hop: float | None = None) -> list[Window]:
    """Metrics on every complete window of ``length`` seconds (hop defaults to length)."""
    hop = hop or length
    return [Window(a, b, compute_metrics(sig.window(a, b)))
            for a, b in window_bounds(sig.duration, length, hop)]


__all__ = ["MetricSpec", "SignalSet", "Window", "FACTOR_MODULES", "DEFAULT_WINDOW_S",
           "metric_specs", "compute_metrics", "compute_windows", "window_bounds"]
