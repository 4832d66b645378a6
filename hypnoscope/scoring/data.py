"""Read analyzed videos back from a results database as signal sets (no decoding)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hypnoscope.metrics import SignalSet


@dataclass
class Record:
    """One analyzed video: its key, path, tags, source facts and per-frame signals."""

    video_id: str
    path: str
    label: str | None
    source: str | None
    facts: dict[str, Any]
    signals: SignalSet
    extra: dict[str, Any] = field(default_factory=dict)


def load_records(db: str | Path, where: str = "",
                 analysis_key: str | None = None) -> list[Record]:
    """Every successfully analyzed video in ``db`` (optionally filtered by an SQL ``where``
    clause on the ``videos`` table), with its series and events.

    A database keeps the results of every analysis (options and hypnoscope version) it ran,
    so the same file can be there twice, measured by different code. Only one analysis is
    read: ``analysis_key``, by default the one that analyzed a file most recently."""
    from hypnoscope.batch.store import Store
    from hypnoscope.report.paths import path_from_text

    store = Store(db, read_only=True)  # FileNotFoundError, NotAStore (a ValueError)
    con = store.con
    try:
        if analysis_key is None:
            latest = con.execute(
                "SELECT analysis_key FROM videos WHERE status = 'ok' "
                "ORDER BY analyzed_at DESC NULLS LAST LIMIT 1").fetchone()
            analysis_key = latest[0] if latest else ""
        cond = (f"status = 'ok' AND analysis_key = ?"
                f"{' AND (' + where + ')' if where else ''}")
        videos = con.execute(
            f"SELECT video_id, path, label, source, source_facts, frame_times, duration_s, "
            f"extra FROM videos WHERE {cond} ORDER BY path", [analysis_key]).fetchall()
        chosen = f"video_id IN (SELECT video_id FROM videos WHERE {cond})"
        series: dict[str, dict[str, np.ndarray]] = {}
        for vid, name, value in con.execute(
                f"SELECT video_id, name, value FROM series WHERE {chosen}",
                [analysis_key]).fetchall():
            series.setdefault(vid, {})[name] = np.array(
                [np.nan if v is None else v for v in value], dtype=float)
        events: dict[str, dict[str, list[float]]] = {}
        for vid, ev, t in con.execute(
                f"SELECT video_id, event, t FROM events WHERE {chosen} ORDER BY t",
                [analysis_key]).fetchall():
            events.setdefault(vid, {}).setdefault(ev, []).append(float(t))
    finally:
        store.close()
    out = []
    for vid, path, label, source, facts, times, duration, extra in videos:
        t = np.asarray(times or [], dtype=float)
        sig = SignalSet(t=t, series=series.get(vid, {}), events=events.get(vid, {}),
                        start=0.0, end=float(duration or (t[-1] if len(t) else 0.0)))
        out.append(Record(vid, path_from_text(path), label, source,
                          json.loads(facts) if isinstance(facts, str) else (facts or {}),
                          sig, json.loads(extra) if isinstance(extra, str) else (extra or {})))
    return out
