"""The single pass: decode → frame contexts → extractors → series → metrics."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hypnoscope._version import __version__
from hypnoscope.media.decode import DecodeOptions, SourceFacts, VideoReader
from hypnoscope.metrics import (
    DEFAULT_WINDOW_S,
    SignalSet,
    Window,
    compute_metrics,
    compute_windows,
    metric_specs,
)
from hypnoscope.signals import Extractor, FlowEngine, FrameContext, default_extractors
from hypnoscope.signals.keyframes import Keyframe, KeyframeExtractor

#: Version of the JSON document written by :meth:`Analysis.to_json`.
SCHEMA_VERSION = "1.0"


@dataclass
class Analysis:
    """Everything measured on one video.

    ``times`` are the analysis frames' timestamps in seconds; ``series`` maps a signal name
    to one value per frame (NumPy arrays); ``metrics`` maps a metric name to its value over
    the whole video; ``windows`` holds the same metrics on fixed-length windows.
    """

    source: SourceFacts
    options: dict[str, Any]
    times: np.ndarray
    series: dict[str, np.ndarray]
    series_units: dict[str, str]
    events: dict[str, list[float]]
    metrics: dict[str, float]
    windows: list[Window]
    window_s: float
    version: str = __version__
    extras: dict[str, Any] = field(default_factory=dict)
    keyframes: list[Keyframe] = field(default_factory=list)

    @property
    def cuts(self) -> list[float]:
        """Hard-cut times in seconds."""
        return list(self.events.get("cuts", []))

    @property
    def scores(self) -> dict[str, Any] | None:
        """The calibrated model's verdict (``ai_likeness``, ``hypnotic_index``, ``reasons``,
        ``factors``, per-window ``windows``; or ``status`` ``insufficient`` with a
        ``reason``), None when the analysis was not scored."""
        return self.extras.get("scores")

    def signal_set(self) -> SignalSet:
        """The series as a :class:`SignalSet` over the whole video."""
        return SignalSet(t=self.times, series=self.series, events=self.events,
                         start=0.0, end=self.source.duration_s)

    def to_dict(self, keyframes: bool = False) -> dict[str, Any]:
        """The versioned JSON document as plain Python objects (nan → None); with
        ``keyframes``, also the thumbnails (JPEG as base64, about 5 kB each)."""
        specs = metric_specs()
        doc = {
            "schema_version": SCHEMA_VERSION,
            "hypnoscope_version": self.version,
            "source": self.source.to_dict(),
            "options": dict(self.options),
            "frames": {"t": _clean(self.times)},
            "series": {k: _clean(v) for k, v in self.series.items()},
            "series_units": dict(self.series_units),
            "events": {k: [round(float(x), 4) for x in v] for k, v in self.events.items()},
            "metrics": {
                k: {"value": _num(v), "unit": specs[k].unit if k in specs else "",
                    "factor": specs[k].factor if k in specs else ""}
                for k, v in self.metrics.items()
            },
            "windows": {
                "length_s": self.window_s,
                "items": [{"start_s": w.start, "end_s": w.end,
                           "metrics": {k: _num(v) for k, v in w.metrics.items()}}
                          for w in self.windows],
            },
            **self.extras,
        }
        if keyframes and self.keyframes:
            doc["keyframes"] = [k.to_dict() for k in self.keyframes]
        return doc

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Analysis:
        """An :class:`Analysis` rebuilt from its JSON document (:meth:`to_dict`), without
        decoding anything. Unknown top-level keys go to ``extras``."""
        known = {f.name for f in dataclasses.fields(SourceFacts)}
        src = doc.get("source") or {}
        facts = SourceFacts(**{k: v for k, v in src.items() if k in known})
        facts.notes = list(facts.notes or [])
        facts.tags = dict(facts.tags or {})
        times = _array((doc.get("frames") or {}).get("t", []))
        windows_doc = doc.get("windows") or {}
        window_s = float(windows_doc.get("length_s")
                         or (doc.get("options") or {}).get("window_s") or DEFAULT_WINDOW_S)
        metrics = {k: _value(m.get("value") if isinstance(m, dict) else m)
                   for k, m in (doc.get("metrics") or {}).items()}
        return cls(
            source=facts,
            options=dict(doc.get("options") or {}),
            times=times,
            series={k: _array(v) for k, v in (doc.get("series") or {}).items()},
            series_units=dict(doc.get("series_units") or {}),
            events={k: [float(x) for x in v] for k, v in (doc.get("events") or {}).items()},
            metrics=metrics,
            windows=[Window(float(w["start_s"]), float(w["end_s"]),
                            {k: _value(v) for k, v in (w.get("metrics") or {}).items()})
                     for w in windows_doc.get("items") or []],
            window_s=window_s,
            version=str(doc.get("hypnoscope_version") or ""),
            extras={k: v for k, v in doc.items() if k not in DOCUMENT_KEYS},
            keyframes=[Keyframe.from_dict(k) for k in doc.get("keyframes") or []],
        )


#: Top-level keys of the JSON document that :class:`Analysis` holds in its own fields.
DOCUMENT_KEYS = frozenset({"schema_version", "hypnoscope_version", "source", "options",
                           "frames", "series", "series_units", "events", "metrics",
                           "windows", "keyframes"})


#: What each top-level key of a schema-1 document holds (``keyframes`` and extras optional).
_REQUIRED: dict[str, type] = {"schema_version": str, "source": dict, "options": dict,
                              "frames": dict, "series": dict, "events": dict,
                              "metrics": dict, "windows": dict}


def check_document(doc: Any) -> None:
    """Raise ValueError (one line, the cause) unless ``doc`` is an analysis document this
    version reads: a dict whose ``schema_version`` has the major version of
    :data:`SCHEMA_VERSION` (a later minor version only adds keys) and holds every key of
    :meth:`Analysis.to_dict` with the right type."""
    if not isinstance(doc, dict):
        raise ValueError(f"a JSON {type(doc).__name__}, not an analysis document (an object)")
    if "schema_version" not in doc:
        raise ValueError("no schema_version: not a hypnoscope analysis document")
    version = doc["schema_version"]
    major = SCHEMA_VERSION.split(".")[0]
    if not isinstance(version, str) or version.split(".")[0] != major:
        raise ValueError(f"schema_version {json.dumps(version)[:40]} is not one this "
                         f"hypnoscope reads ({major}.x; it writes {SCHEMA_VERSION})")
    for key, kind in _REQUIRED.items():
        if key not in doc:
            raise ValueError(f"schema {version} document without its {key!r} part")
        if not isinstance(doc[key], kind):
            raise ValueError(f"{key!r} is a JSON {type(doc[key]).__name__}, not an "
                             f"{'object' if kind is dict else 'string'}")
    if not isinstance(doc["frames"].get("t"), list):
        raise ValueError("'frames' has no list of times 't'")
    if not isinstance(doc["windows"].get("items", []), list):
        raise ValueError("'windows' has no list of 'items'")


def _value(x: Any) -> float:
    return float("nan") if x is None else float(x)


def _array(values: Sequence[Any]) -> np.ndarray:
    return np.array([_value(v) for v in values], dtype=float)


def _num(x: float) -> float | None:
    x = float(x)
    return None if not math.isfinite(x) else x  # full precision: exact round trip


def _clean(a: np.ndarray) -> list[float | None]:
    return [_num(v) for v in np.asarray(a, dtype=float)]


def run_extractors(reader: VideoReader, extractors: Sequence[Extractor],
                   flow_engine: FlowEngine | None = None,
                   timings: dict[str, float] | None = None) -> np.ndarray:
    """Feed every analysis frame of ``reader`` to every extractor, once. Returns the times.

    Only the current frame, the next one and the previous distinct one are held in memory.
    While the extractors work on one frame, a helper thread prepares the next frame's
    shared intermediates (optical flow, warps, histograms: those the extractors asked for
    on the frames before, see :meth:`FrameContext.prepare`), so the two cores share the
    work; every value is the one the extractors would have computed themselves. When
    ``timings`` is given, it receives the seconds spent in each extractor's ``update`` (an
    intermediate not prepared ahead is charged to the first extractor that asks for it),
    in ``"decode"`` (waiting for decoding, scaling and sampling) and in ``"context"``
    (waiting for the helper thread).
    """
    flow_engine = flow_engine or FlowEngine()
    times: list[float] = []
    clock = time.perf_counter
    frames = iter(reader)
    wanted: set[str] = set()  # intermediates the extractors asked for so far

    def charge(key: str, t0: float) -> None:
        if timings is not None:
            timings[key] = timings.get(key, 0.0) + clock() - t0

    def following(prev: FrameContext | None) -> FrameContext | None:
        t0 = clock()
        frame = next(frames, None)
        charge("decode", t0)
        return None if frame is None else FrameContext(frame, prev, flow_engine)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="hypnoscope-context") as pool:
        ctx = following(None)
        prepared = None
        while ctx is not None:
            prev = ctx if not ctx.is_duplicate else ctx.prev
            if prepared is not None:
                t0 = clock()
                prepared.result()
                charge("context", t0)
            nxt = following(prev)
            prepared = (pool.submit(nxt.prepare, set(wanted))
                        if nxt is not None and wanted and not nxt.is_duplicate else None)
            for ex in extractors:
                if timings is None:
                    ex.update(ctx)
                    continue
                t0 = clock()
                ex.update(ctx)
                charge(ex.name, t0)
            times.append(ctx.frame.t)
            if ctx.prev is not None and not ctx.is_duplicate:
                wanted |= ctx.computed()
            if not ctx.is_duplicate:
                ctx.release()
            ctx = nxt
    return np.asarray(times, dtype=float)


def refine_spans(path: str | os.PathLike, extractors: Sequence[Extractor],
                 timings: dict[str, float] | None = None) -> None:
    """Let extractors that place events on exact source frames (``refine``, e.g. the cut
    extractor) decode again the short spans the pass left undecoded; the seconds go to
    ``timings["refine"]``."""
    pending = [ex for ex in extractors if hasattr(ex, "refine")]
    if not pending:
        return
    from hypnoscope.media.span import SpanReader

    t0 = time.perf_counter()
    with SpanReader(path) as spans:
        for ex in pending:
            ex.refine(spans)
    if timings is not None:
        timings["refine"] = timings.get("refine", 0.0) + time.perf_counter() - t0


def analyze(path: str | os.PathLike, *, height: int = DecodeOptions.height,
            fps: float = DecodeOptions.fps, window_s: float = DEFAULT_WINDOW_S,
            extractors: Sequence[Extractor] | None = None,
            on_progress: Callable[[float, float], None] | None = None,
            timings: dict[str, float] | None = None, keyframes: bool = True,
            model: Any = "default") -> Analysis:
    """Analyze one video in a single decode pass.

    ``height`` is the analysis height in px, ``fps`` the canonical analysis rate in frames/s,
    ``window_s`` the length of the fixed windows in s; ``timings``, when given, receives the
    seconds spent decoding and in each extractor; ``keyframes`` keeps small thumbnails for
    reports (in the same pass); ``model`` is the calibrated model that scores the result
    (``"default"``: the one shipped in the package, None: no scores). Raises
    :class:`hypnoscope.errors.VideoError` when the file cannot be analyzed.
    """
    options = DecodeOptions(height=height, fps=fps)
    extractors = list(extractors) if extractors is not None else default_extractors()
    if keyframes and not any(isinstance(ex, KeyframeExtractor) for ex in extractors):
        extractors.append(KeyframeExtractor())
    with VideoReader(path, options, on_progress=on_progress) as reader:
        times = run_extractors(reader, extractors, timings=timings)
        facts = reader.facts
    refine_spans(path, extractors, timings)
    series: dict[str, np.ndarray] = {}
    units: dict[str, str] = {}
    events: dict[str, list[float]] = {}
    for ex in extractors:
        series.update(ex.series())
        units.update(ex.units())
        events.update(ex.events())
    artifacts: dict[str, Any] = {}
    for ex in extractors:
        if hasattr(ex, "artifacts"):
            artifacts.update(ex.artifacts(events))
    sig = SignalSet(t=times, series=series, events=events, start=0.0, end=facts.duration_s)
    metrics = compute_metrics(sig)
    extras: dict[str, Any] = {}
    if "shots" in artifacts:  # cuts and transitions with source frames and kinds
        extras["shots"] = artifacts["shots"]
    if isinstance(model, str) and model == "default":
        from hypnoscope.scoring.model import load_default_model

        model = load_default_model()
    if model is not None:
        from hypnoscope.scoring.score import score_signals

        extras["scores"] = score_signals(sig, model, whole=metrics)
    return Analysis(
        source=facts,
        options={"height": options.height, "fps": options.fps, "window_s": window_s},
        times=times,
        series=series,
        series_units=units,
        events=events,
        metrics=metrics,
        windows=compute_windows(sig, window_s),
        window_s=window_s,
        extras=extras,
        keyframes=list(artifacts.get("keyframes", [])),
    )
