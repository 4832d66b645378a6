"""Inputs that are valid but unusual, or hostile in their headers: a FIFO, a stream whose
timestamps restart, anamorphic pixels, and pictures that claim a huge canvas."""

from __future__ import annotations

import json
import os
import sys
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from cli_run import cli_env, run_cli
from PIL import Image

import hypnoscope
from hypnoscope.media.decode import MAX_PICTURE_PIXELS


def _bar_frames(n: int, w: int = 160, h: int = 90, start: int = 0) -> list[np.ndarray]:
    """A white bar moving 4 px a frame over black."""
    out = []
    for i in range(n):
        a = np.zeros((h, w, 3), np.uint8)
        x = (start + 4 * i) % (w - 20)
        a[:, x:x + 20] = 255
        out.append(a)
    return out


def _encode(path: Path, frames: list[np.ndarray], fps: int = 12, fmt: str | None = None,
            sar: Fraction | None = None) -> Path:
    with av.open(str(path), "w", format=fmt) as c:
        s = c.add_stream("libx264", rate=fps)
        s.height, s.width = frames[0].shape[:2]
        s.pix_fmt = "yuv420p"
        if sar is not None:
            s.codec_context.sample_aspect_ratio = sar
        for f in frames:
            for p in s.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    return path


def test_fifo_is_named_as_a_fifo(tmp_path):
    fifo = tmp_path / "pipe.mp4"
    os.mkfifo(fifo)
    with pytest.raises(hypnoscope.VideoError) as info:
        hypnoscope.analyze(fifo)  # must not block on the pipe
    assert "FIFO" in str(info.value) and "empty" not in str(info.value)
    r = run_cli("analyze", fifo, "--quiet", timeout=60)
    assert r.returncode == 1
    assert r.stderr.strip().splitlines() == [f"{fifo}: not a regular file: a FIFO (named pipe)"]


def test_timestamps_that_restart_mid_file_keep_every_frame(tmp_path):
    # two MPEG-TS streams back to back, each with timestamps from the start: the second
    # half's timestamps go back to where the first half's began
    a = _encode(tmp_path / "a.ts", _bar_frames(36), fmt="mpegts")
    b = _encode(tmp_path / "b.ts", _bar_frames(36, start=70), fmt="mpegts")
    joined = tmp_path / "joined.ts"
    joined.write_bytes(a.read_bytes() + b.read_bytes())
    r = hypnoscope.analyze(joined, keyframes=False, model=None)
    assert r.source.frames_decoded == 72
    assert r.source.duration_s == pytest.approx(6.0, abs=0.1)
    assert np.all(np.diff(r.times) > 0)
    assert r.times[-1] > 5.5
    assert any("restart 1 time" in n and "3.00 s" in n for n in r.source.notes)


def test_anamorphic_video_is_analyzed_at_its_display_aspect(tmp_path):
    # 160x90 coded pixels, each twice as wide as high: a 32:9 picture on screen
    clip = _encode(tmp_path / "anamorphic.mp4", _bar_frames(24), sar=Fraction(2, 1))
    r = hypnoscope.analyze(clip, height=90, keyframes=False, model=None)
    assert (r.source.analysis_width, r.source.analysis_height) == (320, 90)
    assert (r.source.width, r.source.height) == (160, 90)
    assert any("anamorphic" in n for n in r.source.notes)
    square = _encode(tmp_path / "square.mp4", _bar_frames(24))
    r = hypnoscope.analyze(square, height=90, keyframes=False, model=None)
    assert (r.source.analysis_width, r.source.analysis_height) == (160, 90)


def _huge_canvas(path: Path, side: int) -> Path:
    """A tiny animation (3 frames of 16x16) whose header claims a side x side canvas."""
    frames = [Image.new("RGB", (16, 16), (80 * i, 0, 0)) for i in range(3)]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0,
                   **({"lossless": True} if path.suffix == ".webp" else {}))
    b = bytearray(path.read_bytes())
    if path.suffix == ".webp":
        assert b[12:16] == b"VP8X"
        b[24:27] = (side - 1).to_bytes(3, "little")
        b[27:30] = (side - 1).to_bytes(3, "little")
    else:  # GIF logical screen
        b[6:8] = side.to_bytes(2, "little")
        b[8:10] = side.to_bytes(2, "little")
    path.write_bytes(bytes(b))
    return path


#: Address-space limit of the bounded run (the batch's default per-worker limit).
LIMIT = 2 << 30

_BOUNDED = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
sys.argv = ["hypnoscope", "analyze", sys.argv[1], "--quiet"]
from hypnoscope.cli import main
try:
    main()
    code = 0
except SystemExit as e:
    code = e.code
# VmHWM is this program's own peak (ru_maxrss would carry the forking parent's over exec)
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(code, int(hwm.split()[1]) * 1024)
"""


@pytest.mark.parametrize("suffix", [".webp", ".gif"])
def test_huge_declared_canvas_is_refused_before_allocating_it(tmp_path, suffix):
    bomb = _huge_canvas(tmp_path / f"bomb{suffix}", 12000)
    assert bomb.stat().st_size < 1000 and 12000 ** 2 > MAX_PICTURE_PIXELS
    import subprocess

    r = subprocess.run([sys.executable, "-c", _BOUNDED.format(limit=LIMIT), str(bomb)],
                       env=cli_env(MALLOC_ARENA_MAX="2"), capture_output=True, text=True,
                       timeout=120)
    code, peak = map(int, r.stdout.split())
    assert code == 1, r.stderr
    assert r.stderr.strip().splitlines() == [
        f"{bomb}: picture of 12000x12000 pixels declared, larger than the 67 megapixels "
        f"hypnoscope decodes (8192x8192); refused before decoding"]
    assert peak < 600 << 20  # the analysis stack itself; one 12000x12000 RGBA frame is 576 MB


def test_small_animated_webp_still_decodes(tmp_path):
    frames = [Image.fromarray(f) for f in _bar_frames(12, 64, 36)]
    path = tmp_path / "anim.webp"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=125, loop=0)
    r = hypnoscope.analyze(path, keyframes=False, model=None)
    assert r.source.frames_decoded == 12 and (r.source.width, r.source.height) == (64, 36)
    doc = json.loads(json.dumps(r.to_dict()))
    assert doc["source"]["codec"] == "webp"
