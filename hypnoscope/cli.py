"""The command line: ``hypnoscope analyze``, ``hypnoscope demo`` and friends."""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from hypnoscope._version import __version__
from hypnoscope.analysis import Analysis, analyze
from hypnoscope.decode import DEFAULT_FPS, DEFAULT_HEIGHT
from hypnoscope.errors import VideoError
from hypnoscope.metrics import DEFAULT_WINDOW_S

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Measure why a video feels hypnotic, fluid and uncanny, and explain it.")


def _version(value: bool) -> None:
    if value:
        print(f"hypnoscope {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(version: Annotated[bool, typer.Option("--version", callback=_version,
                                                 is_eager=True,
                                                 help="Print the version and exit.")] = False):
    """hypnoscope: the temporal signature of a video, measured and explained."""


def error_line(path: str, exc: BaseException) -> str:
    """The one-line message for a failure on ``path``."""
    if isinstance(exc, VideoError):
        return str(exc)
    return f"{path}: unexpected error: {type(exc).__name__}: {' '.join(str(exc).split())}"


def analyze_one(path: str, console: Console, *, show_progress: bool, debug: bool,
                **options) -> Analysis | None:
    """Analyze ``path``; on failure print one line on stderr and return None."""
    err = Console(stderr=True)
    try:
        if show_progress:
            with Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                          TextColumn("{task.completed:.1f}/{task.total:.1f} s"),
                          TimeRemainingColumn(), console=console, transient=True) as bar:
                task = bar.add_task(Path(path).name, total=1.0)

                def on_progress(t: float, total: float) -> None:
                    bar.update(task, completed=t, total=max(total, 1e-3))

                return analyze(path, on_progress=on_progress, **options)
        return analyze(path, **options)
    except (VideoError, Exception) as exc:  # noqa: BLE001 - one line per failed file
        if debug:
            traceback.print_exc()
        err.print(error_line(path, exc), markup=False, highlight=False, soft_wrap=True)
        return None


def write_json(out: Path, docs: list[dict]) -> None:
    """One document for one file, a list for several."""
    payload = docs[0] if len(docs) == 1 else docs
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(json.dumps(payload, indent=1, allow_nan=False))
    os.replace(tmp, out)


@app.command("analyze")
def analyze_cmd(
    paths: Annotated[list[str], typer.Argument(help="Video files to analyze.")],
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the JSON here.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No summary, no progress.")] = False,
    height: Annotated[int, typer.Option(help="Analysis height, px.", min=16, max=2160)]
    = DEFAULT_HEIGHT,
    fps: Annotated[float, typer.Option(help="Canonical analysis rate, frames/s.", min=0.5,
                                       max=120)] = DEFAULT_FPS,
    window: Annotated[float, typer.Option(help="Window length for per-window metrics, s.",
                                          min=0.5)] = DEFAULT_WINDOW_S,
    debug: Annotated[bool, typer.Option(help="Show tracebacks on errors.")] = False,
    arc: Annotated[str | None, typer.Option("--arc", help="Also measure the intent gap to "
                                            "this arc (a preset or a .json/.csv file).")]
    = None,
):
    """Analyze videos: print a summary of each and optionally write JSON."""
    from hypnoscope.cli_intent import arc_or_exit
    from hypnoscope.report.terminal import print_analysis

    the_arc = arc_or_exit(arc) if arc is not None else None
    console = Console()
    show_progress = console.is_terminal and not quiet
    results: list[Analysis] = []
    failed = 0
    for path in paths:
        a = analyze_one(path, console, show_progress=show_progress, debug=debug,
                        height=height, fps=fps, window_s=window)
        if a is None:
            failed += 1
            continue
        results.append(a)
        if not quiet:
            print_analysis(a, console)
        if the_arc is not None:
            from hypnoscope.intent.gap import intent_gap

            gap = intent_gap(a, the_arc)
            a.extras["intent"] = gap.to_dict()
            if not quiet:
                console.print("\n".join(gap.lines()), markup=False, highlight=False)
    if json_out is not None and results:
        write_json(json_out, [a.to_dict() for a in results])
    raise typer.Exit(1 if failed else 0)


@app.command("demo")
def demo_cmd(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the demo clips.")]
    = Path("hypnoscope-demo"),
    json_out: Annotated[bool, typer.Option("--json/--no-json",
                                           help="Also write each analysis as JSON.")] = True,
):
    """Write two synthetic clips (hypnotic vs edited camera) and analyze them side by side."""
    from hypnoscope.demo import run_demo

    raise typer.Exit(run_demo(out, Console(), write_json=json_out))


def _register_commands() -> None:
    from hypnoscope import cli_intent, cli_scoring

    cli_scoring.register(app)
    cli_intent.register(app)


_register_commands()


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    main()
