"""The hypnotic index (fitted, non-negative in the thesis's direction, placed against both
reference classes) and reasons that quote what the report shows, on synthetic data whose
truth is known."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from test_scoring import signals

from hypnoscope.metrics import compute_metrics
from hypnoscope.report.numbers import fmt
from hypnoscope.scoring.features import WindowTable, build_table, window_metric_rows
from hypnoscope.scoring.index import fit_index, hypnotic_index, video_indices
from hypnoscope.scoring.model import Model
from hypnoscope.scoring.score import direction_agrees, reasons, score_signals
from hypnoscope.scoring.thesis import DIRECTION
from hypnoscope.scoring.train import fit_model


@pytest.fixture(scope="module")
def records():
    """Generated clips move slowly and never cut; camera clips move faster and cut."""
    rng = np.random.default_rng(0)
    out = []
    for s in range(6):
        for k in range(5):
            out.append((f"ai{s}_{k}", "ai", f"gen{s}",
                        signals(0.02 * (1 + 0.1 * s), 2.0 + k % 2, rng)))
            out.append((f"cam{s}_{k}", "real", f"cam{s}",
                        signals(0.06 * (1 + 0.1 * s), 4.0 + k, rng, cut_every=1.7)))
    return out


@pytest.fixture(scope="module")
def model(records):
    return fit_model(build_table(records), provenance={"name": "test"})


def window_table(n_videos: int = 40, seed: int = 0) -> WindowTable:
    """Three windows per video. ``motion_energy`` (thesis: lower is more hypnotic) is lower
    in generated videos, as the thesis says; ``morph_index`` (thesis: higher) is also lower
    in generated videos, against the thesis; ``saturation`` is noise."""
    rng = np.random.default_rng(seed)
    rows, y, video, group = [], [], [], []
    for v in range(n_videos):
        c = v % 2
        for _ in range(3):
            rows.append([rng.normal(0.05 - 0.03 * c, 0.008),
                         rng.normal(0.4 - 0.2 * c, 0.05), rng.uniform(0.2, 0.6)])
            y.append(c)
            video.append(f"v{v}")
            group.append(f"g{v % 8}")
    n = len(y)
    return WindowTable(["motion_energy", "morph_index", "saturation"], np.array(rows), np.array(y),
                       np.array(video, object), np.array(group, object), np.zeros(n))


def test_index_weights_only_what_the_footage_shows_in_the_thesis_direction():
    assert DIRECTION["motion_energy"] < 0 < DIRECTION["morph_index"]
    table = window_table()
    spec = fit_index(table)
    w = dict(zip(spec["metrics"], spec["weight"], strict=True))
    assert w["motion_energy"] > 0.1  # slower generated clips: the thesis holds, it counts
    assert w["morph_index"] == 0.0   # contradicted by the footage: it cannot count
    assert all(x >= 0 for x in spec["weight"])
    idx = video_indices(spec, table, np.ones(len(table.y), bool))
    gen = [idx[f"v{v}"] for v in range(40) if v % 2]
    cam = [idx[f"v{v}"] for v in range(40) if not v % 2]
    assert min(gen) >= max(cam)  # the classes never overlap (they meet at 50)
    # the scale: mean of the percentiles among camera and among generated references
    assert np.median(cam) == pytest.approx(25, abs=8)
    assert np.median(gen) == pytest.approx(75, abs=8)
    assert all(0 <= x <= 100 for x in idx.values())
    # a window with unseen extremes lands at the ends of the scale
    assert hypnotic_index(spec, [{"motion_energy": 1e-4, "morph_index": 0.3}]) == 100.0
    assert hypnotic_index(spec, [{"motion_energy": 0.5, "morph_index": 0.3}]) == 0.0


def test_index_is_empty_without_both_classes_and_never_reads_metadata():
    table = window_table()
    assert fit_index(table.subset(table.y == 1)) == {}
    meta = dataclasses.replace(table, features=["motion_energy", "duplicate_ratio",
                                                "saturation"])
    assert "duplicate_ratio" not in fit_index(meta).get("metrics", [])


def test_index_is_stored_in_the_model_file(model, tmp_path):
    assert model.hypnotic["metrics"] and len(model.hypnotic["weight"]) == len(
        model.hypnotic["metrics"])
    model.save(tmp_path / "m.json")
    again = Model.load(tmp_path / "m.json")
    clip = signals(0.02, 3.0, np.random.default_rng(5))
    assert score_signals(clip, again)["hypnotic_index"] == pytest.approx(
        score_signals(clip, model)["hypnotic_index"])
    # a model file written before the index was fitted still scores
    old = dataclasses.replace(again, hypnotic={})
    assert 0 <= score_signals(clip, old)["hypnotic_index"] <= 100


def burst_clip() -> object:
    """6 s of slow motion whose last 1.5 s move ten times faster: the median over 1.5 s
    windows and the whole-clip value of motion metrics differ."""
    sig = signals(0.02, 6.0, np.random.default_rng(5))
    sig.series["motion"][-12:] *= 10
    return sig


def test_reasons_quote_the_report_or_say_they_are_window_medians(model):
    sig = burst_clip()
    whole = compute_metrics(sig)  # the report's metric table
    rows = window_metric_rows(sig, model.window_s, model.hop_s)
    s = score_signals(sig, model, whole=whole)
    assert s["reason_details"]
    differing = 0
    for d in s["reason_details"]:
        name, text = d["metric"], d["text"]
        median = float(np.nanmedian([m[name] for _, _, m in rows]))
        assert d["value"] == pytest.approx(median)
        assert d["whole_clip"] == pytest.approx(whole[name])
        if fmt(median) == fmt(whole[name]):
            assert f" {fmt(whole[name])}" in text
        else:
            differing += 1
            assert "median of its 1.5 s windows" in text
            assert f"whole clip {fmt(whole[name])}" in text
    assert differing  # the burst makes at least one reason's window median differ
    # the whole-clip values are computed when not given
    assert score_signals(sig, model)["reasons"] == s["reasons"]


def test_no_reason_points_against_the_reference_medians(model):
    sig = burst_clip()
    median = {k: float(np.nanmedian([m[k] for _, _, m in window_metric_rows(sig)]))
              for k in model.features}
    given = {d["metric"] for d in reasons(median, model, k=len(model.features))}
    assert "motion_energy" in given and direction_agrees("motion_energy", model)
    # flip the coefficient of motion_energy: the model now says "faster is generated",
    # while the reference medians say generated clips are slower
    i = model.features.index("motion_energy")
    assert model.reference_median("motion_energy", "ai") < model.reference_median(
        "motion_energy", "real")
    coef = list(model.coef)
    coef[i] = -coef[i]
    flipped = dataclasses.replace(model, coef=coef)
    assert not direction_agrees("motion_energy", flipped)
    details = reasons(median, flipped, k=len(model.features))
    assert "motion_energy" not in {d["metric"] for d in details}
    z = flipped.transform(np.array([[median[f] for f in flipped.features]]))[0]
    for d in details:  # each reason points where the reference medians point
        j = flipped.features.index(d["metric"])
        higher_is_ai = (flipped.reference_median(d["metric"], "ai")
                        > flipped.reference_median(d["metric"], "real"))
        toward_ai = "points to generated" in d["text"]
        assert toward_ai == (d["log_odds"] > 0) == ((z[j] > 0) == higher_is_ai)


def test_index_out_of_group_comes_from_models_that_never_saw_the_group():
    from types import SimpleNamespace

    from hypnoscope.scoring.index import index_summary, out_of_group_indices

    table = window_table()
    models = {g: SimpleNamespace(hypnotic=fit_index(table.subset(table.group != g)))
              for g in np.unique(table.group)}
    idx = out_of_group_indices(models, table)
    assert set(idx) == set(table.video)
    # a model whose weights came from its own group would give the same numbers only by chance
    own = video_indices(fit_index(table), table, table.group == "g0")
    assert any(idx[v] != pytest.approx(own[v]) for v in own)
    label = {f"v{v}": ("ai" if v % 2 else ("real" if v % 4 else "human_cgi"))
             for v in range(40)}
    group = dict(zip(table.video, table.group, strict=True))
    s = index_summary(idx, label, group)
    assert s["n"] == 40 and s["vs_camera"]["n"] == 30
    assert s["vs_camera"]["auc"] > 0.95 and s["vs_camera_and_human"]["auc"] > 0.95
    lo, hi = s["vs_camera"]["auc_interval"]
    assert lo <= s["vs_camera"]["auc"] <= hi
    assert s["median"]["ai"] > 50 > s["median"]["real"]
