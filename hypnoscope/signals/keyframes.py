"""Keyframes: small JPEG thumbnails kept during the single decode pass, for reports.

Nothing is decoded twice. While frames stream by, the extractor keeps, in bounded memory:

- a *regular* thumbnail about every ``every_s`` seconds (the first frame included); when
  more than ``max_regular`` are held, every other one is dropped and the spacing doubles,
  so a two-hour film holds no more than a two-second clip does;
- the ``max_changes`` frames that changed most from the previous distinct frame (colour
  histogram and gray difference), which is where the shot cuts are.

Once the cuts are known (:meth:`KeyframeExtractor.artifacts` receives every extractor's
events) it chooses the keyframes: the first frame, the first frame of each shot, and
regular ones in between, at most ``max_keyframes`` in all.
"""

from __future__ import annotations

import base64
import heapq
import math
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from hypnoscope.signals.context import FrameContext

#: Event names whose times start a new shot (a keyframe is shown at each).
SHOT_EVENTS = ("cuts",)


@dataclass(frozen=True)
class Keyframe:
    """A thumbnail at time ``t`` (s): ``jpeg`` bytes, ``kind`` ``start``, ``cut`` or
    ``regular`` (or ``shot``: the first regular thumbnail after a cut whose own frame was
    not kept)."""

    t: float
    jpeg: bytes
    kind: str = "regular"

    def to_dict(self) -> dict[str, Any]:
        """JSON form: time, kind and the JPEG as base64."""
        return {"t": round(self.t, 4), "kind": self.kind,
                "jpeg_base64": base64.b64encode(self.jpeg).decode("ascii")}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Keyframe:
        return cls(float(d["t"]), base64.b64decode(d["jpeg_base64"]), str(d.get("kind", "")))


