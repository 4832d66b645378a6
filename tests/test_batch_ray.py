"""``hypnoscope batch --engine ray`` against a real Ray head started by this test on
127.0.0.1 (skipped when Ray is not installed). Only that head is stopped afterwards."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

try:
    from test_batch import cli_env, make_clip, rows, run_cli
except ImportError:  # tests/ is a package
    from tests.test_batch import cli_env, make_clip, rows, run_cli

pytest.importorskip("ray")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ray_env() -> dict[str, str]:
    """Loopback only, and a token of our own (never one from ~/.ray)."""
    env = cli_env()
    env.update(RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER="0", RAY_AUTH_MODE="token",
               RAY_AUTH_TOKEN=secrets.token_hex(32), RAY_USAGE_STATS_ENABLED="0")
    env.pop("RAY_ADDRESS", None)
    return env


@pytest.fixture(scope="module")
def ray_head(tmp_path_factory):
    env = ray_env()
    port = _free_port()
    log = tmp_path_factory.mktemp("ray") / "head.log"
    ray_cli = Path(sys.executable).with_name("ray")
    cmd = [str(ray_cli) if ray_cli.exists() else "ray", "start", "--head", "--block",
           "--node-ip-address=127.0.0.1", f"--port={port}", "--num-cpus=2",
           "--include-dashboard=false", "--disable-usage-stats",
           f"--dashboard-port={_free_port()}",
           f"--dashboard-agent-listen-port={_free_port()}",
           f"--runtime-env-agent-port={_free_port()}",
           f"--metrics-export-port={_free_port()}"]
    with open(log, "w") as out:
        head = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)  # its own process group
    try:
        deadline = time.monotonic() + 90
        while "Ray runtime started" not in log.read_text():
            if head.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the Ray head did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
        yield f"127.0.0.1:{port}", env
    finally:
        # stop only the head this test started: its whole process group
        for sig, wait in ((signal.SIGTERM, 3), (signal.SIGKILL, 5)):
            try:
                os.killpg(head.pid, sig)
            except ProcessLookupError:
                break
            try:
                head.wait(wait)
                time.sleep(0.5)
            except subprocess.TimeoutExpired:
                continue
        # `ray stop` would also forget the cluster; do that for this head only, so that a
        # later ray.init() does not try to join a head that is gone
        current = Path(tempfile.gettempdir()) / "ray" / "ray_current_cluster"
        with contextlib.suppress(OSError):
            if current.read_text().strip() == f"127.0.0.1:{port}":
                current.unlink()


def test_ray_engine_gives_the_same_rows_as_the_local_engine(ray_head, tmp_path):
    address, env = ray_head
    for i in range(4):
        make_clip(tmp_path / "clips" / f"good{i}.mp4", seed=300 + i)
    make_clip(tmp_path / "clips" / "crash.mp4", seed=310)
    (tmp_path / "clips" / "notes.mp4").write_text("not a video")
    faults = "segv=crash.mp4"
    local_db, ray_db = tmp_path / "local.duckdb", tmp_path / "ray.duckdb"
    local = run_cli("batch", str(tmp_path / "clips"), "--db", str(local_db), faults=faults)
    env = dict(env, HYPNOSCOPE_TEST_FAULTS=faults)
    remote = subprocess.run([sys.executable, "-m", "hypnoscope", "batch",
                             str(tmp_path / "clips"), "--db", str(ray_db), "--engine", "ray",
                             "--address", address, "--timeout", "60"],
                            env=env, capture_output=True, text=True, timeout=240)
    assert local.returncode == remote.returncode == 1, remote.stdout + remote.stderr
    q_videos = ("SELECT video_id, file_name, status, error_kind, duration_s, frames_analyzed "
                "FROM videos ORDER BY video_id")
    assert rows(ray_db, q_videos) == rows(local_db, q_videos)
    assert dict(rows(ray_db, "SELECT file_name, error_kind FROM videos WHERE status = "
                             "'failed'")) == {"crash.mp4": "crash", "notes.mp4": "video"}
    q_metrics = ("SELECT video_id, metric, window_index, value FROM metrics "
                 "ORDER BY ALL")
    got, want = rows(ray_db, q_metrics), rows(local_db, q_metrics)
    assert len(got) == len(want) > 0
    for g, w in zip(got, want, strict=True):
        assert g[:3] == w[:3]
        assert (g[3] is None and w[3] is None) or g[3] == pytest.approx(w[3], rel=1e-9,
                                                                         abs=1e-12)
    q_series = "SELECT video_id, name, value FROM series ORDER BY ALL"
    assert rows(ray_db, q_series) == rows(local_db, q_series)
    workers = {w for (w,) in rows(ray_db, "SELECT worker FROM videos WHERE status = 'ok'")}
    assert all(w.startswith(socket.gethostname() + ":") for w in workers)
    assert rows(ray_db, "SELECT engine, status FROM runs") == [("ray", "finished")]
