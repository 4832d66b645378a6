"""``hypnoscope batch`` end to end: real worker processes, real signals, a real DuckDB file.

Clips are tiny synthetic videos (2 s, 160x90); bad files are made for real (corrupt header,
truncated, not a video, a FIFO), and the worker fault hook (HYPNOSCOPE_TEST_FAULTS) makes a
real worker segfault, hang, or run out of its address-space limit.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pytest
from cli_run import cli_env, run_cli

import hypnoscope
from hypnoscope.media import synth

ROOT = Path(__file__).resolve().parents[1]


def make_clip(path: Path, seed: int, speed: float = 1.5) -> Path:
    """A 2 s 160x90 24 fps pan over a texture; ``seed`` makes the content unique."""
    path.parent.mkdir(parents=True, exist_ok=True)
    canvas = synth.texture(120, 260, seed=seed)
    synth.write_video(path, synth.pan(canvas, 48, speed, height=90, width=160), fps=24)
    return path


def rows(db: Path, sql: str, params=()) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def good_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("good*.mp4"))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """4 good clips in two labelled sub-folders, and one file of every kind of bad."""
    root = tmp_path_factory.mktemp("corpus")
    for i in range(4):
        make_clip(root / ("ai" if i % 2 else "real") / f"good{i}.mp4", seed=10 + i)
    spare = make_clip(root.parent / f"{root.name}-spare.mp4", seed=99)
    data = spare.read_bytes()
    (root / "truncated.mp4").write_bytes(data[: len(data) // 2])
    corrupt = bytearray(make_clip(root.parent / f"{root.name}-c.mp4", seed=98).read_bytes())
    corrupt[:64] = bytes(range(64))
    (root / "corrupt.mp4").write_bytes(bytes(corrupt))
    (root / "notes.mp4").write_text("this is not a video\n")
    (root / "readme.txt").write_text("not picked up by a folder search\n")
    os.mkfifo(root / "pipe.mp4")
    # valid videos that the fault hook turns into a crash, a hang and a memory blow-up
    for name, seed in (("crash.mp4", 20), ("hang.mp4", 21), ("oom.mp4", 22)):
        make_clip(root / name, seed=seed)
    return root


FAULTS = "segv=crash.mp4;hang=hang.mp4;oom=oom.mp4"
EXPECTED_FAILURES = {"truncated.mp4": "video", "corrupt.mp4": "video", "notes.mp4": "video",
                     "pipe.mp4": "unreadable", "crash.mp4": "crash", "hang.mp4": "timeout",
                     "oom.mp4": "memory"}


@pytest.fixture(scope="module")
def first_run(corpus, tmp_path_factory):
    db = tmp_path_factory.mktemp("db") / "results.duckdb"
    proc = run_cli("batch", str(corpus), "--db", str(db), "--workers", "2", "--timeout", "4",
                   "--max-memory", "1GiB", "--label-from-folder", faults=FAULTS)
    return db, proc


def test_batch_stores_good_and_records_bad(corpus, first_run):
    db, proc = first_run
    assert proc.returncode == 1, proc.stdout + proc.stderr
    status = {Path(p).name: (s, k, e) for p, s, k, e in
              rows(db, "SELECT path, status, error_kind, error FROM videos")}
    assert set(status) == {p.name for p in good_files(corpus)} | set(EXPECTED_FAILURES)
    for p in good_files(corpus):
        assert status[p.name][0] == "ok", status[p.name]
    for name, kind in EXPECTED_FAILURES.items():
        s, k, err = status[name]
        assert (s, k) == ("failed", kind), (name, status[name])
        assert err
    assert "SIGSEGV" in status["crash.mp4"][2]
    assert "timed out after 4 s" in status["hang.mp4"][2]
    assert "FIFO" in status["pipe.mp4"][2]
    # the failures are named in the output too
    for name in EXPECTED_FAILURES:
        assert name in proc.stdout
    labels = dict(rows(db, "SELECT file_name, label FROM videos WHERE status = 'ok'"))
    assert labels == {p.name: p.parent.name for p in good_files(corpus)}
    # each analyzed file's line leads with its verdict, the summary counts the verdicts
    from hypnoscope.report.verdict import verdict_word
    from hypnoscope.scoring.model import load_default_model

    if load_default_model() is not None:
        docs = dict(rows(db, "SELECT path, document FROM videos WHERE status = 'ok'"))
        for path, doc in docs.items():
            p = json.loads(doc)["scores"]["ai_likeness"]
            assert f"ok AI-likeness {100 * p:.0f} % ({verdict_word(p)}) {path}" in proc.stdout
        called = sum(json.loads(d)["scores"]["ai_likeness"] >= 0.5 for d in docs.values())
        assert f"verdict: {called} of {len(docs)} analyzed called generated" in proc.stdout
        undecided = sum(0.4 <= json.loads(d)["scores"]["ai_likeness"] < 0.6
                        for d in docs.values())
        assert f"; {undecided} undecided (40-60 %)" in proc.stdout


def test_stored_values_are_the_analysis(corpus, first_run):
    """Every metric of analyze(), whole video and per window, and every series, stored.
    The analysis is recomputed here, in another process than the batch worker: float32
    reductions may differ there in their last bits, hence a relative tolerance of 1e-6."""
    db, _ = first_run
    clip = good_files(corpus)[0]
    a = hypnoscope.analyze(clip)
    (vid,) = rows(db, "SELECT video_id FROM videos WHERE file_name = ?", [clip.name])[0]
    whole = dict(rows(db, "SELECT metric, value FROM metrics WHERE video_id = ? AND "
                          "window_index = -1", [vid]))
    assert set(whole) == set(a.metrics)
    for k, v in a.metrics.items():
        assert whole[k] == pytest.approx(v, rel=1e-6, abs=1e-9, nan_ok=True) or (
            whole[k] is None and not np.isfinite(v))
    n_win = rows(db, "SELECT count(DISTINCT window_index) FROM metrics WHERE video_id = ? "
                     "AND window_index >= 0", [vid])[0][0]
    assert n_win == len(a.windows)
    stored = {n: np.array(v, dtype=float) for n, v in
              rows(db, "SELECT name, value FROM series WHERE video_id = ?", [vid])}
    assert set(stored) == set(a.series)
    for name, values in a.series.items():
        np.testing.assert_allclose(stored[name], values, rtol=1e-6, equal_nan=True)
    times = rows(db, "SELECT frame_times, duration_s, frames_analyzed FROM videos "
                     "WHERE video_id = ?", [vid])[0]
    np.testing.assert_allclose(times[0], a.times)
    assert times[1] == pytest.approx(a.source.duration_s)
    assert times[2] == a.source.frames_analyzed


def test_rerun_skips_and_retry_failed_retries(corpus, first_run, tmp_path):
    db = tmp_path / "copy.duckdb"
    shutil.copy(first_run[0], db)
    n_metrics = rows(db, "SELECT count(*) FROM metrics")[0][0]
    proc = run_cli("batch", str(corpus), "--db", str(db), "--timeout", "4", faults=FAULTS)
    assert proc.returncode == 1  # the earlier failures still stand
    assert "failed in an earlier run" in proc.stdout
    last = rows(db, "SELECT n_ok, n_failed, n_skipped FROM runs ORDER BY started_at DESC "
                    "LIMIT 1")[0]
    assert last == (0, len(EXPECTED_FAILURES), len(good_files(corpus)))
    assert rows(db, "SELECT count(*) FROM metrics")[0][0] == n_metrics
    # without the fault hook, crash/hang/oom are fine videos: --retry-failed analyzes them
    proc = run_cli("batch", str(corpus), "--db", str(db), "--timeout", "20", "--retry-failed")
    assert proc.returncode == 1  # truncated, corrupt, notes, pipe still fail
    status = dict(rows(db, "SELECT file_name, status FROM videos"))
    assert {n for n, s in status.items() if s == "failed"} == {
        "truncated.mp4", "corrupt.mp4", "notes.mp4", "pipe.mp4"}
    assert len(status) == len(good_files(corpus)) + len(EXPECTED_FAILURES)
    assert rows(db, "SELECT count(*) FROM metrics")[0][0] == n_metrics * 7 // 4


@pytest.fixture(scope="module")
def many_clips(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("many")
    for i in range(12):
        make_clip(root / f"good{i:02d}.mp4", seed=100 + i, speed=0.5 + 0.1 * i)
    return root


def _child_pids(pid: int) -> set[int]:
    out = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            with open(task / "children") as f:
                out |= {int(x) for x in f.read().split()}
        except FileNotFoundError:  # the thread ended between the listing and the read
            continue
    return out


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[-1][0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=lambda s: s.name)
def test_killed_batch_resumes_without_loss_or_duplicates(many_clips, tmp_path, sig):
    db = tmp_path / "r.duckdb"
    args = [sys.executable, "-m", "hypnoscope", "batch", str(many_clips), "--db", str(db),
            "--workers", "2"]
    proc = subprocess.Popen(args, env=cli_env("slow:0.4=*"), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    done = 0
    workers: set[int] = set()
    deadline = time.monotonic() + 60
    while done < 4 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        done += " ok " in line
        workers |= _child_pids(proc.pid)
    assert done >= 4, proc.stderr.read()
    os.kill(proc.pid, sig)
    rc = proc.wait(30)
    assert rc == (130 if sig == signal.SIGINT else -signal.SIGKILL)
    # no worker outlives the batch, even one whose parent was SIGKILLed
    t_end = time.monotonic() + 10
    while any(_alive(p) for p in workers) and time.monotonic() < t_end:
        time.sleep(0.2)
    assert not any(_alive(p) for p in workers)
    stored = rows(db, "SELECT count(*) FROM videos")[0][0]
    assert 4 <= stored < 12
    proc2 = run_cli("batch", str(many_clips), "--db", str(db), "--workers", "2")
    assert proc2.returncode == 0, proc2.stdout + proc2.stderr
    paths = [p for (p,) in rows(db, "SELECT path FROM videos WHERE status = 'ok'")]
    assert sorted(paths) == sorted(str(p) for p in good_files(many_clips))
    # every video has the same complete set of rows, none twice
    per_video = rows(db, "SELECT video_id, count(*), count(DISTINCT (metric, window_index)) "
                         "FROM metrics GROUP BY video_id")
    assert len(per_video) == 12
    assert len({n for _, n, _ in per_video}) == 1
    assert all(n == d for _, n, d in per_video)
    series = rows(db, "SELECT video_id, count(*), count(DISTINCT name) FROM series "
                      "GROUP BY video_id")
    assert len(series) == 12 and all(n == d for _, n, d in series)
    runs = rows(db, "SELECT status, n_skipped FROM runs ORDER BY started_at")
    assert runs[0][0] == ("interrupted" if sig == signal.SIGINT else "running")
    assert runs[1] == ("finished", stored)


def test_second_writer_is_refused(many_clips, tmp_path):
    db = tmp_path / "r.duckdb"
    first = subprocess.Popen([sys.executable, "-m", "hypnoscope", "batch", str(many_clips),
                              "--db", str(db), "--workers", "1"], env=cli_env("slow:2=*"),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert first.stdout.readline().startswith("batch:")
        second = run_cli("batch", str(many_clips), "--db", str(db))
        assert second.returncode == 1
        assert "being written by another hypnoscope process" in second.stderr
        assert f"pid {first.pid}" in second.stderr
        busy = run_cli("query", "--db", str(db), "SELECT count(*) FROM videos")
        assert busy.returncode == 1 and "cannot open" in busy.stderr
    finally:
        first.send_signal(signal.SIGTERM)
        assert first.wait(30) == 143
    # the interrupted first run left a sound database
    assert rows(db, "SELECT status FROM runs") == [("interrupted",)]


def test_moved_file_is_not_reanalyzed_but_new_options_are(tmp_path):
    clip = make_clip(tmp_path / "a" / "clip.mp4", seed=7)
    db = tmp_path / "r.duckdb"
    assert run_cli("batch", str(clip), "--db", str(db), "--label", "x",
                   "--workers", "1").returncode == 0
    moved = tmp_path / "b" / "renamed.mp4"
    moved.parent.mkdir()
    clip.rename(moved)
    proc = run_cli("batch", str(moved), "--db", str(db), "--workers", "1")
    assert proc.returncode == 0
    assert "already done" in proc.stdout
    assert rows(db, "SELECT path, label FROM videos") == [(str(moved), "x")]
    assert rows(db, "SELECT n_ok, n_skipped FROM runs ORDER BY started_at")[-1] == (0, 1)
    assert run_cli("batch", str(moved), "--db", str(db), "--fps", "6",
                   "--workers", "1").returncode == 0
    keys = rows(db, "SELECT DISTINCT content_hash, analysis_key, options->>'fps' FROM videos")
    assert len(keys) == 2 and len({k[0] for k in keys}) == 1
    assert {float(k[2]) for k in keys} == {6.0, 8.0}
    # calibration reads one analysis, the latest, never the same file twice
    from hypnoscope.scoring.data import load_records

    recs = load_records(db)
    assert len(recs) == 1
    assert recs[0].signals.t[1] - recs[0].signals.t[0] == pytest.approx(1 / 6, abs=0.02)


def test_csv_list_carries_labels_and_extra_columns(tmp_path):
    a = make_clip(tmp_path / "clips" / "one.mp4", seed=1)
    b = make_clip(tmp_path / "clips" / "two.mp4", seed=2)
    lst = tmp_path / "list.csv"
    lst.write_text(f"path,label,source,model\nclips/{a.name},ai,gen-x,v2\n{b},real,cam,\n")
    db = tmp_path / "r.duckdb"
    proc = run_cli("batch", str(lst), "--db", str(db), "--source", "ignored-when-csv-has-it")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    got = {r[0]: r[1:] for r in rows(db, "SELECT file_name, label, source, "
                                         "extra->>'model' FROM videos")}
    assert got == {"one.mp4": ("ai", "gen-x", "v2"), "two.mp4": ("real", "cam", "")}


def test_summary_query_and_parquet_export(first_run, tmp_path):
    db, _ = first_run
    proc = run_cli("summary", "--db", str(db), "--by", "label")
    assert proc.returncode == 0, proc.stderr
    metrics = [m for (m,) in rows(db, "SELECT DISTINCT metric FROM metrics")]
    assert metrics and all(m in proc.stdout for m in metrics)
    assert "ai" in proc.stdout and "real" in proc.stdout and "(n=2)" in proc.stdout
    med = rows(db, "SELECT median(value) FROM metrics JOIN videos USING (video_id) "
                   "WHERE label = 'ai' AND window_index = -1 AND metric = ?", [metrics[0]])
    assert med[0][0] is not None
    q = run_cli("query", "--db", str(db), "--format", "csv",
                "SELECT status, count(*) AS n FROM videos GROUP BY status ORDER BY status")
    assert q.returncode == 0
    assert q.stdout.split() == ["status,n", f"failed,{len(EXPECTED_FAILURES)}", "ok,4"]
    bad = run_cli("query", "--db", str(db), "SELECT nope FROM videos")
    assert bad.returncode == 1 and "query failed" in bad.stderr
    out = tmp_path / "pq"
    assert run_cli("export", "--db", str(db), "--parquet", str(out)).returncode == 0
    for table in ("videos", "metrics", "series", "events", "runs"):
        n_pq = parquet(f"SELECT count(*) FROM '{out / (table + '.parquet')}'")[0][0]
        assert n_pq == rows(db, f"SELECT count(*) FROM {table}")[0][0]
    wide = parquet(f"SELECT * FROM '{out / 'video_metrics.parquet'}' LIMIT 0", names=True)
    assert set(metrics) <= set(wide)
    assert parquet(f"SELECT count(*) FROM '{out / 'video_metrics.parquet'}'")[0][0] == 4


def parquet(sql: str, names: bool = False):
    con = duckdb.connect()
    try:
        cur = con.execute(sql)
        return [d[0] for d in cur.description] if names else cur.fetchall()
    finally:
        con.close()
