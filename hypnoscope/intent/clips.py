"""The clips of an edit, normalised to one picture: a common output size and rate, and each
clip's frames in memory at the analysis size of that picture (letterboxed when its shape
differs).

Sizes, rates, rotations and pixel formats of the inputs may all differ: every clip is
decoded upright (rotation applied) and scaled to fit the common frame, centred on black, so
a cut between a portrait phone clip and a landscape one is an ordinary cut.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field

import cv2
import numpy as np

from hypnoscope.defaults import DEFAULT_HEIGHT
from hypnoscope.intent.measure import SourceFrames, load_source
from hypnoscope.media.decode import SourceFacts, analysis_size

#: Output rate when no clip states a usable one, frames/s.
FALLBACK_FPS = 24.0
#: Highest output rate chosen from the inputs, frames/s.
MAX_OUTPUT_FPS = 60.0


@dataclass(frozen=True)
class Canvas:
    """The common picture: output ``width`` x ``height`` px at ``fps`` frames/s, and the
    analysis size the written file will be measured at."""

    width: int
    height: int
    fps: float
    analysis_width: int
    analysis_height: int


@dataclass
class Clip:
    """One usable input: its path, facts, and its frames letterboxed to the canvas's
    analysis size (``src``)."""

    path: str
    facts: SourceFacts
    src: SourceFrames
    notes: list[str] = field(default_factory=list)

    @property
    def duration(self) -> float:
        return float(self.src.duration_s)

    @property
    def name(self) -> str:
        return os.path.basename(self.path)


def upright_size(facts: SourceFacts) -> tuple[int, int]:
    """(width, height) of the picture as displayed (rotation applied), px."""
    w, h = facts.width, facts.height
    return (h, w) if facts.rotation % 180 else (w, h)


def choose_canvas(facts: list[SourceFacts], height: int | None = None,
                  fps: float | None = None,
                  analysis_height: int = DEFAULT_HEIGHT) -> Canvas:
    """The most common upright size and rate among ``facts`` (ties: the larger), or the
    given ``height`` (width keeping the most common shape, even) and ``fps``."""
    sizes = Counter(upright_size(f) for f in facts)
    w, h = max(sizes, key=lambda s: (sizes[s], s[0] * s[1]))
    if height:
        w = max(2, int(round(height * w / h / 2.0)) * 2)
        h = height
    w, h = max(2, w - w % 2), max(2, h - h % 2)
    if not fps:
        rates = Counter(round(f.nominal_fps, 3) for f in facts
                        if f.nominal_fps and 1.0 <= f.nominal_fps <= MAX_OUTPUT_FPS)
        fps = max(rates, key=lambda r: (rates[r], r)) if rates else FALLBACK_FPS
    aw, ah = analysis_size(w, h, 0, analysis_height)
    return Canvas(w, h, float(fps), aw, ah)


def fit_size(w: int, h: int, box_w: int, box_h: int) -> tuple[int, int]:
    """Size of a ``w`` x ``h`` picture scaled to fit inside ``box_w`` x ``box_h`` keeping its
    shape (even sides, at least 2)."""
    s = min(box_w / w, box_h / h)
    fw = min(box_w, max(2, int(round(w * s / 2.0)) * 2))
    fh = min(box_h, max(2, int(round(h * s / 2.0)) * 2))
    return fw, fh


def letterbox(img: np.ndarray, box_w: int, box_h: int) -> np.ndarray:
    """``img`` (H, W[, 3]) scaled to fit ``box_w`` x ``box_h`` and centred on black."""
    h, w = img.shape[:2]
    if (w, h) == (box_w, box_h):
        return img
    fw, fh = fit_size(w, h, box_w, box_h)
    small = cv2.resize(img, (fw, fh), interpolation=cv2.INTER_AREA)
    out = np.zeros((box_h, box_w) + img.shape[2:], dtype=img.dtype)
    y0, x0 = (box_h - fh) // 2, (box_w - fw) // 2
    out[y0:y0 + fh, x0:x0 + fw] = small
    return out


def load_clip(path: str | os.PathLike, height: int = DEFAULT_HEIGHT) -> Clip:
    """Decode ``path`` once into memory at the analysis ``height``. Raises
    :class:`hypnoscope.VideoError` for an unusable file."""
    src = load_source(path, height=height)
    return Clip(os.fspath(path), src.facts, src, list(src.notes))


def fit_to_canvas(clip: Clip, canvas: Canvas) -> Clip:
    """``clip`` with its in-memory frames letterboxed to the canvas's analysis size."""
    src = clip.src
    box = (canvas.analysis_width, canvas.analysis_height)
    if src.gray and src.gray[0].shape[::-1] != box:
        src.gray = [letterbox(g, *box) for g in src.gray]
        src.rgb = [letterbox(c, *box) for c in src.rgb]
    return clip
