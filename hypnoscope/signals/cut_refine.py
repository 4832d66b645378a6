"""Hard cuts placed on the exact source frame, from the source frames between two analysis
frames.

The analysis runs at a canonical rate (8 fps by default), so a cut found between analysis
frames ``i - 1`` and ``i`` lies somewhere in the few source frames decoded in between. The
decoder keeps a tiny fingerprint of every source frame it decodes (a fixed grid of native
luma pixels, see :class:`hypnoscope.decode.PictureFingerprint`); the step from one source
frame to the next is the mean absolute difference of their fingerprints. A cut is one large
step; motion, a dissolve or a fade spread their change over every step. So the cut goes on
the source frame after the largest step of its bracket, and a candidate whose largest step
does not stand out against the steps around it (at the source's rate) is no cut.

The steps are kept as one float per decoded source frame, so memory stays that of a
per-frame series. A decoder that skips source frames leaves gaps: a bracket with a gap is
marked, and its cut stays on the best decoded frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Fingerprint steps below this many gray levels repeat the picture (see
#: ``hypnoscope.decode.SOURCE_REPEAT_LEVELS``): they say nothing about motion.
REPEAT_LEVELS = 0.5


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
    to compare at the source's rate), ``gap`` whether the decoder skipped source frames in
    the bracket."""

    frame: int | None
    t: float
    step: float
    contrast: float
    gap: bool


class SourceSteps:
    """Records the source-frame steps of every analysis frame's bracket, then answers where
    in a bracket its cut lies and whether that step stands out.

    ``radius`` is how many source steps on each side of a bracket are compared with its
    largest step."""

    def __init__(self, radius: int = 8):
        self.radius = radius
        self._steps: list[float] = []  # one per decoded source frame (0 for the first)
        self._bracket: list[tuple[int, int]] = []  # [start, stop) into _steps per frame
        self._frame: list[int | None] = []  # source index of each analysis frame
        self._times: list[np.ndarray | None] = []
        self._gap: list[bool] = []
        self._last: np.ndarray | None = None
        self._period: float | None = None

    def add(self, source_index: int | None, times: np.ndarray | None,
            prints: list[np.ndarray] | None) -> None:
        """The next analysis frame's bracket: its source index and the times (s) and
        fingerprints of the source frames decoded since the previous analysis frame."""
        start = len(self._steps)
        if not prints or times is None or len(times) != len(prints):
            self._bracket.append((start, start))
            self._frame.append(source_index)
            self._times.append(None)
            self._gap.append(False)
            self._last = None
            return
        for fp in prints:
            self._steps.append(print_step(self._last, fp) if self._last is not None else 0.0)
            self._last = fp
        d = np.diff(times)
        if len(d):
            p = float(np.median(d))
            self._period = p if self._period is None else min(self._period, p)
        gap = bool(self._period and len(d) and d.max() > 1.5 * self._period)
        self._bracket.append((start, len(self._steps)))
        self._frame.append(source_index)
        self._times.append(np.asarray(times, dtype=float))
        self._gap.append(gap)

    def split(self, i: int) -> Split | None:
        """Where the change into analysis frame ``i`` happens at the source's rate (None
        when its bracket is unknown)."""
        a, b = self._bracket[i]
        times = self._times[i]
        if times is None or b <= a or i == 0:
            return None
        steps = np.asarray(self._steps[a:b])
        k = int(np.argmax(steps))
        frame = self._frame[i]
        src = None if frame is None else frame - (b - a - 1 - k)
        if b - a < 2:
            contrast = float("nan")
        else:
            lo, hi = max(1, a - self.radius), min(len(self._steps), b + self.radius)
            around = np.asarray(self._steps[lo:hi])
            around = np.delete(around, a + k - lo)
            around = around[around >= REPEAT_LEVELS]
            base = float(np.median(around)) if len(around) else 0.0
            contrast = float(steps[k]) / base if base > 0 else float("inf")
        return Split(src, float(times[k]), float(steps[k]), contrast, self._gap[i])

    def frame_of(self, i: int) -> int | None:
        """Source frame index of analysis frame ``i`` (None when unknown)."""
        return self._frame[i]
