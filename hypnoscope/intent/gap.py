"""The intent gap: how far a measured tension curve is from the arc a person asked for.

Both curves are put on the same uniform time grid over the clip (the arc as asked for, not
smoothed: on a 2 s clip, smoothing it like the tension curve would erase its release and
make every rising curve look like a setup and payoff); both are z-normalised, so only their
*shapes* are compared, never their level or scale:

    gap = 50 x (1 - w x r)        0 = the same shape, 50 = no relation (or no shape at all),
                                  100 = the opposite shape

where r is the Pearson correlation of the two curves and w = min(1, range / AMPLITUDE_REF)
discounts a curve whose 5-95 % range is small against what edited camera footage shows
(:data:`AMPLITUDE_REF`, derived from the corpus by ``benchmarks/amplitude_reference.py`` and
shipped in ``intent/data/amplitude.json``): a curve that barely moves can be rescaled into any
shape, so it cannot score as a match (a clip with no arc at all scores 50, whatever noise it
has). A ``flat`` arc has no shape to correlate with; its gap is
the share of the time the tension leaves the band of +-25 % (+0.1) around its median (the
band of the ``flatness`` metric), x 100.

Differences are read off the same z-normalised curves and given in words and seconds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import numpy as np
from scipy.signal import find_peaks, peak_widths

from hypnoscope.intent.arcs import Arc, load_arc
from hypnoscope.metrics.pressure import (
    FLAT_BAND,
    FLAT_FLOOR,
    GRID_S,
    SALIENT_PROMINENCE,
    tension_curve,
    uniform_curve,
)

#: Below this 5-95 % range (tension units: one salient peak) the curve has no arc to speak of.
PERCEPTIBLE_RANGE = SALIENT_PROMINENCE


def _amplitude_reference() -> float:
    """The lower quartile of the tension range of the corpus's edited camera clips, from
    ``intent/data/amplitude.json`` (see ``benchmarks/amplitude_reference.py``)."""
    doc = json.loads(resources.files("hypnoscope.intent").joinpath(
        "data/amplitude.json").read_text(encoding="utf-8"))
    return float(doc["edited_quartiles"][0])


#: A measured tension curve whose 5-95 % range is below this counts in proportion as a
#: shape (tension units): three quarters of the edited camera clips of the corpus swing more.
AMPLITUDE_REF = _amplitude_reference()
#: Minimum prominence of a peak of a z-normalised curve, standard deviations.
PEAK_Z = 0.5
#: Shortest disagreement reported, as a share of the clip and in s (the larger applies).
MIN_RUN_FRACTION, MIN_RUN_S = 0.06, 0.3
#: Smallest change of the z-normalised measured curve over a run that is reported, sd.
MIN_CHANGE_Z = 0.3
#: At most this many differences are reported, the most severe first.
MAX_DIFFERENCES = 6


@dataclass
class Difference:
    """One specific way the measured curve departs from the arc, ``start_s``..``end_s``."""

    kind: str
    start_s: float
    end_s: float
    text: str
    severity: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "start_s": round(self.start_s, 3),
                "end_s": round(self.end_s, 3), "text": self.text}


@dataclass
class IntentGap:
    """The gap (0..100) between a measured tension curve and an intended arc."""

    arc: Arc
    score: float
    correlation: float
    tension_range: float
    duration_s: float
    differences: list[Difference] = field(default_factory=list)
    times: np.ndarray = field(default_factory=lambda: np.zeros(0))
    measured: np.ndarray = field(default_factory=lambda: np.zeros(0))
    intended: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def lines(self) -> list[str]:
        """The gap and its differences as short lines for a terminal."""
        head = f"intent gap {self.score:.0f}/100 for arc {self.arc.name}"
        if np.isfinite(self.correlation):
            head += f" (shape correlation {self.correlation:+.2f})"
        return [head] + [f"  - {d.text}" for d in self.differences]

    def to_dict(self) -> dict[str, Any]:
        """The gap as plain JSON objects, with the arc's points for an overlay."""
        r = self.correlation
        return {
            "arc": self.arc.to_dict(self.duration_s),
            "gap": round(float(self.score), 2),
            "unit": "0..100 (0 = the arc's shape, 50 = unrelated, 100 = its opposite)",
            "correlation": round(float(r), 4) if np.isfinite(r) else None,
            "tension_range": round(float(self.tension_range), 4),
            "differences": [d.to_dict() for d in self.differences],
        }


