"""Wander and morph: does the picture change in ways motion does not explain, and does its
content go somewhere or drift?"""

from __future__ import annotations

import numpy as np

from hypnoscope.metrics.base import MetricSpec, SignalSet, nanmedian, without_cuts

FACTOR = "wander"

SPECS = (
    MetricSpec("morph_index", "0..1", FACTOR,
               "share of the appearance change over ~0.5 s that optical flow does not "
               "explain (gradient domain, occlusions masked, noise floor removed)"),
    MetricSpec("descriptor_speed", "descriptor units / s", FACTOR,
               "median speed of the global appearance descriptor inside shots"),
    MetricSpec("descriptor_straightness", "0..1", FACTOR,
               "net displacement over path length of the descriptor over ~1 s windows "
               "inside shots (1: goes straight somewhere, 0: wanders)"),
    MetricSpec("recurrence", "0..1", FACTOR,
               "share of same-shot frame pairs more than 1 s apart whose descriptors are "
               "closer than 0.25 (the content comes back or holds)"),
    MetricSpec("nonrigidity", "log ratio", FACTOR,
               "median log ratio of the residual of tracked points around the dominant "
               "projective motion to the residual of the same frame moved rigidly by it "
               "(0: as rigid as a solid scene; surfaces that slide and breathe raise it)"),
    MetricSpec("epipolar_residual", "px at 180 px height", FACTOR,
               "median Sampson distance of tracked points from the epipolar geometry "
               "fitted between frames ~0.5 s apart (a rigid 3D scene, parallax included, "
               "fits it exactly up to tracking noise)"),
)


def ratio_of_sums(num: np.ndarray, den: np.ndarray) -> float:
    """sum(num) / sum(den) over the entries where both are finite (nan when the
    denominator sum is not positive)."""
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    ok = np.isfinite(num) & np.isfinite(den)
    d = float(den[ok].sum())
    return float(num[ok].sum()) / d if d > 0 else float("nan")


def morph_index(residual: np.ndarray, change: np.ndarray, floor: np.ndarray,
                valid: np.ndarray) -> float:
    """Change-weighted morph ratio over the frames where ``valid`` (the per-frame ratio) is
    finite: sum(clip(residual - floor, 0, change - floor)) / sum(change - floor), 0..1."""
    residual, change, floor = (np.asarray(x, dtype=float) for x in (residual, change, floor))
    ok = np.isfinite(np.asarray(valid, dtype=float))
    floor = np.where(np.isfinite(floor), floor, 0.0)
    unexplained = np.clip(np.minimum(residual, change) - floor, 0.0, None)
    return ratio_of_sums(np.where(ok, unexplained, np.nan),
                         np.where(ok, change - floor, np.nan))


def compute(sig: SignalSet) -> dict[str, float]:
    return {
        "morph_index": morph_index(sig.get("morph_residual"), sig.get("morph_change"),
                                   sig.get("morph_floor"), sig.get("morph")),
        "descriptor_speed": nanmedian(sig.get("descriptor_speed")),
        "descriptor_straightness": ratio_of_sums(sig.get("descriptor_net"),
                                                 sig.get("descriptor_path")),
        "recurrence": ratio_of_sums(sig.get("recur_close"), sig.get("recur_pairs")),
        "nonrigidity": nanmedian(without_cuts(sig.get("nonrigidity"), sig.get("cut"),
                                              after=0)),
        "epipolar_residual": nanmedian(sig.get("epipolar_residual")),
    }
