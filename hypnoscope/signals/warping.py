"""Warping error as EvalCrafter defines it (after Lai et al., ECCV 2018).

For each pair of consecutive distinct frames (t, t+1): frame t+1 is warped back onto frame t
along the forward flow, pixels where the forward and backward flows disagree (occlusions,
flow failures) are masked out, and the error is the mean squared RGB difference (values in
0..1) over the pixels that remain. EvalCrafter uses RAFT; hypnoscope uses the DIS flows that
the frame context already computed, at the analysis size, so values are comparable between
videos measured here, not to the decimals of EvalCrafter's tables.
"""

from __future__ import annotations

import cv2
import numpy as np

from hypnoscope.signals.context import FrameContext, pixel_grid

#: Forward-backward consistency test (Sundaram et al. 2010, as in Lai et al.'s code): a pixel
#: is occluded when |f + b'|^2 > ALPHA (|f|^2 + |b'|^2) + BETA (px^2), with b' the backward
#: flow sampled where the forward flow lands.
OCCLUSION_ALPHA = 0.01
OCCLUSION_BETA = 0.5


def _squared_norm(v: np.ndarray) -> np.ndarray:
    x, y = v[..., 0], v[..., 1]
    return x * x + y * y


def occlusion_mask(forward: np.ndarray, backward_at_target: np.ndarray) -> np.ndarray:
    """True where ``forward`` (H, W, 2) and the backward flow sampled at its targets
    disagree: the pixel is occluded or its flow is unreliable."""
    lhs = _squared_norm(cv2.add(forward, backward_at_target))
    rhs = OCCLUSION_ALPHA * cv2.add(_squared_norm(forward), _squared_norm(backward_at_target))
    return lhs > rhs + OCCLUSION_BETA


def warping_error(prev_rgb: np.ndarray, cur_rgb: np.ndarray, forward: np.ndarray,
                  backward: np.ndarray) -> tuple[float, float]:
    """(MSE over non-occluded pixels with RGB in 0..1, share of pixels occluded) between
    ``prev_rgb`` and ``cur_rgb`` warped back onto it; flows in px: ``forward`` prev → cur on
    prev's grid, ``backward`` cur → prev on cur's grid."""
    h, w = forward.shape[:2]
    gx, gy = pixel_grid(h, w)
    mx, my = cv2.add(gx, forward[..., 0]), cv2.add(gy, forward[..., 1])
    m1, m2 = cv2.convertMaps(mx, my, cv2.CV_16SC2)
    warped = cv2.remap(cur_rgb, m1, m2, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    back = cv2.remap(backward, m1, m2, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    bad = occlusion_mask(forward, back)
    bad |= (mx < 0) | (mx > w - 1) | (my < 0) | (my > h - 1)  # lands outside the frame
    keep = (~bad).view(np.uint8)
    n = int(cv2.countNonZero(keep))
    if n == 0:
        return float("nan"), 1.0
    d = cv2.absdiff(warped, prev_rgb).astype(np.float32) * np.float32(1 / 255)
    mse = float(np.mean(cv2.mean(cv2.multiply(d, d), mask=keep)[:3]))
    return mse, 1.0 - n / keep.size


class WarpingErrorExtractor:
    """On every ``stride``-th distinct frame: EvalCrafter's warping error to the previous
    distinct frame, and the share of pixels the occlusion test left out (nan on the others).

    It is the only user of the backward flow, which costs as much as the forward one; every
    second distinct frame (the default) halves that cost, and the video's value, a median
    over frames, changes by sampling noise only."""

    name = "warping"

    def __init__(self, stride: int = 2) -> None:
        self.stride = max(1, int(stride))
        self._distinct = 0
        self._err: list[float] = []
        self._occ: list[float] = []

    def update(self, ctx: FrameContext) -> None:
        if ctx.prev is None or ctx.is_duplicate:
            self._err.append(np.nan)
            self._occ.append(np.nan)
            return
        self._distinct += 1
        if (self._distinct - 1) % self.stride:
            self._err.append(np.nan)
            self._occ.append(np.nan)
            return
        err, occ = warping_error(ctx.prev.rgb, ctx.rgb, ctx.flow, ctx.flow_back)
        self._err.append(err)
        self._occ.append(occ)

    def series(self) -> dict[str, np.ndarray]:
        return {"warping_error": np.asarray(self._err, dtype=float),
                "occluded_share": np.asarray(self._occ, dtype=float)}

    def units(self) -> dict[str, str]:
        return {"warping_error": "MSE, RGB in 0..1, non-occluded pixels",
                "occluded_share": "share 0..1 of pixels failing the forward-backward test"}

    def events(self) -> dict[str, list[float]]:
        return {}
