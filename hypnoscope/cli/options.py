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
    """Print ``msg`` on stderr as one plain line (whitespace runs folded, never wrapped)."""
    Console(stderr=True).print(" ".join(str(msg).split()), markup=False, highlight=False,
                               soft_wrap=True)


def error_line(path: str, exc: BaseException) -> str:
    """The one-line message for a failure on ``path``."""
    from hypnoscope.errors import VideoError

    if isinstance(exc, VideoError):
        return str(exc)
    return f"{path}: unexpected error: {type(exc).__name__}: {' '.join(str(exc).split())}"


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


__all__ = ["one_line", "error_line", "arc_or_exit", "model_or_exit", "ARC_HELP",
           "HeightOption", "FpsOption", "WindowOption", "DEFAULT_HEIGHT", "DEFAULT_FPS",
           "DEFAULT_WINDOW_S"]
