"""Edit decision lists over several clips: shots in output order, and what each output
time shows.

A :class:`Shot` plays clip ``clip`` from ``src_in`` to ``src_out`` (s of that clip) at a
constant ``speed``, then freezes its last picture for ``hold_s`` seconds. Shots follow each
other without gaps; the join *into* a shot is a hard cut, or a dissolve of ``dissolve_s``
seconds centred on the cut (the outgoing shot runs on for half of it past its out point and
the incoming one starts half of it before its in point, as an editor's dissolve uses the
clips' handles; where a clip has no handle its edge picture is held).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Shot:
    """One shot of an edit: clip index, source in/out (s), speed (x), hold at the end (s),
    and the join into it (``cut`` or ``dissolve`` of ``dissolve_s`` s)."""

    clip: int
    src_in: float
    src_out: float
    speed: float = 1.0
    hold_s: float = 0.0
    join: str = "cut"
    dissolve_s: float = 0.0

    @property
    def play_s(self) -> float:
        """Output seconds of the played part."""
        return (self.src_out - self.src_in) / self.speed

    @property
    def duration(self) -> float:
        """Output seconds of the shot (played part and hold)."""
        return self.play_s + self.hold_s

    def with_(self, **kw) -> Shot:
        return replace(self, **kw)

    def key(self) -> tuple:
        r = lambda x: round(float(x), 4)  # noqa: E731
        return (self.clip, r(self.src_in), r(self.src_out), r(self.speed), r(self.hold_s),
                self.join, r(self.dissolve_s) if self.join == "dissolve" else 0.0)


@dataclass
class EditList:
    """An edit over clips (``paths``, with their durations in s): shots in output order."""

    shots: list[Shot]
    paths: list[str]
    durations: list[float]

    @property
    def output_duration(self) -> float:
        """Length of the edited piece, s."""
        return float(sum(s.duration for s in self.shots))

    def key(self) -> tuple:
        return tuple(s.key() for s in self.shots)

    def starts(self) -> np.ndarray:
        """Output start time of every shot, s."""
        return np.concatenate([[0.0], np.cumsum([s.duration for s in self.shots])[:-1]])

    def frame_plan(self, fps: float) -> list[tuple[int, float, int, float, float]]:
        """What each output frame shows, at ``fps``: (shot, source time, other shot, other
        source time, weight of the other shot) per frame; other shot -1 outside dissolves.
        A played shot's last frame is the last before ``src_out`` (exclusive), a hold shows
        the picture at ``src_out`` minus half a frame."""
        n = max(2, int(round(self.output_duration * fps)))
        starts = self.starts()
        ends = starts + np.array([s.duration for s in self.shots])
        out = []
        eps = 0.5 / fps
        for k in range(n):
            t = k / fps
            i = int(np.clip(np.searchsorted(starts, t + 1e-9, side="right") - 1, 0,
                            len(self.shots) - 1))
            src = self._src(i, t, eps)
            other, osrc, w = -1, 0.0, 0.0
            sh = self.shots[i]
            nxt = self.shots[i + 1] if i + 1 < len(self.shots) else None
            if sh.join == "dissolve" and i > 0 and t < starts[i] + sh.dissolve_s / 2:
                d = sh.dissolve_s
                w = 0.5 - (t - starts[i]) / d  # weight of the outgoing shot
                other, osrc = i - 1, self._src(i - 1, t, eps)
            elif nxt is not None and nxt.join == "dissolve" and t >= ends[i] - nxt.dissolve_s / 2:
                d = nxt.dissolve_s
                w = 0.5 - (ends[i] - t) / d  # weight of the incoming shot
                other, osrc = i + 1, self._src(i + 1, t, eps)
            out.append((i, src, other, osrc, float(np.clip(w, 0.0, 1.0))))
        return out

    def _src(self, i: int, t: float, eps: float) -> float:
        s = self.shots[i]
        start = float(self.starts()[i])
        if s.hold_s > 0 and t >= start + s.play_s:
            src = s.src_out - eps
        else:
            src = s.src_in + s.speed * (t - start)
        return float(np.clip(src, 0.0, max(0.0, self.durations[s.clip] - 1e-6)))

    def to_dict(self) -> dict[str, Any]:
        """The edit decision list: one entry per shot with its source file, source in/out,
        output in/out, speed, hold and join."""
        rows = []
        t = 0.0
        for i, s in enumerate(self.shots):
            rows.append({
                "shot": i + 1, "source": self.paths[s.clip],
                "source_in_s": round(s.src_in, 4), "source_out_s": round(s.src_out, 4),
                "output_in_s": round(t, 4), "output_out_s": round(t + s.duration, 4),
                "speed": round(s.speed, 4), "hold_s": round(s.hold_s, 4),
                "join": s.join if i > 0 else "start",
                "dissolve_s": round(s.dissolve_s, 4) if s.join == "dissolve" else 0.0})
            t += s.duration
        return {"output_duration_s": round(self.output_duration, 4), "shots": rows}

    def lines(self, names: list[str] | None = None) -> list[str]:
        """One line per shot, for a terminal."""
        names = names or self.paths
        out = []
        t = 0.0
        for i, s in enumerate(self.shots):
            join = ("" if i == 0 else f" (dissolve {s.dissolve_s:.2f} s)"
                    if s.join == "dissolve" else "")
            hold = f", hold {s.hold_s:.2f} s" if s.hold_s > 0 else ""
            out.append(f"{t:6.2f}–{t + s.duration:6.2f} s  {names[s.clip]} "
                       f"{s.src_in:.2f}–{s.src_out:.2f} s at {s.speed:.2f}x{hold}{join}")
            t += s.duration
        return out


def snap_to_frames(edl: EditList, fps: float, frame_times: list[np.ndarray]) -> EditList:
    """``edl`` with every cut on a whole output frame at ``fps`` and every in point on a
    source frame (``frame_times[clip]``, s), as an editor's timeline has them; speeds and
    holds kept, out points following (an out point past the clip's end moves the in point
    back by whole frames)."""
    ends = np.round(np.cumsum([s.duration for s in edl.shots]) * fps) / fps
    starts = np.concatenate([[0.0], ends[:-1]])
    shots = []
    for s, a, b in zip(edl.shots, starts, ends, strict=True):
        times = frame_times[s.clip]
        dur_clip = edl.durations[s.clip]
        play = max(1.0 / fps, (b - a) - s.hold_s)
        span = play * s.speed
        k = int(np.argmin(np.abs(times - s.src_in)))
        while k > 0 and times[k] + span > dur_clip + 1e-6:
            k -= 1
        src_in = float(times[k])
        src_out = min(dur_clip, src_in + span)
        hold = (b - a) - (src_out - src_in) / s.speed
        shots.append(Shot(s.clip, src_in, src_out, s.speed, max(0.0, hold) if hold > 1e-6
                          else 0.0, s.join, s.dissolve_s))
    return EditList(shots, edl.paths, edl.durations)

