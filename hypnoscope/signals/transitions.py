"""Gradual transitions: dissolves and fades, told apart from hard cuts and from motion.

A dissolve from shot A to shot B is a run of frames each of which is a linear blend
``(1 - a) A + a B`` with the weight ``a`` rising from 0 to 1; a fade is a dissolve whose A or
B is a uniform frame (black, white or any flat colour). Each new distinct frame is tried as
the end B of a transition that started at one of the frames of the last few seconds (kept
as 32 x 18 thumbnails and half-size gray frames in a bounded deque): the frames in between
must be well explained as blends of A and B (least-squares weight per frame, small
residual), the weights must rise without a jump (a jump is a hard cut), A and B must differ
clearly and be different pictures, and the optical flow from A to B must not explain the
change (a pan also moves pixels gradually, but the flow accounts for it; a flicker or a
lighting change is a gain, which is allowed for).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import cv2
import numpy as np

from hypnoscope.signals.context import FrameContext, pixel_grid

#: (width, height) of the thumbnails the blend model is fitted on.
THUMB = (32, 18)


@dataclass(frozen=True)
class Transition:
    """A gradual transition between analysis frames ``start`` (the last frame of the old
    shot) and ``end`` (the first frame of the new shot), at times ``t_start``/``t_end`` (s);
    ``kind`` is ``dissolve``, ``fade_out`` or ``fade_in``; ``fit`` is the blend residual as
    a share of the A-to-B difference (0 = a perfect blend)."""

    start: int
    end: int
    t_start: float
    t_end: float
    kind: str
    fit: float


def blend_fit(a: np.ndarray, between: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, float]:
    """Least-squares blend weights of each row of ``between`` (k, P) as ``a + w (b - a)``,
    and the RMS residual of that model as a share of the RMS of ``b - a``."""
    d = b - a
    dd = float(d @ d)
    if dd <= 0:
        return np.zeros(len(between)), float("inf")
    rel = between - a
    w = rel @ d / dd
    err = rel - w[:, None] * d
    return w, float(np.sqrt((err * err).mean() / (dd / len(d))))


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of two thumbnails (1.0 when either is flat)."""
    a, b = a - a.mean(), b - b.mean()
    na, nb = float(np.sqrt(a @ a)), float(np.sqrt(b @ b))
    return float(a @ b / (na * nb)) if na > 1e-6 and nb > 1e-6 else 1.0


@dataclass
class _Entry:
    index: int
    t: float
    thumb: np.ndarray
    spread: float  # 10th to 90th percentile of the thumbnail, levels
    half: np.ndarray  # the gray frame at half the analysis size, for the motion check


