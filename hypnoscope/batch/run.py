"""``hypnoscope batch``: analyze whole corpora into a DuckDB file, crash-isolated and resumable.

The parent process expands the inputs, hashes each file (a background thread), skips what
the database already holds for the same content and analysis options, and hands the rest to
an engine: a local pool of worker processes (:mod:`hypnoscope.batch.pool`) or Ray tasks
(:mod:`hypnoscope.batch.ray_engine`). Every result comes back to the parent, the single writer of
the database, which stores each video in one transaction. Killing the batch at any point
loses at most the files in flight; running the same command again finishes the rest.
"""

from __future__ import annotations

import math
import os
import queue
import signal
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from hypnoscope.batch.inputs import InputFile, collect_inputs, content_hash, regular_file_size
from hypnoscope.batch.pool import PENDING, LocalPool
from hypnoscope.batch.store import Item, Store, analysis_key, video_id
from hypnoscope.media.decode import DEFAULT_FPS, DEFAULT_HEIGHT
from hypnoscope.metrics import DEFAULT_WINDOW_S

GIB = 1 << 30


def default_workers() -> int:
    """One worker per CPU this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


@dataclass
class BatchOptions:
    """Everything a batch run is told. ``max_memory`` in bytes (None: no cap), ``timeout``
    in s per file; ``height``/``fps``/``window_s`` are the analysis options."""

    height: int = DEFAULT_HEIGHT
    fps: float = DEFAULT_FPS
    window_s: float = DEFAULT_WINDOW_S
    workers: int = field(default_factory=default_workers)
    timeout: float = 600.0
    max_memory: int | None = 2 * GIB
    engine: str = "local"
    address: str | None = None
    retry_failed: bool = False
    label: str | None = None
    source: str | None = None
    label_from_folder: bool = False
    series: bool = True

    def analysis_options(self) -> dict[str, Any]:
        return {"height": int(self.height), "fps": float(self.fps),
                "window_s": float(self.window_s)}


@dataclass
class Failure:
    path: str
    kind: str
    error: str
    earlier: bool = False  # recorded by an earlier run and not retried


@dataclass
class BatchSummary:
    """What a run did. ``skipped`` were already in the database (or duplicates)."""

    db: str
    total: int = 0
    ok: int = 0
    failed: int = 0
    skipped: int = 0
    failed_earlier: int = 0
    frames_decoded: int = 0
    frames_analyzed: int = 0
    elapsed_s: float = 0.0
    interrupted: str | None = None  # the signal's name if the run was stopped
    failures: list[Failure] = field(default_factory=list)
    #: AI-likeness (0..1) of every file analyzed in this run that a model scored
    ai_likeness: list[float] = field(default_factory=list)

    @property
    def done(self) -> int:
        return self.ok + self.failed + self.skipped + self.failed_earlier

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return 130 if self.interrupted == "SIGINT" else 143
        return 1 if (self.failed or self.failed_earlier) else 0


def ai_likeness_of(result: dict | None) -> float | None:
    """The AI-likeness (0..1) in a worker's result, None when no model scored the file."""
    scores = ((result or {}).get("extras") or {}).get("scores") or {}
    try:
        p = float(scores.get("ai_likeness"))
    except (TypeError, ValueError):
        return None
    return p if math.isfinite(p) else None


class Reporter:
    """Receives progress events; the base class ignores them (``--quiet``)."""

    def start(self, summary: BatchSummary, options: BatchOptions) -> None: ...

    def advance(self, summary: BatchSummary, path: str, status: str,
                result: dict | None = None) -> None: ...

    def finish(self, summary: BatchSummary) -> None: ...


