"""Wander and morph: appearance change that motion does not explain, and where the content
goes in descriptor space.

Morph. For each distinct frame t, the frame about :data:`MORPH_LAG_S` earlier (by
timestamp) is aligned to it with dense optical flow in both directions. Pixels where the
forward and backward flows disagree (occlusions, flow failures) are masked. In the gradient
domain (each frame's gradients divided by their RMS, so global lighting and contrast changes
do not count), the change left after flow compensation is compared with the change without
it; their ratio is the share of appearance change that motion does not explain: near 0 for
pure motion, near 1 for a morph in place.

Descriptor trajectory. Each frame gets a cheap global descriptor (a normalised 9 x 16 gray
thumbnail and the square root of the hue x saturation histogram, unit length). Its speed
(descriptor units per s), its straightness over about :data:`STRAIGHT_WINDOW_S` (net
displacement over path length) and its recurrence inside a shot (pairs of frames more than
:data:`RECUR_MIN_GAP_S` apart whose descriptors are closer than :data:`RECUR_RADIUS`) say
whether the content goes somewhere, wanders, or comes back.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import cv2
import numpy as np

from hypnoscope.signals.context import FlowEngine, FrameContext, pixel_grid

#: Target time between the two frames compared by the morph index, s.
MORPH_LAG_S = 0.5
#: Accepted range of that time (the frame nearest the target inside it is used), s.
MORPH_LAG_RANGE = (0.3, 0.8)
#: Gaussian blur before taking gradients, as a fraction of the analysis height (1 px at
#: 180 px): keeps sensor noise and compression grain out of the gradient domain.
GRAD_BLUR_FRAC = 2.0 / 180.0
#: Forward-backward consistency: a pixel is valid when |f + b|^2 < A (|f|^2 + |b|^2) + B px^2
#: (Sundaram, Brox and Keutzer, 2010).
FB_ALPHA, FB_BETA = 0.01, 0.5
#: Below this mean gradient change above the floor (in units of the frame's RMS gradient)
#: nothing changes enough for the morph ratio to mean anything; the frame gets nan.
MORPH_MIN_CHANGE = 0.05
#: Window of the straightness measure, s (the nearest frame to this lag is used).
STRAIGHT_WINDOW_S = 1.0
#: Time over which the descriptor speed is measured, s (nearest frame within 0.15..0.4 s):
#: longer than one frame so that per-frame noise in the descriptor, which does not grow
#: with time, weighs less than the change that does.
SPEED_LAG_S = 0.25
#: Descriptor distance under which two frames count as the same appearance.
RECUR_RADIUS = 0.25
#: Minimum time between two frames of a recurrence pair, s.
RECUR_MIN_GAP_S = 1.0
#: How far back recurrence pairs are looked for inside a shot, s (bounds the cost).
RECUR_HISTORY_S = 30.0


def frame_gradients(gray: np.ndarray) -> np.ndarray:
    """(H, W, 2) float32 gradients of a blurred gray frame, divided by their RMS magnitude
    (so a global gain or offset in brightness leaves them unchanged)."""
    sigma = max(0.5, GRAD_BLUR_FRAC * gray.shape[0])
    g = cv2.GaussianBlur(gray.astype(np.float32), (0, 0), sigma)
    gx = cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=3)
    rms = float(np.sqrt(cv2.mean(gx * gx + gy * gy)[0]))
    return cv2.merge([gx, gy]) * np.float32(1.0 / max(rms, 1e-6))


def _sq_norm(v: np.ndarray) -> np.ndarray:
    """Squared length of each 2-vector of an (H, W, 2) float32 field."""
    x, y = cv2.split(v)
    return cv2.add(cv2.multiply(x, x), cv2.multiply(y, y))


def consistent_mask(flow_tk: np.ndarray, flow_kt: np.ndarray, gx: np.ndarray,
                    gy: np.ndarray) -> np.ndarray:
    """uint8 mask (1 = valid) of the pixels of frame t whose backward flow (t → k) is undone
    by the forward flow (k → t) where it lands, and that land inside frame k."""
    h, w = flow_tk.shape[:2]
    mx = cv2.add(gx, flow_tk[..., 0])
    my = cv2.add(gy, flow_tk[..., 1])
    back = cv2.remap(flow_kt, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    err = _sq_norm(cv2.add(flow_tk, back))
    bound = cv2.add(_sq_norm(flow_tk), _sq_norm(back)) * np.float32(FB_ALPHA) + np.float32(FB_BETA)
    inside = (mx >= 0) & (mx <= w - 1) & (my >= 0) & (my <= h - 1)
    return ((err < bound) & inside).view(np.uint8)


def _masked_l1(a: np.ndarray, b: np.ndarray, mask: np.ndarray) -> float:
    """Mean over the masked pixels of the L1 norm of the 2-vector difference a - b."""
    return float(sum(cv2.mean(cv2.absdiff(a, b), mask=mask)[:2]))


def morph_residuals(grad_t: np.ndarray, grad_k: np.ndarray, flow_tk: np.ndarray,
                    flow_kt: np.ndarray) -> tuple[float, float]:
    """(residual after flow compensation, change without it) between frame t and an
    earlier frame k, in units of the RMS gradient: mean L1 gradient differences over the
    pixels that pass the forward-backward check (nan when fewer than 5 % do)."""
    h, w = flow_tk.shape[:2]
    gx, gy = pixel_grid(h, w)
    valid = consistent_mask(flow_tk, flow_kt, gx, gy)
    if cv2.countNonZero(valid) < 0.05 * h * w:
        return float("nan"), float("nan")
    warped = cv2.remap(grad_k, cv2.add(gx, flow_tk[..., 0]), cv2.add(gy, flow_tk[..., 1]),
                       cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return _masked_l1(grad_t, warped, valid), _masked_l1(grad_t, grad_k, valid)


def short_residual(grad_t: np.ndarray, grad_prev: np.ndarray, flow: np.ndarray) -> float:
    """Residual after compensation between frame t and the previous distinct frame, along
    the forward flow ``flow`` (prev → t, sampled backward: exact for smooth motion), in units
    of the RMS gradient, over the pixels whose source lies inside the frame. Noise, grain and
    flow interpolation error live here; the morph index subtracts it as its floor."""
    h, w = flow.shape[:2]
    gx, gy = pixel_grid(h, w)
    mx, my = cv2.subtract(gx, flow[..., 0]), cv2.subtract(gy, flow[..., 1])
    inside = ((mx >= 0) & (mx <= w - 1) & (my >= 0) & (my <= h - 1)).view(np.uint8)
    if cv2.countNonZero(inside) < 0.05 * h * w:
        return float("nan")
    warped = cv2.remap(grad_prev, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return _masked_l1(grad_t, warped, inside)


def morph_ratio(residual: np.ndarray, change: np.ndarray, floor: np.ndarray,
                min_change: float = 0.0) -> np.ndarray:
    """Share of the appearance change not explained by motion, element-wise:
    clip(residual - floor, 0, change - floor) / (change - floor), in 0..1 (a compensation
    that makes things worse explains nothing); nan where the change above the floor is
    below ``min_change`` (nothing changed enough to tell)."""
    residual, change, floor = (np.asarray(x, dtype=float) for x in (residual, change, floor))
    floor = np.where(np.isfinite(floor), floor, 0.0)
    excess = change - floor
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.clip(np.minimum(residual, change) - floor, 0.0, None) / excess
    return np.where(excess >= max(min_change, 1e-9), r, np.nan)


def frame_descriptor(ctx: FrameContext) -> np.ndarray:
    """Unit-length global descriptor: the zero-mean unit-norm 9 x 16 gray thumbnail and the
    square root of the 16 hue x 4 saturation histogram (unit norm), each weighted
    1/sqrt(2)."""
    th = ctx.gray_thumb.ravel().astype(np.float64)
    th = th - th.mean()
    n = np.linalg.norm(th)
    th = th / n if n > 1e-6 else np.zeros_like(th)
    hist = np.sqrt(np.asarray(ctx.hsv_hist, dtype=np.float64).reshape(16, 4, 4).sum(axis=2)).ravel()
    hn = np.linalg.norm(hist)
    hist = hist / hn if hn > 1e-12 else hist
    return np.concatenate([th, hist]) / np.sqrt(2.0)


def nearest_lag(past, t: float, target: float, lo: float, hi: float):
    """The item of ``past`` (anything with a time ``.t`` in s) whose lag behind ``t`` is
    nearest ``target`` within [lo, hi] s, or None."""
    best, err = None, float("inf")
    for p in past:
        lag = t - p.t
        if lo - 1e-6 <= lag <= hi + 1e-6 and abs(lag - target) < err:
            best, err = p, abs(lag - target)
    return best


def cut_flags(cut_source, n: int) -> np.ndarray:
    """(n,) bool: the frames ``cut_source`` (an extractor whose ``series()["cut"]`` marks
    cuts) flags as cuts; all False without a source or when its length is not ``n``."""
    if cut_source is not None:
        c = cut_source.series().get("cut")
        if c is not None and len(c) == n:
            return np.nan_to_num(np.asarray(c, dtype=float), nan=0.0) > 0
    return np.zeros(n, dtype=bool)


def spans_cut(t: np.ndarray, lag: np.ndarray, cut_times: np.ndarray) -> np.ndarray:
    """True for frames whose comparison span (t - lag, t] contains a cut; frames without a
    lag (nan) are False."""
    t = np.asarray(t, dtype=float)
    lag = np.asarray(lag, dtype=float)
    cuts = np.sort(np.asarray(cut_times, dtype=float))
    out = np.zeros(len(t), dtype=bool)
    ok = np.isfinite(lag)
    if len(cuts) == 0 or not ok.any():
        return out
    lo = np.searchsorted(cuts, t[ok] - lag[ok], side="right")
    hi = np.searchsorted(cuts, t[ok] + 1e-9, side="right")
    out[ok] = hi > lo
    return out


def recurrence_counts(desc: np.ndarray, lo: np.ndarray, hi: np.ndarray, radius: float,
                      block: int = 256) -> np.ndarray:
    """For each row j of ``desc`` (frames x dims), how many rows in ``lo[j]:hi[j]`` lie
    closer than ``radius`` (Euclidean). Computed block by block with matrix products, so the
    cost is linear in the number of frames for bounded ranges."""
    desc = np.asarray(desc, dtype=np.float32)
    sq = np.einsum("ij,ij->i", desc, desc)
    out = np.zeros(len(desc), dtype=float)
    for b0 in range(0, len(desc), block):
        b1 = min(len(desc), b0 + block)
        c0, c1 = int(lo[b0:b1].min()), int(hi[b0:b1].max())
        if c1 <= c0:
            continue
        d2 = sq[b0:b1, None] + sq[None, c0:c1] - 2.0 * desc[b0:b1] @ desc[c0:c1].T
        cols = np.arange(c0, c1)[None, :]
        inside = (cols >= lo[b0:b1, None]) & (cols < hi[b0:b1, None])
        out[b0:b1] = np.sum(inside & (d2 < radius * radius), axis=1)
    return out


@dataclass
class _Past:
    t: float
    gray: np.ndarray
    grad: np.ndarray
    desc: np.ndarray
    path: float  # cumulative descriptor path length up to this frame


class WanderExtractor:
    """Per-frame morph ratio (with its numerator, denominator and lag) and descriptor
    trajectory (speed, net displacement and path over about 1 s, recurrence counts).

    ``cut_source`` is the extractor whose ``series()["cut"]`` marks shot cuts, used to keep
    recurrence pairs inside shots.
    """

    name = "wander"

    def __init__(self, cut_source=None, flow_preset: int = cv2.DISOPTICAL_FLOW_PRESET_FAST):
        self.cut_source = cut_source
        self._flow = FlowEngine(flow_preset)
        self._past: deque[_Past] = deque()
        self._t: list[float] = []
        self._distinct: list[bool] = []
        self._desc: list[np.ndarray] = []  # float16, distinct frames only
        self._speed_lag: list[float] = []
        self._cols: dict[str, list[float]] = {k: [] for k in (
            "morph", "morph_residual", "morph_change", "morph_floor", "morph_lag",
            "descriptor_speed", "descriptor_net", "descriptor_path", "descriptor_lag")}

    @staticmethod
    def _pick(past: deque, t: float, target: float, lo: float, hi: float) -> _Past | None:
        return nearest_lag(past, t, target, lo, hi)

    def _append(self, **values: float) -> None:
        for k, col in self._cols.items():
            col.append(values.get(k, np.nan))

    def update(self, ctx: FrameContext) -> None:
        self._t.append(ctx.t)
        self._distinct.append(not ctx.is_duplicate)
        if ctx.is_duplicate:
            self._append()
            self._speed_lag.append(np.nan)
            return
        desc = frame_descriptor(ctx)
        self._desc.append(desc.astype(np.float16))
        prev = self._past[-1] if self._past else None
        step = float(np.linalg.norm(desc - prev.desc)) if prev is not None else 0.0
        path = (prev.path + step) if prev is not None else 0.0
        cur = _Past(ctx.t, ctx.gray, frame_gradients(ctx.gray), desc, path)
        values: dict[str, float] = {}
        back = self._pick(self._past, ctx.t, SPEED_LAG_S, 0.15, 0.4)
        if back is not None:
            values["descriptor_speed"] = float(np.linalg.norm(desc - back.desc)) / (
                ctx.t - back.t)
        self._speed_lag.append(ctx.t - back.t if back is not None else np.nan)
        ref = self._pick(self._past, ctx.t, STRAIGHT_WINDOW_S, 0.75 * STRAIGHT_WINDOW_S,
                         1.25 * STRAIGHT_WINDOW_S)
        if ref is not None:
            values["descriptor_net"] = float(np.linalg.norm(desc - ref.desc))
            values["descriptor_path"] = path - ref.path
            values["descriptor_lag"] = ctx.t - ref.t
        k = self._pick(self._past, ctx.t, MORPH_LAG_S, *MORPH_LAG_RANGE)
        if k is not None and ctx.flow is not None:
            flow_tk = self._flow(ctx.gray, k.gray)
            flow_kt = self._flow(k.gray, ctx.gray)
            res, raw = morph_residuals(cur.grad, k.grad, flow_tk, flow_kt)
            floor = short_residual(cur.grad, prev.grad, ctx.flow)
            values.update(morph_residual=res, morph_change=raw, morph_floor=floor,
                          morph_lag=ctx.t - k.t,
                          morph=float(morph_ratio(res, raw, floor, MORPH_MIN_CHANGE)))
        self._append(**values)
        self._past.append(cur)
        keep = max(MORPH_LAG_RANGE[1], 1.25 * STRAIGHT_WINDOW_S) + 1e-6
        while self._past and ctx.t - self._past[0].t > keep:
            self._past.popleft()

    def _recurrence(self) -> tuple[np.ndarray, np.ndarray]:
        """Per frame: recurrence pairs it closes with earlier frames of its shot more than
        RECUR_MIN_GAP_S back (within RECUR_HISTORY_S), and how many of them are close."""
        n = len(self._t)
        close = np.full(n, np.nan)
        pairs = np.full(n, np.nan)
        idx = np.flatnonzero(self._distinct)
        if len(idx) == 0:
            return close, pairs
        t = np.asarray(self._t)[idx]
        shot = np.cumsum(self._cut_flags())[idx]
        shot_start = np.searchsorted(shot, shot)  # first distinct frame of each one's shot
        lo = np.maximum(np.searchsorted(t, t - RECUR_HISTORY_S), shot_start)
        hi = np.maximum(np.searchsorted(t, t - RECUR_MIN_GAP_S, side="right"), lo)
        n_close = recurrence_counts(np.stack(self._desc), lo, hi, RECUR_RADIUS)
        pairs[idx] = hi - lo
        close[idx] = n_close
        return close, pairs

    def _cut_flags(self) -> np.ndarray:
        return cut_flags(self.cut_source, len(self._t))

    def series(self) -> dict[str, np.ndarray]:
        out = {k: np.asarray(v, dtype=float) for k, v in self._cols.items()}
        # A frame compared across a cut measures the cut, not morph or wander.
        t = np.asarray(self._t, dtype=float)
        cut_t = t[self._cut_flags()]
        out["descriptor_speed"][spans_cut(t, np.asarray(self._speed_lag), cut_t)] = np.nan
        for lag_key, keys in (("morph_lag", ("morph", "morph_residual", "morph_change",
                                             "morph_floor")),
                              ("descriptor_lag", ("descriptor_net", "descriptor_path"))):
            crossed = spans_cut(t, out[lag_key], cut_t)
            for k in keys:
                out[k][crossed] = np.nan
        out["recur_close"], out["recur_pairs"] = self._recurrence()
        return out

    def units(self) -> dict[str, str]:
        g = "mean |gradient change| / RMS gradient"
        return {"morph": "0..1 (share of change not explained by motion)",
                "morph_residual": g + ", after flow compensation",
                "morph_change": g + ", without compensation",
                "morph_floor": g + ", between consecutive distinct frames (noise floor)",
                "morph_lag": "s (time back to the compared frame)",
                "descriptor_speed": "descriptor units / s (over ~0.25 s)",
                "descriptor_net": "descriptor units (displacement over descriptor_lag)",
                "descriptor_path": "descriptor units (path length over descriptor_lag)",
                "descriptor_lag": "s",
                "recur_close": "frame pairs closer than the recurrence radius",
                "recur_pairs": "same-shot frame pairs more than 1 s apart"}

    def events(self) -> dict[str, list[float]]:
        return {}