def relative_drop(before: IntentGap, after: IntentGap) -> float:
    """(before - after) / before: the share of the ``before`` gap that ``after`` removed
    (0 when there was no gap)."""
    b = before.score
    return (b - after.score) / b if b > 0 else 0.0


def outcome_tail(render: dict[str, Any], evaluations: int, search_s: float, total_s: float,
                 otio_path: str | None, notes: list[str]) -> dict[str, Any]:
    """The last keys of a steer or edit plan document: how it was rendered, what the
    search cost (candidates measured, s), the total time (s), the .otio path and notes."""
    return {"render": render,
            "search": {"evaluations": evaluations, "seconds": round(search_s, 2)},
            "seconds": round(total_s, 2), "otio": otio_path, "notes": list(notes)}


def zscore(x: np.ndarray) -> np.ndarray:
    """``x`` minus its mean over its standard deviation (zeros when it is constant)."""
    x = np.asarray(x, dtype=float)
    sd = float(x.std())
    return (x - x.mean()) / sd if sd > 1e-12 else np.zeros_like(x)


def shape_gap(measured: np.ndarray, intended: np.ndarray,
              perceptible: float = AMPLITUDE_REF) -> tuple[float, float]:
    """(gap 0..100, Pearson r) of two curves on the same grid; see the module docstring.
    ``perceptible`` is the 5-95 % range (in the units of ``measured``) below which the
    measured shape is discounted in proportion (0: never)."""
    m = np.asarray(measured, dtype=float)
    a = np.asarray(intended, dtype=float)
    if len(m) < 3 or a.std() <= 1e-12:
        return 50.0, float("nan")
    if m.std() <= 1e-12:
        return 50.0, 0.0
    r = float(np.clip(np.mean(zscore(m) * zscore(a)), -1.0, 1.0))
    w = 1.0
    if perceptible > 0:
        p5, p95 = np.percentile(m, [5, 95])
        w = min(1.0, float(p95 - p5) / perceptible)
    return float(50.0 * (1.0 - w * r)), r


def flat_gap(measured: np.ndarray) -> float:
    """Gap (0..100) to a flat arc: the share of the time the curve leaves the band of
    +-25 % (+0.1 units) around its median, x 100."""
    m = np.asarray(measured, dtype=float)
    if len(m) == 0:
        return 50.0
    med = float(np.median(m))
    band = FLAT_BAND * abs(med) + FLAT_FLOOR
    return float(100.0 * np.mean(np.abs(m - med) > band))


def intended_curve(arc: Arc, grid: np.ndarray, duration_s: float) -> np.ndarray:
    """The arc's levels on ``grid`` (s)."""
    return arc.curve(grid, duration_s)


def gap_from_curve(t: np.ndarray, tension: np.ndarray, duration_s: float,
                   arc: Arc | str) -> IntentGap:
    """The intent gap of a tension curve sampled at ``t`` (s) in a clip of ``duration_s``."""
    arc = load_arc(arc)
    grid, m = uniform_curve(t, tension, step=GRID_S, start=0.0, end=duration_s)
    if len(grid) < 3:
        return IntentGap(arc, 50.0, float("nan"), 0.0, duration_s,
                         [Difference("too_short", 0.0, duration_s,
                                     "too short to compare with an arc")])
    a = intended_curve(arc, grid, duration_s)
    p5, p95 = np.percentile(m, [5, 95])
    rng = float(p95 - p5)
    if arc.is_flat:
        score, r = flat_gap(m), float("nan")
        diffs = flat_differences(grid, m, duration_s)
    else:
        score, r = shape_gap(m, a)
        diffs = shape_differences(grid, m, a, duration_s, arc)
        if rng < PERCEPTIBLE_RANGE:
            diffs.insert(0, Difference("no_arc", float(grid[0]), float(grid[-1]),
                                       f"the tension barely changes (range {rng:.2f} units):"
                                       f" the clip has no arc of its own", 1e9))
        elif rng < AMPLITUDE_REF:
            diffs.insert(0, Difference("small_arc", float(grid[0]), float(grid[-1]),
                                       f"the tension swings {rng:.2f} units, less than edited"
                                       f" camera footage ({AMPLITUDE_REF:.2f}): the arc is "
                                       f"faint", 1e8))
    diffs = sorted(diffs, key=lambda d: -d.severity)[:MAX_DIFFERENCES]
    diffs.sort(key=lambda d: (d.kind not in ("no_arc", "small_arc"), d.start_s))
    return IntentGap(arc, score, r, rng, duration_s, diffs, grid, zscore(m), zscore(a))


