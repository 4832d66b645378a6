"""Search an edit of several clips whose measured tension follows an intended arc.

The search never trusts a prediction: every edit it keeps was measured by assembling its
frames and running the tension model on them (:class:`~hypnoscope.intent.assemble.Assembler`).
A cheap *proposal model* only decides which edits are worth measuring. It predicts an edit's
tension curve from the clips' own measured curves (each clip measured once, alone): inside a
shot, the clip's curve at the source times shown, plus a term for the speed; at each hard cut
an impulse; the three weights are refitted by least squares to every edit measured so far.

1. **Designs.** The arc is cut into shot slots whose lengths shrink where the arc is high
   (cutting faster builds tension; the slot boundaries are equal quantiles of a cut density
   (0.15 + level)^1.5), for a few shot counts (the number of clips, and 1.5x and 2x it with
   clips reused on other spans). Clips are matched to slots by rank: the calmest span to the
   lowest slot, the liveliest to the highest; speeds follow the slot's level (0.5x-2x).
   With ``keep_order`` every clip is used once, in the given order.
2. **Proposal search.** Each design is improved by a seeded random local search on the
   proposal model: swap two shots' content, give a shot another clip, slide a shot's in
   point, change its speed one half-octave step, move a cut, add or remove a hold, toggle a
   dissolve at a join where the arc is calm, split a shot with another clip or merge two.
3. **Measured refinement.** The designs are measured, then the best measured edit is
   improved by coordinate descent: its neighbours (the same moves) are ranked by the proposal
   model and the most promising are measured, a few per round, until no measured neighbour
   improves it or the budget (``max_evals`` measurements, ``budget_s`` seconds) is spent.

The objective is the measured intent gap plus small prices on the edit: 1 point per octave
of speed change (duration-weighted mean), 1 point per reuse of a clip and 0.5 per hold.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
from scipy.ndimage import gaussian_filter1d

from hypnoscope.intent.arcs import Arc
from hypnoscope.intent.assemble import Assembler
from hypnoscope.intent.edl import EditList, Shot
from hypnoscope.intent.gap import IntentGap, shape_gap
from hypnoscope.intent.measure import Measured
from hypnoscope.metrics.pressure import GRID_S, SIGMA_S, uniform_curve

#: Objective points per octave of speed change (duration-weighted mean |log2 speed|).
SPEED_PRICE = 1.0
#: Objective points per extra use of a clip, and per hold.
REUSE_PRICE, HOLD_PRICE = 1.0, 0.5
#: A measured move must lower the objective by this many points to be taken.
MIN_GAIN = 0.25
#: Arc levels (normalised 0..1) below which a join may be a dissolve: the arc asks for calm.
CALM_LEVEL = 0.3
#: Steps of an in point and of a cut, output s.
SHIFT_STEPS = (-0.5, -0.25, 0.25, 0.5)
#: Hold lengths tried, s.
HOLDS = (0.0, 0.5, 1.0)
#: Proposal-model iterations per design, and measured candidates per refinement round.
PROPOSAL_ITERATIONS = 500
PER_ROUND = 4


@dataclass(frozen=True)
class EditLimits:
    """What an edit may do: speeds within ``min_speed``..``max_speed`` (x), shots at least
    ``min_shot_s`` s long, holds up to ``max_hold_s`` s, dissolves of ``dissolve_s`` s, each
    clip used at most ``max_uses`` times (on spans that do not overlap)."""

    min_speed: float = 0.5
    max_speed: float = 2.0
    min_shot_s: float = 0.5
    max_hold_s: float = 1.0
    dissolve_s: float = 0.5
    max_uses: int = 2

    def __post_init__(self) -> None:
        if not 0 < self.min_speed <= 1.0 <= self.max_speed:
            raise ValueError(f"speed limits must satisfy 0 < min <= 1 <= max, got "
                             f"{self.min_speed:g}..{self.max_speed:g}")

    def speeds(self) -> tuple[float, ...]:
        """Half-octave grid through 1x within the limits (the limits included)."""
        lv = {2.0 ** (k / 2.0) for k in range(-8, 9)}
        lv = {v for v in lv if self.min_speed - 1e-9 <= v <= self.max_speed + 1e-9}
        return tuple(sorted(lv | {self.min_speed, self.max_speed}))


@dataclass
class EditCandidate:
    edl: EditList
    gap: IntentGap
    measured: Measured
    objective: float


@dataclass
class EditSearchResult:
    best: EditCandidate
    naive: EditCandidate
    evaluations: int
    proposals: int
    seconds: float
    history: list[tuple[int, float]] = field(default_factory=list)


def edit_price(edl: EditList) -> float:
    """The objective's price of an edit's size (see the module docstring)."""
    total = max(edl.output_duration, 1e-9)
    speed = sum(abs(math.log2(s.speed)) * s.duration for s in edl.shots) / total
    uses: dict[int, int] = {}
    for s in edl.shots:
        uses[s.clip] = uses.get(s.clip, 0) + 1
    reuse = sum(n - 1 for n in uses.values())
    holds = sum(1 for s in edl.shots if s.hold_s > 0)
    return SPEED_PRICE * speed + REUSE_PRICE * reuse + HOLD_PRICE * holds


def naive_edit(clips_durations: list[float], paths: list[str]) -> EditList:
    """Every clip in the given order, untrimmed, at 1x, hard cuts."""
    return EditList([Shot(i, 0.0, d) for i, d in enumerate(clips_durations)], list(paths),
                    list(clips_durations))


class ProposalModel:
    """Predicts an edit's tension on the 0.05 s grid from the clips' own curves (see the
    module docstring); ``fit`` refits its weights on measured edits."""

    def __init__(self, curves: list[tuple[np.ndarray, np.ndarray]]):
        self.curves = curves
        self.weights = np.array([1.0, 0.4, 1.6, 0.0])  # content, log2 speed, cut, level
        self._data: list[tuple[np.ndarray, np.ndarray]] = []

    def features(self, edl: EditList) -> np.ndarray:
        """(n grid points, 4): content, log2 speed, cut impulses, 1."""
        d = edl.output_duration
        n = max(3, int(math.floor(d / GRID_S + 1e-9)) + 1)
        t = np.arange(n) * GRID_S
        content = np.zeros(n)
        speed = np.zeros(n)
        w = np.zeros(n)
        cuts = np.zeros(n)
        start = 0.0
        for i, s in enumerate(edl.shots):
            m = (t >= start - 1e-9) & (t < start + s.duration - 1e-9)
            if i == len(edl.shots) - 1:
                m |= t >= start
            tt = t[m] - start
            play = tt < s.play_s
            ct, cy = self.curves[s.clip]
            src = s.src_in + s.speed * tt[play]
            c = np.zeros(len(tt))
            c[play] = np.interp(src, ct, cy)
            ww = play.astype(float)
            content[m] = c
            speed[m] = math.log2(s.speed) * play
            w[m] = ww
            if i > 0 and s.join == "cut":
                k = int(round(start / GRID_S))
                if 0 <= k < n:
                    cuts[k] += 1.0 / GRID_S
            start += s.duration
        sig = SIGMA_S / GRID_S
        wts = gaussian_filter1d(w, sig, mode="nearest")
        with np.errstate(invalid="ignore", divide="ignore"):
            c_s = np.where(wts > 1e-6, gaussian_filter1d(content * w, sig, mode="nearest") / wts,
                           0.0)
            v_s = np.where(wts > 1e-6, gaussian_filter1d(speed * w, sig, mode="nearest") / wts,
                           0.0)
        cut_s = gaussian_filter1d(cuts, sig, mode="constant") * 0.5
        return np.column_stack([c_s, v_s, cut_s, np.ones(n)])

    def predict(self, edl: EditList) -> np.ndarray:
        return self.features(edl) @ self.weights

    def add(self, edl: EditList, m: Measured) -> None:
        """Keep a measured edit for the next fit."""
        x = self.features(edl)
        grid, y = uniform_curve(m.t, m.tension, step=GRID_S, start=0.0, end=m.duration_s)
        k = min(len(grid), len(x))
        if k >= 3:
            self._data.append((x[:k], y[:k]))

    def fit(self) -> None:
        """Least-squares weights over every measured edit (content and cut weights kept
        non-negative)."""
        if not self._data:
            return
        x = np.concatenate([d[0] for d in self._data])
        y = np.concatenate([d[1] for d in self._data])
        w, *_ = np.linalg.lstsq(x, y, rcond=None)
        w[0] = max(w[0], 0.1)
        w[2] = max(w[2], 0.0)
        self.weights = w


class EditSearch:
    """One search: clips (with their own measured curves), an arc and a target duration."""

    def __init__(self, assembler: Assembler, arc: Arc, duration_s: float,
                 limits: EditLimits | None = None, keep_order: bool = False, seed: int = 0,
                 max_evals: int = 60, budget_s: float | None = None):
        self.asm = assembler
        self.clips = assembler.clips
        self.durs = [c.duration for c in self.clips]
        self.paths = [c.path for c in self.clips]
        self.arc = arc
        self.D = float(duration_s)
        self.limits = limits or EditLimits()
        self.levels = self.limits.speeds()
        self.keep_order = keep_order
        self.rng = np.random.default_rng(seed)
        self.max_evals = max_evals
        self.budget_s = budget_s
        self.t0 = time.perf_counter()
        self.memo: dict[tuple, EditCandidate] = {}
        self.proposals = 0
        self.curves: list[tuple[np.ndarray, np.ndarray]] = []
        self._best_in: dict[tuple, float] = {}
        self.base = 0  # measurements made before the search proper (each clip alone)
        x = np.linspace(0, 1, 401)
        lv = arc.level_at(x, self.D)
        span = float(np.ptp(lv))
        self._x = x
        self._norm = (lv - lv.min()) / span if span > 1e-9 else np.full_like(lv, 0.5)

    # -- the arc ------------------------------------------------------------------------
    def level(self, a: float, b: float) -> float:
        """Mean normalised arc level (0..1) over output a..b s."""
        xs = np.linspace(a / self.D, b / self.D, 9)
        return float(np.mean(np.interp(xs, self._x, self._norm)))

    def intended(self, n: int) -> np.ndarray:
        grid = np.arange(n) * GRID_S
        return self.arc.curve(grid, self.D)

    # -- shots --------------------------------------------------------------------------
    def make_shot(self, clip: int, length: float, speed: float, at: float | None = None,
                  hold: float = 0.0, join: str = "cut", want: float = 0.5) -> Shot | None:
        """A shot of ``length`` output s from ``clip``: played at ``speed`` (lowered when
        the clip is too short, then topped up with a hold), starting at ``at`` (s of the
        clip) or at the span whose mean own tension is nearest ``want`` (0..1 of the clip's
        own range). None when it cannot fit."""
        dur = self.durs[clip]
        play = length - hold
        if play < self.limits.min_shot_s * 0.5:
            return None
        v = speed
        if play * v > dur:
            v = max(self.limits.min_speed, dur / play)
            v = max([x for x in self.levels if x <= v + 1e-9], default=self.limits.min_speed)
            if play * v > dur + 1e-9:
                extra = play - dur / v
                hold += extra
                play -= extra
                if hold > self.limits.max_hold_s + 1e-9 or play < self.limits.min_shot_s * 0.5:
                    return None
        span = play * v
        if at is None:
            at = self.best_in(clip, span, want)
        at = float(np.clip(at, 0.0, max(0.0, dur - span)))
        return Shot(clip, at, min(dur, at + span), v, hold, join,
                    self.limits.dissolve_s if join == "dissolve" else 0.0)

    def best_in(self, clip: int, span: float, want: float) -> float:
        """In point of the ``span``-s window of ``clip`` whose mean own tension is nearest
        the ``want`` quantile (0: calmest window, 1: liveliest)."""
        key = (clip, round(span, 3), round(want, 2))
        got = self._best_in.get(key)
        if got is None:
            got = self._best_in[key] = self._best_in_uncached(clip, span, want)
        return got

    def _best_in_uncached(self, clip: int, span: float, want: float) -> float:
        t, y = self.curves[clip]
        dur = self.durs[clip]
        starts = np.arange(0.0, max(0.0, dur - span) + 1e-9, 0.25)
        if len(starts) <= 1:
            return 0.0
        means = np.array([np.mean(np.interp(np.linspace(a, a + span, 9), t, y)) for a in starts])
        order = np.argsort(means)
        k = order[int(round(want * (len(order) - 1)))]
        return float(starts[k])

    def edl(self, shots: list[Shot]) -> EditList:
        return EditList(list(shots), self.paths, self.durs)

    def valid(self, shots: list[Shot]) -> bool:
        if not shots or abs(sum(s.duration for s in shots) - self.D) > 1e-6:
            return False
        uses: dict[int, list[tuple[float, float]]] = {}
        for i, s in enumerate(shots):
            if s.duration < self.limits.min_shot_s - 1e-9 or s.src_out > self.durs[s.clip] + 1e-6:
                return False
            if s.src_in < -1e-9 or s.src_out <= s.src_in:
                return False
            if not (self.limits.min_speed - 1e-9 <= s.speed <= self.limits.max_speed + 1e-9):
                return False
            if s.join == "dissolve" and (i == 0 or shots[i - 1].hold_s > 0):
                return False
            uses.setdefault(s.clip, []).append((s.src_in, s.src_out))
        for spans in uses.values():
            if len(spans) > self.limits.max_uses:
                return False
            spans.sort()
            if any(b[0] < a[1] - 1e-6 for a, b in zip(spans, spans[1:], strict=False)):
                return False
        if self.keep_order and [s.clip for s in shots] != list(range(len(self.clips))):
            return False
        return True

    # -- designs ------------------------------------------------------------------------
    def layout(self, n_shots: int) -> list[float]:
        """Shot lengths (output s) for ``n_shots`` slots, shorter where the arc is high."""
        dens = (0.15 + self._norm) ** 1.5
        cum = np.concatenate([[0.0], np.cumsum(0.5 * (dens[1:] + dens[:-1]))])
        cum /= cum[-1]
        edges = np.interp(np.linspace(0, 1, n_shots + 1), cum, self._x) * self.D
        lengths = np.diff(edges)
        lo = self.limits.min_shot_s
        for _ in range(20):  # lift short slots, taking the time from the longest
            short = lengths < lo
            if not short.any():
                break
            need = float(np.sum(lo - lengths[short]))
            lengths[short] = lo
            j = int(np.argmax(lengths))
            lengths[j] -= need
        return list(lengths)

    def design(self, n_shots: int) -> list[Shot] | None:
        """Slots from :meth:`layout`, clips matched to slots by rank of their own tension."""
        lengths = self.layout(n_shots)
        edges = np.concatenate([[0.0], np.cumsum(lengths)])
        lv = np.array([self.level(a, b) for a, b in zip(edges[:-1], edges[1:], strict=True)])
        n = len(self.clips)
        if self.keep_order:
            if n_shots != n:
                return None
            assign = list(range(n))
        else:
            intensity = np.array([float(np.mean(c[1])) for c in self.curves])
            uses = int(math.ceil(n_shots / n))
            if uses > self.limits.max_uses:
                return None
            units = sorted([c for c in range(n) for _ in range(uses)],
                           key=lambda c: intensity[c])
            slot_order = np.argsort(lv, kind="stable")
            # spread the units over the slots by rank
            pick = np.round(np.linspace(0, len(units) - 1, n_shots)).astype(int)
            assign = [0] * n_shots
            for r, k in enumerate(slot_order):
                assign[k] = units[pick[r]]
        shots: list[Shot] = []
        taken: dict[int, list[tuple[float, float]]] = {}
        for k in range(n_shots):
            c = assign[k]
            v = 2.0 ** (2.0 * (lv[k] - 0.5))
            v = min(self.levels, key=lambda x, v=v: abs(math.log(x / v)))
            shot = self.make_shot(c, lengths[k], v, want=float(lv[k]))
            if shot is None:
                return None
            for a, b in taken.get(c, []):  # a reused clip: the span not yet used
                if shot.src_in < b and a < shot.src_out:
                    alt = b if b + (shot.src_out - shot.src_in) <= self.durs[c] else (
                        a - (shot.src_out - shot.src_in))
                    shot = self.make_shot(c, lengths[k], shot.speed, at=max(0.0, alt),
                                          hold=shot.hold_s)
                    if shot is None:
                        return None
            taken.setdefault(c, []).append((shot.src_in, shot.src_out))
            shots.append(shot)
        return shots if self.valid(shots) else None

    # -- moves --------------------------------------------------------------------------
    def _rebuild(self, shots: list[Shot], i: int, length: float | None = None,
                 speed: float | None = None, at: float | None = None, hold: float | None = None,
                 clip: int | None = None, join: str | None = None) -> Shot | None:
        s = shots[i]
        c = s.clip if clip is None else clip
        shot = self.make_shot(c, s.duration if length is None else length,
                              s.speed if speed is None else speed,
                              at=(s.src_in if clip is None else None) if at is None else at,
                              hold=s.hold_s if hold is None else hold,
                              join=s.join if join is None else join,
                              want=self.level(*self._span(shots, i)))
        return shot

    def _span(self, shots: list[Shot], i: int) -> tuple[float, float]:
        a = sum(s.duration for s in shots[:i])
        return a, a + shots[i].duration

    def moves(self, shots: list[Shot]) -> list[list[Shot]]:
        """Every valid edit one move away from ``shots``."""
        out: list[list[Shot]] = []
        n = len(shots)

        def put(i: int, new: Shot | None, base: list[Shot] | None = None) -> None:
            if new is None:
                return
            q = list(base if base is not None else shots)
            q[i] = new
            if self.valid(q):
                out.append(q)

        for i, s in enumerate(shots):
            for d in SHIFT_STEPS:
                put(i, self._rebuild(shots, i, at=s.src_in + d * s.speed))
            j = min(range(len(self.levels)), key=lambda k: abs(math.log(self.levels[k] / s.speed)))
            for dj in (-1, 1):
                if 0 <= j + dj < len(self.levels):
                    put(i, self._rebuild(shots, i, speed=self.levels[j + dj]))
            for h in HOLDS:
                if abs(h - s.hold_s) > 1e-9 and h < s.duration - self.limits.min_shot_s * 0.5:
                    put(i, self._rebuild(shots, i, hold=h))
            if i > 0:
                a, _ = self._span(shots, i)
                if s.join == "dissolve":
                    put(i, s.with_(join="cut", dissolve_s=0.0))
                elif self.level(a - 0.25, a + 0.25) < CALM_LEVEL:
                    put(i, s.with_(join="dissolve", dissolve_s=self.limits.dissolve_s))
            if i + 1 < n:  # move the cut between i and i+1
                for d in SHIFT_STEPS:
                    a = self._rebuild(shots, i, length=s.duration + d)
                    nxt = shots[i + 1]
                    b = self._rebuild(shots, i + 1, length=nxt.duration - d,
                                      at=nxt.src_in - d * nxt.speed)
                    if a is not None and b is not None:
                        q = list(shots)
                        q[i], q[i + 1] = a, b
                        if self.valid(q):
                            out.append(q)
            if self.keep_order:
                continue
            for c in range(len(self.clips)):
                if c != s.clip:
                    put(i, self._rebuild(shots, i, clip=c))
            for j in range(i + 1, n):  # swap the content of two shots
                a = self._rebuild(shots, i, clip=shots[j].clip)
                b = self._rebuild(shots, j, clip=s.clip)
                if a is not None and b is not None:
                    q = list(shots)
                    q[i], q[j] = a, b
                    if self.valid(q):
                        out.append(q)
            if s.duration >= 2 * self.limits.min_shot_s:  # split with another clip
                half = s.duration / 2
                first = self._rebuild(shots, i, length=half, hold=0.0)
                for c in range(len(self.clips)):
                    if first is None or c == s.clip:
                        continue
                    q = list(shots)
                    q[i] = first
                    sec = self.make_shot(c, half, s.speed, want=self.level(
                        *self._span(shots, i)))
                    if sec is not None:
                        q.insert(i + 1, sec)
                        if self.valid(q):
                            out.append(q)
            if i + 1 < n:  # merge shot i+1 into i
                m = self._rebuild(shots, i, length=s.duration + shots[i + 1].duration)
                if m is not None:
                    q = shots[:i] + [m] + shots[i + 2:]
                    if self.valid(q):
                        out.append(q)
        return out

    # -- objectives ---------------------------------------------------------------------
    def proposal_objective(self, model: ProposalModel, shots: list[Shot]) -> float:
        self.proposals += 1
        edl = self.edl(shots)
        y = model.predict(edl)
        g, _ = shape_gap(y, self.intended(len(y)))
        return g + edit_price(edl)

    def measure(self, shots: list[Shot], model: ProposalModel | None = None) -> EditCandidate:
        edl = self.edl(shots)
        key = edl.key()
        got = self.memo.get(key)
        if got is None:
            gap, m = self.asm.gap(edl, self.arc)
            got = EditCandidate(edl, gap, m, gap.score + edit_price(edl))
            self.memo[key] = got
            if model is not None:
                model.add(edl, m)
        return got

    def out_of_budget(self) -> bool:
        return self.asm.measurements - self.base >= self.max_evals or (
            self.budget_s is not None and time.perf_counter() - self.t0 > self.budget_s)

    def improve_proposal(self, model: ProposalModel, shots: list[Shot],
                         iterations: int = PROPOSAL_ITERATIONS) -> list[Shot]:
        """Seeded random local search on the proposal model."""
        best, best_f = shots, self.proposal_objective(model, shots)
        for _ in range(iterations // 25):
            nb = self.moves(best)
            if not nb:
                break
            idx = self.rng.permutation(len(nb))[:25]
            scored = [(self.proposal_objective(model, nb[k]), k) for k in idx]
            f, k = min(scored)
            if f < best_f - 1e-6:
                best, best_f = nb[k], f
            else:
                idx2 = self.rng.permutation(len(nb))[:25]
                scored = [(self.proposal_objective(model, nb[k]), k) for k in idx2]
                f, k = min(scored)
                if f < best_f - 1e-6:
                    best, best_f = nb[k], f
                else:
                    break
        return best


def run_search(search: EditSearch, naive: list[Shot] | None) -> EditSearchResult:
    """The whole search (see the module docstring); ``naive`` is measured as the reference
    when given (it need not be a valid candidate: it may be longer than the target)."""
    s = search
    n = len(s.clips)
    # each clip alone: its own curve, measured once
    for i, c in enumerate(s.clips):
        one = EditList([Shot(i, 0.0, c.duration)], s.paths, s.durs)
        m = s.asm.measure(one)
        grid, y = uniform_curve(m.t, m.tension, step=GRID_S, start=0.0, end=m.duration_s)
        if len(grid) < 2:
            grid, y = np.array([0.0, c.duration]), np.zeros(2)
        s.curves.append((grid, y))
    base_evals = s.base = s.asm.measurements
    model = ProposalModel(s.curves)
    naive_c = None
    if naive is not None:
        edl = EditList(list(naive), s.paths, s.durs)
        gap, m = s.asm.gap(edl, s.arc)
        naive_c = EditCandidate(edl, gap, m, gap.score)
        model.add(edl, m)
        model.fit()
    counts = [n] if s.keep_order else sorted({n, int(round(1.5 * n)), 2 * n})
    designs = [d for k in counts if (d := s.design(k)) is not None]
    if not designs:
        raise ValueError(f"no edit of {s.D:.1f} s fits these clips (each shot at least "
                         f"{s.limits.min_shot_s:g} s, speeds {s.limits.min_speed:g}-"
                         f"{s.limits.max_speed:g}x)")
    cands = []
    for d in designs:
        if cands and s.out_of_budget():
            break
        cands.append(s.measure(d, model))
        model.fit()
        better = s.improve_proposal(model, d)
        if not s.out_of_budget():
            cands.append(s.measure(better, model))
            model.fit()
    best = min(cands, key=lambda c: c.objective)
    history = [(s.asm.measurements - base_evals, best.objective)]
    stale = 0
    while not s.out_of_budget() and stale < 2:
        shots = best.edl.shots
        nb = s.moves(shots)
        if not nb:
            break
        ranked = sorted(((s.proposal_objective(model, q), k) for k, q in enumerate(nb)))
        improved = False
        tried = 0
        for _, k in ranked:
            if s.out_of_budget() or tried >= PER_ROUND:
                break
            q = nb[k]
            if s.edl(q).key() in s.memo:
                continue
            tried += 1
            c = s.measure(q, model)
            if c.objective < best.objective - MIN_GAIN:
                best, improved = c, True
        model.fit()
        if improved:
            stale = 0
            history.append((s.asm.measurements - base_evals, best.objective))
        else:
            stale += 1
            if tried == 0:
                break
            # propose further from the incumbent with the refitted model
            alt = s.improve_proposal(model, shots, iterations=PROPOSAL_ITERATIONS // 2)
            if not s.out_of_budget() and s.edl(alt).key() not in s.memo:
                c = s.measure(alt, model)
                if c.objective < best.objective - MIN_GAIN:
                    best, stale = c, 0
                    history.append((s.asm.measurements - base_evals, best.objective))
    return EditSearchResult(best, naive_c or best, s.asm.measurements - base_evals,
                            s.proposals, time.perf_counter() - s.t0, history)
