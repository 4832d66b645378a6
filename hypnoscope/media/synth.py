"""Synthetic videos whose true values are known: the demo and the test suite are built on them.

Every generator returns frames as (H, W, 3) uint8 RGB arrays; :func:`write_video` encodes
them with PyAV, with exact timestamps (so variable frame rate is possible) and optional
rotation metadata.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

import av
import cv2
import numpy as np

from hypnoscope.media.transcode import CODEC_BY_EXT, configure_encoder


def texture(height: int, width: int, seed: int = 0, scale: float = 6.0,
            saturation: float = 1.0) -> np.ndarray:
    """A smooth random colour texture, (H, W, 3) uint8, with detail at ``scale`` px and
    coarser. ``saturation`` 0..1 blends it toward gray."""
    rng = np.random.default_rng(seed)
    out = np.zeros((height, width, 3), np.float32)
    for k, s in enumerate((scale, scale * 3, scale * 9)):
        noise = rng.standard_normal((height, width, 3)).astype(np.float32)
        blurred = cv2.GaussianBlur(noise, (0, 0), s)
        blurred /= blurred.std() + 1e-6
        out += blurred / (k + 1)
    out = (out - out.mean()) / (out.std() + 1e-6)
    gray = out.mean(axis=2, keepdims=True)
    out = gray + saturation * (out - gray)
    return np.clip(128 + 45 * out, 0, 255).astype(np.uint8)


def crop_at(canvas: np.ndarray, x: float, y: float, height: int, width: int) -> np.ndarray:
    """The ``height`` x ``width`` window of ``canvas`` whose top-left corner is at (x, y) px,
    with sub-pixel positions resampled bilinearly."""
    m = np.float32([[1, 0, -x], [0, 1, -y]])
    return cv2.warpAffine(canvas, m, (width, height), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REFLECT)


def pan(canvas: np.ndarray, n: int, dx: float, dy: float = 0.0, height: int = 180,
        width: int = 320, x0: float = 0.0, y0: float = 0.0) -> list[np.ndarray]:
    """``n`` frames of a window sliding over ``canvas`` by (dx, dy) px per frame; the content
    therefore moves by (-dx, -dy) px per frame."""
    return [crop_at(canvas, x0 + i * dx, y0 + i * dy, height, width) for i in range(n)]


def path_frames(canvas: np.ndarray, xs: Sequence[float], ys: Sequence[float], height: int,
                width: int) -> list[np.ndarray]:
    """Frames of a camera window following the path (xs[i], ys[i]) px over ``canvas``."""
    return [crop_at(canvas, x, y, height, width) for x, y in zip(xs, ys, strict=True)]


def morph(a: np.ndarray, b: np.ndarray, n: int, warp_px: float = 6.0,
          seed: int = 0) -> list[np.ndarray]:
    """``n`` frames that turn image ``a`` into image ``b`` in place: a cross-dissolve under a
    slowly varying local warp (no global motion), the way generated video morphs."""
    h, w = a.shape[:2]
    rng = np.random.default_rng(seed)
    field = cv2.GaussianBlur(rng.standard_normal((h, w, 2)).astype(np.float32), (0, 0), 12)
    field /= np.abs(field).max() + 1e-6
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    frames = []
    for i in range(n):
        s = i / max(n - 1, 1)
        amp = np.float32(warp_px * np.sin(np.pi * s))
        mx, my = gx + amp * field[..., 0], gy + amp * field[..., 1]
        wa = cv2.remap(a, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        wb = cv2.remap(b, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        frames.append(cv2.addWeighted(wa, 1.0 - s, wb, s, 0.0))
    return frames


def add_noise(frames: Iterable[np.ndarray], sigma: float, seed: int = 0,
              mono: bool = False) -> list[np.ndarray]:
    """Add independent Gaussian noise of ``sigma`` gray levels to every frame. With ``mono``
    the same noise goes to the three channels of a pixel, so the luma noise is exactly
    ``sigma`` levels (before rounding and clipping); otherwise each channel gets its own."""
    rng = np.random.default_rng(seed)
    out = []
    for f in frames:
        shape = f.shape[:2] + (1,) if (mono and f.ndim == 3) else f.shape
        noisy = f.astype(np.float32) + rng.normal(0.0, sigma, shape).astype(np.float32)
        out.append(np.clip(np.round(noisy), 0, 255).astype(np.uint8))
    return out


def detailed_scene(height: int, width: int, seed: int = 0, scale: float = 1.2,
                   shapes: int = 12) -> np.ndarray:
    """A clean image with detail everywhere: a fine colour texture (detail at ``scale`` px)
    overlaid with hard-edged rectangles and discs filled with other fine textures (flipped,
    shifted, colour-permuted copies of a second texture at 1.6 x the scale) of other contrast
    and brightness. No flat region, so a noise estimator must tell noise from texture.
    (H, W, 3) uint8."""
    rng = np.random.default_rng(seed + 7)
    out = texture(height, width, seed, scale=scale)
    fill = texture(height, width, seed + 1, scale=scale * 1.6)
    size = max(8, min(height, width) // 3)
    for k in range(shapes):
        other = np.roll(fill[:: 1 - 2 * (k % 2), :: 1 - 2 * (k // 2 % 2)],
                        (int(rng.integers(0, height)), int(rng.integers(0, width))), (0, 1))
        other = other[..., rng.permutation(3)].astype(np.float32)
        other = (other - 128) * rng.uniform(0.5, 1.5) + 128 + rng.uniform(-60, 60)
        other = np.clip(other, 0, 255).astype(np.uint8)
        mask = np.zeros((height, width), np.uint8)
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        if k % 2:
            cv2.rectangle(mask, (x, y), (x + int(rng.integers(size // 6, size)),
                                         y + int(rng.integers(size // 6, size))), 1, -1)
        else:
            cv2.circle(mask, (x, y), int(rng.integers(size // 12, size // 2)), 1, -1)
        out[mask > 0] = other[mask > 0]
    return out


def evolving_detail(base: np.ndarray, n: int, fps: float, period_s: float = 6.0,
                    amplitude: float = 12.0, scale: float = 1.0,
                    seed: int = 0) -> list[np.ndarray]:
    """``n`` frames of a static ``base`` image whose fine detail drifts smoothly in place:
    ``cos(phase) A + sin(phase) B`` with fine random fields A and B (detail at ``scale`` px,
    ``amplitude`` gray levels RMS) and the phase turning once every ``period_s`` seconds.
    Frame-to-frame changes of the detail are therefore strongly correlated in time, the
    way generated texture 'boils', unlike a camera sensor's independent noise."""
    h, w = base.shape[:2]
    rng = np.random.default_rng(seed)
    fields = []
    for _ in range(2):
        f = cv2.GaussianBlur(rng.standard_normal((h, w)).astype(np.float32), (0, 0), scale)
        fields.append(f / (f.std() + 1e-6))
    frames = []
    for i in range(n):
        phase = 2 * np.pi * i / (fps * period_s)
        detail = amplitude * (np.cos(phase) * fields[0] + np.sin(phase) * fields[1])
        img = base.astype(np.float32) + detail[..., None]
        frames.append(np.clip(np.round(img), 0, 255).astype(np.uint8))
    return frames


