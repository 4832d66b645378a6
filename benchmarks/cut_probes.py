"""Edited probes made from corpus camera clips, with every edit at a known frame.

Each probe joins shots cut from different single-shot camera clips of the corpus by hard
cuts, cross-dissolves (0.5-1.2 s) and fades through black, at one of several frame rates,
codecs and sizes; some shots carry a camera flash (two over-exposed frames). The truth is
kept in native frame indices of the probe. Probes are written once into a folder and
reused; their names carry :data:`GENERATOR`, a digest of this file, so a changed recipe
writes new probes instead of reading stale ones.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

#: Names the probes after the recipe that made them (any edit of this file makes new ones).
GENERATOR = hashlib.sha1(Path(__file__).read_bytes()).hexdigest()[:8]

#: Single-shot camera clips of the corpus (``real/``; FFmpeg's scene score finds no event in
#: any of them), of varied content and motion: handheld, driving, dancing, sport, static.
SOURCES = [
    "pku-yuangroup_open-sora-plan__origin_video_1.mp4",
    "facebookresearch_co-tracker__pillow.mp4",
    "facebookresearch_co-tracker__teddy.mp4",
    "hao-ai-lab_fastvideo__1ggqy4nxyuo-scene-059.mp4",
    "hao-ai-lab_fastvideo__ejqsc21gsby-scene-059.mp4",
    "hao-ai-lab_fastvideo__gbsfptckegk-scene-003.mp4",
    "omerbt_tokenflow__woman-running.mp4",
    "showlab_tune-a-video__rabbit-watermelon.mp4",
    "udacity_carnd-lanelines-p1__solidwhiteright.mp4",
    "sczhou_propainter__running_car.mp4",
    "androidx_media__sample_with_increasing_timestamps_360p.mp4",
    "opengvlab_ask-anything__playing_guitar.mp4",
    "opengvlab_ask-anything__making_cake.mp4",
    "opengvlab_ask-anything__hitting_baseball.mp4",
    "opengvlab_ask-anything__yoga.mp4",
    "opengvlab_ask-anything__jesse_dance.mp4",
    "flutter_packages__butterfly-209.mp4",
    "open-mmlab_mmpose__body3d_demo.mp4",
    "kwaivgi_liveportrait__d3.mp4",
    "smelter-labs_smelter-snapshot-tests__call.mp4",
    "pku-yuangroup_video-llava__sample_demo_1.mp4",
    "damo-nlp-sg_video-llama__dog_barking.mp4",
    "damo-nlp-sg_video-llama__applausing.mp4",
    "damo-nlp-sg_video-llama__silence_girl.mp4",
    "yoyo-nb_thin-plate-spline-motion-model__driving.mp4",
]

#: (frame rate, codec, container extension, width, height) of each probe.
SPECS = [
    (15.0, "libx264", "mp4", 640, 360),
    (24.0, "libx265", "mkv", 1280, 720),
    (25.0, "libvpx-vp9", "webm", 854, 480),
    (30000 / 1001, "libx264", "mp4", 1920, 1080),
    (30.0, "libx265", "mkv", 640, 360),
    (60.0, "libx264", "mp4", 1280, 720),
    (24.0, "libvpx-vp9", "webm", 640, 360),
    (30.0, "libx264", "mp4", 960, 540),
    (60.0, "libvpx-vp9", "webm", 854, 480),
    (25.0, "libx265", "mkv", 1920, 1080),
]


@dataclass
class Truth:
    """Known edits in native frame indices: ``cuts`` are the first frames of new shots;
    ``gradual`` are (last frame of the old shot, first frame of the new one) with their
    ``kinds``; ``flashes`` the first frame of each flash (no edit)."""

    cuts: list[int] = field(default_factory=list)
    gradual: list[tuple[int, int]] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    flashes: list[int] = field(default_factory=list)
    source: str = ""


def _read_span(path: Path, start_s: float, n: int, fps: float,
               size: tuple[int, int]) -> list[np.ndarray]:
    """``n`` RGB frames at ``fps`` from ``start_s`` (s) of ``path``, centre-cropped to the
    aspect of ``size`` (w, h) and scaled to it (the nearest earlier source frame for each
    tick, so a slower source repeats frames as a rate conversion does)."""
    w, h = size
    want = start_s + np.arange(n) / fps
    out: list[np.ndarray] = []
    last = None
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        s.thread_type = "AUTO"
        t0 = None
        for fr in c.decode(s):
            if fr.time is None:
                continue
            t0 = fr.time if t0 is None else t0
            t = fr.time - t0
            while len(out) < n and last is not None and t > want[len(out)] + 1e-6:
                out.append(last)
            if len(out) >= n:
                break
            if t >= start_s - 0.5 / fps:
                img = fr.to_ndarray(format="rgb24")
                ih, iw = img.shape[:2]
                scale = min(iw / w, ih / h)
                cw, ch = int(w * scale), int(h * scale)
                x0, y0 = (iw - cw) // 2, (ih - ch) // 2
                last = cv2.resize(img[y0:y0 + ch, x0:x0 + cw], (w, h),
                                  interpolation=cv2.INTER_AREA)
    while len(out) < n and last is not None:
        out.append(last)
    return out


def _blend(a: np.ndarray, b: np.ndarray, w: float) -> np.ndarray:
    return np.clip(np.round((1 - w) * a.astype(np.float32) + w * b.astype(np.float32)),
                   0, 255).astype(np.uint8)


def _flash(frame: np.ndarray, strength: float) -> np.ndarray:
    f = frame.astype(np.float32) * (1 + strength) + 120 * strength
    return np.clip(f, 0, 255).astype(np.uint8)


def probe_frames(seed: int, fps: float, size: tuple[int, int], real: Path,
                 sources: list[str]) -> tuple[list[np.ndarray], Truth]:
    """The frames of one probe and its truth: 6 shots from 6 different clips, joined by a
    cut (60 %), a dissolve (20 %) or a fade through black (20 %)."""
    rng = np.random.default_rng(4000 + seed)
    picks = rng.choice(len(sources), size=6, replace=False)
    joins = [str(rng.choice(["cut", "dissolve", "fade"], p=[0.6, 0.2, 0.2]))
             for _ in range(5)]
    truth = Truth(source=", ".join(sources[i].split("__")[1] for i in picks))
    frames: list[np.ndarray] = []
    for k, pi in enumerate(picks):
        path = real / sources[pi]
        with av.open(str(path)) as c:
            st = c.streams.video[0]
            dur = float(st.duration * st.time_base) if st.duration else float(
                c.duration or 0) / 1e6
        # how many frames this shot lends to the joins on each side
        if k > 0 and joins[k - 1] == "dissolve":
            lead = int(round(float(rng.uniform(0.5, 1.2)) * fps))
        elif k > 0 and joins[k - 1] == "fade":
            lead = int(round(float(rng.uniform(0.3, 0.6)) * fps))
        else:
            lead = 0
        body = int(round(float(rng.uniform(1.3, 2.4)) * fps))
        tail = int(round(1.2 * fps))  # enough for any dissolve or fade-out after it
        n = lead + body + tail
        start = float(rng.uniform(0.0, max(0.0, dur - n / fps - 0.2)))
        shot = _read_span(path, start, n, fps, size)
        if rng.random() < 0.3:  # a camera flash in the middle of the body
            at = lead + body // 2
            shot[at] = _flash(shot[at], 0.9)
            shot[at + 1] = _flash(shot[at + 1], 0.4)
            truth.flashes.append(len(frames) + at)  # corrected below for joins
        if k == 0:
            frames = shot[:body + tail]
            continue
        join = joins[k - 1]
        if join == "cut":
            frames = frames[:len(frames) - tail] if tail else frames
            truth.cuts.append(len(frames))
            frames += shot
        elif join == "dissolve":
            m = lead
            frames = frames[:len(frames) - tail + m]
            start_i = len(frames) - m  # first blended frame
            for i in range(m):
                frames[start_i + i] = _blend(frames[start_i + i], shot[i], (i + 1) / (m + 1))
            truth.gradual.append((start_i - 1, start_i + m))
            truth.kinds.append("dissolve")
            frames += shot[m:]
        else:
            m_out = int(round(float(rng.uniform(0.3, 0.6)) * fps))
            hold = int(round(float(rng.uniform(0.0, 0.4)) * fps))
            m_in = lead
            frames = frames[:len(frames) - tail + m_out]
            s0 = len(frames) - m_out
            black = np.zeros_like(frames[0])
            for i in range(m_out):
                frames[s0 + i] = _blend(frames[s0 + i], black, (i + 1) / (m_out + 1))
            frames += [black] * hold
            for i in range(m_in):
                frames.append(_blend(black, shot[i], (i + 1) / (m_in + 1)))
            truth.gradual.append((s0 - 1, len(frames)))
            truth.kinds.append("fade_through_black")
            frames += shot[m_in:]
    # flashes were noted at the position the shot would have had before trimming: recompute
    truth.flashes = [i for i in range(1, len(frames) - 1)
                     if frames[i].mean() > frames[i - 1].mean() + 40
                     and frames[i].mean() > frames[i + 1].mean() + 10
                     and not any(a <= i <= b for a, b in truth.gradual)]
    return frames, truth


def encode(path: Path, frames: list[np.ndarray], fps: float, codec: str,
           grain: float = 1.5) -> None:
    """Write ``frames`` with ``codec`` at ``fps`` (a rate such as 29.97 as 30000/1001), via a
    temporary name so a probe is complete or absent. Fresh sensor-like ``grain`` (gray
    levels) on every frame keeps a source frame repeated by the rate conversion from being
    an exact repeat, as in camera footage (the decoder then leaves the frames the analysis
    does not read undecoded, as it does on such footage)."""
    rng = np.random.default_rng(len(frames))
    tmp = path.with_name(path.stem + ".part" + path.suffix)
    with av.open(str(tmp), "w") as c:
        s = c.add_stream(codec, rate=Fraction(fps).limit_denominator(1001))
        s.width, s.height = frames[0].shape[1], frames[0].shape[0]
        s.pix_fmt = "yuv420p"
        if codec == "libx264":
            s.options = {"crf": "20", "preset": "veryfast"}
        elif codec == "libx265":
            s.options = {"crf": "24", "preset": "veryfast", "x265-params": "log-level=error"}
        else:
            s.options = {"crf": "32", "b": "0", "deadline": "realtime", "cpu-used": "8",
                         "row-mt": "1"}
        for f in frames:
            noisy = f.astype(np.float32) + rng.normal(0, grain, f.shape[:2] + (1,))
            f = np.clip(np.round(noisy), 0, 255).astype(np.uint8)
            for p in s.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    os.replace(tmp, path)


def probe_set(folder: Path, real: Path, n: int | None = None,
              first_seed: int = 0) -> list[tuple[Path, Truth]]:
    """Write (once) the probes into ``folder``; return their paths and truth. Sources that
    are missing from the corpus are left out (the probes then differ: their names say
    how many sources were used). Probe ``i`` takes its shots, joins and flashes from
    seed ``first_seed + i`` (another ``first_seed``: another set, for a check that
    nothing was tuned to the default one) and its rate, codec and size from ``SPECS[i]``."""
    folder.mkdir(parents=True, exist_ok=True)
    sources = [s for s in SOURCES if (real / s).exists()]
    if len(sources) < 5:
        return []
    out = []
    for i, (fps, codec, ext, w, h) in enumerate(SPECS[:n]):
        seed = first_seed + i
        name = f"probe{GENERATOR}_{seed}_{len(sources)}src_{fps:.5g}fps_{codec}_{w}x{h}.{ext}"
        path = folder / name
        meta = path.with_suffix(".json")
        if path.exists() and meta.exists():
            truth = Truth(**json.loads(meta.read_text()))
            truth.gradual = [tuple(g) for g in truth.gradual]
        else:
            frames, truth = probe_frames(seed, fps, (w, h), real, sources)
            encode(path, frames, fps, codec)
            meta.write_text(json.dumps(asdict(truth)))
        out.append((path, truth))
    return out
