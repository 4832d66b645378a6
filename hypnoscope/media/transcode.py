"""Re-encode a video to a common format: the tool that proves format is not evidence.

One streaming pass with PyAV: frames are taken by timestamp at the target rate (a slower
clip keeps its own frames, never up-sampled: duplicated frames would leak its native rate),
scaled in swscale to the target height, turned upright, optionally trimmed, and encoded to the
container and codec that the output's extension names (``.mp4`` H.264, ``.mkv`` H.264,
``.webm`` VP8, ``.avi`` MPEG-4 Part 2 with PyAV; ``.gif`` with an adaptive dithered palette
per frame by Pillow).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from fractions import Fraction

import av
import av.video.reformatter
import numpy as np

from hypnoscope.errors import VideoError
from hypnoscope.media.decode import TimestampSampler, VideoReader

#: Bumped whenever the same arguments would write different pictures (a cache of copies, such
#: as ``evaluate --work``, keys its files by it): 2 = frames kept by the decoder's sampler,
#: H.264 written reproducibly.
RECIPE_VERSION = 2

CODEC_BY_EXT = {".mp4": "libx264", ".mkv": "libx264", ".mov": "libx264", ".webm": "libvpx",
                ".avi": "mpeg4", ".gif": "gif"}


def transcode(src: str | os.PathLike, dst: str | os.PathLike, *, height: int | None = None,
              fps: float | None = None, max_seconds: float | None = None,
              crf: int = 20, upscale: bool = False, reproducible: bool = False) -> str:
    """Write ``src`` to ``dst`` at ``height`` px (None: keep), at most ``fps`` frames/s
    (None: keep every frame) and at most ``max_seconds`` s long; a smaller clip is scaled up
    to ``height`` only with ``upscale``. With ``reproducible``, H.264 is written the same,
    byte for byte, in any process (see :func:`configure_encoder`). Returns ``dst``.

    Raises :class:`VideoError` when ``src`` cannot be read.
    """
    src, dst = os.fspath(src), os.fspath(dst)
    ext = os.path.splitext(dst)[1].lower()
    if ext not in CODEC_BY_EXT:
        raise ValueError(f"unsupported output extension {ext!r}: use one of "
                         f"{', '.join(sorted(CODEC_BY_EXT))}")
    codec = CODEC_BY_EXT[ext]
    tmp = dst + ".part" + ext
    # open() checks the file and raises a one-line VideoError when it is unusable; the
    # frames then come through the decoder's own path (timestamps, corrupt frames, demuxer
    # errors handled as in an analysis)
    with VideoReader(src) as reader:
        try:
            frames = _upright_rgb_frames(reader, height, fps, max_seconds, upscale)
            if codec == "gif":
                _write_gif(tmp, frames)
            else:
                with av.open(tmp, "w", format=_muxer(ext)) as out:
                    _write_av(out, codec, frames, fps or reader.facts.nominal_fps or 25.0,
                              crf, reproducible)
            os.replace(tmp, dst)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    return dst


def _muxer(ext: str) -> str:
    return {".mp4": "mp4", ".mkv": "matroska", ".mov": "mov", ".webm": "webm",
            ".avi": "avi"}[ext]


def _upright_rgb_frames(reader: VideoReader, height: int | None, fps: float | None,
                        max_seconds: float | None, upscale: bool
                        ) -> Iterator[tuple[float, np.ndarray]]:
    """(t in s from the first frame, upright RGB frame at the target height) for every
    source frame of ``reader`` (:meth:`VideoReader.native_frames`) kept at ``fps`` by the
    decoder's own rule (:class:`hypnoscope.media.decode.TimestampSampler`: the first frame at or
    after each 1/fps step, never a frame twice).

    Frames go through RGB on purpose: swscale reads the colour range of full-range sources
    (yuvj*) there, and a fresh RGB frame carries no range tag into the encoder."""
    ref = av.video.reformatter.VideoReformatter()
    rate = reader.facts.nominal_fps
    sampler = TimestampSampler(fps, rate or fps) if fps else None
    size, rot = None, 0
    for t, frame in reader.native_frames():
        if size is None:
            rot = int(round((frame.rotation or 0) / 90.0)) * 90 % 360
            w, h = (frame.height, frame.width) if rot % 180 else (frame.width, frame.height)
            th = (height or h) if upscale else min(height or h, h)
            th -= th % 2
            tw = max(2, int(round(th * w / h / 2)) * 2)
            size = (th, tw) if rot % 180 else (tw, th)
        if max_seconds is not None and t >= max_seconds - 1e-6:
            break
        if sampler is not None and not sampler.keep(t):
            continue
        rgb = ref.reformat(frame, width=size[0], height=size[1], format="rgb24",
                           interpolation="AREA").to_ndarray()
        if rot:
            rgb = np.ascontiguousarray(np.rot90(rgb, rot // 90))
        yield t, rgb
    if size is None:
        raise VideoError(reader.path, "no frame could be decoded")


def _write_av(out, codec: str, frames: Iterable[tuple[float, np.ndarray]], fps: float,
              crf: int, reproducible: bool = False) -> None:
    """Encode with PyAV at millisecond timestamps (so a variable rate survives)."""
    tb = Fraction(1, 1000)
    stream = None
    last_pts = -1
    for t, rgb in frames:
        if stream is None:
            stream = _add_stream(out, codec, (rgb.shape[1], rgb.shape[0]), fps, crf, tb,
                                 reproducible)
        pts = int(round(t / tb))
        if pts <= last_pts:
            continue
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
        frame.pts, frame.time_base = pts, tb
        last_pts = pts
        for packet in stream.encode(frame):
            out.mux(packet)
    for packet in stream.encode():
        out.mux(packet)


def _write_gif(path: str, frames: Iterable[tuple[float, np.ndarray]]) -> None:
    """An animated GIF with an adaptive palette and dithering per frame (as generators'
    GIF writers make them), written by Pillow; frame delays in centiseconds as GIF stores
    them. The frames are held in memory (GIF is for short clips)."""
    from PIL import Image

    items = list(frames)
    times = [t for t, _ in items] + [items[-1][0] + (
        items[-1][0] - items[-2][0] if len(items) > 1 else 0.1)]
    stamps = np.round(np.asarray(times) * 100).astype(int)  # centiseconds
    durations = [max(int(d), 1) * 10 for d in np.diff(stamps)]
    images = [Image.fromarray(rgb).quantize(colors=256, method=Image.Quantize.MEDIANCUT,
                                             dither=Image.Dither.FLOYDSTEINBERG)
              for _, rgb in items]
    images[0].save(path, format="GIF", save_all=True, append_images=images[1:],
                   duration=durations, loop=0, optimize=False, disposal=1)


def configure_encoder(stream, codec: str, crf: int = 20, reproducible: bool = False) -> None:
    """Quality settings of the encoders hypnoscope writes with: x264 at ``crf`` (veryfast),
    VP8 at crf 10 / 2 Mbit/s, MPEG-4 Part 2 at qscale 3.

    ``reproducible`` runs x264 on one thread and without its assembly routines. With
    either, the x264 of the PyAV wheels writes slightly different pictures for the same
    frames depending on what the process did before (measured: one clip encoded before and
    after an analysis in the same process differs by up to 40 gray levels at a few pixels;
    assembly and threads each cause it on some clips), so an evaluation on transcoded copies
    would change from run to run. Without both it is the same byte for byte. It costs
    nothing on the evaluation's small copies and about twice the time at 720p.
    """
    if codec == "libx264":
        stream.options = {"crf": str(crf), "preset": "veryfast"}
        if reproducible:
            stream.options = {**stream.options, "threads": "1",
                              "x264-params": "no-asm=1:threads=1:lookahead-threads=1"}
    elif codec == "libvpx":
        stream.options = {"crf": "10", "b": "2M"}
    elif codec == "mpeg4":
        stream.options = {"qscale": "3"}
        stream.bit_rate = 4_000_000


def _add_stream(out, codec: str, size: tuple[int, int], fps: float, crf: int, tb: Fraction,
                reproducible: bool = False):
    rate = Fraction(fps).limit_denominator(1001)
    stream = out.add_stream(codec, rate=rate)
    stream.width, stream.height = size
    stream.codec_context.time_base = tb
    stream.pix_fmt = "yuv420p"
    configure_encoder(stream, codec, crf, reproducible)
    return stream