def intent_gap(analysis, arc: Arc | str) -> IntentGap:
    """The intent gap of an :class:`hypnoscope.Analysis` against an arc (an :class:`Arc`,
    a preset name or a .json/.csv path)."""
    t = np.asarray(analysis.times, dtype=float)
    tension = analysis.series.get("tension")
    if tension is None:
        nan = np.full(len(t), np.nan)
        tension = tension_curve(t, analysis.series.get("surprise", nan),
                                analysis.series.get("motion", nan),
                                analysis.series.get("cut", np.zeros(len(t))))
    return gap_from_curve(t, tension, analysis.source.duration_s, arc)


# -- differences in words -----------------------------------------------------------------

def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) index of every run of True in ``mask``."""
    m = np.concatenate([[False], np.asarray(mask, bool), [False]])
    d = np.diff(m.astype(int))
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1) - 1, strict=True))


def _span(a: float, b: float) -> str:
    return f"{a:.1f}–{b:.1f} s"


def edge_peaks(z: np.ndarray, prominence: float = PEAK_Z
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Peaks of ``z`` including maxima at either end: (index, prominence, left, right),
    the window ``left..right`` (indices) being where ``z`` stays above half the peak's
    prominence."""
    z = np.asarray(z, dtype=float)
    if len(z) < 2:
        e = np.zeros(0, dtype=int)
        return e, np.zeros(0), e, e
    pad = float(z.min()) - 1e-9
    zp = np.concatenate([[pad], z, [pad]])
    idx, props = find_peaks(zp, prominence=prominence)
    if len(idx) == 0:
        e = np.zeros(0, dtype=int)
        return e, np.zeros(0), e, e
    _, _, left, right = peak_widths(zp, idx, rel_height=0.5, prominence_data=(
        props["prominences"], props["left_bases"], props["right_bases"]))
    n = len(z)
    lo = np.clip(np.floor(left).astype(int) - 1, 0, n - 1)
    hi = np.clip(np.ceil(right).astype(int) - 1, 0, n - 1)
    return idx - 1, props["prominences"], lo, hi


def shape_differences(grid: np.ndarray, m: np.ndarray, a: np.ndarray, duration_s: float,
                      arc: Arc) -> list[Difference]:
    """Missing and misplaced peaks, slopes against the arc's, and unasked-for peaks."""
    zm, za = zscore(m), zscore(a)
    out: list[Difference] = []
    a_idx, _, a_lo, a_hi = edge_peaks(za)
    peaks = list(zip(a_idx.tolist(), a_lo.tolist(), a_hi.tolist(), strict=True))
    main = max(peaks, key=lambda p: za[p[0]])[0] if peaks else -1
    m_peaks, m_prom, _, _ = edge_peaks(zm)
    beat = "a beat" if arc.period_s is not None else "a peak"
    for p, lo, hi in peaks:
        here = (m_peaks >= lo) & (m_peaks <= hi)
        is_main = p == main
        what = "the climax" if is_main and len(peaks) == 1 else beat
        if not np.any(here & (zm[m_peaks] > 0)):
            out.append(Difference("missing_peak", float(grid[lo]), float(grid[hi]),
                                  f"no peak where {what} should be, "
                                  f"{_span(grid[lo], grid[hi])}",
                                  severity=float(za[p] - zm[lo:hi + 1].mean())))
    climax_k = -1
    if main >= 0 and len(peaks) == 1:
        k = int(np.argmax(zm))
        p, lo, hi = peaks[0]
        if not lo <= k <= hi and zm[k] - zm[lo:hi + 1].max() > MIN_CHANGE_Z:
            climax_k = k
            out.append(Difference("misplaced_climax", float(grid[k]), float(grid[k]),
                                  f"the climax comes at {grid[k]:.1f} s; the arc wants it "
                                  f"at {grid[p]:.1f} s",
                                  severity=float(abs(grid[k] - grid[p]) / duration_s * 4)))
    out += _slope_differences(grid, zm, za, duration_s, arc)
    extra: list[Difference] = []
    windows = [(lo, hi) for _, lo, hi in peaks]
    for k, prom in zip(m_peaks, m_prom, strict=True):
        if k == climax_k or any(lo <= k <= hi for lo, hi in windows) or za[k] > 0.5:
            continue
        if prom * m.std() < 0.5 * SALIENT_PROMINENCE:
            continue
        extra.append(Difference("extra_peak", float(grid[k]), float(grid[k]),
                                f"a peak at {grid[k]:.1f} s that the arc does not ask for",
                                severity=float(prom)))
    out += _collapse(extra, "peaks at {} that the arc does not ask for")
    missing = [d for d in out if d.kind == "missing_peak"]
    if len(missing) > 2:
        out = [d for d in out if d.kind != "missing_peak"]
        out += _collapse(missing, f"no peak where {len(missing)} beats should be: {{}}")
    return out


