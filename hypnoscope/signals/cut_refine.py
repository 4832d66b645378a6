"""Hard cuts placed on the exact source frame, from the source frames between two analysis
frames.

The analysis runs at a canonical rate (8 fps by default), so a cut found between analysis
frames ``i - 1`` and ``i`` lies somewhere in the few source frames in between. The decoder
keeps a tiny fingerprint of every source frame it decodes (a fixed grid of native luma
pixels, see :class:`hypnoscope.media.decode.PictureFingerprint`); the step from one decoded
source frame to the next is the mean absolute difference of their fingerprints. A cut is
one large step; motion, a dissolve or a fade spread their change over every step. So the
cut goes on the source frame after the largest step of its bracket, and a candidate whose
largest step does not stand out against the steps around it (at the source's rate) is no
cut.

Fast motion can also put most of its change into one source step (a car passing the lens, a
whip pan): a candidate whose source step stands out is checked once more on small gray
pictures of the source frames around it, decoded again (:func:`compensated_contrast`): the
optical flow explains the change between two frames of one shot, even a fast one, far better
than the change across a cut.

The steps are kept as one float per source frame, so memory stays that of a per-frame
series. When the decoder left source frames undecoded (frames the analysis does not read),
the largest step may span several frames: :meth:`SourceSteps.refine` then decodes that
short span again (:mod:`hypnoscope.media.span`) and places the cut among all its frames.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import cv2
import numpy as np

from hypnoscope.signals.context import pixel_grid

#: Fingerprint steps below this many gray levels repeat the picture (see
#: ``hypnoscope.media.decode.SOURCE_REPEAT_LEVELS``): they say nothing about motion.
REPEAT_LEVELS = 0.5

#: A function returning (time in s, fingerprint) of every source frame with a time in
#: [t_from, t_to] (s), decoded again; empty when that fails.
SpanDecoder = Callable[[float, float], list[tuple[float, np.ndarray]]]
#: Source frames on each side of a candidate's step whose pictures
#: :func:`compensated_contrast` compares it with.
MOTION_RADIUS = 4
#: Pixels left out at each border of the pictures (flow is unreliable there, and a border
#: enters or leaves the picture in a pan).
_MARGIN = 8


def compensated_residual(a: np.ndarray, b: np.ndarray,
                         dis: cv2.DISOpticalFlow | None = None) -> float:
    """Mean absolute difference (gray levels) between picture ``a`` and picture ``b``
    warped onto it by the dense optical flow from ``a`` to ``b`` (OpenCV's DIS, fast
    preset): what motion does not explain."""
    dis = dis or cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_FAST)
    a8, b8 = np.ascontiguousarray(a, np.uint8), np.ascontiguousarray(b, np.uint8)
    flow = dis.calc(a8, b8, None)
    h, w = a8.shape
    gx, gy = pixel_grid(h, w)
    warped = cv2.remap(b8, gx + flow[..., 0], gy + flow[..., 1], cv2.INTER_LINEAR,
                       borderMode=cv2.BORDER_REPLICATE)
    m = _MARGIN if min(h, w) > 4 * _MARGIN else 0
    diff = np.abs(a8.astype(np.float32) - warped.astype(np.float32))
    return float(diff[m:h - m, m:w - m].mean())


def compensated_contrast(pictures: Sequence[np.ndarray], k: int) -> float:
    """How many times the motion-compensated residual from picture ``k - 1`` to ``k``
    exceeds the median residual of the other consecutive pairs of ``pictures`` (source
    frames in order). A cut leaves a residual no flow can explain; motion inside a shot,
    however fast, leaves one like its neighbours'. Pairs that repeat the picture (residual
    under :data:`REPEAT_LEVELS`) are no evidence and are left out; nan when fewer than two
    other pairs remain, inf when they all repeat."""
    if not 0 < k < len(pictures):
        return float("nan")
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_FAST)
    res = [compensated_residual(a, b, dis) for a, b in zip(pictures[:-1], pictures[1:],
                                                          strict=True)]
    step = res[k - 1]
    others = np.asarray(res[:k - 1] + res[k:])
    if len(others) < 2:
        return float("nan")
    moving = others[others >= REPEAT_LEVELS]
    if len(moving) == 0:
        return float("inf")
    base = float(np.median(moving))
    return step / base if base > 0 else float("inf")


def print_step(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference of two source-frame fingerprints, gray levels."""
    if a.shape != b.shape:
        return float("inf")
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


@dataclass(frozen=True)
class Split:
    """The largest source step of one bracket: ``frame`` is the source frame index after
    it (the first frame of the new shot if this bracket holds a cut), ``t`` its time (s),
    ``step`` its size (levels), ``contrast`` how many times it exceeds the median of the
    other steps around it (inf when they are all repeats; nan with a single step: nothing
    to compare at the source's rate). ``gap_from`` is the time (s) of the decoded frame
    before the step when undecoded frames lie between the two (None otherwise): the cut is
    then somewhere in (gap_from, t]."""

    frame: int | None
    t: float
    step: float
    contrast: float
    gap_from: float | None = None


