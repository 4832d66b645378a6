"""Find the edit plan that brings a clip's measured arc closest to the intended one.

Every candidate is scored by measuring its edited frame sequence with the tension model
(:func:`hypnoscope.intent.measure.measure_gap`): the objective is the intent gap plus a small
price on the size of the edit (:data:`EDIT_WEIGHT` points per unit of
:meth:`PlanParams.edit_cost`), so that of two plans that reach the same gap the smaller edit
wins and a clip that already has its arc is left alone. The search starts from a few
designed candidates (the identity, speeds that follow the arc's level, jump cuts placed on
the arc's peaks, a jump cut that drops the clip's own climax where the arc wants none) and
improves the best by coordinate descent on a discrete grid: one speed, one jump cut's place
or length, or the hold's place or length, one step at a time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy.signal import find_peaks

from hypnoscope.intent.arcs import Arc
from hypnoscope.intent.gap import IntentGap
from hypnoscope.intent.measure import CachedFlow, SourceFrames, measure_gap
from hypnoscope.intent.plan import EditPlan, Limits, PlanParams

#: Gap points charged per unit of edit size (an octave of speed change on the whole clip,
#: or the whole clip dropped or held).
EDIT_WEIGHT = 2.0
#: A move must lower the objective by at least this many points to be taken.
MIN_GAIN = 0.5
#: Number of equal source stretches with their own speed.
SEGMENTS = 4
#: Grid of shares of the source for the jump cut's and the hold's length.
LENGTHS = (0.0, 0.05, 0.1, 0.2, 0.3)
#: Step of the jump cut's and the hold's place, as a share of the source.
PLACE_STEP = 0.05


def speed_levels(limits: Limits) -> tuple[float, ...]:
    """Speeds on a half-octave grid through 1x, within the limits (the limits included)."""
    lv = [2.0 ** (k / 2.0) for k in range(-8, 9)]
    lv = [v for v in lv if limits.min_speed - 1e-9 <= v <= limits.max_speed + 1e-9]
    return tuple(sorted(set(lv) | {limits.min_speed, limits.max_speed}))


@dataclass
class Candidate:
    params: PlanParams
    plan: EditPlan
    gap: IntentGap
    objective: float


@dataclass
class SearchResult:
    """The best candidate, the identity's measured gap, and the search's cost."""

    best: Candidate
    identity: Candidate
    evaluations: int
    seconds: float
    history: list[tuple[int, float]] = field(default_factory=list)


class Searcher:
    """Evaluates candidate plans on one in-memory source against one arc (memoised)."""

    def __init__(self, src: SourceFrames, arc: Arc, limits: Limits):
        self.src, self.arc, self.limits = src, arc, limits
        self.flow = CachedFlow()
        self.memo: dict[tuple, Candidate | None] = {}
        self.evaluations = 0

    def feasible(self, plan: EditPlan) -> bool:
        r = plan.output_duration / self.src.duration_s
        return (self.limits.min_duration - 1e-6 <= r <= self.limits.max_duration + 1e-6
                and plan.output_duration * self.src.fps >= 2)

    def evaluate(self, p: PlanParams) -> Candidate | None:
        key = p.key()
        if key in self.memo:
            return self.memo[key]
        plan = p.build(self.src.duration_s)
        cand = None
        if self.feasible(plan):
            gap, _ = measure_gap(plan, self.src, self.arc, self.flow)
            self.evaluations += 1
            cand = Candidate(p, plan, gap, gap.score + EDIT_WEIGHT * p.edit_cost())
        self.memo[key] = cand
        return cand


def arc_speeds(arc: Arc, duration: float, levels: tuple[float, ...], k: int = SEGMENTS,
               octaves: float = 2.0, iterations: int = 4) -> tuple[float, ...]:
    """Speeds for K source stretches that follow the arc: faster where the arc is high
    (more motion per second), slower where it is low, up to ``octaves`` apart; the output
    span of each stretch depends on the speeds, so this is iterated."""
    speeds = np.ones(k)
    for _ in range(iterations):
        out_edges = np.concatenate([[0.0], np.cumsum(duration / k / speeds)])
        total = out_edges[-1]
        mean_level = np.array([
            float(np.mean(arc.level_at(np.linspace(a, b, 9) / total, total)))
            for a, b in zip(out_edges[:-1], out_edges[1:], strict=True)])
        z = mean_level - mean_level.mean()
        span = max(float(np.ptp(mean_level)), 1e-9)
        speeds = 2.0 ** (octaves * z / span)
    return tuple(min(levels, key=lambda v, s=s: abs(np.log(v / s))) for s in speeds)


def arc_peaks(arc: Arc, duration: float) -> list[float]:
    """Time fractions of the arc's peaks (its beats for a pulse), highest first; none for
    a flat arc."""
    if arc.is_flat:
        return []
    x = np.linspace(0.0, 1.0, 801)
    y = arc.level_at(x, duration)
    idx, props = find_peaks(np.concatenate([[y.min() - 1e-9], y, [y.min() - 1e-9]]),
                            prominence=0.2 * float(np.ptp(y)))
    order = np.argsort(-props["prominences"])
    return [float(x[i - 1]) for i in idx[order]]


def _cut_output_time(plan: EditPlan, source_s: float) -> float | None:
    for c in plan.jump_cuts():
        if abs(c["source_start_s"] - source_s) < 1e-6:
            return c["output_time_s"]
    return None


def place_cuts(p: PlanParams, duration: float, targets: list[float],
               length: float) -> PlanParams:
    """``p`` with one jump cut of ``length`` (share of the source) added per target, each
    placed so that it lands at that output time fraction (later cuts after earlier ones)."""
    q = p
    lo = 0.0
    for target in sorted(targets):
        best, best_err = None, np.inf
        for at in np.arange(lo, 1.0 - length + 1e-9, PLACE_STEP):
            cand = q.with_(cuts=(*q.cuts, (round(float(at), 6), length)))
            plan = cand.build(duration)
            t = _cut_output_time(plan, float(np.clip(at, 0, 1)) * duration)
            if t is None or plan.output_duration <= 0:
                continue
            err = abs(t / plan.output_duration - target)
            if err < best_err:
                best, best_err = (cand, at), err
        if best is None:
            break
        q, lo = best[0], best[1] + length + PLACE_STEP
    return q


def initial_candidates(arc: Arc, duration: float, limits: Limits) -> list[PlanParams]:
    """The identity, and edits designed from the arc's shape (still to be measured): speeds
    that follow its level, and jump cuts landing on its peaks."""
    levels = speed_levels(limits)
    ident = PlanParams(speeds=(1.0,) * SEGMENTS)
    shaped = PlanParams(speeds=arc_speeds(arc, duration, levels))
    out = [ident, shaped]
    peaks = [f for f in arc_peaks(arc, duration) if 0.05 < f < 0.98]
    if peaks:
        lengths = (0.1, 0.2) if len(peaks) == 1 else (min(0.1, 0.3 / len(peaks)),)
        for base in (ident, shaped):
            for length in lengths:
                out.append(place_cuts(base, duration, peaks, length))
    return out


def drop_measured_peak(identity: Candidate) -> list[tuple[float, float]]:
    """Jump cuts (start, length; shares of the source) that drop the source around the
    unedited clip's measured climax when the arc does not ask for a peak there: an unwanted
    peak is removed, not guessed at."""
    g = identity.gap
    if len(g.times) < 3 or g.duration_s <= 0:
        return []
    k = int(np.argmax(g.measured))
    if g.intended[k] > 0.5:
        return []
    frac = float(g.times[k] / g.duration_s)
    return [(float(np.clip(round((frac - n / 2) / PLACE_STEP) * PLACE_STEP, 0.0, 1.0 - n)), n)
            for n in (0.1, 0.2)]


def neighbours(p: PlanParams, levels: tuple[float, ...]) -> list[PlanParams]:
    """Every plan one grid step away from ``p`` on one coordinate: a speed, a jump cut's
    length (down to none) or place, the hold's length or place."""
    out: list[PlanParams] = []
    for i, v in enumerate(p.speeds):
        j = int(np.argmin([abs(np.log(v / x)) for x in levels]))
        for dj in (-1, 1):
            if 0 <= j + dj < len(levels):
                s = list(p.speeds)
                s[i] = levels[j + dj]
                out.append(p.with_(speeds=tuple(s)))
    cuts = list(p.cuts)
    for i, (at, n) in enumerate(cuts):
        j = int(np.argmin([abs(n - x) for x in LENGTHS]))
        for dj in (-1, 1):
            if 0 <= j + dj < len(LENGTHS):
                out.append(p.with_(cuts=cuts[:i] + [(at, LENGTHS[j + dj])] + cuts[i + 1:]))
        for d in (-PLACE_STEP, PLACE_STEP):
            if 0.0 <= at + d <= 1.0 - n + 1e-9:
                out.append(p.with_(cuts=cuts[:i] + [(round(at + d, 6), n)] + cuts[i + 1:]))
    j = int(np.argmin([abs(p.hold_len - x) for x in LENGTHS]))
    for dj in (-1, 1):
        if 0 <= j + dj < len(LENGTHS):
            out.append(p.with_(hold_len=LENGTHS[j + dj]))
    if p.hold_len > 0:
        for d in (-PLACE_STEP, PLACE_STEP):
            if 0.0 <= p.hold_at + d <= 1.0 + 1e-9:
                out.append(p.with_(hold_at=round(p.hold_at + d, 6)))
    return out


