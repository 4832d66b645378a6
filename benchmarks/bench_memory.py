"""Peak memory of ``hypnoscope analyze`` on a long 1080p clip (target: < 400 MB for 10 min).

    python benchmarks/bench_memory.py [--minutes 10] [VIDEO]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import long_clip  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("video", nargs="?")
    ap.add_argument("--minutes", type=float, default=10.0)
    args = ap.parse_args()
    if args.video:
        path = Path(args.video)
    else:
        cache = Path(tempfile.gettempdir()) / f"hypnoscope_bench_1080p_{args.minutes:g}min.mp4"
        print(f"writing {cache} ({args.minutes:g} min 1080p) ...", flush=True)
        path = long_clip(cache, args.minutes * 60)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "hypnoscope", "analyze", str(path), "--quiet"],
                   check=True)
    wall = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"{path}: analyzed in {wall:.1f} s, peak RSS {peak_mb:.0f} MB "
          f"(target < 400 MB): {'OK' if peak_mb < 400 else 'OVER'}")


if __name__ == "__main__":
    main()
