"""Measure an edit before it is written: the edited frame sequence through the real model.

The source is decoded once into its frames at the analysis size (every native frame, kept in
memory: steering is for short clips). An edit plan maps each output frame to a source frame;
the output frames are sampled at the analysis rate exactly as the decoder would sample the
written file, and fed to the same extractors that :func:`hypnoscope.analyze` uses for the
tension curve. Nothing about the effect of an edit is guessed: it is measured.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from hypnoscope.analysis import run_extractors
from hypnoscope.intent.arcs import Arc
from hypnoscope.intent.gap import IntentGap, gap_from_curve
from hypnoscope.intent.plan import EditPlan
from hypnoscope.media.decode import (
    DEFAULT_FPS,
    DEFAULT_HEIGHT,
    DecodeOptions,
    Frame,
    SourceFacts,
    TimestampSampler,
    VideoReader,
)
from hypnoscope.signals import CutExtractor, FlowEngine, SurpriseExtractor

#: At most this many source frames are kept in memory (about 0.23 MB each at 320x180);
#: a longer clip is kept at a lower rate.
MAX_FRAMES = 2400
#: Highest decode rate the reader accepts, frames/s.
MAX_RATE = 120.0


@dataclass
class SourceFrames:
    """The source's frames at the analysis size: ``times`` (s from the first frame),
    ``gray`` and ``rgb`` arrays, the output frame rate ``fps`` and the clip's duration."""

    times: np.ndarray
    gray: list[np.ndarray]
    rgb: list[np.ndarray]
    fps: float
    duration_s: float
    facts: SourceFacts
    notes: list[str] = field(default_factory=list)

    def index_at(self, src_t: np.ndarray) -> np.ndarray:
        """Index of the source frame on screen at each source time (s)."""
        i = np.searchsorted(self.times, np.asarray(src_t, dtype=float) + 1e-6, side="right")
        return np.clip(i - 1, 0, len(self.times) - 1)


def load_source(path: str | os.PathLike, height: int = DEFAULT_HEIGHT) -> SourceFrames:
    """Decode ``path`` once into memory at the analysis ``height`` (every native frame up to
    :data:`MAX_FRAMES`). Raises :class:`hypnoscope.VideoError` for an unusable file."""
    with VideoReader(path, DecodeOptions(height=height, fps=MAX_RATE,
                                         native_crop_every=0)) as probe:
        declared = probe.facts.declared_duration_s or 0.0
        nominal = probe.facts.nominal_fps or DEFAULT_FPS
    rate = MAX_RATE
    notes = []
    if declared * min(nominal, MAX_RATE) > MAX_FRAMES:
        rate = max(DEFAULT_FPS, MAX_FRAMES / declared)
        notes.append(f"long clip: kept at {rate:.1f} frames/s in memory for the search")
    with VideoReader(path, DecodeOptions(height=height, fps=rate,
                                         native_crop_every=0)) as reader:
        frames = list(reader)
        facts = reader.facts
    fps = facts.nominal_fps or facts.measured_fps or DEFAULT_FPS
    if facts.measured_fps and (not facts.nominal_fps or facts.nominal_fps > 2 * facts.measured_fps):
        fps = facts.measured_fps  # a nonsense nominal rate (e.g. 1000 for some GIFs)
    fps = min(fps, rate)
    return SourceFrames(times=np.array([f.t for f in frames]),
                        gray=[f.gray for f in frames], rgb=[f.rgb for f in frames],
                        fps=float(fps), duration_s=facts.duration_s, facts=facts,
                        notes=notes)


def output_frame_count(plan: EditPlan, fps: float) -> int:
    """Frames in the written clip: its duration at ``fps``, at least 2."""
    return max(2, int(round(plan.output_duration * fps)))


def output_sources(plan: EditPlan, src: SourceFrames) -> np.ndarray:
    """Source frame index of every output frame (output frame k is at k / fps s)."""
    n = output_frame_count(plan, src.fps)
    t_out = np.arange(n) / src.fps
    return src.index_at(plan.source_time(t_out))


def sampled_indices(n: int, fps: float, analysis_fps: float = DEFAULT_FPS) -> np.ndarray:
    """Which of ``n`` frames at ``fps`` the decoder keeps at ``analysis_fps`` (its own
    :class:`hypnoscope.media.decode.TimestampSampler`)."""
    sampler = TimestampSampler(analysis_fps, fps)
    return np.asarray([k for k in range(n) if sampler.keep(k / fps)], dtype=int)


class CachedFlow(FlowEngine):
    """DIS flow that remembers the flow of each (previous, current) source frame pair, so a
    pair measured for one candidate edit is not computed again for the next (the result is
    the same array DIS returned; memory bounded by ``max_items``)."""

    def __init__(self, max_items: int = 300):
        super().__init__()
        self._cache: OrderedDict[tuple[int, int], np.ndarray] = OrderedDict()
        self.max_items = max_items
        self.hits = self.misses = 0

    def __call__(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        key = (id(a), id(b))
        got = self._cache.get(key)
        if got is not None:
            self._cache.move_to_end(key)
            self.hits += 1
            return got
        self.misses += 1
        flow = super().__call__(a, b)
        flow.setflags(write=False)
        self._cache[key] = flow
        if len(self._cache) > self.max_items:
            self._cache.popitem(last=False)
        return flow


def tension_extractors() -> list:
    """The extractors the tension curve needs (cuts feed the cut impulses of surprise's
    tension), as in :func:`hypnoscope.signals.default_extractors`."""
    cuts = CutExtractor()
    return [cuts, SurpriseExtractor(cut_source=cuts)]


@dataclass
class Measured:
    """The measured tension of an edited sequence: analysis times (s), tension, and the
    duration of the edited clip (s)."""

    t: np.ndarray
    tension: np.ndarray
    duration_s: float
    cuts: list[float]


def measure_plan(plan: EditPlan, src: SourceFrames, flow: FlowEngine | None = None,
                 analysis_fps: float = DEFAULT_FPS) -> Measured:
    """Run the tension model on the edited sequence of ``plan`` (no file is written)."""
    idx = output_sources(plan, src)
    n = len(idx)
    keep = sampled_indices(n, src.fps, analysis_fps)
    frames = (Frame(index=j, t=float(k / src.fps), gray=src.gray[idx[k]], rgb=src.rgb[idx[k]])
              for j, k in enumerate(keep))
    extractors = tension_extractors()
    t = run_extractors(frames, extractors, flow_engine=flow or FlowEngine())
    series: dict[str, np.ndarray] = {}
    events: dict[str, list[float]] = {}
    for ex in extractors:
        series.update(ex.series())
        events.update(ex.events())
    return Measured(t, series["tension"], n / src.fps, events.get("cuts", []))


def measure_gap(plan: EditPlan, src: SourceFrames, arc: Arc,
                flow: FlowEngine | None = None) -> tuple[IntentGap, Measured]:
    """The intent gap of the edited sequence of ``plan``, measured."""
    m = measure_plan(plan, src, flow)
    return gap_from_curve(m.t, m.tension, m.duration_s, arc), m
