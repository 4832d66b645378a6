"""Pace metrics against synthetic clips whose truth is known."""

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


@pytest.fixture(scope="module")
def clipdir(tmp_path_factory):
    return tmp_path_factory.mktemp("pace")


@pytest.fixture(scope="module")
def canvas():
    return synth.texture(180 + 120, 320 + 900, seed=3, scale=4.0)


@pytest.fixture(scope="module")
def speeds(clipdir, canvas):
    """A hand-held shot and a steady pan, each also slowed to half speed by inserting the
    blend of every two frames (the same frame rate, twice the duration)."""
    out = {}
    for name, path in (("handheld", handheld), ("pan", lambda t: (50 + 60.0 * t, 50 + 0 * t))):
        frames = synth.render_path(canvas, path, SECONDS, FPS, 180, 320)
        for tag, fr in (("orig", frames), ("half", synth.slow_by_blend(frames))):
            p = synth.write_video(clipdir / f"{name}_{tag}.mp4", fr, fps=FPS)
            out[name, tag] = hypnoscope.analyze(p)
    return out


@pytest.mark.parametrize("name", ["handheld", "pan"])
def test_half_speed_halves_the_motion_energy(speeds, name):
    orig = speeds[name, "orig"].metrics["motion_energy"]
    half = speeds[name, "half"].metrics["motion_energy"]
    assert half / orig == pytest.approx(0.5, rel=0.15)


def test_half_speed_doubles_the_motion_timescale(speeds):
    """The slow-motion indicator: a k-times slower clip has a k-times longer time scale."""
    orig = speeds["handheld", "orig"].metrics["motion_timescale"]
    half = speeds["handheld", "half"].metrics["motion_timescale"]
    assert half / orig == pytest.approx(2.0, rel=0.2)


def test_steady_pan_has_a_long_timescale(speeds):
    """Motion that does not change has no time scale shorter than the clip."""
    assert speeds["pan", "orig"].metrics["motion_timescale"] >= SECONDS / 2
    assert speeds["handheld", "orig"].metrics["motion_timescale"] < 0.5


def test_tempo_falls_two_octaves_at_half_speed(speeds):
    """Half the motion is one octave, twice the (single, whole-clip) shot length another."""
    for name in ("handheld", "pan"):
        orig = speeds[name, "orig"].metrics["shot_tempo"]
        half = speeds[name, "half"].metrics["shot_tempo"]
        assert orig - half == pytest.approx(2.0, abs=0.25)


def test_tempo_rises_two_octaves_with_four_times_the_cuts(clipdir):
    """Four 1 s shots against one 4 s shot, the same pan speed: log2(4) = 2 octaves."""
    canvases = [synth.texture(180, 320 + 200, seed=20 + k, scale=4.0,
                              saturation=0.3 + 0.2 * k) for k in range(4)]
    one = synth.pan(canvases[0], 96, 2.0)
    four = [f for c in canvases for f in synth.pan(c, 24, 2.0)]
    a1 = hypnoscope.analyze(synth.write_video(clipdir / "one_shot.mp4", one, fps=FPS))
    a4 = hypnoscope.analyze(synth.write_video(clipdir / "four_shots.mp4", four, fps=FPS))
    assert len(a4.events["cuts"]) == 3
    assert a4.metrics["shot_tempo"] - a1.metrics["shot_tempo"] == pytest.approx(2.0, abs=0.25)


def test_visual_activity_of_still_random_and_slowed_clips(speeds, clipdir):
    still = hypnoscope.analyze(synth.write_video(
        clipdir / "still.mp4", [synth.texture(180, 320, seed=9)] * 24, fps=FPS))
    rnd = hypnoscope.analyze(synth.write_video(
        clipdir / "random.mp4", synth.random_frames(24, seed=50), fps=FPS))
    assert still.metrics["visual_activity"] == 0.0
    assert rnd.metrics["visual_activity"] > 0.9  # independent frames do not correlate
    for name in ("handheld", "pan"):
        orig = speeds[name, "orig"].metrics["visual_activity"]
        half = speeds[name, "half"].metrics["visual_activity"]
        assert 0.05 < half < orig < 0.9
    assert np.isfinite(rnd.metrics["visual_activity"])