def write_video(path: str | os.PathLike, frames: Iterable[np.ndarray], fps: float = 24.0,
                times: Sequence[float] | None = None, codec: str | None = None,
                rotation: int = 0, crf: int = 18) -> str:
    """Encode RGB ``frames`` to ``path`` with PyAV. ``times`` (s) gives each frame's
    timestamp (for variable frame rate); otherwise frames are ``1/fps`` apart. ``rotation``
    (degrees, counter-clockwise) is written as the display matrix. H.264 is written
    reproducibly (:func:`hypnoscope.media.transcode.configure_encoder`): the same frames give the
    same file in every process, so a test sees the same pixels on every run."""
    path = os.fspath(path)
    ext = os.path.splitext(path)[1].lower()
    codec = codec or CODEC_BY_EXT.get(ext, "libx264")
    frames = list(frames)
    if not frames:
        raise ValueError("no frames to write")
    h, w = frames[0].shape[:2]
    tb_den = 1000 if times is not None else None
    with av.open(path, "w") as container:
        if codec == "gif":
            stream = container.add_stream("gif", rate=int(round(fps)))
            stream.pix_fmt = "rgb8"
        else:
            from fractions import Fraction
            rate = Fraction(fps).limit_denominator(1001)
            stream = container.add_stream(codec, rate=rate)
            stream.pix_fmt = {"mjpeg": "yuvj420p", "ffv1": "yuv444p",
                              "libx264rgb": "rgb24"}.get(codec, "yuv420p")
            configure_encoder(stream, codec, crf, reproducible=True)
        stream.width, stream.height = w, h
        if rotation:
            stream.set_display_rotation(rotation)
        if tb_den is not None:
            from fractions import Fraction
            stream.codec_context.time_base = Fraction(1, tb_den)
        for i, rgb in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
            if times is not None:
                frame.pts = int(round(times[i] * tb_den))
                frame.time_base = stream.codec_context.time_base
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


