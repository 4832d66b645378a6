"""Steering toward an arc: how much of the intent gap it removes, and how long it takes.

    python benchmarks/bench_steer.py [--limit N] [--arcs setup-payoff,twist] [--json out.json]

For every AI clip of the reference corpus (label ``ai`` in ``manifest.tsv``; all of them
unless ``--limit``) and every arc, it steers the clip and reports the intent gap before
(measured on the source) and after (measured on the written file): median and quartiles,
the relative drop of the median gap (target >= 40 %) and the median of the per-clip drops.
Then it times steering a synthetic 10 s 720p clip (target < 60 s). Without the corpus
(``../shared/corpus`` or $HYPNOSCOPE_CORPUS) the corpus part is skipped.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import corpus_dir, long_clip  # noqa: E402

import hypnoscope  # noqa: E402


def corpus_with_manifest() -> Path | None:
    """The corpus folder (see common.corpus_dir) when it holds a manifest, else None."""
    dev = corpus_dir()
    return dev if (dev / "manifest.tsv").is_file() else None


def ai_clips(corpus: Path) -> list[Path]:
    with open(corpus / "manifest.tsv", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return [corpus / r["file"] for r in rows if r.get("label") == "ai"]


def quartiles(x: list[float]) -> str:
    q1, q2, q3 = np.percentile(x, [25, 50, 75])
    return f"median {q2:5.1f}  quartiles {q1:5.1f}–{q3:5.1f}"


def run_corpus(clips: list[Path], arcs: list[str], work: Path, max_evals: int) -> dict:
    rows = []
    for i, clip in enumerate(clips, 1):
        for arc in arcs:
            out = work / f"{clip.stem}.{arc}.mp4"
            t0 = time.perf_counter()
            try:
                r = hypnoscope.steer(clip, arc, out, max_evals=max_evals)
            except Exception as e:  # noqa: BLE001 - a failed clip is recorded, the run goes on
                rows.append({"clip": clip.name, "arc": arc, "error": f"{type(e).__name__}: {e}"})
                print(f"[{i}/{len(clips)}] {clip.name} {arc}: FAILED {e}", flush=True)
                continue
            row = {"clip": clip.name, "arc": arc, "before": r.gap_before.score,
                   "predicted": r.gap_predicted.score, "after": r.gap_after.score,
                   "drop": r.relative_drop, "seconds": time.perf_counter() - t0,
                   "evaluations": r.evaluations, "source_s": r.plan.source_duration,
                   "output_s": r.plan.output_duration,
                   "climax_after": r.analysis_after.metrics.get("climax_position")}
            rows.append(row)
            print(f"[{i}/{len(clips)}] {clip.name:58s} {arc:13s} before {row['before']:5.1f}"
                  f"  predicted {row['predicted']:5.1f}  after {row['after']:5.1f}  "
                  f"({row['seconds']:.1f} s, {row['evaluations']} evals)", flush=True)
            out.unlink(missing_ok=True)
    summary = {}
    for arc in arcs:
        ok = [r for r in rows if r["arc"] == arc and "error" not in r]
        if not ok:
            continue
        before = [r["before"] for r in ok]
        after = [r["after"] for r in ok]
        med_b, med_a = statistics.median(before), statistics.median(after)
        summary[arc] = {
            "clips": len(ok), "failed": sum(1 for r in rows if r["arc"] == arc and "error" in r),
            "before_median": med_b, "before_q1": float(np.percentile(before, 25)),
            "before_q3": float(np.percentile(before, 75)),
            "after_median": med_a, "after_q1": float(np.percentile(after, 25)),
            "after_q3": float(np.percentile(after, 75)),
            "median_drop": (med_b - med_a) / med_b if med_b > 0 else 0.0,
            "median_of_drops": statistics.median(r["drop"] for r in ok),
            "share_worse": sum(r["after"] > r["before"] for r in ok) / len(ok),
            "median_seconds": statistics.median(r["seconds"] for r in ok),
        }
        s = summary[arc]
        print(f"\n{arc}: {len(ok)} clips ({s['failed']} failed)")
        print(f"  gap before: {quartiles(before)}")
        print(f"  gap after:  {quartiles(after)}   (measured on the written files)")
        print(f"  drop of the median gap: {100 * s['median_drop']:.0f} %   median of per-clip "
              f"drops: {100 * s['median_of_drops']:.0f} %   (target >= 40 %)")
        print(f"  clips that got worse: {100 * s['share_worse']:.0f} %   median time per clip: "
              f"{s['median_seconds']:.1f} s")
    return {"rows": rows, "summary": summary}


def run_720p(work: Path, max_evals: int) -> dict:
    clip = long_clip(Path(tempfile.gettempdir()) / "hypnoscope_bench_720p_10s.mp4", 10.0,
                     height=720, fps=30)
    out = work / "steer_720p.mp4"
    t0 = time.perf_counter()
    r = hypnoscope.steer(clip, "setup-payoff", out, max_evals=max_evals)
    sec = time.perf_counter() - t0
    print(f"\n10 s 720p clip ({clip}): steered to setup-payoff in {sec:.1f} s (target < 60 s)"
          f"; search {r.search_s:.1f} s for {r.evaluations} candidate edits; gap "
          f"{r.gap_before.score:.1f} -> {r.gap_after.score:.1f}")
    out.unlink(missing_ok=True)
    return {"seconds": sec, "search_s": r.search_s, "evaluations": r.evaluations,
            "before": r.gap_before.score, "after": r.gap_after.score}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, default=None, help="At most this many AI clips.")
    ap.add_argument("--arcs", default="setup-payoff,twist")
    ap.add_argument("--max-evals", type=int, default=80)
    ap.add_argument("--no-720p", action="store_true", help="Skip the 720p timing.")
    ap.add_argument("--json", type=Path, default=None, help="Write every row and the summary.")
    args = ap.parse_args()
    arcs = [a.strip() for a in args.arcs.split(",") if a.strip()]
    result: dict = {}
    with tempfile.TemporaryDirectory(prefix="hypnoscope_steer_") as tmp:
        work = Path(tmp)
        corpus = corpus_with_manifest()
        if corpus is None:
            print("corpus absent (../shared/corpus or $HYPNOSCOPE_CORPUS): corpus part skipped")
        else:
            clips = ai_clips(corpus)[: args.limit]
            print(f"{len(clips)} AI clips from {corpus}, arcs {', '.join(arcs)}")
            result["corpus"] = run_corpus(clips, arcs, work, args.max_evals)
        if not args.no_720p:
            result["720p"] = run_720p(work, args.max_evals)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, default=float))


if __name__ == "__main__":
    main()
