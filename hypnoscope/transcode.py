"""Re-encode a video to a common format: the tool that proves format is not evidence.

One streaming pass with PyAV: frames are taken by timestamp at the target rate (a slower
clip keeps its own frames, never up-sampled: duplicated frames would leak its native rate),
scaled in swscale to the target height, optionally trimmed, and encoded to the container and
codec that the output's extension names (``.mp4`` H.264, ``.mkv`` H.264, ``.webm`` VP8,
``.avi`` MPEG-4 Part 2, ``.gif`` GIF with a palette).
"""

from __future__ import annotations

import math
import os
from fractions import Fraction

import av
import av.video.reformatter

from hypnoscope.decode import VideoReader, _ffmpeg_reason
from hypnoscope.errors import VideoError

CODEC_BY_EXT = {".mp4": "libx264", ".mkv": "libx264", ".mov": "libx264", ".webm": "libvpx",
                ".avi": "mpeg4", ".gif": "gif"}


def transcode(src: str | os.PathLike, dst: str | os.PathLike, *, height: int | None = None,
              fps: float | None = None, max_seconds: float | None = None,
              crf: int = 20, upscale: bool = False) -> str:
    """Write ``src`` to ``dst`` at ``height`` px (None: keep), at most ``fps`` frames/s
    (None: keep every frame) and at most ``max_seconds`` s long; a smaller clip is scaled up
    to ``height`` only with ``upscale``. Returns ``dst``.

    Raises :class:`VideoError` when ``src`` cannot be read.
    """
    src, dst = os.fspath(src), os.fspath(dst)
    ext = os.path.splitext(dst)[1].lower()
    if ext not in CODEC_BY_EXT:
        raise ValueError(f"unsupported output extension {ext!r}: use one of "
                         f"{', '.join(sorted(CODEC_BY_EXT))}")
    codec = CODEC_BY_EXT[ext]
    reader = VideoReader(src)
    reader.open()  # checks the file and raises a one-line VideoError when unusable
    reader.close()
    try:
        inp = av.open(src, metadata_errors="ignore")
    except av.error.FFmpegError as e:  # pragma: no cover - open() already checked
        raise VideoError(src, _ffmpeg_reason(e)) from e
    tmp = dst + ".part" + ext
    try:
        with inp, av.open(tmp, "w", format=_muxer(ext)) as out:
            _copy(inp, out, codec, height, fps, max_seconds, crf, upscale)
        os.replace(tmp, dst)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return dst


def _muxer(ext: str) -> str:
    return {".mp4": "mp4", ".mkv": "matroska", ".mov": "mov", ".webm": "webm", ".avi": "avi",
            ".gif": "gif"}[ext]


def _copy(inp, out, codec: str, height: int | None, fps: float | None,
          max_seconds: float | None, crf: int, upscale: bool) -> None:
    s_in = inp.streams.video[0]
    s_in.thread_type = "AUTO"
    ref = av.video.reformatter.VideoReformatter()
    # GIF timestamps are in centiseconds; everything else gets milliseconds.
    tb = Fraction(1, 100) if codec == "gif" else Fraction(1, 1000)
    stream = None
    period = 1.0 / fps if fps else 0.0
    next_t = 0.0
    t0 = None
    last_pts = -1
    size = None
    for frame in inp.decode(s_in):
        if frame.time is None:
            continue
        if t0 is None:
            t0 = frame.time
        t = frame.time - t0
        if max_seconds is not None and t >= max_seconds - 1e-6:
            break
        if fps and t + 0.25 * period < next_t:
            continue
        if fps:
            next_t = (math.floor((t + 0.25 * period) / period) + 1) * period
        if stream is None:
            rot = int(round((frame.rotation or 0) / 90.0)) * 90 % 360
            w, h = (frame.height, frame.width) if rot % 180 else (frame.width, frame.height)
            th = (height or h) if upscale else min(height or h, h)
            th -= th % 2
            tw = max(2, int(round(th * w / h / 2)) * 2)
            size = (th, tw) if rot % 180 else (tw, th)
            stream = _add_stream(out, codec, (tw, th), fps or float(s_in.average_rate or 25),
                                 crf, tb)
            if rot:
                stream.set_display_rotation(rot)
        small = ref.reformat(frame, width=size[0], height=size[1],
                             format="rgb8" if codec == "gif" else "yuv420p",
                             interpolation="AREA")
        pts = int(round(t / tb))
        if pts <= last_pts:
            continue
        small.pts, small.time_base = pts, tb
        last_pts = pts
        for packet in stream.encode(small):
            out.mux(packet)
    if stream is None:
        raise VideoError(inp.name, "no frame could be decoded")
    for packet in stream.encode():
        out.mux(packet)


def _add_stream(out, codec: str, size: tuple[int, int], fps: float, crf: int, tb: Fraction):
    rate = Fraction(fps).limit_denominator(1001)
    stream = out.add_stream(codec, rate=rate)
    stream.width, stream.height = size
    stream.codec_context.time_base = tb
    if codec == "gif":
        stream.pix_fmt = "rgb8"
    else:
        stream.pix_fmt = "yuv420p"
        if codec == "libx264":
            stream.options = {"crf": str(crf), "preset": "veryfast"}
        elif codec == "libvpx":
            stream.options = {"crf": "10", "b": "2M"}
        elif codec == "mpeg4":
            stream.options = {"qscale": "3"}
            stream.bit_rate = 4_000_000
    return stream
