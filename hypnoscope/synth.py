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

CODEC_BY_EXT = {".mp4": "libx264", ".mkv": "libx264", ".mov": "libx264", ".webm": "libvpx",
                ".avi": "mpeg4", ".gif": "gif"}


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


def add_noise(frames: Iterable[np.ndarray], sigma: float, seed: int = 0) -> list[np.ndarray]:
    """Add independent Gaussian noise of ``sigma`` gray levels to every frame."""
    rng = np.random.default_rng(seed)
    out = []
    for f in frames:
        noisy = f.astype(np.float32) + rng.normal(0.0, sigma, f.shape).astype(np.float32)
        out.append(np.clip(np.round(noisy), 0, 255).astype(np.uint8))
    return out


def write_video(path: str | os.PathLike, frames: Iterable[np.ndarray], fps: float = 24.0,
                times: Sequence[float] | None = None, codec: str | None = None,
                rotation: int = 0, crf: int = 18) -> str:
    """Encode RGB ``frames`` to ``path`` with PyAV. ``times`` (s) gives each frame's
    timestamp (for variable frame rate); otherwise frames are ``1/fps`` apart. ``rotation``
    (degrees, counter-clockwise) is written as the display matrix."""
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
            if codec == "libx264":
                stream.options = {"crf": str(crf), "preset": "veryfast"}
            elif codec == "libvpx":
                stream.options = {"crf": "10", "b": "2M"}
            elif codec == "mpeg4":
                stream.options = {"qscale": "3"}
                stream.bit_rate = 4_000_000
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
