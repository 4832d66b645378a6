"""Editing sets of generated clips toward an arc: how much of the gap it removes, and how long
it takes.

    python benchmarks/bench_edit.py [--sets 5] [--arcs setup-payoff,slow-burn,twist]
                                    [--seed 0] [--json out.json] [--no-720p]

Each set is 8 AI clips of the reference corpus (label ``ai`` in ``manifest.tsv``, 4 to 6.5 s
long), drawn without replacement by ``numpy.random.default_rng(seed + set number)``. Every set
is edited toward every arc with :func:`hypnoscope.edit` (defaults: half the clips' total
length, 60 measured candidates), and two gaps are reported: the naive concatenation's (the
clips in the given order, untrimmed, hard cuts; measured on the assembled frames) and the
written piece's (measured by ``analyze`` on the file). Per arc: both distributions, and the
drop of the median gap (target >= 50 %). Then it times editing one set transcoded to 720p
(target < 2 min) and prints the machine's load average, since this machine is shared.
Without the corpus (``../shared/corpus`` or $HYPNOSCOPE_CORPUS) it prints that and stops.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import hypnoscope
from hypnoscope.media.transcode import transcode

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import corpus_dir  # noqa: E402

SET_SIZE = 8
MIN_S, MAX_S = 4.0, 6.5


def corpus_with_manifest() -> Path | None:
    """The corpus folder (see common.corpus_dir) when it holds a manifest, else None."""
    dev = corpus_dir()
    return dev if (dev / "manifest.tsv").is_file() else None


def candidates(corpus: Path) -> list[Path]:
    with open(corpus / "manifest.tsv", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return [corpus / r["file"] for r in rows
            if r.get("label") == "ai" and MIN_S <= float(r["duration_s"]) <= MAX_S]


def draw_set(pool: list[Path], seed: int) -> list[Path]:
    rng = np.random.default_rng(seed)
    return [pool[i] for i in sorted(rng.choice(len(pool), SET_SIZE, replace=False))]


def spread(x: list[float]) -> str:
    q = np.percentile(x, [0, 25, 50, 75, 100])
    return (f"median {q[2]:5.1f}  quartiles {q[1]:5.1f}-{q[3]:5.1f}  range {q[0]:5.1f}-"
            f"{q[4]:5.1f}")


def cpu_s() -> float:
    """CPU seconds used by this process so far, all threads (on a shared machine, closer to
    the wall time it would take alone than the wall time is)."""
    return time.process_time()


def load() -> str:
    a, b, c = os.getloadavg()
    return f"load average {a:.1f} {b:.1f} {c:.1f} on {os.cpu_count()} cores"


def run_sets(pool: list[Path], arcs: list[str], sets: int, seed: int, work: Path,
             max_evals: int) -> dict:
    rows = []
    for k in range(sets):
        clips = draw_set(pool, seed + k)
        for arc in arcs:
            out = work / f"set{k}.{arc}.mp4"
            t0 = time.perf_counter()
            try:
                r = hypnoscope.edit(clips, arc, out, max_evals=max_evals)
            except Exception as e:  # noqa: BLE001 - a failed set is recorded, the run goes on
                rows.append({"set": k, "arc": arc, "error": f"{type(e).__name__}: {e}"})
                print(f"set {k} {arc}: FAILED {e}", flush=True)
                continue
            row = {"set": k, "arc": arc, "clips": [c.name for c in clips],
                   "naive": r.gap_naive.score, "predicted": r.gap_predicted.score,
                   "after": r.gap_after.score, "range_after": r.gap_after.tension_range,
                   "range_naive": r.gap_naive.tension_range,
                   "shots": len(r.plan.shots), "duration_s": r.plan.output_duration,
                   "evaluations": r.evaluations, "seconds": time.perf_counter() - t0}
            rows.append(row)
            print(f"set {k} {arc:13s} naive {row['naive']:5.1f}  piece {row['after']:5.1f} "
                  f"(predicted {row['predicted']:5.1f}; tension range {row['range_naive']:.2f}"
                  f" -> {row['range_after']:.2f})  {row['shots']} shots, "
                  f"{row['duration_s']:.1f} s, {row['seconds']:.0f} s, {load()}", flush=True)
            out.unlink(missing_ok=True)
    summary = {}
    for arc in arcs:
        ok = [r for r in rows if r["arc"] == arc and "error" not in r]
        if not ok:
            continue
        naive = [r["naive"] for r in ok]
        after = [r["after"] for r in ok]
        mb, ma = statistics.median(naive), statistics.median(after)
        summary[arc] = {"sets": len(ok), "naive_median": mb, "after_median": ma,
                        "median_drop": (mb - ma) / mb if mb > 0 else 0.0,
                        "naive": naive, "after": after,
                        "share_worse": sum(a > b for a, b in zip(after, naive,
                                                                 strict=True)) / len(ok)}
        s = summary[arc]
        print(f"\n{arc}: {len(ok)} sets of {SET_SIZE} clips")
        print(f"  naive concatenation: {spread(naive)}")
        print(f"  edited piece:        {spread(after)}   (measured on the written files)")
        print(f"  drop of the median gap: {100 * s['median_drop']:.0f} %  (target >= 50 %); "
              f"pieces worse than their naive concatenation: {100 * s['share_worse']:.0f} %")
    return {"rows": rows, "summary": summary}


def run_720p(pool: list[Path], seed: int, work: Path, max_evals: int) -> dict:
    clips = []
    for i, c in enumerate(draw_set(pool, seed)):
        dst = work / f"720p_{i}.mp4"
        transcode(c, dst, height=720, upscale=True)
        clips.append(dst)
    before = load()
    t0, c0 = time.perf_counter(), cpu_s()
    r = hypnoscope.edit(clips, "setup-payoff", work / "piece_720p.mp4", max_evals=max_evals)
    sec, cpu = time.perf_counter() - t0, cpu_s() - c0
    print(f"\n8 clips of ~5 s at 720p edited toward setup-payoff in {sec:.1f} s wall, {cpu:.1f} s "
          f"CPU (all threads; target < 120 s wall on an idle machine); search "
          f"{r.search_s:.1f} s for {r.evaluations} measured edits; output "
          f"{r.canvas.width}x{r.canvas.height} {r.canvas.fps:g} fps, "
          f"{r.plan.output_duration:.1f} s; gap {r.gap_naive.score:.1f} -> "
          f"{r.gap_after.score:.1f}; {before} before, {load()} after")
    return {"seconds": sec, "cpu_s": cpu, "search_s": r.search_s, "evaluations": r.evaluations,
            "naive": r.gap_naive.score, "after": r.gap_after.score, "load_before": before,
            "load_after": load()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sets", type=int, default=5)
    ap.add_argument("--arcs", default="setup-payoff,slow-burn,twist")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-evals", type=int, default=60)
    ap.add_argument("--no-720p", action="store_true", help="Skip the 720p timing.")
    ap.add_argument("--only-720p", action="store_true", help="Only the 720p timing.")
    ap.add_argument("--json", type=Path, default=None, help="Write every row and the summary.")
    args = ap.parse_args()
    corpus = corpus_with_manifest()
    if corpus is None:
        print("corpus absent (../shared/corpus or $HYPNOSCOPE_CORPUS): nothing to measure")
        return
    pool = candidates(corpus)
    arcs = [a.strip() for a in args.arcs.split(",") if a.strip()]
    print(f"{len(pool)} AI clips of {MIN_S:g}-{MAX_S:g} s in {corpus}; {args.sets} sets of "
          f"{SET_SIZE} (seeds {args.seed}..{args.seed + args.sets - 1}); arcs "
          f"{', '.join(arcs)}; {load()}", flush=True)
    result: dict = {}
    with tempfile.TemporaryDirectory(prefix="hypnoscope_edit_") as tmp:
        work = Path(tmp)
        if not args.only_720p:
            result["sets"] = run_sets(pool, arcs, args.sets, args.seed, work, args.max_evals)
        if not args.no_720p:
            result["720p"] = run_720p(pool, args.seed, work, args.max_evals)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, default=float))


if __name__ == "__main__":
    sys.exit(main())
