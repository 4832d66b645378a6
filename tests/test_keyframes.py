"""Keyframe thumbnails: kept in the same pass, at the first frame and at every cut,
bounded in memory, and carried through JSON."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import hypnoscope
from hypnoscope.analysis import Analysis
from hypnoscope.media import synth
from hypnoscope.media.decode import Frame
from hypnoscope.signals import FlowEngine, FrameContext
from hypnoscope.signals.keyframes import Keyframe, KeyframeExtractor, choose_keyframes

FPS = 12
CUT_FRAMES = (16, 34)  # first frames of shots 2 and 3, of 48 frames (4 s)


@pytest.fixture(scope="module")
def three_shots(tmp_path_factory) -> Path:
    """4 s at 12 fps, 320x180: three shots of different textures, each panning slowly."""
    frames = []
    edges = (0, *CUT_FRAMES, 48)
    for k in range(3):
        canvas = synth.texture(180, 320 + 200, seed=40 + k, scale=4.0 + k)
        frames += synth.pan(canvas, edges[k + 1] - edges[k], 1.5)
    path = tmp_path_factory.mktemp("kf") / "three_shots.mp4"
    return Path(synth.write_video(path, frames, fps=FPS))


def test_keyframes_at_start_and_at_each_cut(three_shots):
    a = hypnoscope.analyze(three_shots)
    assert len(a.cuts) == 2, a.cuts  # the cut detector agrees with the truth
    kinds = {k.kind for k in a.keyframes}
    assert a.keyframes[0].kind == "start" and a.keyframes[0].t == 0.0
    cut_frames = [k for k in a.keyframes if k.kind == "cut"]
    assert len(cut_frames) == 2, kinds
    for k, truth in zip(cut_frames, CUT_FRAMES, strict=True):
        assert abs(k.t - truth / FPS) <= 1.0 / 8 + 1e-6  # within one analysis frame
    times = [k.t for k in a.keyframes]
    assert times == sorted(times) and len(times) <= 16
    # regular ones fill the gaps (about 1 s apart for a 4 s clip): no hole of 1.5 s or more
    gaps = np.diff([*times, a.source.duration_s])
    assert gaps.max() < 1.5, times
    assert any(k.kind == "regular" for k in a.keyframes)
    for k in a.keyframes:
        assert k.jpeg[:2] == b"\xff\xd8" and len(k.jpeg) < 20_000


def test_keyframe_thumbnail_shows_its_frame(three_shots):
    """The cut thumbnail looks like the new shot, not like the previous one."""
    import cv2

    a = hypnoscope.analyze(three_shots)
    start, cut1 = a.keyframes[0], next(k for k in a.keyframes if k.kind == "cut")
    frames = list(hypnoscope.media.decode.iter_frames(three_shots))
    im = cv2.imdecode(np.frombuffer(cut1.jpeg, np.uint8), cv2.IMREAD_GRAYSCALE)
    h, w = im.shape
    assert w <= 160 and h <= 120
    at_cut = min(frames, key=lambda f: abs(f.t - cut1.t)).gray
    before = min(frames, key=lambda f: abs(f.t - (cut1.t - 0.25))).gray
    small = [cv2.resize(g, (w, h), interpolation=cv2.INTER_AREA).astype(float)
             for g in (at_cut, before)]
    err_same = np.abs(im - small[0]).mean()
    err_prev = np.abs(im - small[1]).mean()
    assert err_same < 0.5 * err_prev
    assert start.t == 0.0


def test_keyframes_off_and_json_round_trip(three_shots):
    a = hypnoscope.analyze(three_shots, keyframes=False)
    assert a.keyframes == []
    b = hypnoscope.analyze(three_shots)
    doc = b.to_dict()
    assert "keyframes" not in doc  # not in the JSON unless asked
    doc = b.to_dict(keyframes=True)
    c = Analysis.from_dict(doc)
    assert [(k.t, k.kind, k.jpeg) for k in c.keyframes] == [
        (round(k.t, 4), k.kind, k.jpeg) for k in b.keyframes]
    assert c.to_dict() == b.to_dict()


def _ctx_stream(n: int, seed: int = 0):
    """n tiny frames: random-texture shots of 5 frames each (a cut every 5 frames)."""
    rng = np.random.default_rng(seed)
    engine = FlowEngine()
    prev = None
    base = None
    for i in range(n):
        if i % 5 == 0:
            base = rng.integers(0, 255, (18, 32, 3), dtype=np.uint8)
        rgb = np.roll(base, i % 5, axis=1)
        frame = Frame(index=i, t=i / 8.0, gray=rgb[..., 1].copy(), rgb=rgb)
        ctx = FrameContext(frame, prev, engine)
        yield ctx
        if not ctx.is_duplicate:
            ctx.release()
            prev = ctx


def test_memory_is_bounded_on_a_long_video():
    """A 10-minute stream with a cut every 5 frames keeps a bounded number of thumbnails."""
    ex = KeyframeExtractor(max_regular=32, max_changes=12, max_keyframes=16)
    n = 8 * 600
    for ctx in _ctx_stream(n):
        ex.update(ctx)
        assert len(ex._regular) <= 33 and len(ex._changes) <= 12
    cuts = [i / 8.0 for i in range(5, n, 5)]
    chosen = ex.artifacts({"cuts": cuts})["keyframes"]
    assert 1 <= len(chosen) <= 16
    assert chosen[0].kind == "start"
    # regular thumbnails still span the whole video after the thinning
    assert ex._regular[-1].t > 0.9 * (n / 8.0) - 2 * ex.every_s


def test_choose_falls_back_to_a_regular_thumbnail_after_an_unkept_cut():
    jpeg = b"\xff\xd8fake"
    regular = [Keyframe(t, jpeg) for t in np.arange(0, 10, 0.5)]
    chosen = choose_keyframes(regular, [], [3.2], duration=10.0, max_keyframes=6)
    shot = [k for k in chosen if k.kind == "shot"]
    assert len(shot) == 1 and 3.2 < shot[0].t <= 4.0
    assert len(chosen) <= 6 and chosen[0].kind == "start"
