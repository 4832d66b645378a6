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
one, log(2) ≈ 0.69 when its residual is twice the floor.

Everything is measured on the gray frame at a canonical 180 px height, so the pixel
thresholds are fixed fractions of the frame height at any analysis size.
"""

from __future__ import annotations

import cv2
import numpy as np

from hypnoscope.signals.appearance import SHARPNESS_HEIGHT, to_canonical_height
from hypnoscope.signals.context import FrameContext

#: Corner detection: at most this many points, quality relative to the best corner, and the
#: minimum distance between points (px at the canonical height).
MAX_POINTS, CORNER_QUALITY, MIN_DISTANCE = 400, 0.01, 4
#: A point is kept when tracking it back lands within this distance of its start (px).
MAX_ROUND_TRIP = 0.5
#: RANSAC threshold of the homography, and the residual below which a point counts as
#: following the dominant motion (px).
INLIER_PX = 1.0
#: Fewer tracked points than this, or fewer inliers than MIN_INLIERS: no measurement.
MIN_POINTS, MIN_INLIERS = 30, 8
#: Added to both residuals before their ratio (px), so two near-zero residuals give ~0.
RESIDUAL_EPS = 1e-3

_LK = {"winSize": (15, 15), "maxLevel": 3,
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


def rigid_residuals(a: np.ndarray, b: np.ndarray) -> tuple[float, float, int]:
    """(residual, floor, tracked points) for the move from uint8 gray ``a`` to ``b`` (same
    size): the median inlier residual of the dominant projective motion (px), the same for
    ``a`` warped rigidly by that motion (px), and how many points tracked. nan when there
    is too little texture to track."""
    pts = cv2.goodFeaturesToTrack(a, MAX_POINTS, CORNER_QUALITY, MIN_DISTANCE)
    if pts is None or len(pts) < MIN_POINTS:
        return float("nan"), float("nan"), 0 if pts is None else len(pts)
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


def nonrigidity(residual: float, floor: float) -> float:
    """log((residual + eps) / (floor + eps)), residuals in px: 0 as rigid as the floor."""
    if not (np.isfinite(residual) and np.isfinite(floor)):
        return float("nan")
    return float(np.log((residual + RESIDUAL_EPS) / (floor + RESIDUAL_EPS)))


def _canonical_u8(gray: np.ndarray) -> np.ndarray:
    if gray.shape[0] == SHARPNESS_HEIGHT:
        return gray
    return np.clip(to_canonical_height(gray) + 0.5, 0, 255).astype(np.uint8)


class RigidityExtractor:
    """Per distinct frame: the dominant-motion residual to the previous distinct frame, its
    rigid floor and their log ratio (nan on the first frame and on repeated frames)."""

    name = "rigidity"
    KEYS = ("rigid_residual", "rigid_floor", "nonrigidity", "tracked_points")

    def __init__(self) -> None:
        self._rows: list[tuple[float, float, float, float]] = []
        self._prev_small: np.ndarray | None = None

    def update(self, ctx: FrameContext) -> None:
        if ctx.is_duplicate:
            self._rows.append((np.nan,) * 4)
            return
        cur = _canonical_u8(ctx.gray)
        prev, self._prev_small = self._prev_small, cur
        if ctx.prev is None or prev is None or prev.shape != cur.shape:
            self._rows.append((np.nan,) * 4)
            return
        res, floor, n = rigid_residuals(prev, cur)
        self._rows.append((res, floor, nonrigidity(res, floor), float(n)))

    def series(self) -> dict[str, np.ndarray]:
        cols = np.asarray(self._rows, dtype=float).reshape(-1, len(self.KEYS))
        return {k: cols[:, i].copy() for i, k in enumerate(self.KEYS)}

    def units(self) -> dict[str, str]:
        return {"rigid_residual": "px at 180 px height", "rigid_floor": "px at 180 px height",
                "nonrigidity": "log ratio (0 = as rigid as a synthetic warp)",
                "tracked_points": "points"}

    def events(self) -> dict[str, list[float]]:
        return {}
