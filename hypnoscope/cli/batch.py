"""Commands over a results database: ``batch``, ``query``, ``summary`` and ``export``."""

from __future__ import annotations

import csv
import json
import re
import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from hypnoscope.cli.options import (
    DEFAULT_FPS,
    DEFAULT_HEIGHT,
    DEFAULT_WINDOW_S,
    FpsOption,
    HeightOption,
    WindowOption,
    one_line,
    output_or_exit,
)
from hypnoscope.report.paths import path_text

DbOption = Annotated[Path, typer.Option("--db", help="The DuckDB results file.")]


def _open_read_only(db: Path):
    import duckdb

    from hypnoscope.batch.store import NotAStore, Store, StoreBusy

    try:
        return Store(db, read_only=True)
    except (FileNotFoundError, NotAStore) as e:
        one_line(str(e))
        raise typer.Exit(2) from None
    except (StoreBusy, duckdb.IOException) as e:
        one_line(f"{path_text(db)}: cannot open for reading ({' '.join(str(e).split())[:300]}); a "
                 f"batch writing it holds the lock until it ends")
        raise typer.Exit(1) from None


def batch_cmd(
    inputs: Annotated[list[str], typer.Argument(
        help="Video files, folders (searched recursively) or .txt/.csv/.tsv lists of paths.")],
    db: DbOption,
    workers: Annotated[int | None, typer.Option(
        help="Worker processes (default: one per CPU).", min=1)] = None,
    timeout: Annotated[float, typer.Option(help="Time limit per file, s.", min=0.1)] = 600.0,
    max_memory: Annotated[str, typer.Option(
        "--max-memory", help="Address-space limit per worker, e.g. 2GiB (0: none).")] = "2GiB",
    engine: Annotated[str, typer.Option(help="local (process pool) or ray.")] = "local",
    address: Annotated[str | None, typer.Option(
        help="Ray cluster address (engine ray; default: RAY_ADDRESS or a local Ray).")] = None,
    retry_failed: Annotated[bool, typer.Option(
        "--retry-failed", help="Analyze again files that failed in an earlier run.")] = False,
    label: Annotated[str | None, typer.Option(help="Label every file of this run.")] = None,
    source: Annotated[str | None, typer.Option(help="Source tag for every file.")] = None,
    label_from_folder: Annotated[bool, typer.Option(
        "--label-from-folder",
        help="Label each file by its first sub-folder under the INPUT folder.")] = False,
    series: Annotated[bool, typer.Option(
        "--series/--no-series", help="Store the per-frame series.")] = True,
    height: HeightOption = DEFAULT_HEIGHT,
    fps: FpsOption = DEFAULT_FPS,
    window: WindowOption = DEFAULT_WINDOW_S,
    quiet: Annotated[bool, typer.Option("--quiet", "-q",
                                        help="No progress; failures only.")] = False,
):
    """Analyze many videos into a DuckDB file; resumable, crash-isolated.

    Exit code 0 when every file is analyzed, 1 when any failed (now or in an earlier run),
    130/143 when interrupted (run the same command again to finish), 2 on a usage error.
    """
    import duckdb

    from hypnoscope.batch.inputs import InputError
    from hypnoscope.batch.run import BatchOptions, default_workers, parse_size, run_batch
    from hypnoscope.batch.store import NotAStore, StoreBusy
    from hypnoscope.report.batch_progress import PlainReporter, QuietReporter, RichReporter

    output_or_exit(db, "--db")
    if engine not in {"local", "ray"}:
        one_line(f"unknown engine {engine!r}: use local or ray")
        raise typer.Exit(2)
    try:
        mem = parse_size(max_memory)
    except ValueError as e:
        one_line(str(e))
        raise typer.Exit(2) from None
    opts = BatchOptions(height=height, fps=fps, window_s=window,
                        workers=workers or default_workers(), timeout=timeout, max_memory=mem,
                        engine=engine, address=address, retry_failed=retry_failed,
                        label=label, source=source, label_from_folder=label_from_folder,
                        series=series)
    console = Console()
    if quiet:
        reporter = QuietReporter()
    elif console.is_terminal:
        reporter = RichReporter(console)
    else:
        reporter = PlainReporter()
    command = " ".join(shlex.quote(a) for a in ["hypnoscope", *sys.argv[1:]])
    try:
        summary = run_batch(inputs, db, opts, reporter, command=command)
    except StoreBusy as e:
        one_line(str(e))
        raise typer.Exit(1) from None
    except NotAStore as e:
        one_line(str(e))
        raise typer.Exit(2) from None
    except InputError as e:
        one_line(str(e))
        raise typer.Exit(2) from None
    except ImportError as e:
        one_line(f"{e}; the ray engine needs: pip install 'hypnoscope[ray]'")
        raise typer.Exit(2) from None
    except RuntimeError as e:  # Ray unreachable, workers that cannot start
        one_line(f"batch stopped: {e}")
        raise typer.Exit(1) from None
    except duckdb.Error as e:  # not a DuckDB file, disk full, ...
        one_line(f"{path_text(db)}: database error: {' '.join(str(e).split())[:300]}")
        raise typer.Exit(1) from None
    raise typer.Exit(summary.exit_code)


