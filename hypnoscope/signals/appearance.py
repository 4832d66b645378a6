"""Still-image appearance of each analysis frame: colour, contrast, clipping, sharpness.

Every statistic is a function of one frame, so none depends on the frame rate. Sharpness and
fine-texture energy are measured on the frame resampled to a canonical 180 px height (a
no-op at the default analysis size), so their frequency bands are fixed fractions of the
frame height and the same content measures the same at any analysis or source size.
"""

from __future__ import annotations

import cv2
import numpy as np

from hypnoscope.media.decode import DEFAULT_HEIGHT
from hypnoscope.signals.context import FrameContext

#: Gray levels (0..255) at or above which a pixel counts as a clipped highlight.
HIGHLIGHT_LEVEL = 250
#: Gray levels at or below which a pixel counts as a clipped shadow.
SHADOW_LEVEL = 5
#: Height (px) at which the sharpness bands are measured.
SHARPNESS_HEIGHT = DEFAULT_HEIGHT
#: Gaussian scales (px at SHARPNESS_HEIGHT) that split the fine, mid and coarse bands.
FINE_SIGMA, MID_SIGMA = 1.0, 2.0


def colourfulness(rgb: np.ndarray) -> float:
    """Hasler and Süsstrunk's (2003) colourfulness M of an RGB uint8 image:
    ``sqrt(sd_rg^2 + sd_yb^2) + 0.3 sqrt(mean_rg^2 + mean_yb^2)`` with ``rg = R - G`` and
    ``yb = (R + G) / 2 - B`` in 0..255 levels. 0 for a gray image; their 'highly colourful'
    starts near 82, 'extremely colourful' near 109."""
    x = rgb.astype(np.float32)
    rg = x[..., 0] - x[..., 1]
    yb = 0.5 * (x[..., 0] + x[..., 1]) - x[..., 2]
    m_rg, s_rg = cv2.meanStdDev(rg)
    m_yb, s_yb = cv2.meanStdDev(yb)
    spread = float(np.hypot(s_rg[0, 0], s_yb[0, 0]))
    centre = float(np.hypot(m_rg[0, 0], m_yb[0, 0]))
    return spread + 0.3 * centre


def mean_saturation(rgb: np.ndarray, hsv: np.ndarray | None = None) -> float:
    """Mean HSV saturation, 0 (gray) .. 1 (pure hues). ``hsv`` may be passed if already
    computed (OpenCV 8-bit HSV, S in 0..255)."""
    if hsv is None:
        hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
    return float(cv2.mean(hsv[..., 1])[0]) / 255.0


def rms_contrast(gray: np.ndarray) -> float:
    """RMS contrast: standard deviation of the gray levels scaled to 0..1 (0..0.5)."""
    _, sd = cv2.meanStdDev(gray)
    return float(sd[0, 0]) / 255.0


def clipped_fractions(gray: np.ndarray) -> tuple[float, float]:
    """Share of pixels at clipped highlights (>= HIGHLIGHT_LEVEL) and at clipped shadows
    (<= SHADOW_LEVEL), each 0..1."""
    n = gray.size
    high = np.count_nonzero(gray >= HIGHLIGHT_LEVEL) / n
    low = np.count_nonzero(gray <= SHADOW_LEVEL) / n
    return float(high), float(low)


def to_canonical_height(gray: np.ndarray, height: int = SHARPNESS_HEIGHT) -> np.ndarray:
    """``gray`` as float32 resampled to ``height`` px (area-averaged down, bilinear up)."""
    g = gray.astype(np.float32)
    h, w = g.shape
    if h == height:
        return g
    width = max(2, int(round(w * height / h)))
    interp = cv2.INTER_AREA if h > height else cv2.INTER_LINEAR
    return cv2.resize(g, (width, height), interpolation=interp)


def fine_band(image: np.ndarray, sigma: float = FINE_SIGMA) -> np.ndarray:
    """The finest octave of a float32 image: ``image - GaussianBlur(image, sigma)``."""
    return image - cv2.GaussianBlur(image, (0, 0), sigma)


def band_energies(gray: np.ndarray) -> tuple[float, float]:
    """RMS amplitude (gray levels) of the fine band (``g - G1 g``) and of the mid band
    (``G1 g - G2 g``) of ``gray`` at the canonical height; G_s is a Gaussian of s px."""
    g = to_canonical_height(gray)
    g1 = cv2.GaussianBlur(g, (0, 0), FINE_SIGMA)
    g2 = cv2.GaussianBlur(g1, (0, 0), float(np.sqrt(MID_SIGMA ** 2 - FINE_SIGMA ** 2)))
    m = 4  # skip the border, where the blur sees reflected pixels
    fine = (g - g1)[m:-m, m:-m]
    mid = (g1 - g2)[m:-m, m:-m]
    return (float(np.sqrt(np.mean(fine * fine))), float(np.sqrt(np.mean(mid * mid))))


def sharpness_ratio(fine_rms: float, mid_rms: float, floor: float = 0.05) -> float:
    """Fine-band over mid-band RMS amplitude (the square root of their energy ratio):
    independent of contrast; nan on a flat frame (mid band below ``floor`` levels)."""
    return fine_rms / mid_rms if mid_rms > floor else float("nan")


class AppearanceExtractor:
    """Per-frame colourfulness, saturation, RMS contrast, clipping, sharpness and fine-
    texture energy. A duplicated frame repeats the previous values (same picture)."""

    name = "appearance"
    KEYS = ("colourfulness", "saturation", "contrast_rms", "clip_high", "clip_low",
            "sharpness", "fine_texture")

    def __init__(self) -> None:
        self._rows: list[tuple[float, ...]] = []

    def update(self, ctx: FrameContext) -> None:
        if ctx.is_duplicate and self._rows:
            self._rows.append(self._rows[-1])
            return
        rgb, gray = ctx.rgb, ctx.gray
        hsv = ctx.hsv
        high, low = clipped_fractions(gray)
        fine, mid = band_energies(gray)
        self._rows.append((colourfulness(rgb), mean_saturation(rgb, hsv), rms_contrast(gray),
                           high, low, sharpness_ratio(fine, mid), fine))

    def series(self) -> dict[str, np.ndarray]:
        cols = np.asarray(self._rows, dtype=float).reshape(-1, len(self.KEYS))
        return {k: cols[:, i].copy() for i, k in enumerate(self.KEYS)}

    def units(self) -> dict[str, str]:
        return {"colourfulness": "Hasler-Süsstrunk M (0..255 levels)",
                "saturation": "0..1 (HSV)", "contrast_rms": "0..0.5 (std of gray / 255)",
                "clip_high": "share of pixels", "clip_low": "share of pixels",
                "sharpness": "fine / mid band RMS ratio",
                "fine_texture": "gray levels RMS (180 px)"}

    def events(self) -> dict[str, list[float]]:
        return {}
