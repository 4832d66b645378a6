"""Pressure and arc: the surprise model, the tension curve and its arc metrics."""

from __future__ import annotations

import arc_clips
import numpy as np
import pytest

from hypnoscope.analysis import analyze
from hypnoscope.media import synth
from hypnoscope.metrics.pressure import (
    SALIENT_PROMINENCE,
    arc_metrics,
    smooth_on_time,
    tension_curve,
)
from hypnoscope.signals.surprise import GammaPoissonSurprise, bayesian_surprise, gamma_kl


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    d = tmp_path_factory.mktemp("pressure")
    out = {}
    for name, frames in {"flat": arc_clips.steady_pan(24),
                         "event": arc_clips.event_clip(24),
                         "arc": arc_clips.arc_pan(24)}.items():
        out[name] = analyze(synth.write_video(d / f"{name}.mp4", frames, fps=24))
    return out


# -- the model --------------------------------------------------------------------------

def test_gamma_kl_is_zero_for_equal_and_positive_otherwise():
    a, b = np.array([3.0, 10.0]), np.array([2.0, 5.0])
    assert np.allclose(gamma_kl(a, b, a, b), 0.0)
    assert np.all(gamma_kl(a + 5, b + 1, a, b) > 0)


def test_surprise_spikes_on_a_change_and_fades_as_the_model_adapts():
    t = np.arange(40) / 8.0
    x = np.where(t[:, None] < 3.0, 100.0, 160.0) * np.ones((1, 10))
    s = bayesian_surprise(t, {"cells": x})
    k = int(np.searchsorted(t, 3.0))
    assert np.nanmax(s) == pytest.approx(s[k])
    assert s[k] > 20 * np.nanmax(s[:k])  # a steady stream is not surprising
    assert s[k + 8] < 0.2 * s[k]  # one second later the new level is expected


def test_surprise_does_not_depend_on_the_sampling_rate():
    # The same step change observed at 8 and at 16 frames per second: the model's state is
    # kept in real time, so the surprise right after the change is the same.
    out = []
    for fps in (8.0, 16.0):
        model = GammaPoissonSurprise()
        t = np.arange(int(4 * fps)) / fps
        vals = []
        for ti in t:
            s = model.update(np.array([50.0 if ti < 2.0 else 90.0]), 1.0 / fps)
            vals.append(np.nan if s is None else float(s[0]))
        out.append(np.interp(2.25, t, vals))
    assert out[1] == pytest.approx(out[0], rel=0.15)


# -- the tension curve ------------------------------------------------------------------

def test_smoothing_uses_real_time_not_frame_count():
    # A 0..1 ramp sampled irregularly (dense in the middle) is smoothed into the same curve
    # as when sampled regularly.
    t1 = np.linspace(0, 10, 81)
    t2 = np.sort(np.concatenate([np.linspace(0, 10, 41), np.linspace(4, 6, 60)]))
    f = lambda t: np.sin(t)  # noqa: E731
    s1 = smooth_on_time(t1, f(t1), 0.25)
    s2 = smooth_on_time(t2, f(t2), 0.25)
    assert np.interp(5.0, t2, s2) == pytest.approx(np.interp(5.0, t1, s1), abs=0.02)


def test_tension_curve_is_a_pure_function_of_time_series():
    t = np.arange(0, 8, 0.125)
    surprise = np.full(len(t), 0.1)
    motion = np.full(len(t), 0.05)
    cut = np.zeros(len(t))
    base = tension_curve(t, surprise, motion, cut)
    assert np.ptp(base) < 1e-6  # constant in, constant out
    cut[32] = 1.0
    with_cut = tension_curve(t, surprise, motion, cut)
    assert int(np.argmax(with_cut)) == 32
    # Re-timing the same frames (twice as slow) moves the peak to the new time.
    slow = tension_curve(2 * t, surprise, motion, cut)
    assert 2 * t[int(np.argmax(slow))] == pytest.approx(8.0)


def test_arc_metrics_read_a_known_curve():
    t = np.arange(0, 10, 0.1)
    rise_fall = np.interp(t, [0, 7.5, 10], [0.2, 2.0, 0.5])
    m = arc_metrics(t, rise_fall, 0.0, 10.0)
    assert m["climax_position"] == pytest.approx(0.75, abs=0.02)
    assert m["build_up"] > 0.95 and m["release"] > 0.95
    assert m["tension_range"] == pytest.approx(np.percentile(rise_fall, 95)
                                               - np.percentile(rise_fall, 5), rel=0.02)
    flat = arc_metrics(t, np.full(len(t), 1.0), 0.0, 10.0)
    assert flat["flatness"] == 1.0 and flat["peak_prominence"] == 0.0
    assert flat["salient_events_per_minute"] == 0.0
    assert np.isnan(flat["climax_position"]) and np.isnan(flat["build_up"])
    assert m["flatness"] < 0.5


# -- synthetic videos with known truth -------------------------------------------------

def test_sudden_event_is_the_climax_and_stands_out(clips):
    flat, event = clips["flat"].metrics, clips["event"].metrics
    assert abs(event["climax_position"] - 0.7) <= 0.1
    assert event["peak_prominence"] >= 3 * flat["peak_prominence"]
    assert event["peak_prominence"] >= SALIENT_PROMINENCE
    assert event["salient_events_per_minute"] > 0 and flat["salient_events_per_minute"] == 0
    peaks = clips["event"].events["peaks"]
    dur = clips["event"].source.duration_s
    assert len(peaks) == 1 and abs(peaks[0] / dur - 0.7) <= 0.1
    assert flat["flatness"] > 0.9
    assert event["tension_range"] > 2 * flat["tension_range"]


def test_setup_and_payoff_is_read_as_build_up_and_release(clips):
    arc, flat = clips["arc"].metrics, clips["flat"].metrics
    assert abs(arc["climax_position"] - 0.75) <= 0.1
    assert arc["build_up"] > 0.8 and arc["release"] > 0.8
    assert arc["flatness"] < flat["flatness"]


def test_series_and_units_are_reported(clips):
    a = clips["event"]
    for name in ("surprise", "tension"):
        assert len(a.series[name]) == len(a.times)
        assert name in a.series_units
    assert np.all(np.isfinite(a.series["tension"]))


def test_mean_tension_rises_with_activity(tmp_path):
    """Known truth: the same pan four times faster carries more motion, so its mean tension
    (the level of the curve) is higher; the shape metrics are not what changes."""
    slow = analyze(synth.write_video(tmp_path / "slow.mp4", arc_clips.steady_pan(24, speed=15),
                                     fps=24), model=None)
    fast = analyze(synth.write_video(tmp_path / "fast.mp4", arc_clips.steady_pan(24, speed=60),
                                     fps=24), model=None)
    assert fast.metrics["tension_mean"] > slow.metrics["tension_mean"] + 0.1