class _Planner(threading.Thread):
    """Background thread: stat and hash every input, decide what to do with it, queue it.

    Queued entries: ``("analyze", item, vid)``, ``("skip", item, vid)`` (already done),
    ``("failed-earlier", item, vid)``, ``("duplicate", item, vid)`` (same content as an
    earlier input of this run) and ``("unreadable", item, reason)``.
    """

    def __init__(self, files: list[InputFile], key: str, known: dict[str, tuple[int, int, str]],
                 statuses: dict[str, str], opts: BatchOptions):
        super().__init__(name="hypnoscope-planner", daemon=True)
        self.files, self.key, self.known, self.statuses, self.opts = (
            files, key, known, statuses, opts)
        self.out: queue.Queue = queue.Queue(maxsize=256)
        self.finished = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            seen: set[str] = set()
            for f in self.files:
                self.out.put(self._plan(f, seen))
        except BaseException as e:  # noqa: BLE001 - reported by the main thread
            self.error = e
        finally:
            self.finished.set()

    def _plan(self, f: InputFile, seen: set[str]) -> tuple:
        label = f.label or self.opts.label or (f.folder if self.opts.label_from_folder else None)
        item = Item(path=f.path, content_hash=None, label=label,
                    source=f.source or self.opts.source, folder=f.folder,
                    extra=f.extra or None)
        try:
            size, mtime = regular_file_size(f.path)
            cached = self.known.get(f.path)
            digest = cached[2] if cached and cached[:2] == (size, mtime) else content_hash(f.path)
        except FileNotFoundError:
            return ("unreadable", item, "file not found")
        except OSError as e:
            return ("unreadable", item, e.strerror or str(e))
        item.content_hash, item.size_bytes, item.mtime_ns = digest, size, mtime
        vid = video_id(digest, self.key, f.path)
        if vid in seen:
            return ("duplicate", item, vid)
        seen.add(vid)
        status = self.statuses.get(vid)
        if status == "ok":
            return ("skip", item, vid)
        if status == "failed" and not self.opts.retry_failed:
            return ("failed-earlier", item, vid)
        return ("analyze", item, vid)


class _Interrupt:
    """SIGINT/SIGTERM set a flag the loop checks (a second SIGINT raises at once)."""

    def __init__(self) -> None:
        self.signal: str | None = None
        self._saved: dict[int, Any] = {}

    def __enter__(self) -> _Interrupt:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._saved[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum, frame) -> None:
        if self.signal == "SIGINT" and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.signal = signal.Signals(signum).name

    def __exit__(self, *exc) -> None:
        for sig, handler in self._saved.items():
            signal.signal(sig, handler)


def make_engine(opts: BatchOptions):
    """The engine named by ``opts.engine``: ``local`` (process pool) or ``ray``."""
    if opts.engine == "local":
        return LocalPool(opts.workers, timeout=opts.timeout, max_memory=opts.max_memory)
    if opts.engine == "ray":
        from hypnoscope.batch.ray_engine import RayEngine
        return RayEngine(address=opts.address, timeout=opts.timeout,
                         max_memory=opts.max_memory, max_in_flight=None)
    raise ValueError(f"unknown engine {opts.engine!r} (use 'local' or 'ray')")


