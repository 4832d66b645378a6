"""Calibration end to end on a small synthetic labelled corpus: ``batch`` → ``train`` →
``analyze --model`` → ``evaluate`` → ``compare --by label``, through the real command line.

Three sources each hold two clips of each class. The generated class is the thesis's
signature (one smooth shot, a continuous morph, no noise, saturated colour) and the camera
class is edited hand-held footage (cuts, shake, sensor noise, muted colour), so the truth
is known: the classes are separable by what hypnoscope measures, while every clip has the
same container, codec, size, rate and length, so a format detector cannot separate them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from cli_run import cli_env, run_cli

from hypnoscope.media import synth

SECONDS, FPS, HEIGHT, WIDTH = 3.0, 12.0, 90, 160
SOURCES = ("gen-a", "gen-b", "gen-c")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, Path]:
    """(database with 12 analysed, labelled clips, one generated clip)."""
    root = tmp_path_factory.mktemp("calib")
    # generator families: fam-x spans the sources gen-a and gen-b, the others are one
    # source's own; a camera clip's family is its source (as in the corpus manifest)
    family = {("gen-a", 0): ("fam-x", "2024"), ("gen-b", 0): ("fam-x", "2024"),
              ("gen-a", 1): ("fam-a", "2023"), ("gen-b", 1): ("fam-b", "2023"),
              ("gen-c", 0): ("fam-c", "2025"), ("gen-c", 1): ("fam-c", "2025")}
    lines = ["path,label,source,family,year"]
    for k, source in enumerate(SOURCES):
        for j in range(2):
            seed = 10 * k + j
            ai = root / f"{source}_ai{j}.mp4"
            synth.write_video(ai, synth.hypnotic_clip(SECONDS, FPS, HEIGHT, WIDTH, seed=seed),
                              fps=FPS)
            cam = root / f"{source}_cam{j}.mp4"
            synth.write_video(cam, synth.edited_camera_clip(SECONDS, FPS, HEIGHT, WIDTH,
                                                            seed=seed + 100), fps=FPS)
            fam, year = family[source, j]
            lines += [f"{ai},ai,{source},{fam},{year}", f"{cam},real,{source},{source},"]
    listing = root / "list.csv"
    listing.write_text("\n".join(lines) + "\n")
    db = root / "r.duckdb"
    proc = run_cli("batch", str(listing), "--db", str(db), "--workers", "2", timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return db, root / "gen-a_ai0.mp4"


@pytest.fixture(scope="module")
def trained(corpus, tmp_path_factory) -> Path:
    model = tmp_path_factory.mktemp("model") / "mine.json"
    proc = run_cli("train", "--db", str(corpus[0]), "--out", str(model))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return model


def test_trained_model_scores_analyze(corpus, trained, tmp_path):
    db, clip = corpus
    model = trained
    doc = json.loads(model.read_text())
    assert doc["provenance"]["n_videos"] == 12
    # the calibration saw every clip's common-format copies as well
    assert doc["provenance"]["calibrated_on"] == ["native", "h264-240p-8fps", "gif-240p-8fps"]
    out = tmp_path / "a.json"
    proc = run_cli("analyze", str(clip), "--model", str(model), "--json", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    scores = json.loads(out.read_text())["scores"]
    assert scores["model"] == "mine"
    assert scores["ai_likeness"] > 0.5  # a clip of the generated class


@pytest.mark.parametrize("content,cause", [(None, "model file not found"),
                                           ("{not json", "not a usable model file"),
                                           ('{"format": "other"}', "not a usable model file")])
def test_bad_model_file_is_one_clear_line(corpus, tmp_path, content, cause):
    model = tmp_path / "bad.json"
    if content is not None:
        model.write_text(content)
    proc = run_cli("analyze", str(corpus[1]), "--model", str(model))
    assert proc.returncode == 2
    assert cause in proc.stderr and "bad.json" in proc.stderr


def test_evaluate_separates_known_classes_and_leaves_no_copies_behind(corpus, tmp_path):
    db, _ = corpus
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    out = tmp_path / "eval.json"
    proc = run_cli("evaluate", "--db", db, "--json", out, "--markdown", tmp_path / "eval.md",
                   "--learning-curve", "--curve-over", "generated",
                   env=cli_env(TMPDIR=str(tmp)), timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    res = json.loads(out.read_text())
    assert res["n_videos"] == 12 and res["n_sources"] == 3 and res["group_by"] == "source"
    assert res["calibrated_on"] == ["native", "h264-240p-8fps", "gif-240p-8fps"]
    assert res["native"]["video"]["auc"] >= 0.9
    # each source holds two clips of each class: the model ranks them inside every source
    assert [r["auc"] for r in res["native"]["per_group"]] == [1.0, 1.0, 1.0]
    # the generator families, each predicted without its source, with their year
    fams = {r["name"]: (r["videos"], r["ai"], r["year"]) for r in res["native"]["per_family"]}
    assert fams["fam-x"] == (2, 2, "2024") and fams["fam-c"] == (2, 2, "2025")
    assert fams["gen-a"] == (2, 0, None)
    # with three sources the curve is one point: two sources trained on, as in the folds
    assert [(r["training_sources"], r["draws"]) for r in res["learning_curve"]] == [(2, 1)]
    assert res["learning_curve"][0]["video_auc_mean"] == res["native"]["video"]["auc"]
    # every source holds generated clips, so drawing only those is the same curve; it also
    # says how many camera clips and how many 2024+ generated clips were called generated
    assert res["learning_curve_over"] == "generated"
    row = res["learning_curve"][0]
    assert 0.0 <= row["false_positive_rate_mean"] <= 1.0
    assert 0.0 <= row["recent_generated_accuracy_mean"] <= 1.0
    assert "of generated clips trained on" in (tmp_path / "eval.md").read_text()
    # one format for both classes: what metadata alone can do is no better than chance
    assert res["metadata_baseline"]["auc"] <= 0.65
    for fmt in ("h264-240p-8fps", "gif-240p-8fps"):
        copy = res["transcoded"][fmt]
        assert copy["failed"] == [] and copy["video"]["n"] == 12
        assert copy["video"]["auc"] >= 0.9
    assert "| native | video | 12 |" in (tmp_path / "eval.md").read_text()
    assert os.listdir(tmp) == []  # the temporary copies are removed


def test_evaluate_holds_out_generator_families(corpus, tmp_path):
    db, _ = corpus
    out = tmp_path / "fam.json"
    proc = run_cli("evaluate", "--db", db, "--group-by", "family", "--no-transcode",
                   "--json", out, "--markdown", tmp_path / "fam.md", timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    res = json.loads(out.read_text())
    assert res["procedure"] == "leave one family out" and res["group_by"] == "family"
    # fam-x spans two sources and is held out whole: seven groups, not three
    assert res["n_groups"] == 7 and res["n_sources"] == 3
    rows = {r["name"]: r for r in res["native"]["per_group"]}
    assert sorted(rows) == ["fam-a", "fam-b", "fam-c", "fam-x", "gen-a", "gen-b", "gen-c"]
    assert (rows["fam-x"]["videos"], rows["fam-x"]["year"]) == (2, "2024")
    assert "per_family" not in res["native"]  # it is the per-group table
    # the false-positive rate is the share of camera videos at or above the threshold
    videos = res["native"]["videos"]
    cams = [v["p_ai"] for v in videos if v["ai"] == 0]
    assert len(videos) == 12 and {v["group"] for v in videos} == set(rows)
    fpr = res["native"]["video"]["false_positive_rate"]
    assert fpr == sum(p >= res["native"]["threshold"] for p in cams) / len(cams)
    for name, r in rows.items():
        mine = [v for v in videos if v["group"] == name]
        right = [(v["p_ai"] >= 0.5) == (v["ai"] == 1) for v in mine]
        assert r["accuracy"] == sum(right) / len(right)
    md = (tmp_path / "fam.md").read_text()
    assert "| fam-x | 2024 | 2 | 2 |" in md and "families" in md
    # a column no video has is one clear line
    proc = run_cli("evaluate", "--db", db, "--group-by", "lineage", "--no-transcode")
    assert proc.returncode == 1 and "no labelled video has a 'lineage' column" in proc.stderr


def test_compare_scorecard_finds_the_built_in_signature(corpus, tmp_path):
    db, _ = corpus
    out = tmp_path / "cmp.json"
    proc = run_cli("compare", "--db", str(db), "--by", "label", "--json", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    res = json.loads(out.read_text())
    by = {m["metric"]: m for m in res["metrics"]}
    # built in: saturated colour and no noise in the generated class, cuts in the camera one
    assert by["saturation"]["median_ai"] > by["saturation"]["median_real"]
    assert by["cuts_per_minute"]["median_ai"] < by["cuts_per_minute"]["median_real"]
    assert by["noise_sigma"]["median_ai"] < by["noise_sigma"]["median_real"]
    # every source separates the classes by saturation: so does every resample of sources
    assert by["saturation"]["auc"] == 1.0 and by["saturation"]["auc_interval"] == [1.0, 1.0]
    polished = next(c for c in res["scorecard"] if c["claim"] == "polished")
    evidence = {e["metric"]: e["thesis_auc"] for e in polished["evidence"]}
    assert evidence["saturation"] == 1.0 and polished["best"]["thesis_auc"] == 1.0
    # six clips a side cannot pass the Bonferroni-corrected test (the smallest two-sided
    # Mann-Whitney p at 6 vs 6 is 2/924, times every metric): the verdict stays cautious
    assert polished["verdict"] == "not supported"


def test_too_little_labelled_data_is_one_clear_line(tmp_path):
    clip = tmp_path / "a.mp4"
    synth.write_video(clip, synth.hypnotic_clip(SECONDS, FPS, HEIGHT, WIDTH, seed=5), fps=FPS)
    listing = tmp_path / "list.csv"
    listing.write_text(f"path,label,source\n{clip},ai,g1\n")
    db = tmp_path / "one.duckdb"
    assert run_cli("batch", listing, "--db", db, "--workers", "1").returncode == 0
    for args, cause in [(("train",), "training needs windows of both classes"),
                        (("evaluate", "--no-transcode"), "evaluation needs labelled windows "
                                                         "of both classes"),
                        (("compare", "--by", "label"), "needs videos in both groups, found "
                                                       "1 'ai', 0 'real'")]:
        proc = run_cli(*args, "--db", db)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert cause in proc.stderr and str(db) in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1


def test_an_unknown_learning_curve_is_one_clear_line_before_any_work(tmp_path):
    out = tmp_path / "eval.json"
    proc = run_cli("evaluate", "--db", tmp_path / "none.duckdb", "--learning-curve",
                   "--curve-over", "camera", "--json", out)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "--curve-over must be one of groups, generated, not 'camera'" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and not out.exists()


def test_evaluate_judges_a_given_model_as_it_is(corpus, trained, tmp_path):
    out = tmp_path / "held_out.json"
    proc = run_cli("evaluate", "--db", corpus[0], "--model", trained, "--no-transcode",
                   "--json", out)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    res = json.loads(out.read_text())
    assert res["procedure"] == "the model 'mine' as trained"
    assert res["native"]["video"]["n"] == 12 and res["native"]["video"]["auc"] == 1.0
    # a given model is never refitted, so there is no curve to draw
    proc = run_cli("evaluate", "--db", corpus[0], "--model", trained, "--learning-curve")
    assert proc.returncode == 1 and "cannot judge a given model" in proc.stderr


def test_a_copy_that_fails_is_one_line_naming_the_file(capsys):
    from hypnoscope.cli.scoring import _copy_failures

    _copy_failures({"gif-240p-8fps": ["clips/b.mp4: Invalid data found\nwhen processing input"],
                    "h264-240p-8fps": []})
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["gif-240p-8fps copy skipped: clips/b.mp4: Invalid data found when "
                   "processing input"]
