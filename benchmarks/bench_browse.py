"""Speed of ``hypnoscope browse`` on a large results database.

    python benchmarks/bench_browse.py [--n 100000] [--dir /tmp/hypnoscope-bench-browse]

Writes a results database of N synthetic videos inserted directly with SQL (kept in --dir
for the next run; no video is analyzed): each with a stored document like a batch writes
(scores with the six factors, five reasons, three keyframe JPEGs), 44 metrics over the
whole video and two windows, and a label, a source and a name. 1 in 50 is a failure.
Then it starts ``hypnoscope browse`` on it and times HTTP requests, each the median of 5:
the corpus page (sorted by AI-likeness, by name, by a factor; filtered by label, source and
text; a far page), the scatter's data, a clip's page and the compare view. The reference,
measured in the same run, is the same first page asked of the database directly (the AI-
likeness read from every stored document, sorted, the first 50 kept): what a page would cost
without the browser's index. The target is under 1 s per page, sort and filter request.
"""

from __future__ import annotations

import argparse
import base64
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import duckdb  # noqa: E402

from hypnoscope.batch.store import Store  # noqa: E402
from hypnoscope.media import synth  # noqa: E402

FACTORS = ("fluidity", "pace", "pressure", "wander", "polish", "focus")
METRICS = [f"metric_{k:02d}" for k in range(43)] + ["cuts_per_minute"]


def jpeg_b64(seed: int) -> str:
    """A 160x90 JPEG thumbnail of a synthetic texture, base64 (about 4 KB)."""
    img = synth.texture(90, 160, seed=seed)
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 80])
    assert ok
    return base64.b64encode(buf.tobytes()).decode()


