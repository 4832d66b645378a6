"""Format invariance of the pressure, wander and focus metrics: the same synthetic content
written at 30 and 15 fps and at 360 and 180 px height measures the same, within the
tolerances stated in docs/metrics.md ("Invariance of pressure, wander and focus")."""

from __future__ import annotations

import math

import arc_clips
import pytest

from hypnoscope.analysis import analyze
from hypnoscope.media import synth
from hypnoscope.metrics import metric_specs, steadiness

#: Absolute tolerance added to the 10 % relative one, by metric unit: the resolution below
#: which a difference is noise (see docs/metrics.md).
ABS_TOL = {"tension units": 0.1, "0..1": 0.05, "s": 0.1, "descriptor units / s": 0.05,
           "events / min": 0.0,
           # tracking residuals of clean, rigid content sit at the codec's noise floor
           "log ratio": 0.3, "px at 180 px height": 0.02}
#: Shape metrics of the arc, compared with an absolute tolerance (they are positions and
#: rank correlations, not magnitudes), and the clips they are compared on: the climax where
#: one stands out, build-up and release where the curve has a trend around it (on a curve
#: that is flat before its climax, build-up is a rank correlation of noise).
SHAPE_TOL = {"climax_position": 0.05, "build_up": 0.1, "release": 0.1}
SHAPE_CLIPS = {"climax_position": {"event", "arc"}, "build_up": {"arc"}, "release": {"arc"}}
REL_TOL = 0.10

#: clip builder, its keyword arguments, and the factors it is checked on.
CLIPS = {
    "event": (arc_clips.event_clip, {"seconds": 5.0, "event_s": 0.8},
              ("pressure", "wander", "focus")),
    "arc": (arc_clips.arc_pan, {"seconds": 5.0}, ("pressure", "wander", "focus")),
    "morph": (arc_clips.morph_clip, {"seconds": 3.0}, ("pressure", "wander", "focus")),
    "pan": (arc_clips.slow_pan, {"seconds": 4.0}, ("pressure", "wander", "focus")),
    # A random walk's tension is a noise-like process that depends on the sampling
    # instants: only its wander metrics, the ones it validates, are compared.
    "walk": (arc_clips.random_walk, {"seconds": 4.0}, ("wander",)),
    "local": (arc_clips.local_motion_clip, {"seconds": 3.0}, ("pressure", "wander", "focus")),
}


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    d = tmp_path_factory.mktemp("arc_invariance")
    out = {}
    for name, (build, kw, _) in CLIPS.items():
        master = build(30, height=360, **kw)
        variants = {"30fps 360px": (master, 30), "15fps 360px": (master[::2], 15),
                    "30fps 180px": (arc_clips.resized(master, 180), 30)}
        out[name] = {k: analyze(synth.write_video(d / f"{name}_{i}.mp4", fr, fps=fps)).metrics
                     for i, (k, (fr, fps)) in enumerate(variants.items())}
    return out


def _close(name: str, unit: str, a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if name in SHAPE_TOL:
        return abs(a - b) <= SHAPE_TOL[name]
    return abs(a - b) <= REL_TOL * max(abs(a), abs(b)) + ABS_TOL.get(unit, 0.0)


@pytest.mark.parametrize("clip", list(CLIPS))
def test_metrics_do_not_depend_on_rate_or_size(measured, clip):
    specs = metric_specs()
    factors = CLIPS[clip][2]
    runs = measured[clip]
    ref_name = "30fps 360px"
    bad = []
    for name, spec in specs.items():
        # steadiness metrics are checked in tests/test_steadiness.py, on the series that
        # hold a level in the clip (the vertical motion of a horizontal pan has none)
        if spec.factor not in factors or name in steadiness.NAMES:
            continue
        if name in SHAPE_TOL and clip not in SHAPE_CLIPS[name]:
            continue
        ref = runs[ref_name][name]
        for variant, metrics in runs.items():
            if variant != ref_name and not _close(name, spec.unit, ref, metrics[name]):
                bad.append(f"{name}: {ref:.3f} at {ref_name}, {metrics[name]:.3f} at {variant}")
    assert not bad, "; ".join(bad)
