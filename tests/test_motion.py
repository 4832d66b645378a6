"""Motion of a known translation, invariant to frame rate and size."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import hypnoscope
from hypnoscope.media import synth

SPEED_PX_PER_FRAME_AT_720 = 3.0  # at 30 fps, 720 px high
SECONDS = 3.0


@pytest.fixture(scope="module")
def canvas_720():
    return synth.texture(720, 1280 + int(SECONDS * 30 * 3) + 16, seed=21, scale=5.0)


def translated(clipdir, canvas, fps: int, height: int):
    k = 720 / height
    c = canvas if k == 1 else cv2.resize(canvas, None, fx=1 / k, fy=1 / k,
                                         interpolation=cv2.INTER_AREA)
    step = SPEED_PX_PER_FRAME_AT_720 * 30 / fps / k
    frames = synth.pan(c, int(SECONDS * fps), dx=step, height=height, width=int(1280 / k))
    return synth.write_video(clipdir / f"tr_{fps}_{height}.mp4", frames, fps=fps)


def truth_diagonals_per_s() -> float:
    return SPEED_PX_PER_FRAME_AT_720 * 30 / float(np.hypot(720, 1280))


def test_known_translation_within_10_percent(clipdir, canvas_720):
    a = hypnoscope.analyze(translated(clipdir, canvas_720, 30, 720))
    assert a.metrics["motion_energy"] == pytest.approx(truth_diagonals_per_s(), rel=0.10)
    # the camera's global motion is a pan to the left of the same speed
    assert np.nanmedian(a.series["global_dx"]) == pytest.approx(-truth_diagonals_per_s(),
                                                                rel=0.10)


@pytest.mark.parametrize("fps,height", [(15, 720), (30, 360), (15, 360)])
def test_same_motion_at_other_rates_and_sizes(clipdir, canvas_720, fps, height):
    ref = hypnoscope.analyze(translated(clipdir, canvas_720, 30, 720))
    other = hypnoscope.analyze(translated(clipdir, canvas_720, fps, height))
    assert other.metrics["motion_energy"] == pytest.approx(ref.metrics["motion_energy"],
                                                           rel=0.10)


def test_motion_of_a_still_clip_is_zero_and_duplicates_are_not_motion(clipdir):
    still = [synth.texture(90, 160, seed=3)] * 20
    a = hypnoscope.analyze(synth.write_video(clipdir / "still.mp4", still, fps=10))
    # every frame after the first repeats it: no motion is measured, none is invented
    assert np.all(np.isnan(a.series["motion"][1:]))
