"""Focus: concentration of motion over the grid and persistence of its place."""

from __future__ import annotations

import arc_clips
import numpy as np
import pytest

from hypnoscope.analysis import analyze
from hypnoscope.media import synth
from hypnoscope.metrics.focus import persistence_time
from hypnoscope.signals.focus import focus_cell, gini, motion_map


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    d = tmp_path_factory.mktemp("focus")
    frames = {"stay": arc_clips.local_motion_clip(24),
              "jump": arc_clips.local_motion_clip(24, jump_every_s=0.5),
              "pan": arc_clips.full_pan(24)}
    return {k: analyze(synth.write_video(d / f"{k}.mp4", f, fps=24))
            for k, f in frames.items()}


def test_gini_bounds():
    assert gini(np.ones(48)) == pytest.approx(0.0)
    one = np.zeros(48)
    one[7] = 3.0
    assert gini(one) == pytest.approx(1.0)
    assert np.isnan(gini(np.zeros(48)))
    assert 0.3 < gini(np.r_[np.ones(24), np.zeros(24)]) < 0.7


def test_focus_cell_needs_a_standout():
    c = np.ones(48)
    assert np.isnan(focus_cell(c))
    c[10] = 5.0
    assert focus_cell(c) == 10.0
    assert np.isnan(focus_cell(c, min_level=6.0))


def test_persistence_is_the_area_under_the_correlation_curve():
    lags = np.array([0.25, 0.5, 1.0, 2.0, 4.0])
    held = np.ones(5)
    assert persistence_time(lags, held) == pytest.approx(4.0)
    noise = np.array([0.0, -0.1, 0.0, 0.0, 0.0])  # decorrelated at the first lag
    assert persistence_time(lags, noise) == pytest.approx(0.125)
    short = np.array([0.95, 0.95, 0.9, np.nan, np.nan])  # a short clip: a lower bound
    assert persistence_time(lags, short) == pytest.approx(
        0.25 * 0.975 + 0.25 * 0.95 + 0.5 * 0.925)
    assert np.isnan(persistence_time(lags, np.full(5, np.nan)))


def test_motion_map_needs_a_focus():
    assert motion_map(np.r_[np.zeros(47), 0.005]) is None  # too slow
    assert motion_map(np.full(48, 0.2)) is None  # motion everywhere alike
    z = motion_map(np.r_[np.full(47, 0.02), 0.5])
    assert np.linalg.norm(z) == pytest.approx(1.0) and abs(z.sum()) < 1e-9


def test_local_motion_is_concentrated_and_a_pan_is_not(clips):
    stay, pan = clips["stay"].metrics, clips["pan"].metrics
    assert stay["motion_gini"] > 0.8 and pan["motion_gini"] < 0.2
    assert stay["change_gini"] > pan["change_gini"]


def test_a_focus_that_stays_persists_longer_than_one_that_jumps(clips):
    stay = clips["stay"].metrics["focus_persistence"]
    jump = clips["jump"].metrics["focus_persistence"]
    assert stay > 3 * jump
    assert stay >= 2.0  # held throughout the 4 s clip
    assert 0.1 < jump < 0.5  # it jumps every 0.5 s
    assert np.isnan(clips["pan"].metrics["focus_persistence"])  # no focus to hold
