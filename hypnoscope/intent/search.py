"""Find the edit plan that brings a clip's measured arc closest to the intended one.

Every candidate is scored by measuring its edited frame sequence with the tension model
(:func:`hypnoscope.intent.measure.measure_gap`): the objective is the intent gap plus a small
price on the size of the edit (:data:`EDIT_WEIGHT` points per unit of
:meth:`PlanParams.edit_cost`), so that of two plans that reach the same gap the smaller edit
wins and a clip that already has its arc is left alone. The search starts from a few
designed candidates (the identity, speeds that follow the arc's level, a jump cut placed on
the arc's peak) and improves the best by coordinate descent on a discrete grid: one speed,
the jump cut's place or length, or the hold's place or length, one step at a time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

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
        p = _snap(p)
        key = (p.speeds, p.jump_at if p.jump_len else 0.0, p.jump_len,
               p.hold_at if p.hold_len else 0.0, p.hold_len)
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


def _snap(p: PlanParams) -> PlanParams:
    r = lambda x: round(float(x), 6)  # noqa: E731
    return p.with_(speeds=tuple(r(v) for v in p.speeds), jump_at=r(p.jump_at),
                   jump_len=r(p.jump_len), hold_at=r(p.hold_at), hold_len=r(p.hold_len))


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


def main_peak(arc: Arc, duration: float) -> float | None:
    """Time fraction of the arc's highest level, None for a flat arc."""
    if arc.is_flat:
        return None
    x = np.linspace(0.0, 1.0, 201)
    return float(x[int(np.argmax(arc.level_at(x, duration)))])


def place_jump(p: PlanParams, duration: float, target: float) -> PlanParams:
    """``p`` with its jump cut moved so that it lands at output fraction ``target``."""
    best, best_err = p, np.inf
    for at in np.arange(0.0, 1.0 - p.jump_len + 1e-9, PLACE_STEP):
        q = p.with_(jump_at=float(at))
        plan = q.build(duration)
        cut = plan.jump_cuts()
        if not cut:
            continue
        err = abs(cut[0]["output_time_s"] / plan.output_duration - target)
        if err < best_err:
            best, best_err = q, err
    return best


def initial_candidates(arc: Arc, duration: float, limits: Limits) -> list[PlanParams]:
    """The identity, and edits designed from the arc's shape (still to be measured)."""
    levels = speed_levels(limits)
    ident = PlanParams(speeds=(1.0,) * SEGMENTS)
    out = [ident]
    shaped = PlanParams(speeds=arc_speeds(arc, duration, levels))
    out.append(shaped)
    peak = main_peak(arc, duration)
    if peak is not None and 0.05 < peak < 0.98:
        for base in (ident, shaped):
            for length in (0.1, 0.2):
                out.append(place_jump(base.with_(jump_len=length), duration, peak))
    return out


def drop_measured_peak(identity: Candidate) -> list[PlanParams]:
    """Jump cuts that drop the source around the unedited clip's measured climax when the
    arc does not ask for a peak there (an unwanted peak is removed, not guessed at)."""
    g = identity.gap
    if len(g.times) < 3 or g.duration_s <= 0:
        return []
    k = int(np.argmax(g.measured))
    if g.intended[k] > 0.5:
        return []
    frac = float(g.times[k] / g.duration_s)
    out = []
    for length in (0.1, 0.2):
        at = float(np.clip(round((frac - length / 2) / PLACE_STEP) * PLACE_STEP, 0.0,
                           1.0 - length))
        out.append(identity.params.with_(jump_at=at, jump_len=length))
    return out


def neighbours(p: PlanParams, levels: tuple[float, ...]) -> list[PlanParams]:
    """Every plan one grid step away from ``p`` on one coordinate."""
    out: list[PlanParams] = []
    for i, v in enumerate(p.speeds):
        j = int(np.argmin([abs(np.log(v / x)) for x in levels]))
        for dj in (-1, 1):
            if 0 <= j + dj < len(levels):
                s = list(p.speeds)
                s[i] = levels[j + dj]
                out.append(p.with_(speeds=tuple(s)))
    for name_at, name_len in (("jump_at", "jump_len"), ("hold_at", "hold_len")):
        length = getattr(p, name_len)
        j = int(np.argmin([abs(length - x) for x in LENGTHS]))
        for dj in (-1, 1):
            if 0 <= j + dj < len(LENGTHS):
                out.append(p.with_(**{name_len: LENGTHS[j + dj]}))
        if length > 0:
            at = getattr(p, name_at)
            for d in (-PLACE_STEP, PLACE_STEP):
                if 0.0 <= at + d <= 1.0 - (length if name_at == "jump_at" else 0.0) + 1e-9:
                    out.append(p.with_(**{name_at: round(at + d, 6)}))
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

    cands = [c for c in (s.evaluate(p) for p in initial_candidates(arc, src.duration_s,
                                                                   limits)) if c]
    identity = cands[0]
    for p in drop_measured_peak(identity):
        c = s.evaluate(p)
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
