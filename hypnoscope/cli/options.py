"""Shared by the commands: the options of those that analyze videos (analyze, batch), and
the one-line message every command prints on a failure."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from hypnoscope.media.decode import DEFAULT_FPS, DEFAULT_HEIGHT
from hypnoscope.metrics import DEFAULT_WINDOW_S

HeightOption = Annotated[int, typer.Option(help="Analysis height, px.", min=16, max=2160)]
FpsOption = Annotated[float, typer.Option(help="Canonical analysis rate, frames/s.", min=0.5,
                                          max=120)]
WindowOption = Annotated[float, typer.Option(help="Window length for per-window metrics, s.",
                                             min=0.5)]

def one_line(msg: str) -> None:
    """Print ``msg`` on stderr as one plain line (whitespace runs folded, never wrapped)."""
    Console(stderr=True).print(" ".join(str(msg).split()), markup=False, highlight=False,
                               soft_wrap=True)


__all__ = ["one_line", "HeightOption", "FpsOption", "WindowOption", "DEFAULT_HEIGHT", "DEFAULT_FPS",
           "DEFAULT_WINDOW_S"]
