"""A small crash-proof process pool: N worker processes, one file at a time each.

``concurrent.futures.ProcessPoolExecutor`` breaks as a whole when one worker dies; here the
parent owns each worker and its pipe, so a worker that segfaults in a codec, runs out of
memory or exceeds the time limit (and is killed) costs only the file it was working on:
that file is reported as failed with the reason, and a fresh worker takes its place.
Workers are started with the ``spawn`` method (no inherited threads or locks).
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from typing import Any

from hypnoscope.batch.worker import WORKER_ENV, worker_loop

#: Returned by a task source that has nothing ready yet but is not exhausted.
PENDING = object()

TaskSource = Callable[[], Any]  # () -> task dict | PENDING | None (exhausted)
ResultSink = Callable[[dict, dict], None]  # (task, result) -> None


def death_reason(exitcode: int | None) -> str:
    """Words for how a worker process ended."""
    if exitcode is None:
        return "worker vanished"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        if name == "SIGKILL":
            return "worker killed (SIGKILL, e.g. by the kernel's out-of-memory killer)"
        return f"worker crashed ({name})"
    return f"worker exited with code {exitcode}"


@contextlib.contextmanager
def _worker_environment() -> Iterator[None]:
    """Set :data:`WORKER_ENV` while a worker is spawned (it inherits the environment)."""
    saved = {k: os.environ.get(k) for k in WORKER_ENV}
    os.environ.update(WORKER_ENV)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@dataclass
class _Worker:
    proc: Any
    conn: Any
    ready: bool = False
    task: dict | None = None
    started: float = 0.0
    n_tasks: int = 0
    pid: int = 0
    spawned: float = field(default_factory=time.monotonic)


class LocalPool:
    """``workers`` processes; ``timeout`` s per file; ``max_memory`` bytes of address space
    per worker (None: no cap); a worker is replaced after ``recycle_after`` files."""

    def __init__(self, workers: int, *, timeout: float = 600.0, max_memory: int | None = None,
                 recycle_after: int = 500, start_method: str = "spawn",
                 startup_timeout: float = 120.0):
        self.n = max(1, int(workers))
        self.timeout = float(timeout)
        self.max_memory = max_memory
        self.recycle_after = recycle_after
        self.startup_timeout = startup_timeout
        self.ctx = mp.get_context(start_method)
        self.workers: list[_Worker] = []
        self._startup_failures = 0
        self._retry: list[dict] = []

    # -- worker lifecycle -----------------------------------------------------------------
    def _spawn(self) -> _Worker:
        parent_conn, child_conn = self.ctx.Pipe(duplex=True)
        proc = self.ctx.Process(target=worker_loop, name="hypnoscope-worker",
                                args=(child_conn, os.getpid(), self.max_memory), daemon=True)
        with _worker_environment():
            proc.start()
        child_conn.close()
        return _Worker(proc=proc, conn=parent_conn)

    def start(self) -> None:
        """Start the workers (they import the analysis code in parallel)."""
        while len(self.workers) < self.n:
            self.workers.append(self._spawn())

    def _kill(self, w: _Worker) -> None:
        with contextlib.suppress(Exception):
            w.proc.kill()
        w.proc.join(5)
        with contextlib.suppress(Exception):
            w.conn.close()

    def _replace(self, w: _Worker) -> None:
        self._kill(w)
        self.workers[self.workers.index(w)] = self._spawn()

    def close(self) -> None:
        """Stop every worker: idle ones are asked to exit, busy ones are killed."""
        for w in self.workers:
            if w.task is None and w.proc.is_alive():
                with contextlib.suppress(Exception):
                    w.conn.send(None)
        deadline = time.monotonic() + 3.0
        for w in self.workers:
            if w.task is not None:
                self._kill(w)
            else:
                w.proc.join(max(0.0, deadline - time.monotonic()))
                self._kill(w)
        self.workers = []

    # -- the loop ------------------------------------------------------------------------
    def run(self, next_task: TaskSource, on_result: ResultSink,
            should_stop: Callable[[], bool] = lambda: False) -> bool:
        """Feed tasks from ``next_task`` to idle workers and hand every result to
        ``on_result`` until the source is exhausted and all tasks are done (returns True)
        or ``should_stop()`` (returns False; tasks in flight are abandoned)."""
        exhausted = False
        while True:
            if should_stop():
                return False
            if not self.workers:  # start the workers once there is work for them
                task = self._retry.pop() if self._retry else next_task()
                if task is None:
                    return True
                if task is PENDING:
                    time.sleep(0.02)
                    continue
                self._retry.append(task)
                self.start()
            if not exhausted or self._retry:
                exhausted = self._dispatch(next_task) or exhausted
            busy = [w for w in self.workers if w.task is not None]
            if exhausted and not busy and not self._retry:
                return True
            conns = [w.conn for w in self.workers] + [w.proc.sentinel for w in self.workers]
            ready = set(wait(conns, timeout=0.05 if not exhausted else 0.25))
            for w in list(self.workers):
                if w.conn in ready or w.proc.sentinel in ready:
                    self._receive(w, on_result)
            self._enforce_timeouts(on_result)

    def _dispatch(self, next_task: TaskSource) -> bool:
        """Give a task to every idle worker; True once the source is exhausted."""
        for w in self.workers:
            if not w.ready or w.task is not None:
                continue
            task = self._retry.pop() if self._retry else next_task()
            if task is None:
                return True
            if task is PENDING:
                return False
            try:
                w.conn.send(task)
            except (BrokenPipeError, OSError):
                # died while idle: the task never started; give it to another worker
                self._retry.append(task)
                self._replace(w)
                continue
            w.task, w.started = task, time.monotonic()
        return False

    def _receive(self, w: _Worker, on_result: ResultSink) -> None:
        try:
            while w.conn.poll():
                msg = w.conn.recv()
                if msg[0] == "ready":
                    w.ready, w.pid = True, msg[1]
                    self._startup_failures = 0
                elif msg[0] == "done":
                    task, w.task = w.task, None
                    w.n_tasks += 1
                    on_result(task, dict(msg[2], worker_pid=w.pid))
                    if w.n_tasks >= self.recycle_after:
                        with contextlib.suppress(Exception):
                            w.conn.send(None)
                        w.proc.join(5)
                        self._replace(w)
                        return
        except (EOFError, OSError):
            pass
        if not w.proc.is_alive() or w.conn.closed:
            self._died(w, on_result)

    def _died(self, w: _Worker, on_result: ResultSink) -> None:
        w.proc.join(5)
        reason = death_reason(w.proc.exitcode)
        task = w.task
        if task is None and not w.ready:
            self._startup_failures += 1
            if self._startup_failures >= 3:
                raise RuntimeError(f"batch workers fail to start: {reason}")
        self._replace(w)
        if task is not None:
            on_result(task, {"ok": False, "kind": "crash", "error": reason,
                             "elapsed_s": time.monotonic() - w.started, "worker_pid": w.pid})

    def _enforce_timeouts(self, on_result: ResultSink) -> None:
        now = time.monotonic()
        for w in list(self.workers):
            if w.task is not None and now - w.started > self.timeout:
                task = w.task
                self._replace(w)
                on_result(task, {"ok": False, "kind": "timeout",
                                 "error": f"timed out after {self.timeout:g} s (worker killed)",
                                 "elapsed_s": now - w.started, "worker_pid": w.pid})
            elif not w.ready and now - w.spawned > self.startup_timeout:
                self._replace(w)
                self._startup_failures += 1
                if self._startup_failures >= 3:
                    raise RuntimeError("batch workers fail to start (startup time-out)")


_ISOLATED: dict[tuple, LocalPool] = {}


def run_isolated(task: dict, *, timeout: float, max_memory: int | None) -> dict:
    """Run one task in this process's own single-worker pool (started on first use and
    kept for the next task): the same isolation, time and memory limits as the local
    engine, for callers such as Ray tasks that must never crash themselves."""
    key = (float(timeout), max_memory)
    pool = _ISOLATED.get(key)
    if pool is not None and any(w.task is not None for w in pool.workers):
        pool.close()  # a previous call was interrupted mid-task: never reuse its worker
    if pool is None:
        pool = _ISOLATED[key] = LocalPool(1, timeout=timeout, max_memory=max_memory)
    results: list[dict] = []
    remaining = [task]
    pool.run(lambda: remaining.pop() if remaining else None,
             lambda _t, r: results.append(r))
    return results[0]
