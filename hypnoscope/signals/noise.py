"""Sensor-noise level, estimated on the native-resolution luma crops the decoder keeps.

The estimator is Immerkær's fast noise estimation (1996) with two changes that make it tell
noise from texture: a 5x5 fourth-difference mask (the outer product of ``[1, -4, 6, -4, 1]``
with itself) instead of Immerkær's 3x3 second-difference mask, so smooth texture leaks far
less into the response, and, as Tai and Yang (2008) propose, only the flattest pixels (the
lowest decile of the Sobel gradient) are averaged, so edges do not count as noise. Pixels
near clipped black or white are left out, because clipping hides noise.

For white Gaussian noise of standard deviation sigma the mask response is Gaussian with
standard deviation ``70 sigma``, so ``sigma = sqrt(pi / 2) * mean(|response|) / 70``.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from hypnoscope.media.decode import DEFAULT_HEIGHT
from hypnoscope.signals.context import FrameContext

_D4 = np.array([1, -4, 6, -4, 1], np.float32)
#: The 5x5 fourth-difference mask; its response to white noise has std 70 sigma.
NOISE_MASK = np.outer(_D4, _D4)
_MASK_NORM = float(np.sqrt((NOISE_MASK ** 2).sum()))  # = 70
#: Share of the (unclipped) pixels with the lowest gradient that are averaged.
FLAT_SHARE = 0.10
#: Gray levels at or beyond which a pixel counts as clipped (its noise is cut off).
CLIP_LOW, CLIP_HIGH = 2, 253


def estimate_noise_sigma(gray: np.ndarray, flat_share: float = FLAT_SHARE) -> float:
    """Standard deviation of additive white noise in a uint8 gray image, in gray levels
    (0..255). nan when fewer than 1000 usable pixels remain (tiny or clipped image)."""
    g = np.asarray(gray)
    if g.ndim != 2 or min(g.shape) < 16:
        return float("nan")
    gf = g.astype(np.float32)
    response = cv2.filter2D(gf, -1, NOISE_MASK, borderType=cv2.BORDER_REFLECT)
    gradient = cv2.add(cv2.convertScaleAbs(cv2.Sobel(g, cv2.CV_16S, 1, 0)),
                       cv2.convertScaleAbs(cv2.Sobel(g, cv2.CV_16S, 0, 1)))
    unclipped = ((g > CLIP_LOW) & (g < CLIP_HIGH)).astype(np.uint8)
    usable = cv2.erode(unclipped, np.ones((5, 5), np.uint8)) > 0
    r = NOISE_MASK.shape[0] // 2 + 1
    usable[:r] = False
    usable[-r:] = False
    usable[:, :r] = False
    usable[:, -r:] = False
    grad = gradient[usable]
    if grad.size < 1000:
        return float("nan")
    # The gradient saturates at 255 (uint8): harmless, only the flattest pixels are kept.
    k = int(flat_share * (grad.size - 1))
    threshold = np.partition(grad, k)[k]
    flat = usable & (gradient <= threshold)
    mean_abs = float(np.abs(response[flat]).mean())
    return math.sqrt(math.pi / 2.0) * mean_abs / _MASK_NORM


class NoiseExtractor:
    """Sensor-noise sigma on every native-resolution crop (nan on frames without one).

    ``noise_sigma`` is in gray levels at the file's own resolution; ``noise_sigma_180p``
    refers it to a 180 px high frame, ``sigma * 180 / native height``: what white noise of
    that sigma becomes when the frame is area-averaged down to 180 px, so it does not change
    when a clip is transcoded to a smaller size (it does when the noise is not white).
    """

    name = "noise"

    #: Height (px) the referred sigma is expressed at.
    reference_height = DEFAULT_HEIGHT

    def __init__(self) -> None:
        self._sigma: list[float] = []
        self._referred: list[float] = []

    def update(self, ctx: FrameContext) -> None:
        crop = ctx.frame.native_crop
        sigma = estimate_noise_sigma(crop) if crop is not None else float("nan")
        native_h = ctx.frame.native_height
        self._sigma.append(sigma)
        self._referred.append(sigma * self.reference_height / native_h
                              if native_h > 0 else float("nan"))

    def series(self) -> dict[str, np.ndarray]:
        return {"noise_sigma": np.asarray(self._sigma, dtype=float),
                "noise_sigma_180p": np.asarray(self._referred, dtype=float)}

    def units(self) -> dict[str, str]:
        return {"noise_sigma": "gray levels (native resolution)",
                "noise_sigma_180p": "gray levels (referred to 180 px height)"}

    def events(self) -> dict[str, list[float]]:
        return {}