def query_cmd(
    sql: Annotated[str, typer.Argument(help="SQL over videos, metrics, series, events, ...")],
    db: DbOption,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    max_rows: Annotated[int, typer.Option("--max-rows", help="Rows shown in a table.")] = 200,
):
    """Run SQL on the results database (opened read-only) and print the rows."""
    import duckdb

    with _open_read_only(db) as store:
        try:
            cols, rows = store.query(sql)
        except duckdb.Error as e:
            one_line(f"query failed: {e}")
            raise typer.Exit(1) from None
    if fmt == "csv":
        w = csv.writer(sys.stdout)
        w.writerow(cols)
        w.writerows(rows)
    elif fmt == "json":
        print(json.dumps([dict(zip(cols, r, strict=True)) for r in rows], default=str,
                         indent=1))
    else:
        table = Table(show_lines=False)
        for c in cols:
            table.add_column(str(c), overflow="fold")
        for r in rows[:max_rows]:
            table.add_row(*[_cell(v) for v in r])
        console = Console()
        console.print(table)
        if len(rows) > max_rows:
            console.print(f"[dim]{len(rows)} rows, first {max_rows} shown "
                          f"(--max-rows, or --format csv)[/dim]")


def _cell(v) -> str:
    from hypnoscope.report.terminal import fmt

    if v is None:
        return "–"
    if isinstance(v, float):
        return fmt(v)
    return str(v)


_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def summary_cmd(
    db: DbOption,
    by: Annotated[str, typer.Option(
        help="Group by a videos column (label, source, folder, codec, ...) or extra.NAME "
             "(a column of the input CSV).")] = "label",
    key: Annotated[str | None, typer.Option(
        help="Analysis key to summarize (default: the one with the most videos).")] = None,
):
    """Median of every whole-video metric per group, groups side by side."""
    from hypnoscope.report.terminal import fmt

    with _open_read_only(db) as store:
        video_cols = {c for c, in store.query(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'videos'")[1]}
        params: list = []
        if by.startswith("extra.") and _IDENT.match(by[6:]):
            group = "json_extract_string(extra, ?)"
            params.append(f"$.{by[6:]}")
        elif by in video_cols and _IDENT.match(by):
            group = f"CAST({by} AS VARCHAR)"
        else:
            one_line(f"--by {by!r}: not a column of videos (try label, source, folder, "
                     f"codec, container or extra.NAME)")
            raise typer.Exit(2)
        keys = store.query("SELECT analysis_key, count(*) n, any_value(hypnoscope_version), "
                           "any_value(options) FROM videos WHERE status = 'ok' "
                           "GROUP BY ALL ORDER BY n DESC")[1]
        if not keys:
            one_line(f"{db}: no analyzed video yet")
            raise typer.Exit(1)
        chosen = key or keys[0][0]
        rows = store.query(
            f"WITH v AS (SELECT video_id, coalesce({group}, '(none)') grp FROM videos "
            f"WHERE status = 'ok' AND analysis_key = ?) "
            f"SELECT m.metric, v.grp, median(m.value), count(m.value) FROM metrics m "
            f"JOIN v USING (video_id) WHERE m.window_index = -1 GROUP BY ALL",
            [*params, chosen])[1]
        counts = dict(store.query(
            f"SELECT coalesce({group}, '(none)') grp, count(*) FROM videos "
            f"WHERE status = 'ok' AND analysis_key = ? GROUP BY ALL", [*params, chosen])[1])
        failed = store.query("SELECT count(*) FROM videos WHERE status = 'failed' AND "
                             "analysis_key = ?", [chosen])[1][0][0]
        info = dict((m, (u, f)) for m, u, f in store.query(
            "SELECT metric, unit, factor FROM metric_info")[1])
    groups = sorted(counts)
    medians: dict[str, dict[str, float]] = {}
    for metric, grp, med, _n in rows:
        medians.setdefault(metric, {})[grp] = med
    table = Table(title=f"median per {by} (analysis {chosen})", title_justify="left")
    table.add_column("metric")
    table.add_column("unit", style="dim")
    for g in groups:
        table.add_column(f"{g}\n(n={counts[g]})", justify="right")
    order = sorted(medians, key=lambda m: (info.get(m, ("", "~"))[1], m))
    for metric in order:
        unit = info.get(metric, ("", ""))[0]
        table.add_row(metric, unit, *[fmt(medians[metric].get(g, float("nan")), unit)
                                      for g in groups])
    console = Console()
    console.print(table)
    notes = []
    if failed:
        notes.append(f"{failed} failed video(s) not included")
    if len(keys) > 1 and key is None:
        others = ", ".join(f"{k} ({n} videos, v{v})" for k, n, v, _ in keys[1:])
        notes.append(f"other analysis keys in this database: {others} (use --key)")
    for n in notes:
        console.print(f"[dim]{n}[/dim]")


def export_cmd(
    db: DbOption,
    parquet: Annotated[Path, typer.Option("--parquet", help="Folder for the Parquet files.")],
):
    """Write every table (and video_metrics, one column per metric) as Parquet files."""
    output_or_exit(parquet, "--parquet", folder=True)
    with _open_read_only(db) as store:
        written = store.export_parquet(parquet)
    for p in written:
        print(p)


def register(app: typer.Typer) -> None:
    """Add the results-database commands to ``app``."""
    app.command("batch")(batch_cmd)
    app.command("query")(query_cmd)
    app.command("summary")(summary_cmd)
    app.command("export")(export_cmd)
