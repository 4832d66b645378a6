"""Throughput of ``hypnoscope batch`` (local engine) against decode-only time.

    python benchmarks/bench_batch.py [--n 100] [--seconds 3] [--workers N]
    python benchmarks/bench_batch.py --corpus ../shared/corpus/dev [--limit N] [--workers-list 1,2]

With ``--corpus DIR`` it runs ``batch`` over the corpus's clips (every video under DIR, or
``--limit`` of them spread evenly over the name order, so every folder is in) once per
worker count of ``--workers-list`` (each into a fresh database) and prints clips per minute
and source frames per second for each. Without it:

Writes N short synthetic clips (kept in --dir for the next run), then measures:
1. decode only: the sum over clips of an FFmpeg decode of every frame (the ``ffmpeg``
   binary when present, else PyAV with threaded decoding), one clip at a time;
2. single-file analyze: ``hypnoscope.analyze`` on each clip in this process (one core);
3. batch: ``run_batch`` over the folder with the local process pool into a fresh DuckDB.
It prints clips/s and frames/s of each, their ratios, and the pool's overhead per file
(wall time x workers minus the time spent analyzing inside the workers, per file).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import av  # noqa: E402
import duckdb  # noqa: E402
import numpy as np  # noqa: E402

from hypnoscope import analyze  # noqa: E402
from hypnoscope.batch.run import BatchOptions, default_workers, run_batch  # noqa: E402
from hypnoscope.media import synth  # noqa: E402


def make_clips(folder: Path, n: int, seconds: float, height: int, width: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    fps = 24
    clips = []
    for i in range(n):
        p = folder / f"clip{i:04d}_{seconds:g}s_{width}x{height}.mp4"
        if not p.exists():
            canvas = synth.texture(height + 60, width + 200, seed=i)
            frames = synth.pan(canvas, int(seconds * fps), 0.5 + (i % 7) * 0.5,
                               height=height, width=width)
            synth.write_video(p, frames, fps=fps)
        clips.append(p)
    return clips


def decode_only(path: Path) -> tuple[float, int]:
    """Seconds to decode every frame of ``path`` and the number of frames."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg:
        t0 = time.perf_counter()
        subprocess.run([ffmpeg, "-v", "error", "-threads", "2", "-i", str(path), "-f", "null",
                        "-"], check=True)
        dt = time.perf_counter() - t0
        with av.open(str(path)) as c:
            return dt, c.streams.video[0].frames
    t0 = time.perf_counter()
    n = 0
    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        stream.thread_type = "AUTO"
        for _ in c.decode(stream):
            n += 1
    return time.perf_counter() - t0, n


VIDEO_EXT = {".mp4", ".mov", ".mkv", ".webm", ".avi", ".gif", ".m4v", ".webp", ".ts"}


def corpus(args: argparse.Namespace) -> None:
    """Clips per minute of ``batch`` over a corpus folder with each worker count."""
    files = sorted(p for p in args.corpus.rglob("*") if p.suffix.lower() in VIDEO_EXT)
    if args.limit and args.limit < len(files):  # spread over the sorted list: every folder
        files = [files[i * len(files) // args.limit] for i in range(args.limit)]
    work = Path(tempfile.mkdtemp(prefix="hypnoscope-bench-corpus-"))
    try:
        print(f"{len(files)} clips of {args.corpus} "
              f"({sum(p.stat().st_size for p in files) / 1e6:.0f} MB)")
        print(f"{'workers':>8s} {'wall s':>8s} {'clips/min':>10s} {'frames/s':>9s} "
              f"{'ok':>5s} {'failed':>6s}")
        for workers in (int(w) for w in args.workers_list.split(",")):
            db = work / f"w{workers}.duckdb"
            t0 = time.perf_counter()
            summary = run_batch([str(p) for p in files], db, BatchOptions(workers=workers))
            wall = time.perf_counter() - t0
            print(f"{workers:8d} {wall:8.1f} {60 * len(files) / wall:10.1f} "
                  f"{summary.frames_decoded / wall:9.0f} {summary.ok:5d} "
                  f"{summary.failed:6d}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=100, help="number of clips")
    ap.add_argument("--seconds", type=float, default=3.0, help="length of each clip, s")
    ap.add_argument("--height", type=int, default=180)
    ap.add_argument("--width", type=int, default=320)
    ap.add_argument("--workers", type=int, default=default_workers())
    ap.add_argument("--dir", type=Path,
                    default=Path(tempfile.gettempdir()) / "hypnoscope-bench-batch")
    ap.add_argument("--corpus", type=Path, help="a folder of videos (e.g. the dev corpus)")
    ap.add_argument("--limit", type=int, default=0,
                    help="with --corpus: N clips spread over the folders")
    ap.add_argument("--workers-list", default="1,2", help="with --corpus: worker counts")
    args = ap.parse_args()
    if args.corpus:
        corpus(args)
        return

    t0 = time.perf_counter()
    clips = make_clips(args.dir / "clips", args.n, args.seconds, args.height, args.width)
    print(f"{len(clips)} clips of {args.seconds:g} s at {args.width}x{args.height} in "
          f"{args.dir / 'clips'} (ready in {time.perf_counter() - t0:.1f} s)")
    tool = "ffmpeg" if shutil.which("ffmpeg") else "PyAV"

    dec = [decode_only(p) for p in clips]
    dec_s = sum(d for d, _ in dec)
    frames = sum(n for _, n in dec)

    t0 = time.perf_counter()
    for p in clips:
        analyze(p)
    single_s = time.perf_counter() - t0

    db = args.dir / "bench.duckdb"
    for f in (db, db.with_name(db.name + ".wal"), db.with_name(db.name + ".lock")):
        f.unlink(missing_ok=True)
    opts = BatchOptions(workers=args.workers)
    t0 = time.perf_counter()
    summary = run_batch([args.dir / "clips"], db, opts)
    batch_s = time.perf_counter() - t0
    con = duckdb.connect(str(db), read_only=True)
    (busy_s,) = con.execute("SELECT sum(elapsed_s) FROM videos").fetchone()
    con.close()
    assert summary.ok == len(clips), summary.failures[:3]

    overhead = (batch_s * args.workers - busy_s) / len(clips)
    rows = [
        (f"decode only ({tool}, sum of clips)", dec_s),
        ("analyze, one file at a time (1 process)", single_s),
        (f"batch, local engine ({args.workers} workers)", batch_s),
    ]
    print(f"\n{'':44s} {'wall s':>8s} {'clips/s':>8s} {'frames/s':>9s}")
    for name, s in rows:
        print(f"{name:44s} {s:8.2f} {len(clips) / s:8.2f} {frames / s:9.0f}")
    per_core_batch = frames / batch_s / args.workers
    print(f"\nbatch / decode-only time:                  {batch_s / dec_s:6.2f}x")
    print(f"batch frames/s per core vs single analyze:  {per_core_batch / (frames / single_s):6.2f}"
          f" (1.0 = no loss; aim >= 1/1.5 = 0.67)")
    print(f"time analyzing inside workers:             {busy_s:6.2f} s "
          f"({busy_s / len(clips) * 1000:.0f} ms a clip)")
    print(f"pool overhead per file:                    {overhead * 1000:6.0f} ms "
          f"(wall x workers - analysis time, incl. worker start-up, hashing, DB writes)")
    print(f"median decode-only per clip:               "
          f"{np.median([d for d, _ in dec]) * 1000:6.0f} ms")
    print(f"\nlogical CPUs: {os.cpu_count()}")


if __name__ == "__main__":
    main()
