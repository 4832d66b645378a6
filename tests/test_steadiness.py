"""Steadiness metrics (coefficients of variation of the per-frame series) against synthetic
clips whose truth is known."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import hypnoscope
from hypnoscope.media import synth
from hypnoscope.metrics import SignalSet, metric_specs, steadiness

SECONDS = 4.0
FPS = 24
#: Mean speed and the amplitude of its swing of the surging pan, px / s (period 1 s).
SPEED, SWING = 60.0, 40.0


def test_coefficient_of_variation_of_known_series():
    cv = steadiness.coefficient_of_variation
    assert cv(np.full(12, 3.0)) == 0.0
    x = np.array([1.0, 3.0] * 6)  # mean 2, population std 1
    assert cv(x) == pytest.approx(0.5)
    assert cv(-x) == pytest.approx(0.5)  # a level below zero is still a level
    assert cv(np.r_[x, np.nan, np.inf]) == pytest.approx(0.5)  # non-finite values ignored
    assert np.isnan(cv(x[:5]))  # too few values
    assert np.isnan(cv(np.array([-1.0, 1.0] * 6)))  # varies around a zero mean


def test_coefficient_of_variation_is_scipys():
    from scipy.stats import variation

    rng = np.random.default_rng(1)
    for _ in range(20):
        x = rng.normal(rng.uniform(-3, 3), rng.uniform(0.1, 2), size=int(rng.integers(6, 40)))
        assert steadiness.coefficient_of_variation(x) == pytest.approx(abs(variation(x)),
                                                                       rel=1e-12)


def test_relative_jitter_of_known_series():
    jit = steadiness.relative_jitter
    assert jit(np.full(12, 3.0)) == 0.0
    assert jit(np.linspace(1.0, 5.0, 12)) == pytest.approx(0.0, abs=1e-12)  # a steady ramp
    # a level of 2 with +-0.1 alternating frame to frame: second differences of 0.4
    x = 2.0 + 0.1 * np.array([1, -1] * 6)
    assert jit(x) == pytest.approx(0.4 / 2.0, rel=0.06)
    assert jit(-x) == pytest.approx(jit(x))
    assert np.isnan(jit(x[:5]))
    # the same swing, slow (one period in the span) instead of frame to frame: far less
    slow = 2.0 + 0.1 * np.sin(2 * np.pi * np.arange(12) / 12)
    assert jit(slow) < jit(x) / 5


def test_every_steadiness_metric_is_a_spec_and_computed():
    t = np.arange(16) / 8.0
    series = {s: 1.0 + 0.1 * np.sin(t) for s in steadiness.SERIES}
    out = steadiness.compute(SignalSet(t=t, series=series, start=0.0, end=2.0))
    specs = metric_specs()
    assert set(out) == steadiness.NAMES == {steadiness.metric_name(s, stat)
                                            for s in steadiness.SERIES
                                            for stat in steadiness.STATISTICS}
    assert all(name in specs and specs[name].factor == "pressure" for name in out)
    assert all(0 < v < 0.1 for v in out.values())


@pytest.fixture(scope="module")
def pans(tmp_path_factory):
    """A pan at a steady 60 px/s and one whose speed surges between 20 and 100 px/s once a
    second (the same mean speed)."""
    folder = tmp_path_factory.mktemp("steadiness")
    canvas = synth.texture(180 + 120, 320 + 700, seed=4, scale=4.0)
    paths = {
        "steady": lambda t: (50 + SPEED * t, 50 + 0 * t),
        "surging": lambda t: (50 + SPEED * t - SWING / (2 * np.pi) * np.cos(2 * np.pi * t),
                              50 + 0 * t),
    }
    out = {}
    for name, path in paths.items():
        frames = synth.render_path(canvas, path, SECONDS, FPS, 180, 320)
        out[name] = hypnoscope.analyze(synth.write_video(folder / f"{name}.mp4", frames,
                                                         fps=FPS))
    return out


def test_a_steady_pan_holds_its_speed(pans):
    assert pans["steady"].metrics["motion_cv"] < 0.1
    assert pans["steady"].metrics["global_dx_cv"] < 0.1


def test_a_surging_pan_varies_as_much_as_its_speed_does(pans):
    """Speed 60 + 40 sin(2 pi t) px/s: standard deviation 40 / sqrt(2), cv 0.47."""
    truth = SWING / np.sqrt(2) / SPEED
    assert pans["surging"].metrics["motion_cv"] == pytest.approx(truth, rel=0.25)
    assert pans["surging"].metrics["global_dx_cv"] == pytest.approx(truth, rel=0.25)
    assert pans["surging"].metrics["motion_cv"] > 4 * pans["steady"].metrics["motion_cv"]


def test_the_flow_field_varies_as_much_as_the_pan_speed(pans):
    """A pan moves every cell of the 4x4 flow field at the pan's speed: the field's speed
    varies as the pan's does (cv 0.47), and not at all in the steady pan."""
    truth = SWING / np.sqrt(2) / SPEED
    assert pans["surging"].metrics["field_speed_cv"] == pytest.approx(truth, rel=0.25)
    assert pans["steady"].metrics["field_speed_cv"] < 0.1


