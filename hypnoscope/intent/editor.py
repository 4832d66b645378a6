"""Edit many clips into one piece that follows an intended arc, and prove it by measuring.

1. Every clip is decoded once into memory (normalised to a common picture) and measured
   alone with the tension model; a clip that cannot be decoded is skipped with a notice.
2. The naive concatenation (the clips in the given order, untrimmed) is measured: the
   reference.
3. An edit is searched (:mod:`hypnoscope.intent.edit_search`), every kept candidate measured
   on its assembled frames.
4. The best edit is written (H.264 MP4, audio per shot), with its plan as JSON (an edit
   decision list) and as an OpenTimelineIO timeline referencing the original clips.
5. The written file is analyzed with :func:`hypnoscope.analyze` (the cut and surprise
   extractors, all the tension curve needs): the gap *after*.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hypnoscope._version import __version__
from hypnoscope.analysis import Analysis, analyze
from hypnoscope.errors import VideoError
from hypnoscope.intent.arcs import Arc, load_arc
from hypnoscope.intent.assemble import Assembler
from hypnoscope.intent.clips import Canvas, Clip, choose_canvas, fit_to_canvas, load_clip
from hypnoscope.intent.edit_search import (
    EditCandidate,
    EditLimits,
    EditSearch,
    edit_price,
    naive_edit,
    run_search,
)
from hypnoscope.intent.edl import EditList, snap_to_frames
from hypnoscope.intent.gap import IntentGap, intent_gap, outcome_tail, relative_drop
from hypnoscope.intent.measure import tension_extractors
from hypnoscope.intent.otio import edit_timeline, write_timeline
from hypnoscope.intent.render_edit import write_edit_list

#: Default number of candidate edits measured by the search.
DEFAULT_MAX_EVALS = 60
#: Longest default piece, s.
MAX_DEFAULT_DURATION = 60.0
#: Flow results kept in memory across candidates (about 0.46 MB each at 320x180).
FLOW_CACHE_ITEMS = 400


class EditError(ValueError):
    """The edit cannot be made (too few usable clips, an impossible duration)."""


@dataclass
class EditResult:
    """What :func:`edit` did: the plan, the measured gaps of the naive concatenation, of the
    plan in memory (predicted) and of the written file (after), and what it cost."""

    paths: list[str]
    output: str
    arc: Arc
    canvas: Canvas
    plan: EditList
    gap_naive: IntentGap
    gap_predicted: IntentGap
    gap_after: IntentGap
    analysis_after: Analysis
    evaluations: int
    search_s: float
    total_s: float
    render: dict[str, Any]
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    plan_path: str | None = None
    otio_path: str | None = None

    @property
    def relative_drop(self) -> float:
        """(naive - after) / naive: the share of the naive concatenation's gap removed."""
        return relative_drop(self.gap_naive, self.gap_after)

    def to_dict(self) -> dict[str, Any]:
        """The plan document: edit decision list, canvas, gaps, costs."""
        return {
            "hypnoscope_version": __version__,
            "clips": self.paths,
            "skipped": self.skipped,
            "output": self.output,
            "arc": self.arc.to_dict(self.plan.output_duration),
            "canvas": {"width": self.canvas.width, "height": self.canvas.height,
                       "fps": self.canvas.fps},
            "edit_decision_list": self.plan.to_dict(),
            "gap": {"naive_concatenation": round(self.gap_naive.score, 2),
                    "predicted": round(self.gap_predicted.score, 2),
                    "after": round(self.gap_after.score, 2),
                    "relative_drop": round(self.relative_drop, 4),
                    "tension_range_after": round(self.gap_after.tension_range, 3)},
            "differences_after": [d.to_dict() for d in self.gap_after.differences],
            **outcome_tail(self.render, self.evaluations, self.search_s, self.total_s,
                           self.otio_path, self.notes),
        }


def default_duration(arc: Arc, durations: Sequence[float]) -> float:
    """The piece's length when none is asked for: half the clips' total (an editor keeps
    the best part of each shot), at most 60 s; a pulse arc rounds it to whole beats."""
    d = min(MAX_DEFAULT_DURATION, 0.5 * sum(durations))
    if arc.period_s:
        d = max(arc.period_s, round(d / arc.period_s) * arc.period_s)
    return d


def load_clips(paths: Sequence[str | os.PathLike], height: int | None = None,
               fps: float | None = None, notice: Callable[[str], None] | None = None
               ) -> tuple[list[Clip], Canvas, list[str]]:
    """Decode the usable clips (skipping, with a notice, those that fail) and normalise
    them to the common canvas. Raises :class:`EditError` when fewer than two remain."""
    clips, skipped = [], []
    for p in paths:
        try:
            clips.append(load_clip(p))
        except Exception as e:  # noqa: BLE001 - a clip that fails is skipped, named
            skipped.append(os.fspath(p))
            why = str(e) if isinstance(e, VideoError) else (
                f"{os.fspath(p)}: {type(e).__name__}: {' '.join(str(e).split())}")
            if notice:
                notice(f"skipped {why}")
    if len(clips) < 2:
        raise EditError(f"edit needs at least two usable clips, got {len(clips)}"
                        + (f" ({len(skipped)} skipped)" if skipped else ""))
    canvas = choose_canvas([c.facts for c in clips], height=height, fps=fps)
    for c in clips:
        fit_to_canvas(c, canvas)
    return clips, canvas, skipped