def encode_thumbnail(rgb: np.ndarray, max_width: int = 160, max_height: int = 120,
                     quality: int = 80) -> bytes:
    """A small JPEG of an RGB frame, at most ``max_width`` x ``max_height`` px (never
    enlarged)."""
    h, w = rgb.shape[:2]
    scale = min(1.0, max_width / w, max_height / h)
    if scale < 1.0:
        size = (max(1, int(round(w * scale))), max(1, int(round(h * scale))))
        rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR),
                           [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:  # pragma: no cover - OpenCV always encodes a valid uint8 image
        raise RuntimeError("JPEG encoding failed")
    return buf.tobytes()


def change_from_previous(ctx: FrameContext) -> float:
    """How much this frame differs from the previous distinct one, 0..1: the mean of half
    the HSV-histogram L1 distance and the mean gray difference (levels / 40, capped)."""
    if ctx.prev is None or ctx.is_duplicate:
        return 0.0
    d_hist = 0.5 * float(np.abs(ctx.hsv_hist - ctx.prev.hsv_hist).sum())
    return 0.5 * d_hist + 0.5 * min(1.0, ctx.gray_diff / 40.0)


def choose_keyframes(regular: list[Keyframe], changes: list[Keyframe], shot_starts: list[float],
                     duration: float, max_keyframes: int = 16, every_s: float = 1.0,
                     tolerance_s: float = 0.07) -> list[Keyframe]:
    """Pick the keyframes to show, in time order.

    The first regular thumbnail is the start; each time in ``shot_starts`` (s) takes the
    first kept thumbnail at or after it, when within ``tolerance_s`` (a cut is placed on its
    exact source frame and seen on the next analysis frame, among the most changed);
    the rest of the ``max_keyframes`` budget goes to regular thumbnails about ``every_s`` s
    apart (more apart for long videos), none closer than half that to one already chosen.
    """
    if not regular:
        return []
    pool = sorted(regular + changes, key=lambda k: k.t)
    chosen: list[Keyframe] = [Keyframe(regular[0].t, regular[0].jpeg, "start")]
    budget = max(1, max_keyframes)
    cuts = sorted(c for c in shot_starts if c > chosen[0].t + tolerance_s)
    if len(cuts) > (budget * 3) // 4:  # too many cuts: keep an even selection of them
        idx = np.linspace(0, len(cuts) - 1, (budget * 3) // 4).round().astype(int)
        cuts = [cuts[i] for i in sorted(set(idx))]
    times = np.array([k.t for k in pool])
    for j, c in enumerate(cuts):
        after = np.flatnonzero(times >= c - 1e-6)  # a cut shows from the frame after it
        i = int(after[0]) if len(after) else len(times) - 1
        if len(after) and times[i] - c <= tolerance_s:
            chosen.append(Keyframe(pool[i].t, pool[i].jpeg, "cut"))
            continue
        # the cut frame itself was not kept: show the shot by its first regular thumbnail
        end = cuts[j + 1] if j + 1 < len(cuts) else duration
        later = [k for k in regular if c < k.t < end]
        if later:
            chosen.append(Keyframe(later[0].t, later[0].jpeg, "shot"))
    free = budget - len(chosen)
    if free > 0 and len(regular) > 1:
        step = max(every_s, duration / (free + 1)) if duration > 0 else every_s
        reg_t = np.array([k.t for k in regular])
        target = chosen[0].t + step
        while target < duration and len(chosen) < budget:
            i = int(np.argmin(np.abs(reg_t - target)))
            k = regular[i]
            if all(abs(k.t - c.t) >= 0.5 * step for c in chosen):
                chosen.append(Keyframe(k.t, k.jpeg, "regular"))
            target += step
    return sorted(chosen, key=lambda k: k.t)


class KeyframeExtractor:
    """Keeps small thumbnails in bounded memory; emits no series (see the module doc)."""

    name = "keyframes"

    def __init__(self, every_s: float = 0.5, max_regular: int = 64, max_changes: int = 24,
                 max_keyframes: int = 16, show_every_s: float = 1.0, width: int = 160,
                 min_change: float = 0.05):
        self.every_s = every_s
        self.max_regular = max_regular
        self.max_changes = max_changes
        self.max_keyframes = max_keyframes
        self.show_every_s = show_every_s
        self.width = width
        self.min_change = min_change
        self._regular: list[Keyframe] = []
        self._changes: list[tuple[float, int, Keyframe]] = []  # min-heap on change
        self._next_regular = 0.0
        self._n = 0
        self._last_t = 0.0
        self._period = math.nan

    def _thumb(self, ctx: FrameContext, kind: str) -> Keyframe:
        return Keyframe(float(ctx.t), encode_thumbnail(ctx.rgb, self.width, self.width * 3 // 4),
                        kind)

    def update(self, ctx: FrameContext) -> None:
        self._n += 1
        if ctx.prev is not None and ctx.t > self._last_t:
            gap = ctx.t - self._last_t
            self._period = gap if not self._period < gap else self._period
        self._last_t = float(ctx.t)
        if ctx.t + 1e-6 >= self._next_regular:
            self._regular.append(self._thumb(ctx, "regular"))
            self._next_regular = ctx.t + self.every_s
            if len(self._regular) > self.max_regular:
                self._regular = self._regular[::2]
                self.every_s *= 2.0
        change = change_from_previous(ctx)
        if change < self.min_change:
            return
        if len(self._changes) < self.max_changes:
            heapq.heappush(self._changes, (change, self._n, self._thumb(ctx, "change")))
        elif change > self._changes[0][0]:
            heapq.heapreplace(self._changes, (change, self._n, self._thumb(ctx, "change")))

    def series(self) -> dict[str, np.ndarray]:
        return {}

    def units(self) -> dict[str, str]:
        return {}

    def events(self) -> dict[str, list[float]]:
        return {}

    def artifacts(self, events: dict[str, list[float]]) -> dict[str, Any]:
        """``{"keyframes": [Keyframe, ...]}`` chosen with the shot starts in ``events``."""
        shot_starts = sorted(t for name in SHOT_EVENTS for t in events.get(name, []))
        period = self._period if math.isfinite(self._period) else 0.125
        duration = self._last_t + period
        return {"keyframes": choose_keyframes(
            self._regular, [k for _, _, k in self._changes], shot_starts, duration,
            self.max_keyframes, self.show_every_s, tolerance_s=1.05 * period)}
