"""Reading a results database that a batch may be writing at the same time.

DuckDB lets one process write a file and refuses every other process, readers included,
while it does. So the browser reads in one of two ways, chosen on every request:

- **direct**: when no process writes the file, a short-lived read-only connection on the
  file itself, opened for one request and closed at its end (the server never holds the
  file between requests, so a batch can start on it; a batch started in the few
  milliseconds a request holds it is refused with its usual message and can be re-run);
- **snapshot**: while a batch holds the file, a private copy of it (and of its write-ahead
  log) in a temporary folder, opened read-only. The copy shows every video committed when
  it was taken; it is taken again when the file has changed and the copy is older than
  ``refresh_s``, so a page refresh shows what has landed since. A copy made while the
  writer checkpointed (the main file changed during the copy) is thrown away and taken
  again.

Nothing is ever written to the database: connections are read-only, and a snapshot is a
copy that only this process reads.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb

from hypnoscope.batch.store import DUCKDB_CONFIG, store_problem
from hypnoscope.report.paths import path_text


class SourceError(RuntimeError):
    """The database cannot be read (missing, not a results database, or unreadable)."""


@dataclass(frozen=True)
class Signature:
    """What identifies one state of the database file: size, mtime (ns) and inode of the
    file and of its write-ahead log (``None`` when there is none)."""

    db: tuple[int, int, int]
    wal: tuple[int, int, int] | None


def _stat(p: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(p)
    except FileNotFoundError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def _is_lock_error(e: BaseException) -> bool:
    return isinstance(e, duckdb.IOException) and "lock" in str(e).lower()


def _sql_str(p: Path | str) -> str:
    """``p`` inside single quotes of a SQL string."""
    return str(p).replace("'", "''")


def _copy(src: Path, dst: Path) -> None:
    """Copy ``src`` to ``dst`` with ``copy_file_range`` where the kernel has it (a reflink
    or a server-side copy on file systems that can), else with plain reads."""
    with open(src, "rb") as fi, open(dst, "wb") as fo:
        if hasattr(os, "copy_file_range"):
            try:
                while os.copy_file_range(fi.fileno(), fo.fileno(), 1 << 30):
                    pass
                return
            except OSError:
                fi.seek(0)
                fo.seek(0)
                fo.truncate()
        shutil.copyfileobj(fi, fo, 1 << 20)


class ResultsSource:
    """Read-only access to the results database at ``path``: :meth:`connect` gives a
    DuckDB connection for one request, on the file itself or on a recent snapshot."""

    def __init__(self, path: str | os.PathLike, refresh_s: float = 2.0,
                 snapshot_dir: str | os.PathLike | None = None):
        self.path = Path(path).absolute()
        self.wal = self.path.with_name(self.path.name + ".wal")
        self.refresh_s = float(refresh_s)
        self._snapshot_root = snapshot_dir
        self._tmp: tempfile.TemporaryDirectory | None = None
        self._lock = threading.Lock()
        self._snap: tuple[Path, Signature, float] | None = None  # file, of what, when
        self._n = 0
        #: "direct" or "snapshot": how the last request read the database
        self.mode = "direct"
        if not self.path.exists():
            raise SourceError(f"{path_text(path)}: no such database")
        problem = store_problem(self.path)
        if problem:
            raise SourceError(problem)

    # -- state ---------------------------------------------------------------------------
    def signature(self) -> Signature:
        """The current :class:`Signature` of the database file."""
        db = _stat(self.path)
        if db is None:
            raise SourceError(f"{self.path}: the database is gone")
        return Signature(db, _stat(self.wal))

    @property
    def snapshot_time(self) -> float | None:
        """When the snapshot in use was taken (epoch s), None when reading directly."""
        return self._snap[2] if self._snap and self.mode == "snapshot" else None

    # -- connections ---------------------------------------------------------------------
    @contextlib.contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection for one request, closed when the block ends."""
        try:
            con = duckdb.connect(str(self.path), read_only=True, config=DUCKDB_CONFIG)
            con.execute("SET enable_progress_bar = false")
            self.mode = "direct"
        except duckdb.Error as e:
            if not _is_lock_error(e):
                raise SourceError(f"{self.path}: cannot be read "
                                  f"({' '.join(str(e).split())[:200]})") from None
            con = duckdb.connect(str(self._snapshot()), read_only=True, config=DUCKDB_CONFIG)
            con.execute("SET enable_progress_bar = false")
            self.mode = "snapshot"
        try:
            yield con
        finally:
            con.close()

    def attach(self, con: duckdb.DuckDBPyConnection, alias: str) -> None:
        """ATTACH the database read-only to ``con`` as ``alias`` (the file itself, or a
        snapshot while a writer holds it); the caller DETACHes it."""
        try:
            con.execute(f"ATTACH '{_sql_str(self.path)}' AS {alias} (READ_ONLY)")
            self.mode = "direct"
        except duckdb.Error as e:
            if not _is_lock_error(e):
                raise SourceError(f"{self.path}: cannot be read "
                                  f"({' '.join(str(e).split())[:200]})") from None
            con.execute(f"ATTACH '{_sql_str(self._snapshot())}' AS {alias} (READ_ONLY)")
            self.mode = "snapshot"

    def _snapshot(self) -> Path:
        """A copy of the database taken at most ``refresh_s`` ago (or since when the file
        has not changed), taken now if needed."""
        with self._lock:
            now = time.time()
            if self._snap is not None:
                file, sig, when = self._snap
                if now - when < self.refresh_s or sig == self.signature():
                    return file
            last_error = ""
            for _ in range(5):
                made = self._take()
                if made is not None:
                    file, sig = made
                    old = self._snap
                    self._snap = (file, sig, now)
                    if old is not None:  # open connections keep reading the unlinked copy
                        for p in (old[0], old[0].with_name(old[0].name + ".wal")):
                            with contextlib.suppress(OSError):
                                p.unlink()
                    return file
                last_error = "the file changed while it was copied"
                time.sleep(0.05)
            if self._snap is not None:
                return self._snap[0]
            raise SourceError(f"{self.path} is being written and no consistent copy could be "
                              f"read ({last_error}); try again")

    def _take(self) -> tuple[Path, Signature] | None:
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="hypnoscope-browse-",
                                                    dir=self._snapshot_root)
        self._n += 1
        dst = Path(self._tmp.name) / f"snapshot-{self._n}.duckdb"
        dst_wal = dst.with_name(dst.name + ".wal")
        before = self.signature()
        _copy(self.path, dst)
        if self.wal.exists():
            with contextlib.suppress(FileNotFoundError):  # checkpointed meanwhile
                _copy(self.wal, dst_wal)
        after = self.signature()
        if after.db != before.db:  # a checkpoint rewrote the file during the copy
            for p in (dst, dst_wal):
                with contextlib.suppress(OSError):
                    p.unlink()
            return None
        try:  # the copy must open: DuckDB checks its blocks and replays the log
            duckdb.connect(str(dst), read_only=True, config=DUCKDB_CONFIG).close()
        except duckdb.Error:
            for p in (dst, dst_wal):
                with contextlib.suppress(OSError):
                    p.unlink()
            return None
        return dst, before

    def close(self) -> None:
        """Remove the snapshots."""
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
        self._snap = None
