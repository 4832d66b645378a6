"""A short span of a video decoded again, for what the streaming pass left undecoded.

The analysis pass may leave out source frames it does not read (see
:class:`hypnoscope.media.decode.SkipPlan`). Placing a hard cut on its exact frame needs the
frames around it: this module seeks to the keyframe at or before the span and decodes
forward to its end, every frame, and returns their fingerprints (and small gray pictures, to
check a candidate cut against motion). Times are seconds from the video's first frame, as in
the pass.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import av
import numpy as np

from hypnoscope.media.decode import PictureFingerprint

#: Slack (s) when comparing a decoded frame's time with the span's ends.
_EPS = 1e-4
#: Packets this long (s) before a span are still decoded whole: a B-frame's packet can be
#: stamped slightly before the first frame it must show.
_PREROLL_EPS = 0.5
#: Width (px) of the gray pictures :meth:`SpanReader.frames` returns.
PICTURE_WIDTH = 160


class SpanReader:
    """Decodes short spans of one video again (opened on first use, closed by
    :meth:`close`). Never raises on a damaged file: a span it cannot decode is empty."""

    def __init__(self, path: str | os.PathLike):
        self.path = os.fspath(path)
        self._container = None
        self._t0: float | None = None
        self._fingerprint = PictureFingerprint()
        self._reformatter = av.video.reformatter.VideoReformatter()

    def _open(self) -> None:
        self._container = av.open(self.path, metadata_errors="ignore")
        stream = self._container.streams.video[0]
        stream.thread_type = "AUTO"
        for fr in self._container.decode(stream):  # the time origin: the first frame
            if fr.time is not None:
                self._t0 = float(fr.time)
                break

    def __call__(self, t_from: float, t_to: float) -> list[tuple[float, np.ndarray]]:
        """(time in s, fingerprint) of every frame with a time in [t_from, t_to] (s from
        the first frame), in order."""
        return self._span(t_from, t_to, self._fingerprint)

    def frames(self, t_from: float, t_to: float, width: int = PICTURE_WIDTH
               ) -> list[tuple[float, np.ndarray, np.ndarray]]:
        """(time in s, fingerprint, gray picture) of every frame with a time in [t_from,
        t_to], in order: the picture is uint8, ``width`` px wide (area-averaged, so sensor
        noise averages out), its height keeping the stored aspect ratio."""
        def both(fr: av.VideoFrame) -> tuple[np.ndarray, np.ndarray]:
            h = max(2, 2 * round(width * fr.height / max(1, fr.width) / 2))
            pic = self._reformatter.reformat(fr, width=width, height=h, format="gray",
                                             interpolation="AREA").to_ndarray()
            return self._fingerprint(fr), pic
        return [(t, fp, pic) for t, (fp, pic) in self._span(t_from, t_to, both)]

    def _span(self, t_from: float, t_to: float,
              convert: Callable[[av.VideoFrame], Any]) -> list[tuple[float, Any]]:
        try:
            if self._container is None:
                self._open()
            if self._t0 is None:
                return []
            stream = self._container.streams.video[0]
            tb = stream.time_base
            self._container.seek(int((self._t0 + t_from) / tb), stream=stream,
                                 backward=True, any_frame=False)
            cc = stream.codec_context
            out: list[tuple[float, np.ndarray]] = []
            skipping = False
            try:
                for packet in self._container.demux(stream):
                    # the pre-roll from the keyframe: frames no other frame refers to are
                    # not needed (most B-frames), so FFmpeg drops them undecoded
                    early = (packet.pts is not None and packet.size > 0
                             and float(packet.pts * tb) - self._t0 < t_from - _PREROLL_EPS)
                    if early != skipping:
                        cc.skip_frame = "NONREF" if early else "DEFAULT"
                        skipping = early
                    if self._take(packet.decode(), t_from, t_to, convert, out):
                        return out
            finally:
                cc.skip_frame = "DEFAULT"
            return out
        except (av.error.FFmpegError, OSError, ValueError, IndexError):
            return []

    def _take(self, frames, t_from: float, t_to: float,
              convert: Callable[[av.VideoFrame], Any], out: list[tuple[float, Any]]
              ) -> bool:
        """Append the ``frames`` inside [t_from, t_to] to ``out``; True once past t_to."""
        for fr in frames:
            if fr.time is None:
                continue
            t = float(fr.time) - self._t0
            if t > t_to + _EPS:
                return True
            if t >= t_from - _EPS and (not out or t > out[-1][0] + _EPS):
                out.append((t, convert(fr)))
        return False

    def close(self) -> None:
        if self._container is not None:
            self._container.close()
            self._container = None

    def __enter__(self) -> SpanReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
