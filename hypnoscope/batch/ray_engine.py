"""The Ray engine: the same per-file work as the local pool, as Ray tasks on a cluster.

Each Ray task runs :func:`hypnoscope.batch.pool.run_isolated`: inside the Ray worker, a child
process (kept for the next task) analyzes the file under the same time and memory limits
as the local engine, so a codec crash or a hang costs one file and never the Ray worker.
Results stream back to the driver (``hypnoscope batch``), the single writer of the DuckDB
file. Paths must be readable at the same place on every node (a shared file system).

Ray is an optional extra: ``pip install 'hypnoscope[ray]'``.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path

from hypnoscope.batch.pool import PENDING, ResultSink, TaskSource
from hypnoscope.batch.worker import FAULTS_ENV, WORKER_ENV


def _ray_task(task: dict, timeout: float, max_memory: int | None) -> dict:
    from hypnoscope.batch.pool import run_isolated

    result = run_isolated(task, timeout=timeout, max_memory=max_memory)
    result["worker"] = f"{socket.gethostname()}:{result.get('worker_pid', os.getpid())}"
    return result


def _runtime_env() -> dict:
    """Environment for the Ray workers: this hypnoscope on the path (for a checkout that is
    not installed), the worker settings, and the test fault hook when it is set."""
    package_root = str(Path(__file__).resolve().parents[1])
    paths = [package_root] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep)
                              if p and p != package_root]
    env = dict(WORKER_ENV, PYTHONPATH=os.pathsep.join(paths))
    if os.environ.get(FAULTS_ENV):
        env[FAULTS_ENV] = os.environ[FAULTS_ENV]
    return {"env_vars": env}


class RayEngine:
    """Submit files as Ray tasks (``num_cpus=1``, no retries), at most ``max_in_flight`` at
    a time (default: twice the cluster's CPUs), and hand results back as they finish.

    ``address``: a Ray cluster (``host:port`` or ``ray://...``); None uses ``RAY_ADDRESS``
    or starts a local Ray for the run.
    """

    def __init__(self, address: str | None = None, *, timeout: float = 600.0,
                 max_memory: int | None = None, max_in_flight: int | None = None):
        import ray  # noqa: F401 - fail early with ImportError when Ray is missing

        self.address = address
        self.timeout = timeout
        self.max_memory = max_memory
        self.max_in_flight = max_in_flight
        self._in_flight: dict = {}  # ObjectRef -> (task, submitted at)
        self._started_ray = False

    def _connect(self):
        import ray

        if not ray.is_initialized():
            try:
                ray.init(address=self.address, runtime_env=_runtime_env(),
                         log_to_driver=False, configure_logging=False,
                         include_dashboard=False)
            except Exception as e:  # noqa: BLE001 - Ray raises many kinds here
                where = self.address or os.environ.get("RAY_ADDRESS") or "a local Ray"
                raise RuntimeError(f"cannot connect to {where}: {type(e).__name__}: "
                                   f"{' '.join(str(e).split())[:300]}") from e
            self._started_ray = True
        remote = ray.remote(num_cpus=1, max_retries=0)(_ray_task)
        cpus = int(ray.cluster_resources().get("CPU", 1))
        return ray, remote, self.max_in_flight or max(2, 2 * cpus)

    def run(self, next_task: TaskSource, on_result: ResultSink,
            should_stop: Callable[[], bool] = lambda: False) -> bool:
        ray, remote, limit = self._connect()
        exhausted = False
        while True:
            if should_stop():
                return False
            while not exhausted and len(self._in_flight) < limit:
                task = next_task()
                if task is None:
                    exhausted = True
                elif task is PENDING:
                    break
                else:
                    ref = remote.remote(task, self.timeout, self.max_memory)
                    self._in_flight[ref] = (task, time.monotonic())
            if exhausted and not self._in_flight:
                return True
            if not self._in_flight:
                time.sleep(0.05)
                continue
            ready, _ = ray.wait(list(self._in_flight), num_returns=1, timeout=0.25)
            for ref in ready:
                task, t0 = self._in_flight.pop(ref)
                try:
                    result = ray.get(ref)
                except ray.exceptions.RayError as e:
                    result = {"ok": False, "kind": "crash", "elapsed_s": time.monotonic() - t0,
                              "error": f"Ray task failed: {type(e).__name__}: "
                                       f"{' '.join(str(e).split())[:300]}"}
                on_result(task, result)
            self._cancel_overdue(ray, on_result)

    def _cancel_overdue(self, ray, on_result: ResultSink) -> None:
        """Backstop: the child enforces the time limit; a task still running long after it
        (a lost node, a stuck worker) is cancelled and recorded as timed out."""
        now = time.monotonic()
        for ref, (task, t0) in list(self._in_flight.items()):
            if now - t0 > 2 * self.timeout + 60:
                self._in_flight.pop(ref)
                with contextlib.suppress(Exception):
                    ray.cancel(ref, force=True)
                on_result(task, {"ok": False, "kind": "timeout", "elapsed_s": now - t0,
                                 "error": f"Ray task still running after {now - t0:.0f} s "
                                          f"(cancelled)"})

    def close(self) -> None:
        import ray

        for ref in list(self._in_flight):
            with contextlib.suppress(Exception):
                ray.cancel(ref, force=True)
        self._in_flight.clear()
        if self._started_ray:
            with contextlib.suppress(Exception):
                ray.shutdown()
