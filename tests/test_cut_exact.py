"""Hard cuts on the exact source frame whatever the analysis rate; no cut from a flash or a
fast pan; the shot boundaries carry source frame numbers and transition kinds."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import hypnoscope
from hypnoscope.media import synth
from hypnoscope.media.decode import PictureFingerprint, VideoReader
from hypnoscope.media.span import SpanReader
from hypnoscope.signals import CutExtractor
from hypnoscope.signals.cut_refine import SourceSteps, compensated_contrast


def two_shots(n_a: int, n_b: int, seed: int = 0, grain: float = 0.0,
              speed: float = 1.0) -> list[np.ndarray]:
    """Two differently textured panning shots, ``n_a`` then ``n_b`` frames, panning at
    ``speed`` times 2 and 1.5 px a frame; with ``grain`` (gray levels), fresh noise on every
    frame (no picture repeats, as in camera footage)."""
    ca = synth.texture(180, 320 + 3 * (n_a + n_b), seed=20 + seed, scale=3.0)
    cb = synth.texture(180, 320 + 3 * (n_a + n_b), seed=40 + seed, scale=6.0, saturation=0.4)
    frames = (synth.pan(ca, n_a, 2.0 * speed)
              + synth.pan(cb, n_b, -1.5 * speed, x0=2 * n_b))
    if grain:
        frames = synth.add_noise(frames, sigma=grain, seed=seed)
    return frames


@pytest.mark.parametrize("fps", [24, 25, 30, 60])
def test_cut_is_frame_exact_at_8fps_analysis(clipdir, fps):
    # the cut falls between two analysis frames (8 fps), not on one
    cut = int(1.7 * fps) + 1
    path = synth.write_video(clipdir / f"cut_{fps}.mp4", two_shots(cut, int(1.5 * fps)),
                             fps=fps)
    a = hypnoscope.analyze(path, extractors=[CutExtractor()], keyframes=False, model=None)
    assert a.source.analysis_fps == pytest.approx(8.0)
    assert a.events["cuts"] == [pytest.approx(cut / fps, abs=1e-3)]
    assert a.extras["shots"]["cuts"] == [{"time_s": pytest.approx(cut / fps, abs=1e-3),
                                          "frame": cut}]


def test_cut_is_frame_exact_when_the_decoder_skips_frames(clipdir):
    """With grain no picture repeats, so the decoder leaves out B-frames the analysis does
    not read; the cut is still placed exactly (its span decoded again when needed)."""
    fps, cut = 30, 71
    path = synth.write_video(clipdir / "cut_grain.mp4", two_shots(cut, 50, grain=2.0), fps=fps)
    a = hypnoscope.analyze(path, extractors=[CutExtractor()], keyframes=False, model=None)
    assert [c["frame"] for c in a.extras["shots"]["cuts"]] == [cut]


def test_span_reader_gives_the_frames_of_the_pass(clipdir):
    """A span decoded again (after a seek) has the times and fingerprints the streaming
    pass sees for the same frames."""
    path = synth.write_video(clipdir / "span.mp4", two_shots(40, 40, grain=2.0), fps=25)
    fp = PictureFingerprint()
    with VideoReader(path) as r:
        full = [(t, fp(fr)) for t, fr in r.native_frames()]
    with SpanReader(path) as spans:
        part = spans(full[50][0], full[57][0])
        assert spans(99.0, 100.0) == []
    assert [t for t, _ in part] == pytest.approx([t for t, _ in full[50:58]])
    assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(part, full[50:58], strict=True))


def test_split_over_undecoded_frames_is_decoded_again():
    """Unit: a bracket whose largest step spans undecoded frames asks for that span."""
    flat = [np.full((4, 4), v, np.int16) for v in (10, 11, 12, 13, 90, 91, 92, 93)]
    steps = SourceSteps()
    times = np.arange(8) / 30.0
    steps.add(0, times[:1], flat[:1])
    # the decoder left out frames 2, 3 and 4: the step 1 -> 5 hides the cut at 4
    steps.add(5, times[1:6], [flat[1], None, None, None, flat[5]])
    sp = steps.split(1)
    assert sp.frame == 5 and sp.gap_from == pytest.approx(times[1])
    asked = []

    def decode(t0, t1):
        asked.append((t0, t1))
        return [(float(t), flat[k]) for k, t in enumerate(times) if t0 - 1e-6 <= t <= t1 + 1e-6]

    exact = steps.refine(sp, decode)
    assert asked == [(pytest.approx(times[1]), pytest.approx(times[5]))]
    assert exact.frame == 4 and exact.t == pytest.approx(times[4])


def test_no_cut_from_a_flash_or_a_fast_pan(clipdir):
    fps = 30
    canvas = synth.texture(180, 320 + 12 * 120 + 8, seed=3, scale=3.0)
    frames = synth.pan(canvas, 120, 12.0)  # 12 px a frame: 45 px between analysis frames
    for k, gain in ((50, 0.9), (51, 0.4)):  # a camera flash over two frames
        f = frames[k].astype(np.float32) * (1 + gain) + 120 * gain
        frames[k] = np.clip(f, 0, 255).astype(np.uint8)
    path = synth.write_video(clipdir / "flash_pan.mp4", frames, fps=fps)
    for rate in (8.0, 30.0):
        a = hypnoscope.analyze(path, fps=rate, extractors=[CutExtractor()], keyframes=False,
                               model=None)
        assert a.events["cuts"] == [], rate
        assert a.events["transitions"] == [], rate


def test_dissolve_is_one_dissolve_event_with_frames(clipdir):
    # slow pans: a dissolve between fast-moving shots is fitted loosely and may be found
    # shorter than it is (see docs/metrics.md, shot boundaries)
    fps = 25
    shots = two_shots(75, 75, speed=0.25)
    a_frames, b_frames = shots[:75], shots[75:]
    path = synth.write_video(clipdir / "dissolve25.mp4",
                             synth.cross_dissolve(a_frames, b_frames, 25), fps=fps)
    a = hypnoscope.analyze(path, extractors=[CutExtractor()], keyframes=False, model=None)
    assert a.events["cuts"] == [] and a.events["fades"] == []
    (tr,) = a.extras["shots"]["transitions"]
    assert tr["kind"] == "dissolve"
    # blended frames 50..74: the event covers them, within two analysis frames (6.25 frames)
    assert 49 - 7 <= tr["start_frame"] <= 50 and 74 <= tr["end_frame"] <= 75 + 7
    assert a.events["transitions"] == [pytest.approx(tr["start_s"])]


def jittered_path(n: int, x0: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A hand-held camera path: ``n`` positions (px) shaken by a few px a frame."""
    rng = np.random.default_rng(seed)
    return x0 + np.cumsum(rng.normal(0, 4, n)), 20 + rng.normal(0, 3, n)


