"""The frame context: every shared per-frame intermediate, computed at most once.

The pipeline builds one :class:`FrameContext` per analysis frame and hands it to every
extractor. Costly intermediates (optical flow above all) are lazy cached properties, so an
extractor that needs the flow gets the one another extractor already paid for, and none is
computed if no extractor asks.
"""

from __future__ import annotations

import threading
from functools import cached_property, lru_cache

import cv2
import numpy as np

from hypnoscope.media.decode import Frame

#: A frame whose mean absolute gray difference from the previous distinct frame is below
#: this many gray levels (0..255) is a duplicate (GIF holds, frame-rate conversion).
DUPLICATE_LEVELS = 0.5
#: (width, height) of :attr:`FrameContext.gray_small`, the small gray raster for global
#: frame-to-frame comparisons (transitions, visual activity, feature trajectories).
SMALL_SIZE = (64, 36)
#: (width, height) in cells of :attr:`FrameContext.gray_thumb`.
THUMB_SIZE = (16, 9)
#: (width, height) in cells of :attr:`FrameContext.flow_cells` (the focus grid).
CELL_GRID = (8, 6)


@lru_cache(maxsize=8)
def pixel_grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """x and y pixel coordinates of an h x w frame, float32 (read-only, cached)."""
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    gx.setflags(write=False)
    gy.setflags(write=False)
    return gx, gy