def _collapse(diffs: list[Difference], template: str) -> list[Difference]:
    """More than two differences of one kind become one, listing their times."""
    if len(diffs) <= 2:
        return diffs
    times = ", ".join(f"{0.5 * (d.start_s + d.end_s):.1f}" for d in diffs) + " s"
    return [Difference(diffs[0].kind, diffs[0].start_s, diffs[-1].end_s,
                       template.format(times), severity=sum(d.severity for d in diffs))]


def _slope_differences(grid: np.ndarray, zm: np.ndarray, za: np.ndarray, duration_s: float,
                       arc: Arc) -> list[Difference]:
    """Runs where the measured curve goes down while the arc goes up, or the reverse."""
    min_len = max(MIN_RUN_S, MIN_RUN_FRACTION * duration_s) / GRID_S
    slope_a = np.gradient(za, grid) * duration_s  # sd per clip length
    slope_m = np.gradient(zm, grid) * duration_s
    if arc.period_s is not None:
        texts = ("tension falls while a beat builds", "tension rises after a beat")
    else:
        texts = ("tension falls during the build-up", "tension rises during the release")
    out = []
    for sign, kind, text in ((1, "falls_in_build", texts[0]),
                             (-1, "rises_in_release", texts[1])):
        mask = (sign * slope_a > 0.5) & (sign * slope_m < 0)
        found = []
        for i, j in _runs(mask):
            change = abs(zm[j] - zm[i])
            if j - i + 1 >= min_len and change >= MIN_CHANGE_Z:
                found.append(Difference(kind, float(grid[i]), float(grid[j]),
                                        f"{text}, {_span(grid[i], grid[j])}",
                                        severity=float(change)))
        out += _collapse(found, text + " around {}")
    return out


def flat_differences(grid: np.ndarray, m: np.ndarray, duration_s: float) -> list[Difference]:
    """Where the curve leaves the band around its median, for a flat arc."""
    med = float(np.median(m))
    band = FLAT_BAND * abs(med) + FLAT_FLOOR
    min_len = max(MIN_RUN_S, MIN_RUN_FRACTION * duration_s) / GRID_S * 0.5
    out: list[Difference] = []
    for sign, kind, text in ((1, "above_steady", "tension rises above the steady level"),
                             (-1, "below_steady", "tension drops below the steady level")):
        for i, j in _runs(sign * (m - med) > band):
            if j - i + 1 < min_len:
                continue
            k = i + int(np.argmax(sign * m[i:j + 1]))
            words = (f"a peak at {grid[k]:.1f} s that the arc does not ask for"
                     if sign > 0 and j - i + 1 < 2 * min_len else
                     f"{text}, {_span(grid[i], grid[j])}")
            out.append(Difference(kind, float(grid[i]), float(grid[j]), words,
                                  severity=float((j - i + 1) * GRID_S)))
    return out
