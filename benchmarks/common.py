"""Helpers shared by the benchmarks: synthetic long clips and reference decode times."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import av
import numpy as np

from hypnoscope.media import synth


def corpus_dir(arg: str | None = None) -> Path:
    """The corpus folder: ``arg`` when given, else $HYPNOSCOPE_CORPUS, else
    ``../shared/corpus`` beside the project; its ``dev`` folder when it has one."""
    if arg:
        return Path(arg)
    env = os.environ.get("HYPNOSCOPE_CORPUS")
    root = Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "corpus"
    return root / "dev" if (root / "dev").is_dir() else root


def long_clip(path: Path, seconds: float, height: int = 1080, fps: int = 30,
              preset: str = "veryfast", noise: float = 3.0) -> Path:
    """A moving-texture H.264 clip of ``seconds`` at ``height`` px (written once, reused).

    ``preset`` is x264's: the default ``veryfast`` keeps CABAC and B-frames, as camera and
    web H.264 have; ``ultrafast`` files decode unusually fast (no CABAC, no B-frames), which
    makes any analysis look slow next to them. ``noise`` (gray levels) adds sensor-like grain
    so that the bitrate, and the decoder's work, are those of camera footage rather than of a
    perfectly predictable pan."""
    path = Path(path)
    if path.exists():
        return path
    width = height * 16 // 9
    canvas = synth.texture(height + 64, width * 2, seed=7, scale=4.0)
    rng = np.random.default_rng(7)
    tmp = path.with_suffix(".part.mp4")
    with av.open(str(tmp), "w") as c:
        s = c.add_stream("libx264", rate=fps)
        s.width, s.height, s.pix_fmt = width, height, "yuv420p"
        s.options = {"preset": preset, "crf": "18"}
        n = int(seconds * fps)
        for i in range(n):
            x = int((i * 3) % width)
            y = int(16 + 8 * np.sin(i / 20))
            grain = rng.normal(0, noise, (height, width, 1)).astype(np.float32)  # new each frame
            img = canvas[y:y + height, x:x + width].astype(np.float32) + grain
            frame = av.VideoFrame.from_ndarray(
                np.clip(img, 0, 255).astype(np.uint8), format="rgb24")
            for p in s.encode(frame):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    os.replace(tmp, path)
    return path


def ffmpeg_decode_seconds(path: Path, threads: int = 2) -> tuple[float, str]:
    """Wall time of FFmpeg's decode-only pass of ``path`` (the ``ffmpeg`` binary when
    present, else PyAV decoding every frame with FFmpeg's threads) and which was used."""
    if shutil.which("ffmpeg"):
        t0 = time.perf_counter()
        subprocess.run(["ffmpeg", "-v", "error", "-threads", str(threads), "-i", str(path),
                        "-f", "null", "-"], check=True)
        return time.perf_counter() - t0, "ffmpeg -f null"
    t0 = time.perf_counter()
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        s.thread_type = "AUTO"
        for _ in c.decode(s):
            pass
    return time.perf_counter() - t0, "PyAV decode-only"
