"""Derive the intent gap's amplitude reference from the camera footage of the corpus.

    PYTHONPATH=. python benchmarks/amplitude_reference.py [CORPUS_DIR] [--write]

For every clip labelled ``real`` in ``manifest.tsv`` (default corpus: ../shared/corpus/dev,
or $HYPNOSCOPE_CORPUS) it measures the tension curve with the single pass (the cut and
surprise extractors, as ``analyze`` does) and its 5-95 % range on the 0.05 s grid (the
``tension_range`` metric). It prints each clip's range and the quartiles over the clips,
split into edited clips (at least one cut) and single shots; ``--write`` stores the result
in ``hypnoscope/intent/data/amplitude.json``, which :mod:`hypnoscope.intent.gap` reads
(``reference``: the median range of the edited camera clips).
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import numpy as np

from hypnoscope._version import __version__
from hypnoscope.analysis import run_extractors
from hypnoscope.errors import VideoError
from hypnoscope.intent.measure import tension_extractors
from hypnoscope.media.decode import DecodeOptions, VideoReader
from hypnoscope.metrics.pressure import uniform_curve

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import corpus_dir  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "hypnoscope" / "intent" / "data" / "amplitude.json"


def tension_range(path: Path) -> tuple[float, int, float]:
    """(5-95 % range of the tension curve in tension units, cuts, duration in s)."""
    exs = tension_extractors()
    with VideoReader(path, DecodeOptions(native_crop_every=0)) as reader:
        t = run_extractors(reader, exs)
        duration = reader.facts.duration_s
    tension = exs[1].series()["tension"]
    cuts = len(exs[0].events().get("cuts", []))
    _, y = uniform_curve(t, tension, start=0.0, end=duration)
    if len(y) < 3:
        return float("nan"), cuts, duration
    p5, p95 = np.percentile(y, [5, 95])
    return float(p95 - p5), cuts, duration


def quartiles(x: list[float]) -> list[float]:
    return [round(float(v), 3) for v in np.percentile(x, [25, 50, 75])]


def main(argv: list[str]) -> int:
    args = [a for a in argv[1:] if not a.startswith("--")]
    root = corpus_dir(args[0] if args else None)
    with open(root / "manifest.tsv", newline="") as fh:
        rows = [r for r in csv.DictReader(fh, delimiter="\t") if r["label"] == "real"]
    edited, single = [], []
    for r in rows:
        try:
            rng, cuts, dur = tension_range(root / r["file"])
        except VideoError as e:
            print(f"skip {r['file']}: {e}", file=sys.stderr)
            continue
        if not np.isfinite(rng):
            continue
        print(f"{rng:7.3f}  {cuts:3d} cuts  {dur:6.1f} s  {r['file']}", flush=True)
        (edited if cuts > 0 else single).append(rng)
    every = edited + single
    print(f"tension range, quartiles: edited camera clips ({len(edited)}): {quartiles(edited)}"
          f"; single shots ({len(single)}): {quartiles(single)}; all ({len(every)}): "
          f"{quartiles(every)}")
    doc = {
        "what": "5-95 % range of the tension curve (tension units) of the corpus's camera "
                "clips; reference = median over the edited ones (at least one cut)",
        "command": "PYTHONPATH=. python benchmarks/amplitude_reference.py --write",
        "corpus": "dev (label real)",
        "hypnoscope_version": __version__,
        "reference": round(float(np.median(edited)), 3),
        "edited_clips": len(edited), "edited_quartiles": quartiles(edited),
        "single_shots": len(single), "single_quartiles": quartiles(single),
        "all_quartiles": quartiles(every),
    }
    print(json.dumps(doc, indent=1))
    if "--write" in argv:
        OUT.write_text(json.dumps(doc, indent=1) + "\n")
        print(f"written: {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