def make_db(path: Path, n: int) -> None:
    """N synthetic rows in a fresh results database at ``path``."""
    tmp = path.with_name(path.name + ".part")
    for p in (tmp, Path(str(tmp) + ".wal")):
        p.unlink(missing_ok=True)
    with Store(tmp):
        pass  # the schema
    con = duckdb.connect(str(tmp))
    thumbs = [jpeg_b64(s) for s in range(3)]
    reason = ("surfaces deforming instead of moving rigidly (nonrigidity) 1.42: higher than in "
              "96 % of camera footage (camera median 0.761, generated 1.08); points to generated")
    factors = ", ".join(
        f"'{f}', json_object('value', r{k}, 'pct_real', r{k}, 'pct_ai', r{k} * 0.9)"
        for k, f in enumerate(FACTORS))
    keyframes = ", ".join(f"json_object('t', {k}.0, 'kind', '{'start' if k == 0 else 'regular'}'"
                          f", 'jpeg_base64', '{thumbs[k]}')" for k in range(3))
    t0 = time.perf_counter()
    con.execute(f"""
    INSERT INTO videos (video_id, content_hash, analysis_key, path, file_name, size_bytes,
                        status, error_kind, error, label, source, folder, duration_s,
                        document, options, analyzed_at, updated_at)
    SELECT printf('%040x', i) || ':bench0000000', printf('%040x', i), 'bench0000000',
           '/data/corpus/' || src || '/clip_' || i || '.mp4', 'clip_' || i || '.mp4',
           1000000 + i, CASE WHEN i % 50 = 0 THEN 'failed' ELSE 'ok' END,
           CASE WHEN i % 50 = 0 THEN 'video' END,
           CASE WHEN i % 50 = 0 THEN 'clip_' || i || '.mp4: not a video (no stream)' END,
           CASE WHEN i % 3 = 0 THEN 'real' ELSE 'ai' END, src, src, 2 + (i % 60),
           CASE WHEN i % 50 <> 0 THEN json_object('scores', json_object(
               'status', 'ok', 'ai_likeness', ai, 'hypnotic_index', 100 * r0,
               'factors', json_object({factors}),
               'reasons', [{", ".join([repr(reason)] * 5)}], 'model', 'default'),
             'keyframes', json_array({keyframes}))::VARCHAR END,
           '{{"height": 180, "fps": 8.0, "window_s": 4.0}}', now(), now()
    FROM (SELECT i, 'source_' || (i % 16) AS src, random() AS ai,
                 {", ".join(f"100 * random() AS r{k}" for k in range(6))}
          FROM range({n}) t(i))
    """)
    con.execute("INSERT INTO metrics SELECT v.video_id, m.name, w.i, greatest(w.i, 0) * 4.0, "
                "greatest(w.i, 0) * 4.0 + 4.0, random() * 10 FROM "
                "(SELECT video_id FROM videos WHERE status = 'ok') v, "
                "(SELECT unnest(?::VARCHAR[]) AS name) m, range(-1, 2) w(i)", [METRICS])
    con.execute("INSERT INTO metric_info SELECT unnest(?::VARCHAR[]), '', 'bench'", [METRICS])
    con.execute("CHECKPOINT")
    con.close()
    os.replace(tmp, path)
    print(f"wrote {path}: {n} videos, {os.path.getsize(path) / 1e6:.0f} MB "
          f"in {time.perf_counter() - t0:.1f} s")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def timed(url: str, repeat: int = 5) -> tuple[float, int, int]:
    """Median seconds of GET ``url`` (the whole body read), the status and body size."""
    times, status, size = [], 0, 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        try:
            with urllib.request.urlopen(url, timeout=120) as r:
                body = r.read()
                status = r.status
        except urllib.error.HTTPError as e:
            body, status = e.read(), e.code
        times.append(time.perf_counter() - t0)
        size = len(body)
    return statistics.median(times), status, size


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--dir", type=Path,
                    default=Path(tempfile.gettempdir()) / "hypnoscope-bench-browse")
    args = ap.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    db = args.dir / f"browse-{args.n}.duckdb"
    if not db.exists():
        make_db(db, args.n)

    con = duckdb.connect(str(db), read_only=True)
    ref = []
    for _ in range(3):
        t0 = time.perf_counter()
        con.execute("SELECT video_id, file_name, TRY_CAST(json_extract_string(document, "
                    "'$.scores.ai_likeness') AS DOUBLE) AS ai FROM videos ORDER BY ai DESC "
                    "NULLS LAST LIMIT 50").fetchall()
        ref.append(time.perf_counter() - t0)
    con.close()
    reference = statistics.median(ref)

    port = free_port()
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", "from hypnoscope.cli import main; main()",
                             "browse", "--db", str(db),
                             "--port", str(port)], stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        ready = time.perf_counter() - t0
        base = f"http://127.0.0.1:{port}"
        first = timed(base + "/", repeat=1)[0]
        print(f"server ready in {ready:.2f} s (index of {args.n} videos built at start), "
              f"first page {first * 1000:.0f} ms; {line.strip()}")
        print(f"reference: the first page straight from the database: "
              f"{reference * 1000:.0f} ms")
        vid = f"{1:040x}:bench0000000"
        cases = [
            ("page 1, sorted by AI-likeness", "/"),
            ("sorted by name", "/?sort=name&dir=asc"),
            ("sorted by hypnotic index, lowest first", "/?sort=hyp&dir=asc"),
            ("sorted by pace", "/?sort=pace"),
            ("filtered by label", "/?label=real"),
            ("filtered by source and label", "/?label=ai&source=source_3"),
            ("filtered by text in the name", "/?q=clip_4242"),
            ("failed only", "/?status=failed&sort=name"),
            ("page 1000 of 2000", "/?page=1000"),
            ("scatter data (AI-likeness, hypnotic index)", "/api/points"),
            ("scatter data (a stored metric)", "/api/points?x=metric_07&y=ai_likeness"),
            ("clip page", "/clip/" + urllib.parse.quote(vid, safe="")),
            ("compare by label (2,000 a group, first time)", "/compare?by=label&a=real&b=ai"),
        ]
        print(f"{'request':46s} {'median ms':>10s} {'/ ref':>7s} {'status':>6s} {'KB':>7s}")
        for name, path in cases:
            t, status, size = timed(base + path, repeat=5 if "compare" not in path else 1)
            print(f"{name:46s} {t * 1000:10.0f} {t / reference:7.2f} {status:6d} "
                  f"{size / 1024:7.0f}")
        rss = int(Path(f"/proc/{proc.pid}/status").read_text().split("VmRSS:")[1].split()[0])
        print(f"server memory (RSS): {rss / 1024:.0f} MB")
        # a writer holds the database, as a batch does: pages come from a copy
        writer = subprocess.Popen(
            [sys.executable, "-c", "import sys, time\n"
             "from hypnoscope.batch.store import Store\n"
             "s = Store(sys.argv[1]); print('ready', flush=True); time.sleep(600)", str(db)],
            stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        try:
            assert writer.stdout.readline().strip() == "ready"
            t, status, _ = timed(base + "/", repeat=1)
            print(f"{'while a batch holds it: page 1 (copy taken)':46s} {t * 1000:10.0f} "
                  f"{t / reference:7.2f} {status:6d}")
            t, status, _ = timed(base + "/?sort=name", repeat=5)
            print(f"{'while a batch holds it: next pages':46s} {t * 1000:10.0f} "
                  f"{t / reference:7.2f} {status:6d}")
        finally:
            writer.terminate()
            writer.wait(timeout=60)
    finally:
        proc.terminate()
        proc.wait(timeout=20)


if __name__ == "__main__":
    main()
