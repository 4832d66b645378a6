"""Fluidity: does the video blend everything, with no sharp edges in time?"""

from __future__ import annotations

import numpy as np

from hypnoscope.metrics.base import MetricSpec, SignalSet

FACTOR = "fluidity"

SPECS = (
    MetricSpec("cuts_per_minute", "cuts / min", FACTOR,
               "hard shot cuts per minute of video"),
    MetricSpec("shot_length_median", "s", FACTOR,
               "median length of the shots (the first and last may be cut off by the span)"),
    MetricSpec("longest_shot", "s", FACTOR, "length of the longest shot in the span"),
)


def shot_lengths(cut_times: list[float], start: float, end: float) -> np.ndarray:
    """Lengths in seconds of the shots that ``cut_times`` divide ``[start, end)`` into."""
    edges = [start] + sorted(c for c in cut_times if start < c < end) + [end]
    return np.diff(np.asarray(edges, dtype=float))


def compute(sig: SignalSet) -> dict[str, float]:
    cuts = sig.events.get("cuts", [])
    n_cuts = sum(1 for c in cuts if sig.start < c < sig.end)
    dur = sig.duration
    lengths = shot_lengths(cuts, sig.start, sig.end)
    return {
        "cuts_per_minute": 60.0 * n_cuts / dur if dur > 0 else float("nan"),
        "shot_length_median": float(np.median(lengths)) if len(lengths) else float("nan"),
        "longest_shot": float(lengths.max()) if len(lengths) else float("nan"),
    }
