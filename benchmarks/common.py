"""Helpers shared by the benchmarks: synthetic long clips and reference decode times."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import av
import numpy as np

from hypnoscope import synth


def long_clip(path: Path, seconds: float, height: int = 1080, fps: int = 30) -> Path:
    """A moving-texture H.264 clip of ``seconds`` at ``height`` px (written once, reused)."""
    path = Path(path)
    if path.exists():
        return path
    width = height * 16 // 9
    canvas = synth.texture(height + 64, width * 2, seed=7, scale=4.0)
    tmp = path.with_suffix(".part.mp4")
    with av.open(str(tmp), "w") as c:
        s = c.add_stream("libx264", rate=fps)
        s.width, s.height, s.pix_fmt = width, height, "yuv420p"
        s.options = {"preset": "ultrafast", "crf": "23"}
        n = int(seconds * fps)
        for i in range(n):
            x = int((i * 3) % width)
            y = int(16 + 8 * np.sin(i / 20))
            frame = av.VideoFrame.from_ndarray(
                np.ascontiguousarray(canvas[y:y + height, x:x + width]), format="rgb24")
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
