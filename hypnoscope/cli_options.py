"""Command-line options shared by the commands that analyze videos (analyze, batch)."""

from __future__ import annotations

from typing import Annotated

import typer

from hypnoscope.decode import DEFAULT_FPS, DEFAULT_HEIGHT
from hypnoscope.metrics import DEFAULT_WINDOW_S

HeightOption = Annotated[int, typer.Option(help="Analysis height, px.", min=16, max=2160)]
FpsOption = Annotated[float, typer.Option(help="Canonical analysis rate, frames/s.", min=0.5,
                                          max=120)]
WindowOption = Annotated[float, typer.Option(help="Window length for per-window metrics, s.",
                                             min=0.5)]

__all__ = ["HeightOption", "FpsOption", "WindowOption", "DEFAULT_HEIGHT", "DEFAULT_FPS",
           "DEFAULT_WINDOW_S"]