class TransitionDetector:
    """Online dissolve and fade detection over distinct frames, with bounded memory.

    ``min_change`` is the mean absolute thumbnail difference (gray levels) between A and B
    below which nothing is a transition; ``max_fit`` the largest blend residual (share of
    the A-B difference); ``max_jump`` the largest rise of the blend weight in one step;
    ``min_unexplained`` the share of the change from A to B that the optical flow from A to
    B (at half the analysis size) must leave unexplained (for a dissolve, also once a global
    brightness gain is allowed for: a flicker is no dissolve); ``max_window_s`` how far
    back A is searched; ``max_span_s`` the longest
    transition kept (a slower gradual change is content, e.g. a morph, not an edit);
    ``uniform_spread`` the range (levels) from the 10th to the 90th percentile of a
    thumbnail under which the frame is uniform (a fade; a caption on black stays black);
    ``max_similarity`` the largest correlation between A and B for a dissolve (two views
    of the same picture, e.g. a brightness change, are not two shots)."""

    def __init__(self, *, min_change: float = 6.0, max_fit: float = 0.25,
                 max_jump: float = 0.6, min_unexplained: float = 0.3,
                 max_window_s: float = 3.0, max_span_s: float = 4.0,
                 uniform_spread: float = 8.0, max_similarity: float = 0.8,
                 max_frames: int = 48):
        self.min_change, self.max_fit, self.max_jump = min_change, max_fit, max_jump
        self.min_unexplained = min_unexplained
        self.max_window_s, self.max_span_s = max_window_s, max_span_s
        self.uniform_spread = uniform_spread
        self.max_similarity = max_similarity
        self._recent: deque[_Entry] = deque(maxlen=max_frames)
        self._dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_FAST)
        self._candidates: list[Transition] = []

    def update(self, ctx: FrameContext) -> None:
        """Add a frame (duplicates are ignored) and look for a transition ending at it."""
        if ctx.is_duplicate:
            return
        thumb = cv2.resize(ctx.gray_small, THUMB, interpolation=cv2.INTER_AREA).ravel()
        h, w = ctx.gray.shape
        half = cv2.resize(ctx.gray, (max(16, w // 2), max(16, h // 2)),
                          interpolation=cv2.INTER_AREA)
        p10, p90 = np.percentile(thumb, (10, 90))
        self._recent.append(_Entry(ctx.index, ctx.content_t, thumb, float(p90 - p10), half))
        cand = self._best_ending_here()
        if cand is not None:
            self._candidates.append(cand)

    def _best_ending_here(self) -> Transition | None:
        recent = list(self._recent)
        m = len(recent)
        if m < 3:
            return None
        b = recent[-1]
        thumbs = np.stack([e.thumb for e in recent])
        change = np.abs(thumbs - b.thumb).mean(axis=1)
        found: list[tuple[Transition, _Entry]] = []
        for k in range(2, m):
            a = recent[-1 - k]
            if b.t - a.t > self.max_window_s + 1e-6:
                break
            if change[-1 - k] < self.min_change:
                continue
            w, fit = blend_fit(a.thumb, thumbs[m - k:m - 1], b.thumb)
            if fit > self.max_fit:
                continue
            steps = np.diff(np.concatenate([[0.0], w, [1.0]]))
            if steps.max() > self.max_jump or steps.min() < -0.1:
                continue
            inside = np.flatnonzero((w > 0.1) & (w < 0.9))
            if len(inside) == 0 or not np.any((w >= 0.15) & (w <= 0.85)):
                continue
            span = recent[m - 1 - k:]  # a, the frames between, b
            s, e = span[inside[0]], span[inside[-1] + 2]  # the trimmed ends
            if e.spread <= self.uniform_spread < s.spread:
                kind = "fade_out"
            elif s.spread <= self.uniform_spread < e.spread:
                kind = "fade_in"
            elif similarity(a.thumb, b.thumb) <= self.max_similarity:
                kind = "dissolve"
            else:
                continue
            found.append((Transition(s.index, e.index, s.t, e.t, kind, fit), a))
        # the costlier motion check, on the best fits only
        for cand, a in sorted(found, key=lambda f: f[0].fit)[:2]:
            plain, by_gain = self._unexplained(a.half, b.half)
            if plain >= self.min_unexplained and (
                    cand.kind != "dissolve" or by_gain >= self.min_unexplained):
                return cand
        return None

    def _unexplained(self, a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
        """Share of the change from ``a`` to ``b`` (gray) that the optical flow between them
        does not explain; and the same once a global brightness gain is allowed for."""
        raw = float(cv2.absdiff(a, b).mean())
        if raw <= 0:
            return 0.0, 0.0
        flow = self._dis.calc(a, b, None)
        h, w = a.shape
        gx, gy = pixel_grid(h, w)
        warped = cv2.remap(a.astype(np.float32), gx - flow[..., 0], gy - flow[..., 1],
                           cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        bf = b.astype(np.float32)
        m_a = float(warped.mean())
        gain = min(2.0, max(0.5, float(bf.mean()) / m_a)) if m_a > 1.0 else 1.0
        plain = float(cv2.absdiff(bf, warped).mean()) / raw
        by_gain = float(cv2.absdiff(bf, warped * np.float32(gain)).mean()) / raw
        return min(1.0, plain), min(1.0, by_gain)

    def transitions(self) -> list[Transition]:
        """The transitions found so far: overlapping candidates merged, too long ones
        dropped."""
        merged: list[Transition] = []
        for c in sorted(self._candidates, key=lambda c: (c.start, c.end)):
            touching_dissolves = (merged and c.start == merged[-1].end
                                  and c.kind == merged[-1].kind == "dissolve")
            if merged and (c.start < merged[-1].end or touching_dissolves):
                p = merged[-1]
                kind = p.kind if p.fit <= c.fit else c.kind
                if c.end > p.end:
                    merged[-1] = Transition(p.start, c.end, p.t_start, c.t_end, kind,
                                            min(p.fit, c.fit))
                continue
            merged.append(c)
        return [c for c in merged if c.t_end - c.t_start <= self.max_span_s + 1e-6]
