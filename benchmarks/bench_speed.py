"""Speed of the whole model against FFmpeg's decode-only pass and PySceneDetect, in one run.

    python benchmarks/bench_speed.py [VIDEO ...] [--seconds 30] [--repeat 3]

Without VIDEO it writes (once, cached in the temp folder) two camera-like clips: 1080p30 and
720p30 H.264 (x264 veryfast, crf 18: CABAC and B-frames), a moving texture with fresh film
grain on every frame, so the decoder's work is that of camera footage. For each file it runs,
alternating, ``repeat`` times each:

- ``ffmpeg -threads 2 -i F -f null -`` (FFmpeg's decode-only time; the system ``ffmpeg``,
  else the same decode through PyAV's bundled FFmpeg, said so in the output),
- ``scenedetect -i F detect-adaptive`` (PySceneDetect, cuts only, its default OpenCV
  backend; ``pip install .[bench]``),
- ``hypnoscope analyze --quiet F`` (the whole model, start-up included),
- ``hypnoscope scenes --cuts-only --quiet F`` (the shot list alone, like for like with
  PySceneDetect),

and prints the medians of each command's wall time, CPU time (user + system, all threads)
and peak RSS, with hypnoscope's ratios to the other two measured in the same run. Then the
share of the analysis spent decoding and in each extractor (one in-process run), and the
median start-up time of ``hypnoscope --version``. The machine may be shared: only ratios
measured in the same run mean anything.

``--floor`` adds, to the same alternation, what bounds the whole model's time from below:
hypnoscope's own reader decoding just the frames an analysis needs and nothing else (the
decode floor: no extractor, no model), and ``analyze`` on coarser analysis grids
(``--height``/``--fps``; the shipped model is calibrated on 180 px at 8 fps only, so their
verdicts are not comparable, only their times). It prints each one's ratio to FFmpeg and the
CPU the extractors may use per analysis frame if the whole model is to take no longer than
FFmpeg's decode on this machine's cores, against what they use now.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: hypnoscope's reader alone: the frames the analysis needs, decoded and prepared, nothing else.
READER_ONLY = ("import sys\n"
               "from hypnoscope.media.decode import iter_frames\n"
               "n = sum(1 for _ in iter_frames(sys.argv[1]))\n"
               "print(n)\n")
#: Coarser analysis grids timed by ``--floor`` (height px, analysis fps).
FLOOR_GRIDS = ((120, 8.0), (180, 4.0), (90, 4.0))

PYAV_DECODE = ("import av, sys\n"
               "with av.open(sys.argv[1]) as c:\n"
               "    s = c.streams.video[0]\n"
               "    s.thread_type = 'AUTO'\n"
               "    s.codec_context.thread_count = 2\n"
               "    for _ in c.decode(s):\n"
               "        pass\n")


def run(cmd: list[str]) -> tuple[float, float, float]:
    """(wall s, CPU s of the process and its threads, peak RSS MB) of one command."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {err[-500:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0


def commands(path: Path, floor: bool = False) -> dict[str, list[str]]:
    ffmpeg = shutil.which("ffmpeg")
    decode = ([ffmpeg, "-v", "error", "-threads", "2", "-i", str(path), "-f", "null", "-"]
              if ffmpeg else [sys.executable, "-c", PYAV_DECODE, str(path)])
    bindir = Path(sys.executable).parent
    cmds = {"decode": decode}
    scenedetect = shutil.which("scenedetect", path=str(bindir)) or shutil.which("scenedetect")
    if scenedetect:
        cmds["pyscenedetect"] = [scenedetect, "-q", "-i", str(path), "detect-adaptive"]
    hyp = shutil.which("hypnoscope", path=str(bindir)) or shutil.which("hypnoscope")
    base = [hyp] if hyp else [sys.executable, "-m", "hypnoscope"]
    cmds["hypnoscope"] = base + ["analyze", "--quiet", str(path)]
    # the like-for-like comparison with PySceneDetect: the shot list alone, no verdict
    cmds["scenes"] = base + ["scenes", "--cuts-only", "--quiet", str(path)]
    if floor:
        cmds["reader"] = [sys.executable, "-c", READER_ONLY, str(path)]
        for h, fps in FLOOR_GRIDS:
            cmds[f"grid {h}p {fps:g}fps"] = base + ["analyze", "--quiet", "--height", str(h),
                                                 "--fps", f"{fps:g}", str(path)]
    return cmds


