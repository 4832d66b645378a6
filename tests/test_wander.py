"""Wander and morph: the morph index and the descriptor trajectory against synthetic truth."""

from __future__ import annotations

import arc_clips
import cv2
import numpy as np
import pytest

from hypnoscope.analysis import analyze
from hypnoscope.media import synth
from hypnoscope.signals.wander import (
    frame_gradients,
    morph_ratio,
    morph_residuals,
    spans_cut,
)


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    d = tmp_path_factory.mktemp("wander")
    builders = {"morph": arc_clips.morph_clip, "translate": arc_clips.translate_clip,
                "pan": arc_clips.slow_pan, "walk": arc_clips.random_walk}
    return {k: analyze(synth.write_video(d / f"{k}.mp4", f(24), fps=24))
            for k, f in builders.items()}


def test_morph_index_separates_morph_from_motion(clips):
    morph = clips["morph"].metrics["morph_index"]
    motion = clips["translate"].metrics["morph_index"]
    assert morph >= 3 * motion
    assert morph > 0.5 and motion < 0.1


def test_gradient_domain_ignores_a_global_lighting_change():
    tex = cv2.cvtColor(synth.texture(90, 160, seed=3), cv2.COLOR_RGB2GRAY)
    darker = np.clip(tex.astype(np.float32) * 0.7 + 10, 0, 255).astype(np.uint8)
    zero = np.zeros((90, 160, 2), np.float32)
    res, raw = morph_residuals(frame_gradients(darker), frame_gradients(tex), zero, zero)
    assert raw < 0.05 and res < 0.05  # same structure: no change in the gradient domain


def test_morph_ratio_removes_the_noise_floor_and_refuses_no_change():
    r = morph_ratio(np.array([0.25, 0.05, 0.06]), np.array([0.30, 1.6, 0.07]),
                    np.array([0.05, 0.05, 0.05]))
    assert r[0] == pytest.approx(0.8)
    assert r[1] == pytest.approx(0.0)
    assert np.isfinite(r[2])
    assert np.isnan(morph_ratio(0.06, 0.07, 0.05, min_change=0.05))
    assert morph_ratio(0.9, 0.5, 0.1) == pytest.approx(1.0)  # worse than no compensation


def test_frames_compared_across_a_cut_are_dropped():
    t = np.arange(10) * 0.125
    lag = np.full(10, 0.5)
    lag[0] = np.nan
    crossed = spans_cut(t, lag, np.array([0.5]))
    assert crossed.tolist() == [False] * 4 + [True] * 4 + [False] * 2


def test_straightness_separates_a_pan_from_a_random_walk(clips):
    pan = clips["pan"].metrics["descriptor_straightness"]
    walk = clips["walk"].metrics["descriptor_straightness"]
    assert pan > 0.6 and walk < 0.45
    assert pan >= 2 * walk


def test_recurrence_sees_content_come_back(clips):
    assert clips["walk"].metrics["recurrence"] > 0.5  # hovers over the same place
    assert clips["pan"].metrics["recurrence"] < 0.1  # always moves on to new content
    assert clips["morph"].metrics["recurrence"] < 0.1


def test_descriptor_speed_follows_the_rate_of_change(tmp_path):
    slow = analyze(synth.write_video(tmp_path / "s.mp4", arc_clips.slow_pan(24, speed=8.0),
                                     fps=24))
    fast = analyze(synth.write_video(tmp_path / "f.mp4", arc_clips.slow_pan(24, speed=24.0),
                                     fps=24))
    ratio = fast.metrics["descriptor_speed"] / slow.metrics["descriptor_speed"]
    assert 2.0 < ratio < 4.0  # three times the speed, in a nearly linear regime