def search_plan(src: SourceFrames, arc: Arc, limits: Limits | None = None,
                max_evals: int = 80, budget_s: float | None = None,
                on_step: Callable[[int, float], None] | None = None) -> SearchResult:
    """Search the plan family for the lowest measured objective within ``limits``, using at
    most ``max_evals`` measurements and (when given) about ``budget_s`` seconds."""
    limits = limits or Limits()
    t0 = time.perf_counter()
    s = Searcher(src, arc, limits)
    levels = speed_levels(limits)
    history: list[tuple[int, float]] = []

    def out_of_budget() -> bool:
        return s.evaluations >= max_evals or (
            budget_s is not None and time.perf_counter() - t0 > budget_s)

    first, *others = initial_candidates(arc, src.duration_s, limits)
    identity = s.evaluate(first)  # always measured: the reference
    cands = [identity]
    for p in others:
        if not out_of_budget() and (c := s.evaluate(p)) is not None:
            cands.append(c)
    designed = sorted(cands, key=lambda c: c.objective)[:2]
    for cut in drop_measured_peak(identity):
        for base in [identity.params] + [c.params for c in designed if c.params.cuts]:
            if out_of_budget():
                break
            if all(cut[0] + cut[1] <= a or a + n <= cut[0] for a, n in base.cuts):
                c = s.evaluate(base.with_(cuts=(*base.cuts, cut)))
                if c is not None:
                    cands.append(c)
    best = min(cands, key=lambda c: c.objective)
    history.append((s.evaluations, best.objective))
    improved = True
    while improved and not out_of_budget():
        improved = False
        for q in neighbours(best.params, levels):
            if out_of_budget():
                break
            c = s.evaluate(q)
            if c is not None and c.objective < best.objective - MIN_GAIN:
                best = c
                improved = True
                history.append((s.evaluations, best.objective))
                if on_step is not None:
                    on_step(s.evaluations, best.gap.score)
    if best.objective > identity.objective - MIN_GAIN:
        best = identity
    return SearchResult(best, identity, s.evaluations, time.perf_counter() - t0, history)
