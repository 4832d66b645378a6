"""The command line: JSON document, exit codes, version, demo."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from cli_run import run_cli

import hypnoscope


def test_version():
    r = run_cli("--version")
    assert r.returncode == 0
    assert r.stdout.strip() == f"hypnoscope {hypnoscope.__version__}"


@pytest.mark.parametrize("args", [["analyze"], ["analyze", "--nope", "x.mp4"], ["frobnicate"],
                                  ["analyze", "x.mp4", "--height", "0"]])
def test_usage_errors_exit_2(args):
    assert run_cli(*args).returncode == 2


def test_json_document_matches_the_api(pan_clip, tmp_path):
    out = tmp_path / "a.json"
    r = run_cli("analyze", pan_clip, "--json", out)
    assert r.returncode == 0, r.stderr
    assert "motion_energy" in r.stdout  # the summary table
    doc = json.loads(out.read_text())
    a = hypnoscope.analyze(pan_clip)
    assert doc["schema_version"] == hypnoscope.SCHEMA_VERSION
    assert doc["hypnoscope_version"] == hypnoscope.__version__
    assert doc["source"]["frames_decoded"] == a.source.frames_decoded
    assert len(doc["frames"]["t"]) == len(a.times)
    for name, values in doc["series"].items():
        assert len(values) == len(a.times), name
        ref = a.series[name]
        got = np.array([np.nan if v is None else v for v in values])
        assert np.allclose(got, ref, equal_nan=True, atol=1e-5), name
    for name, m in doc["metrics"].items():
        ref = a.metrics[name]
        assert (m["value"] is None and not math.isfinite(ref)) or m["value"] == pytest.approx(
            ref, abs=1e-5)
        assert "unit" in m and "factor" in m
    assert doc["windows"]["length_s"] == 4.0


def test_quiet_prints_nothing_and_no_progress_without_tty(pan_clip):
    r = run_cli("analyze", pan_clip, "--quiet")
    assert r.returncode == 0 and r.stdout == "" and r.stderr == ""
    r = run_cli("analyze", pan_clip)
    assert "━" not in r.stdout.split("\n")[0]  # no progress bar when stdout is not a TTY


def test_several_files_give_a_list(pan_clip, tmp_path):
    out = tmp_path / "two.json"
    r = run_cli("analyze", pan_clip, pan_clip, "--json", out, "--quiet")
    assert r.returncode == 0
    doc = json.loads(out.read_text())
    assert isinstance(doc, list) and len(doc) == 2


def test_demo_shows_the_contrast(tmp_path):
    # speed is measured by the benchmarks, not asserted here; the timeout only stops a hang
    r = run_cli("demo", "--out", tmp_path / "demo", timeout=900)
    assert r.returncode == 0, r.stderr
    hyp = json.loads((tmp_path / "demo" / "hypnotic.json").read_text())
    cam = json.loads((tmp_path / "demo" / "edited_camera.json").read_text())
    assert hyp["events"]["cuts"] == []
    assert len(cam["events"]["cuts"]) == 2
    assert hyp["metrics"]["motion_energy"]["value"] < cam["metrics"]["motion_energy"]["value"]
    assert "hypnotic" in r.stdout and "edited_camera" in r.stdout
    from hypnoscope.scoring.model import load_default_model

    model = load_default_model()
    if model is not None:  # the verdict leads the side-by-side table, before any metric
        head = r.stdout[:r.stdout.index("duration")]
        assert f"{100 * hyp['scores']['ai_likeness']:.0f} %" in head
        assert "AI-likeness" in head and "hypnotic index" in head
        from hypnoscope.report.verdict import verdict_word

        # its words too (a narrow terminal wraps them inside the cell)
        assert all(w in head.split() for w in verdict_word(hyp["scores"]["ai_likeness"]).split())
    if model is not None and model.hypnotic:  # the fitted index tells the two apart
        assert hyp["scores"]["hypnotic_index"] - cam["scores"]["hypnotic_index"] >= 30
