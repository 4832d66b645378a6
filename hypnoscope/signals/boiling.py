"""Texture 'boiling': fine detail that changes from frame to frame once motion is removed.

The compensated residual (this frame minus the previous distinct frame warped onto it by the
optical flow) holds what motion does not explain. Its fine band (resampled to the canonical
180 px height, then a difference of Gaussians of 0.7 and 1.5 px) is the fine detail that
changed. The band stops short of the very finest scale on purpose: bilinear warping along a
sub-pixel flow blurs the previous frame there by a different amount at every frame, which
would add a warp artefact to every residual. Two numbers per frame:

- ``boiling``: the robust standard deviation (1.4826 x median absolute value) of that band,
  in gray levels: how much fine texture changes between analysis frames;
- ``boiling_corr``: the correlation of that band with the previous frame's band (warped onto
  this frame along the same flow). A camera sensor's noise is independent from frame to
  frame, so consecutive residuals ``n_t - n_{t-1}`` and ``n_{t-1} - n_{t-2}`` correlate at
  exactly -0.5; detail that drifts smoothly, as generated texture tends to, changes in the
  same direction from one frame to the next and correlates near +1.

Only the previous band is kept, so memory is one analysis-size array.
"""

from __future__ import annotations

import cv2
import numpy as np

from hypnoscope.signals.appearance import to_canonical_height
from hypnoscope.signals.context import FrameContext

#: Gaussian scales (px at 180 px height) of the difference-of-Gaussians residual band.
BAND_SIGMAS = (0.7, 1.5)
#: Pixels at the border of the canonical frame left out (warps and blurs see padding there).
MARGIN = 4
#: Below this robust sigma (gray levels) a residual band is 8-bit rounding, not texture, and
#: its correlation is not computed.
MIN_LEVEL = 0.3
#: Each band is clipped at this many robust sigmas before correlating, so the few pixels
#: where the flow fails (occlusions, edges of moving objects) do not dominate.
WINSOR = 3.0


def robust_sigma(x: np.ndarray) -> float:
    """1.4826 x the median absolute value of ``x``: its standard deviation when ``x`` is
    zero-mean Gaussian, insensitive to a minority of outliers."""
    a = np.abs(x).ravel()
    k = a.size // 2
    return 1.4826 * float(np.partition(a, k)[k]) if a.size else float("nan")


def winsorized_correlation(a: np.ndarray, b: np.ndarray, sa: float, sb: float,
                           k: float = WINSOR) -> float:
    """Pearson correlation of ``a`` and ``b`` after clipping each at ``k`` times its robust
    sigma (``sa``, ``sb``)."""
    x = np.clip(a, -k * sa, k * sa).ravel().astype(np.float64)
    y = np.clip(b, -k * sb, k * sb).ravel().astype(np.float64)
    x -= x.mean()
    y -= y.mean()
    # Element-wise sums, not np.dot: BLAS threads stall for milliseconds on a busy machine.
    den = float(np.sqrt((x * x).sum() * (y * y).sum()))
    return float((x * y).sum()) / den if den > 0 else float("nan")


def residual_band(residual: np.ndarray) -> np.ndarray:
    """The fine band of a compensated residual (float32, gray levels) at the canonical
    height: a difference of Gaussians of :data:`BAND_SIGMAS`, border trimmed."""
    r = to_canonical_height(residual)
    lo, hi = BAND_SIGMAS
    band = cv2.GaussianBlur(r, (0, 0), lo) - cv2.GaussianBlur(r, (0, 0), hi)
    return band[MARGIN:-MARGIN, MARGIN:-MARGIN]


class BoilingExtractor:
    """Per-frame boiling level (gray levels) and its frame-to-frame correlation (-1..1).

    Both are nan on the first frame, on duplicates (a held frame does not boil) and, for the
    correlation, when either band is below :data:`MIN_LEVEL`. The extractor does not know
    about cuts: the metrics drop cut frames and the frame after each cut.
    """

    name = "boiling"

    def __init__(self) -> None:
        self._level: list[float] = []
        self._corr: list[float] = []
        self._prev_residual: np.ndarray | None = None
        self._prev_level = float("nan")

    def update(self, ctx: FrameContext) -> None:
        if ctx.is_duplicate:
            self._level.append(np.nan)
            self._corr.append(np.nan)
            return
        if ctx.prev is None or not ctx.dt > 0:
            self._prev_residual = None
            self._level.append(np.nan)
            self._corr.append(np.nan)
            return
        residual = ctx.gray_f32 - ctx.warped_prev
        band = residual_band(residual)
        level = robust_sigma(band)
        corr = float("nan")
        prev = self._prev_residual
        if (prev is not None and prev.shape == residual.shape and level >= MIN_LEVEL
                and self._prev_level >= MIN_LEVEL):
            prev_band = residual_band(ctx.warp_from_prev(prev))
            corr = winsorized_correlation(band, prev_band, level, robust_sigma(prev_band))
        self._prev_residual = residual
        self._prev_level = level
        self._level.append(level)
        self._corr.append(corr)

    def series(self) -> dict[str, np.ndarray]:
        return {"boiling": np.asarray(self._level, dtype=float),
                "boiling_corr": np.asarray(self._corr, dtype=float)}

    def units(self) -> dict[str, str]:
        return {"boiling": "gray levels RMS (fine band, 180 px)",
                "boiling_corr": "correlation -1..1"}

    def events(self) -> dict[str, list[float]]:
        return {}
