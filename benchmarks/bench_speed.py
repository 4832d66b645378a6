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

and prints the medians of each command's wall time, CPU time (user + system, all threads)
and peak RSS, with hypnoscope's ratios to the other two measured in the same run. Then the
share of the analysis spent decoding and in each extractor (one in-process run), and the
median start-up time of ``hypnoscope --version``. The machine may be shared: only ratios
measured in the same run mean anything.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import long_clip  # noqa: E402

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


def commands(path: Path) -> dict[str, list[str]]:
    ffmpeg = shutil.which("ffmpeg")
    decode = ([ffmpeg, "-v", "error", "-threads", "2", "-i", str(path), "-f", "null", "-"]
              if ffmpeg else [sys.executable, "-c", PYAV_DECODE, str(path)])
    bindir = Path(sys.executable).parent
    cmds = {"decode": decode}
    scenedetect = shutil.which("scenedetect", path=str(bindir)) or shutil.which("scenedetect")
    if scenedetect:
        cmds["pyscenedetect"] = [scenedetect, "-q", "-i", str(path), "detect-adaptive"]
    hyp = shutil.which("hypnoscope", path=str(bindir)) or shutil.which("hypnoscope")
    cmds["hypnoscope"] = ([hyp] if hyp else [sys.executable, "-m", "hypnoscope"]) + [
        "analyze", "--quiet", str(path)]
    return cmds


def bench(path: Path, repeat: int) -> None:
    import av

    with av.open(str(path)) as c:
        s = c.streams.video[0]
        desc = (f"{s.codec_context.width}x{s.codec_context.height}, {s.codec_context.name}, "
                f"{float(s.average_rate or 0):.3g} fps, {float(c.duration or 0) / 1e6:.1f} s, "
                f"{(c.bit_rate or 0) / 1e6:.1f} Mbit/s")
    cmds = commands(path)
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
             "detect-adaptive", "hypnoscope": "hypnoscope analyze --quiet"}
    for k, (w, c, m) in med.items():
        print(f"  {label[k]:60s} {w:7.2f} {c:7.2f} {m:8.0f}")
    hw, hc, _ = med["hypnoscope"]
    dw, dc, _ = med["decode"]
    print(f"  hypnoscope / decode only:    wall {hw / dw:5.2f}   CPU {hc / dc:5.2f}   "
          f"(target: wall <= 1.0)")
    if "pyscenedetect" in med:
        sw, sc, _ = med["pyscenedetect"]
        print(f"  hypnoscope / PySceneDetect:  wall {hw / sw:5.2f}   CPU {hc / sc:5.2f}   "
              f"(target: wall < 1.0)")
    # in a child process: a forked child's peak RSS counts its parent's memory before exec,
    # so this process must stay small for the RSS figures above to be the commands' own
    subprocess.run([sys.executable, __file__, "--shares", str(path)], check=True)


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
    ap.add_argument("--shares", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.shares:
        shares(args.shares)
        return
    paths = list(args.videos)
    if not paths:
        for h in (int(x) for x in args.heights.split(",")):
            cache = Path(tempfile.gettempdir()) / (
                f"hypnoscope_bench_{h}p30_{args.seconds:g}s_veryfast_grain.mp4")
            print(f"camera-like clip: {cache}" + ("" if cache.exists() else " (writing)"))
            paths.append(long_clip(cache, args.seconds, height=h))
    for p in paths:
        bench(p, args.repeat)
    startup(args.repeat)


if __name__ == "__main__":
    main()
