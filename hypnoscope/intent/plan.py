"""Edit plans made of re-timing choices only: speed ramps, holds and jump cuts.

A plan is an edit decision list of segments in output order. A ``play`` segment shows the
source from ``src_start`` to ``src_end`` (s) during ``out_start``..``out_end`` (s) at a
constant speed; a ``hold`` freezes the source frame at ``src_start`` for its output span;
a source span that no segment covers is a jump cut. Source times never go back, so nothing
is reordered.

:class:`PlanParams` is the small family the search explores: piecewise-constant speed on K
equal stretches of the source, at most one jump cut and at most one hold.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Limits:
    """What an edit may do: output duration between ``min_duration`` and ``max_duration``
    times the input's, every speed between ``min_speed`` and ``max_speed`` (x)."""

    min_duration: float = 0.6
    max_duration: float = 1.5
    min_speed: float = 0.25
    max_speed: float = 4.0

    def __post_init__(self) -> None:
        if not 0 < self.min_duration <= 1.0 <= self.max_duration:
            raise ValueError(f"duration limits must satisfy 0 < min <= 1 <= max, got "
                             f"{self.min_duration:g}..{self.max_duration:g}")
        if not 0 < self.min_speed <= 1.0 <= self.max_speed:
            raise ValueError(f"speed limits must satisfy 0 < min <= 1 <= max, got "
                             f"{self.min_speed:g}..{self.max_speed:g}")

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class Segment:
    """One piece of the edit: source ``src_start``..``src_end`` s shown during output
    ``out_start``..``out_end`` s; ``kind`` is ``play`` or ``hold``."""

    kind: str
    src_start: float
    src_end: float
    out_start: float
    out_end: float

    @property
    def speed(self) -> float:
        """Source seconds per output second (0 for a hold)."""
        d = self.out_end - self.out_start
        return (self.src_end - self.src_start) / d if d > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "source_start_s": round(self.src_start, 4),
                "source_end_s": round(self.src_end, 4),
                "output_start_s": round(self.out_start, 4),
                "output_end_s": round(self.out_end, 4), "speed": round(self.speed, 4)}


@dataclass
class EditPlan:
    """An edit decision list over a source of ``source_duration`` s."""

    segments: list[Segment]
    source_duration: float

    @property
    def output_duration(self) -> float:
        """Length of the edited clip, s."""
        return self.segments[-1].out_end if self.segments else 0.0

    def source_time(self, t_out: np.ndarray | float) -> np.ndarray:
        """The source time (s) shown at each output time ``t_out`` (s)."""
        t = np.atleast_1d(np.asarray(t_out, dtype=float))
        starts = np.array([s.out_start for s in self.segments])
        k = np.clip(np.searchsorted(starts, t, side="right") - 1, 0, len(starts) - 1)
        out = np.empty_like(t)
        for i, seg in enumerate(self.segments):
            m = k == i
            out[m] = seg.src_start + seg.speed * (t[m] - seg.out_start)
        return np.clip(out, 0.0, self.source_duration)

    def jump_cuts(self) -> list[dict[str, float]]:
        """Source spans that are dropped, with the output time where the cut happens."""
        cuts = []
        plays = [s for s in self.segments if s.kind == "play"]
        prev_end = 0.0
        prev_out = 0.0
        for s in self.segments:
            if s.src_start > prev_end + 1e-6:
                cuts.append({"source_start_s": round(prev_end, 4),
                             "source_end_s": round(s.src_start, 4),
                             "output_time_s": round(prev_out, 4)})
            prev_end, prev_out = max(prev_end, s.src_end), s.out_end
        if plays and self.source_duration > prev_end + 1e-6:
            cuts.append({"source_start_s": round(prev_end, 4),
                         "source_end_s": round(self.source_duration, 4),
                         "output_time_s": round(prev_out, 4)})
        return cuts

    def holds(self) -> list[dict[str, float]]:
        return [{"source_time_s": round(s.src_start, 4), "output_start_s": round(s.out_start, 4),
                 "duration_s": round(s.out_end - s.out_start, 4)}
                for s in self.segments if s.kind == "hold"]

    def distance_from_identity(self) -> float:
        """How far the plan is from the unedited clip: the mean absolute difference between
        each output time's source time and the output time itself, over the longer of the
        two clips, as a share of the source's duration (0 = identity)."""
        n = 200
        d = max(self.output_duration, self.source_duration)
        t = np.linspace(0.0, d, n, endpoint=False)
        s = self.source_time(np.minimum(t, self.output_duration))
        return float(np.mean(np.abs(s - np.minimum(t, self.source_duration)))
                     / max(self.source_duration, 1e-9))

    def to_dict(self) -> dict[str, Any]:
        return {"source_duration_s": round(self.source_duration, 4),
                "output_duration_s": round(self.output_duration, 4),
                "segments": [s.to_dict() for s in self.segments],
                "jump_cuts": self.jump_cuts(), "holds": self.holds()}

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> EditPlan:
        segs = [Segment(s["kind"], float(s["source_start_s"]), float(s["source_end_s"]),
                        float(s["output_start_s"]), float(s["output_end_s"]))
                for s in doc["segments"]]
        return cls(segs, float(doc["source_duration_s"]))

    def lines(self) -> list[str]:
        """One line per segment, for a terminal."""
        out = []
        for s in self.segments:
            what = (f"hold {s.out_end - s.out_start:.2f} s on {s.src_start:.2f} s"
                    if s.kind == "hold" else
                    f"play {s.src_start:.2f}–{s.src_end:.2f} s at {s.speed:.2f}x")
            out.append(f"{s.out_start:6.2f}–{s.out_end:6.2f} s  {what}")
        for c in self.jump_cuts():
            out.append(f"jump cut at {c['output_time_s']:.2f} s: drops source "
                       f"{c['source_start_s']:.2f}–{c['source_end_s']:.2f} s")
        return out


