"""Fluidity metrics against synthetic clips whose truth is known."""

from __future__ import annotations

import numpy as np
import pytest

import hypnoscope
from hypnoscope.media import synth

SECONDS = 4.0
FPS = 24


def handheld(t):
    x, y = synth.handheld_path(t, speed=40.0, shake=6.0, seed=5, max_hz=1.5)
    return x + 50, y + 50


def handheld_mean_speed() -> float:
    t = np.arange(0, SECONDS, 1 / 240)
    return synth.path_speed(*synth.handheld_path(t, speed=40.0, shake=6.0, seed=5,
                                                 max_hz=1.5), t)


@pytest.fixture(scope="module")
def clipdir(tmp_path_factory):
    return tmp_path_factory.mktemp("fluidity")


@pytest.fixture(scope="module")
def canvas():
    return synth.texture(180 + 120, 320 + 400, seed=3, scale=4.0)


@pytest.fixture(scope="module")
def paths(clipdir, canvas):
    """A hand-held path and a smooth pan with the same mean speed."""
    v = handheld_mean_speed()
    out = {}
    for name, path in (("handheld", handheld), ("smooth", lambda t: (50 + v * t, 50 + 0 * t))):
        frames = synth.render_path(canvas, path, SECONDS, FPS, 180, 320)
        out[name] = hypnoscope.analyze(synth.write_video(clipdir / f"{name}.mp4", frames,
                                                         fps=FPS))
    return out


def test_paths_have_the_same_mean_speed(paths):
    a, b = paths["handheld"].metrics, paths["smooth"].metrics
    assert a["motion_energy"] == pytest.approx(b["motion_energy"], rel=0.15)


def test_handheld_jerk_is_at_least_three_times_the_smooth_pans(paths):
    hand, smooth = paths["handheld"].metrics, paths["smooth"].metrics
    assert hand["camera_jerk"] >= 3 * smooth["camera_jerk"]


def test_handheld_jerk_is_near_the_paths_own(paths):
    """The path's true jerk (diagonals / s^3), sampled at the analysis rate, RMS."""
    t = np.arange(0, SECONDS, 1 / 8)
    x, y = synth.handheld_path(t, speed=40.0, shake=6.0, seed=5, max_hz=1.5)
    diag = float(np.hypot(180, 320))
    jx = np.gradient(np.gradient(np.gradient(x, t), t), t)[2:-2]
    jy = np.gradient(np.gradient(np.gradient(y, t), t), t)[2:-2]
    truth = float(np.sqrt(np.mean(jx ** 2 + jy ** 2))) / diag
    assert paths["handheld"].metrics["camera_jerk"] == pytest.approx(truth, rel=0.3)


def test_smooth_pan_is_predictable_random_frames_are_not(paths, clipdir):
    rnd = hypnoscope.analyze(synth.write_video(clipdir / "random.mp4",
                                               synth.random_frames(48, seed=100), fps=FPS))
    smooth = paths["smooth"].metrics["interpolation_error"]
    random = rnd.metrics["interpolation_error"]
    assert smooth < 0.25
    assert random > 0.8
    assert random >= 4 * smooth
    # EvalCrafter's warping error: a pan warps back almost exactly, random frames do not
    assert rnd.metrics["warping_error"] >= 10 * paths["smooth"].metrics["warping_error"]


def test_handheld_fluctuates_more_in_second_order_features(paths):
    """D3's observation, on known motion: a jerky path's feature acceleration spreads more
    than a constant pan's (whose features move at constant velocity)."""
    hand = paths["handheld"].metrics["feature_accel_spread"]
    smooth = paths["smooth"].metrics["feature_accel_spread"]
    assert hand >= 3 * smooth


@pytest.fixture(scope="module")
def flicker_clips(clipdir):
    """10 s of a still texture: clean, with sensor noise, and with a 3 % flicker."""
    tex = synth.texture(144, 256, seed=7, scale=4.0)
    still = [tex] * 240
    clips = {"clean": still, "noisy": synth.add_noise(still, 3.0, seed=1),
             "flicker": synth.flicker(still, 0.03, seed=2)}
    return {k: hypnoscope.analyze(synth.write_video(clipdir / f"fl_{k}.mp4", v, fps=FPS))
            for k, v in clips.items()}


def test_flicker_of_three_percent_is_detected(flicker_clips):
    # the estimator's own sampling error on 10 s at 8 fps is about 15 %
    assert flicker_clips["flicker"].metrics["flicker"] == pytest.approx(3.0, rel=0.35)


def test_no_flicker_on_a_static_scene(flicker_clips):
    assert flicker_clips["clean"].metrics["flicker"] == 0.0
    assert flicker_clips["noisy"].metrics["flicker"] < 0.3
    for a in flicker_clips.values():
        assert a.events["cuts"] == [] and a.events["transitions"] == []
