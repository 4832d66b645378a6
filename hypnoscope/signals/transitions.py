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
    ``kind`` is ``dissolve``, ``fade_out``, ``fade_in`` or ``fade_through_black`` (out of
    one shot, through black or another flat colour, into the next); ``fit`` is the blend residual as
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


def detail_dip(t: np.ndarray, detail: np.ndarray) -> float:
    """The least ratio, over the frames in the middle half of a transition (times ``t`` in
    s, first and last being its ends), of their ``detail`` (Laplacian standard deviation) to
    the straight line between the ends' detail (1.0: no dip; inf when no frame is in the
    middle). A blend of two unrelated pictures keeps about half of each one's edges, so its
    detail dips below the line; motion inside one shot keeps it near."""
    if len(t) < 3 or t[-1] <= t[0]:
        return float("inf")
    u = (t[1:-1] - t[0]) / (t[-1] - t[0])
    line = (1 - u) * detail[0] + u * detail[-1]
    mid = (u >= 0.25) & (u <= 0.75) & (line > 0)
    return float((detail[1:-1][mid] / line[mid]).min()) if mid.any() else float("inf")


@dataclass
class _Entry:
    index: int
    t: float
    thumb: np.ndarray
    spread: float  # 10th to 90th percentile of the thumbnail, levels
    half: np.ndarray  # the gray frame at half the analysis size, for the motion check
    detail: float  # standard deviation of its Laplacian, levels (edges and texture)


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
    of the same picture, e.g. a brightness change, are not two shots).

    A dissolve whose best fit is above ``sure_fit`` (both shots move, or it is motion
    inside one shot) is kept only when its middle frames lose detail as a blend of two
    unrelated pictures does, to at most ``max_dip`` of the line between its ends (see
    :func:`detail_dip`)."""

    def __init__(self, *, min_change: float = 6.0, max_fit: float = 0.25,
                 max_jump: float = 0.6, min_unexplained: float = 0.3,
                 max_window_s: float = 3.0, max_span_s: float = 4.0,
                 uniform_spread: float = 8.0, max_similarity: float = 0.8,
                 max_frames: int = 48, sure_fit: float = 0.18, max_dip: float = 0.9):
        self.min_change, self.max_fit, self.max_jump = min_change, max_fit, max_jump
        self.min_unexplained = min_unexplained
        self.max_window_s, self.max_span_s = max_window_s, max_span_s
        self.uniform_spread = uniform_spread
        self.max_similarity = max_similarity
        self.sure_fit, self.max_dip = sure_fit, max_dip
        self._detail: list[tuple[int, float, float]] = []  # (index, t, detail) per frame
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
        detail = float(cv2.Laplacian(half, cv2.CV_32F).std())
        self._recent.append(_Entry(ctx.index, ctx.content_t, thumb, float(p90 - p10), half,
                                   detail))
        self._detail.append((ctx.index, ctx.content_t, detail))
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

    def transitions(self, exclude: frozenset[int] = frozenset()) -> list[Transition]:
        """The transitions found so far: overlapping or touching candidates merged (one
        gradual change is one event), too long ones dropped, and so is a dissolve from the
        first frame to the last (a dissolve joins two shots; a clip that changes gradually
        throughout has one shot whose content changes, e.g. a slow morph). Candidates that
        start or end on a frame in ``exclude`` (analysis indices, e.g. a flash whose picture
        does not last) are left out first."""
        merged: list[Transition] = []
        cands = [c for c in self._candidates if c.start not in exclude
                 and c.end not in exclude]
        for c in sorted(cands, key=lambda c: (c.start, c.end)):
            if merged and c.start <= merged[-1].end + 1:  # overlapping or touching
                p = merged[-1]
                kind = p.kind if p.fit <= c.fit else c.kind
                if c.end > p.end:
                    merged[-1] = Transition(p.start, c.end, p.t_start, c.t_end, kind,
                                            min(p.fit, c.fit))
                continue
            merged.append(c)
        rows = np.asarray(self._detail, dtype=float).reshape(-1, 3)  # index, t, detail
        kept = []
        for c in merged:
            if c.t_end - c.t_start > self.max_span_s + 1e-6:
                continue
            if c.kind == "dissolve" and len(rows) and c.start <= rows[0, 0] \
                    and c.end >= rows[-1, 0]:
                continue  # the whole clip: a change of content, no edit between shots
            if c.kind == "dissolve" and c.fit > self.sure_fit:
                a, b = np.searchsorted(rows[:, 0], [c.start, c.end + 0.5])
                if detail_dip(rows[a:b, 1], rows[a:b, 2]) > self.max_dip:
                    continue
            kept.append(c)
        return kept


def assemble(transitions: list[Transition], spread: np.ndarray, t: np.ndarray,
             flat: float = 8.0, dip: float = 0.25, max_gap: int = 1) -> list[Transition]:
    """Gradual transitions as editors name them, one event each.

    ``transitions`` are the blend-model events over analysis frames, ``spread`` the range
    (levels) from the 10th to the 90th percentile of each frame's thumbnail and ``t`` the
    frames' times (s). A frame is flat (black or another flat colour) when its spread is
    at most ``flat``. Events at most ``max_gap`` frames apart join (a fade out and the fade
    in that follows it, the two halves of a dissolve); a run of flat frames joins the
    events that end in it and start from it, and a run that starts or ends the video, or
    is entered or left by a jump, becomes an event of its own (PySceneDetect's threshold
    detector sees these). Each event's kind then follows from its frames: out of a flat
    frame ``fade_in``, into one ``fade_out``; ``fade_through_black`` when a frame inside is
    flat or its spread dips below ``dip`` times that of both ends (a fast fade whose
    darkest frame falls between analysis frames); else ``dissolve``.
    """
    n = len(spread)
    is_flat = spread <= flat
    spans = [[tr.start, tr.end, tr.fit] for tr in transitions]
    edges = np.diff(np.concatenate([[0], is_flat.astype(int), [0]]))
    for a, b in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1, strict=True):
        if a == 0 and b == n - 1:
            continue  # all flat: nothing to fade from
        spans.append([max(a - 1, 0), min(b + 1, n - 1), 0.0])
    spans.sort()
    merged: list[list] = []
    for s in spans:
        if merged and s[0] - merged[-1][1] <= max_gap:
            m = merged[-1]
            m[1], m[2] = max(m[1], s[1]), min(m[2], s[2])
        else:
            merged.append(list(s))
    out = []
    for s, e, fit in merged:
        inner = spread[s + 1:e]
        if is_flat[s] and not is_flat[e]:
            kind = "fade_in"
        elif is_flat[e] and not is_flat[s]:
            kind = "fade_out"
        elif len(inner) and (inner.min() <= flat
                             or inner.min() < dip * min(spread[s], spread[e])):
            kind = "fade_through_black"
        else:
            kind = "dissolve"
        out.append(Transition(int(s), int(e), float(t[s]), float(t[e]), kind, float(fit)))
    return out
