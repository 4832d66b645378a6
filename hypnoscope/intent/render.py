"""Write an edit plan as a video: H.264 in MP4 at the source's resolution, audio re-timed.

The source is decoded once more at its native resolution; each decoded frame is written as
many times as the plan shows it (0 for a dropped frame, several for a slowed or held one), so
memory holds one frame. Audio, when the source has some, is re-timed segment by segment with
FFmpeg's ``atempo`` filter (pitch kept), silent during holds and cut at jump cuts, so it
stays in sync; when that fails it is dropped and the reason returned.
"""

from __future__ import annotations

import os
from fractions import Fraction

import av
import av.video.frame
import av.video.reformatter
import numpy as np

from hypnoscope.errors import VideoError
from hypnoscope.intent.measure import SourceFrames, output_sources
from hypnoscope.intent.plan import EditPlan
from hypnoscope.media.decode import VideoReader

#: Output time base (ticks per second).
TIME_BASE = Fraction(1, 90000)
#: Quality of the H.264 encode (x264 CRF: lower is better).
CRF = 18


def write_edit(plan: EditPlan, src: SourceFrames, path: str | os.PathLike, out: str | os.PathLike,
               *, crf: int = CRF, audio: bool = True) -> dict:
    """Encode ``plan`` applied to the video at ``path`` to ``out`` (MP4). Returns facts about
    the written file: ``frames``, ``fps``, ``duration_s``, ``width``, ``height`` and
    ``audio`` (``"kept, re-timed"``, ``"none in the source"`` or why it was dropped)."""
    path, out = os.fspath(path), os.fspath(out)
    idx = output_sources(plan, src)
    n_out = len(idx)
    counts = np.bincount(idx, minlength=len(src.times))
    fps = Fraction(src.fps).limit_denominator(1001)
    audio_note = "none in the source"
    samples = None
    if audio and src.facts.has_audio:
        try:
            samples, rate, layout = retimed_audio(path, plan)
            n_samples = int(round(n_out / float(fps) * rate))  # end with the last frame
            samples = samples[:, :n_samples]
            if samples.shape[1] < n_samples:
                samples = np.pad(samples, ((0, 0), (0, n_samples - samples.shape[1])))
            audio_note = "kept, re-timed"
        except Exception as e:  # noqa: BLE001 - audio is optional: drop it and say why
            samples = None
            audio_note = f"dropped ({type(e).__name__}: {' '.join(str(e).split())[:120]})"
    elif not audio and src.facts.has_audio:
        audio_note = "dropped (audio disabled)"
    tmp = out + ".part.mp4"
    written = 0
    try:
        with av.open(tmp, "w", format="mp4") as oc:
            vs = None
            a_stream = None
            a_packets: list = []
            if samples is not None:
                a_stream, a_packets = _encode_audio(oc, samples, rate, layout)
            a_next = 0
            reformatter = av.video.reformatter.VideoReformatter()
            reader = VideoReader(path)
            last = None
            prev_pixels = None
            exact = None
            with reader:
                for j, fr in enumerate(_native_frames(reader, src)):
                    if j >= len(counts):
                        break
                    fr = last = fr if fr is not None else last
                    if counts[j] == 0 or fr is None:
                        continue
                    if vs is None:
                        vs = _video_stream(oc, fr, fps, crf, src.facts.rotation)
                        exact = ExactRepeats(vs)
                    frame = reformatter.reformat(fr, width=vs.width, height=vs.height,
                                                 format="yuv420p")
                    pixels = frame.to_ndarray()
                    same = prev_pixels is not None and np.array_equal(pixels, prev_pixels)
                    prev_pixels = pixels
                    for k in range(int(counts[j])):
                        pts = int(round(written / fps / TIME_BASE))
                        for p in exact.encode(frame, pts, repeat=same or k > 0):
                            oc.mux(p)
                        written += 1
                        t_now = written / fps
                        a_next = mux_audio_until(oc, a_packets, a_next, t_now)
            if vs is None:
                raise VideoError(path, "no frame could be decoded for the edit")
            finish_streams(oc, vs, a_packets, a_next)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return {"frames": written, "planned_frames": n_out, "fps": float(fps),
            "duration_s": written / float(fps), "width": vs.width, "height": vs.height,
            "audio": audio_note}


