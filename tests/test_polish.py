"""Polish factor: each metric against synthetic clips whose true value is known.

Clips that carry noise are written losslessly (FFV1 in Matroska, yuv420p) so the codec
does not eat or reshape the noise; the truth is then exact in the luma plane.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from hypnoscope.analysis import analyze
from hypnoscope.media import synth
from hypnoscope.media.decode import iter_frames
from hypnoscope.metrics import metric_specs
from hypnoscope.metrics.polish import SPECS, without_cuts
from hypnoscope.signals.appearance import (
    AppearanceExtractor,
    band_energies,
    clipped_fractions,
    colourfulness,
    rms_contrast,
)
from hypnoscope.signals.noise import estimate_noise_sigma

FPS = 8.0  # clips are written at the analysis rate unless a test is about the rate


def lossless(path, frames, fps=FPS):
    return synth.write_video(path, frames, fps=fps, codec="ffv1")


def panning(canvas, n, h, w, dx=1.0, dy=0.5):
    return synth.pan(canvas, n, dx, dy, h, w)


# -- sensor noise ------------------------------------------------------------------------

NOISE_H, NOISE_W = 288, 384


@pytest.fixture(scope="module")
def noise_clips(tmp_path_factory):
    """A clean, detailed, slowly panning clip and the same with sigma 2, 5, 10 luma noise."""
    d = tmp_path_factory.mktemp("noise")
    canvas = synth.detailed_scene(NOISE_H + 40, NOISE_W + 40, seed=3, scale=1.2)
    clean = panning(canvas, 16, NOISE_H, NOISE_W)
    clips = {0: lossless(d / "clean.mkv", clean)}
    for sigma in (2, 5, 10):
        noisy = synth.add_noise(clean, sigma, seed=sigma, mono=True)
        clips[sigma] = lossless(d / f"noise{sigma}.mkv", noisy)
    return {s: analyze(p).metrics for s, p in clips.items()}


@pytest.mark.parametrize("sigma", [2, 5, 10])
def test_noise_sigma_within_25_percent(noise_clips, sigma):
    est = noise_clips[sigma]["noise_sigma"]
    assert abs(est - sigma) <= 0.25 * sigma, (sigma, est)


def test_noise_sigma_of_clean_texture_is_small(noise_clips):
    # the clean clip is detailed everywhere; only 8-bit rounding is noise there
    assert noise_clips[0]["noise_sigma"] < 1.0


def test_noise_sigma_180p_refers_sigma_to_180_px(noise_clips):
    m = noise_clips[5]
    assert m["noise_sigma_180p"] == pytest.approx(m["noise_sigma"] * 180 / NOISE_H, rel=1e-6)


def test_noise_estimator_ignores_edges_and_clipping():
    rng = np.random.default_rng(0)
    img = np.zeros((256, 256), np.float32)
    img[:, 128:] = 255.0  # half black, half white: every pixel clipped, one hard edge
    img[64:192, 32:96] = 120.0  # a mid-gray block with hard edges
    noisy = np.clip(np.round(img + rng.normal(0, 4, img.shape)), 0, 255).astype(np.uint8)
    assert estimate_noise_sigma(noisy) == pytest.approx(4.0, rel=0.15)
    assert np.isnan(estimate_noise_sigma(np.zeros((8, 8), np.uint8)))


# -- colour, contrast, clipping -----------------------------------------------------------

@pytest.fixture(scope="module")
def colour_clips(tmp_path_factory):
    d = tmp_path_factory.mktemp("colour")
    h, w = 180, 320
    out = {}
    for name, sat in (("saturated", 1.0), ("desaturated", 0.3), ("gray", 0.0)):
        tex = synth.texture(h + 30, w + 30, seed=4, scale=4.0, saturation=sat)
        out[name] = synth.write_video(d / f"{name}.mp4", panning(tex, 16, h, w), fps=FPS)
    half = np.zeros((h, w, 3), np.uint8)
    half[:, : w // 2] = 255  # half the pixels white, half black
    out["half_white"] = synth.write_video(d / "half_white.mp4", [half] * 12, fps=FPS)
    two = np.full((h, w, 3), 64, np.uint8)
    two[:, w // 2:] = 192  # two mid grays: contrast 64 / 255, nothing clipped
    out["two_grays"] = synth.write_video(d / "two_grays.mp4", [two] * 12, fps=FPS)
    return {k: analyze(p).metrics for k, p in out.items()}


def test_colourfulness_orders_saturation(colour_clips):
    sat, desat, gray = (colour_clips[k]["colourfulness"]
                        for k in ("saturated", "desaturated", "gray"))
    assert sat > 2 * desat > 0
    assert gray < 2.0
    assert colour_clips["saturated"]["saturation"] > 2 * colour_clips["desaturated"][
        "saturation"]
    assert colour_clips["gray"]["saturation"] < 0.03


def test_colourfulness_formula():
    rgb = np.zeros((10, 10, 3), np.uint8)
    rgb[..., 0] = 200  # uniform red: rg = 200, yb = 100, no spread
    assert colourfulness(rgb) == pytest.approx(0.3 * np.hypot(200, 100), rel=1e-5)
    assert colourfulness(np.full((10, 10, 3), 77, np.uint8)) == 0.0


def test_contrast_and_clipping_known_values(colour_clips):
    half = colour_clips["half_white"]
    assert half["clipped_highlights"] == pytest.approx(0.5, abs=0.02)
    assert half["clipped_shadows"] == pytest.approx(0.5, abs=0.02)
    assert half["contrast_rms"] == pytest.approx(0.5, rel=0.03)
    two = colour_clips["two_grays"]
    assert two["contrast_rms"] == pytest.approx(64 / 255, rel=0.05)
    assert two["clipped_highlights"] == 0.0 and two["clipped_shadows"] == 0.0


def test_contrast_and_clipping_functions():
    g = np.zeros((10, 10), np.uint8)
    g[:3] = 255
    g[3:5] = 252
    assert clipped_fractions(g) == pytest.approx((0.5, 0.5))
    assert rms_contrast(np.full((5, 5), 9, np.uint8)) == 0.0


# -- boiling ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def boiling_clips(tmp_path_factory):
    """A static texture with independent per-frame noise (as a camera sensor's), the same
    texture whose fine detail drifts smoothly (as generated texture), both also panning."""
    d = tmp_path_factory.mktemp("boiling")
    h, w, n = 180, 320, 24
    canvas = synth.texture(h + 60, w + 60, seed=5, scale=2.0)
    static = [canvas[:h, :w]] * n
    drift = synth.evolving_detail(canvas, n, FPS, period_s=4.0, amplitude=20.0, seed=1)
    clips = {
        "noise": synth.add_noise(static, 3.0, seed=1, mono=True),
        "noise_weak": synth.add_noise(static, 1.5, seed=2, mono=True),
        "drift": [f[:h, :w] for f in drift],
        "noise_pan": synth.add_noise(panning(canvas, n, h, w, 2.0, 0.7), 3.0, seed=3,
                                     mono=True),
        "drift_pan": [synth.crop_at(f, 2.0 * i, 0.7 * i, h, w) for i, f in enumerate(drift)],
    }
    return {k: analyze(lossless(d / f"{k}.mkv", v)).metrics for k, v in clips.items()}


def test_independent_noise_residual_is_anticorrelated(boiling_clips):
    # consecutive differences of independent noise correlate at exactly -0.5
    assert boiling_clips["noise"]["boiling_corr"] == pytest.approx(-0.5, abs=0.1)
    assert boiling_clips["noise_pan"]["boiling_corr"] < -0.2


def test_drifting_detail_residual_is_correlated(boiling_clips):
    assert boiling_clips["drift"]["boiling_corr"] > 0.6
    assert boiling_clips["drift_pan"]["boiling_corr"] > 0.6


def test_boiling_level_grows_with_noise(boiling_clips):
    strong, weak = boiling_clips["noise"]["boiling"], boiling_clips["noise_weak"]["boiling"]
    assert strong / weak == pytest.approx(2.0, rel=0.25)


def test_cut_frames_are_dropped():
    v = np.arange(6, dtype=float)
    out = without_cuts(v, np.array([0, 0, 1, 0, 0, 0.0]), after=1)
    assert np.isnan(out[2]) and np.isnan(out[3]) and out[4] == 4


# -- sharpness and invariance to format --------------------------------------------------

SCENE_FPS = 30.0


def scene_frames(seconds: float = 1.5) -> list[np.ndarray]:
    """720 x 1280 frames at 30 fps: a detailed scene, panning, its fine detail drifting,
    with luma noise of 4 levels."""
    h, w = 720, 1280
    n = int(round(seconds * SCENE_FPS))
    canvas = synth.detailed_scene(h + 80, w + 160, seed=6, scale=4.0)
    drift = synth.evolving_detail(canvas, n, SCENE_FPS, period_s=4.0, amplitude=14.0,
                                  scale=4.0)
    frames = [synth.crop_at(f, 60 * i / SCENE_FPS, 20 * i / SCENE_FPS, h, w)
              for i, f in enumerate(drift)]
    return synth.add_noise(frames, 4.0, seed=7, mono=True)


def half_size(frames: list[np.ndarray]) -> list[np.ndarray]:
    """Frames area-averaged to half their height and width (what a transcode to half the
    height does: the noise sigma halves too)."""
    return [cv2.resize(f, (f.shape[1] // 2, f.shape[0] // 2), interpolation=cv2.INTER_AREA)
            for f in frames]


@pytest.fixture(scope="module")
def format_variants(tmp_path_factory):
    """The same content as 720p 30 fps, 360p 30 fps and 720p 15 fps (lossless FFV1), and
    360p 30 fps in H.264 (crf 10, MP4)."""
    d = tmp_path_factory.mktemp("formats")
    full = scene_frames()
    half = half_size(full)
    return {
        "720p30": lossless(d / "720p30.mkv", full, fps=SCENE_FPS),
        "360p30": lossless(d / "360p30.mkv", half, fps=SCENE_FPS),
        "720p15": lossless(d / "720p15.mkv", full[::2], fps=SCENE_FPS / 2),
        "360p30_h264": synth.write_video(d / "360p30.mp4", half, fps=SCENE_FPS, crf=10),
    }


@pytest.fixture(scope="module")
def format_metrics(format_variants):
    return {k: analyze(p).metrics for k, p in format_variants.items()}


#: Tolerance of the invariance tests (relative), as stated in docs/metrics.md.
INVARIANCE_TOL = 0.10
#: Metrics that depend on the file's resolution by design (docs/metrics.md explains).
RESOLUTION_DEPENDENT = {"noise_sigma"}
#: Metrics a lossy codec legitimately changes: it removes sensor noise (docs/metrics.md).
CODEC_DEPENDENT = {"noise_sigma", "noise_sigma_180p"}


def test_format_dependent_metrics_are_excluded_from_calibration():
    excluded = {s.name for s in SPECS if not s.calibrate}
    assert excluded == RESOLUTION_DEPENDENT | CODEC_DEPENDENT


def assert_close(name: str, a: float, b: float) -> None:
    if name.startswith("clipped_"):  # shares near 0: compare absolutely
        assert abs(a - b) < 0.01, (name, a, b)
    elif name == "boiling_corr":  # a correlation: compare on its own -1..1 scale
        assert abs(a - b) < 0.1, (name, a, b)
    else:
        assert b == pytest.approx(a, rel=INVARIANCE_TOL), (name, a, b)


@pytest.mark.parametrize("ref, other, skip", [
    ("720p30", "360p30", RESOLUTION_DEPENDENT),
    ("720p30", "720p15", set()),
    ("360p30", "360p30_h264", CODEC_DEPENDENT),
])
def test_polish_metrics_invariant_to_format(format_metrics, ref, other, skip):
    for spec in SPECS:
        if spec.name not in skip:
            assert_close(spec.name, format_metrics[ref][spec.name],
                         format_metrics[other][spec.name])


def test_native_noise_sigma_follows_resolution(format_metrics):
    # documented: the native-resolution sigma halves with the height, the 180p one does not
    full, half = format_metrics["720p30"], format_metrics["360p30"]
    assert full["noise_sigma"] == pytest.approx(4.0, rel=0.25)
    assert half["noise_sigma"] == pytest.approx(full["noise_sigma"] / 2, rel=0.2)
    assert metric_specs()["noise_sigma"].calibrate is False


def test_sharpness_invariant_to_analysis_height(format_variants):
    path = format_variants["720p30"]
    small = analyze(path, height=180, extractors=[AppearanceExtractor()]).metrics
    large = analyze(path, height=360, extractors=[AppearanceExtractor()]).metrics
    for name in ("sharpness", "fine_texture", "colourfulness", "contrast_rms"):
        assert large[name] == pytest.approx(small[name], rel=0.15), name


def test_blur_lowers_sharpness(tmp_path):
    canvas = synth.detailed_scene(260, 420, seed=8, scale=1.5)
    frames = panning(canvas, 10, 180, 320)
    blurred = [cv2.GaussianBlur(f, (0, 0), 1.5) for f in frames]
    sharp = analyze(synth.write_video(tmp_path / "sharp.mp4", frames, fps=FPS, crf=8)).metrics
    soft = analyze(synth.write_video(tmp_path / "soft.mp4", blurred, fps=FPS, crf=8)).metrics
    assert soft["sharpness"] < 0.8 * sharp["sharpness"]
    assert soft["fine_texture"] < 0.5 * sharp["fine_texture"]


def test_band_energies_contrast_invariant_ratio():
    g = cv2.cvtColor(synth.detailed_scene(180, 320, seed=9), cv2.COLOR_RGB2GRAY)
    lo = (g.astype(np.float32) * 0.5 + 64).astype(np.uint8)
    f1, m1 = band_energies(g)
    f2, m2 = band_energies(lo)
    assert f2 / m2 == pytest.approx(f1 / m1, rel=0.05)
    assert f2 == pytest.approx(0.5 * f1, rel=0.05)


# -- the decoder's native crop ------------------------------------------------------------

@pytest.mark.parametrize("rotation", [0, 90])
def test_native_crop_is_full_range_with_upright_height(tmp_path, rotation):
    frames = [np.full((180, 320, 3), v, np.uint8) for v in (30, 128, 230, 30, 30)]
    path = synth.write_video(tmp_path / "levels.mkv", frames, fps=FPS, codec="ffv1",
                             rotation=rotation)
    got = list(iter_frames(path))
    assert got[0].native_height == (320 if rotation else 180)
    crop = got[0].native_crop
    assert crop is not None and abs(float(crop.mean()) - 30) <= 1  # 16..235 stretched
    assert got[4].native_crop is not None and got[1].native_crop is None
