"""Rigidity: does the picture move the way a camera sees a solid scene?

Between two consecutive distinct frames, corner points are tracked (pyramidal Lucas-Kanade,
kept only when tracking back lands within 0.5 px of the start) and one projective motion
(a homography, RANSAC) is fitted to them. A camera filming a solid scene moves most points
by one such motion; the residual of the points that follow it is tracking noise plus
parallax. Generated video tends to *drift*: surfaces slide and breathe a little against each
other, so the points that follow the dominant motion follow it less exactly.

The residual alone also depends on texture, blur, resolution and compression (blurry or
blocky pictures track less precisely). So the same frame is warped by the fitted motion
itself — a perfectly rigid move of this very picture, with the same texture and the same
displacement — and tracked again: that residual is the floor this picture allows.
``nonrigidity`` is the log ratio of the two: 0 when the real move is as rigid as a synthetic
one, about log(2) ≈ 0.69 when its residual is twice the floor (both are offset by
:data:`RESIDUAL_EPS`).

A camera moving through a solid *3D* scene does not move every point by one homography:
near things shift more than far ones (parallax). What any rigid scene does obey is epipolar
geometry: each point's match lies on the line the fundamental matrix assigns it. So for
each distinct frame and the one about 0.5 s earlier (long enough for slow drift to add up),
a fundamental matrix is fitted (RANSAC) and ``epipolar_residual`` is the median Sampson
distance of the points it explains to within 1 px: parallax costs nothing, surfaces that
slide against each other do. It is undefined when the median point moved less than 0.3 px
(a still picture says nothing about its geometry) and across a cut.

Everything is measured on the gray frame at a canonical 180 px height, so the pixel
thresholds are fixed fractions of the frame height at any analysis size.
"""

from __future__ import annotations

import cv2
import numpy as np

from hypnoscope.signals.appearance import SHARPNESS_HEIGHT, to_canonical_height
from hypnoscope.signals.context import FrameContext
from hypnoscope.signals.wander import cut_flags, nearest_lag, spans_cut

#: Corner detection: at most this many points, quality relative to the best corner, and the
#: minimum distance between points (px at the canonical height).
MAX_POINTS, CORNER_QUALITY, MIN_DISTANCE = 200, 0.01, 4
#: A point is kept when tracking it back lands within this distance of its start (px).
MAX_ROUND_TRIP = 0.5
#: RANSAC threshold of the homography, and the residual below which a point counts as
#: following the dominant motion (px).
INLIER_PX = 1.0
#: Fewer tracked points than this, or fewer inliers than MIN_INLIERS: no measurement.
MIN_POINTS, MIN_INLIERS = 30, 8
#: The epipolar comparison looks this far back (s), within this range.
EPIPOLAR_LAG_S, EPIPOLAR_LAG_RANGE = 0.5, (0.3, 0.8)
#: RANSAC threshold of the fundamental matrix (px), and the median displacement (px) below
#: which the pair is too still to constrain it.
EPIPOLAR_RANSAC_PX, MIN_DISPLACEMENT_PX = 0.5, 0.3
#: Added to both residuals before their ratio (px): about the floor of real footage (its
#: median on the dev corpus is 0.04 px), so differences below the precision of tracking on
#: real pictures (codec noise on a clean synthetic pan, an exact pixel copy) make no ratio.
RESIDUAL_EPS = 0.05

_LK = {"winSize": (11, 11), "maxLevel": 3,
       "criteria": (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 30, 0.01)}


