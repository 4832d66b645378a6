"""``hypnoscope demo``: two synthetic clips with known character, analyzed side by side."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

#: The demo's clips: file name, what it shows, and the name of its maker in media.synth.
CLIPS = {
    "hypnotic.mp4": ("one shot, slow eased drift, textures morphing into each other, clean, "
                     "saturated", "hypnotic_clip"),
    "edited_camera.mp4": ("hand-held jitter, sensor noise, two hard cuts, a sudden event at "
                          "70 %", "edited_camera_clip"),
}


def run_demo(folder: Path, console: Console, write_json: bool = True,
             write_report: bool = True) -> int:
    """Write the demo clips into ``folder``, analyze them and print them side by side
    (and write each one's JSON and HTML report). Returns the exit code."""
    from hypnoscope.analysis import analyze
    from hypnoscope.media import synth
    from hypnoscope.report.terminal import comparison_table

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    analyses = []
    for name, (what, make) in CLIPS.items():
        path = folder / name
        with console.status(f"writing {path}"):
            synth.write_video(path, getattr(synth, make)())
        console.print(f"[bold]{path}[/]: {what}")
        with console.status(f"analyzing {path}"):
            a = analyze(path)
        analyses.append(a)
        if write_json:
            from hypnoscope.report.output import write_atomic

            write_atomic(path.with_suffix(".json"), json.dumps(a.to_dict(), indent=1))
        if write_report:
            from hypnoscope.report.html import render_clip_report, write_html

            write_html(path.with_suffix(".html"), render_clip_report(a))
    console.print(comparison_table(analyses, [n.removesuffix(".mp4") for n in CLIPS]))
    console.print(f"clips, JSON and HTML reports are in [bold]{folder}/[/] (open "
                  f"hypnotic.html and edited_camera.html side by side); analyze your own with "
                  "[bold]hypnoscope analyze VIDEO --json out.json --report out.html[/]")
    return 0


def demo_cmd(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the demo clips.")]
    = Path("hypnoscope-demo"),
    json_out: Annotated[bool, typer.Option("--json/--no-json",
                                           help="Also write each analysis as JSON.")] = True,
):
    """Write two synthetic clips (hypnotic vs edited camera) and analyze them side by side."""
    from hypnoscope.cli.options import output_or_exit

    output_or_exit(out, "--out", folder=True)
    raise typer.Exit(run_demo(out, Console(), write_json=json_out))


def register(app: typer.Typer) -> None:
    """Add ``demo`` to ``app``."""
    app.command("demo")(demo_cmd)
