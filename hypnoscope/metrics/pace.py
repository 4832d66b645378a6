"""Pace: how much moves per second, normalised to the frame diagonal."""

from __future__ import annotations

import numpy as np

from hypnoscope.metrics.base import MetricSpec, SignalSet, nanmedian, nanpercentile

FACTOR = "pace"

SPECS = (
    MetricSpec("motion_energy", "diagonals / s", FACTOR,
               "median optical-flow speed between distinct frames, cuts excluded"),
    MetricSpec("motion_energy_p90", "diagonals / s", FACTOR,
               "90th percentile of the optical-flow speed (the fast moments)"),
)


def motion_without_cuts(sig: SignalSet) -> np.ndarray:
    """Per-frame motion with cut frames set to nan (flow across a cut means nothing)."""
    motion = sig.get("motion").copy()
    cut = np.nan_to_num(sig.get("cut"), nan=0.0) > 0
    motion[cut] = np.nan
    return motion


def compute(sig: SignalSet) -> dict[str, float]:
    motion = motion_without_cuts(sig)
    return {
        "motion_energy": nanmedian(motion),
        "motion_energy_p90": nanpercentile(motion, 90),
    }