def test_compensated_contrast_tells_a_jolt_from_a_cut():
    """On pictures 160 px wide (as the span reader gives them), the motion-compensated change
    across a 10 px jolt of the camera is like that of its jittery neighbours; across a cut
    between two such shots it is many times larger."""
    ca = synth.texture(260, 900, seed=5, scale=3.0)
    cb = synth.texture(260, 900, seed=9, scale=5.0, saturation=0.5)
    xs, ys = jittered_path(9, 100, seed=1)
    jolt = synth.path_frames(ca, np.where(np.arange(9) >= 5, xs + 20, xs), ys, 180, 320)
    cut = (synth.path_frames(ca, xs[:5], ys[:5], 180, 320)
           + synth.path_frames(cb, xs[5:], ys[5:], 180, 320))
    gray = [[cv2.resize(cv2.cvtColor(f, cv2.COLOR_RGB2GRAY), (160, 90),
                        interpolation=cv2.INTER_AREA) for f in fs] for fs in (jolt, cut)]
    assert compensated_contrast(gray[0], 5) < 4.0
    assert compensated_contrast(gray[1], 5) > 8.0
    assert np.isnan(compensated_contrast(gray[1][:3], 2))  # too few other pairs


def test_no_cut_from_a_sudden_jolt_inside_a_shot(clipdir):
    """A shot that jolts by 20 px between two source frames puts most of its change into one
    source step, as a cut does; the flow follows it, so it is no cut. A cut between two
    jittery shots (every source step large) is still found on its frame."""
    fps = 30
    canvas = synth.texture(260, 1400, seed=7, scale=3.0)
    xs = np.concatenate([100 + 1.5 * np.arange(45), 120 + 1.5 * np.arange(45, 90)])
    rng = np.random.default_rng(3)
    frames = synth.path_frames(canvas, xs + rng.normal(0, 1.0, 90), 30 + rng.normal(0, 1.0, 90),
                               180, 320)
    frames = synth.add_noise(frames, sigma=2.0, seed=1)
    path = synth.write_video(clipdir / "jolt.mp4", frames, fps=fps)
    a = hypnoscope.analyze(path, extractors=[CutExtractor()], keyframes=False, model=None)
    assert a.events["cuts"] == []
    xs2, ys2 = jittered_path(45, 200, seed=4)
    other = synth.add_noise(synth.path_frames(synth.texture(260, 900, seed=11, scale=6.0),
                                              xs2, ys2 + 10, 180, 320), sigma=2.0, seed=2)
    path = synth.write_video(clipdir / "jolt_cut.mp4", frames[:45] + other, fps=fps)
    a = hypnoscope.analyze(path, extractors=[CutExtractor()], keyframes=False, model=None)
    assert [c["frame"] for c in a.extras["shots"]["cuts"]] == [45]
