"""Shared by the commands: the options of those that analyze videos (analyze, batch), the
one-line message every command prints on a failure, and the readers of option values that
exit with one line when a value is unusable (an arc, a model file).

Light on purpose: every command module imports this one when the app is built, so nothing
here imports the analysis stack at module level."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from hypnoscope.defaults import DEFAULT_FPS, DEFAULT_HEIGHT, DEFAULT_WINDOW_S

HeightOption = Annotated[int, typer.Option(help="Analysis height, px.", min=16, max=2160)]
FpsOption = Annotated[float, typer.Option(help="Canonical analysis rate, frames/s.", min=0.5,
                                          max=120)]
WindowOption = Annotated[float, typer.Option(help="Window length for per-window metrics, s.",
                                             min=0.5)]

#: The presets of hypnoscope.intent.arcs.PRESET_NAMES, written out so that building the
#: command line does not import the intent stack (a test checks the two agree).
ARC_HELP = ("Intended arc: setup-payoff, slow-burn, twist, flat, pulse:SECONDS, or a "
            ".json/.csv file of (time fraction, level) points.")


def one_line(msg: str) -> None:
    """Print ``msg`` on stderr as one plain line (whitespace runs folded, never wrapped;
    a byte of a file name that is not UTF-8 shown as ``\xff``)."""
    from hypnoscope.report.paths import plain_text

    Console(stderr=True).print(plain_text(" ".join(str(msg).split())), markup=False,
                               highlight=False, soft_wrap=True)


def report_failure(line: str, debug: bool = False) -> None:
    """Print the current exception's traceback when ``debug``, then ``line`` on stderr as
    one line (see :func:`one_line`); call it inside an ``except`` block."""
    if debug:
        import traceback

        traceback.print_exc()
    one_line(line)


def error_line(path: str, exc: BaseException) -> str:
    """The one-line message for a failure on ``path``."""
    from hypnoscope.errors import VideoError
    from hypnoscope.report.paths import path_text

    if isinstance(exc, VideoError):
        return str(exc)
    return (f"{path_text(path)}: unexpected error: {type(exc).__name__}: "
            f"{' '.join(str(exc).split())}")


def output_or_exit(path: str | Path | None, option: str, *, folder: bool = False) -> None:
    """Exit with one line on stderr and code 2 when ``path`` (given to ``option``) cannot
    be written: an existing folder where a file is wanted, a parent that is a file, a folder
    that is not writable. Called before any work, so a mistake costs nothing."""
    if path is None:
        return
    from hypnoscope.report.output import output_problem
    from hypnoscope.report.paths import path_text

    problem = output_problem(path, folder=folder)
    if problem:
        one_line(f"error: {option} {path_text(path)}: {problem}")
        raise typer.Exit(2)


def arc_or_exit(spec: str):
    """The arc named by ``spec``; on a bad arc, one line on stderr and exit code 2."""
    from hypnoscope.intent.arcs import ArcError, load_arc

    try:
        return load_arc(spec)
    except ArcError as e:
        one_line(f"error: {e}")
        raise typer.Exit(2) from None


def model_or_exit(path: Path):
    """The model in ``path``; when it is unusable, one line on stderr and exit code 2."""
    from hypnoscope.scoring.model import Model

    try:
        return Model.load(path)
    except ValueError as e:
        one_line(f"error: {e}")
        raise typer.Exit(2) from None


__all__ = ["one_line", "error_line", "output_or_exit", "arc_or_exit", "model_or_exit", "ARC_HELP",
           "HeightOption", "FpsOption", "WindowOption", "DEFAULT_HEIGHT", "DEFAULT_FPS",
           "DEFAULT_WINDOW_S"]