class SourceSteps:
    """Records the source-frame steps of every analysis frame's bracket, then answers where
    in a bracket its cut lies and whether that step stands out.

    ``radius`` is how many source steps on each side of a bracket are compared with its
    largest step."""

    def __init__(self, radius: int = 8):
        self.radius = radius
        self._steps: list[float] = []  # per source frame: step from the last decoded (nan)
        self._times: list[float] = []  # per source frame, s
        self._bracket: list[tuple[int, int]] = []  # [start, stop) into the lists per frame
        self._frame: list[int | None] = []  # source index of each analysis frame
        self._last: np.ndarray | None = None  # fingerprint of the last decoded frame
        self._last_at = -1  # its position in the lists

    def add(self, source_index: int | None, times: np.ndarray | None,
            prints: list[np.ndarray | None] | None) -> None:
        """The next analysis frame's bracket: its source index and the times (s) and
        fingerprints (None where undecoded) of the source frames since the previous
        analysis frame, this one last."""
        start = len(self._steps)
        self._frame.append(source_index)
        if not prints or times is None or len(times) != len(prints):
            self._bracket.append((start, start))
            self._last = None
            return
        for t, fp in zip(times, prints, strict=True):
            if fp is None:
                step = float("nan")
            else:
                step = print_step(self._last, fp) if self._last is not None else 0.0
                if self._last is None and start > 0:
                    step = float("nan")  # no known predecessor
                self._last, self._last_at = fp, len(self._steps)
            self._steps.append(step)
            self._times.append(float(t))
        self._bracket.append((start, len(self._steps)))

    def split(self, i: int) -> Split | None:
        """Where the change into analysis frame ``i`` happens at the source's rate (None
        when its bracket is unknown)."""
        if i == 0 or i >= len(self._bracket):
            return None
        a, b = self._bracket[i]
        steps = np.asarray(self._steps[a:b])
        if b <= a or not np.isfinite(steps).any():
            return None
        k = int(np.nanargmax(steps))
        frame = self._frame[i]
        src = None if frame is None else frame - (b - a - 1 - k)
        # the decoded frame before the step, and whether undecoded frames lie between
        j = a + k - 1
        while j >= 0 and not np.isfinite(self._steps[j]) and j > a - 64:
            j -= 1
        gap_from = self._times[j] if j >= 0 and j < a + k - 1 else None
        if b - a < 2:
            contrast = float("nan")  # one source frame per analysis frame: nothing finer
        else:
            lo, hi = max(1, a - self.radius), min(len(self._steps), b + self.radius)
            around = np.delete(np.asarray(self._steps[lo:hi]), a + k - lo)
            around = around[np.isfinite(around) & (around >= REPEAT_LEVELS)]
            base = float(np.median(around)) if len(around) else 0.0
            contrast = float(steps[k]) / base if base > 0 else float("inf")
        return Split(src, float(self._times[a + k]), float(steps[k]), contrast, gap_from)

    def around(self, t: float, radius: int = MOTION_RADIUS) -> tuple[float, float] | None:
        """Times (s) of the source frames ``radius`` before and ``radius - 1`` after the
        source frame at time ``t`` (the first frame after a step), clipped to the frames
        seen; None when ``t`` is not a source frame time of the pass."""
        times = np.asarray(self._times)
        if len(times) == 0:
            return None
        j = int(np.argmin(np.abs(times - t)))
        if abs(times[j] - t) > 1e-3:
            return None
        return float(times[max(0, j - radius)]), float(times[min(len(times) - 1,
                                                                 j + radius - 1)])

    def frame_of(self, i: int) -> int | None:
        """Source frame index of analysis frame ``i`` (None when unknown)."""
        return self._frame[i]

    def refine(self, sp: Split, decode: SpanDecoder) -> Split:
        """``sp`` placed on the exact frame when its step spanned undecoded frames: the
        span is decoded again and the cut goes after its largest step (``sp`` unchanged
        when decoding fails or finds nothing)."""
        if sp.gap_from is None or sp.frame is None:
            return sp
        frames = decode(sp.gap_from, sp.t)
        if len(frames) < 2:
            return sp
        steps = [print_step(a, b) for (_, a), (_, b) in zip(frames[:-1], frames[1:],
                                                             strict=True)]
        k = int(np.argmax(steps)) + 1
        t_end = frames[-1][0]
        if abs(t_end - sp.t) > 1e-3:
            return sp  # the span did not end where the pass said: keep the pass's frame
        return replace(sp, frame=sp.frame - (len(frames) - 1 - k), t=frames[k][0],
                       gap_from=None)
