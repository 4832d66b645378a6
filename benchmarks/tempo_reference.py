"""Derive the tempo's reference motion energy from the camera footage of the corpus.

    PYTHONPATH=. python benchmarks/tempo_reference.py [CORPUS_DIR]

Prints the median ``motion_energy`` (diagonals / s) over the clips labelled ``real`` in
``manifest.tsv`` (default corpus: ../shared/corpus/dev, or $HYPNOSCOPE_CORPUS), and each
clip's value. ``hypnoscope.metrics.pace.TEMPO_MOTION`` holds the rounded result.
"""

from __future__ import annotations

import csv
import math
import sys
from pathlib import Path

import numpy as np

import hypnoscope
from hypnoscope.errors import VideoError

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import corpus_dir  # noqa: E402


def main(argv: list[str]) -> int:
    root = corpus_dir(argv[1] if len(argv) > 1 else None)
    with open(root / "manifest.tsv", newline="") as fh:
        rows = [r for r in csv.DictReader(fh, delimiter="\t") if r["label"] == "real"]
    values = []
    for r in rows:
        try:
            m = hypnoscope.analyze(root / r["file"]).metrics["motion_energy"]
        except VideoError as e:
            print(f"skip {r['file']}: {e}", file=sys.stderr)
            continue
        print(f"{m:8.4f}  {r['file']}")
        if math.isfinite(m):
            values.append(m)
    print(f"median motion_energy of {len(values)} camera clips: {np.median(values):.4f} "
          f"diagonals / s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
