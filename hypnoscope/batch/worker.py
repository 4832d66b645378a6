"""The per-file work of a batch, as run inside a worker process.

:func:`analyze_task` turns one task (a path and analysis options) into a plain, picklable
result: either ``{"ok": True, ...}`` with everything measured, or ``{"ok": False, "kind",
"error"}``. It never raises. :func:`apply_limits` caps the process's memory, and
:func:`worker_loop` is the body of a local pool worker (one task at a time over a pipe).

Fault injection for tests: the environment variable ``HYPNOSCOPE_TEST_FAULTS`` holds rules
``action=glob`` separated by ``;`` (actions ``segv``, ``hang``, ``oom``, ``raise``,
``exit``, and ``slow:SECONDS`` which only delays the analysis); a worker about to analyze a
file whose name matches ``glob`` does that instead. It exists so that the tests can make a
real worker crash, hang or run out of memory, or make a batch last long enough to kill.
"""

from __future__ import annotations

import fnmatch
import os
import resource
import signal
import sys
import threading
import time
import traceback
from typing import Any

from hypnoscope.analysis import DOCUMENT_KEYS

FAULTS_ENV = "HYPNOSCOPE_TEST_FAULTS"

#: Environment for worker processes: one BLAS/OpenMP thread each (files are the
#: parallelism) and at most two malloc arenas, so that the address-space limit measures
#: memory in use rather than per-thread arena reservations.
WORKER_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              "MALLOC_ARENA_MAX": "2"}



def apply_limits(max_memory: int | None) -> None:
    """Cap this process's address space at ``max_memory`` bytes (None or 0: no cap)."""
    if max_memory:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = max_memory if hard == resource.RLIM_INFINITY else min(max_memory, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _inject_fault(path: str) -> None:
    rules = os.environ.get(FAULTS_ENV, "")
    name = os.path.basename(path)
    for rule in filter(None, (r.strip() for r in rules.split(";"))):
        action, _, pattern = rule.partition("=")
        action, _, arg = action.partition(":")
        if not fnmatch.fnmatch(name, pattern):
            continue
        if action == "slow":
            time.sleep(float(arg or 1.0))
        elif action == "segv":
            os.kill(os.getpid(), signal.SIGSEGV)
            time.sleep(5)
        elif action == "hang":
            while True:
                time.sleep(3600)
        elif action == "oom":
            import numpy as np
            hog = []
            while True:  # reserve (untouched) memory until the address-space limit says no
                hog.append(np.empty(256 << 20, np.uint8))
        elif action == "raise":
            raise RuntimeError("injected failure")
        elif action == "exit":
            os._exit(3)


def analyze_task(task: dict[str, Any]) -> dict[str, Any]:
    """Analyze ``task["path"]`` with ``task["options"]`` (height, fps, window_s).

    Returns a picklable dict; failures are returned, not raised, with ``kind`` one of
    ``video`` (the file is not analyzable), ``memory`` or ``error`` (a bug or the unexpected).
    """
    from hypnoscope.analysis import analyze
    from hypnoscope.errors import VideoError

    path = task["path"]
    t0 = time.perf_counter()
    try:
        _inject_fault(path)
        a = analyze(path, **task["options"])
        doc = a.to_dict(keyframes=True)  # thumbnails travel in the document: report --db
        return {
            "ok": True,
            "elapsed_s": time.perf_counter() - t0,
            "source": doc["source"],
            "options": dict(a.options),
            "schema_version": doc["schema_version"],
            "hypnoscope_version": a.version,
            "metrics": {k: float(v) for k, v in a.metrics.items()},
            "metric_info": {k: (m.get("unit", ""), m.get("factor", ""))
                            for k, m in doc["metrics"].items()},
            "windows": [(float(w.start), float(w.end),
                         {k: float(v) for k, v in w.metrics.items()}) for w in a.windows],
            "times": [float(t) for t in a.times],
            "series": {k: [float(x) for x in v] for k, v in a.series.items()},
            "series_units": dict(a.series_units),
            "events": {k: [float(x) for x in v] for k, v in a.events.items()},
            # everything the tables do not hold (scores, intent, keyframes) goes to
            # videos.document as JSON
            "extras": {k: v for k, v in doc.items()
                       if k not in DOCUMENT_KEYS or k == "keyframes"},
        }
    except VideoError as e:
        return _failure("video", e.cause, t0)
    except MemoryError as e:
        detail = " ".join(str(e).split()) or type(e).__name__
        return _failure("memory", f"out of memory: {detail}", t0)
    except Exception as e:  # noqa: BLE001 - a batch records every failure and goes on
        tb = traceback.extract_tb(e.__traceback__)
        where = f" at {os.path.basename(tb[-1].filename)}:{tb[-1].lineno}" if tb else ""
        msg = " ".join(str(e).split())
        return _failure("error", f"{type(e).__name__}: {msg}{where}", t0)


def _failure(kind: str, error: str, t0: float) -> dict[str, Any]:
    return {"ok": False, "kind": kind, "error": error, "elapsed_s": time.perf_counter() - t0}


def _watch_parent(parent_pid: int) -> None:
    """Exit when the parent is gone (e.g. SIGKILLed), so that no worker is left behind."""
    while True:
        time.sleep(1.0)
        if os.getppid() != parent_pid:
            os._exit(0)


def prepare_worker(max_memory: int | None) -> None:
    """Set up a worker process: ignore Ctrl-C (the parent decides), import the analysis
    code, one OpenCV thread, then cap memory."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import cv2

    import hypnoscope.analysis  # noqa: F401 - import before the memory cap

    cv2.setNumThreads(1)
    apply_limits(max_memory)


def worker_loop(conn, parent_pid: int, max_memory: int | None) -> None:
    """Body of a local pool worker: say ``ready``, then analyze one task at a time.

    Messages sent: ``("ready", pid)`` once, then ``("done", task_id, result)`` per task.
    A ``None`` task ends the loop.
    """
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()
    try:
        prepare_worker(max_memory)
        conn.send(("ready", os.getpid()))
        while True:
            try:
                task = conn.recv()
            except EOFError:
                break
            if task is None:
                break
            conn.send(("done", task["id"], analyze_task(task)))
    except (BrokenPipeError, KeyboardInterrupt):
        pass
    finally:
        sys.stdout.flush()
