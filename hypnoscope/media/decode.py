"""One streaming decode pass: a video file in, small analysis frames out.

Frames are decoded with PyAV (FFmpeg) on several threads, scaled inside swscale to a fixed
analysis height with one reused reformatter, rotated upright from the display matrix, and
sampled by presentation timestamp at a canonical analysis rate. Nothing here holds more
than the current frame, so memory does not grow with the video's length or resolution.
"""

from __future__ import annotations

import bisect
import math
import os
import queue
import stat
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field

import av
import av.video.reformatter
import cv2
import numpy as np

from hypnoscope.defaults import DEFAULT_FPS, DEFAULT_HEIGHT
from hypnoscope.errors import VideoError

#: Side of the square native-resolution luma crop kept for noise estimation, in pixels.
NATIVE_CROP_SIZE = 256

#: A timestamp this many seconds before the previous frame's is a restart of the
#: timestamps (the frames after it go on from there), not a frame out of order (skipped).
TIMESTAMP_RESTART_S = 0.5

#: Largest picture decoded, in pixels (8192x8192, beyond every 8K format): a file that
#: claims more (a GIF screen or WebP canvas of 12000x12000 takes a few hundred bytes) is
#: refused before anything that size is allocated, so memory stays bounded for any input.
MAX_PICTURE_PIXELS = 8192 * 8192

STILL_IMAGE_FORMATS = {"png_pipe", "jpeg_pipe", "bmp_pipe", "tiff_pipe", "webp_pipe",
                       "image2", "gif_pipe_still", "ppm_pipe", "pgm_pipe", "pam_pipe",
                       "qoi_pipe", "jpegls_pipe", "j2k_pipe", "svg_pipe", "psd_pipe"}


@dataclass(frozen=True)
class DecodeOptions:
    """How to sample a video: analysis ``height`` in px, analysis ``fps`` in frames/s,
    every how many analysis frames a native-resolution luma crop is kept (0 = never),
    whether source frames that no analysis frame needs may be left undecoded
    (``skip_unneeded``, see :class:`SkipPlan`), and whether frames are prepared in a
    background thread while the caller analyzes the previous ones (``background``)."""

    height: int = DEFAULT_HEIGHT
    fps: float = DEFAULT_FPS
    native_crop_every: int = 4
    skip_unneeded: bool = True
    background: bool = True

    def __post_init__(self) -> None:
        if self.height < 16 or self.height > 2160:
            raise ValueError(f"analysis height must be 16..2160 px, got {self.height}")
        if not (0.5 <= self.fps <= 120):
            raise ValueError(f"analysis fps must be 0.5..120, got {self.fps}")


@dataclass
class SourceFacts:
    """What the file is, as read from the container and measured while decoding."""

    path: str
    container: str = ""
    codec: str = ""
    width: int = 0
    height: int = 0
    rotation: int = 0
    pix_fmt: str = ""
    has_audio: bool = False
    nominal_fps: float | None = None
    measured_fps: float | None = None
    duration_s: float = 0.0
    declared_duration_s: float | None = None
    #: Source frames read, in presentation order (including non-reference frames that the
    #: analysis never reads, parsed but not reconstructed: see :class:`SkipPlan`).
    frames_decoded: int = 0
    frames_failed: int = 0
    analysis_fps: float = 0.0
    analysis_width: int = 0
    analysis_height: int = 0
    frames_analyzed: int = 0
    notes: list[str] = field(default_factory=list)
    #: Container metadata tags (title, comment, encoder, ...), as the file states them:
    #: untrusted text, bounded in count and length (see :func:`metadata_tags`).
    tags: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Frame:
    """One analysis frame: ``t`` in seconds from the first frame, ``gray`` (H, W) uint8,
    ``rgb`` (H, W, 3) uint8, and every few frames a native-resolution luma crop in full-range
    gray levels (0..255, like ``gray``). ``native_height`` is the upright height of the
    decoded frame in px (0 when unknown).

    ``content_t`` (s) is when this frame's picture first appeared in the source: a frame that
    repeats its predecessors (a GIF hold, a frame doubled by rate conversion) keeps the time
    of the first copy, so motion is timed between real pictures. ``source_frames`` counts
    the decoded source frames since the previous analysis frame (this one included) and
    ``source_repeats`` how many of them repeated their predecessor (None when unknown).

    For frame-exact shot cuts (:mod:`hypnoscope.signals.cut_refine`): ``source_index`` is
    this frame's position among the source's frames (0-based, presentation order);
    ``source_times`` (s) are the times of the source frames since the previous analysis
    frame, this one last, and ``source_prints`` their :class:`PictureFingerprint` (None for
    a frame left undecoded). None when unknown."""

    index: int
    t: float
    gray: np.ndarray
    rgb: np.ndarray
    native_crop: np.ndarray | None = None
    content_t: float | None = None
    source_frames: int | None = None
    source_repeats: int | None = None
    native_height: int = 0
    source_index: int | None = None
    source_times: np.ndarray | None = None
    source_prints: list[np.ndarray | None] | None = None


