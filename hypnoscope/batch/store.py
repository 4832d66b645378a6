"""The results store: one DuckDB file, written by a single process.

Tables (see the README, "Batch: whole corpora"):

- ``videos``: one row per analyzed file content and analysis options (``video_id``), with
  its path, status (``ok``/``failed``), error, tags, source facts, options and versions;
- ``metrics``: long format, one row per video, metric and window (``window_index`` -1 is
  the whole video), so that new metrics never need a schema change;
- ``series``: one row per video and per-frame series, the values as an array aligned with
  ``videos.frame_times``; ``events``: one row per event time;
- ``metric_info`` (unit and factor of each metric), ``files`` (every path seen, with its
  size, mtime and content hash, so re-runs need not re-read files) and ``runs``.

Results are keyed by content hash + analysis key (a hash of the analysis options and the
hypnoscope version): a renamed or moved file is not analyzed again; a changed option is.
Each video is written in one transaction. A lock file next to the database
(``<db>.lock``, ``fcntl.flock``) lets only one writer in at a time.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import math
import os
import socket
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from hypnoscope._version import __version__
from hypnoscope.report.paths import path_text, plain_text

#: Version of the table layout below; bumped (with a migration) if a table changes.
STORE_SCHEMA_VERSION = "1"

#: Source facts stored as typed columns of ``videos`` (all facts are also in ``source_facts``).
SOURCE_COLUMNS: dict[str, str] = {
    "container": "VARCHAR", "codec": "VARCHAR", "width": "INTEGER", "height": "INTEGER",
    "rotation": "INTEGER", "pix_fmt": "VARCHAR", "has_audio": "BOOLEAN",
    "nominal_fps": "DOUBLE", "measured_fps": "DOUBLE", "duration_s": "DOUBLE",
    "declared_duration_s": "DOUBLE", "frames_decoded": "INTEGER", "frames_failed": "INTEGER",
    "frames_analyzed": "INTEGER", "analysis_fps": "DOUBLE", "analysis_width": "INTEGER",
    "analysis_height": "INTEGER",
}

_VIDEO_COLUMNS: dict[str, str] = {
    "video_id": "VARCHAR PRIMARY KEY",
    "content_hash": "VARCHAR",
    "analysis_key": "VARCHAR NOT NULL",
    "path": "VARCHAR NOT NULL",
    "file_name": "VARCHAR",
    "size_bytes": "BIGINT",
    "status": "VARCHAR NOT NULL",
    "error_kind": "VARCHAR",
    "error": "VARCHAR",
    "label": "VARCHAR",
    "source": "VARCHAR",
    "folder": "VARCHAR",
    "extra": "JSON",
    **SOURCE_COLUMNS,
    "source_facts": "JSON",
    "frame_times": "DOUBLE[]",
    "options": "JSON",
    "hypnoscope_version": "VARCHAR",
    "schema_version": "VARCHAR",
    "document": "JSON",
    "elapsed_s": "DOUBLE",
    "worker": "VARCHAR",
    "run_id": "VARCHAR",
    "analyzed_at": "TIMESTAMP",
    "updated_at": "TIMESTAMP",
}

SCHEMA = [
    "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
    "CREATE TABLE IF NOT EXISTS runs (run_id VARCHAR PRIMARY KEY, started_at TIMESTAMP, "
    "finished_at TIMESTAMP, status VARCHAR, command VARCHAR, engine VARCHAR, "
    "workers INTEGER, options JSON, analysis_key VARCHAR, hypnoscope_version VARCHAR, "
    "host VARCHAR, n_inputs BIGINT, n_ok BIGINT, n_failed BIGINT, n_skipped BIGINT)",
    "CREATE TABLE IF NOT EXISTS files (path VARCHAR PRIMARY KEY, size_bytes BIGINT, "
    "mtime_ns BIGINT, content_hash VARCHAR, hash_scheme VARCHAR, seen_at TIMESTAMP)",
    "CREATE TABLE IF NOT EXISTS videos ("
    + ", ".join(f"{k} {v}" for k, v in _VIDEO_COLUMNS.items()) + ")",
    "CREATE TABLE IF NOT EXISTS metrics (video_id VARCHAR NOT NULL, metric VARCHAR NOT NULL, "
    "window_index INTEGER NOT NULL, start_s DOUBLE, end_s DOUBLE, value DOUBLE)",
    "CREATE TABLE IF NOT EXISTS metric_info (metric VARCHAR PRIMARY KEY, unit VARCHAR, "
    "factor VARCHAR)",
    "CREATE TABLE IF NOT EXISTS series (video_id VARCHAR NOT NULL, name VARCHAR NOT NULL, "
    "unit VARCHAR, value DOUBLE[])",
    "CREATE TABLE IF NOT EXISTS events (video_id VARCHAR NOT NULL, event VARCHAR NOT NULL, "
    "t DOUBLE)",
]

#: Tables written by ``export``, in order.
TABLES = ("videos", "metrics", "series", "events", "metric_info", "files", "runs")


class StoreBusy(RuntimeError):
    """Another process is writing the database."""


class NotAStore(ValueError):
    """The file is not a hypnoscope results database (another program's DuckDB, a SQLite
    or text file, a newer store layout): ``str(err)`` names it and says what it is."""


#: Settings of every DuckDB connection: DuckDB never installs or loads an extension on its
#: own (which would download it), whatever a query or a file asks for.
DUCKDB_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}


def connect(path: str | os.PathLike, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection to ``path`` with :data:`DUCKDB_CONFIG`."""
    return duckdb.connect(str(path), read_only=read_only, config=DUCKDB_CONFIG)