def track_points(a: np.ndarray, b: np.ndarray, points: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """``points`` (n, 1, 2) of uint8 gray image ``a`` tracked into ``b``: their positions in
    ``b`` (n, 1, 2) and a mask (n,) of the points that tracked forward and back to within
    :data:`MAX_ROUND_TRIP` px."""
    fwd, st, _ = cv2.calcOpticalFlowPyrLK(a, b, points, None, **_LK)
    back, st2, _ = cv2.calcOpticalFlowPyrLK(b, a, fwd, None, **_LK)
    trip = np.linalg.norm((back - points).reshape(-1, 2), axis=1)
    return fwd, (st.ravel() == 1) & (st2.ravel() == 1) & (trip < MAX_ROUND_TRIP)


def dominant_motion(p0: np.ndarray, p1: np.ndarray) -> tuple[np.ndarray | None, float]:
    """The homography (3, 3) best explaining the move ``p0`` → ``p1`` ((n, 2) px, RANSAC)
    and the median residual (px) of the points it explains to within :data:`INLIER_PX`
    (nan when fewer than :data:`MIN_INLIERS` do)."""
    H, _ = cv2.findHomography(p0, p1, cv2.RANSAC, INLIER_PX)
    if H is None:
        return None, float("nan")
    r = np.linalg.norm(cv2.perspectiveTransform(p0[None], H)[0] - p1, axis=1)
    inl = r[r < INLIER_PX]
    return H, float(np.median(inl)) if len(inl) >= MIN_INLIERS else float("nan")


def corners(gray: np.ndarray) -> np.ndarray | None:
    """Up to :data:`MAX_POINTS` Shi-Tomasi corners of uint8 gray ``gray``, (n, 1, 2) float32
    px; None when there are fewer than :data:`MIN_POINTS` (too little texture to track)."""
    pts = cv2.goodFeaturesToTrack(gray, MAX_POINTS, CORNER_QUALITY, MIN_DISTANCE)
    return pts if pts is not None and len(pts) >= MIN_POINTS else None


def rigid_residuals(a: np.ndarray, b: np.ndarray, points: np.ndarray | None = None
                    ) -> tuple[float, float, int]:
    """(residual, floor, tracked points) for the move from uint8 gray ``a`` to ``b`` (same
    size): the median inlier residual of the dominant projective motion (px), the same for
    ``a`` warped rigidly by that motion (px), and how many points tracked. nan when there
    is too little texture to track. ``points`` are ``corners(a)`` when already known."""
    pts = corners(a) if points is None else points
    if pts is None:
        return float("nan"), float("nan"), 0
    moved, ok = track_points(a, b, pts)
    n = int(ok.sum())
    if n < MIN_POINTS:
        return float("nan"), float("nan"), n
    H, residual = dominant_motion(pts[ok].reshape(-1, 2), moved[ok].reshape(-1, 2))
    if H is None or not np.isfinite(residual):
        return residual, float("nan"), n
    h, w = a.shape
    rigid = cv2.warpPerspective(a, H, (w, h), flags=cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_REFLECT)
    moved_r, ok_r = track_points(a, rigid, pts)
    if int(ok_r.sum()) < MIN_POINTS:
        return residual, float("nan"), n
    _, floor = dominant_motion(pts[ok_r].reshape(-1, 2), moved_r[ok_r].reshape(-1, 2))
    return residual, floor, n


def sampson_distances(F: np.ndarray, p0: np.ndarray, p1: np.ndarray) -> np.ndarray:
    """First-order geometric distance (px) of each match ``p0[i]`` → ``p1[i]`` ((n, 2))
    from the epipolar constraint ``x1' F x0 = 0`` of fundamental matrix ``F`` (3, 3)."""
    x0 = np.c_[p0, np.ones(len(p0))]
    x1 = np.c_[p1, np.ones(len(p1))]
    fx0 = x0 @ F.T
    ftx1 = x1 @ F
    num = np.sum(x1 * fx0, axis=1) ** 2
    den = fx0[:, 0] ** 2 + fx0[:, 1] ** 2 + ftx1[:, 0] ** 2 + ftx1[:, 1] ** 2
    return np.sqrt(num / np.maximum(den, 1e-12))


def epipolar_residual(a: np.ndarray, b: np.ndarray, points: np.ndarray | None = None
                      ) -> tuple[float, float]:
    """(residual, displacement) for the move from uint8 gray ``a`` to ``b``: the median
    Sampson distance (px) of the tracked points that the RANSAC fundamental matrix explains
    to within :data:`INLIER_PX`, and the median point displacement (px). The residual is nan
    when too few points track, when they moved less than :data:`MIN_DISPLACEMENT_PX`, or
    when no fundamental matrix fits. ``points`` are ``corners(a)`` when already known."""
    pts = corners(a) if points is None else points
    if pts is None:
        return float("nan"), float("nan")
    moved, ok = track_points(a, b, pts)
    if int(ok.sum()) < MIN_POINTS:
        return float("nan"), float("nan")
    p0, p1 = pts[ok].reshape(-1, 2), moved[ok].reshape(-1, 2)
    disp = float(np.median(np.linalg.norm(p1 - p0, axis=1)))
    if disp < MIN_DISPLACEMENT_PX:
        return float("nan"), disp
    F, _ = cv2.findFundamentalMat(p0, p1, cv2.FM_RANSAC, EPIPOLAR_RANSAC_PX, 0.99)
    if F is None or F.shape != (3, 3):
        return float("nan"), disp
    d = sampson_distances(F, p0, p1)
    inl = d[d < INLIER_PX]
    return (float(np.median(inl)) if len(inl) >= MIN_INLIERS else float("nan")), disp


def nonrigidity(residual: float, floor: float) -> float:
    """log((residual + eps) / (floor + eps)), residuals in px (eps = :data:`RESIDUAL_EPS`):
    0 as rigid as the floor."""
    if not (np.isfinite(residual) and np.isfinite(floor)):
        return float("nan")
    return float(np.log((residual + RESIDUAL_EPS) / (floor + RESIDUAL_EPS)))


def _canonical_u8(gray: np.ndarray) -> np.ndarray:
    if gray.shape[0] == SHARPNESS_HEIGHT:
        return gray
    return np.clip(to_canonical_height(gray) + 0.5, 0, 255).astype(np.uint8)


class _Past:
    """A distinct frame kept for later comparisons: time (s), canonical gray and its corners
    (found once, used when it is the previous frame and again when it is 0.5 s back)."""

    __slots__ = ("t", "gray", "corners")

    def __init__(self, t: float, gray: np.ndarray) -> None:
        self.t, self.gray, self.corners = t, gray, corners(gray)


class RigidityExtractor:
    """Per distinct frame: the dominant-motion residual to the previous distinct frame, its
    rigid floor and their log ratio; the epipolar residual to the frame about 0.5 s earlier
    with its lag and displacement (nan on repeated frames and where undefined).

    ``cut_source`` is the extractor whose ``series()["cut"]`` marks cuts: a comparison
    across one measures the cut, so it is dropped."""

    name = "rigidity"
    KEYS = ("rigid_residual", "rigid_floor", "nonrigidity", "tracked_points",
            "epipolar_residual", "epipolar_displacement", "epipolar_lag")

    def __init__(self, cut_source=None) -> None:
        self.cut_source = cut_source
        self._rows: list[tuple[float, ...]] = []
        self._t: list[float] = []
        self._past: list[_Past] = []

    def update(self, ctx: FrameContext) -> None:
        self._t.append(ctx.t)
        if ctx.is_duplicate:
            self._rows.append((np.nan,) * len(self.KEYS))
            return
        cur = _canonical_u8(ctx.gray)
        prev = self._past[-1] if self._past else None
        row = [np.nan] * len(self.KEYS)
        if ctx.prev is not None and prev is not None and prev.gray.shape == cur.shape:
            res, floor, n = (rigid_residuals(prev.gray, cur, prev.corners)
                             if prev.corners is not None else (np.nan, np.nan, 0))
            row[:4] = [res, floor, nonrigidity(res, floor), float(n)]
        back = nearest_lag(self._past, ctx.t, EPIPOLAR_LAG_S, *EPIPOLAR_LAG_RANGE)
        if back is not None and back.gray.shape == cur.shape:
            row[4], row[5] = (epipolar_residual(back.gray, cur, back.corners)
                              if back.corners is not None else (np.nan, np.nan))
            row[6] = ctx.t - back.t
        self._rows.append(tuple(row))
        self._past.append(_Past(ctx.t, cur))
        self._past = [p for p in self._past if ctx.t - p.t <= EPIPOLAR_LAG_RANGE[1] + 1e-6]

    def series(self) -> dict[str, np.ndarray]:
        cols = np.asarray(self._rows, dtype=float).reshape(-1, len(self.KEYS))
        out = {k: cols[:, i].copy() for i, k in enumerate(self.KEYS)}
        t = np.asarray(self._t, dtype=float)
        crossed = spans_cut(t, out["epipolar_lag"], t[cut_flags(self.cut_source, len(t))])
        for k in ("epipolar_residual", "epipolar_displacement"):
            out[k][crossed] = np.nan
        return out

    def units(self) -> dict[str, str]:
        return {"rigid_residual": "px at 180 px height", "rigid_floor": "px at 180 px height",
                "nonrigidity": "log ratio (0 = as rigid as a synthetic warp)",
                "tracked_points": "points",
                "epipolar_residual": "px at 180 px height (Sampson distance)",
                "epipolar_displacement": "px at 180 px height (median over points)",
                "epipolar_lag": "s (time back to the compared frame)"}

    def events(self) -> dict[str, list[float]]:
        return {}
