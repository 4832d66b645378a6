"""Synthetic clips with known pressure, wander and focus, shared by the tests of those
factors. Every builder takes the frame rate and the frame height (width is 16:9) and draws
the same content in time and in frame-relative space at any of them, so a clip can also be
re-sampled for the invariance tests. Speeds are given in px/s at a 180 px height."""

from __future__ import annotations

import cv2
import numpy as np

from hypnoscope.media import synth


def _size(height: int) -> tuple[int, int, float]:
    return height, int(round(height * 16 / 9 / 2)) * 2, height / 180.0


def steady_pan(fps: float = 30, height: int = 180, seconds: float = 6.0, speed: float = 30.0,
               seed: int = 1, noise: float = 2.0) -> list[np.ndarray]:
    """Constant activity: a pan over one texture at ``speed`` px/s, sensor-like noise."""
    h, w, s = _size(height)
    n = int(round(seconds * fps))
    canvas = synth.texture(h + int(40 * s), w + int(speed * s * seconds) + int(40 * s),
                           seed=seed, scale=4 * s)
    frames = [synth.crop_at(canvas, speed * s * i / fps, 10 * s, h, w) for i in range(n)]
    return synth.add_noise(frames, noise, seed=seed)


def event_clip(fps: float = 30, height: int = 180, seconds: float = 6.0,
               at: float = 0.7, event_s: float = 0.4) -> list[np.ndarray]:
    """The steady pan with one sudden event (a bright disc crossing in ``event_s`` s)
    starting at ``at`` of the length."""
    frames = steady_pan(fps, height, seconds)
    return synth.with_event(frames, int(round(at * len(frames))), int(round(event_s * fps)))


def arc_pan(fps: float = 30, height: int = 180, seconds: float = 6.0,
            climax: float = 0.75, top: float = 120.0) -> list[np.ndarray]:
    """A pan whose speed builds smoothly from near rest to ``top`` px/s at ``climax`` of the
    length and falls back after it: a setup and a payoff in activity alone."""
    h, w, s = _size(height)
    n = int(round(seconds * fps))
    tt = np.arange(n) / fps
    tc = climax * seconds
    speed = np.where(tt <= tc, 5 + (top - 5) * (tt / tc) ** 2,
                     5 + (top - 5) * np.clip(1 - (tt - tc) / (seconds - tc), 0, 1) ** 2)
    x = np.concatenate([[0.0], np.cumsum(speed[1:] / fps)]) * s
    canvas = synth.texture(h + int(40 * s), w + int(x[-1]) + int(40 * s), seed=4, scale=4 * s)
    frames = [synth.crop_at(canvas, xi, 10 * s, h, w) for xi in x]
    return synth.add_noise(frames, 2.0, seed=4)


def morph_clip(fps: float = 30, height: int = 180, seconds: float = 4.0) -> list[np.ndarray]:
    """Texture A cross-warped into texture B in place, no motion (synth.morph)."""
    h, w, s = _size(height)
    a = synth.texture(h, w, seed=11, scale=4 * s)
    b = synth.texture(h, w, seed=12, scale=4 * s)
    return synth.morph(a, b, int(round(seconds * fps)), warp_px=6 * s)


def translate_clip(fps: float = 30, height: int = 180, seconds: float = 4.0,
                   speed: float = 30.0) -> list[np.ndarray]:
    """The same pixels (texture A) translated: pure motion."""
    h, w, s = _size(height)
    a = synth.texture(h + int(20 * s), w + int(speed * s * seconds) + int(20 * s), seed=11,
                      scale=4 * s)
    return [synth.crop_at(a, speed * s * i / fps, 5 * s, h, w)
            for i in range(int(round(seconds * fps)))]


def _coarse_canvas(h: int, w: int, s: float, seed: int) -> np.ndarray:
    """A texture with structure up to a third of the frame height, like natural images."""
    return synth.texture(h, w, seed=seed, scale=7 * s)


def slow_pan(fps: float = 30, height: int = 180, seconds: float = 5.0,
             speed: float = 12.0) -> list[np.ndarray]:
    """A steady pan at ``speed`` px/s over a coarse texture: a straight descriptor path."""
    h, w, s = _size(height)
    canvas = _coarse_canvas(h + int(20 * s), w + int(speed * s * seconds) + int(20 * s), s, 21)
    return [synth.crop_at(canvas, speed * s * i / fps, 5 * s, h, w)
            for i in range(int(round(seconds * fps)))]


def random_walk(fps: float = 30, height: int = 180, seconds: float = 5.0,
                speed: float = 12.0, seed: int = 3) -> list[np.ndarray]:
    """A camera random walk over the same kind of texture with the pan's speed (px/s) but
    a new random direction every 1/30 s: a wandering descriptor path."""
    h, w, s = _size(height)
    n30 = int(round(seconds * 30))
    xs, ys = synth.random_walk_path(n30, speed / 30.0, seed=seed, x0=60.0, y0=60.0)
    tt = np.arange(int(round(seconds * fps))) / fps
    xi = np.interp(tt, np.arange(n30) / 30.0, xs) * s
    yi = np.interp(tt, np.arange(n30) / 30.0, ys) * s
    canvas = _coarse_canvas(h + int(120 * s), w + int(120 * s), s, 21)
    return synth.path_frames(canvas, xi, yi, h, w)


def local_motion_clip(fps: float = 30, height: int = 180, seconds: float = 4.0,
                      jump_every_s: float | None = None, seed: int = 0) -> list[np.ndarray]:
    """A static scene in which one small square (1/4.5 of the height) shows moving texture.
    It stays in place, or jumps to a new random place every ``jump_every_s`` seconds."""
    h, w, s = _size(height)
    n = int(round(seconds * fps))
    size = int(40 * s)
    bg = synth.texture(h, w, seed=5, scale=4 * s)
    patch = synth.texture(int(300 * s), int(300 * s), seed=6, scale=3 * s)
    rng = np.random.default_rng(seed)
    centres, c = [], (int(100 * s), int(70 * s))
    for i in range(n):
        if jump_every_s and i % max(1, int(round(jump_every_s * fps))) == 0 and i:
            c = (int(rng.integers(size, w - size)), int(rng.integers(size, h - size)))
        centres.append(c)
    frames = synth.local_motion(bg, patch, n, centres, size, speed=90.0 * s / fps)
    return synth.add_noise(frames, 2.0, seed=seed)


def full_pan(fps: float = 30, height: int = 180, seconds: float = 4.0) -> list[np.ndarray]:
    """Motion everywhere alike: a full-frame pan."""
    return steady_pan(fps, height, seconds, speed=60.0, seed=5)


def resized(frames: list[np.ndarray], height: int) -> list[np.ndarray]:
    """Frames scaled to ``height`` (16:9 width) with area averaging."""
    h, w, _ = _size(height)
    return [cv2.resize(f, (w, h), interpolation=cv2.INTER_AREA) for f in frames]
