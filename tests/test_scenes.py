"""``hypnoscope scenes``: the shot list printed and written as PySceneDetect's CSV, an
OpenTimelineIO timeline and JSON with source frames."""

from __future__ import annotations

import csv
import json

import opentimelineio as otio
import pytest
from cli_run import run_cli

from hypnoscope.media import synth
from hypnoscope.metrics.scenes import scene_list

FPS = 25


@pytest.fixture(scope="module")
def edited(tmp_path_factory):
    """Three slow pans: a hard cut at frame 60, then a fade to black and back whose black
    frame is 109 (fade out over 100..108, fade in over 110..118)."""
    d = tmp_path_factory.mktemp("scenes")
    shots = [synth.pan(synth.texture(180, 320 + 200, seed=s, scale=3.0 + s,
                                     saturation=0.3 + 0.2 * s), n, 0.5)
             for s, n in enumerate((60, 49, 71))]
    black = [shots[0][0] * 0]
    frames = (shots[0] + synth.fade(shots[1], 9, level=0, out=True) + black
              + synth.fade(shots[2], 9, level=0, out=False))
    return synth.write_video(d / "edited.mp4", frames, fps=FPS), len(frames)


def test_scenes_writes_csv_otio_and_json(edited, tmp_path):
    path, n = edited
    r = run_cli("scenes", path, "--csv", tmp_path / "s.csv", "--otio", tmp_path / "s.otio",
                "--json", tmp_path / "s.json")
    assert r.returncode == 0, r.stderr
    assert "1 cuts, 1 gradual transitions (fade_through_black)" in " ".join(r.stdout.split())
    doc = json.loads((tmp_path / "s.json").read_text())
    assert doc["frames"] == n and [c["frame"] for c in doc["cuts"]] == [60]
    (tr,) = doc["transitions"]
    assert tr["kind"] == "fade_through_black" and tr["middle_frame"] == 109
    assert [(s["start_frame"], s["end_frame"]) for s in doc["scenes"]] == [
        (0, 60), (60, 109), (109, n)]

    rows = list(csv.reader((tmp_path / "s.csv").read_text().splitlines()))
    assert rows[0] == ["Timecode List:", "00:00:02.400", "00:00:04.360"]
    assert rows[1][:5] == ["Scene Number", "Start Frame", "Start Timecode",
                           "Start Time (seconds)", "End Frame"]
    # PySceneDetect's convention: 1-based start frame, inclusive end frame
    assert rows[2][:2] == ["1", "1"] and rows[2][4] == "60" and rows[3][1] == "61"
    assert rows[-1][4] == str(n)

    timeline = otio.adapters.read_from_file(str(tmp_path / "s.otio"))
    (track,) = timeline.tracks
    clips = list(track.find_clips())
    assert [c.source_range.start_time.to_frames() for c in clips] == [0, 60, 109]
    assert [c.source_range.duration.to_frames() for c in clips] == [60, 49, n - 109]
    assert clips[0].source_range.start_time.rate == pytest.approx(FPS)
    assert clips[1].media_reference.target_url.endswith("edited.mp4")
    assert [m.name for m in track.markers] == ["fade_through_black"]


def test_scenes_leads_with_the_verdict_and_cuts_only_finds_the_same_shots(edited, tmp_path):
    path, _ = edited
    full = run_cli("scenes", path, "--json", tmp_path / "full.json")
    fast = run_cli("scenes", path, "--cuts-only", "--json", tmp_path / "fast.json")
    assert full.returncode == 0 and fast.returncode == 0, full.stderr + fast.stderr
    # the verdict comes before the shot list; --cuts-only has none
    out = full.stdout
    assert "AI-likeness" in out and out.index("AI-likeness") < out.index("starts with")
    assert "AI-likeness" not in fast.stdout
    doc, quick = (json.loads((tmp_path / n).read_text()) for n in ("full.json", "fast.json"))
    assert list(doc)[:2] == ["video", "scores"] and "scores" not in quick
    assert 0.0 <= doc["scores"]["ai_likeness"] <= 1.0
    assert 0.0 <= doc["scores"]["hypnotic_index"] <= 100.0
    # the whole analysis runs the same shot detector: the same shots, frame for frame
    for key in ("cuts", "transitions", "scenes", "frames"):
        assert doc[key] == quick[key], key


def test_scenes_bad_file_one_line_and_nothing_written(tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video at all")
    r = run_cli("scenes", bad, "--csv", tmp_path / "out.csv")
    assert r.returncode == 1
    assert len(r.stderr.strip().splitlines()) == 1 and "bad.mp4" in r.stderr
    assert not (tmp_path / "out.csv").exists()


def test_scene_list_from_boundaries():
    shots = {"cuts": [{"time_s": 1.0, "frame": 25}],
             "transitions": [{"start_s": 2.0, "end_s": 3.0, "start_frame": 50,
                              "end_frame": 75, "kind": "dissolve"}]}
    scenes = scene_list(shots, 100, 4.0, 25.0)
    assert [(s.start_frame, s.end_frame, s.starts_with) for s in scenes] == [
        (0, 25, "start"), (25, 63, "cut"), (63, 100, "dissolve")]
    assert scenes[-1].end_s == 4.0 and scenes[1].start_s == 1.0