class ExactRepeats:
    """Encode frames so that a repeated picture decodes *exactly* like the one before it.

    A repeated input is not exact after lossy coding: the encoder spends bits on the repeat
    to move it closer to the input, so the decoded repeat differs slightly from the decoded
    original, and the analysis would see a tiny change where the plan shows none (a hold or
    a slowed frame). Here each packet is decoded right away (the encoder runs with zero
    latency), and a repeat is encoded from that reconstruction: the encoder then has
    nothing to correct and skips its blocks, and the repeat decodes identical (measured: at
    most a stray pixel off by one level)."""

    def __init__(self, stream):
        self.stream = stream
        self.decoder = None
        self.recon = None

    def encode(self, frame, pts: int, repeat: bool) -> list:
        src = self.recon if (repeat and self.recon is not None) else frame
        src.pts, src.time_base = pts, TIME_BASE
        src.pict_type = av.video.frame.PictureType.NONE  # a decoded I would force an I
        packets = self.stream.encode(src)
        for p in packets:
            self._reconstruct(p)
        return packets

    def _reconstruct(self, packet) -> None:
        if self.decoder is None:
            self.decoder = av.CodecContext.create("h264", "r")
            self.decoder.extradata = self.stream.codec_context.extradata
            self.decoder.thread_count = 1
        for fr in self.decoder.decode(packet):
            self.recon = fr


def _ptime(packet) -> float:
    return float(packet.pts * packet.time_base) if packet.pts is not None else 0.0


def mux_audio_until(oc, packets: list, start: int, t: float) -> int:
    """Mux the encoded audio ``packets`` from index ``start`` whose time is at most ``t``
    (s), so audio and video stay interleaved; returns the index of the first not muxed."""
    while start < len(packets) and _ptime(packets[start]) <= t:
        oc.mux(packets[start])
        start += 1
    return start


def finish_streams(oc, video_stream, packets: list, start: int) -> None:
    """Flush the video encoder and mux the audio packets left from index ``start``."""
    for p in video_stream.encode():
        oc.mux(p)
    for p in packets[start:]:
        oc.mux(p)


def _video_stream(oc, fr, fps: Fraction, crf: int, rotation: int):
    vs = oc.add_stream("libx264", rate=fps)
    vs.width, vs.height = max(2, fr.width - fr.width % 2), max(2, fr.height - fr.height % 2)
    vs.pix_fmt = "yuv420p"
    vs.codec_context.time_base = TIME_BASE
    # zero latency: each frame's packet comes out at once (see ExactRepeats)
    vs.options = {"crf": str(crf), "preset": "veryfast", "tune": "zerolatency"}
    if rotation:
        vs.set_display_rotation(rotation)
    return vs


def _native_frames(reader: VideoReader, src: SourceFrames):
    """The decoded native frames that are in ``src`` (matched by timestamp), in order; one
    item per in-memory source frame."""
    times = src.times
    j = 0
    for t, fr in reader.native_frames():
        while j < len(times) and times[j] < t - 1e-4:
            j += 1  # an in-memory frame that did not come back: should not happen
            yield None
        if j < len(times) and abs(times[j] - t) <= 1e-4:
            yield fr
            j += 1


# -- audio --------------------------------------------------------------------------------

def read_audio(path: str, rate: int | None = None,
               layout: str | None = None) -> tuple[np.ndarray, int, str, float]:
    """All audio of ``path`` as float32 (channels, samples), its rate, layout, and the start
    of the audio relative to the first video frame (s); resampled to ``rate`` and ``layout``
    when given."""
    with av.open(path, metadata_errors="ignore") as c:
        a = c.streams.audio[0]
        v0 = None
        if c.streams.video:
            for fr in c.decode(c.streams.video[0]):
                v0 = fr.time
                break
            c.seek(0)
        rate = rate or a.codec_context.sample_rate or a.rate
        layout = layout or (a.codec_context.layout.name if a.codec_context.layout
                            else "stereo")
        res = av.AudioResampler(format="fltp", layout=layout, rate=rate)
        chunks = []
        a0 = None
        for fr in c.decode(a):
            if a0 is None and fr.time is not None:
                a0 = fr.time
            for r in res.resample(fr):
                chunks.append(r.to_ndarray())
        for r in res.resample(None):
            chunks.append(r.to_ndarray())
    if not chunks:
        raise ValueError("no audio could be decoded")
    data = np.concatenate(chunks, axis=1).astype(np.float32)
    return data, int(rate), layout, float((a0 or 0.0) - (v0 or 0.0))


