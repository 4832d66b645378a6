"""Measure an edit of several clips before it is written.

The output frames of an :class:`~hypnoscope.intent.edl.EditList` at the canvas rate are
assembled from the clips' in-memory frames (a dissolve blends two of them), sampled at the
analysis rate exactly as the decoder samples the written file, and fed to the extractors of
the tension curve (:func:`hypnoscope.intent.measure.tension_extractors`): the effect of an
edit is measured with the model, never assumed.
"""

from __future__ import annotations

import numpy as np

from hypnoscope.analysis import run_extractors
from hypnoscope.intent.arcs import Arc
from hypnoscope.intent.clips import Canvas, Clip
from hypnoscope.intent.edl import EditList
from hypnoscope.intent.gap import IntentGap, gap_from_curve
from hypnoscope.intent.measure import CachedFlow, Measured, sampled_indices, tension_extractors
from hypnoscope.media.decode import Frame

#: Dissolve weights are rounded to this step, so blended frames can be cached and reused.
BLEND_STEP = 0.05


class Assembler:
    """Builds and measures edits of ``clips`` on ``canvas``, caching optical flow and
    blended frames across candidates (the cache keys are the frames' identities, so the
    blended frames are kept alive here)."""

    def __init__(self, clips: list[Clip], canvas: Canvas, max_flow_items: int = 4000):
        self.clips = clips
        self.canvas = canvas
        self.flow = CachedFlow(max_items=max_flow_items)
        self._blends: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
        self.measurements = 0

    def _frame(self, clip: int, src_t: float) -> tuple[int, int]:
        s = self.clips[clip].src
        return clip, int(s.index_at(np.array([src_t]))[0])

    def _pixels(self, key: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        s = self.clips[key[0]].src
        return s.gray[key[1]], s.rgb[key[1]]

    def _blend(self, a: tuple[int, int], b: tuple[int, int], w: float
               ) -> tuple[np.ndarray, np.ndarray]:
        """Frame ``a`` dissolved toward ``b`` with weight ``w`` of ``b`` (cached)."""
        key = (a, b, w)
        got = self._blends.get(key)
        if got is None:
            ga, ca = self._pixels(a)
            gb, cb = self._pixels(b)
            g = np.round((1 - w) * ga.astype(np.float32) + w * gb).astype(np.uint8)
            c = np.round((1 - w) * ca.astype(np.float32) + w * cb).astype(np.uint8)
            got = self._blends[key] = (g, c)
        return got

    def output_frames(self, edl: EditList) -> list[tuple[np.ndarray, np.ndarray]]:
        """(gray, rgb) of every output frame at the canvas rate, at the analysis size."""
        out = []
        for shot, src, other, osrc, w in edl.frame_plan(self.canvas.fps):
            main = self._frame(edl.shots[shot].clip, src)
            w = round(w / BLEND_STEP) * BLEND_STEP
            if other < 0 or w <= 0:
                out.append(self._pixels(main))
                continue
            sec = self._frame(edl.shots[other].clip, osrc)
            out.append(self._pixels(sec) if w >= 1 else self._blend(main, sec, w))
        return out

    def measure(self, edl: EditList) -> Measured:
        """The tension curve of the assembled edit (analysis times in s)."""
        frames = self.output_frames(edl)
        fps = self.canvas.fps
        keep = sampled_indices(len(frames), fps)
        seq = (Frame(index=j, t=float(k / fps), gray=frames[k][0], rgb=frames[k][1])
               for j, k in enumerate(keep))
        extractors = tension_extractors()
        t = run_extractors(seq, extractors, flow_engine=self.flow)
        series: dict[str, np.ndarray] = {}
        events: dict[str, list[float]] = {}
        for ex in extractors:
            series.update(ex.series())
            events.update(ex.events())
        self.measurements += 1
        return Measured(t, series["tension"], len(frames) / fps, events.get("cuts", []))

    def gap(self, edl: EditList, arc: Arc) -> tuple[IntentGap, Measured]:
        """The intent gap of the assembled edit, measured."""
        m = self.measure(edl)
        return gap_from_curve(m.t, m.tension, m.duration_s, arc), m
