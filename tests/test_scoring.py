"""Calibration on synthetic signals whose truth is known: training, out-of-source
evaluation, the JSON model, scores, reasons and the scorecard."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from hypnoscope.metrics import SignalSet
from hypnoscope.scoring.compare import (
    cliffs_delta,
    single_metric_auc,
    thesis_scorecard,
    within_source_aucs,
)
from hypnoscope.scoring.evaluate import (
    Scores,
    auc_difference,
    breakdown,
    ece,
    fold_models,
    per_video_weights,
    predict_out_of_source,
    source_learning_curve,
    summarize,
    year_number,
)
from hypnoscope.scoring.features import build_table
from hypnoscope.scoring.model import Model
from hypnoscope.scoring.resample import auc_interval, source_resamples
from hypnoscope.scoring.score import PLAIN_NAMES, score_signals
from hypnoscope.scoring.train import fit_model, weighted_quantiles


def signals(motion: float, seconds: float, rng, fps: float = 8.0, cut_every: float = 0.0):
    t = np.arange(0, seconds, 1 / fps)
    m = np.abs(rng.normal(motion, motion * 0.2, len(t)))
    cut = np.zeros(len(t))
    cuts = []
    if cut_every:
        for c in np.arange(cut_every, seconds, cut_every):
            i = int(np.searchsorted(t, c))
            if i < len(t):
                cut[i] = 1
                cuts.append(float(t[i]))
    series = {"motion": m, "cut": cut, "global_dx": m * 0.5, "global_dy": m * 0.1}
    return SignalSet(t=t, series=series, events={"cuts": cuts}, start=0.0, end=len(t) / fps)


@pytest.fixture(scope="module")
def records():
    """Generated clips move slowly and never cut; camera clips move faster and cut; six
    sources per class with their own offsets so that leave-one-source-out is meaningful."""
    rng = np.random.default_rng(0)
    out = []
    for s in range(6):
        for k in range(5):
            out.append((f"ai{s}_{k}", "ai", f"gen{s}",
                        signals(0.02 * (1 + 0.1 * s), 2.0 + k % 2, rng)))
            out.append((f"cam{s}_{k}", "real", f"cam{s}",
                        signals(0.06 * (1 + 0.1 * s), 4.0 + k, rng, cut_every=1.7)))
    return out


def test_out_of_source_auc_is_high_when_a_metric_separates_the_classes(records):
    table = build_table(records)
    s = summarize(predict_out_of_source(fold_models(table), table))
    assert s["window"]["auc"] > 0.95
    assert s["video"]["auc"] > 0.95
    assert s["video"]["ece"] < 0.2


def test_no_skill_when_the_labels_are_shuffled(records):
    rng = np.random.default_rng(1)
    labels = [r[1] for r in records]
    rng.shuffle(labels)
    shuffled = [(v, lab, "grp" + v[-1], sig) for (v, _, _, sig), lab in zip(records, labels,
                                                                              strict=True)]
    table = build_table(shuffled)
    s = summarize(predict_out_of_source(fold_models(table), table))
    assert 0.25 < s["video"]["auc"] < 0.75


def test_model_roundtrips_through_json_and_scores(records, tmp_path):
    model = fit_model(build_table(records), provenance={"name": "test"})
    path = tmp_path / "m.json"
    model.save(path)
    again = Model.load(path)
    slow = signals(0.02, 3.0, np.random.default_rng(5))
    fast = signals(0.07, 6.0, np.random.default_rng(6), cut_every=1.5)
    s_slow, s_fast = score_signals(slow, again), score_signals(fast, again)
    assert s_slow["status"] == s_fast["status"] == "ok"
    assert s_slow["ai_likeness"] > 0.8 > 0.2 > s_fast["ai_likeness"]
    assert s_slow["hypnotic_index"] > s_fast["hypnotic_index"]
    assert 1 <= len(s_slow["reasons"]) <= 5
    assert all("camera median" in r for r in s_slow["reasons"])
    for d in s_slow["reason_details"]:  # plain words first, then the metric's name
        plain = PLAIN_NAMES[d["metric"]]
        named = (plain if plain == d["metric"].replace("_", " ")
                 else f"{plain} ({d['metric']})")
        assert d["text"].startswith(f"{named} ")
    assert [d["text"] for d in s_slow["reason_details"]] == s_slow["reasons"]
    assert score_signals(slow, model)["ai_likeness"] == pytest.approx(s_slow["ai_likeness"])


def test_too_short_is_insufficient_not_a_score(records):
    model = fit_model(build_table(records))
    tiny = signals(0.02, 0.6, np.random.default_rng(2))
    s = score_signals(tiny, model)
    assert s["status"] == "insufficient"
    assert "ai_likeness" not in s and "window" in s["reason"]


def test_effect_sizes_and_calibration_error():
    a, b = np.arange(10.0) + 100, np.arange(10.0)
    assert cliffs_delta(a, b) == 1.0 and single_metric_auc(a, b) == 1.0
    assert cliffs_delta(b, b) == 0.0
    y = np.array([0, 0, 1, 1])
    assert ece(y, np.array([0.0, 0.0, 1.0, 1.0])) == 0.0
    assert ece(y, np.array([1.0, 1.0, 0.0, 0.0])) == 1.0
    q = weighted_quantiles(np.arange(101.0), np.ones(101), (0, 50, 100))
    assert q == pytest.approx([0, 50, 100], abs=0.6)


def test_scorecard_reads_the_thesis_direction():
    rows = [{"metric": "cuts_per_minute", "factor": "fluidity", "auc": 0.1,
             "cliffs_delta": -0.8, "p_value": 0.001},
            {"metric": "motion_energy", "factor": "pace", "auc": 0.55, "cliffs_delta": 0.1,
             "p_value": 0.5},
            {"metric": "morph_index", "factor": "wander", "auc": 0.2, "cliffs_delta": -0.6,
             "p_value": 0.001}]
    card = {c["claim"]: c for c in thesis_scorecard(rows)}
    # generated video cutting far less than camera footage supports "fluid"
    assert card["fluid"]["verdict"] == "supported (strong)"
    assert card["slow, constant pressure"]["verdict"] == "not supported"
    # generated video morphing *less* than camera footage contradicts the claim
    assert card["wandering, morphing"]["verdict"] == "contradicted"
    assert card["polished"]["verdict"] == "no data"


def test_scorecard_needs_the_source_resampled_interval_to_exclude_chance():
    def card(interval):
        rows = [{"metric": "cuts_per_minute", "factor": "fluidity", "auc": 0.1,
                 "cliffs_delta": -0.8, "p_value": 0.001, "auc_interval": interval}]
        return {c["claim"]: c for c in thesis_scorecard(rows)}["fluid"]

    # the thesis direction of cuts is "fewer": the interval is flipped with the AUC
    sure = card([0.02, 0.3])
    assert sure["evidence"][0]["thesis_auc_interval"] == pytest.approx([0.7, 0.98])
    assert sure["verdict"] == "supported (strong)"
    # a tiny p-value from many videos of few sources is not enough on its own
    assert card([0.02, 0.55])["verdict"] == "not supported"


def test_every_analysis_is_scored_by_the_shipped_model(pan_clip):
    import hypnoscope
    from hypnoscope.scoring.model import load_default_model

    if load_default_model() is None:
        pytest.skip("no model shipped")
    a = hypnoscope.analyze(pan_clip)
    s = a.to_dict()["scores"]
    assert a.scores["ai_likeness"] == s["ai_likeness"]  # the Python API and the JSON agree
    assert hypnoscope.Analysis.from_dict(a.to_dict()).scores["reasons"] == s["reasons"]
    assert s["status"] == "ok"
    assert 0.0 <= s["ai_likeness"] <= 1.0 and 0.0 <= s["hypnotic_index"] <= 100.0
    assert 1 <= len(s["reasons"]) <= 5
    assert set(s["factors"]) >= {"fluidity", "pace", "polish"}
    assert all(0 <= w["ai_likeness"] <= 1 for w in s["windows"])


def test_per_video_weights_make_a_long_video_count_once():
    # video "a" (camera, 1 window, p=0.1), video "b" (camera, 8 windows, p=0.9),
    # video "c" (AI, 1 window, p=0.8)
    video = np.array(["a"] + ["b"] * 8 + ["c"])
    y = np.array([0] * 9 + [1])
    p = np.array([0.1] + [0.9] * 8 + [0.8])
    w = per_video_weights(video)
    assert w.sum() == pytest.approx(3.0)
    # unweighted, the 8 windows of "b" dominate; weighted, each video counts once, exactly
    # as if every video had a single window
    once_y, once_p = np.array([0, 0, 1]), np.array([0.1, 0.9, 0.8])
    assert ece(y, p, weights=w) == pytest.approx(ece(once_y, once_p))
    assert ece(y, p) != pytest.approx(ece(once_y, once_p))
    s = summarize(Scores(y, p, video, np.array(["g"] * 10)))
    assert s["window_per_video"]["auc"] == pytest.approx(0.5)
    assert s["window"]["auc"] == pytest.approx(1 / 9)


def test_within_source_auc_ignores_a_shift_between_sources():
    # Source "s1" films everything brighter than "s2"; inside each, generated clips score 1
    # higher. Pooled, the shift hides part of the difference; inside sources it is perfect.
    # Source "s3" holds only one class and so cannot say anything.
    value = {"m": [10, 11, 12, 13, 0, 1, 2, 3, 5, 6]}
    y = [0, 0, 1, 1, 0, 0, 1, 1, 1, 1]
    src = ["s1"] * 4 + ["s2"] * 4 + ["s3"] * 2
    within = within_source_aucs(value, y, src)["m"]
    assert within == {"s1": 1.0, "s2": 1.0}
    assert single_metric_auc(np.array([12, 13, 2, 3, 5, 6.0]),
                             np.array([10, 11, 0, 1.0])) < 0.8
    flipped = within_source_aucs({"m": [-v for v in value["m"]]}, y, src)["m"]
    assert flipped == {"s1": 0.0, "s2": 0.0}


def test_source_resamples_keep_sources_whole():
    sizes = {"a": 1, "b": 2, "c": 3, "d": 4}
    groups = np.repeat(list(sizes), list(sizes.values()))
    for rows in source_resamples(groups, n=50, seed=3):
        drawn = groups[rows]
        for g, size in sizes.items():
            assert (drawn == g).sum() % size == 0  # a source comes whole, or not at all
        assert len(np.unique(rows)) == sum(sizes[g] for g in np.unique(drawn))


def test_auc_interval_reflects_how_much_the_sources_agree():
    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(12), 10)
    y = np.tile(np.r_[np.zeros(5), np.ones(5)], 12)
    perfect = auc_interval(y, y + 0.0, groups, n=500)
    assert perfect == [1.0, 1.0]
    noise = rng.random(len(y))
    lo, hi = auc_interval(y, noise, groups, n=500)
    assert lo < roc_auc_score(y, noise) < hi
    # each source separates its own videos perfectly, but sources are shifted against each
    # other: how well the pooled scores rank depends on which sources are drawn
    shifted = y * 0.5 + np.repeat(rng.normal(0, 1.0, 12), 10)
    lo, hi = auc_interval(y, shifted, groups, n=500)
    assert lo < roc_auc_score(y, shifted) < hi and hi - lo > 0.1
    assert auc_interval(y, y + 0.0, np.zeros(len(y))) is None  # one source: no interval


def test_auc_difference_between_native_and_copy():
    rng = np.random.default_rng(1)
    groups = np.repeat(np.arange(10).astype(str), 8)
    y = np.tile(np.r_[np.zeros(4), np.ones(4)], 10)
    p = np.clip(0.5 + 0.3 * (y - 0.5) + rng.normal(0, 0.2, len(y)), 0, 1)
    video = np.arange(len(y)).astype(str)
    native = Scores(y, p, video, groups)
    same = auc_difference(native, Scores(y, p.copy(), video, groups))
    assert same["difference"] == 0.0 and same["interval"] == [0.0, 0.0]
    worse = auc_difference(native, Scores(y, 0.5 * p + 0.5 * rng.random(len(y)), video,
                                          groups))
    lo, hi = worse["interval"]
    assert worse["difference"] < 0 and lo < worse["difference"] < hi
    # only the videos both scored count
    fewer = auc_difference(native, Scores(y[:40], p[:40], video[:40], groups[:40]))
    assert fewer["n"] == 40 and fewer["difference"] == pytest.approx(0.0)


def test_source_learning_curve_ends_at_the_leave_one_source_out_figure(records):
    table = build_table(records)
    seen = []
    curve = source_learning_curve(table, sizes=[1, 4, 6, 11, 40], repeats=2,
                                  on_draw=lambda i, n: seen.append((i, n)))
    assert [row["training_sources"] for row in curve] == [4, 6, 11]  # 2..sources-1 only
    assert [row["draws"] for row in curve] == [2, 2, 1]
    assert seen == [(i, 5) for i in range(1, 6)]
    loso = summarize(predict_out_of_source(fold_models(table), table))["video"]["auc"]
    assert curve[-1]["video_auc_mean"] == pytest.approx(loso)
    assert all(row["video_auc_mean"] > 0.9 for row in curve)  # one metric separates


def test_learning_curve_over_generated_groups_always_trains_on_the_others(records,
                                                                         monkeypatch):
    import hypnoscope.scoring.evaluate as ev

    table = build_table(records)
    trained_on = []
    real_fit = ev.fit_model

    def recording_fit(train, **kw):
        trained_on.append(set(np.unique(train.group).tolist()))
        return real_fit(train, **kw)

    monkeypatch.setattr(ev, "fit_model", recording_fit)
    # gen0-gen5 hold the generated clips; gen4 and gen5 count as released in 2024
    years = {v: ("2024" if v.startswith(("ai4", "ai5")) else "2023") for v, *_ in records}
    curve = source_learning_curve(table, sizes=[2, 5], repeats=2, over="generated",
                                  years=years)
    assert [(r["training_sources"], r["draws"]) for r in curve] == [(2, 2), (5, 1)]
    cams = {f"cam{i}" for i in range(6)}
    # 12 groups predicted per draw: two draws of 2 generated groups, then all the others
    assert len(trained_on) == 3 * 12
    for seen in trained_on[:24]:
        held = (cams | {f"gen{i}" for i in range(6)}) - seen
        gens = {g for g in seen if g.startswith("gen")}
        assert len(gens) == 2 and cams - held <= seen  # every camera group but the held one
    for seen in trained_on[24:]:
        assert len(seen) == 11  # leave one group out
    loo = summarize(predict_out_of_source(fold_models(table), table))["video"]["auc"]
    assert curve[-1]["video_auc_mean"] == pytest.approx(loo)
    for row in curve:
        assert 0.0 <= row["false_positive_rate_mean"] <= 0.2  # one metric separates
        assert 0.8 <= row["recent_generated_accuracy_mean"] <= 1.0
    with pytest.raises(ValueError, match="over"):
        source_learning_curve(table, over="camera")


def test_a_free_text_year_column_gives_its_year_or_none():
    assert [year_number(t) for t in ("2024", "2024-25", "c. 2023", " 2025 ")] == [
        2024, 2024, 2023, 2025]
    assert [year_number(t) for t in (None, "", "v2", "12345", "recent")] == [None] * 5


def test_evaluate_refuses_an_unknown_curve_before_any_work(tmp_path):
    from hypnoscope.scoring.run import evaluate

    # the check comes first: the database is not even opened
    with pytest.raises(ValueError, match="curve-over"):
        evaluate(tmp_path / "missing.duckdb", learning_curve=True, curve_over="camera")


def test_every_metric_has_plain_words_for_the_reasons():
    from hypnoscope.metrics import metric_specs

    assert set(PLAIN_NAMES) == set(metric_specs())


def test_false_positive_rate_and_per_group_figures_at_the_threshold():
    # ten videos of one window each: four camera clips (one above the threshold), six
    # generated ones (two below it) in three groups
    y = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1, 1])
    p = np.array([0.1, 0.2, 0.49, 0.5, 0.9, 0.8, 0.3, 0.7, 0.6, 0.4])
    video = np.array([f"v{i}" for i in range(10)])
    group = np.array(["cam", "cam", "cam", "cam", "f1", "f1", "f1", "f2", "f2", "f2"])
    s = summarize(Scores(y, p, video, group), year={"v4": "2024", "v5": "2024",
                                                     "v6": "2023", "v7": "2025"})
    assert s["video"]["false_positive_rate"] == 0.25  # 0.5 counts as called generated
    assert s["video"]["true_positive_rate"] == pytest.approx(4 / 6)
    rows = {r["name"]: r for r in s["per_group"]}
    assert rows["f1"]["accuracy"] == pytest.approx(2 / 3) and rows["f1"]["year"] == "2024"
    assert rows["f2"]["year"] == "2025" and rows["cam"]["year"] is None
    assert rows["cam"]["accuracy"] == 0.75 and rows["cam"]["ai"] == 0
    assert rows["f2"]["mean_p_ai"] == pytest.approx((0.7 + 0.6 + 0.4) / 3)
    # another category of the same videos (e.g. families while folds held out sources)
    by_kind = breakdown(Scores(y, p, video, group), {f"v{i}": "odd" if i % 2 else "even"
                                                     for i in range(10)})
    assert [(r["name"], r["videos"]) for r in by_kind] == [("even", 5), ("odd", 5)]


def test_calibration_refuses_a_class_seen_in_one_group_only(records):
    # the generated clips in one group: no out-of-group prediction of a generated clip
    # exists to calibrate on
    one = [(v, lab, "gen" if lab == "ai" else g, sig) for v, lab, g, sig in records]
    with pytest.raises(ValueError, match="at least two sources of each class"):
        fit_model(build_table(one))
    # in two groups: a model of all of them calibrates, but holding out either group leaves
    # one, so only the camera groups get a fold model
    two = [(v, lab, ("genA" if g < "gen3" else "genB") if lab == "ai" else g, sig)
           for v, lab, g, sig in records]
    fit_model(build_table(two))
    assert sorted(fold_models(build_table(two))) == [f"cam{s}" for s in range(6)]


def _shifted_tables(shift: float, seed: int = 0):
    """A native table where feature ``a`` separates the classes (generated around 2, camera
    around 0, six groups per class, one window per video) and its copy table, the same
    videos with ``a`` raised by ``shift`` (a format that moves the metric) and noise ``b``."""
    from hypnoscope.scoring.features import WindowTable

    rng = np.random.default_rng(seed)
    n = 60
    y = np.array([1, 0] * (n // 2))
    video = np.array([f"v{i}" for i in range(n)], dtype=object)
    group = np.array([f"{'gen' if c else 'cam'}{i % 6}" for i, c in enumerate(y)],
                     dtype=object)
    a = 2.0 * y + rng.normal(0, 1, n) + 5.0
    X = np.column_stack([a, rng.normal(0, 1, n)])
    native = WindowTable(["a", "b"], X, y, video, group, np.zeros(n))
    Xc = X.copy()
    Xc[:, 0] += shift
    return native, WindowTable(["a", "b"], Xc, y, video, group, np.zeros(n))


def test_calibrating_on_copies_makes_a_probability_hold_for_them():
    """A format that raises the separating metric makes a native-only calibration call
    most camera copies generated; calibrating on the copies too brings their false
    positives down, and the regression itself is the same (it never sees a copy)."""
    native, copy = _shifted_tables(shift=1.5)
    plain = fit_model(native, C=1.0)
    aware = fit_model(native, C=1.0, copies={"copy": copy})
    assert aware.coef == plain.coef and aware.intercept == plain.intercept
    assert plain.provenance["calibrated_on"] == ["native"]
    assert aware.provenance["calibrated_on"] == ["native", "copy"]
    Xcam = copy.X[copy.y == 0]
    fpr = [float(np.mean(m.predict_proba(Xcam) >= 0.5)) for m in (plain, aware)]
    assert fpr[1] < fpr[0] - 0.1, fpr


def test_copies_of_videos_the_model_does_not_train_on_are_ignored():
    """A fold's calibration sees only the copies of the videos it trains on: extra copy
    rows of other videos, however extreme, change nothing."""
    from hypnoscope.scoring.features import WindowTable

    native, copy = _shifted_tables(shift=1.0)
    alien = WindowTable(copy.features, copy.X[:10] + 100.0, copy.y[:10],
                        np.array([f"x{i}" for i in range(10)], dtype=object),
                        copy.group[:10], copy.start[:10])
    both = WindowTable(copy.features, np.vstack([copy.X, alien.X]),
                       np.r_[copy.y, alien.y], np.r_[copy.video, alien.video],
                       np.r_[copy.group, alien.group], np.r_[copy.start, alien.start])
    a = fit_model(native, C=1.0, copies={"copy": copy})
    b = fit_model(native, C=1.0, copies={"copy": both})
    assert (a.platt_a, a.platt_b) == (b.platt_a, b.platt_b)