def analysis_size(width: int, height: int, rotation: int, target_height: int,
                  sar: float = 1.0) -> tuple[int, int]:
    """Size (w, h) to scale the *coded* frame to, so that after rotation the upright frame
    is ``target_height`` px high with an even width that keeps the display aspect."""
    disp_w, disp_h = width * sar, float(height)
    if rotation % 180:
        disp_w, disp_h = disp_h, disp_w
    th = min(target_height, int(disp_h)) if disp_h >= 16 else target_height
    th = max(2, th - th % 2)
    tw = max(2, int(round(th * disp_w / disp_h / 2.0)) * 2)
    return (th, tw) if rotation % 180 else (tw, th)


#: Limited-range ("MPEG", 16..235) luma to full-range gray levels (0..255).
_LIMITED_TO_FULL = np.clip(np.round((np.arange(256) - 16) * 255.0 / 219.0), 0, 255).astype(
    np.uint8)
_JPEG_RANGE = 2  # AVCOL_RANGE_JPEG


def _luma_crop(frame: av.VideoFrame, size: int) -> np.ndarray | None:
    """Centre crop of the native-resolution luma plane (no scaling), in full-range gray
    levels (limited-range luma is stretched to 0..255, as the analysis ``gray`` is)."""
    fmt = frame.format.name
    limited = False
    if fmt.startswith(("yuv", "yuvj", "nv12", "nv21", "gray")) and not fmt.endswith(
            ("p10le", "p10be", "p12le", "p16le", "p9le")) and fmt != "gray16le":
        plane = frame.planes[0]
        arr = np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)
        arr = arr[:, : plane.width]
        limited = not fmt.startswith(("yuvj", "gray")) and frame.color_range != _JPEG_RANGE
    else:
        arr = frame.to_ndarray(format="gray")
    h, w = arr.shape
    s = min(size, h, w)
    y0, x0 = (h - s) // 2, (w - s) // 2
    crop = arr[y0:y0 + s, x0:x0 + s]
    return cv2.LUT(crop, _LIMITED_TO_FULL) if limited else np.array(crop)


#: A source frame whose luma differs from the first copy of the current picture by less
#: than this many gray levels (mean absolute difference on a fixed grid of native pixels)
#: repeats it (exact and near duplicates: holds survive lossy re-encoding).
SOURCE_REPEAT_LEVELS = 0.5
#: Size (w, h) of the grid of native pixels compared to find repeated source frames.
FINGERPRINT_GRID = (64, 48)


class PictureFingerprint:
    """A tiny, cheap signature of every decoded source frame, to find repeated pictures.

    For 8-bit planar YUV or gray frames it reads a fixed grid of native luma pixels straight
    from the decoded buffer (no conversion, a few microseconds); other formats are scaled to
    the same grid in gray with one reused swscale context."""

    def __init__(self) -> None:
        self._reformatter = av.video.reformatter.VideoReformatter()

    def __call__(self, frame: av.VideoFrame) -> np.ndarray:
        gw, gh = FINGERPRINT_GRID
        if _luma_plane_8bit(frame.format):
            plane = frame.planes[0]
            arr = np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)
            ys = np.linspace(0, plane.height - 1, min(gh, plane.height)).astype(int)
            xs = np.linspace(0, plane.width - 1, min(gw, plane.width)).astype(int)
            return arr[np.ix_(ys, xs)].astype(np.int16)
        small = self._reformatter.reformat(frame, width=gw, height=gh, format="gray",
                                           interpolation="AREA")
        return small.to_ndarray().astype(np.int16)


def repeats_picture(a: np.ndarray, b: np.ndarray, levels: float = SOURCE_REPEAT_LEVELS) -> bool:
    """True when fingerprints ``a`` and ``b`` show the same picture (exact or near)."""
    return a.shape == b.shape and float(np.abs(a - b).mean()) < levels


def _luma_plane_8bit(fmt: av.VideoFormat) -> bool:
    """True when plane 0 of frames in ``fmt`` holds 8-bit luma alone (planar or semi-planar
    YUV, gray), so it can be read without conversion (not palette indices: a GIF frame may
    keep its indices and change its palette)."""
    comps = fmt.components
    return (fmt.name != "pal8" and bool(comps) and comps[0].is_luma and comps[0].bits == 8
            and comps[0].plane == 0 and all(c.plane != 0 for c in comps[1:]))


