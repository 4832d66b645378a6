"""Steer a clip toward an intended arc: search an edit plan, write it, measure the result.

1. The source is analyzed with :func:`hypnoscope.analyze` (the gap *before*).
2. It is decoded once into memory at the analysis size, and the plan family is searched,
   every candidate measured with the tension model (:mod:`hypnoscope.intent.search`).
3. The best plan is written as H.264 MP4 at the source's resolution, audio re-timed
   (:mod:`hypnoscope.intent.render`), and the plan as JSON (an edit decision list).
4. The written file is analyzed with :func:`hypnoscope.analyze` (the gap *after*).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypnoscope._version import __version__
from hypnoscope.analysis import Analysis, analyze
from hypnoscope.intent.arcs import Arc, load_arc
from hypnoscope.intent.gap import IntentGap, intent_gap, outcome_tail, relative_drop
from hypnoscope.intent.measure import load_source
from hypnoscope.intent.plan import EditPlan, Limits, PlanParams
from hypnoscope.intent.render import write_edit
from hypnoscope.intent.search import search_plan
from hypnoscope.media.decode import DEFAULT_HEIGHT

#: Default number of candidate edits measured by the search.
DEFAULT_MAX_EVALS = 80


@dataclass
class SteerResult:
    """What :func:`steer` did: the plan, the gap before (measured on the source), predicted
    by the search (measured on the in-memory edit) and after (measured on the written
    file), and what it cost."""

    source: str
    output: str
    arc: Arc
    limits: Limits
    plan: EditPlan
    params: PlanParams
    gap_before: IntentGap
    gap_predicted: IntentGap
    gap_after: IntentGap
    analysis_after: Analysis
    evaluations: int
    search_s: float
    total_s: float
    render: dict[str, Any]
    plan_path: str | None = None
    otio_path: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def relative_drop(self) -> float:
        """(before - after) / before: the share of the gap the edit removed."""
        return relative_drop(self.gap_before, self.gap_after)

    def to_dict(self) -> dict[str, Any]:
        """The plan document: edit decision list, limits, gaps, costs."""
        return {
            "hypnoscope_version": __version__,
            "source": self.source,
            "output": self.output,
            "arc": self.arc.to_dict(self.plan.output_duration),
            "limits": self.limits.to_dict(),
            **self.plan.to_dict(),
            "parameters": self.params.to_dict(),
            "gap": {"before": round(self.gap_before.score, 2),
                    "predicted": round(self.gap_predicted.score, 2),
                    "after": round(self.gap_after.score, 2),
                    "relative_drop": round(self.relative_drop, 4)},
            "differences_before": [d.to_dict() for d in self.gap_before.differences],
            "differences_after": [d.to_dict() for d in self.gap_after.differences],
            **outcome_tail(self.render, self.evaluations, self.search_s, self.total_s,
                           self.otio_path, self.notes),
        }


def steer(path: str | os.PathLike, arc: Arc | str, out: str | os.PathLike, *,
          plan_out: str | os.PathLike | None = None,
          otio_out: str | os.PathLike | None = None, min_duration: float = 0.6,
          max_duration: float = 1.5, min_speed: float = 0.25, max_speed: float = 4.0,
          max_evals: int = DEFAULT_MAX_EVALS, budget_s: float | None = None,
          height: int = DEFAULT_HEIGHT, audio: bool = True,
          on_stage: Callable[[str], None] | None = None) -> SteerResult:
    """Re-time the video at ``path`` toward ``arc`` (an :class:`Arc`, a preset name or a
    .json/.csv path) and write it to ``out`` (MP4); write the plan to ``plan_out`` (JSON)
    and ``otio_out`` (OpenTimelineIO) when given. Output duration stays within
    ``min_duration``..``max_duration`` x the input's and every speed within
    ``min_speed``..``max_speed``; the search measures at most ``max_evals`` candidates
    (and stops after about ``budget_s`` s when given).

    Raises :class:`hypnoscope.VideoError` for an unusable video, :class:`ArcError` for a
    bad arc and ValueError for impossible limits."""
    t0 = time.perf_counter()
    arc = load_arc(arc)
    limits = Limits(min_duration, max_duration, min_speed, max_speed)
    stage = on_stage or (lambda _s: None)
    path, out = os.fspath(path), os.fspath(out)
    if os.path.splitext(out)[1].lower() not in {".mp4", ".m4v", ".mov"}:
        raise ValueError(f"output must be an .mp4 file, got {out!r}")
    if os.path.abspath(out) == os.path.abspath(path):
        raise ValueError("output would overwrite the source")
    stage("measuring the source")
    before = analyze(path, height=height, model=None)
    gap_before = intent_gap(before, arc)
    src = load_source(path, height=height)
    stage("searching an edit plan")
    found = search_plan(src, arc, limits, max_evals=max_evals, budget_s=budget_s)
    best = found.best
    stage("writing the edited clip")
    render = write_edit(best.plan, src, path, out, audio=audio)
    stage("measuring the edited clip")
    after = analyze(out, height=height, model=None)
    gap_after = intent_gap(after, arc)
    notes = list(src.notes)
    if render["audio"].startswith("dropped"):
        notes.append(f"audio {render['audio']}")
    if gap_after.score > gap_before.score:
        notes.append("the written clip measures further from the arc than the source")
    result = SteerResult(source=path, output=out, arc=arc, limits=limits, plan=best.plan,
                         params=best.params, gap_before=gap_before, gap_predicted=best.gap,
                         gap_after=gap_after, analysis_after=after,
                         evaluations=found.evaluations, search_s=found.seconds,
                         total_s=0.0, render=render, notes=notes)
    if otio_out is not None:
        from hypnoscope.intent.otio import steer_timeline, write_timeline

        result.otio_path = write_timeline(
            steer_timeline(best.plan, path, src.fps, name=os.path.basename(out)), otio_out)
    result.total_s = time.perf_counter() - t0
    if plan_out is not None:
        plan_out = os.fspath(plan_out)
        result.plan_path = plan_out
        from hypnoscope.report.output import write_atomic

        write_atomic(plan_out, json.dumps(result.to_dict(), indent=1))
    return result
