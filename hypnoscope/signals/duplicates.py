"""Repeated frames and the cadence of new pictures.

The decoder compares every source frame, sampled or not, with the first copy of the current
picture (:class:`hypnoscope.media.decode.PictureFingerprint`), so duplicates that the analysis
rate skips are still counted. This extractor turns those counts into series; the other
extractors time motion between distinct pictures with ``ctx.dt`` (from ``content_t``), so a
duplicate never reads as stillness, smoothness or jerk.
"""

from __future__ import annotations

import numpy as np

from hypnoscope.signals.context import FrameContext


class DuplicateExtractor:
    """Per analysis frame: the share of repeated source frames since the previous analysis
    frame, their count, and when the frame's picture first appeared."""

    name = "duplicates"

    def __init__(self) -> None:
        self._share: list[float] = []
        self._count: list[float] = []
        self._content_t: list[float] = []

    def update(self, ctx: FrameContext) -> None:
        n = ctx.frame.source_frames
        rep = ctx.frame.source_repeats
        if n and rep is not None:
            self._count.append(float(n))
            self._share.append(rep / n)
        else:  # frames not from the decoder: one frame, repeated when the context says so
            self._count.append(1.0)
            self._share.append(1.0 if ctx.is_duplicate else 0.0)
        self._content_t.append(ctx.content_t)

    def series(self) -> dict[str, np.ndarray]:
        return {"duplicate": np.asarray(self._share, dtype=float),
                "source_frames": np.asarray(self._count, dtype=float),
                "content_t": np.asarray(self._content_t, dtype=float)}

    def units(self) -> dict[str, str]:
        return {"duplicate": "share 0..1 of the source frames since the previous analysis "
                             "frame that repeat their picture",
                "source_frames": "source frames decoded since the previous analysis frame",
                "content_t": "s, when the frame's picture first appeared"}

    def events(self) -> dict[str, list[float]]:
        return {}