class TimestampSampler:
    """Which source frames an analysis at ``fps`` keeps, by timestamp: the first frame at or
    after each tick of the ``1 / fps`` grid, with a tolerance of half a source frame (at
    ``source_fps``) or a quarter tick, whichever is smaller, so jittered timestamps do not
    skip a tick. Never up-samples: a slower source keeps every frame."""

    def __init__(self, fps: float, source_fps: float) -> None:
        self.period = 1.0 / fps
        self.tol = (min(0.5 / source_fps, 0.25 * self.period) if source_fps > 0
                    else 0.25 * self.period)
        self._next = 0.0

    def keep(self, t: float) -> bool:
        """Whether the frame at ``t`` (s, increasing from call to call) is kept."""
        if t + self.tol < self._next:
            return False
        self._next = (math.floor((t + self.tol) / self.period) + 1) * self.period
        return True


#: Skipping starts once the source is at least this many times faster than the analysis.
SKIP_MIN_RATIO = 1.5
#: Source frames in the first this many seconds are always decoded (a repeated picture
#: found there, or later, turns skipping off for the rest of the file).
SKIP_WARMUP_S = 1.0
#: Packets read ahead of the decoder, to know each packet's predecessor in presentation
#: order (B-frames are stored out of order; H.264 reorders by at most 16 frames).
LOOKAHEAD = 17
#: Margin (s) around the sampling grid: a frame this close to being kept is decoded.
_GRID_EPS = 1e-6
#: Analysis frames prepared ahead by the background thread.
PREFETCH = 3
_END = object()
#: Frames held back by the frame-threaded pass when the stream reorders frames (more than
#: the reordering depth of common encoders: x264's default is 2).
HOLD_BACK = 5


class _FrameFailed(Exception):
    """A frame failed in a frame-threaded pass: decode again on slice threads."""


def _item_time(item: av.VideoFrame | float) -> float | None:
    return item if isinstance(item, float) else _seconds(item.pts, item.time_base)


class SkipPlan:
    """Which source frames the analysis never reads and may be left undecoded.

    A frame is kept by :class:`TimestampSampler` when a tick of its grid falls between its
    predecessor's time and its own (both shifted by the tolerance), so whether a frame is
    needed is known from the packets' timestamps before decoding. A frame that is not
    needed is sent to the decoder with ``skip_frame = NONREF``: FFmpeg drops it only when
    no other frame references it, so every frame that is decoded comes out bit-identical.
    The frames left out are still counted and timed (``source_frames``, duration, rate);
    each is taken as a repeat when the decoded frames on both sides show the same picture,
    else as a new one. That guess could mistime a hold, so skipping waits
    :data:`SKIP_WARMUP_S`, and the first repeated picture turns it off for good."""

    def __init__(self, sampler: TimestampSampler) -> None:
        self.period, self.tol = sampler.period, sampler.tol
        self.enabled = True
        self.t0: float | None = None  # time of the first decoded frame, s
        self._times: list[float] = []  # packet times read so far (recent ones), s

    def add(self, ts: float | None) -> None:
        """Record the time (s) of a packet read ahead (None: untimed, skipping stops)."""
        if ts is None or (self._times and ts < self._times[-1] - TIMESTAMP_RESTART_S):
            self.enabled = False  # untimed, or the timestamps start again
            return
        i = bisect.bisect_left(self._times, ts)
        if i < len(self._times) and self._times[i] == ts:
            self.enabled = False  # two packets at one time: the sampler drops one
            return
        self._times.insert(i, ts)
        if len(self._times) > 4 * LOOKAHEAD:
            del self._times[0]

    def unneeded(self, ts: float | None) -> bool:
        """Whether the frame at ``ts`` (s) is certainly not kept by the sampler."""
        if not self.enabled or ts is None or self.t0 is None or ts < self.t0 + SKIP_WARMUP_S:
            return False
        i = bisect.bisect_left(self._times, ts)
        if i == 0:
            return False
        lo = self._times[i - 1] - self.t0 + self.tol - _GRID_EPS
        hi = ts - self.t0 + self.tol + _GRID_EPS
        return (math.floor(lo / self.period) + 1) * self.period > hi


