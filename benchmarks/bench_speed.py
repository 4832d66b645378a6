"""Speed of the whole model in one pass, as a ratio to FFmpeg's decode-only time.

    python benchmarks/bench_speed.py [VIDEO ...] [--seconds 30] [--repeat 3]

Without VIDEO it writes (once, cached in the temp folder) a synthetic 1080p 30 s H.264 clip.
For each file it prints FFmpeg's decode-only time, hypnoscope's analyze time, their ratio
(target: under 3) and the share of the time spent decoding and in each extractor.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ffmpeg_decode_seconds, long_clip  # noqa: E402

import hypnoscope  # noqa: E402


def bench(path: Path, repeat: int) -> None:
    ref, how = [], ""
    runs, shares = [], {}
    for _ in range(repeat):
        sec, how = ffmpeg_decode_seconds(path)
        ref.append(sec)
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        a = hypnoscope.analyze(path, timings=timings)
        runs.append(time.perf_counter() - t0)
        shares = timings
    r, h = statistics.median(ref), statistics.median(runs)
    f = a.source
    print(f"\n{path}  ({f.width}x{f.height}, {f.duration_s:.1f} s, {f.frames_decoded} frames, "
          f"{f.frames_analyzed} analyzed)")
    print(f"  reference ({how}, 2 threads): {r:7.2f} s   ({f.frames_decoded / r:6.0f} fps)")
    print(f"  hypnoscope analyze:          {h:7.2f} s   ({f.frames_decoded / h:6.0f} fps)")
    print(f"  ratio analyze / decode-only: {h / r:7.2f}   (target < 3)")
    total = sum(shares.values())
    for name, sec in sorted(shares.items(), key=lambda kv: -kv[1]):
        print(f"    {name:24s} {sec:6.2f} s  {100 * sec / total:5.1f} %  "
              f"{1000 * sec / max(f.frames_analyzed, 1):6.2f} ms/analysis frame")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("videos", nargs="*")
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--preset", default="veryfast",
                    help="x264 preset of the synthetic clip (default veryfast: CABAC and "
                         "B-frames, like camera and web H.264)")
    args = ap.parse_args()
    paths = [Path(v) for v in args.videos]
    if not paths:
        cache = Path(tempfile.gettempdir()) / (
            f"hypnoscope_bench_1080p_{args.seconds:g}s_{args.preset}_grain18.mp4")
        print(f"synthetic clip: {cache}")
        paths = [long_clip(cache, args.seconds, preset=args.preset)]
    for p in paths:
        bench(p, args.repeat)


if __name__ == "__main__":
    main()