def atempo_chain(speed: float) -> list[float]:
    """Factors in 0.5..2 whose product is ``speed`` (atempo's safe range)."""
    out = []
    while speed > 2.0:
        out.append(2.0)
        speed /= 2.0
    while speed < 0.5:
        out.append(0.5)
        speed /= 0.5
    out.append(speed)
    return out


def stretch(x: np.ndarray, rate: int, layout: str, speed: float) -> np.ndarray:
    """``x`` (channels, samples) played ``speed`` times faster with ``atempo`` (pitch kept)."""
    if abs(speed - 1.0) < 1e-6 or x.shape[1] == 0:
        return x
    graph = av.filter.Graph()
    nodes = [graph.add_abuffer(sample_rate=rate, format="fltp", layout=layout)]
    nodes += [graph.add("atempo", f"{f:.6f}") for f in atempo_chain(speed)]
    nodes.append(graph.add("aformat", f"sample_fmts=fltp:channel_layouts={layout}"))
    nodes.append(graph.add("abuffersink"))
    graph.link_nodes(*nodes).configure()
    out = []
    step = 4096
    for i in range(0, x.shape[1], step):
        fr = av.AudioFrame.from_ndarray(np.ascontiguousarray(x[:, i:i + step]), format="fltp",
                                        layout=layout)
        fr.sample_rate = rate
        fr.pts = i
        fr.time_base = Fraction(1, rate)
        graph.push(fr)
        out += _drain(graph)
    graph.push(None)
    out += _drain(graph)
    y = np.concatenate(out, axis=1) if out else np.zeros((x.shape[0], 0), np.float32)
    if y.shape[0] != x.shape[0]:
        raise ValueError(f"atempo returned {y.shape[0]} channels for {x.shape[0]}")
    return y


def _drain(graph) -> list[np.ndarray]:
    got = []
    while True:
        try:
            got.append(graph.pull().to_ndarray())
        except (BlockingIOError, av.error.EOFError):
            return got


def retimed_audio(path: str, plan: EditPlan) -> tuple[np.ndarray, int, str]:
    """The source's audio re-timed by ``plan``: (channels, samples) float32, rate, layout."""
    data, rate, layout, offset = read_audio(path)
    if offset > 0:  # audio starts after the first video frame
        data = np.concatenate([np.zeros((data.shape[0], int(round(offset * rate))),
                                        np.float32), data], axis=1)
    elif offset < 0:
        data = data[:, int(round(-offset * rate)):]
    pieces = []
    done = 0
    for seg in plan.segments:
        n_out = int(round(seg.out_end * rate)) - done
        if seg.kind == "hold" or seg.speed <= 0:
            piece = np.zeros((data.shape[0], n_out), np.float32)
        else:
            a, b = int(round(seg.src_start * rate)), int(round(seg.src_end * rate))
            piece = stretch(data[:, a:b], rate, layout, seg.speed)
        piece = piece[:, :n_out]
        if piece.shape[1] < n_out:
            piece = np.pad(piece, ((0, 0), (0, n_out - piece.shape[1])))
        pieces.append(piece)
        done += n_out
    return np.concatenate(pieces, axis=1), rate, layout


def _encode_audio(oc, samples: np.ndarray, rate: int, layout: str):
    """Add an AAC stream and encode ``samples``; returns the stream and its packets."""
    st = oc.add_stream("aac", rate=rate)
    st.layout = layout
    packets = []
    step = 1024
    for i in range(0, samples.shape[1], step):
        fr = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples[:, i:i + step]),
                                        format="fltp", layout=layout)
        fr.sample_rate = rate
        fr.pts = i
        fr.time_base = Fraction(1, rate)
        packets += st.encode(fr)
    packets += st.encode(None)
    return st, packets