@dataclass(frozen=True)
class PlanParams:
    """A point of the search family over a source of duration D.

    ``speeds``: the speed of each of K equal stretches of the source (x); ``cuts``: jump
    cuts as (start, length) pairs, shares of D, each dropping that source span (overlaps
    merge); ``hold_at`` and ``hold_len``: the source time of the frozen frame as a share of
    D and the hold's length as a share of D (0: none)."""

    speeds: tuple[float, ...] = (1.0, 1.0, 1.0, 1.0)
    cuts: tuple[tuple[float, float], ...] = ()
    hold_at: float = 0.5
    hold_len: float = 0.0

    def with_(self, **kw) -> PlanParams:
        if "cuts" in kw:
            kw["cuts"] = tuple(sorted((float(a), float(n)) for a, n in kw["cuts"] if n > 0))
        return replace(self, **kw)

    def to_dict(self) -> dict[str, Any]:
        return {"speeds": list(self.speeds), "cuts": [list(c) for c in self.cuts],
                "hold_at": self.hold_at, "hold_len": self.hold_len}

    def key(self) -> tuple:
        """A hashable identity of the edit (an absent hold's place does not matter)."""
        r = lambda x: round(float(x), 6)  # noqa: E731
        return (tuple(r(v) for v in self.speeds),
                tuple((r(a), r(n)) for a, n in sorted(self.cuts) if n > 0),
                r(self.hold_at) if self.hold_len > 0 else 0.0, r(self.hold_len))

    def edit_cost(self) -> float:
        """A size of the edit (0 = none): mean |log2 speed| plus the dropped and held
        shares of the source."""
        return (float(np.mean(np.abs(np.log2(self.speeds))))
                + sum(n for _, n in self.cuts) + self.hold_len)

    def dropped(self, duration: float) -> list[tuple[float, float]]:
        """The dropped source spans (s), merged."""
        spans = sorted((float(np.clip(a * duration, 0, duration)),
                        float(np.clip((a + n) * duration, 0, duration)))
                       for a, n in self.cuts if n > 0)
        out: list[list[float]] = []
        for a, b in spans:
            if out and a <= out[-1][1] + 1e-9:
                out[-1][1] = max(out[-1][1], b)
            elif b > a:
                out.append([a, b])
        return [(a, b) for a, b in out]

    def build(self, duration: float) -> EditPlan:
        """The edit decision list of these parameters over a source of ``duration`` s."""
        d = float(duration)
        k = len(self.speeds)
        drops = self.dropped(d)
        bounds = {0.0, d} | {d * i / k for i in range(1, k)}
        for a, b in drops:
            bounds |= {a, b}
        h = float(np.clip(self.hold_at * d, 0.0, d)) if self.hold_len > 0 else None
        if h is not None:
            bounds.add(h)
        edges = sorted(bounds)
        segs: list[Segment] = []
        t_out = 0.0

        def add_hold() -> None:
            nonlocal t_out
            length = self.hold_len * d
            segs.append(Segment("hold", h, h, t_out, t_out + length))
            t_out += length

        held = False
        for a, b in zip(edges[:-1], edges[1:], strict=True):
            if h is not None and not held and h <= a + 1e-9:
                add_hold()
                held = True
            if b - a <= 1e-9 or any(a >= c0 - 1e-9 and b <= c1 + 1e-9 for c0, c1 in drops):
                continue
            v = self.speeds[min(k - 1, int((0.5 * (a + b)) / d * k))]
            segs.append(Segment("play", a, b, t_out, t_out + (b - a) / v))
            t_out += (b - a) / v
        if h is not None and not held:
            add_hold()
        return EditPlan(_merge(segs), d)


def _merge(segs: list[Segment]) -> list[Segment]:
    """Join contiguous play segments of the same speed."""
    out: list[Segment] = []
    for s in segs:
        p = out[-1] if out else None
        if (p is not None and p.kind == s.kind == "play" and abs(p.src_end - s.src_start) < 1e-9
                and abs(p.speed - s.speed) < 1e-9):
            out[-1] = Segment("play", p.src_start, s.src_end, p.out_start, s.out_end)
        else:
            out.append(s)
    return out


def identity_plan(duration: float) -> EditPlan:
    """The unedited clip as a plan."""
    return EditPlan([Segment("play", 0.0, duration, 0.0, duration)], float(duration))
