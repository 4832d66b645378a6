"""Bayesian surprise per frame, and the tension curve built on it.

How unexpected is frame t given the recent past? In the spirit of Itti and Baldi's Bayesian
surprise ("A principled approach to detecting surprising events in video", CVPR 2005), every
feature of the frame is treated as a Poisson rate with a Gamma prior that slowly forgets;
surprise is the KL divergence between the posterior after seeing the frame and the prior
before it (nats). Features are cheap and shared with other extractors: the gray levels of a
9 x 16 grid of cells, the optical-flow speed of a 6 x 8 grid of cells (in % of the frame
diagonal per second, compressed logarithmically above 10 %/s) and the 16-bin hue histogram
(in %).

Time is handled so that the signal does not depend on the frame rate: the prior forgets with
a time constant in seconds, each frame updates it with an exposure proportional to its real
duration, and the surprise of a frame is the KL divergence caused by one observation of a
fixed canonical length (1/8 s). The tension curve itself is computed by the pure function
:func:`hypnoscope.metrics.pressure.tension_curve`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from scipy.special import digamma, gammaln

from hypnoscope.signals.context import FrameContext

#: Canonical observation length, s: one frame of the default 8 fps analysis rate.
UNIT_S = 0.125
#: Memory of the prior, s (it forgets with exp(-dt / MEMORY_S)).
MEMORY_S = 0.5
#: No surprise is reported for this long after the first frame, s: the prior starts from a
#: single frame and needs about this long to learn how the scene varies.
WARMUP_S = 0.5
#: Added to every feature so that a zero count still has a proper Gamma posterior.
COUNT_FLOOR = 0.5
#: Flow speeds (% of the diagonal per s) count linearly up to about this value and
#: logarithmically above it: perceived speed grows with the ratio, and the flow of a fast
#: small object is erratic (it depends on which frames catch it), so that a Poisson model of
#: raw speeds would turn one lucky flow estimate into a huge surprise.
FLOW_KNEE = 10.0


def gamma_kl(a1: np.ndarray, b1: np.ndarray, a0: np.ndarray, b0: np.ndarray) -> np.ndarray:
    """KL( Gamma(a1, b1) || Gamma(a0, b0) ) element-wise, nats (shape a, rate b)."""
    return ((a1 - a0) * digamma(a1) - gammaln(a1) + gammaln(a0)
            + a0 * (np.log(b1) - np.log(b0)) + a1 * (b0 - b1) / b1)


class GammaPoissonSurprise:
    """One Gamma–Poisson model per feature with forgetting in real time.

    ``update(x, dt)`` takes the feature vector of a frame (non-negative counts) and the time
    since the previous update (s); it returns the per-feature surprise of that frame (nats),
    or None for the first frame, which only initialises the prior.
    """

    def __init__(self, memory_s: float = MEMORY_S, unit_s: float = UNIT_S,
                 floor: float = COUNT_FLOOR):
        self.memory_s, self.unit_s, self.floor = memory_s, unit_s, floor
        self.alpha: np.ndarray | None = None
        self.beta: np.ndarray | None = None

    def update(self, x: np.ndarray, dt: float) -> np.ndarray | None:
        x = np.asarray(x, dtype=np.float64) + self.floor
        if self.alpha is None or self.alpha.shape != x.shape or not dt > 0:
            # Start at the steady state of a stream that has always looked like this frame.
            self.beta = np.full_like(x, self.memory_s / self.unit_s)
            self.alpha = x * self.beta
            return None
        keep = np.exp(-dt / self.memory_s)
        a0, b0 = self.alpha * keep, self.beta * keep  # the prior before this frame
        surprise = gamma_kl(a0 + x, b0 + 1.0, a0, b0)
        exposure = dt / self.unit_s
        self.alpha, self.beta = a0 + exposure * x, b0 + exposure
        return surprise


class FrameSurprise:
    """One :class:`GammaPoissonSurprise` per feature group; ``update(groups, dt)`` returns
    the frame's surprise: the mean KL over the features of each group, summed over the
    groups (nats), or nan when no group has a prior yet."""

    def __init__(self, memory_s: float = MEMORY_S, unit_s: float = UNIT_S):
        self.memory_s, self.unit_s = memory_s, unit_s
        self._models: dict[str, GammaPoissonSurprise] = {}

    def update(self, groups: Mapping[str, np.ndarray], dt: float) -> float:
        total, seen = 0.0, False
        for name, x in groups.items():
            model = self._models.get(name)
            if model is None:
                model = self._models[name] = GammaPoissonSurprise(self.memory_s, self.unit_s)
            s = model.update(x, dt)
            if s is not None:
                total += float(s.mean())
                seen = True
        return total if seen else float("nan")


def bayesian_surprise(t: np.ndarray, groups: Mapping[str, np.ndarray],
                      memory_s: float = MEMORY_S, unit_s: float = UNIT_S) -> np.ndarray:
    """Pure version of the model: per-frame surprise (nats) of feature groups observed at
    times ``t`` (s); each group is a (frames x features) array of non-negative counts, with
    nan rows where a group is not observed. Frames in the first :data:`WARMUP_S` are nan."""
    t = np.asarray(t, dtype=float)
    model = FrameSurprise(memory_s, unit_s)
    out = np.full(len(t), np.nan)
    for i in range(len(t)):
        dt = t[i] - t[i - 1] if i else float("nan")
        frame = {k: np.asarray(v[i], dtype=float) for k, v in groups.items()}
        out[i] = model.update({k: x for k, x in frame.items() if np.all(np.isfinite(x))}, dt)
    out[t - t[0] < WARMUP_S - 1e-6] = np.nan
    return out


def frame_features(ctx: FrameContext) -> dict[str, np.ndarray]:
    """The feature groups of one frame as Poisson counts: gray cell levels (0..255), flow
    cell speeds (% of the diagonal per s, compressed logarithmically above
    :data:`FLOW_KNEE`; absent for the first frame) and hue shares (%)."""
    groups = {"gray": ctx.gray_thumb.ravel()}
    hist = ctx.hsv_hist.reshape(16, 4, 4).sum(axis=(1, 2))
    groups["hue"] = 100.0 * hist
    if ctx.flow_cells is not None and ctx.dt > 0:
        speed = 100.0 * ctx.flow_cells.ravel() / (ctx.diagonal * ctx.dt)
        groups["flow"] = FLOW_KNEE * np.log1p(speed / FLOW_KNEE)
    return groups


class SurpriseExtractor:
    """Per-frame Bayesian surprise and the smoothed tension curve (surprise + activity +
    cut impulses); events ``peaks`` are the salient tension peaks.

    ``cut_source`` is the extractor whose ``series()["cut"]`` marks shot cuts (the cut
    detector decides only once the whole video is seen); without it, tension has no cut
    impulses.
    """

    name = "surprise"

    def __init__(self, cut_source=None, memory_s: float = MEMORY_S):
        self.cut_source = cut_source
        self.memory_s = memory_s
        self._model = FrameSurprise(memory_s)
        self._t: list[float] = []
        self._surprise: list[float] = []
        self._motion: list[float] = []
        self._last_t: float | None = None
        self._t0: float | None = None
        self._tension_cache: np.ndarray | None = None

    def update(self, ctx: FrameContext) -> None:
        self._t.append(ctx.t)
        if ctx.is_duplicate:  # a repeated frame carries no news and no motion
            self._surprise.append(np.nan)
            self._motion.append(np.nan)
            return
        dt = ctx.t - self._last_t if self._last_t is not None else float("nan")
        self._last_t = ctx.t
        if self._t0 is None:
            self._t0 = ctx.t
        s = self._model.update(frame_features(ctx), dt)
        self._surprise.append(s if ctx.t - self._t0 >= WARMUP_S - 1e-6 else np.nan)
        if ctx.flow_cells is not None and ctx.dt > 0:
            self._motion.append(float(ctx.flow_cells.mean()) / (ctx.diagonal * ctx.dt))
        else:
            self._motion.append(np.nan)

    def _cut(self) -> np.ndarray:
        if self.cut_source is not None:
            cut = self.cut_source.series().get("cut")
            if cut is not None and len(cut) == len(self._t):
                return np.asarray(cut, dtype=float)
        return np.zeros(len(self._t))

    def _tension(self) -> np.ndarray:
        from hypnoscope.metrics.pressure import tension_curve
        if self._tension_cache is None or len(self._tension_cache) != len(self._t):
            self._tension_cache = tension_curve(np.asarray(self._t), np.asarray(self._surprise),
                                                np.asarray(self._motion), self._cut())
        return self._tension_cache

    def series(self) -> dict[str, np.ndarray]:
        return {"surprise": np.asarray(self._surprise, dtype=float),
                "tension": self._tension()}

    def units(self) -> dict[str, str]:
        return {"surprise": "nats (per 1/8 s observation, summed over feature groups)",
                "tension": "tension units (1 = a reference level, see docs/metrics.md)"}

    def events(self) -> dict[str, list[float]]:
        from hypnoscope.metrics.pressure import tension_peaks
        t = np.asarray(self._t)
        if len(t) < 2:
            return {"peaks": []}
        return {"peaks": [float(x) for x in tension_peaks(t, self._tension())]}
