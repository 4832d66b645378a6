"""Shots, distinct frames and shot boundaries as masks over the per-frame series.

A shot boundary is a hard cut or a frame of a gradual transition. A value measured between
two frames (or over three) means nothing when a boundary lies between them, so every
fluidity and pace metric drops those values with the masks here; duplicates are dropped by
the extractors themselves (their values are nan).
"""

from __future__ import annotations

import numpy as np

from hypnoscope.metrics.base import SignalSet


def boundary(sig: SignalSet) -> np.ndarray:
    """True on frames whose change from the previous frame crosses a shot boundary (the
    first frame after a hard cut, every frame of a gradual transition)."""
    cut = np.nan_to_num(sig.get("cut"), nan=0.0) > 0
    tr = np.nan_to_num(sig.get("transition"), nan=0.0) > 0
    return cut | tr


def distinct(sig: SignalSet) -> np.ndarray:
    """True on frames that show a new picture (the first frame, and every frame after which
    not all source frames repeated)."""
    dup = sig.get("duplicate")
    out = ~(np.nan_to_num(dup, nan=0.0) >= 1.0)
    if len(out):
        out[0] = True
    return out


def _previous_distinct(dist: np.ndarray) -> np.ndarray:
    """Index of the previous distinct frame for every frame (-1 when none)."""
    idx = np.where(dist, np.arange(len(dist)), -1)
    prev = np.maximum.accumulate(idx)
    return np.concatenate([[-1], prev[:-1]]) if len(prev) else prev


def step_crosses_boundary(sig: SignalSet) -> np.ndarray:
    """For each frame, True when a boundary lies in (previous distinct frame, this frame]:
    a value measured over the step into this frame spans two shots."""
    b = boundary(sig)
    cum = np.cumsum(b)
    prev = _previous_distinct(distinct(sig))
    before = np.where(prev >= 0, cum[np.maximum(prev, 0)], 0)
    return (cum - before) > 0


def triple_crosses_boundary(sig: SignalSet) -> np.ndarray:
    """For each distinct frame, True when a boundary lies between its previous and its next
    distinct frame: a value measured over the triple spans two shots."""
    step = step_crosses_boundary(sig)
    dist = distinct(sig)
    n = len(dist)
    out = step.copy()
    nxt = -1
    for i in range(n - 1, -1, -1):  # the step into the next distinct frame
        if nxt >= 0 and step[nxt]:
            out[i] = True
        if dist[i]:
            nxt = i
    return out


def shot_ids(sig: SignalSet) -> np.ndarray:
    """A shot number for every frame: it grows by one at each boundary frame (a gradual
    transition's frames all get their own, unusable, numbers)."""
    return np.cumsum(boundary(sig))


def transition_runs(sig: SignalSet) -> list[tuple[int, int]]:
    """(first, last) frame indices of each run of gradual-transition frames in the span."""
    tr = np.nan_to_num(sig.get("transition"), nan=0.0) > 0
    edges = np.diff(np.concatenate([[0], tr.astype(int), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1, strict=True))


def boundary_times(sig: SignalSet) -> list[float]:
    """Times (s) that divide the span into shots: each hard cut, and the middle of each
    gradual transition (from the frame before its first changing frame to its last)."""
    t = sig.t
    out = [float(c) for c in sig.events.get("cuts", [])]
    for a, b in transition_runs(sig):
        out.append(0.5 * (float(t[max(a - 1, 0)]) + float(t[b])))
    return sorted(c for c in out if sig.start < c < sig.end)
