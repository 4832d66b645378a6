"""Commands of intent: ``steer`` and ``edit``, and the ``--arc`` reading shared with
``analyze``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from hypnoscope.cli.options import (
    ARC_HELP,
    arc_or_exit,
    error_line,
    one_line,
    output_or_exit,
    report_failure,
)


def steer_cmd(
    video: Annotated[str, typer.Argument(help="The video to re-time.")],
    arc: Annotated[str, typer.Option("--arc", help=ARC_HELP)],
    out: Annotated[Path, typer.Option("--out", "-o", help="The edited clip to write (.mp4).")],
    plan: Annotated[Path | None, typer.Option(
        "--plan", help="Write the edit plan (JSON) here (default: OUT with .plan.json).")]
    = None,
    otio: Annotated[Path | None, typer.Option(
        "--otio", help="Write the plan as an OpenTimelineIO timeline here (default: OUT with "
        ".otio).")] = None,
    min_duration: Annotated[float, typer.Option(help="Shortest output, x the input's duration.",
                                                min=0.05, max=1.0)] = 0.6,
    max_duration: Annotated[float, typer.Option(help="Longest output, x the input's duration.",
                                                min=1.0, max=20.0)] = 1.5,
    min_speed: Annotated[float, typer.Option(help="Slowest speed, x.", min=0.05, max=1.0)] = 0.25,
    max_speed: Annotated[float, typer.Option(help="Fastest speed, x.", min=1.0, max=20.0)] = 4.0,
    max_evals: Annotated[int, typer.Option(help="Candidate edits measured at most.", min=1)]
    = 80,
    no_audio: Annotated[bool, typer.Option("--no-audio", help="Drop the audio.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the gaps.")] = False,
    debug: Annotated[bool, typer.Option(help="Show tracebacks on errors.")] = False,
):
    """Re-time a clip toward an intended arc (speed ramps, holds, jump cuts), write it and
    its edit plan, and print the intent gap before and after (both measured)."""
    from hypnoscope.intent.arcs import ArcError
    from hypnoscope.intent.steer import steer

    the_arc = arc_or_exit(arc)
    plan, otio = _outputs_or_exit(out, plan, otio)
    console = Console()
    try:
        with console.status("steering…") if console.is_terminal and not quiet else _Null() as st:
            def on_stage(s: str) -> None:
                if st is not None:
                    st.update(s)
            r = steer(video, the_arc, out, plan_out=plan, otio_out=otio, min_duration=min_duration,
                      max_duration=max_duration, min_speed=min_speed, max_speed=max_speed,
                      max_evals=max_evals, audio=not no_audio, on_stage=on_stage)
    except (ArcError, ValueError) as e:
        report_failure(f"error: {e}", debug)
        raise typer.Exit(2) from None
    except Exception as e:  # noqa: BLE001 - one line per failure
        report_failure(error_line(video, e), debug)
        raise typer.Exit(1) from None
    _say(f"intent gap before: {r.gap_before.score:.1f}/100  after: {r.gap_after.score:.1f}/100"
          f"  (arc {r.arc.name}; measured on {Path(video).name} and on {out.name})")
    if quiet:
        raise typer.Exit(0)
    _say(f"edit: {r.plan.source_duration:.2f} s -> {r.plan.output_duration:.2f} s, "
          f"{r.evaluations} candidate edits measured in {r.search_s:.1f} s "
          f"(total {r.total_s:.1f} s)")
    for line in r.plan.lines():
        _say(f"  {line}")
    _say("after:")
    for line in r.gap_after.lines()[1:] or ["  (no specific difference)"]:
        _say(line)
    _say(f"audio: {r.render['audio']}")
    for note in r.notes:
        _say(f"note: {note}")
    if r.plan_path:
        _say(f"plan: {r.plan_path}  timeline: {r.otio_path}")
    raise typer.Exit(0)


def edit_cmd(
    clips: Annotated[list[str], typer.Argument(help="The clips to edit (at least two).")],
    arc: Annotated[str, typer.Option("--arc", help=ARC_HELP)],
    out: Annotated[Path, typer.Option("--out", "-o", help="The piece to write (.mp4).")],
    duration: Annotated[float | None, typer.Option(
        help="Length of the piece, s (default: half the clips' total, at most 60 s).",
        min=0.5)] = None,
    keep_order: Annotated[bool, typer.Option(
        "--keep-order", help="Use every clip once, in the given order.")] = False,
    height: Annotated[int | None, typer.Option(
        help="Output height, px (default: the most common among the clips).", min=16,
        max=4320)] = None,
    fps: Annotated[float | None, typer.Option(
        help="Output rate, frames/s (default: the most common among the clips).", min=1.0,
        max=120.0)] = None,
    min_speed: Annotated[float, typer.Option(help="Slowest speed, x.", min=0.05, max=1.0)]
    = 0.5,
    max_speed: Annotated[float, typer.Option(help="Fastest speed, x.", min=1.0, max=20.0)]
    = 2.0,
    max_evals: Annotated[int, typer.Option(help="Candidate edits measured at most.", min=1)]
    = 60,
    seed: Annotated[int, typer.Option(help="Seed of the search (same seed, same plan).")]
    = 0,
    plan: Annotated[Path | None, typer.Option(
        "--plan", help="Write the edit decision list (JSON) here (default: OUT with "
        ".plan.json).")] = None,
    otio: Annotated[Path | None, typer.Option(
        "--otio", help="Write the OpenTimelineIO timeline here (default: OUT with .otio).")]
    = None,
    no_audio: Annotated[bool, typer.Option("--no-audio", help="Drop the audio.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the gaps.")] = False,
    debug: Annotated[bool, typer.Option(help="Show tracebacks on errors.")] = False,
):
    """Edit many clips into one piece that follows an intended arc (which clips, order,
    in/out points, speed, holds, cuts and dissolves), write it with its edit decision list
    and OpenTimelineIO timeline, and print the intent gap of the naive concatenation and of
    the piece (both measured)."""
    from hypnoscope.intent.arcs import ArcError
    from hypnoscope.intent.editor import EditError, edit

    the_arc = arc_or_exit(arc)
    if len(clips) < 2:
        one_line(f"error: edit needs at least two clips, got {len(clips)}")
        raise typer.Exit(2)
    plan, otio = _outputs_or_exit(out, plan, otio)
    console = Console()
    try:
        with console.status("editing…") if console.is_terminal and not quiet else _Null() as st:
            def on_stage(s: str) -> None:
                if st is not None:
                    st.update(s)
            r = edit(clips, the_arc, out, duration=duration, keep_order=keep_order,
                     height=height, fps=fps, min_speed=min_speed, max_speed=max_speed,
                     max_evals=max_evals, seed=seed, plan_out=plan, otio_out=otio,
                     audio=not no_audio, on_stage=on_stage,
                     on_notice=lambda m: one_line(f"note: {m}"))
    except EditError as e:
        report_failure(f"error: {e}", debug)
        raise typer.Exit(1) from None
    except (ArcError, ValueError) as e:
        report_failure(f"error: {e}", debug)
        raise typer.Exit(2) from None
    except Exception as e:  # noqa: BLE001 - one line per failure
        report_failure(error_line(str(out), e), debug)
        raise typer.Exit(1) from None
    _say(f"intent gap of the naive concatenation: {r.gap_naive.score:.1f}/100  of the piece: "
          f"{r.gap_after.score:.1f}/100  (arc {r.arc.name}; measured on the assembled clips "
          f"and on {out.name})")
    if quiet:
        raise typer.Exit(0)
    names = [Path(p).name for p in r.plan.paths]
    _say(f"edit: {len(r.paths)} clips -> {r.plan.output_duration:.2f} s in "
          f"{len(r.plan.shots)} shots at {r.canvas.width}x{r.canvas.height} "
          f"{r.canvas.fps:g} fps; {r.evaluations} candidate edits measured in "
          f"{r.search_s:.1f} s (total {r.total_s:.1f} s)")
    for line in r.plan.lines(names):
        _say(f"  {line}")
    _say(f"tension range of the piece: {r.gap_after.tension_range:.2f} units")
    _say("where the piece still differs from the arc:")
    for line in r.gap_after.lines()[1:] or ["  (no specific difference)"]:
        _say(line)
    _say(f"audio: {r.render['audio']}")
    _say(f"plan: {r.plan_path}  timeline: {r.otio_path}")
    raise typer.Exit(0)


def _outputs_or_exit(out: Path, plan: Path | None, otio: Path | None) -> tuple[Path, Path]:
    """The plan and timeline paths (beside ``out`` unless given), every output checked
    before any work; a bad target exits with one line (code 2)."""
    plan = plan or out.with_suffix(".plan.json")
    otio = otio or out.with_suffix(".otio")
    for path, option in ((out, "--out"), (plan, "--plan"), (otio, "--otio")):
        output_or_exit(path, option)
    return plan, otio


class _Null:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def register(app: typer.Typer) -> None:
    app.command("steer")(steer_cmd)
    app.command("edit")(edit_cmd)


def _say(text: str) -> None:
    """Print ``text`` on stdout; a byte of a file name that is not UTF-8 shown as ``\\xff``."""
    from hypnoscope.report.paths import plain_text

    print(plain_text(text))