class VideoReader:
    """Open a video, check it can be analyzed, and iterate its analysis frames once.

    Use as ``with VideoReader(path, options) as r: for frame in r: ...``; ``r.facts`` holds
    the source facts, complete once iteration ends. Raises :class:`VideoError` for anything
    that makes the file unusable (missing, empty, not a video, truncated, too few frames).
    """

    def __init__(self, path: str | os.PathLike, options: DecodeOptions | None = None,
                 on_progress: Callable[[float, float], None] | None = None):
        self.path = os.fspath(path)
        self.options = options or DecodeOptions()
        self.on_progress = on_progress
        self.facts = SourceFacts(path=self.path)
        self._container = None
        self._image_format: str | None = None
        #: Source frames the last pass left undecoded because no analysis frame needed them.
        self.frames_left_out = 0
        #: (first packet time s, end of the last packet s, packets) of the last pass.
        self._packet_span: tuple[float | None, float | None, int] = (None, None, 0)
        self._worker: tuple[threading.Thread, threading.Event] | None = None

    # -- opening -------------------------------------------------------------------------
    def __enter__(self) -> VideoReader:
        self.open()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._stop_worker()
        if self._container is not None:
            self._container.close()
            self._container = None

    def open(self) -> None:
        path = self.path
        check_regular_file(path)
        try:
            container = av.open(path, metadata_errors="ignore")
        except av.error.FFmpegError as e:
            raise VideoError(path, f"not a video FFmpeg can read ({_ffmpeg_reason(e)})") from e
        except (OSError, ValueError) as e:
            raise VideoError(path, f"cannot open ({e})") from e
        self._container = container
        fmt = container.format.name
        if not container.streams.video:
            kind = "audio only" if container.streams.audio else "no streams FFmpeg can decode"
            raise VideoError(path, f"no video stream ({kind})")
        self._image_format = fmt.removesuffix("_pipe") if (
            fmt in STILL_IMAGE_FORMATS or fmt.endswith("_pipe")) else None
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        f = self.facts
        f.container = fmt.split(",")[0]
        if fmt.startswith("mov,mp4"):
            ext = os.path.splitext(path)[1].lower().lstrip(".")
            f.container = ext if ext in {"mov", "mp4", "m4v", "3gp"} else "mp4"
        elif fmt.startswith("matroska"):
            f.container = "webm" if path.lower().endswith(".webm") else "mkv"
        cc = stream.codec_context
        f.codec = cc.name
        f.width, f.height = int(cc.width or 0), int(cc.height or 0)
        f.pix_fmt = cc.pix_fmt or ""
        if self._image_format == "webp":
            # the canvas size from the RIFF header, before any decoder allocates it
            f.width, f.height = _webp_size(path) or (f.width, f.height)
            _check_picture_size(path, f.width, f.height)
        if self._image_format == "webp" and _is_animated_webp(path):
            # FFmpeg's WebP decoder reads stills only; animated WebP goes through Pillow.
            f.codec, f.container = "webp", "webp"
            return
        f.has_audio = bool(container.streams.audio)
        f.tags = metadata_tags(container.metadata)
        rate = stream.average_rate or stream.guessed_rate
        f.nominal_fps = float(rate) if rate else None
        if stream.duration and stream.time_base:
            f.declared_duration_s = float(stream.duration * stream.time_base)
        elif container.duration:
            f.declared_duration_s = container.duration / 1e6
        if f.width <= 0 or f.height <= 0:
            raise VideoError(path, "video stream has no picture size (corrupt header)")
        _check_picture_size(path, f.width, f.height)

    # -- decoding ------------------------------------------------------------------------
    def _decoded_frames(self, plan: SkipPlan | None = None
                        ) -> Iterator[av.VideoFrame | float]:
        """Decoded frames in presentation order; with a ``plan``, the time (s) of each frame
        the decoder left out as unneeded, in its place.

        Decoding runs on frame threads (fast) until the first frame fails. Frame threads
        then conceal errors differently from run to run, so the file is decoded again from
        the start on slice threads, which give the same frames every time, and the frames
        already passed on are not repeated. Frames are passed on :data:`HOLD_BACK` frames
        late, so none that could depend on the failed one (a B-frame shown before the
        frame it references) ever comes from the frame-threaded pass."""
        if self._image_format == "webp" and _is_animated_webp(self.path):
            yield from _animated_webp_frames(self.path)
            return
        held: deque[av.VideoFrame | float] = deque()
        passed = 0  # items passed on
        last_t: float | None = None  # time of the last item passed on, s
        cc = self._container.streams.video[0].codec_context
        try:
            for item in self._decode_pass(self._container, plan, fragile=True):
                held.append(item)
                if len(held) > (HOLD_BACK if cc.has_b_frames else 1):
                    out = held.popleft()
                    last_t = _item_time(out)
                    passed += 1
                    yield out
            yield from held
            return
        except _FrameFailed:
            pass
        self.facts.notes.append("damaged: decoded again on slice threads, which conceal "
                                "errors the same way on every run")
        self._container.close()
        self._container = av.open(self.path, metadata_errors="ignore")
        self._container.streams.video[0].thread_type = "SLICE"
        self.frames_left_out = 0 if plan is None else self.frames_left_out
        n = 0
        for item in self._decode_pass(self._container, None, fragile=False):
            n += 1
            t = _item_time(item)
            if (t is not None and last_t is not None and t <= last_t + _GRID_EPS) or (
                    (t is None or last_t is None) and n <= passed):
                continue  # passed on already by the first pass
            yield item

    def _decode_pass(self, container, plan: SkipPlan | None, fragile: bool
                     ) -> Iterator[av.VideoFrame | float]:
        """One decoding pass over ``container`` (see :meth:`_decoded_frames`); ``fragile``:
        raise :class:`_FrameFailed` at the first frame that fails instead of counting it."""
        stream = container.streams.video[0]
        cc = stream.codec_context
        tb = stream.time_base
        packets = container.demux(stream)
        ahead: deque[av.Packet] = deque()
        left_out: list[float] = []  # times of packets sent as skippable, not yet output
        skipping = False
        failed = 0
        demux_ok = True
        self.facts.frames_failed = 0
        self._packet_span = (None, None, 0)
        while True:
            while demux_ok and len(ahead) < (LOOKAHEAD if plan is not None else 1):
                try:
                    packet = next(packets, None)
                except av.error.FFmpegError as e:
                    # A demuxer error mid-file: keep what decoded, report it below.
                    note = f"demuxing stopped early: {_ffmpeg_reason(e)}"
                    if note not in self.facts.notes:
                        self.facts.notes.append(note)
                    packet = None
                if packet is None:
                    demux_ok = False
                    break
                ahead.append(packet)
                if packet.size:
                    self._packet_seen(_seconds(packet.pts, tb), packet.duration, tb)
                    if plan is not None:
                        plan.add(_seconds(packet.pts, tb))
            if not ahead:
                break
            packet = ahead.popleft()
            ts = _seconds(packet.pts, tb)
            skip = plan is not None and packet.size > 0 and plan.unneeded(ts)
            if skip != skipping:
                cc.skip_frame = "NONREF" if skip else "DEFAULT"
                skipping = skip
            if skip:
                bisect.insort(left_out, ts)
            try:
                frames = packet.decode()
            except av.error.FFmpegError:
                frames = None
            for fr in frames if frames is not None else [None]:
                if fr is None or fr.is_corrupt:
                    if fragile:
                        raise _FrameFailed
                    failed += 1
                    self.facts.frames_failed = failed
                    continue
                ft = _seconds(fr.pts, fr.time_base)
                if left_out and ft is not None:
                    # output is in presentation order: what was left out before it is gone
                    while left_out and left_out[0] < ft - _GRID_EPS:
                        self.frames_left_out += 1
                        yield left_out.pop(0)
                    if left_out and abs(left_out[0] - ft) <= _GRID_EPS:
                        left_out.pop(0)  # a reference frame: decoded all the same
                if plan is not None and plan.t0 is None:
                    plan.t0 = ft
                yield fr
        self.frames_left_out += len(left_out)
        yield from left_out

    def _packet_seen(self, ts: float | None, duration: int | None, tb) -> None:
        """Keep the span of the packets' timestamps (s): how far the file's data reaches,
        whether or not its frames decode."""
        if ts is None:
            return
        end = ts + (float(duration * tb) if duration and tb else 0.0)
        lo, hi, n = self._packet_span
        self._packet_span = (ts if lo is None else min(lo, ts),
                             end if hi is None else max(hi, end), n + 1)

    def _sample_aspect_ratio(self) -> float:
        """Width of a pixel over its height as the stream or its codec states it (1.0 when
        unknown or absurd): decoded frames do not carry it in PyAV."""
        if self._container is None or not self._container.streams.video:
            return 1.0
        stream = self._container.streams.video[0]
        for sar in (stream.sample_aspect_ratio, stream.codec_context.sample_aspect_ratio):
            if sar and 0.1 <= float(sar) <= 10:
                return float(sar)
        return 1.0

    def _timed_frames(self, plan: SkipPlan | None = None
                      ) -> Iterator[tuple[float, av.VideoFrame | None]]:
        """(time in s from the first frame, frame) for every source frame; the frame is None
        where ``plan`` left it undecoded. A missing timestamp follows the previous one at
        the nominal rate; a frame whose time does not increase is skipped."""
        if self._container is None:
            self.open()
        nominal = self.facts.nominal_fps or self.options.fps
        t0: float | None = None
        last: float | None = None
        offset = 0.0  # added to timestamps after a restart, s
        resets: list[float] = []
        for item in self._decoded_frames(plan):
            fr = None if isinstance(item, float) else item
            ts = item if fr is None else fr.time
            if ts is None:
                ts = (last - offset + 1.0 / nominal) if last is not None else 0.0
            if t0 is None:
                t0 = ts
            ts += offset
            if last is not None and ts < last - TIMESTAMP_RESTART_S:
                # the timestamps start again (concatenated streams, a TS discontinuity):
                # the frames go on after the previous one, one nominal frame later
                offset += last + 1.0 / nominal - ts
                ts = last + 1.0 / nominal
                resets.append(ts - t0)
                self._note_restarts(resets)
            if last is not None and ts <= last + 1e-9:
                continue
            last = ts
            yield ts - t0, fr

    def _note_restarts(self, resets: list[float]) -> None:
        notes = [n for n in self.facts.notes if not n.startswith("timestamps restart")]
        at = ", ".join(f"{t:.2f} s" for t in resets[:5]) + (", ..." if len(resets) > 5 else "")
        notes.append(f"timestamps restart {len(resets)} time(s) mid-file (at {at}): the "
                     f"frames after each restart are placed after the ones before it")
        self.facts.notes[:] = notes

    def native_frames(self) -> Iterator[tuple[float, av.VideoFrame]]:
        """Every decodable source frame at its native size, with its time in seconds from
        the first frame: a missing timestamp follows the previous one at the nominal rate,
        and a frame whose time does not increase (repeated or out of order) is skipped.
        Both the analysis pass and anything that re-encodes a source (steering) read
        frames through here, so they agree on which frame is which."""
        yield from self._timed_frames()

    def _skip_plan(self, sampler: TimestampSampler) -> SkipPlan | None:
        """A plan to leave unneeded frames undecoded, when the options allow it and the
        source is fast enough for it to pay."""
        native = self.facts.nominal_fps or 0.0
        if (not self.options.skip_unneeded or self._image_format
                or native < SKIP_MIN_RATIO * self.options.fps):
            return None
        return SkipPlan(sampler)

    def __iter__(self) -> Iterator[Frame]:
        """The analysis frames, in order. With ``options.background`` they are prepared in
        a background thread (decoding, comparing every source frame, scaling) while the
        caller analyzes the previous ones; that thread takes the same steps in the same
        order as a single-threaded pass, so the frames are the same."""
        if self._container is None:
            self.open()
        hint = self.facts.declared_duration_s or 0.0
        frames = self._frames() if not self.options.background else self._prefetched()
        for frame in frames:
            yield frame
            if self.on_progress is not None:
                self.on_progress(frame.t, max(hint, frame.t))

    def _prefetched(self) -> Iterator[Frame]:
        """:meth:`_frames` run in a background thread, at most :data:`PREFETCH` ahead."""
        q: queue.Queue = queue.Queue(maxsize=PREFETCH)
        stop = threading.Event()

        def put(item) -> bool:
            while not stop.is_set():
                try:
                    q.put(item, timeout=0.05)
                    return True
                except queue.Full:
                    continue
            return False

        def work() -> None:
            try:
                for frame in self._frames():
                    if not put(frame):
                        return
                put(_END)
            except BaseException as e:  # handed to the caller's thread
                put(e)

        thread = threading.Thread(target=work, name="hypnoscope-decode", daemon=True)
        self._worker = (thread, stop)
        thread.start()
        try:
            while True:
                item = q.get()
                if item is _END:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            self._stop_worker()

    def _stop_worker(self) -> None:
        """Stop the background thread, if any, and wait for it (before closing the file:
        it may be decoding)."""
        if self._worker is not None:
            thread, stop = self._worker
            stop.set()
            if thread is not threading.current_thread():
                thread.join()
            self._worker = None

    def _frames(self) -> Iterator[Frame]:
        """The analysis frames, prepared in the calling thread."""
        f, opts = self.facts, self.options
        sampler = TimestampSampler(opts.fps, f.nominal_fps or opts.fps)
        plan = self._skip_plan(sampler)
        reformatter = av.video.reformatter.VideoReformatter()
        size: tuple[int, int] | None = None
        rotation = 0
        native_height = 0
        t0: float | None = None
        last_pts: float | None = None
        last_dur = 0.0
        n_dec = 0
        n_out = 0
        fingerprint = PictureFingerprint()
        picture_ref: np.ndarray | None = None  # fingerprint of the current picture's 1st copy
        content_t = 0.0
        since_frames = 0
        since_repeats = 0
        bracket_t: list[float] = []  # source frames since the last analysis frame (cuts)
        bracket_fp: list[np.ndarray | None] = []
        left_out = 0  # source frames left undecoded since the last decoded one
        for t, fr in self._timed_frames(plan):
            if last_pts is not None:
                last_dur = t - last_pts
            last_pts = t
            n_dec += 1
            f.frames_decoded = n_dec
            since_frames += 1
            if fr is None:  # unneeded, never decoded: settled by the next decoded frame
                left_out += 1
                bracket_t.append(t)
                bracket_fp.append(None)
                continue
            if t0 is None:
                t0 = 0.0
                rotation = int(round((fr.rotation or 0) / 90.0)) * 90 % 360
                f.rotation = rotation
                sar = self._sample_aspect_ratio()
                size = analysis_size(fr.width, fr.height, rotation, opts.height, sar)
                if sar != 1.0:
                    f.notes.append(f"anamorphic: pixels {sar:.4g} times as wide as high, "
                                   f"analyzed at the display aspect")
                f.width, f.height = fr.width, fr.height
            native_height = fr.width if rotation % 180 else fr.height
            fp = fingerprint(fr)
            bracket_t.append(t)
            bracket_fp.append(fp)
            if picture_ref is not None and repeats_picture(fp, picture_ref):
                since_repeats += 1 + left_out  # between two copies: copies too
                if plan is not None:
                    plan.enabled = False
            else:
                picture_ref, content_t = fp, t
            left_out = 0
            if not sampler.keep(t):
                continue
            small = reformatter.reformat(fr, width=size[0], height=size[1], format="rgb24",
                                         interpolation="AREA")
            rgb = small.to_ndarray()
            crop = None
            if opts.native_crop_every and n_out % opts.native_crop_every == 0:
                crop = _luma_crop(fr, NATIVE_CROP_SIZE)
            if rotation:
                k = rotation // 90
                rgb = np.ascontiguousarray(np.rot90(rgb, k))
                if crop is not None:
                    crop = np.ascontiguousarray(np.rot90(crop, k))
            gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
            f.analysis_height, f.analysis_width = gray.shape
            yield Frame(index=n_out, t=t, gray=gray, rgb=rgb, native_crop=crop,
                        content_t=content_t, source_frames=since_frames,
                        source_repeats=since_repeats, native_height=native_height,
                        source_index=n_dec - 1, source_times=np.asarray(bracket_t),
                        source_prints=bracket_fp)
            since_frames = since_repeats = 0
            bracket_t, bracket_fp = [], []
            n_out += 1
            f.frames_analyzed = n_out
        self._finish(t0, last_pts, last_dur, n_dec, n_out)

    def _finish(self, t0, last_pts, last_dur, n_dec, n_out) -> None:
        f, opts = self.facts, self.options
        if n_dec == 0:
            if f.frames_failed:
                raise VideoError(self.path, f"no frame could be decoded "
                                            f"({f.frames_failed} failed: corrupt data)")
            raise VideoError(self.path, "no frame could be decoded (truncated or corrupt)")
        failed = f.frames_failed
        if n_dec == 1 and failed:
            raise VideoError(self.path, f"only one frame could be decoded ({failed} failed: "
                                        f"corrupt data)")
        if n_dec == 1 and self._image_format:
            raise VideoError(self.path, f"a still image ({self._image_format}), not a video")
        if n_dec == 1:
            raise VideoError(self.path, "only one frame: a still, at least 2 frames are "
                                        "needed for temporal analysis")
        span = last_pts - t0
        mean_dur = span / (n_dec - 1) if n_dec > 1 else 0.0
        frame_dur = last_dur if last_dur > 0 else mean_dur
        f.duration_s = span + frame_dur
        f.measured_fps = (n_dec - 1) / span if span > 0 else None
        p_lo, p_hi, n_packets = self._packet_span
        if failed and p_lo is not None and p_hi is not None and p_hi > p_lo and n_packets > 1:
            # frames failed, the data did not: the packets' timestamps say how long the
            # video is and at what rate (the frames around a failed one are further apart)
            f.duration_s = p_hi - p_lo
            f.measured_fps = n_packets / (p_hi - p_lo)
            frame_dur = 1.0 / f.measured_fps
        declared = f.declared_duration_s
        if declared and declared > 0 and f.duration_s < 0.8 * declared - 2 * frame_dur:
            raise VideoError(self.path, f"truncated: frames end at {f.duration_s:.2f} s of "
                                        f"{declared:.2f} s declared ({n_dec} frames decoded)")
        native = f.measured_fps or f.nominal_fps or opts.fps
        f.analysis_fps = min(opts.fps, native)
        if native < opts.fps * 0.97:
            f.notes.append(f"native rate {native:.2f} fps is below the canonical "
                           f"{opts.fps:g} fps: analyzed at its own rate, frames never "
                           f"up-sampled")
        if f.frames_failed:
            f.notes.append(f"{f.frames_failed} frame(s) failed to decode; analyzed the rest")
        if n_out < 2 and f.frames_failed:
            raise VideoError(self.path, f"fewer than 2 analysis frames could be decoded "
                                        f"({f.frames_failed} failed: corrupt data)")
        if n_out < 2:
            raise VideoError(self.path, "fewer than 2 analysis frames")


