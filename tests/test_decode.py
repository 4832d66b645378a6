"""The streaming decoder: timestamps, rotation, containers, sampling, source facts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import hypnoscope
from hypnoscope.media import synth
from hypnoscope.media.decode import DecodeOptions, VideoReader, analysis_size


def moving_frames(n: int, h: int = 90, w: int = 160, dx: float = 2.0, seed: int = 1):
    canvas = synth.texture(h, w + int(n * dx) + 8, seed=seed)
    return synth.pan(canvas, n, dx=dx, height=h, width=w)


def test_variable_frame_rate_uses_timestamps(clipdir):
    # 20 frames 0.1 s apart, a 3 s pause, then 20 more frames: 5 s, not 40 frames / fps.
    times = [i * 0.1 for i in range(20)] + [4.9 + i * 0.1 for i in range(20)]
    path = synth.write_video(clipdir / "vfr.mp4", moving_frames(40), times=times)
    a = hypnoscope.analyze(path)
    assert a.source.duration_s == pytest.approx(6.9, abs=0.11)
    assert a.times[-1] == pytest.approx(6.8, abs=0.05)
    gaps = np.diff(a.times)
    assert gaps.max() == pytest.approx(3.0, abs=0.05)
    # motion is per second of real time: the frame across the pause moved 2 px in 3 s
    m = a.series["motion"]
    i = int(np.argmax(gaps)) + 1
    assert m[i] < 0.1 * np.nanmedian(np.delete(m, i))


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_rotation_metadata_is_honoured(clipdir, rotation):
    frame = np.zeros((90, 160, 3), np.uint8)
    frame[:30, :30] = 255  # a bright block in the coded top-left corner
    frames = [frame] * 2 + moving_frames(4)
    path = synth.write_video(clipdir / f"rot{rotation}.mp4", frames, fps=10, rotation=rotation)
    with VideoReader(path, DecodeOptions(height=160)) as r:
        first = next(iter(r))
        facts = r.facts
    assert facts.rotation == rotation
    upright = np.rot90(frame[..., 0], rotation // 90)  # counter-clockwise, as the matrix says
    assert first.gray.shape == upright.shape
    expect = np.unravel_index(np.argmax(upright[::10, ::10]), upright[::10, ::10].shape)
    got = np.unravel_index(np.argmax(first.gray[::10, ::10]), first.gray[::10, ::10].shape)
    h, w = first.gray.shape
    # the bright block lands in the same quadrant as the upright reference
    assert (got[0] * 10 < h / 2) == (expect[0] * 10 < upright.shape[0] / 2)
    assert (got[1] * 10 < w / 2) == (expect[1] * 10 < upright.shape[1] / 2)


@pytest.mark.parametrize("ext", [".gif", ".webm", ".mkv", ".avi", ".mov"])
def test_other_containers_decode(clipdir, ext):
    path = synth.write_video(clipdir / f"clip{ext}", moving_frames(16), fps=8)
    a = hypnoscope.analyze(path)
    assert a.source.frames_decoded == 16
    assert a.source.duration_s == pytest.approx(2.0, abs=0.15)
    assert a.source.analysis_height == 90


def test_animated_webp_decodes(clipdir):
    import av

    path = clipdir / "anim.webp"
    try:
        synth.write_video(path, moving_frames(8), fps=8, codec="libwebp_anim")
    except (av.error.FFmpegError, ValueError) as e:  # pragma: no cover - codec missing
        pytest.skip(f"no animated WebP encoder in this FFmpeg: {e}")
    a = hypnoscope.analyze(path)  # FFmpeg reads still WebP only: Pillow decodes animations
    assert a.source.frames_decoded == 8
    assert a.source.duration_s == pytest.approx(1.0, abs=0.05)
    assert np.nanmedian(a.series["motion"]) > 0


def test_sampling_at_canonical_rate_and_never_upsampled(clipdir):
    fast = synth.write_video(clipdir / "fast.mp4", moving_frames(48), fps=24)
    a = hypnoscope.analyze(fast, fps=8)
    assert a.source.analysis_fps == 8
    assert len(a.times) == pytest.approx(16, abs=1)
    assert np.median(np.diff(a.times)) == pytest.approx(0.125, abs=0.01)
    slow = synth.write_video(clipdir / "slow.mp4", moving_frames(12), fps=4)
    b = hypnoscope.analyze(slow, fps=8)
    assert len(b.times) == 12  # every frame once, none invented
    assert b.source.analysis_fps == pytest.approx(4, rel=0.01)
    assert any("below the canonical" in n for n in b.source.notes)


@pytest.mark.parametrize("fps", [30, 25, 24, 15, 10, 8, 5])
def test_intent_keeps_the_frames_the_decoder_keeps(clipdir, fps):
    from hypnoscope.intent.measure import sampled_indices

    n = 3 * fps
    path = synth.write_video(clipdir / f"rate{fps}.mp4", moving_frames(n), fps=fps)
    with VideoReader(path) as reader:
        kept = [int(round(fr.t * fps)) for fr in reader]
    assert kept == sampled_indices(n, fps).tolist()
    assert len(kept) == (n if fps <= 8 else pytest.approx(24, abs=1))


def test_source_facts(clipdir):
    path = synth.write_video(clipdir / "facts.mp4", moving_frames(30, 120, 214), fps=15)
    a = hypnoscope.analyze(path, height=60)
    f = a.source
    assert (f.container, f.codec, f.width, f.height) == ("mp4", "h264", 214, 120)
    assert f.nominal_fps == pytest.approx(15)
    assert f.measured_fps == pytest.approx(15, rel=0.01)
    assert f.duration_s == pytest.approx(2.0, abs=0.01)
    assert f.frames_decoded == 30 and f.frames_failed == 0
    assert (f.analysis_height, f.analysis_width % 2) == (60, 0)
    assert f.analysis_width == pytest.approx(60 * 214 / 120, abs=2)


def test_analysis_size_keeps_aspect_and_even_width():
    assert analysis_size(1920, 1080, 0, 180) == (320, 180)
    assert analysis_size(1080, 1920, 0, 180) == (102, 180)
    # rotated 90: the coded 1920x1080 frame displays as 1080x1920
    assert analysis_size(1920, 1080, 90, 180) == (180, 102)


def test_frames_that_fail_to_decode_are_counted_and_the_rest_analyzed(clipdir):
    import re

    path = synth.write_video(clipdir / "mj.avi", moving_frames(40), fps=10, codec="mjpeg")
    data = bytearray(path_bytes := open(path, "rb").read())
    soi = [m.start() for m in re.finditer(b"\xff\xd8\xff", bytes(path_bytes))]
    for k in (15, 16, 17):  # wipe the entropy-coded data of three frames in the middle
        a, b = soi[k], soi[k + 1]
        data[a + 2:b - 100] = bytes(b - 100 - a - 2)
    bad = clipdir / "mj_corrupt.avi"
    bad.write_bytes(bytes(data))
    a = hypnoscope.analyze(bad, fps=10)
    assert a.source.frames_failed == 3
    assert a.source.frames_decoded == 37
    assert any("failed to decode" in n for n in a.source.notes)


def _frame_record(f):
    crop = None if f.native_crop is None else f.native_crop.tobytes()
    return (f.t, f.rgb.tobytes(), crop, f.content_t, f.source_frames, f.source_repeats)


@pytest.mark.parametrize("doubled", [False, True])
def test_frames_no_analysis_frame_needs_are_left_undecoded_changing_nothing(clipdir, doubled):
    # 30 fps with B-frames (x264 veryfast), analyzed at 8 fps: about 3 in 4 source frames
    # are never read; the non-reference ones among them need not be decoded at all
    frames = moving_frames(90 if not doubled else 45, dx=3.0)
    if doubled:  # every picture twice: repeats seen at once, so nothing is left out
        frames = synth.repeat_frames(frames, 2)
    path = synth.write_video(clipdir / f"b30_{doubled}.mp4", frames, fps=30)
    runs = {}
    for skip in (False, True):
        with VideoReader(path, DecodeOptions(skip_unneeded=skip)) as r:
            runs[skip] = ([_frame_record(f) for f in r], r.facts, r.frames_left_out)
    (full, facts_full, _), (part, facts_part, left_out) = runs[False], runs[True]
    assert part == full
    assert facts_part == facts_full
    assert (left_out == 0) if doubled else (left_out > 10)


def _flip_media_bytes(src, dst, share: float, seed: int):
    """Copy of MP4 ``src`` with ``share`` of the bytes of its media data (the ``mdat`` box,
    not the index) replaced by other values, at seeded random places."""
    data = bytearray(Path(src).read_bytes())
    start = data.find(b"mdat") + 4
    end = start - 8 + int.from_bytes(data[start - 8:start - 4], "big")
    rng = np.random.default_rng(seed)
    for p in rng.choice(np.arange(start, end), int(share * (end - start)), replace=False):
        data[p] ^= int(rng.integers(1, 256))
    dst.write_bytes(bytes(data))
    return dst


@pytest.fixture(scope="module")
def damaged(tmp_path_factory):
    d = tmp_path_factory.mktemp("damaged")
    good = synth.write_video(d / "good.mp4", moving_frames(120, h=180, w=320, dx=3.0), fps=30)
    return {"good": good,
            **{f"{share:g}": _flip_media_bytes(good, d / f"flip{share:g}.mp4", share, seed=2)
               for share in (0.01, 0.2)}}


def test_a_damaged_file_gives_the_same_analysis_every_time(damaged):
    # Frame threads conceal errors differently from run to run (2 to 6 of 44 frames kept,
    # varying); the decoder falls back to slice threads, which do not
    docs = [hypnoscope.analyze(damaged["0.01"], model=None).to_json() for _ in range(5)]
    assert len(set(docs)) == 1
    a = hypnoscope.analyze(damaged["0.01"], model=None)
    f = a.source
    assert f.frames_failed > 0 and f.frames_decoded + f.frames_failed <= 120
    assert f.frames_decoded > 60  # as many frames as can be decoded, not a few
    assert f.duration_s == pytest.approx(4.0, abs=0.05)  # from the packets, not the gaps
    assert any("failed to decode" in n for n in f.notes)


def test_a_file_too_damaged_to_analyze_is_called_corrupt(damaged):
    with pytest.raises(hypnoscope.VideoError) as e:
        hypnoscope.analyze(damaged["0.2"], model=None)
    msg = str(e.value)
    assert "corrupt" in msg and "truncated" not in msg and "still" not in msg
    assert str(damaged["0.2"]) in msg


def test_frames_prepared_in_the_background_are_those_of_a_single_threaded_pass(clipdir):
    path = synth.write_video(clipdir / "bg.mp4", moving_frames(60, dx=3.0), fps=30)
    runs = {}
    for background in (False, True):
        with VideoReader(path, DecodeOptions(background=background)) as r:
            runs[background] = ([_frame_record(f) for f in r], r.facts)
    assert runs[True] == runs[False]
    with VideoReader(path) as r:  # leaving early stops the thread before the file closes
        it = iter(r)
        next(it)
    assert r._worker is None
