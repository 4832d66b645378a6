"""Frame-interpolation predictability: how well a frame is predicted from its neighbours.

For every distinct frame M with distinct neighbours A (before) and C (after), the optical
flow A → C is computed (skipping M, so M's own pixels never enter the prediction), both
neighbours are warped to M's time along it (at the fraction ``tau`` of the interval given by
the real timestamps) and blended. The prediction error is divided by the error of the same
blend without motion (``(1 - tau) A + tau C``): 0 means perfectly predictable, 1 means the
motion model does no better than no motion model. It is VBench's "motion smoothness" done
with classical flow instead of a learned interpolator.
"""

from __future__ import annotations

from collections import deque

import cv2
import numpy as np

from hypnoscope.signals.context import FrameContext, magnitude, pixel_grid

#: Mean flow magnitude (px at the analysis size, over the two steps A → C) below which the
#: scene is still and there is no motion to predict (the ratio is then undefined).
MIN_MOTION_PX = 0.5


def interpolate_midframe(a: np.ndarray, c: np.ndarray, flow_ac: np.ndarray,
                         tau: float) -> np.ndarray:
    """Predict the frame at fraction ``tau`` (0..1) of the way from ``a`` to ``c`` (float32
    gray) along ``flow_ac`` (px, A's grid): each neighbour is warped to that time and the two
    are blended by their closeness."""
    h, w = a.shape
    gx, gy = pixel_grid(h, w)
    fx, fy = flow_ac[..., 0], flow_ac[..., 1]
    from_a = cv2.remap(a, gx - tau * fx, gy - tau * fy, cv2.INTER_LINEAR,
                       borderMode=cv2.BORDER_REPLICATE)
    from_c = cv2.remap(c, gx + (1 - tau) * fx, gy + (1 - tau) * fy, cv2.INTER_LINEAR,
                       borderMode=cv2.BORDER_REPLICATE)
    return (1 - tau) * from_a + tau * from_c


def interpolation_error_ratio(a: np.ndarray, m: np.ndarray, c: np.ndarray,
                              flow_ac: np.ndarray, tau: float) -> float:
    """Mean absolute error of the flow interpolation of ``m`` over that of the motionless
    blend of ``a`` and ``c`` (float32 gray frames); nan when the blend is already exact."""
    pred = interpolate_midframe(a, c, flow_ac, tau)
    e_flow = float(cv2.absdiff(pred, m).mean())
    e_still = float(cv2.absdiff(cv2.addWeighted(a, 1 - tau, c, tau, 0.0), m).mean())
    return e_flow / e_still if e_still > 1e-6 else float("nan")


class InterpolationExtractor:
    """Per distinct frame: the flow-interpolation error ratio (stored at the middle frame of
    each distinct triple). Keeps only the previous two distinct frames."""

    name = "interpolation"

    def __init__(self, preset: int = cv2.DISOPTICAL_FLOW_PRESET_FAST,
                 min_motion_px: float = MIN_MOTION_PX):
        self._dis = cv2.DISOpticalFlow_create(preset)
        self.min_motion_px = min_motion_px
        self._recent: deque[tuple[int, float, np.ndarray, np.ndarray]] = deque(maxlen=2)
        self._ratio: list[float] = []

    def update(self, ctx: FrameContext) -> None:
        self._ratio.append(np.nan)
        if ctx.is_duplicate:
            return
        if len(self._recent) == 2:
            (_, ta, ga, fa), (im, tm, _, fm) = self._recent
            tc = ctx.content_t
            if tc > ta:
                flow = self._dis.calc(ga, ctx.gray, None)
                if float(magnitude(flow[..., 0], flow[..., 1]).mean()) >= self.min_motion_px:
                    tau = (tm - ta) / (tc - ta)
                    self._ratio[im] = interpolation_error_ratio(fa, fm, ctx.gray_f32, flow, tau)
        self._recent.append((ctx.index, ctx.content_t, ctx.gray, ctx.gray_f32))

    def series(self) -> dict[str, np.ndarray]:
        return {"interpolation_error": np.asarray(self._ratio, dtype=float)}

    def units(self) -> dict[str, str]:
        return {"interpolation_error": "ratio: flow-interpolation error / no-motion error "
                                       "(0 predictable, 1 no better than no motion)"}

    def events(self) -> dict[str, list[float]]:
        return {}