def run_batch(inputs: Sequence[str | os.PathLike], db: str | os.PathLike,
              opts: BatchOptions | None = None, reporter: Reporter | None = None,
              command: str = "") -> BatchSummary:
    """Analyze every input file not yet in ``db`` and store the results; a summary.

    Raises :class:`hypnoscope.batch.store.StoreBusy` when another process writes ``db`` and
    :class:`hypnoscope.batch.inputs.InputError` for an unusable INPUT argument.
    """
    opts = opts or BatchOptions()
    reporter = reporter or Reporter()
    files = list(collect_inputs(inputs))
    summary = BatchSummary(db=str(db), total=len(files))
    options = opts.analysis_options()
    key = analysis_key(options)
    run_id = uuid.uuid4().hex[:12]
    t0 = time.monotonic()
    with Store(db) as store, _Interrupt() as interrupt:
        store.start_run(run_id, command=command, engine=opts.engine,
                        workers=opts.workers, options=options, key=key)
        statuses = store.statuses(key)
        planner = _Planner(files, key, store.file_hashes(), statuses, opts)
        planner.start()
        reporter.start(summary, opts)
        pending: dict[int, tuple[Item, str]] = {}
        next_id = iter(range(1 << 62))

        def on_result(task: dict, result: dict) -> None:
            item, vid = pending.pop(task["id"])
            store.write_result(item, key, result, run_id=run_id, series=opts.series,
                               replace=vid in statuses)
            if result.get("ok"):
                summary.ok += 1
                facts = result.get("source") or {}
                summary.frames_decoded += int(facts.get("frames_decoded") or 0)
                summary.frames_analyzed += int(facts.get("frames_analyzed") or 0)
                p = ai_likeness_of(result)
                if p is not None:
                    summary.ai_likeness.append(p)
                reporter.advance(summary, item.path, "ok", result)
            else:
                summary.failed += 1
                summary.failures.append(Failure(item.path, result.get("kind", "error"),
                                                result.get("error", "")))
                reporter.advance(summary, item.path, "failed", result)

        def next_task() -> Any:
            while True:
                try:
                    entry = planner.out.get_nowait()
                except queue.Empty:
                    if planner.finished.is_set() and planner.out.empty():
                        if planner.error is not None:
                            raise planner.error from None
                        return None
                    return PENDING
                task = _handle_entry(entry)
                if task is not None:
                    return task

        def _handle_entry(entry: tuple) -> dict | None:
            kind, item, extra = entry
            if kind == "analyze":
                tid = next(next_id)
                pending[tid] = (item, extra)
                return {"id": tid, "path": item.path, "options": options}
            if kind == "unreadable":
                result = {"ok": False, "kind": "unreadable", "error": extra}
                vid = video_id(None, key, item.path)
                if statuses.get(vid) == "failed" and not opts.retry_failed:
                    summary.failed_earlier += 1
                    summary.failures.append(Failure(item.path, "unreadable", extra, True))
                    reporter.advance(summary, item.path, "failed-earlier", result)
                    return None
                store.write_result(item, key, result, run_id=run_id, replace=vid in statuses)
                summary.failed += 1
                summary.failures.append(Failure(item.path, "unreadable", extra))
                reporter.advance(summary, item.path, "failed", result)
                return None
            store.retag(extra, item)
            if kind == "failed-earlier":
                summary.failed_earlier += 1
                row = store.query("SELECT error_kind, error FROM videos WHERE video_id = ?",
                                  [extra])[1]
                k, err = row[0] if row else ("error", "")
                summary.failures.append(Failure(item.path, k or "error", err or "", True))
            else:
                summary.skipped += 1
            reporter.advance(summary, item.path, kind)
            return None

        engine = make_engine(opts)
        status = "interrupted"
        try:
            completed = engine.run(next_task, on_result, lambda: interrupt.signal is not None)
            status = "finished" if completed else "interrupted"
        finally:
            engine.close()
            summary.elapsed_s = time.monotonic() - t0
            if status == "interrupted":
                summary.interrupted = interrupt.signal or "SIGINT"
            store.finish_run(run_id, status, n_inputs=summary.total, n_ok=summary.ok,
                             n_failed=summary.failed + summary.failed_earlier,
                             n_skipped=summary.skipped)
    reporter.finish(summary)
    return summary


def parse_size(text: str) -> int | None:
    """``"2GiB"``, ``"512M"``, ``"0"`` (no limit) → bytes (None for no limit)."""
    s = text.strip().lower().replace(" ", "").removesuffix("b").removesuffix("i")
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
    mult = 1
    if s and s[-1] in units:
        mult = units[s[-1]]
        s = s[:-1]
    try:
        value = float(s)
    except ValueError:
        raise ValueError(f"not a size: {text!r} (e.g. 2GiB, 512MiB, 0 for no limit)") from None
    if value < 0:
        raise ValueError(f"size must be >= 0: {text!r}")
    return None if value == 0 else int(value * mult)