#: At most this many metadata tags are kept, each value cut to this many characters.
MAX_TAGS, MAX_TAG_CHARS = 16, 300


def metadata_tags(metadata: dict | None) -> dict[str, str]:
    """The container's metadata tags as short strings (untrusted: shown escaped)."""
    out: dict[str, str] = {}
    for k, v in (metadata or {}).items():
        if len(out) >= MAX_TAGS:
            break
        out[str(k)[:64]] = str(v)[:MAX_TAG_CHARS]
    return out


def _is_animated_webp(path: str) -> bool:
    """True when a RIFF/WEBP file carries an animation (an ``ANIM`` chunk)."""
    with open(path, "rb") as fh:
        head = fh.read(64)
    return head[:4] == b"RIFF" and head[8:12] == b"WEBP" and b"ANIM" in head


def _animated_webp_frames(path: str) -> Iterator[av.VideoFrame]:
    """Frames of an animated WebP decoded by Pillow, as PyAV frames with timestamps (ms)."""
    from fractions import Fraction

    from PIL import Image, ImageSequence

    with Image.open(path) as im:
        t_ms = 0
        for page in ImageSequence.Iterator(im):
            rgb = np.asarray(page.convert("RGB"))
            fr = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            fr.pts = t_ms
            fr.time_base = Fraction(1, 1000)
            yield fr
            t_ms += int(page.info.get("duration", 100) or 100)


