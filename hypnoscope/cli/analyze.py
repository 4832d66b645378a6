"""Commands that analyze and present single analyses: ``analyze``, ``report`` and
``compare`` (of JSON documents or videos; ``compare --db`` is in :mod:`.scoring`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from hypnoscope.cli.options import (
    DEFAULT_FPS,
    DEFAULT_HEIGHT,
    DEFAULT_WINDOW_S,
    FpsOption,
    HeightOption,
    WindowOption,
    arc_or_exit,
    error_line,
    model_or_exit,
    one_line,
    output_or_exit,
    report_failure,
)

if TYPE_CHECKING:
    from hypnoscope.analysis import Analysis


def analyze_one(path: str, console: Console, *, show_progress: bool, debug: bool,
                **options) -> Analysis | None:
    """Analyze ``path``; on failure print one line on stderr and return None."""
    from hypnoscope.analysis import analyze

    try:
        if show_progress:
            from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

            with Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                          TextColumn("{task.completed:.1f}/{task.total:.1f} s"),
                          TimeRemainingColumn(), console=console, transient=True) as bar:
                from rich.markup import escape

                from hypnoscope.report.paths import path_text

                task = bar.add_task(escape(path_text(Path(path).name)), total=1.0)

                def on_progress(t: float, total: float) -> None:
                    bar.update(task, completed=t, total=max(total, 1e-3))

                return analyze(path, on_progress=on_progress, **options)
        return analyze(path, **options)
    except Exception as exc:  # noqa: BLE001 - one line per failed file
        report_failure(error_line(path, exc), debug)
        return None


def write_json(out: Path, docs: list[dict], *, several: bool | None = None) -> None:
    """Write the documents atomically: one document when one video was given, else a list
    (of the videos that were analyzed, in order; maybe empty), whatever number of them
    succeeded, so that the shape depends only on the command line."""
    from hypnoscope.report.output import write_atomic

    several = len(docs) != 1 if several is None else several
    payload = docs if several else docs[0]
    write_atomic(out, json.dumps(payload, indent=1, allow_nan=False))


def analyze_cmd(
    paths: Annotated[list[str], typer.Argument(help="Video files to analyze.")],
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the JSON here.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No summary, no progress.")] = False,
    height: HeightOption = DEFAULT_HEIGHT,
    fps: FpsOption = DEFAULT_FPS,
    window: WindowOption = DEFAULT_WINDOW_S,
    debug: Annotated[bool, typer.Option(help="Show tracebacks on errors.")] = False,
    report: Annotated[Path | None, typer.Option(
        "--report", help="Write a self-contained HTML report: for one video this file, for "
                         "several a folder with one NAME.html each.")] = None,
    json_keyframes: Annotated[bool, typer.Option(
        "--json-keyframes", help="Put the keyframe thumbnails in the JSON too (base64 JPEG, "
                                 "about 5 kB each), so that `report` can show them.")] = False,
    arc: Annotated[str | None, typer.Option("--arc", help="Also measure the intent gap to "
                                            "this arc (a preset or a .json/.csv file); the "
                                            "report draws it over the tension curve.")]
    = None,
    model: Annotated[Path | None, typer.Option(
        "--model", help="Score with this model file (from `hypnoscope train --out`) instead "
                        "of the one shipped in the package.")] = None,
):
    """Analyze videos: print a summary of each and optionally write JSON and HTML."""
    from hypnoscope.report.paths import path_text
    from hypnoscope.report.terminal import print_analysis

    the_arc = arc_or_exit(arc) if arc is not None else None
    the_model = model_or_exit(model) if model is not None else "default"
    console = Console()
    targets = _report_targets(report, paths)
    output_or_exit(json_out, "--json")
    for target in targets or []:
        output_or_exit(target, "--report")
    show_progress = console.is_terminal and not quiet
    results: list[Analysis] = []
    failed = 0
    for i, path in enumerate(paths):
        a = analyze_one(path, console, show_progress=show_progress, debug=debug,
                        height=height, fps=fps, window_s=window, model=the_model,
                        keyframes=report is not None or json_keyframes)
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
        arc_pts = the_arc.points(a.source.duration_s) if the_arc is not None else None
        if targets is not None and not write_clip_report(a, targets[i], arc=arc_pts):
            failed += 1
    if json_out is not None and (results or len(paths) > 1):
        try:
            write_json(json_out, [a.to_dict(keyframes=json_keyframes) for a in results],
                       several=len(paths) > 1)
        except OSError as e:
            one_line(f"{path_text(json_out)}: cannot write the JSON ({e.strerror or e})")
            failed += 1
    raise typer.Exit(1 if failed else 0)


def _report_targets(report: Path | None, paths: list[str]) -> list[Path] | None:
    if report is None:
        return None
    from hypnoscope.report.output import report_targets

    try:
        return report_targets(report, paths)
    except ValueError as e:
        raise typer.BadParameter(str(e), param_hint="--report") from e


def write_clip_report(a: Analysis, out: Path, arc=None) -> bool:
    """Render and write the HTML report of ``a``; on failure one line on stderr, False."""
    from hypnoscope.report.html import render_clip_report, write_html
    from hypnoscope.report.paths import path_text

    try:
        write_html(out, render_clip_report(a, arc=arc))
    except OSError as e:
        one_line(f"{path_text(out)}: cannot write the report ({e.strerror or e})")
        return False
    return True


def report_cmd(
    document: Annotated[Path | None, typer.Argument(
        help="A JSON document written by analyze --json (one analysis).")] = None,
    db: Annotated[Path | None, typer.Option("--db", help="A results database (batch).")]
    = None,
    video: Annotated[str | None, typer.Option(
        "--video", help="With --db: the video's content hash (a prefix will do), path or "
                        "file name.")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="The HTML file to write (default: NAME.html here).")] = None,
):
    """Render the HTML report of an analysis already made, without decoding the video."""
    from hypnoscope.report.stored import NotFound, load_json_analyses, load_stored_analysis

    if (document is None) == (db is None) or (db is not None) != (video is not None):
        raise typer.BadParameter("give either a JSON document, or --db with --video")
    output_or_exit(out, "--out")
    try:
        if document is not None:
            analyses = load_json_analyses(document)
            if len(analyses) != 1:
                raise ValueError(f"{document} holds {len(analyses)} analyses; the report "
                                 f"is of one")
            a = analyses[0]
        else:
            a = load_stored_analysis(db, video)
    except (OSError, ValueError, NotFound, RuntimeError) as e:
        one_line(str(e))
        raise typer.Exit(1) from None
    target = out or Path((Path(a.source.path).stem or "report") + ".html")
    output_or_exit(target, "--out")
    if not write_clip_report(a, target):
        raise typer.Exit(1)
    from hypnoscope.report.paths import path_text

    Console().print(f"wrote {path_text(target)}", markup=False, highlight=False)


def compare_cmd(
    inputs: Annotated[list[str] | None, typer.Argument(
        help="JSON documents (from analyze --json) or videos: A... --vs B..., or all of "
             "them with --by-folder. Not needed with --db.")] = None,
    db: Annotated[Path | None, typer.Option(
        "--db", help="Compare the videos of a results database instead (with --by).")] = None,
    by: Annotated[str, typer.Option(
        help="With --db: label (generated vs camera/human-made, with the thesis scorecard) "
             "or a column with two values, such as source.")] = "label",
    json_out: Annotated[Path | None, typer.Option("--json", help="With --db: write JSON.")]
    = None,
    markdown: Annotated[Path | None, typer.Option(
        help="With --db: write the scorecard as Markdown.")] = None,
    by_folder: Annotated[bool, typer.Option("--by-folder",
                                            help="One group per folder of the inputs.")]
    = False,
    names: Annotated[str | None, typer.Option(
        help="Group names, comma-separated, in order (default: the folders' names).")] = None,
    windows: Annotated[bool, typer.Option(
        "--windows/--videos", help="Compare fixed-length windows instead of whole videos.")]
    = False,
    report: Annotated[Path | None, typer.Option("--report", help="Write the HTML here.")]
    = None,
    title: Annotated[str | None, typer.Option(help="Title of the report.")] = None,
    top: Annotated[int, typer.Option(help="Metrics shown in the terminal.", min=1)] = 15,
):
    """Compare groups of clips metric by metric: medians, Cliff's delta, single-metric AUC;
    the first group is the reference. Example: compare camera/*.json --vs ai/*.json
    --report cmp.html; or compare --db corpus.duckdb --by label (with the thesis
    scorecard)."""
    output_or_exit(report, "--report")
    output_or_exit(json_out, "--json")
    output_or_exit(markdown, "--markdown")
    if db is not None:
        from hypnoscope.cli.scoring import compare_db

        compare_db(db, by, json_out, markdown, report)
        raise typer.Exit(0)
    if not inputs:
        raise typer.BadParameter("give JSON documents or videos to compare, or --db")
    from hypnoscope.report.output import split_groups
    from hypnoscope.report.stats import compare_groups
    from hypnoscope.report.stored import load_json_analyses, metric_rows_of
    from hypnoscope.report.terminal import group_comparison_table

    console = Console()
    bad = [x for x in inputs if x.startswith("--") and x != "--vs"]
    if bad:
        raise typer.BadParameter(f"unknown option {bad[0]}")
    try:
        groups_in = split_groups(inputs, by_folder)
    except ValueError as e:
        raise typer.BadParameter(str(e)) from e
    if names:
        given = [n.strip() for n in names.split(",")]
        if len(given) != len(groups_in) or len(set(given)) != len(given):
            raise typer.BadParameter(f"--names needs {len(groups_in)} distinct names")
        groups_in = dict(zip(given, groups_in.values(), strict=True))
    failed = 0
    groups: dict[str, list[dict]] = {}
    for name, paths in groups_in.items():
        analyses = []
        for p in paths:
            if p.lower().endswith(".json"):
                try:
                    analyses += load_json_analyses(p)
                except (OSError, ValueError) as e:
                    one_line(str(e))
                    failed += 1
                continue
            a = analyze_one(p, console, show_progress=False, debug=False, keyframes=False)
            if a is None:
                failed += 1
            else:
                analyses.append(a)
        groups[name] = metric_rows_of(analyses, windows=windows)
    if any(not rows for rows in groups.values()):
        one_line("a group has nothing to compare")
        raise typer.Exit(1)
    console.print(group_comparison_table(groups, compare_groups(groups), top,
                                         "windows" if windows else "videos"))
    if report is not None:
        from hypnoscope.report.html import render_compare_report, write_html
        from hypnoscope.report.paths import path_text

        try:
            write_html(report, render_compare_report(
                groups, title=title or " vs ".join(groups),
                level="windows" if windows else "clips"))
        except OSError as e:
            one_line(f"{report}: cannot write the report ({e.strerror or e})")
            raise typer.Exit(1) from None
        console.print(f"wrote {path_text(report)}", markup=False, highlight=False)
    raise typer.Exit(1 if failed else 0)


def register(app: typer.Typer) -> None:
    """Add ``analyze``, ``report`` and ``compare`` to ``app``."""
    app.command("analyze")(analyze_cmd)
    app.command("report")(report_cmd)
    app.command("compare", context_settings={"allow_extra_args": True,
                                             "ignore_unknown_options": True})(compare_cmd)