@pytest.mark.parametrize("series", ["frame_correlation", "interpolation_error",
                                    "occluded_share", "descriptor_speed", "feature_accel"])
def test_series_that_follow_the_speed_hold_in_a_steady_pan_and_swing_in_a_surging_one(
        pans, series):
    """How well consecutive frames correlate, how far a midpoint interpolation errs, how much
    of the picture leaves it between frames and how fast the picture features move all
    depend on how far the picture moved: constant in a pan at constant speed, rising and
    falling with a speed that swings by two thirds of its mean."""
    name = steadiness.metric_name(series, "cv")
    steady, surging = pans["steady"].metrics[name], pans["surging"].metrics[name]
    assert surging > 3 * steady, (steady, surging)


def test_a_pan_neither_gains_nor_loses_trackable_points(pans):
    """The same texture passes through the picture whatever the speed: the number of points
    that can be tracked holds in both pans."""
    for clip in pans.values():
        assert clip.metrics["tracked_points_cv"] < 0.1


def test_a_surging_pan_jerks_as_its_speed_does_and_a_steady_one_does_not(pans):
    """The relative jitter of the true speed 60 + 40 sin(2 pi t) px/s sampled at the 8 fps
    analysis rate is 0.28 to 0.36 depending on where the samples fall in the cycle; the
    measured speed (flow between frames 1/8 s apart, averaged over that interval) may be a
    little smoother. A steady pan has no jerk beyond tracking noise."""
    t = np.arange(0, SECONDS, 1 / 8)
    truths = [steadiness.relative_jitter(SPEED + SWING * np.sin(2 * np.pi * (t + off)))
              for off in np.linspace(0, 1 / 8, 5)]
    assert 0.27 < min(truths) and max(truths) < 0.37
    got = pans["surging"].metrics["motion_jitter"]
    assert 0.5 * min(truths) <= got <= 1.25 * max(truths)
    assert got > 10 * pans["steady"].metrics["motion_jitter"]


@pytest.fixture(scope="module")
def surging_variants(tmp_path_factory):
    """The surging pan at 30 fps and 360 px, and the same frames at 15 fps (every other
    frame) and at 180 px."""
    folder = tmp_path_factory.mktemp("steadiness_variants")
    canvas = synth.texture(360 + 240, 640 + 1400, seed=4, scale=8.0)

    def path(t):
        return (100 + 2 * SPEED * t - 2 * SWING / (2 * np.pi) * np.cos(2 * np.pi * t),
                100 + 0 * t)

    master = synth.render_path(canvas, path, SECONDS, 30, 360, 640)
    small = [cv2.resize(f, (320, 180), interpolation=cv2.INTER_AREA) for f in master]
    variants = {"30fps 360px": (master, 30), "15fps 360px": (master[::2], 15),
                "30fps 180px": (small, 30)}
    return {k: hypnoscope.analyze(synth.write_video(folder / f"v{i}.mp4", fr, fps=fps)).metrics
            for i, (k, (fr, fps)) in enumerate(variants.items())}


@pytest.mark.parametrize("name", ["motion_cv", "field_speed_cv", "global_dx_cv",
                                  "motion_jitter", "global_dx_jitter"])
def test_steadiness_does_not_depend_on_rate_or_size(surging_variants, name):
    ref = surging_variants["30fps 360px"][name]
    for variant, metrics in surging_variants.items():
        assert metrics[name] == pytest.approx(ref, rel=0.10), variant
