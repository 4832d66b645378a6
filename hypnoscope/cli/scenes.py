"""``scenes``: the shot list of videos, printed and written for other tools (PySceneDetect's
CSV, an OpenTimelineIO timeline, JSON with frame numbers)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from hypnoscope.cli.options import (
    DEFAULT_FPS,
    DEFAULT_HEIGHT,
    FpsOption,
    HeightOption,
    error_line,
    report_failure,
)

#: The verdict's keys a shot document carries (``--cuts-only`` leaves them out).
VERDICT_KEYS = ("ai_likeness", "hypnotic_index", "reasons", "status", "reason", "model")


def shot_document(path: str, *, fps: float, height: int, verdict: bool = True) -> dict:
    """Analyze ``path`` and return its shot document: source facts, cuts, transitions and
    scenes, with source frames; led by the calibrated verdict (``scores``: AI-likeness,
    hypnotic index and reasons) when ``verdict``, which takes the whole analysis (one
    pass); otherwise the cut extractor alone runs (the shots are the same either way)."""
    from hypnoscope.analysis import analyze
    from hypnoscope.metrics.scenes import scene_list
    from hypnoscope.signals import CutExtractor

    if verdict:
        a = analyze(path, fps=fps, height=height, keyframes=False)
    else:
        a = analyze(path, fps=fps, height=height, extractors=[CutExtractor()],
                    keyframes=False, model=None)
    f = a.source
    rate = f.nominal_fps or f.measured_fps or fps
    shots = a.extras.get("shots") or {"cuts": [], "transitions": []}
    scenes = scene_list(shots, f.frames_decoded, f.duration_s, rate)
    doc: dict = {"video": path}
    if verdict:
        scores = a.extras.get("scores") or {"status": "not calibrated",
                                            "reason": "no model: hypnoscope train"}
        # the scores are JSON-safe as they are: ``analyze --json`` writes them unchanged
        doc["scores"] = {k: scores[k] for k in VERDICT_KEYS if k in scores}
    doc.update({"fps": rate, "frames": f.frames_decoded,
                "duration_s": f.duration_s, "analysis_fps": f.analysis_fps,
                "cuts": shots["cuts"], "transitions": shots["transitions"],
                "scenes": [s.to_dict() for s in scenes]})
    return doc


def scenes_cmd(
    paths: Annotated[list[str], typer.Argument(help="Video files.")],
    csv_out: Annotated[Path | None, typer.Option(
        "--csv", help="Write PySceneDetect's list-scenes CSV here (a folder for several "
                      "videos: NAME-Scenes.csv each).")] = None,
    otio_out: Annotated[Path | None, typer.Option(
        "--otio", help="Write an OpenTimelineIO timeline of the shots here (a folder for "
                       "several videos: NAME.otio each).")] = None,
    json_out: Annotated[Path | None, typer.Option(
        "--json", help="Write the shot documents here (cuts, transitions with their kind, "
                       "scenes; frames and seconds).")] = None,
    no_cut_list: Annotated[bool, typer.Option(
        "--no-cut-list", help="Leave the CSV's first row (the timecode list) out, for "
                              "strict CSV readers (PySceneDetect's -s).")] = False,
    cuts_only: Annotated[bool, typer.Option(
        "--cuts-only", help="Run the shot detector alone (faster), without the calibrated "
                            "verdict that otherwise leads the output.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing.")] = False,
    height: HeightOption = DEFAULT_HEIGHT,
    fps: FpsOption = DEFAULT_FPS,
    debug: Annotated[bool, typer.Option(help="Show tracebacks on errors.")] = False,
):
    """List the shots of videos: hard cuts on their exact frame, dissolves and fades as one
    event each; print the list, led by the verdict (AI-likeness, hypnotic index), and write
    it as CSV, OpenTimelineIO or JSON."""
    from rich.console import Console
    from rich.text import Text

    from hypnoscope.metrics.scenes import Scene
    from hypnoscope.report.output import output_targets, write_atomic
    from hypnoscope.report.paths import path_text
    from hypnoscope.report.scenes import scene_table, scenes_csv, scenes_otio
    from hypnoscope.report.terminal import verdict_panel
    from hypnoscope.report.verdict import verdict_of

    try:
        csv_targets = output_targets(csv_out, paths, "-Scenes.csv") if csv_out else None
        otio_targets = output_targets(otio_out, paths, ".otio") if otio_out else None
    except ValueError as e:
        raise typer.BadParameter(str(e)) from e
    console = Console()
    docs, failed = [], 0
    for i, path in enumerate(paths):
        try:
            doc = shot_document(path, fps=fps, height=height, verdict=not cuts_only)
            scenes = [Scene(**s) for s in doc["scenes"]]
            outputs = []
            if csv_targets is not None:
                outputs.append((csv_targets[i], scenes_csv(scenes, cut_list=not no_cut_list)))
            if otio_targets is not None:
                outputs.append((otio_targets[i], scenes_otio(
                    scenes, path, doc["fps"], doc["frames"], doc["transitions"])))
        except Exception as exc:  # noqa: BLE001 - one line per failed file
            report_failure(error_line(path, exc), debug)
            failed += 1
            continue
        for target, text in outputs:
            write_atomic(target, text)
        docs.append(doc)
        if not quiet:
            kinds = [t["kind"] for t in doc["transitions"]]
            summary = (f"{len(doc['cuts'])} cuts, {len(kinds)} gradual transitions"
                       + (f" ({', '.join(kinds)})" if kinds else ""))
            if "scores" in doc:
                console.print(Text(path_text(path), style="bold"))
                console.print(verdict_panel(verdict_of(doc)))
            console.print(scene_table(scenes, title=f"{path}: {summary}"))
    if json_out is not None and docs:
        write_atomic(json_out, json.dumps(docs[0] if len(docs) == 1 else docs, indent=1,
                                          allow_nan=False))
    raise typer.Exit(1 if failed else 0)


def register(app: typer.Typer) -> None:
    app.command("scenes")(scenes_cmd)
