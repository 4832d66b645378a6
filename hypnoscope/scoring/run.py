"""The calibration workflows behind ``train``, ``evaluate`` and ``compare``: from a results
database to a model, an evaluation report and a thesis scorecard."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import numpy as np

from hypnoscope._version import __version__
from hypnoscope.scoring.compare import compare_groups, thesis_scorecard, within_source_aucs
from hypnoscope.scoring.data import Record, load_records
from hypnoscope.scoring.evaluate import (
    CURVE_OVER,
    auc_difference,
    breakdown,
    fold_models,
    metadata_baseline,
    predict_out_of_source,
    source_learning_curve,
    summarize,
)
from hypnoscope.scoring.features import MODEL_WINDOW_S, WindowTable, build_table, label_to_y
from hypnoscope.scoring.index import index_summary, out_of_group_indices
from hypnoscope.scoring.model import Model
from hypnoscope.scoring.resample import auc_interval
from hypnoscope.scoring.train import fit_model

#: The common formats of the invariance check: (name, extension, height px, fps).
COMMON_FORMATS = (("h264-240p-8fps", ".mp4", 240, 8.0), ("gif-240p-8fps", ".gif", 240, 8.0))


#: Values of ``--group-by``: the column whose values are held out together.
GROUP_COLUMNS = ("auto", "source", "repo", "family")


def group_of(r: Record, group_by: str = "auto") -> str:
    """The group a record belongs to for leave-one-group-out.

    ``auto``, ``source`` and ``repo``: the ``repo`` column of the list it came from when
    present (the strictest source: a repository's generated and camera clips are held out
    together, so a model cannot learn "this repository's watermark means camera"), else
    its ``source`` tag. ``family``: the list's ``family`` column (the generator lineage of
    a generated clip, so ModelScope T2V in five repositories is one group; the repository
    of a camera clip), else the source. Any other name: that column of the list."""
    if group_by not in ("auto", "source", "repo") and r.extra.get(group_by):
        return str(r.extra[group_by])
    if r.extra.get("repo"):
        return str(r.extra["repo"])
    return str(r.source or "unknown")


def check_group_column(records: list[Record], group_by: str) -> None:
    """Raise ValueError when ``group_by`` names a column no labelled video has."""
    if group_by in ("auto", "source", "repo"):
        return
    if not any(r.extra.get(group_by) for r in records):
        raise ValueError(f"--group-by {group_by}: no labelled video has a {group_by!r} "
                         f"column (batch stores the list's extra columns; re-run batch on "
                         f"a list that has one)")


def year_of(r: Record) -> str | None:
    """The ``year`` column of the list a record came from (a generator family's first
    release), when present."""
    y = str(r.extra.get("year") or "").strip()
    return y or None


def labelled(records: list[Record]) -> list[Record]:
    return [r for r in records if label_to_y(r.label) >= 0]


def table_of(records: list[Record], group_by: str = "auto", features=None):
    return build_table([(r.video_id, r.label, group_of(r, group_by), r.signals)
                        for r in records], features=features)


def train(db: str | Path, out: str | Path, *, C: float | None = None, group_by: str = "auto",
          command: str = "", copies: bool = True, work: Path | None = None,
          workers: int = 2, on_progress: Callable[[str, int, int], None] | None = None
          ) -> Model:
    """Fit the model on every labelled video of ``db`` and write it to ``out``. With
    ``copies`` the calibration also sees every video's common-format copies (transcoded
    into ``work`` when given, and kept there for a later run; else into a temporary
    folder)."""
    from hypnoscope.metrics import metric_specs

    records = labelled(load_records(db))
    check_group_column(records, group_by)
    table = table_of(records, group_by)
    everything = table_of(records, group_by, features=list(metric_specs()))
    copy_tables, copy_failures = {}, {}
    if copies:
        for name, (recs, failed) in common_format_records(records, work, workers,
                                                          on_progress).items():
            copy_tables[name] = table_of(recs, group_by, features=table.features)
            copy_failures[name] = failed
    model = fit_model(table, reference_table=everything, C=C, copies=copy_tables,
                      provenance={
        "name": Path(out).stem, "hypnoscope_version": __version__, "database": str(db),
        "command": command, "group_by": group_by, "copies_failed": copy_failures,
        "labels": {lab: sum(1 for r in records if r.label == lab)
                   for lab in sorted({r.label for r in records})},
    })
    model.save(out)
    return model


def _analyze_copy(args: tuple[str, str, int, float, float]) -> tuple[str, Any]:
    src, dst, height, fps, seconds = args
    from hypnoscope.analysis import analyze
    from hypnoscope.media.transcode import transcode

    try:
        if not os.path.exists(dst):
            transcode(src, dst, height=height, fps=fps, max_seconds=seconds, upscale=True,
                      reproducible=True)
        a = analyze(dst)
        return src, (a.times, a.series, a.events, a.source.duration_s, a.source.to_dict())
    except Exception as e:  # noqa: BLE001 - reported per file
        return src, e


def transcoded_records(records: list[Record], fmt: tuple[str, str, int, float], work: Path,
                       workers: int = 2, seconds: float = MODEL_WINDOW_S + 0.25,
                       on_progress: Callable[[int, int], None] | None = None
                       ) -> tuple[list[Record], list[str]]:
    """The records re-analyzed after transcoding each file to the common format ``fmt``,
    trimmed to ``seconds`` (one model window, plus a margin for the last frame's duration
    and GIF's centisecond timestamps); and the paths that failed."""
    from hypnoscope.metrics import SignalSet

    name, ext, height, fps = fmt
    folder = work / name
    folder.mkdir(parents=True, exist_ok=True)
    from hypnoscope.media.transcode import RECIPE_VERSION

    # the name keys a kept copy by everything that makes its pixels, so a stale one is
    # never reused
    tag = f"r{RECIPE_VERSION}-{seconds:g}s"
    jobs = [(r.path, str(folder / f"{r.video_id.replace(':', '_')}_{tag}{ext}"), height, fps,
             seconds) for r in records]
    by_path = {r.path: r for r in records}
    out, failed = [], []
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for i, (src, res) in enumerate(pool.map(_analyze_copy, jobs)):
            if on_progress:
                on_progress(i + 1, len(jobs))
            if isinstance(res, Exception):
                failed.append(f"{src}: {res}")
                continue
            t, series, events, duration, facts = res
            r = by_path[src]
            out.append(Record(r.video_id, src, r.label, r.source, facts,
                              SignalSet(t=t, series=series, events=events, start=0.0,
                                        end=duration), r.extra))
    return out, failed


def common_format_records(records: list[Record], work: Path | None = None, workers: int = 2,
                          on_progress: Callable[[str, int, int], None] | None = None
                          ) -> dict[str, tuple[list[Record], list[str]]]:
    """Every record re-analyzed in each of :data:`COMMON_FORMATS` (see
    :func:`transcoded_records`), by format name, with the paths that failed. Copies go to
    ``work`` when given (kept, and reused by a later run); otherwise to a temporary folder
    that is removed afterwards, even when a transcode fails."""
    out = {}
    with (nullcontext(str(work)) if work
          else tempfile.TemporaryDirectory(prefix="hypnoscope-copies-")) as folder:
        for fmt in COMMON_FORMATS:
            out[fmt[0]] = transcoded_records(
                records, fmt, Path(folder), workers,
                on_progress=(lambda i, n, f=fmt[0]: on_progress(f, i, n)) if on_progress
                else None)
    return out


def check_evaluable(table: WindowTable, models: dict[str, Model], fixed: bool = False
                    ) -> None:
    """Raise ValueError, saying what is missing, unless both classes are predicted for some
    video: out of source (each fold trains on both classes from two sources or more), or by
    one ``fixed`` model."""
    n_ai = len(np.unique(table.video[table.y == 1]))
    n_real = len(np.unique(table.video[table.y == 0]))
    n_src = len(np.unique(table.group))
    predicted = np.isin(table.group, list(models))
    if not models or len(np.unique(table.y[predicted])) < 2:
        need = ("labelled windows of both classes ('ai' and 'real')" if fixed else
                "labelled windows of both classes ('ai' and 'real') from at least three "
                "sources, so that each held-out source is predicted by a model trained on "
                "both classes from two others")
        raise ValueError(f"evaluation needs {need}; found {n_ai} 'ai' and {n_real} 'real' "
                         f"videos with a model-length window, from {n_src} source(s)")


def evaluate(db: str | Path, *, C: float | None = None, group_by: str = "auto",
             transcode: bool = True, work: Path | None = None, workers: int = 2,
             on_progress: Callable[[str, int, int], None] | None = None,
             learning_curve: bool = False, model: Model | None = None,
             curve_over: str = "groups") -> dict[str, Any]:
    """Leave-one-source-out evaluation: the model natively, a metadata-only baseline, the
    same models re-scoring every clip after transcoding to each common format, and with
    ``learning_curve`` the AUC against the number of sources trained on (``curve_over``:
    ``"groups"``, or ``"generated"`` for the number of groups of generated clips, with every
    other group always trained on).

    With ``model``, that model scores every video as it is, never refitted: the test of a
    trained model on footage it never saw (a held-out corpus)."""
    if model is not None and learning_curve:
        raise ValueError("the learning curve refits models: it cannot judge a given model")
    if curve_over not in CURVE_OVER:
        raise ValueError(f"--curve-over must be one of {', '.join(CURVE_OVER)}, not "
                         f"{curve_over!r}")
    records = labelled(load_records(db))
    check_group_column(records, group_by)
    table = table_of(records, group_by)
    held_out = "source" if group_by in ("auto", "repo") else group_by
    # the common-format copies: re-scored by every fold model, and (when the folds are
    # refitted) calibrated on by each fold with the copies of its own training videos only
    copied = (common_format_records(records, work, workers, on_progress) if transcode
              else {})
    copy_tables = {name: table_of(recs, group_by, features=table.features)
                   for name, (recs, _failed) in copied.items()}
    if model is None:
        models = fold_models(table, C=C, workers=workers, copies=copy_tables)
        procedure = f"leave one {held_out} out"
    else:
        models = {g: model for g in np.unique(table.group)}
        procedure = f"the model {model.provenance.get('name', 'given')!r} as trained"
    check_evaluable(table, models, fixed=model is not None)
    result: dict[str, Any] = {
        "database": str(db), "hypnoscope_version": __version__, "C": C,
        "procedure": procedure, "window_s": MODEL_WINDOW_S, "n_videos": len(records),
        "n_sources": len({group_of(r, "source") for r in records}),
        "n_groups": int(len(np.unique(table.group))), "group_by": held_out,
        "calibrated_on": (["native", *copy_tables] if model is None
                          else model.provenance.get("calibrated_on", ["native"])),
    }
    years = {r.video_id: y for r in records if (y := year_of(r))}
    native = predict_out_of_source(models, table)
    result["native"] = summarize(native, years)
    path = {r.video_id: r.path for r in records}
    result["native"]["videos"] = [
        {"video_id": str(v), "path": path.get(str(v)), "group": str(g), "ai": int(y),
         "p_ai": float(p)}
        for v, g, y, p in zip(native.video_ids, native.video_group, native.video_y,
                              native.video_p, strict=True)]
    if held_out != "family" and any(r.extra.get("family") for r in records):
        result["native"]["per_family"] = breakdown(
            native, {r.video_id: group_of(r, "family") for r in records}, years)
    labels = {r.video_id: str(r.label) for r in records}
    held = {r.video_id: group_of(r, group_by) for r in records}
    result["hypnotic_index"] = {"native": index_summary(
        out_of_group_indices(models, table), labels, held)}
    y = np.array([label_to_y(r.label) for r in records])
    groups = np.array([group_of(r, group_by) for r in records])
    result["metadata_baseline"] = metadata_baseline([r.facts for r in records], y, groups)
    if learning_curve:
        result["learning_curve"] = source_learning_curve(
            table, C=C, on_draw=(lambda i, n: on_progress("learning curve", i, n))
            if on_progress else None, over=curve_over, years=years)
        result["learning_curve_over"] = curve_over
    if copied:
        result["transcoded"] = {}
        for name, (recs, failed) in copied.items():
            t2 = copy_tables[name]
            scores = predict_out_of_source(models, t2)
            s = summarize(scores, years)
            s["difference_from_native"] = auc_difference(native, scores)
            y2 = np.array([label_to_y(r.label) for r in recs])
            g2 = np.array([group_of(r, group_by) for r in recs])
            s["metadata_baseline"] = metadata_baseline([r.facts for r in recs], y2, g2)
            s["failed"] = failed
            result["transcoded"][name] = s
            result["hypnotic_index"][name] = index_summary(
                out_of_group_indices(models, t2), labels, held)
    return result


def per_video_values(records: list[Record]) -> dict[str, list[float]]:
    """Each metric's median over a video's model-length windows, one value per video in the
    order of ``records`` (nan for a video without a window), so clips of every length
    compare on the same footing."""
    from hypnoscope.metrics.base import nanmedian
    from hypnoscope.scoring.features import window_metric_rows

    medians: list[dict[str, float]] = []
    for r in records:
        rows = window_metric_rows(r.signals)
        medians.append({k: nanmedian(np.array([m[k] for _, _, m in rows], dtype=float))
                        for k in (rows[0][2] if rows else {})})
    keys = list(dict.fromkeys(k for per in medians for k in per))
    return {k: [per.get(k, float("nan")) for per in medians] for k in keys}


def compare(db: str | Path, by: str = "label") -> dict[str, Any]:
    """Metric-by-metric comparison of two groups (``by`` = ``label``: generated versus
    camera/human-made; or a column such as ``source`` with exactly two values) and the
    thesis scorecard (for ``label``)."""
    records = load_records(db)
    if by == "label":
        records = labelled(records)
        key = {r.video_id: ("ai" if label_to_y(r.label) == 1 else "real") for r in records}
        a, b = "ai", "real"
    else:
        key = {r.video_id: str(getattr(r, by, None) or r.extra.get(by)) for r in records}
        names = sorted(set(key.values()))
        if len(names) != 2:
            raise ValueError(f"--by {by} must split the videos into exactly two groups, "
                             f"found {len(names)}: {', '.join(names[:8])}")
        a, b = names
    records = [r for r in records if key[r.video_id] in (a, b)]
    counts = {g: sum(key[r.video_id] == g for r in records) for g in (a, b)}
    if min(counts.values()) == 0:
        raise ValueError(f"--by {by} needs videos in both groups, found "
                         + ", ".join(f"{n} {g!r}" for g, n in counts.items()))
    per_video = per_video_values(records)
    values: dict[str, dict[str, list[float]]] = {}
    for metric, v in per_video.items():
        for g in (a, b):
            values.setdefault(metric, {})[g] = [x for x, r in zip(v, records, strict=True)
                                                 if key[r.video_id] == g]
    rows = compare_groups(values, a, b)
    out = {"database": str(db), "by": by, "groups": [a, b], "metrics": rows,
           "values": values}
    if by == "label":
        y = [int(key[r.video_id] == "ai") for r in records]
        sources = [group_of(r) for r in records]
        within = within_source_aucs(per_video, y, sources)
        for row in rows:
            row["auc_interval"] = auc_interval(y, per_video[row["metric"]], sources)
            per = within.get(row["metric"], {})
            row["within_source_auc"] = per
            row["within_source_median_auc"] = (float(np.median(list(per.values())))
                                               if per else float("nan"))
        out["scorecard"] = thesis_scorecard(rows)
    return out