def check_regular_file(path: str) -> None:
    """Raise :class:`VideoError` unless ``path`` is a non-empty regular file: checked with
    one ``stat`` before anything opens it, so that a FIFO or a device never blocks a read."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise VideoError(path, "file not found") from None
    except OSError as e:
        raise VideoError(path, f"cannot read ({e.strerror or e})") from None
    mode = st.st_mode
    if stat.S_ISDIR(mode):
        raise VideoError(path, "is a directory, not a video file")
    if not stat.S_ISREG(mode):
        kind = ("a FIFO (named pipe)" if stat.S_ISFIFO(mode) else
                "a socket" if stat.S_ISSOCK(mode) else
                "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "not a file")
        raise VideoError(path, f"not a regular file: {kind}")
    if st.st_size == 0:
        raise VideoError(path, "empty file (0 bytes)")


def _check_picture_size(path: str, width: int, height: int) -> None:
    if width * height > MAX_PICTURE_PIXELS:
        raise VideoError(path, f"picture of {width}x{height} pixels declared, larger than "
                               f"the {MAX_PICTURE_PIXELS / 1e6:.0f} megapixels hypnoscope "
                               f"decodes (8192x8192); refused before decoding")


def _webp_size(path: str) -> tuple[int, int] | None:
    """(width, height) in px that a WebP file's header declares: the canvas of an extended
    (VP8X) file, else the frame of a simple lossy (VP8) or lossless (VP8L) one."""
    with open(path, "rb") as fh:
        head = fh.read(30)
    if len(head) < 30 or head[:4] != b"RIFF" or head[8:12] != b"WEBP":
        return None
    chunk, data = head[12:16], head[20:30]
    if chunk == b"VP8X":
        return (int.from_bytes(data[4:7], "little") + 1,
                int.from_bytes(data[7:10], "little") + 1)
    if chunk == b"VP8 " and data[3:6] == b"\x9d\x01\x2a":
        return (int.from_bytes(data[6:8], "little") & 0x3FFF,
                int.from_bytes(data[8:10], "little") & 0x3FFF)
    if chunk == b"VP8L" and data[0] == 0x2F:
        bits = int.from_bytes(data[1:5], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def _seconds(pts: int | None, time_base) -> float | None:
    """A timestamp in seconds (None when absent), computed as PyAV's ``frame.time``."""
    return None if pts is None or time_base is None else float(pts * time_base)


def _ffmpeg_reason(e: Exception) -> str:
    msg = getattr(e, "strerror", None) or str(e)
    return " ".join(str(msg).split())


def iter_frames(path: str | os.PathLike, options: DecodeOptions | None = None) -> Iterator[Frame]:
    """Convenience generator over the analysis frames of ``path``."""
    with VideoReader(path, options) as reader:
        yield from reader
