"""Editing many clips into one piece toward an arc: synthetic shots whose tension is known."""

from __future__ import annotations

import json

import av
import numpy as np
import opentimelineio as otio
import pytest
from cli_run import run_cli
from scipy.stats import spearmanr

import hypnoscope
from hypnoscope.intent.assemble import Assembler
from hypnoscope.intent.edit_search import EditSearch, naive_edit, run_search
from hypnoscope.intent.editor import load_clips
from hypnoscope.media import synth

FPS = 12
H, W = 180, 320


def drift(seed: int, seconds: float, speed: float, n_extra: int = 0) -> list[np.ndarray]:
    """A pan of ``speed`` px per frame over its own texture (its own look: cuts between two
    of them are cuts)."""
    n = int(round(seconds * FPS))
    canvas = synth.texture(H + 8, W + int(abs(speed) * n) + 16 + n_extra, seed=seed,
                           scale=4.0 + seed % 3)
    return synth.pan(canvas, n, speed, height=H, width=W)


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    """Three calm drifts and one shot with a sudden event in its middle."""
    d = tmp_path_factory.mktemp("edit")
    paths = {}
    for k in range(3):
        paths[f"calm{k}"] = synth.write_video(d / f"calm{k}.mp4", drift(10 + k, 3.0, 0.3),
                                              fps=FPS)
    n = int(3.0 * FPS)
    paths["event"] = synth.write_video(
        d / "event.mp4", synth.with_event(drift(20, 3.0, 0.3), n // 2 - 3, FPS // 2), fps=FPS)
    paths["dir"] = d
    return paths


@pytest.fixture(scope="module")
def edited(shots):
    """The shots (event first) edited toward setup-payoff."""
    order = [shots["event"], shots["calm0"], shots["calm1"], shots["calm2"]]
    out = shots["dir"] / "piece.mp4"
    return hypnoscope.edit(order, "setup-payoff", out, plan_out=shots["dir"] / "piece.json",
                           otio_out=shots["dir"] / "piece.otio", max_evals=30)


def own_peak(path) -> float:
    a = hypnoscope.analyze(path, model=None)
    return float(a.times[int(np.nanargmax(a.series["tension"]))])


def test_setup_payoff_puts_the_event_at_the_climax_after_calm_shots(shots, edited):
    plan = edited.plan
    event = plan.paths.index(str(shots["event"]))
    peak = own_peak(shots["event"])
    starts = plan.starts()
    hits = [i for i, s in enumerate(plan.shots)
            if s.clip == event and s.src_in <= peak <= s.src_out]
    assert hits, f"the event is not in the piece: {plan.lines()}"
    i = hits[0]
    s = plan.shots[i]
    at = starts[i] + (peak - s.src_in) / s.speed
    assert abs(at / plan.output_duration - 0.75) <= 0.1, plan.lines()
    assert i > 0 and all(plan.shots[j].clip != event for j in range(i)), plan.lines()
    assert edited.gap_after.score < edited.gap_naive.score


def test_slow_burn_orders_shots_by_rising_activity(tmp_path):
    speeds = [6.0, 0.2, 2.5, 1.0]  # given out of order
    paths = [synth.write_video(tmp_path / f"v{k}.mp4", drift(30 + k, 2.5, v), fps=FPS)
             for k, v in enumerate(speeds)]
    r = hypnoscope.edit(paths, "slow-burn", tmp_path / "burn.mp4", max_evals=30)
    activity = [speeds[s.clip] for s in r.plan.shots]
    rho = spearmanr(np.arange(len(activity)), activity).statistic
    assert rho > 0.7, r.plan.lines()
    assert r.gap_after.score < r.gap_naive.score


def test_the_same_inputs_give_the_same_plan(shots):
    paths = [shots["calm0"], shots["event"], shots["calm1"]]
    clips, canvas, _ = load_clips(paths)
    plans = []
    for _ in range(2):
        s = EditSearch(Assembler(clips, canvas), hypnoscope.load_arc("twist"), 4.0,
                       max_evals=8, seed=3)
        r = run_search(s, naive_edit([c.duration for c in clips], paths).shots)
        plans.append(r.best.edl.to_dict())
    assert plans[0] == plans[1]


def test_the_piece_decodes_fully_and_matches_the_plan(edited):
    with av.open(edited.output) as c:
        st = c.streams.video[0]
        n = sum(1 for _ in c.decode(st))
        assert (st.codec_context.name, st.width, st.height) == ("h264", W, H)
    assert n == edited.render["frames"] == int(round(edited.plan.output_duration * FPS))
    a = edited.analysis_after
    assert a.source.frames_failed == 0
    assert abs(a.source.duration_s - edited.plan.output_duration) <= 1.5 / FPS
    # the in-memory measurement is what the written file measures
    assert abs(edited.gap_after.score - edited.gap_predicted.score) < 3


def test_plan_json_is_an_edit_decision_list(edited):
    doc = json.loads(open(edited.plan_path).read())
    rows = doc["edit_decision_list"]["shots"]
    assert len(rows) == len(edited.plan.shots)
    t = 0.0
    for row, s in zip(rows, edited.plan.shots, strict=True):
        assert row["source"] == edited.plan.paths[s.clip]
        assert row["output_in_s"] == pytest.approx(t, abs=1e-3)
        assert row["source_out_s"] - row["source_in_s"] == pytest.approx(
            (row["output_out_s"] - row["output_in_s"] - row["hold_s"]) * row["speed"], abs=2e-3)
        t = row["output_out_s"]
    assert doc["gap"]["naive_concatenation"] == pytest.approx(edited.gap_naive.score, abs=0.01)


def test_otio_timeline_references_the_clips_with_the_planned_in_and_out(edited):
    tl = otio.adapters.read_from_file(edited.otio_path)
    clips = [c for c in tl.find_clips() if "hold_s" not in c.metadata["hypnoscope"]]
    assert len(clips) == len(edited.plan.shots)
    for c, s in zip(clips, edited.plan.shots, strict=True):
        ref = c.media_reference
        assert ref.target_url.endswith(edited.plan.paths[s.clip].split("/")[-1])
        assert ref.target_url.startswith("file://")
        r = c.source_range
        assert r.start_time.to_seconds() == pytest.approx(s.src_in, abs=1e-3)
        speed = next((e.time_scalar for e in c.effects
                      if isinstance(e, otio.schema.LinearTimeWarp)), 1.0)
        assert speed == pytest.approx(s.speed)
        assert r.start_time.to_seconds() + r.duration.to_seconds() * speed == pytest.approx(
            s.src_out, abs=1e-3)
    assert tl.duration().to_seconds() == pytest.approx(edited.plan.output_duration, abs=1e-3)


def test_sizes_rates_and_rotations_are_normalised(shots, tmp_path):
    portrait = [np.ascontiguousarray(np.rot90(f)) for f in drift(41, 2.0, 1.0)]
    rotated = synth.write_video(tmp_path / "rotated.mp4", drift(42, 2.0, 1.0), fps=FPS,
                                rotation=90)
    small = synth.write_video(tmp_path / "small.mp4",
                              [f[::2, ::2].copy() for f in drift(43, 2.0, 2.0)], fps=15)
    tall = synth.write_video(tmp_path / "tall.mp4", portrait, fps=25)
    paths = [shots["calm0"], shots["calm1"], rotated, small, tall]
    r = hypnoscope.edit(paths, "setup-payoff", tmp_path / "mixed.mp4", max_evals=6)
    assert (r.canvas.width, r.canvas.height, r.canvas.fps) == (W, H, FPS)
    with av.open(r.output) as c:
        assert sum(1 for _ in c.decode(video=0)) == r.render["frames"]


def test_steer_writes_an_otio_timeline(shots, tmp_path):
    r = hypnoscope.steer(shots["event"], "setup-payoff", tmp_path / "s.mp4",
                         otio_out=tmp_path / "s.otio", max_evals=10)
    tl = otio.adapters.read_from_file(r.otio_path)
    assert tl.duration().to_seconds() == pytest.approx(r.plan.output_duration, abs=0.05)
    for c in tl.find_clips():
        assert c.media_reference.target_url.endswith("event.mp4")


def test_cli_edit_skips_a_broken_clip_and_refuses_a_single_one(shots, tmp_path):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 8)
    out = tmp_path / "cli.mp4"
    p = run_cli("edit", str(shots["calm0"]), str(broken), str(shots["event"]), "--arc",
                "twist", "-o", str(out), "--max-evals", "4", "--quiet")
    assert p.returncode == 0, p.stderr
    notes = [ln for ln in p.stderr.splitlines() if "broken.mp4" in ln]
    assert len(notes) == 1 and notes[0].startswith("note: skipped")
    assert out.exists() and out.with_suffix(".otio").exists()
    assert out.with_suffix(".plan.json").exists()
    assert "naive concatenation" in p.stdout
    p = run_cli("edit", str(shots["calm0"]), str(broken), "--arc", "twist", "-o",
                str(tmp_path / "one.mp4"))
    assert p.returncode == 1 and "at least two usable clips" in p.stderr
    assert len(p.stderr.strip().splitlines()) == 2  # the notice and the error
    assert not (tmp_path / "one.mp4").exists()
    p = run_cli("edit", str(shots["calm0"]), "--arc", "twist", "-o", str(tmp_path / "x.mp4"))
    assert p.returncode == 2 and "at least two clips" in p.stderr
    p = run_cli("edit", str(shots["calm0"]), str(shots["calm1"]), "--arc", "nope", "-o",
                str(tmp_path / "x.mp4"))
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1


def write_with_tone(path, frames, amp: float, rate: int, layout: str) -> str:
    """``frames`` at FPS with a 440 Hz tone of amplitude ``amp`` all along."""
    from fractions import Fraction
    n = int(len(frames) / FPS * rate)
    tone = (amp * np.sin(2 * np.pi * 440 * np.arange(n) / rate)).astype(np.float32)
    chans = 1 if layout == "mono" else 2
    with av.open(str(path), "w") as c:
        vs = c.add_stream("libx264", rate=FPS)
        vs.width, vs.height, vs.pix_fmt = W, H, "yuv420p"
        a_s = c.add_stream("aac", rate=rate)
        a_s.layout = layout
        for f in frames:
            for p in vs.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
                c.mux(p)
        for p in vs.encode():
            c.mux(p)
        for i in range(0, n, 1024):
            block = np.repeat(tone[None, i:i + 1024], chans, axis=0)
            fr = av.AudioFrame.from_ndarray(np.ascontiguousarray(block), format="fltp",
                                            layout=layout)
            fr.sample_rate, fr.pts, fr.time_base = rate, i, Fraction(1, rate)
            for p in a_s.encode(fr):
                c.mux(p)
        for p in a_s.encode(None):
            c.mux(p)
    return str(path)


def test_audio_is_kept_per_shot_or_dropped_with_a_notice(tmp_path, shots):
    amps = [0.02, 0.1, 0.4]
    paths = [write_with_tone(tmp_path / f"a{k}.mp4", drift(50 + k, 2.5, 0.5 + k), a,
                             rate, layout)
             for k, (a, rate, layout) in enumerate(zip(amps, (16000, 22050, 16000),
                                                       ("mono", "stereo", "mono"),
                                                       strict=True))]
    r = hypnoscope.edit(paths, "slow-burn", tmp_path / "tones.mp4", max_evals=6)
    assert r.render["audio"].startswith("kept")
    with av.open(r.output) as c:
        y = np.concatenate([f.to_ndarray().mean(axis=0) for f in c.decode(audio=0)])
        rate = c.streams.audio[0].rate
    assert abs(len(y) / rate - r.render["duration_s"]) < 0.1
    for s, start in zip(r.plan.shots, r.plan.starts(), strict=True):
        a, b = int((start + 0.1) * rate), int((start + s.play_s - 0.1) * rate)
        if b - a > rate // 10:
            level = np.sqrt(np.mean(y[a:b] ** 2)) * np.sqrt(2)
            assert level == pytest.approx(amps[s.clip], rel=0.35), (s, level)
    notes = []
    r = hypnoscope.edit([paths[0], shots["calm0"]], "twist", tmp_path / "mixed.mp4",
                        max_evals=4, keep_order=True, on_notice=notes.append)
    assert r.render["audio"].startswith("dropped") and any("audio" in n for n in notes)