def store_problem(path: str | os.PathLike) -> str | None:
    """What makes the existing file ``path`` unusable as a results database (None when it
    is one, or when it cannot be looked at now because a writer holds it). Reads only: a
    foreign database is recognised before anything is written to it."""
    from hypnoscope.report.paths import path_text

    p = Path(path)
    name = path_text(p)
    try:
        with open(p, "rb") as fh:
            head = fh.read(16)
    except IsADirectoryError:
        return f"{name}: is a folder, not a database file"
    except OSError as e:
        return f"{name}: cannot be read ({e.strerror or e})"
    if not head:
        return f"{name}: an empty file, not a DuckDB database"
    if head.startswith(b"SQLite format 3"):
        return f"{name}: a SQLite database, not a DuckDB one (hypnoscope results are DuckDB)"
    if head[8:12] != b"DUCK":
        kind = "a text file" if _looks_like_text(p) else "not a DuckDB database"
        return f"{name}: {kind}, not a hypnoscope results database"
    try:
        con = connect(p, read_only=True)
    except duckdb.Error as e:
        if "lock" in str(e).lower() or isinstance(e, duckdb.ConnectionException):
            return None  # a writer holds it (maybe this process): the lock says who
        return f"{name}: DuckDB cannot open it ({' '.join(str(e).split())[:200]})"
    try:
        tables = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables").fetchall()}
        if not tables:
            return None  # an empty database: ours to fill
        version = None
        if "meta" in tables:
            with contextlib.suppress(duckdb.Error):
                row = con.execute("SELECT value FROM meta WHERE key = "
                                  "'store_schema_version'").fetchone()
                version = row[0] if row else None
    finally:
        con.close()
    if version is None:
        shown = ", ".join(sorted(tables)[:6]) + (", ..." if len(tables) > 6 else "")
        return (f"{name}: a DuckDB database of another program (tables {shown}; no "
                f"meta.store_schema_version), not a hypnoscope results database")
    if str(version) != STORE_SCHEMA_VERSION:
        return (f"{name}: a results database of store layout {version}; this hypnoscope "
                f"reads layout {STORE_SCHEMA_VERSION}")
    return None


def _looks_like_text(p: Path) -> bool:
    with contextlib.suppress(OSError, UnicodeDecodeError), open(p, "rb") as fh:
        fh.read(4096).decode("utf-8")
        return True
    return False


def analysis_key(options: dict[str, Any], version: str = __version__) -> str:
    """12 hex digits naming the analysis: a hash of the options and the hypnoscope version.

    A new hypnoscope version may compute metrics differently, so its results are kept
    apart (and a re-run analyzes again); an option change does the same.
    """
    canon = json.dumps({"options": {k: _canon(v) for k, v in sorted(options.items())},
                        "hypnoscope_version": version}, sort_keys=True)
    return hashlib.sha256(canon.encode()).hexdigest()[:12]


def _canon(v: Any) -> Any:
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else v


def video_id(content_hash: str | None, key: str, path: str) -> str:
    """The row key of a video: its content hash (or, if unreadable, its path) + the key."""
    if content_hash:
        return f"{content_hash[:40]}:{key}"
    return "path-" + hashlib.sha256(os.fsencode(path)).hexdigest()[:35] + f":{key}"


def _finite(x: Any) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


@dataclass
class Item:
    """What the store needs to know about one input file besides its results."""

    path: str
    content_hash: str | None
    size_bytes: int | None = None
    mtime_ns: int | None = None
    label: str | None = None
    source: str | None = None
    folder: str | None = None
    extra: dict[str, Any] | None = None


