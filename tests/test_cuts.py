"""Hard cuts at known frames are found; a continuous pan has none."""

from __future__ import annotations

import numpy as np
import pytest

import hypnoscope
from hypnoscope.media import synth
from hypnoscope.signals.cuts import detect_hard_cuts


@pytest.fixture(scope="module")
def three_scenes(clipdir):
    """Three differently textured moving scenes, cuts at native frames 40 and 88 (24 fps)."""
    fps, n = 24, 120
    cut_frames = [40, 88]
    bounds = [0, *cut_frames, n]
    frames = []
    for k in range(3):
        canvas = synth.texture(180, 320 + 300, seed=100 + k, scale=3.0 + 2 * k,
                               saturation=0.3 + 0.3 * k)
        m = bounds[k + 1] - bounds[k]
        frames += synth.pan(canvas, m, dx=(2.0, -1.5, 3.0)[k], dy=0.0, x0=100)
    path = synth.write_video(clipdir / "three_scenes.mp4", frames, fps=fps)
    return path, [f / fps for f in cut_frames], n / fps


def test_every_cut_found_within_one_analysis_frame(three_scenes):
    path, truth, _ = three_scenes
    a = hypnoscope.analyze(path)
    period = 1.0 / a.source.analysis_fps
    assert len(a.cuts) == len(truth), a.cuts
    for found, true in zip(a.cuts, truth, strict=True):
        assert abs(found - true) <= period + 1e-6


def test_cuts_at_native_rate_are_frame_exact(three_scenes):
    path, truth, _ = three_scenes
    a = hypnoscope.analyze(path, fps=24)
    assert np.allclose(a.cuts, truth, atol=1e-3), a.cuts


def test_shot_lengths_follow_the_cuts(three_scenes):
    path, truth, duration = three_scenes
    a = hypnoscope.analyze(path, fps=24)
    lengths = np.diff([0.0, *truth, duration])
    assert a.metrics["longest_shot"] == pytest.approx(lengths.max(), abs=0.05)
    assert a.metrics["shot_length_median"] == pytest.approx(np.median(lengths), abs=0.05)
    assert a.metrics["cuts_per_minute"] == pytest.approx(60 * 2 / duration, rel=0.02)


def test_no_cut_in_a_long_continuous_pan(clipdir):
    canvas = synth.texture(180, 320 + 10 * 24 * 3 + 8, seed=5, scale=3.0)
    frames = synth.pan(canvas, 10 * 24, dx=3.0)
    path = synth.write_video(clipdir / "pan10s.mp4", frames, fps=24)
    a = hypnoscope.analyze(path)
    assert a.source.duration_s == pytest.approx(10.0, abs=0.05)
    assert a.cuts == []


def test_adaptive_threshold_on_a_series():
    score = np.full(50, 0.05)
    score[20] = 0.5
    score[21] = 0.45  # a second peak right after is merged into the first
    score[35] = 0.10  # below the floor
    assert detect_hard_cuts(score).tolist() == [20]
    busy = np.full(50, 0.4)  # constant high change (fast motion) is not a cut
    assert detect_hard_cuts(busy).tolist() == []


def test_cut_in_a_fast_shot_is_measured_against_the_headroom():
    """The score saturates at 1: with a busy median of 0.3 no score can be 3 times it, so a
    cut there must stand half-way from the median to 1 instead."""
    rng = np.random.default_rng(0)
    score = 0.3 + rng.uniform(-0.05, 0.05, 40)
    score[0] = 0.0
    score[15] = 0.72  # an unrelated picture: well above half-way (0.65)
    score[30] = 0.55  # a jolt inside the shot: below half-way
    assert detect_hard_cuts(score).tolist() == [15]