def child(*args: str) -> str:
    """Run this script in a child process (for work that needs PyAV, NumPy or hypnoscope)
    and return its standard output.

    The parent must stay small: Linux records a process's peak RSS before ``exec`` in the
    peak RSS (``ru_maxrss``) that ``wait4`` reports for the program it runs, so a child
    forked by a large parent shows the parent's peak instead of its own."""
    return subprocess.run([sys.executable, __file__, *args], check=True,
                          stdout=subprocess.PIPE, text=True).stdout


def describe(path: Path) -> str:
    """One line on the file's size, codec, rate, length and bitrate (in this process)."""
    import av

    with av.open(str(path)) as c:
        s = c.streams.video[0]
        return (f"{s.codec_context.width}x{s.codec_context.height}, {s.codec_context.name}, "
                f"{float(s.average_rate or 0):.3g} fps, {float(c.duration or 0) / 1e6:.1f} s, "
                f"{(c.bit_rate or 0) / 1e6:.1f} Mbit/s")


def own_peak_mb() -> float:
    """This process's peak RSS, MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def bench(path: Path, repeat: int, floor: bool = False) -> None:
    desc = child("--describe", str(path)).strip()
    cmds = commands(path, floor)
    results: dict[str, list[tuple[float, float, float]]] = {k: [] for k in cmds}
    for _ in range(repeat):
        for name, cmd in cmds.items():  # alternated, so load changes hit all alike
            results[name].append(run(cmd))
    med = {k: tuple(statistics.median(r[i] for r in v) for i in range(3))
           for k, v in results.items()}
    ref_how = ("ffmpeg -threads 2 -i F -f null -" if shutil.which("ffmpeg") else
               "PyAV's bundled FFmpeg, 2 threads, decode only (no ffmpeg binary found)")
    print(f"\n{path}  ({desc})")
    print(f"  medians of {repeat} alternated runs     wall s   CPU s   peak RSS MB")
    label = {"decode": f"decode only ({ref_how})", "pyscenedetect": "PySceneDetect "
             "detect-adaptive", "hypnoscope": "hypnoscope analyze --quiet",
             "scenes": "hypnoscope scenes --cuts-only --quiet (shots only)",
             "reader": "hypnoscope's reader alone (decode floor, no analysis)"}
    for k, (w, c, m) in med.items():
        name = label.get(k, f"hypnoscope analyze --quiet, {k.removeprefix('grid ')} grid")
        print(f"  {name:60s} {w:7.2f} {c:7.2f} {m:8.0f}")
    floor = own_peak_mb()
    if floor >= 0.8 * min(m for _, _, m in med.values()):
        print(f"  (peak RSS not meaningful: this process peaked at {floor:.0f} MB, which a "
              f"child inherits)")
    hw, hc, _ = med["hypnoscope"]
    dw, dc, _ = med["decode"]
    print(f"  hypnoscope / decode only:    wall {hw / dw:5.2f}   CPU {hc / dc:5.2f}   "
          f"(target: wall <= 1.0)")
    if "pyscenedetect" in med:
        sw, sc, _ = med["pyscenedetect"]
        print(f"  hypnoscope / PySceneDetect:  wall {hw / sw:5.2f}   CPU {hc / sc:5.2f}   "
              f"(target: wall < 1.0)")
        cw, cc, _ = med["scenes"]
        print(f"  scenes --cuts-only / PySceneDetect: wall {cw / sw:5.2f}   CPU {cc / sc:5.2f}"
              f"   (shots against shots)")
    if floor:
        print_floor(med, int(child("--count", str(path))))
    # in a child process, so that this one stays small (see child())
    print(child("--shares", str(path)), end="")


def print_floor(med: dict[str, tuple[float, float, float]], analyzed: int) -> None:
    """Each floor command's ratio to FFmpeg's decode-only wall time, and the CPU left for
    the analysis per analysis frame if the whole model is to take no longer than FFmpeg."""
    dw = med["decode"][0]
    for k, (w, c, _) in med.items():
        if k == "reader" or k.startswith("grid "):
            print(f"  {k:22s} / decode only:  wall {w / dw:5.2f}   CPU {c / med['decode'][1]:5.2f}")
    cores = os.cpu_count() or 1
    rw, rc, _ = med["reader"]
    budget = cores * dw - rc  # core-seconds left beside the reader within FFmpeg's wall
    used = med["hypnoscope"][1] - rc
    print(f"  budget for wall <= decode only on {cores} cores: {cores} x {dw:.2f} s - the "
          f"reader's {rc:.2f} s CPU = {budget:.2f} CPU s for start-up, {analyzed} analysis "
          f"frames and the model, i.e. at most {1000 * budget / max(analyzed, 1):.1f} ms per "
          f"analysis frame with both cores perfectly busy; the whole model uses "
          f"{used:.2f} s, {1000 * used / max(analyzed, 1):.1f} ms per analysis frame "
          f"({used / budget:.1f}x the budget)" if budget > 0 else
          f"  the reader alone uses all {cores} cores for FFmpeg's whole wall time: no "
          f"budget is left for the analysis")


def shares(path: Path) -> None:
    """Seconds and share of one in-process analysis spent decoding and in each extractor."""
    import hypnoscope
    from hypnoscope.media.decode import VideoReader

    timings: dict[str, float] = {}
    left_out = {}
    real_iter = VideoReader.__iter__

    def counting_iter(self):  # to report how many source frames were never decoded
        yield from real_iter(self)
        left_out["n"] = self.frames_left_out

    VideoReader.__iter__ = counting_iter
    try:
        t0 = time.perf_counter()
        a = hypnoscope.analyze(path, timings=timings)
        wall = time.perf_counter() - t0
    finally:
        VideoReader.__iter__ = real_iter
    f = a.source
    total = sum(timings.values())
    print(f"  in-process analyze: {wall:.2f} s; {f.frames_decoded} source frames, "
          f"{left_out.get('n', 0)} of them never decoded (unneeded), "
          f"{f.frames_analyzed} analyzed")
    for name, sec in sorted(timings.items(), key=lambda kv: -kv[1]):
        print(f"    {name:16s} {sec:6.2f} s  {100 * sec / total:5.1f} %  "
              f"{1000 * sec / max(f.frames_analyzed, 1):6.2f} ms/analysis frame")


def startup(repeat: int) -> None:
    hyp = shutil.which("hypnoscope", path=str(Path(sys.executable).parent))
    cmd = [hyp] if hyp else [sys.executable, "-m", "hypnoscope"]
    runs = [run(cmd + ["--version"]) for _ in range(max(5, repeat))]
    print(f"\nhypnoscope --version: wall {statistics.median(r[0] for r in runs):.2f} s, "
          f"CPU {statistics.median(r[1] for r in runs):.2f} s (median of {len(runs)}; "
          f"target <= 0.3 s)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("videos", nargs="*", type=Path)
    ap.add_argument("--seconds", type=float, default=30.0,
                    help="length of the synthetic clips, s (default 30)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--heights", default="1080,720",
                    help="heights of the synthetic clips (default 1080,720)")
    ap.add_argument("--floor", action="store_true",
                    help="also time the reader alone and coarser analysis grids (the bound)")
    ap.add_argument("--shares", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--count", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--describe", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--write", help=argparse.SUPPRESS)  # JSON [path, seconds, height]
    args = ap.parse_args()
    if args.shares:
        shares(args.shares)
        return
    if args.describe:
        print(describe(args.describe))
        return
    if args.count:  # how many analysis frames the reader gives
        from hypnoscope.media.decode import iter_frames

        print(sum(1 for _ in iter_frames(args.count)))
        return
    if args.write:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from common import long_clip

        out, seconds, height = json.loads(args.write)
        long_clip(Path(out), seconds, height=height)
        return
    paths = list(args.videos)
    if not paths:
        for h in (int(x) for x in args.heights.split(",")):
            cache = Path(tempfile.gettempdir()) / (
                f"hypnoscope_bench_{h}p30_{args.seconds:g}s_veryfast_grain.mp4")
            print(f"camera-like clip: {cache}" + ("" if cache.exists() else " (writing)"),
                  flush=True)
            if not cache.exists():
                child("--write", json.dumps([str(cache), args.seconds, h]))
            paths.append(cache)
    for p in paths:
        bench(p, args.repeat, args.floor)
    startup(args.repeat)


if __name__ == "__main__":
    main()