def magnitude(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-pixel length of the vectors (x, y) (float32 arrays of one shape), the same on
    every run: ``cv2.magnitude`` rounds differently depending on where its arrays happen
    to sit in memory, which made results differ in the last bits from run to run."""
    return np.sqrt(x * x + y * y)


class FlowEngine:
    """Dense optical flow with OpenCV's DIS at the analysis size (one instance per pass).

    Safe to call from several threads: each thread gets its own DIS object (a DIS object
    keeps no state from one call to the next, so which one computes a flow does not change
    it, but it must not run two calls at once)."""

    def __init__(self, preset: int = cv2.DISOPTICAL_FLOW_PRESET_MEDIUM):
        self._preset = preset
        self._local = threading.local()

    def __call__(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Flow from gray frame ``a`` to gray frame ``b``: (H, W, 2) float32, px."""
        dis = getattr(self._local, "dis", None)
        if dis is None:
            dis = self._local.dis = cv2.DISOpticalFlow_create(self._preset)
        return dis.calc(a, b, None)


class FrameContext:
    """One analysis frame plus its link to the previous *distinct* frame.

    ``dt`` is the time in seconds since that previous distinct frame (real timestamps, so
    variable frame rate and dropped frames are handled). ``is_duplicate`` marks a frame that
    repeats the previous one: extractors must not read it as stillness or smoothness. When
    the decoder compared every source frame (``frame.source_repeats`` known), a frame is a
    duplicate when no new picture appeared in the source since the previous analysis frame;
    otherwise when its mean gray difference is below :data:`DUPLICATE_LEVELS`.
    """

    def __init__(self, frame: Frame, prev: FrameContext | None, flow_engine: FlowEngine):
        self.frame = frame
        self.prev = prev
        self._flow_engine = flow_engine
        self.is_duplicate = False
        if prev is not None:
            if frame.source_frames and frame.source_repeats is not None:
                self.is_duplicate = frame.source_repeats >= frame.source_frames
            else:
                self.is_duplicate = self.gray_diff < DUPLICATE_LEVELS

    @property
    def index(self) -> int:
        return self.frame.index

    @property
    def t(self) -> float:
        return self.frame.t

    @property
    def gray(self) -> np.ndarray:
        return self.frame.gray

    @property
    def rgb(self) -> np.ndarray:
        return self.frame.rgb

    @property
    def content_t(self) -> float:
        """When this frame's picture first appeared in the source, s (see ``Frame``)."""
        ct = self.frame.content_t
        return self.t if ct is None else ct

    @property
    def dt(self) -> float:
        """Seconds between the pictures of the previous distinct frame and this one (nan for
        the first frame), timed by when each picture first appeared (``content_t``)."""
        return self.content_t - self.prev.content_t if self.prev is not None else float("nan")

    @property
    def diagonal(self) -> float:
        """Frame diagonal at the analysis size, px."""
        h, w = self.gray.shape
        return float(np.hypot(h, w))

    @cached_property
    def gray_f32(self) -> np.ndarray:
        return self.gray.astype(np.float32)

    @cached_property
    def gray_mean(self) -> float:
        """Mean gray level of the frame, levels."""
        return float(cv2.mean(self.gray)[0])

    @cached_property
    def gray_small(self) -> np.ndarray:
        """The gray frame area-averaged to :data:`SMALL_SIZE` (64 x 36), float32 levels."""
        return cv2.resize(self.gray_f32, SMALL_SIZE, interpolation=cv2.INTER_AREA)

    @cached_property
    def gray_diff(self) -> float:
        """Mean absolute gray difference from the previous distinct frame, levels."""
        if self.prev is None:
            return float("nan")
        return float(cv2.absdiff(self.gray, self.prev.gray).mean())

    @cached_property
    def flow(self) -> np.ndarray | None:
        """Forward flow previous → this frame, (H, W, 2) px; None for the first frame."""
        if self.prev is None:
            return None
        return self._flow_engine(self.prev.gray, self.gray)

    @cached_property
    def flow_back(self) -> np.ndarray | None:
        """Backward flow this → previous frame, (H, W, 2) px; None for the first frame."""
        if self.prev is None:
            return None
        return self._flow_engine(self.gray, self.prev.gray)

    @cached_property
    def flow_magnitude(self) -> np.ndarray | None:
        """Per-pixel magnitude of :attr:`flow`, px."""
        if self.flow is None:
            return None
        return magnitude(self.flow[..., 0], self.flow[..., 1])

    @cached_property
    def _warp_maps(self) -> tuple[np.ndarray, np.ndarray]:
        h, w = self.gray.shape
        gx, gy = pixel_grid(h, w)
        return gx - self.flow[..., 0], gy - self.flow[..., 1]

    def warp_from_prev(self, image: np.ndarray) -> np.ndarray:
        """Any float32 image aligned with the previous distinct frame (its gray, a residual,
        a feature map) warped onto this frame along :attr:`flow`, as :attr:`warped_prev`."""
        mx, my = self._warp_maps
        return cv2.remap(image, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)

    @cached_property
    def warped_prev(self) -> np.ndarray | None:
        """The previous distinct gray frame warped onto this one along :attr:`flow`
        (backward sampling with the forward flow, exact for smooth motion), float32."""
        if self.prev is None:
            return None
        return self.warp_from_prev(self.prev.gray_f32)

    @cached_property
    def compensated_residual(self) -> float:
        """Mean absolute difference between this frame and :attr:`warped_prev`, levels:
        the change that motion does not explain."""
        if self.prev is None:
            return float("nan")
        return float(cv2.absdiff(self.gray_f32, self.warped_prev).mean())

    @cached_property
    def gain_compensated_residual(self) -> float:
        """:attr:`compensated_residual` after scaling the warped previous frame to this
        frame's mean, levels: the change that neither motion nor a global brightness gain
        (a flash, a flicker, a fade) explains. The gain is limited to 0.5..2 so that a
        nearly black frame does not amplify noise."""
        if self.prev is None:
            return float("nan")
        m_prev = float(self.warped_prev.mean())
        gain = float(self.gray_f32.mean()) / m_prev if m_prev > 1.0 else 1.0
        gain = min(2.0, max(0.5, gain))
        return float(cv2.absdiff(self.gray_f32, self.warped_prev * np.float32(gain)).mean())

    @cached_property
    def hsv(self) -> np.ndarray:
        """The frame in OpenCV 8-bit HSV: (H, W, 3) uint8, hue 0..179, S and V 0..255."""
        return cv2.cvtColor(self.rgb, cv2.COLOR_RGB2HSV)

    @cached_property
    def hsv_hist(self) -> np.ndarray:
        """Normalised HSV histogram (16 hue x 4 sat x 4 val bins), sums to 1."""
        hsv = self.hsv
        h = cv2.calcHist([hsv], [0, 1, 2], None, [16, 4, 4], [0, 180, 0, 256, 0, 256])
        h = h.ravel()
        return h / max(float(h.sum()), 1.0)

    @cached_property
    def gray_thumb(self) -> np.ndarray:
        """The gray frame area-averaged to a fixed 9 x 16 grid of cells, float32 levels
        (the same grid at any analysis size: a cheap global content descriptor)."""
        return cv2.resize(self.gray_f32, THUMB_SIZE, interpolation=cv2.INTER_AREA)

    @cached_property
    def flow_cells(self) -> np.ndarray | None:
        """Mean :attr:`flow_magnitude` in each cell of a fixed 6 x 8 grid, px (None for
        the first frame)."""
        if self.flow_magnitude is None:
            return None
        return cv2.resize(self.flow_magnitude, CELL_GRID, interpolation=cv2.INTER_AREA)

    def release(self) -> None:
        """Drop the link to the previous frame so memory stays bounded."""
        self.prev = None

    def computed(self) -> set[str]:
        """Names of the intermediates of :data:`PREPARABLE` computed so far."""
        return {name for name in PREPARABLE if name in self.__dict__}

    def prepare(self, names: set[str]) -> None:
        """Compute the intermediates ``names`` (of :data:`PREPARABLE`) now, in dependency
        order, so that the extractors find them ready. Meant to run in a helper thread for
        the next analysis frame while the extractors work on this one: OpenCV releases the
        GIL, and each value is the one an extractor would have computed."""
        for name in PREPARABLE:
            if name in names:
                getattr(self, name)


#: The intermediates :meth:`FrameContext.prepare` may compute ahead, in dependency order.
#: Only those that depend on this frame and the previous distinct one alone, and that an
#: extractor asks for on every frame or none (the backward flow, asked for on every second
#: frame, is left to the extractor that needs it).
PREPARABLE = ("gray_f32", "gray_mean", "gray_small", "gray_thumb", "flow", "flow_magnitude",
              "flow_cells", "_warp_maps", "warped_prev", "compensated_residual",
              "gain_compensated_residual", "hsv", "hsv_hist")
