"""Repeated frames: detected (even when sampling skips them), reported as a cadence, and
never read as stillness, smoothness or jerk."""

from __future__ import annotations

import numpy as np
import pytest

import hypnoscope
from hypnoscope.media import synth
from hypnoscope.media.decode import iter_frames

SECONDS = 4.0


def handheld(t):
    return synth.handheld_path(t, speed=40.0, shake=6.0, seed=5, max_hz=1.5)


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    """A hand-held shot with 12 distinct pictures a second, written once at 12 fps and once
    at 24 fps with every frame twice."""
    d = tmp_path_factory.mktemp("dups")
    canvas = synth.texture(180 + 120, 320 + 400, seed=3, scale=4.0)
    frames = synth.render_path(canvas, lambda t: [v + 50 for v in handheld(t)], SECONDS, 12,
                               180, 320)
    return {
        "once": synth.write_video(d / "once.mp4", frames, fps=12),
        "twice": synth.write_video(d / "twice.mp4", synth.repeat_frames(frames, 2), fps=24),
    }


@pytest.fixture(scope="module")
def results(clips):
    return {k: hypnoscope.analyze(p) for k, p in clips.items()}


def test_decoder_times_each_frame_by_its_first_copy(clips):
    frames = list(iter_frames(clips["twice"]))
    # 24 fps sampled at 8 fps: every 3rd source frame; source frame j shows picture j // 2,
    # first shown at (j // 2) * 2 / 24 s
    for f in frames[1:6]:
        j = round(f.t * 24)
        assert f.content_t == pytest.approx((j // 2) * 2 / 24, abs=1e-3)
        assert f.source_frames == 3
        assert f.source_repeats in (1, 2)


def test_duplicates_change_neither_motion_nor_jerk(results):
    once, twice = results["once"].metrics, results["twice"].metrics
    for name in ("motion_energy", "camera_jerk", "motion_energy_p90"):
        assert np.isfinite(once[name]) and once[name] > 0
        assert twice[name] == pytest.approx(once[name], rel=0.10), name


def test_duplicate_ratio_and_cadence(results):
    once, twice = results["once"].metrics, results["twice"].metrics
    assert once["duplicate_ratio"] == pytest.approx(0.0, abs=0.01)
    assert twice["duplicate_ratio"] == pytest.approx(0.5, abs=0.05)
    # both show 12 new pictures a second
    assert once["cadence"] == pytest.approx(1 / 12, rel=0.05)
    assert twice["cadence"] == pytest.approx(1 / 12, rel=0.05)
    dup = results["twice"].series["duplicate"]
    assert np.all((dup[1:] > 0.3) & (dup[1:] < 0.7))  # 1 or 2 of every 3 source frames


def test_a_still_clip_is_all_repeats_and_measures_no_motion(tmp_path):
    still = [synth.texture(90, 160, seed=3)] * 24
    a = hypnoscope.analyze(synth.write_video(tmp_path / "still.mp4", still, fps=12))
    assert a.metrics["duplicate_ratio"] == pytest.approx(1.0)
    assert np.all(np.isnan(a.series["motion"][1:]))  # no per-frame motion is invented
    assert a.metrics["motion_energy"] == 0.0  # but the span as a whole did not move
    assert a.metrics["flicker"] == 0.0
    assert a.metrics["cadence"] != a.metrics["cadence"] or a.metrics["cadence"] > 1.0