def edit(paths: Sequence[str | os.PathLike], arc: Arc | str, out: str | os.PathLike, *,
         duration: float | None = None, keep_order: bool = False, height: int | None = None,
         fps: float | None = None, min_speed: float = 0.5, max_speed: float = 2.0,
         max_evals: int = DEFAULT_MAX_EVALS, budget_s: float | None = None, seed: int = 0,
         plan_out: str | os.PathLike | None = None, otio_out: str | os.PathLike | None = None,
         audio: bool = True, on_stage: Callable[[str], None] | None = None,
         on_notice: Callable[[str], None] | None = None) -> EditResult:
    """Edit the clips at ``paths`` into one piece toward ``arc`` (an :class:`Arc`, a preset
    name or a .json/.csv path), written to ``out`` (MP4); the plan goes to ``plan_out``
    (JSON) and ``otio_out`` (OpenTimelineIO) when given. ``duration`` is the piece's length
    in s (default: :func:`default_duration`); ``keep_order`` uses every clip once, in the
    given order; ``height``/``fps`` set the output picture (default: the most common among
    the clips); speeds stay within ``min_speed``..``max_speed``; the search measures at most
    ``max_evals`` candidates (and stops after about ``budget_s`` s when given); ``seed``
    makes it reproducible.

    Raises :class:`ArcError` for a bad arc, :class:`EditError` when fewer than two clips are
    usable or the duration cannot be filled, ValueError for bad options."""
    t0 = time.perf_counter()
    arc = load_arc(arc)
    limits = EditLimits(min_speed=min_speed, max_speed=max_speed)
    stage = on_stage or (lambda _s: None)
    notes: list[str] = []

    def notice(msg: str) -> None:
        notes.append(msg)
        if on_notice:
            on_notice(msg)

    paths = [os.fspath(p) for p in paths]
    out = os.fspath(out)
    if os.path.splitext(out)[1].lower() not in {".mp4", ".m4v", ".mov"}:
        raise ValueError(f"output must be an .mp4 file, got {out!r}")
    if any(os.path.abspath(out) == os.path.abspath(p) for p in paths):
        raise ValueError("output would overwrite one of the clips")
    if len(paths) < 2:
        raise EditError(f"edit needs at least two clips, got {len(paths)}")
    if duration is not None and not (math.isfinite(duration) and duration > 0):
        raise ValueError(f"duration must be a positive number of seconds, got {duration:g}")
    stage("measuring the clips")
    clips, canvas, skipped = load_clips(paths, height=height, fps=fps, notice=notice)
    durs = [c.duration for c in clips]
    target = default_duration(arc, durs) if duration is None else float(duration)
    if keep_order:
        most = sum(d / limits.min_speed for d in durs) + limits.max_hold_s * len(durs)
        least = len(durs) * limits.min_shot_s
    else:
        most = sum(d / limits.min_speed for d in durs) * limits.max_uses
        least = 2 * limits.min_shot_s
    if not least <= target <= most:
        how = " keeping every clip in order" if keep_order else ""
        raise EditError(f"a {target:g} s piece cannot be made from these clips{how} (between "
                        f"{least:g} and {most:.1f} s)")
    asm = Assembler(clips, canvas, max_flow_items=FLOW_CACHE_ITEMS)
    search = EditSearch(asm, arc, target, limits, keep_order=keep_order, seed=seed,
                        max_evals=max_evals, budget_s=budget_s)
    stage("searching an edit")
    found = run_search(search, naive_edit(durs, [c.path for c in clips]).shots)
    best = found.best
    snapped = snap_to_frames(best.edl, canvas.fps, [c.src.times for c in clips])
    if snapped.key() != best.edl.key():  # cuts on whole frames, measured again
        gap, m = asm.gap(snapped, arc)
        best = EditCandidate(snapped, gap, m, gap.score + edit_price(snapped))
    stage("writing the piece")
    render = write_edit_list(best.edl, clips, canvas, out, audio=audio)
    if not render["audio"].startswith(("kept", "none")):
        notice(f"audio {render['audio']}")
    stage("measuring the piece")
    # the single pass over the written file, with the extractors the tension curve needs
    after = analyze(out, model=None, extractors=tension_extractors(), keyframes=False)
    gap_after = intent_gap(after, arc)
    result = EditResult(paths=[c.path for c in clips], output=out, arc=arc, canvas=canvas,
                        plan=best.edl, gap_naive=found.naive.gap, gap_predicted=best.gap,
                        gap_after=gap_after, analysis_after=after,
                        evaluations=found.evaluations, search_s=found.seconds, total_s=0.0,
                        render=render, skipped=skipped, notes=notes)
    if otio_out is not None:
        result.otio_path = write_timeline(
            edit_timeline(best.edl, canvas.fps, name=os.path.basename(out),
                          media_rates=[c.src.fps for c in clips]), otio_out)
    result.total_s = time.perf_counter() - t0
    if plan_out is not None:
        plan_out = os.fspath(plan_out)
        result.plan_path = plan_out
        from hypnoscope.report.output import write_atomic

        write_atomic(plan_out, json.dumps(result.to_dict(), indent=1))
    return result
