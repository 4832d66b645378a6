"""Write an edit of several clips as one video: H.264 in MP4 on the common canvas, each
used span's audio re-timed with its picture.

Each shot reads its clip through the decoder's own frame path
(:meth:`hypnoscope.media.decode.VideoReader.native_frames`, the frames the search measured),
upright and letterboxed to the canvas; at most two shots are open at once (a dissolve), so
memory holds a few frames. Repeated pictures are encoded exactly
(:class:`hypnoscope.intent.render.ExactRepeats`). Audio is cut per shot, re-timed with
``atempo`` (pitch kept), silent during holds; it is dropped, and the reason returned, when a
used clip has none or it cannot be read.
"""

from __future__ import annotations

import os
from collections import Counter
from fractions import Fraction

import av
import av.video.reformatter
import numpy as np

from hypnoscope.errors import VideoError
from hypnoscope.intent.clips import Canvas, Clip, fit_size, upright_size
from hypnoscope.intent.edl import EditList
from hypnoscope.intent.render import (
    CRF,
    TIME_BASE,
    ExactRepeats,
    _encode_audio,
    finish_streams,
    mux_audio_until,
    read_audio,
    stretch,
)
from hypnoscope.media.decode import VideoReader


class ShotFrames:
    """The canvas-size RGB picture of one clip at increasing source times."""

    def __init__(self, clip: Clip, canvas: Canvas):
        self.clip = clip
        self.canvas = canvas
        self.reader = VideoReader(clip.path)
        self.reader.open()
        self.frames = self.reader.native_frames()
        self.reformatter = av.video.reformatter.VideoReformatter()
        self.cur: tuple[float, av.VideoFrame] | None = None
        self.nxt: tuple[float, av.VideoFrame] | None = next(self.frames, None)
        self._pic: np.ndarray | None = None
        w, h = upright_size(clip.facts)
        self.rotation = clip.facts.rotation % 360
        self.fit = fit_size(w, h, canvas.width, canvas.height)

    def at(self, src_t: float) -> tuple[float, np.ndarray]:
        """(time of the frame on screen at ``src_t`` s, its canvas picture)."""
        while self.nxt is not None and (self.cur is None or self.nxt[0] <= src_t + 1e-6):
            self.cur, self.nxt, self._pic = self.nxt, next(self.frames, None), None
        if self.cur is None:
            raise VideoError(self.clip.path, "no frame could be decoded for the edit")
        if self._pic is None:
            self._pic = self._picture(self.cur[1])
        return self.cur[0], self._pic

    def _picture(self, fr: av.VideoFrame) -> np.ndarray:
        fw, fh = self.fit
        cw, ch = (fh, fw) if self.rotation % 180 else (fw, fh)
        rgb = self.reformatter.reformat(fr, width=cw, height=ch, format="rgb24").to_ndarray()
        if self.rotation:
            rgb = np.ascontiguousarray(np.rot90(rgb, self.rotation // 90))
        W, H = self.canvas.width, self.canvas.height
        if rgb.shape[:2] == (H, W):
            return rgb
        out = np.zeros((H, W, 3), np.uint8)
        y0, x0 = (H - rgb.shape[0]) // 2, (W - rgb.shape[1]) // 2
        out[y0:y0 + rgb.shape[0], x0:x0 + rgb.shape[1]] = rgb
        return out

    def close(self) -> None:
        self.reader.close()


def edit_audio(edl: EditList, clips: list[Clip], n_samples_for) -> tuple[
        np.ndarray | None, int, str, str]:
    """The edit's audio track: (samples or None, rate, layout, what happened in words)."""
    used = sorted({s.clip for s in edl.shots})
    silent = [clips[c].name for c in used if not clips[c].facts.has_audio]
    if len(silent) == len(used):
        return None, 0, "", "none in the clips"
    if silent:
        return None, 0, "", (f"dropped ({len(silent)} of the {len(used)} clips used have none:"
                             f" {', '.join(silent[:3])}{', ...' if len(silent) > 3 else ''})")
    try:
        infos = []
        for c in used:
            with av.open(clips[c].path, metadata_errors="ignore") as ct:
                a = ct.streams.audio[0].codec_context
                infos.append((a.sample_rate, a.layout.name if a.layout else "stereo"))
        rate = Counter(r for r, _ in infos).most_common(1)[0][0]
        layout = "stereo" if any(lay != "mono" for _, lay in infos) else "mono"
        cache: dict[int, tuple[np.ndarray, float]] = {}
        pieces = []
        done = 0
        t = 0.0
        for s in edl.shots:
            if s.clip not in cache:
                data, _, _, offset = read_audio(clips[s.clip].path, rate, layout)
                cache[s.clip] = (data, offset)
            data, offset = cache[s.clip]
            a = int(round((s.src_in - offset) * rate))
            b = int(round((s.src_out - offset) * rate))
            chunk = data[:, max(0, a):max(0, b)]
            if a < 0:
                chunk = np.pad(chunk, ((0, 0), (min(-a, b - a), 0)))
            play = stretch(chunk, rate, layout, s.speed)
            end_play = int(round((t + s.play_s) * rate))
            n_play = end_play - done
            play = play[:, :n_play]
            if play.shape[1] < n_play:
                play = np.pad(play, ((0, 0), (0, n_play - play.shape[1])))
            t += s.duration
            end = int(round(t * rate))
            pieces += [play, np.zeros((play.shape[0], end - end_play), np.float32)]
            done = end
        samples = np.concatenate(pieces, axis=1)
        n = n_samples_for(rate)
        samples = samples[:, :n]
        if samples.shape[1] < n:
            samples = np.pad(samples, ((0, 0), (0, n - samples.shape[1])))
        return samples, rate, layout, "kept, cut and re-timed per shot"
    except Exception as e:  # noqa: BLE001 - audio is optional: drop it and say why
        return None, 0, "", f"dropped ({type(e).__name__}: {' '.join(str(e).split())[:120]})"


def write_edit_list(edl: EditList, clips: list[Clip], canvas: Canvas,
                    out: str | os.PathLike, *, crf: int = CRF, audio: bool = True) -> dict:
    """Encode ``edl`` to ``out`` (MP4, written whole or not at all). Returns facts about the
    written file: ``frames``, ``fps``, ``duration_s``, ``width``, ``height``, ``audio``."""
    out = os.fspath(out)
    fps = Fraction(canvas.fps).limit_denominator(1001)
    plan = edl.frame_plan(canvas.fps)
    n_out = len(plan)
    if audio:
        samples, rate, layout, audio_note = edit_audio(
            edl, clips, lambda r: int(round(n_out / float(fps) * r)))
    else:
        samples, rate, layout, audio_note = None, 0, "", "dropped (audio disabled)"
    last_use: dict[int, int] = {}
    for k, (i, _, o, _, w) in enumerate(plan):
        last_use[i] = k
        if o >= 0 and w > 0:
            last_use[o] = k
    tmp = out + ".part.mp4"
    readers: dict[int, ShotFrames] = {}
    try:
        with av.open(tmp, "w", format="mp4") as oc:
            vs = oc.add_stream("libx264", rate=fps)
            vs.width, vs.height = canvas.width, canvas.height
            vs.pix_fmt = "yuv420p"
            vs.codec_context.time_base = TIME_BASE
            vs.options = {"crf": str(crf), "preset": "veryfast", "tune": "zerolatency"}
            exact = ExactRepeats(vs)
            a_packets: list = []
            if samples is not None:
                _, a_packets = _encode_audio(oc, samples, rate, layout)
            a_next = 0
            prev_key = None

            def picture(shot: int, src: float) -> tuple[tuple, np.ndarray]:
                if shot not in readers:
                    readers[shot] = ShotFrames(clips[edl.shots[shot].clip], canvas)
                t, pic = readers[shot].at(src)
                return (shot, t), pic

            for k, (i, src, o, osrc, w) in enumerate(plan):
                key, pic = picture(i, src)
                if o >= 0 and w > 0:
                    okey, opic = picture(o, osrc)
                    pic = np.round((1 - w) * pic.astype(np.float32) + w * opic).astype(np.uint8)
                    key = (key, okey, round(w, 4))
                frame = av.VideoFrame.from_ndarray(pic, format="rgb24").reformat(
                    format="yuv420p")
                pts = int(round(k / fps / TIME_BASE))
                for p in exact.encode(frame, pts, repeat=key == prev_key):
                    oc.mux(p)
                prev_key = key
                t_now = (k + 1) / fps
                a_next = mux_audio_until(oc, a_packets, a_next, t_now)
                for s in [s for s, last in last_use.items() if last == k and s in readers]:
                    readers.pop(s).close()
            finish_streams(oc, vs, a_packets, a_next)
        os.replace(tmp, out)
    finally:
        for r in readers.values():
            r.close()
        if os.path.exists(tmp):
            os.remove(tmp)
    return {"frames": n_out, "fps": float(fps), "duration_s": n_out / float(fps),
            "width": canvas.width, "height": canvas.height, "audio": audio_note}
