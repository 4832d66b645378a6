"""Analyses read back without decoding: from JSON documents or from the results store.

The results store (``hypnoscope batch``, a DuckDB file) keeps, per video, a row of
``videos`` (``video_id``, ``content_hash``, ``path``, ``file_name``, ``status``,
``source_facts`` JSON, ``frame_times``, ``options`` JSON, ``hypnoscope_version``,
``schema_version``, ``document`` JSON of any extra parts such as scores), and long tables
``metrics`` (``window_index`` -1 = whole video), ``series`` and ``events``. Keyframes are
read from a ``keyframes`` table (``video_id``, ``t``, ``kind``, ``jpeg`` BLOB) when the
store has one, else from a ``keyframes`` list in the document; without either the report
simply has no keyframe strip. Only SQL is used here, read-only, so a report never needs
the writer.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from hypnoscope.analysis import Analysis
from hypnoscope.report.paths import path_from_text, path_text
from hypnoscope.signals.keyframes import Keyframe


class NotFound(LookupError):
    """No stored result matches (or several different videos do)."""


def load_json_analyses(path: str | os.PathLike) -> list[Analysis]:
    """Every analysis in a JSON file written by ``hypnoscope analyze --json`` (one
    document or a list of them). Raises ValueError (or OSError) with one line naming the
    file and what is wrong with it: not readable, not JSON, not an analysis document, a
    schema version this hypnoscope does not read, a part missing."""
    from hypnoscope.analysis import check_document

    name = path_text(path)
    try:
        raw = Path(path).read_bytes()
    except IsADirectoryError:
        raise ValueError(f"{name}: is a folder, not a JSON document") from None
    except OSError as e:
        raise ValueError(f"{name}: cannot read ({e.strerror or e})") from None
    if not raw.strip():
        raise ValueError(f"{name}: an empty file, not a JSON document")
    try:
        doc = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        what = "a SQLite database" if raw.startswith(b"SQLite format 3") else "binary data"
        raise ValueError(f"{name}: {what}, not a JSON document") from None
    except json.JSONDecodeError as e:
        raise ValueError(f"{name}: not valid JSON ({e.msg} at line {e.lineno} column "
                         f"{e.colno})") from None
    except RecursionError:
        raise ValueError(f"{name}: JSON nested too deeply") from None
    docs = doc if isinstance(doc, list) else [doc]
    if not docs:
        raise ValueError(f"{name}: an empty list, no analysis document in it")
    out = []
    for i, d in enumerate(docs):
        where = f" (item {i + 1} of {len(docs)})" if isinstance(doc, list) else ""
        try:
            check_document(d)
        except ValueError as e:
            raise ValueError(f"{name}{where}: {e}") from None
        try:
            out.append(Analysis.from_dict(d))
        except (ValueError, TypeError, KeyError, AttributeError) as e:
            detail = " ".join(f"{type(e).__name__}: {e}".split())[:200]
            raise ValueError(f"{name}{where}: malformed analysis document "
                             f"({detail})") from None
    return out


def _tables(con) -> set[str]:
    return {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables").fetchall()}


def _find_video(con, video: str) -> str:
    """The ``video_id`` of the one stored video that ``video`` names: a video_id, a
    content-hash prefix, a path (as stored, or resolved) or a file name."""
    resolved = path_text(os.path.abspath(video))
    video = path_text(video)
    rows = con.execute(
        "SELECT video_id, content_hash, status, analyzed_at FROM videos "
        "WHERE video_id = $1 OR starts_with(video_id, $1) OR starts_with(content_hash, $1) "
        "OR path = $1 OR path = $2 OR file_name = $1 ORDER BY analyzed_at DESC",
        [video, resolved]).fetchall()
    if not rows:
        raise NotFound(f"no stored video matches '{video}'")
    ok = [r for r in rows if r[2] == "ok"]
    if not ok:
        raise NotFound(f"'{video}': the stored analysis failed, there is nothing to report")
    contents = {r[1] or r[0] for r in ok}
    if len(contents) > 1:
        raise NotFound(f"'{video}' matches {len(contents)} different videos; give more of "
                       f"the content hash or the full path")
    return ok[0][0]  # the most recent analysis of that content


def document_from_store(con, video_id: str) -> dict[str, Any]:
    """The JSON document (:meth:`Analysis.to_dict` shape) of a stored video."""
    (path, facts, times, options, version, schema, extras) = con.execute(
        "SELECT path, source_facts, frame_times, options, hypnoscope_version, schema_version, "
        "document FROM videos WHERE video_id = ?", [video_id]).fetchone()
    source = json.loads(facts) if facts else {}
    source["path"] = path_from_text(path or source.get("path", ""))
    options = json.loads(options) if options else {}
    doc: dict[str, Any] = json.loads(extras) if extras else {}
    metrics: dict[str, Any] = {}
    windows: dict[int, dict[str, Any]] = {}
    for name, wi, start, end, value in con.execute(
            "SELECT metric, window_index, start_s, end_s, value FROM metrics "
            "WHERE video_id = ? ORDER BY window_index, rowid", [video_id]).fetchall():
        if wi < 0:
            metrics[name] = {"value": value}
        else:
            windows.setdefault(wi, {"start_s": start, "end_s": end, "metrics": {}})[
                "metrics"][name] = value
    series, units = {}, {}
    for name, unit, values in con.execute(
            "SELECT name, unit, value FROM series WHERE video_id = ? ORDER BY rowid",
            [video_id]).fetchall():
        series[name] = list(values or [])
        units[name] = unit or ""
    events: dict[str, list[float]] = {}
    for name, t in con.execute("SELECT event, t FROM events WHERE video_id = ? ORDER BY t",
                               [video_id]).fetchall():
        events.setdefault(name, []).append(t)
    if "keyframes" in _tables(con):
        rows = con.execute("SELECT t, kind, jpeg FROM keyframes WHERE video_id = ? ORDER BY t",
                           [video_id]).fetchall()
        if rows:
            doc["keyframes"] = [Keyframe(float(t), bytes(j), kind or "regular").to_dict()
                                for t, kind, j in rows]
    doc.update({
        "schema_version": schema or "",
        "hypnoscope_version": version or "",
        "source": source,
        "options": options,
        "frames": {"t": list(times or [])},
        "series": series,
        "series_units": units,
        "events": events,
        "metrics": metrics,
        "windows": {"length_s": options.get("window_s"),
                    "items": [windows[k] for k in sorted(windows)]},
    })
    return doc


def load_stored_analysis(db: str | os.PathLike, video: str) -> Analysis:
    """The analysis of ``video`` (hash prefix, video_id, path or file name) as stored in
    the results database ``db``, without decoding anything."""
    from hypnoscope.batch.store import Store

    with Store(db, read_only=True) as store:  # NotAStore for anything but a results store
        return Analysis.from_dict(document_from_store(store.con, _find_video(store.con,
                                                                             video)))


def metric_rows_of(analyses: Iterable[Analysis], windows: bool = False
                   ) -> list[dict[str, float]]:
    """One metric dict per analysis, or per window of each analysis with ``windows``."""
    rows: list[dict[str, float]] = []
    for a in analyses:
        if windows:
            rows += [dict(w.metrics) for w in a.windows]
        else:
            rows.append(dict(a.metrics))
    return rows
