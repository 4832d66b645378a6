"""Fluidity and pace metrics do not depend on the frame rate or size the clip was written at.

One camera move is rendered from a canvas drawn at 360 px height and written at 30 fps and
180 px (the reference), at 15 fps, and at 360 px; a second clip with a dissolve and a hard
cut is written the same ways. docs/metrics.md lists the metrics that cannot meet the
tolerance and why (they are checked here only for what they can promise).
"""

from __future__ import annotations

import math

import pytest

import hypnoscope
from hypnoscope.media import synth

SECONDS = 4.0
VARIANTS = [(30, 180), (15, 180), (30, 360)]  # the first is the reference
REF_FPS, REF_HEIGHT = VARIANTS[0]
#: Metrics that hold within 10 % (relative).
RELATIVE = ["motion_energy", "motion_energy_p90", "camera_jerk", "interpolation_error",
            "feature_accel_spread", "visual_activity", "motion_timescale"]
#: Metrics in octaves (a log scale): within 0.15 octave, i.e. about 10 %.
OCTAVES = ["shot_tempo"]
#: Counts and lengths of shots: equal up to one analysis frame.
SHOTS = ["cuts_per_minute", "transitions_per_minute", "shot_length_median", "longest_shot"]


def handheld(t):
    x, y = synth.handheld_path(t, speed=40.0, shake=6.0, seed=5, max_hz=1.5)
    return 2 * (x + 50), 2 * (y + 50)  # px at 360


@pytest.fixture(scope="module")
def canvases():
    return [synth.texture(360 + 240, 640 + 800, seed=s, scale=8.0, saturation=0.4 + 0.3 * k)
            for k, s in enumerate((3, 4, 5))]


def edited(canvases, fps, height):
    """Shot A dissolving from 2 s to 3 s into shot B, then a hard cut to C at 5 s (6 s)."""
    width = height * 16 // 9
    shot = [synth.render_path(c, lambda t, v=v: (100 + v * t, 100 + 0 * t), 3.0, fps,
                              height, width, canvas_height=360)
            for c, v in zip(canvases, (60.0, -40.0, 30.0), strict=True)]
    n = int(round(fps * 1.0))
    return synth.cross_dissolve(shot[0], shot[1], n) + shot[2][: int(round(1 * fps))]


@pytest.fixture(scope="module")
def results(tmp_path_factory, canvases):
    d = tmp_path_factory.mktemp("invariance")
    out = {}
    for fps, h in VARIANTS:
        w = h * 16 // 9
        hand = synth.render_path(canvases[0], handheld, SECONDS, fps, h, w, canvas_height=360)
        out["handheld", fps, h] = hypnoscope.analyze(
            synth.write_video(d / f"hand_{fps}_{h}.mp4", hand, fps=fps))
        out["edited", fps, h] = hypnoscope.analyze(
            synth.write_video(d / f"edit_{fps}_{h}.mp4", edited(canvases, fps, h), fps=fps))
    return out


@pytest.mark.parametrize("fps,height", VARIANTS[1:])
@pytest.mark.parametrize("metric", RELATIVE)
def test_relative_metrics_hold_within_10_percent(results, fps, height, metric):
    ref = results["handheld", REF_FPS, REF_HEIGHT].metrics[metric]
    other = results["handheld", fps, height].metrics[metric]
    assert math.isfinite(ref) and ref > 0
    assert other == pytest.approx(ref, rel=0.10)


@pytest.mark.parametrize("fps,height", VARIANTS[1:])
def test_tempo_holds_within_a_tenth_of_an_octave(results, fps, height):
    for clip in ("handheld", "edited"):
        ref = results[clip, REF_FPS, REF_HEIGHT].metrics["shot_tempo"]
        assert results[clip, fps, height].metrics["shot_tempo"] == pytest.approx(ref, abs=0.15)


@pytest.mark.parametrize("fps,height", VARIANTS)
def test_edited_clip_has_one_dissolve_and_one_cut_in_every_format(results, fps, height):
    a = results["edited", fps, height]
    assert len(a.events["transitions"]) == 1
    assert a.events["cuts"] == [pytest.approx(5.0, abs=0.15)]
    ref = results["edited", REF_FPS, REF_HEIGHT].metrics
    for m in SHOTS:
        assert a.metrics[m] == pytest.approx(ref[m], abs=0.15 if "shot" in m else 1e-9), m