class Store:
    """A DuckDB results file. ``Store(path)`` opens it for writing (taking the lock);
    ``Store(path, read_only=True)`` for reading. Use as a context manager."""

    def __init__(self, path: str | os.PathLike, read_only: bool = False):
        self.path = Path(path)
        self.read_only = read_only
        self._lock_file = None
        self._metric_info: dict[str, tuple] = {}  # what metric_info holds, once written
        if read_only and not self.path.exists():
            raise FileNotFoundError(f"{path_text(self.path)}: no such database")
        if self.path.exists():
            problem = store_problem(self.path)
            if problem:
                raise NotAStore(problem)
        if not read_only:
            self._take_lock()
        try:
            self.con = connect(self.path, read_only=read_only)
        except duckdb.IOException as e:
            self._release_lock()
            if "lock" in str(e).lower():
                raise StoreBusy(f"{self.path} is open in another process "
                                f"({' '.join(str(e).split())[:200]})") from e
            raise
        if not read_only:
            self._init_schema()

    # -- lifecycle -----------------------------------------------------------------------
    def _take_lock(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.path.with_name(self.path.name + ".lock")
        f = open(lock_path, "a+")  # noqa: SIM115 - held open for the life of the store
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = f.read().strip() or "unknown"
            f.close()
            raise StoreBusy(f"{self.path} is being written by another hypnoscope process "
                            f"({holder}); wait for it to finish, or use another --db") from None
        f.seek(0)
        f.truncate()
        f.write(f"pid {os.getpid()} on {socket.gethostname()}\n")
        f.flush()
        self._lock_file = f

    def _release_lock(self) -> None:
        if self._lock_file is not None:
            with contextlib.suppress(OSError):
                self._lock_file.truncate(0)
                fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()
            self._lock_file = None

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.con.close()
        self._release_lock()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _init_schema(self) -> None:
        for stmt in SCHEMA:
            self.con.execute(stmt)
        self.con.execute("INSERT OR IGNORE INTO meta VALUES ('store_schema_version', ?)",
                         [STORE_SCHEMA_VERSION])

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """All statements inside commit together or not at all."""
        self.con.begin()
        try:
            yield
        except BaseException:
            with contextlib.suppress(Exception):
                self.con.rollback()
            raise
        self.con.commit()

    # -- what is already known -----------------------------------------------------------
    def file_hashes(self) -> dict[str, tuple[int, int, str]]:
        """path → (size, mtime_ns, content hash) for every file seen before."""
        from hypnoscope.report.paths import path_from_text

        rows = self.con.execute("SELECT path, size_bytes, mtime_ns, content_hash FROM files "
                                "WHERE content_hash IS NOT NULL").fetchall()
        return {path_from_text(p): (s, m, h) for p, s, m, h in rows}

    def statuses(self, key: str) -> dict[str, str]:
        """video_id → status for every video analyzed with analysis key ``key``."""
        rows = self.con.execute("SELECT video_id, status FROM videos WHERE analysis_key = ?",
                                [key]).fetchall()
        return dict(rows)

    # -- runs ----------------------------------------------------------------------------
    def start_run(self, run_id: str, *, command: str, engine: str, workers: int,
                  options: dict, key: str) -> None:
        self.con.execute(
            "INSERT INTO runs (run_id, started_at, status, command, engine, workers, options, "
            "analysis_key, hypnoscope_version, host) VALUES (?, ?, 'running', ?, ?, ?, ?, ?, "
            "?, ?)",
            [run_id, _now(), plain_text(command), engine, workers, json.dumps(options), key,
             __version__, socket.gethostname()])

    def finish_run(self, run_id: str, status: str, *, n_inputs: int, n_ok: int,
                   n_failed: int, n_skipped: int) -> None:
        self.con.execute(
            "UPDATE runs SET finished_at = ?, status = ?, n_inputs = ?, n_ok = ?, "
            "n_failed = ?, n_skipped = ? WHERE run_id = ?",
            [_now(), status, n_inputs, n_ok, n_failed, n_skipped, run_id])

    # -- writing -------------------------------------------------------------------------
    def _write_file(self, item: Item) -> None:
        if item.content_hash and item.size_bytes is not None:
            from hypnoscope.batch.inputs import HASH_SCHEME
            self.con.execute("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?)",
                             [path_text(item.path), item.size_bytes, item.mtime_ns,
                              item.content_hash,
                              HASH_SCHEME, _now()])

    def write_result(self, item: Item, key: str, result: dict[str, Any], *, run_id: str,
                     replace: bool = False, series: bool = True) -> str:
        """Write one file's result (success or failure) in one transaction; the video_id.

        ``replace``: rows of an earlier result for the same video_id may exist (a retried
        failure or a forced re-run) and are deleted first.
        """
        vid = video_id(item.content_hash, key, item.path)
        with self.transaction():
            if replace:
                for table in ("metrics", "series", "events"):
                    self.con.execute(f"DELETE FROM {table} WHERE video_id = ?", [vid])
            self._write_file(item)
            self._write_video_row(vid, item, key, result, run_id)
            if result.get("ok"):
                self._write_measurements(vid, result, series=series)
        if result.get("ok"):  # committed: metric_info now holds these
            self._metric_info.update({k: tuple(v) for k, v in
                                      (result.get("metric_info") or {}).items()})
        return vid

    def _write_video_row(self, vid: str, item: Item, key: str, result: dict[str, Any],
                         run_id: str) -> None:
        ok = bool(result.get("ok"))
        facts = dict(result.get("source") or {})
        if "path" in facts:
            facts["path"] = path_text(facts["path"])
        extras = result.get("extras") or {}
        now = _now()
        row: dict[str, Any] = {
            "video_id": vid, "content_hash": item.content_hash, "analysis_key": key,
            "path": path_text(item.path), "file_name": path_text(os.path.basename(item.path)),
            "size_bytes": item.size_bytes, "status": "ok" if ok else "failed",
            "error_kind": None if ok else result.get("kind", "error"),
            "error": None if ok else plain_text(str(result.get("error", ""))),
            **_tags(item),
            "extra": _json(item.extra) if item.extra else None,
            **{c: _fact(facts.get(c), t) for c, t in SOURCE_COLUMNS.items()},
            "source_facts": _json(facts) if facts else None,
            "frame_times": result.get("times") if ok else None,
            "options": json.dumps(result.get("options") or {}),
            "hypnoscope_version": result.get("hypnoscope_version") or __version__,
            "schema_version": result.get("schema_version"),
            "document": _json(extras) if extras else None,
            "elapsed_s": _finite(result.get("elapsed_s")),
            "worker": result.get("worker") or (f"{socket.gethostname()}:{result['worker_pid']}"
                                               if result.get("worker_pid") else None),
            "run_id": run_id, "analyzed_at": now, "updated_at": now,
        }
        cols = list(_VIDEO_COLUMNS)
        self.con.execute(
            f"INSERT OR REPLACE INTO videos ({', '.join(cols)}) "
            f"VALUES ({', '.join('?' for _ in cols)})", [row[c] for c in cols])

    def _write_measurements(self, vid: str, result: dict[str, Any], series: bool) -> None:
        duration = _finite((result.get("source") or {}).get("duration_s"))
        names: list[str] = []
        windows: list[int] = []
        starts: list[float | None] = []
        ends: list[float | None] = []
        values: list[float | None] = []
        for name, v in result["metrics"].items():
            names.append(name)
            windows.append(-1)
            starts.append(0.0)
            ends.append(duration)
            values.append(_finite(v))
        for i, (start, end, metrics) in enumerate(result.get("windows") or []):
            for name, v in metrics.items():
                names.append(name)
                windows.append(i)
                starts.append(float(start))
                ends.append(float(end))
                values.append(_finite(v))
        if names:
            self.con.execute(
                "INSERT INTO metrics SELECT $1, unnest($2::VARCHAR[]), unnest($3::INTEGER[]), "
                "unnest($4::DOUBLE[]), unnest($5::DOUBLE[]), unnest($6::DOUBLE[])",
                [vid, names, windows, starts, ends, values])
        info = {k: tuple(v) for k, v in (result.get("metric_info") or {}).items()
                if self._metric_info.get(k) != tuple(v)}
        if info:
            self.con.execute(
                "INSERT OR REPLACE INTO metric_info SELECT unnest($1::VARCHAR[]), "
                "unnest($2::VARCHAR[]), unnest($3::VARCHAR[])",
                [list(info), [u for u, _ in info.values()], [f for _, f in info.values()]])
        if series and result.get("series"):
            units = result.get("series_units") or {}
            names = list(result["series"])
            self.con.execute(
                "INSERT INTO series SELECT $1, unnest($2::VARCHAR[]), unnest($3::VARCHAR[]), "
                "unnest($4::DOUBLE[][])",
                [vid, names, [units.get(n, "") for n in names],
                 [[_finite(x) for x in result["series"][n]] for n in names]])
        ev_names: list[str] = []
        ev_times: list[float] = []
        for name, times in (result.get("events") or {}).items():
            ev_names += [name] * len(times)
            ev_times += [float(t) for t in times]
        if ev_names:
            self.con.execute("INSERT INTO events SELECT $1, unnest($2::VARCHAR[]), "
                             "unnest($3::DOUBLE[])", [vid, ev_names, ev_times])

    def retag(self, vid: str, item: Item) -> None:
        """A file already analyzed was seen again (maybe moved, renamed or re-tagged):
        record its current path and any tags given now, without analyzing it again."""
        tags = _tags(item)
        with self.transaction():
            self._write_file(item)
            self.con.execute(
                "UPDATE videos SET path = ?, file_name = ?, label = coalesce(?, label), "
                "source = coalesce(?, source), folder = coalesce(?, folder), "
                "extra = coalesce(?, extra), updated_at = ? WHERE video_id = ? AND "
                "(path IS DISTINCT FROM ? OR label IS DISTINCT FROM coalesce(?, label) OR "
                "source IS DISTINCT FROM coalesce(?, source) OR "
                "folder IS DISTINCT FROM coalesce(?, folder) OR "
                "extra IS DISTINCT FROM coalesce(?, extra))",
                [path_text(item.path), path_text(os.path.basename(item.path)), *tags.values(),
                 _json(item.extra) if item.extra else None, _now(), vid,
                 path_text(item.path), *tags.values(),
                 _json(item.extra) if item.extra else None])

    # -- reading -------------------------------------------------------------------------
    def query(self, sql: str, params: Sequence[Any] | None = None
              ) -> tuple[list[str], list[tuple]]:
        """Run ``sql``; (column names, rows)."""
        cur = self.con.execute(sql, params or [])
        cols = [d[0] for d in cur.description] if cur.description else []
        return cols, cur.fetchall() if cur.description else []

    def export_parquet(self, out_dir: str | os.PathLike) -> list[Path]:
        """Write every table, plus ``video_metrics`` (one row per ok video, one column per
        whole-video metric), as Parquet files in ``out_dir``; the paths written."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for table in TABLES:
            target = out / f"{table}.parquet"
            with _atomic_target(target) as tmp:
                self.con.execute(f"COPY {table} TO '{_sql_str(tmp)}' (FORMAT PARQUET)")
            written.append(target)
        n_metrics = self.con.execute("SELECT count(DISTINCT metric) FROM metrics").fetchone()[0]
        target = out / "video_metrics.parquet"
        if n_metrics:
            with _atomic_target(target) as tmp:
                self.con.execute(
                    f"COPY (SELECT v.video_id, v.path, v.label, v.source, v.folder, m.* "
                    f"EXCLUDE (video_id) FROM videos v JOIN (PIVOT (SELECT video_id, metric, "
                    f"value FROM metrics WHERE window_index = -1) ON metric USING first(value) "
                    f"GROUP BY video_id) m USING (video_id)) TO '{_sql_str(tmp)}' "
                    f"(FORMAT PARQUET)")
            written.append(target)
        return written


@contextlib.contextmanager
def _atomic_target(target: Path) -> Iterator[Path]:
    """A hidden temporary path beside ``target``, renamed to it when the block succeeds
    and removed when it fails: a file written whole or not at all."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def _json(obj: Any) -> str:
    """``obj`` as JSON that DuckDB accepts: a string with a surrogate escape (a byte of a
    file name that is not UTF-8) is written with ``\\xNN`` instead (see plain_text)."""
    text = json.dumps(obj, allow_nan=False, default=str)
    if "\\ud" not in text:
        return text
    return json.dumps(_plain_strings(obj), allow_nan=False, default=str)


def _plain_strings(obj: Any) -> Any:
    if isinstance(obj, str):
        return plain_text(obj)
    if isinstance(obj, dict):
        return {plain_text(str(k)): _plain_strings(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain_strings(v) for v in obj]
    return obj


def _tags(item: Item) -> dict[str, str | None]:
    """The label, source and folder of ``item`` as the store keeps them (valid UTF-8)."""
    return {"label": None if item.label is None else plain_text(item.label),
            "source": None if item.source is None else plain_text(item.source),
            "folder": None if item.folder is None else path_text(item.folder)}


def _sql_str(p: Path) -> str:
    return str(p).replace("'", "''")


def _fact(v: Any, sql_type: str) -> Any:
    if v is None:
        return None
    try:
        if sql_type == "INTEGER":
            return int(v)
        if sql_type == "DOUBLE":
            return _finite(v)
        if sql_type == "BOOLEAN":
            return bool(v)
        return str(v)
    except (TypeError, ValueError):
        return None
