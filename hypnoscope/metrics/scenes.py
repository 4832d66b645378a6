"""The shot list of a video: scenes between its shot boundaries, in source frames.

A boundary is a hard cut (the first frame of the new shot) or the middle of a gradual
transition (of its black frames for a fade through black: PySceneDetect's threshold
detector also puts a fade's boundary there).
Scenes run from one boundary to the next; the first starts at frame 0 and the last ends
with the video. Frames are the source's own (0-based, presentation order), times are
seconds from its first frame.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Scene:
    """Scene ``number`` (from 1) covering source frames ``start_frame`` to ``end_frame``
    (exclusive), from ``start_s`` to ``end_s`` (s). ``starts_with`` is how it begins:
    ``start`` (the video's first frame), ``cut``, or the kind of the gradual transition
    whose middle it starts at."""

    number: int
    start_frame: int
    end_frame: int
    start_s: float
    end_s: float
    starts_with: str

    @property
    def frames(self) -> int:
        return self.end_frame - self.start_frame

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def boundaries(shots: dict[str, Any], fps: float) -> list[tuple[int, float, str]]:
    """(source frame, time in s, kind) of every shot boundary in a ``shots`` document (see
    :meth:`hypnoscope.signals.cuts.CutExtractor.artifacts`), in order. A frame that is
    unknown is taken from the time at ``fps``."""
    out = []
    for c in shots.get("cuts", []):
        t = float(c["time_s"])
        f = c.get("frame")
        out.append((int(f) if f is not None else int(round(t * fps)), t, "cut"))
    for tr in shots.get("transitions", []):
        a, b = tr.get("start_frame"), tr.get("end_frame")
        t = float(tr.get("middle_s", 0.5 * (float(tr["start_s"]) + float(tr["end_s"]))))
        f = tr.get("middle_frame")
        if f is None:
            f = (int(a) + int(b) + 1) // 2 if a is not None and b is not None \
                else int(round(t * fps))
        out.append((f, t, str(tr.get("kind", "transition"))))
    return sorted(out)


def scene_list(shots: dict[str, Any], n_frames: int, duration_s: float,
               fps: float) -> list[Scene]:
    """The scenes of a video of ``n_frames`` source frames lasting ``duration_s`` seconds at
    a nominal ``fps`` (frames/s), from its ``shots`` document. Boundaries on the first frame
    or past the last are left out (a fade in from black at the very start still makes a
    scene of its black frames, as PySceneDetect's threshold detector does)."""
    edges = [(0, 0.0, "start")]
    for f, t, kind in boundaries(shots, fps):
        if edges[-1][0] < f < n_frames:
            edges.append((f, t, kind))
    scenes = []
    for k, (f, t, kind) in enumerate(edges):
        end_f, end_t = (edges[k + 1][0], edges[k + 1][1]) if k + 1 < len(edges) else (
            n_frames, duration_s)
        scenes.append(Scene(k + 1, f, end_f, t, end_t, kind))
    return scenes