# -- the two demo clips -----------------------------------------------------------------------

def hypnotic_clip(seconds: float = 8.0, fps: float = 24.0, height: int = 270,
                  width: int = 480, seed: int = 1) -> list[np.ndarray]:
    """The thesis's signature: one shot, a slow smooth drift, a continuous morph from
    texture to texture, no noise, saturated colour."""
    n = int(round(seconds * fps))
    textures = [texture(height + 80, width + 160, seed + k, scale=5.0, saturation=1.0)
                for k in range(4)]
    per = int(np.ceil(n / (len(textures) - 1)))
    morphed: list[np.ndarray] = []
    for k in range(len(textures) - 1):
        morphed += morph(textures[k], textures[k + 1], per + 1, warp_px=8.0, seed=seed + k)[:-1]
    morphed = morphed[:n]
    frames = []
    for i, big in enumerate(morphed):
        s = i / max(n - 1, 1)
        x = 20 + 100 * (3 * s * s - 2 * s ** 3)  # eased, jerk-free drift
        frames.append(crop_at(big, x, 40, height, width))
    return frames


def edited_camera_clip(seconds: float = 8.0, fps: float = 24.0, height: int = 270,
                       width: int = 480, seed: int = 2) -> list[np.ndarray]:
    """Like edited camera footage: three hand-held shots with hard cuts between them,
    sensor noise, and one sudden event (a bright object crossing fast) late in the clip."""
    rng = np.random.default_rng(seed)
    n = int(round(seconds * fps))
    bounds = [0, int(n * 0.3), int(n * 0.55), n]
    frames: list[np.ndarray] = []
    for k in range(3):
        canvas = texture(height + 200, width + 200, seed + 10 * k, scale=3.0, saturation=0.45)
        m = bounds[k + 1] - bounds[k]
        jitter = rng.normal(0, 2.0, (m, 2)).cumsum(axis=0) * 0.6 + rng.normal(0, 1.5, (m, 2))
        xs = 100 + np.arange(m) * (1.5 if k != 1 else -1.0) + jitter[:, 0]
        ys = 100 + jitter[:, 1]
        frames += path_frames(canvas, xs, ys, height, width)
    ev0 = int(n * 0.72)
    for i in range(ev0, min(n, ev0 + int(fps * 0.5))):
        f = frames[i].copy()
        cx = int((i - ev0) / (fps * 0.5) * width * 1.2) - width // 10
        cv2.circle(f, (cx, height // 2), height // 5, (250, 240, 220), -1, cv2.LINE_AA)
        frames[i] = f
    return add_noise(frames, sigma=4.0, seed=seed)


# -- temporal effects with known truth (fluidity and pace tests) ------------------------------

def handheld_path(times: Sequence[float], speed: float, shake: float, seed: int = 0,
                  max_hz: float = 2.5) -> tuple[np.ndarray, np.ndarray]:
    """A hand-held camera path (x, y) in px at ``times`` (s): a drift of ``speed`` px/s to
    the right plus a shake of about ``shake`` px made of a few sinusoids between 0.6 Hz and
    ``max_hz`` with random phases. It is a function of time, so the same path can be written
    at any frame rate; keep ``max_hz`` below half the analysis rate so sampling resolves it."""
    rng = np.random.default_rng(seed)
    t = np.asarray(times, dtype=float)
    x, y = speed * t, np.zeros_like(t)
    freqs = np.linspace(0.6, max_hz, 5)
    for f in freqs:
        px, py = rng.uniform(0, 2 * np.pi, 2)
        x = x + shake / len(freqs) ** 0.5 * np.sin(2 * np.pi * f * t + px)
        y = y + shake / len(freqs) ** 0.5 * np.sin(2 * np.pi * f * t + py)
    return x, y


def path_speed(xs: np.ndarray, ys: np.ndarray, times: np.ndarray) -> float:
    """Mean speed (px/s) along a sampled path."""
    return float(np.mean(np.hypot(np.diff(xs), np.diff(ys)) / np.diff(times)))


def cross_dissolve(a: Sequence[np.ndarray], b: Sequence[np.ndarray],
                   n: int) -> list[np.ndarray]:
    """Shot ``a`` dissolving into shot ``b`` over ``n`` frames: the last ``n`` frames of ``a``
    are mixed with the first ``n`` of ``b`` with weights rising linearly (exclusive of 0
    and 1), so the result is ``len(a) + len(b) - n`` frames long."""
    a, b = list(a), list(b)
    mixed = []
    for i in range(n):
        w = (i + 1) / (n + 1)
        fa, fb = a[len(a) - n + i].astype(np.float32), b[i].astype(np.float32)
        mixed.append(np.clip(np.round((1 - w) * fa + w * fb), 0, 255).astype(np.uint8))
    return a[:len(a) - n] + mixed + b[n:]


def fade(frames: Sequence[np.ndarray], n: int, level: int = 0,
         out: bool = True) -> list[np.ndarray]:
    """Fade the last (``out``) or first ``n`` frames to or from a uniform ``level`` (0 black,
    255 white), linearly; the frames outside the fade are untouched."""
    frames = [f.copy() for f in frames]
    for i in range(n):
        w = (i + 1) / (n + 1)  # weight of the uniform level
        k = len(frames) - n + i if out else n - 1 - i
        f = frames[k].astype(np.float32)
        frames[k] = np.clip(np.round((1 - w) * f + w * level), 0, 255).astype(np.uint8)
    return frames


def flicker(frames: Sequence[np.ndarray], amplitude: float, seed: int = 0) -> list[np.ndarray]:
    """Scale each frame's brightness by ``1 + amplitude * z`` with ``z`` drawn independently
    per frame from a standard normal: a flicker whose standard deviation is ``amplitude``
    (e.g. 0.03 for 3 %). Continuous gains, so no two frames repeat exactly."""
    rng = np.random.default_rng(seed)
    out = []
    for f in frames:
        g = 1.0 + amplitude * float(rng.standard_normal())
        out.append(np.clip(np.round(f.astype(np.float32) * g), 0, 255).astype(np.uint8))
    return out


def slow_by_blend(frames: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Half speed by frame duplication-with-blend: between two frames insert their average
    (written at the same frame rate, the motion takes twice as long)."""
    frames = list(frames)
    out = []
    for a, b in zip(frames[:-1], frames[1:], strict=True):
        out.append(a)
        mid = (a.astype(np.uint16) + b.astype(np.uint16) + 1) // 2
        out.append(mid.astype(np.uint8))
    out.append(frames[-1])
    return out


def repeat_frames(frames: Sequence[np.ndarray], k: int = 2) -> list[np.ndarray]:
    """Every frame written ``k`` times (a doubled cadence, write it at ``k`` times the fps)."""
    return [f for f in frames for _ in range(k)]


def random_frames(n: int, height: int = 180, width: int = 320,
                  seed: int = 0) -> list[np.ndarray]:
    """``n`` independent textures: nothing in one frame predicts the next."""
    return [texture(height, width, seed=seed + i, scale=4.0) for i in range(n)]


def render_path(canvas: np.ndarray, path, seconds: float, fps: float, height: int,
                width: int, canvas_height: int | None = None) -> list[np.ndarray]:
    """The same camera move at any frame rate and size: ``path(times) -> (xs, ys)`` gives
    the window's top-left corner in px of a ``canvas_height``-high frame (default: the
    frame's own height) over ``canvas``, which is drawn at that scale; frames are cropped at
    that scale and area-resized to ``height`` x ``width``. Write the result at ``fps``."""
    ch = canvas_height or height
    cw = int(round(width * ch / height))
    times = np.arange(int(round(seconds * fps))) / fps
    xs, ys = path(times)
    frames = path_frames(canvas, xs, ys, ch, cw)
    if ch != height:
        frames = [cv2.resize(f, (width, height), interpolation=cv2.INTER_AREA) for f in frames]
    return frames


# -- clips for pressure, wander and focus -----------------------------------------------------

def with_event(frames: Sequence[np.ndarray], start: int, n: int,
               color: tuple[int, int, int] = (250, 240, 220),
               radius_frac: float = 0.2) -> list[np.ndarray]:
    """A copy of ``frames`` with one sudden event: a bright disc of radius ``radius_frac`` of
    the height crossing the frame left to right during frames ``start .. start + n - 1``."""
    out = [f for f in frames]
    h, w = frames[0].shape[:2]
    r = max(2, int(round(h * radius_frac)))
    for k, i in enumerate(range(start, min(len(frames), start + n))):
        f = frames[i].copy()
        cx = int(round(-r + (w + 2 * r) * (k + 0.5) / n))
        cv2.circle(f, (cx, h // 2), r, color, -1, cv2.LINE_AA)
        out[i] = f
    return out


def local_motion(background: np.ndarray, patch_canvas: np.ndarray, n: int,
                 centers: Sequence[tuple[int, int]], size: int, speed: float = 2.0,
                 ) -> list[np.ndarray]:
    """``n`` frames of a static ``background`` with one square window of side ``size`` px in
    which ``patch_canvas`` slides by ``speed`` px per frame; frame ``i`` puts the window at
    ``centers[i]`` (x, y) px. A fixed centre is a focused motion; jumping centres a focus
    that wanders."""
    frames = []
    half = size // 2
    for i in range(n):
        f = background.copy()
        cx, cy = centers[i]
        patch = crop_at(patch_canvas, i * speed, i * speed * 0.5, size, size)
        f[cy - half:cy - half + size, cx - half:cx - half + size] = patch
        frames.append(f)
    return frames


def random_walk_path(n: int, step: float, seed: int = 0,
                     x0: float = 0.0, y0: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Camera positions (px) of a random walk of ``n`` frames: each frame moves ``step`` px
    in a new uniformly random direction (same speed as a pan of ``step`` px per frame,
    no net direction)."""
    rng = np.random.default_rng(seed)
    ang = rng.uniform(0, 2 * np.pi, n)
    xs = x0 + np.concatenate([[0.0], np.cumsum(step * np.cos(ang[1:]))])
    ys = y0 + np.concatenate([[0.0], np.cumsum(step * np.sin(ang[1:]))])
    return xs, ys


def audio_only(path: str | os.PathLike, seconds: float = 1.0) -> str:
    """Write an AAC audio-only file (a 440 Hz tone): a file with no video stream."""
    rate = 16000
    with av.open(str(path), "w") as c:
        s = c.add_stream("aac", rate=rate)
        s.layout = "mono"
        t = np.arange(int(rate * seconds)) / rate
        for i in range(0, len(t) - 1024, 1024):
            buf = (0.1 * np.sin(2 * np.pi * 440 * t[i:i + 1024])).astype(np.float32)[None]
            f = av.AudioFrame.from_ndarray(buf, format="fltp", layout="mono")
            f.sample_rate = rate
            for p in s.encode(f):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    return os.fspath(path)
