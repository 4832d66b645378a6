"""Commands of the calibration: ``train``, ``evaluate`` and ``compare``."""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from hypnoscope.cli.options import model_or_exit, one_line, output_or_exit
from hypnoscope.report.output import write_atomic
from hypnoscope.report.paths import path_text


def _command() -> str:
    return " ".join(shlex.quote(a) for a in ["hypnoscope", *sys.argv[1:]])


def _db_error(db: Path, e: Exception) -> str:
    """One line naming the database once, whether or not the cause already names it."""
    msg = " ".join(str(e).split())
    return msg if msg.startswith(str(db)) else f"{db}: {msg}"


def _fail(msg: str) -> None:
    """Print ``msg`` as one line on stderr and exit with code 1."""
    one_line(msg)
    raise typer.Exit(1)


def train_cmd(
    db: Annotated[Path, typer.Option("--db", help="Results database with labelled videos.")],
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Model file to write (default: the package's default model).")]
    = None,
    c: Annotated[float | None, typer.Option(
        "--C", help="Inverse regularisation strength (default: chosen out of source).")]
    = None,
    group_by: Annotated[str, typer.Option(
        "--group-by", help="What the calibration's folds hold out: source (the list's repo "
                           "column, else its source tag) or family (the list's family "
                           "column), or any other column.")] = "source",
    copies: Annotated[bool, typer.Option(
        "--copies/--no-copies", help="Also calibrate on every clip's common-format copies "
                                     "(H.264 and GIF, 240 px, 8 fps), so a probability "
                                     "holds for re-encoded footage.")] = True,
    work: Annotated[Path | None, typer.Option(
        help="Keep the transcoded copies in this folder (a later run reuses them); by "
             "default they go to a temporary folder that is removed.")]
    = None,
    workers: Annotated[int, typer.Option(min=1)] = 2,
):
    """Fit the calibrated AI-likeness model and the reference percentiles."""
    from hypnoscope.scoring.model import default_model_path
    from hypnoscope.scoring.run import train

    out = out or default_model_path()
    output_or_exit(out, "--out")
    output_or_exit(work, "--work", folder=True)
    console = Console()
    try:
        with _copy_progress(console) as on_progress:
            model = train(db, out, C=c, group_by=group_by, command=_command(),
                          copies=copies, work=work, workers=workers,
                          on_progress=on_progress)
    except (ValueError, FileNotFoundError) as e:
        _fail(_db_error(db, e))
    p = model.provenance
    _copy_failures(p.get("copies_failed") or {})
    console.print(f"wrote {path_text(out)}: {len(model.features)} features, "
                  f"{p['n_videos']} videos, {p['n_windows']} windows, {p['n_sources']} "
                  f"sources; calibrated on {', '.join(p['calibrated_on'])}",
                  markup=False, highlight=False)


def _copy_failures(failed: dict[str, list[str]]) -> None:
    """One line on stderr per common-format copy that could not be made or analyzed
    (``failed``: format name -> 'path: cause' lines); the run goes on without it."""
    for fmt, lines in failed.items():
        for line in lines:
            one_line(f"{fmt} copy skipped: {line}")


@contextmanager
def _copy_progress(console: Console) -> Iterator[Callable[[str, int, int], None]]:
    """A progress bar per task (a common format's copies, the learning curve) while the
    block runs; silent when the console is not a terminal."""
    from rich.progress import Progress

    with Progress(console=console, transient=True, disable=not console.is_terminal) as bar:
        tasks: dict[str, int] = {}

        def on_progress(name: str, i: int, n: int) -> None:
            if name not in tasks:
                label = name if name == "learning curve" else f"transcode + analyze ({name})"
                tasks[name] = bar.add_task(label, total=n)
            bar.update(tasks[name], completed=i)

        yield on_progress


def evaluate_cmd(
    db: Annotated[Path, typer.Option("--db", help="Results database with labelled videos.")],
    transcode: Annotated[bool, typer.Option("--transcode/--no-transcode",
                                            help="Also re-score common-format copies.")]
    = True,
    work: Annotated[Path | None, typer.Option(
        help="Keep the transcoded copies in this folder (a later run reuses them); by "
             "default they go to a temporary folder that is removed.")]
    = None,
    workers: Annotated[int, typer.Option(min=1)] = 2,
    c: Annotated[float | None, typer.Option("--C")] = None,
    group_by: Annotated[str, typer.Option(
        "--group-by", help="What each fold holds out: source (the list's repo column, else "
                           "its source tag), family (the list's family column: a generator "
                           "lineage, or a camera clip's repository), or any other column.")]
    = "source",
    json_out: Annotated[Path | None, typer.Option("--json")] = None,
    markdown: Annotated[Path | None, typer.Option(help="Write the figures as Markdown.")]
    = None,
    learning_curve: Annotated[bool, typer.Option(
        "--learning-curve", help="Also measure how the AUC grows with the number of "
                                 "sources (groups) trained on; with many groups, give --C "
                                 "to keep it to minutes.")]
    = False,
    curve_over: Annotated[str, typer.Option(
        "--curve-over", help="What the learning curve draws: 'groups' (any), or "
                             "'generated' (only groups holding generated clips; every other "
                             "group is always trained on).")] = "groups",
    model: Annotated[Path | None, typer.Option(
        "--model", help="Judge this trained model (a file from `train --out`, or 'default' "
                        "for the shipped one) as it is, without refitting: the test on a "
                        "held-out corpus it never saw.")] = None,
):
    """Leave-one-source-out (or -family-out) evaluation, a metadata-only baseline, and
    common-format copies."""
    from hypnoscope.scoring.evaluate import CURVE_OVER
    from hypnoscope.scoring.render import (
        copy_difference_table,
        evaluation_markdown,
        evaluation_table,
        index_table,
        learning_curve_table,
        per_group_tables,
    )
    from hypnoscope.scoring.run import evaluate

    if curve_over not in CURVE_OVER:
        _fail(f"--curve-over must be one of {', '.join(CURVE_OVER)}, not {curve_over!r}")
    output_or_exit(json_out, "--json")
    output_or_exit(markdown, "--markdown")
    output_or_exit(work, "--work", folder=True)
    console = Console()
    with _copy_progress(console) as on_progress:
        try:
            res = evaluate(db, C=c, group_by=group_by, transcode=transcode, work=work,
                           workers=workers, on_progress=on_progress,
                           learning_curve=learning_curve, model=_judged_model(model),
                           curve_over=curve_over)
        except (ValueError, FileNotFoundError) as e:
            _fail(_db_error(db, e))
    _copy_failures({fmt: block.get("failed") or []
                    for fmt, block in (res.get("transcoded") or {}).items()})
    console.print(evaluation_table(res))
    if res.get("transcoded"):
        console.print(copy_difference_table(res))
    for t in per_group_tables(res):
        console.print(t)
    if res.get("hypnotic_index"):
        console.print(index_table(res))
    if res.get("learning_curve"):
        console.print(learning_curve_table(res))
    if json_out:
        write_atomic(json_out, json.dumps(res, indent=1))
    if markdown:
        write_atomic(markdown, evaluation_markdown(res, _command()))


def _judged_model(path: Path | None):
    """The model named by ``evaluate --model``: None (refit per fold), the shipped one for
    'default', else the file; an unusable file exits with one line."""
    if path is None:
        return None
    from hypnoscope.scoring.model import default_model_path

    return model_or_exit(default_model_path() if str(path) == "default" else path)


def compare_db(db: Path, by: str = "label", json_out: Path | None = None,
               markdown: Path | None = None, report: Path | None = None) -> None:
    """Every metric of a results database compared between two groups, and the thesis
    scorecard (``hypnoscope compare --db``)."""
    from hypnoscope.scoring.render import (
        auc_with_interval,
        compare_markdown,
        compare_table,
        scorecard_markdown,
        scorecard_table,
    )
    from hypnoscope.scoring.run import compare

    try:
        res = compare(db, by=by)
    except (ValueError, FileNotFoundError) as e:
        _fail(_db_error(db, e))
    console = Console()
    console.print(compare_table(res))
    if "scorecard" in res:
        console.print(scorecard_table(res["scorecard"]))
    if json_out:
        write_atomic(json_out, json.dumps(res, indent=1))
    if markdown:
        parts = [f"Produced by `{_command()}`.", ""]
        if "scorecard" in res:
            parts += [scorecard_markdown(res["scorecard"]), ""]
        parts += [compare_markdown(res)]
        write_atomic(markdown, "\n".join(parts) + "\n")
    if report:
        from hypnoscope.report.html import render_compare_report, write_html

        a, b = res["groups"]
        groups = {g: [{m: res["values"][m][g][i] for m in res["values"]}
                      for i in range(len(next(iter(res["values"].values()))[g]))]
                  for g in (b, a)}
        card = [{"claim": c["claim"], "verdict": c["verdict"],
                 "strength": c["median_thesis_auc"],
                 "metrics": [f"{e['metric']} "
                             f"{auc_with_interval(e['thesis_auc'], e.get('thesis_auc_interval'))}"
                             for e in c["evidence"][:5]],
                 "detail": c["text"] + " (strength: median AUC in the thesis's direction; "
                                       "in parentheses its 95 % interval over source resamples)"}
                for c in res.get("scorecard", [])]
        write_html(report, render_compare_report(groups, scorecard=card,
                                                 title=f"{a} vs {b}", level="clips"))
        console.print(f"wrote {path_text(report)}", markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    """Add the calibration commands to ``app`` (``compare --db`` lives in cli.compare)."""
    app.command("train")(train_cmd)
    app.command("evaluate")(evaluate_cmd)
