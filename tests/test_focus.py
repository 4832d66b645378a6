"""Focus: concentration of motion over the grid and persistence of its place."""

from __future__ import annotations

import arc_clips
import numpy as np
import pytest

from hypnoscope import synth
from hypnoscope.analysis import analyze
from hypnoscope.metrics.focus import focus_runs
from hypnoscope.signals.focus import focus_cell, gini


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


def test_focus_runs_follow_the_place_not_the_frame_count():
    t = np.arange(16) * 0.25
    cells = np.array([9.0] * 8 + [10.0] * 4 + [40.0] * 4)  # 10 is next to 9: same place
    runs = focus_runs(t, cells)
    assert runs.tolist() == pytest.approx([3.0, 1.0])
    cut = np.zeros(16)
    cut[4] = 1
    assert focus_runs(t, cells, cut).tolist() == pytest.approx([1.0, 1.75, 1.0])
    glitch = cells.copy()
    glitch[2] = np.nan  # one frame (0.25 s) of flow failure does not end a held focus
    glitch[5] = 30.0
    assert focus_runs(t, glitch).tolist() == pytest.approx([3.0, 1.0])
    gap = cells.copy()
    gap[2:4] = np.nan  # 0.5 s without focus does
    assert focus_runs(t, gap).tolist() == pytest.approx([0.5, 2.0, 1.0])


def test_local_motion_is_concentrated_and_a_pan_is_not(clips):
    stay, pan = clips["stay"].metrics, clips["pan"].metrics
    assert stay["motion_gini"] > 0.8 and pan["motion_gini"] < 0.2
    assert stay["change_gini"] > pan["change_gini"]


def test_a_focus_that_stays_persists_longer_than_one_that_jumps(clips):
    stay = clips["stay"].metrics["focus_persistence"]
    jump = clips["jump"].metrics["focus_persistence"]
    assert stay > 3 * jump
    assert jump == pytest.approx(0.5, abs=0.25)  # it jumps every 0.5 s
    assert stay > 0.8 * clips["stay"].source.duration_s - 0.2
