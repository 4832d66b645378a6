"""Polish: is the video visual candy? Sharpness, fine texture, noise, boiling, colour, tone."""

from __future__ import annotations

import numpy as np

from hypnoscope.metrics.base import MetricSpec, SignalSet, nanmedian, without_cuts

FACTOR = "polish"

SPECS = (
    MetricSpec("sharpness", "ratio", FACTOR,
               "median fine-band / mid-band RMS ratio at 180 px height (blur lowers it)"),
    MetricSpec("fine_texture", "gray levels", FACTOR,
               "median RMS of the finest band (detail under ~2 px at 180 px height)"),
    MetricSpec("noise_sigma", "gray levels", FACTOR,
               "median sensor-noise sigma on native-resolution crops (depends on the "
               "file's resolution: not for calibration)", calibrate=False),
    MetricSpec("noise_sigma_180p", "gray levels", FACTOR,
               "noise sigma referred to a 180 px high frame (sigma x 180 / native height); "
               "lossy codecs remove noise and GIF dithering adds it: not for calibration",
               calibrate=False),
    MetricSpec("boiling", "gray levels", FACTOR,
               "median fine-band change between frames once motion is compensated"),
    MetricSpec("boiling_corr", "correlation", FACTOR,
               "median correlation of consecutive compensated fine residuals: -0.5 for "
               "independent sensor noise, near +1 for smoothly drifting generated texture"),
    MetricSpec("colourfulness", "M", FACTOR,
               "median Hasler-Suesstrunk colourfulness (0 gray, ~82 highly, ~109 extremely)"),
    MetricSpec("saturation", "0..1", FACTOR, "median of the mean HSV saturation"),
    MetricSpec("contrast_rms", "0..0.5", FACTOR,
               "median RMS contrast (std of gray levels / 255)"),
    MetricSpec("clipped_highlights", "share", FACTOR,
               "mean share of pixels at gray >= 250 (blown highlights)"),
    MetricSpec("clipped_shadows", "share", FACTOR,
               "mean share of pixels at gray <= 5 (crushed shadows)"),
)

#: At least this many defined frames are needed for a boiling statistic.
MIN_FRAMES = 3


def median_if_enough(x: np.ndarray, n: int = MIN_FRAMES) -> float:
    """Median of the finite values of ``x``, nan when fewer than ``n``."""
    return nanmedian(x) if np.count_nonzero(np.isfinite(x)) >= n else float("nan")


def nanmean(x: np.ndarray) -> float:
    """Mean of the finite values, nan when there are none (no warning)."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    return float(x.mean()) if len(x) else float("nan")


def compute(sig: SignalSet) -> dict[str, float]:
    cut = sig.get("cut")
    boiling = without_cuts(sig.get("boiling"), cut, after=0)
    boiling_corr = without_cuts(sig.get("boiling_corr"), cut, after=1)
    return {
        "sharpness": nanmedian(sig.get("sharpness")),
        "fine_texture": nanmedian(sig.get("fine_texture")),
        "noise_sigma": nanmedian(sig.get("noise_sigma")),
        "noise_sigma_180p": nanmedian(sig.get("noise_sigma_180p")),
        "boiling": median_if_enough(boiling),
        "boiling_corr": median_if_enough(boiling_corr),
        "colourfulness": nanmedian(sig.get("colourfulness")),
        "saturation": nanmedian(sig.get("saturation")),
        "contrast_rms": nanmedian(sig.get("contrast_rms")),
        "clipped_highlights": nanmean(sig.get("clip_high")),
        "clipped_shadows": nanmean(sig.get("clip_low")),
    }
