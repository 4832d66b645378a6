"""Intent: arcs, the intent gap, and steering a clip toward an arc (measured, not guessed)."""

from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction

import av
import numpy as np
import pytest

import hypnoscope
from hypnoscope.intent import ArcError, gap_from_curve, load_arc
from hypnoscope.intent.arcs import PRESETS, arc_from_points
from hypnoscope.intent.gap import AMPLITUDE_REF, shape_gap
from hypnoscope.intent.measure import load_source, measure_plan, output_sources
from hypnoscope.intent.plan import Limits, PlanParams, identity_plan
from hypnoscope.media import synth

FPS = 12
SECONDS = 4.0


def event_frames(at: float, seconds: float = SECONDS, fps: int = FPS) -> list[np.ndarray]:
    """A slow pan over a texture with one sudden burst (a bright disc crossing the frame in
    0.5 s) starting at ``at`` of the clip."""
    n = int(seconds * fps)
    canvas = synth.texture(180, 320 + n + 16, seed=5, scale=5.0)
    frames = synth.pan(canvas, n, 0.5, height=180, width=320)
    return synth.with_event(frames, int(round(at * n)), fps // 2)


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    d = tmp_path_factory.mktemp("intent")
    return {"event30": synth.write_video(d / "event30.mp4", event_frames(0.3), fps=FPS),
            "dir": d}


@pytest.fixture(scope="module")
def steered(clips):
    """The 30 % event clip steered toward setup-payoff."""
    out = clips["dir"] / "steered.mp4"
    return hypnoscope.steer(clips["event30"], "setup-payoff", out,
                            plan_out=clips["dir"] / "plan.json")


# -- arcs ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", [*PRESETS, "pulse:2.0", "pulse"])
def test_presets_are_levels_in_0_1(name):
    arc = load_arc(name)
    x = np.linspace(0, 1, 101)
    y = arc.level_at(x, 10.0)
    assert y.min() >= 0 and y.max() <= 1
    pts = arc.points(10.0)
    assert len(pts) >= 2 and all(0 <= f <= 1 and 0 <= v <= 1 for f, v in pts)


def test_preset_shapes():
    x = np.linspace(0, 1, 401)
    sp = load_arc("setup-payoff").level_at(x)
    assert abs(x[np.argmax(sp)] - 0.75) < 0.02 and sp[-1] < 0.5 * sp.max()
    assert np.all(np.diff(load_arc("slow-burn").level_at(x)) >= 0)
    tw = load_arc("twist").level_at(x)
    assert abs(x[np.argmax(tw)] - 0.85) < 0.02 and np.ptp(tw[x < 0.7]) < 1e-9
    beats = load_arc("pulse:2").curve(np.arange(0, 10, 0.01), 10.0)
    peaks = np.flatnonzero((beats[1:-1] > beats[:-2]) & (beats[1:-1] >= beats[2:])) + 1
    assert np.allclose(np.diff(peaks * 0.01), 2.0, atol=0.02)


def test_custom_arcs_from_json_and_csv(tmp_path):
    (tmp_path / "a.json").write_text("[[0, 0.2], [0.5, 1.0], [1, 0]]")
    (tmp_path / "b.json").write_text('{"name": "mine", "points": [[0, 0], [1, 1]]}')
    (tmp_path / "c.csv").write_text("# my arc\ntime,level\n0,0.1\n0.6,0.9\n\n1.0,0.3\n")
    a = load_arc(str(tmp_path / "a.json"))
    assert a.level_at(0.25) == pytest.approx(0.6)
    assert load_arc(tmp_path / "b.json").name == "mine"
    c = load_arc(str(tmp_path / "c.csv"))
    assert c.fractions == (0.0, 0.6, 1.0) and c.levels == (0.1, 0.9, 0.3)


BAD_ARCS = {
    "empty.json": ("[]", "no points"),
    "empty_obj.json": ('{"points": []}', "no points"),
    "empty_file.json": ("", "empty"),
    "one.json": ("[[0.5, 0.5]]", "at least 2 points"),
    "order.json": ("[[0, 0], [0.6, 1], [0.4, 0.5]]", "must increase"),
    "level.json": ("[[0, 0], [1, 1.5]]", "outside 0..1"),
    "time.json": ("[[0, 0], [1.2, 0.5]]", "outside 0..1"),
    "malformed.json": ("[[0, 0], [1, 1", "malformed JSON"),
    "pair.json": ("[[0, 0, 1], [1, 1]]", "pair"),
    "text.json": ('[["a", 0], [1, 1]]', "not two numbers"),
    "bad.csv": ("0,0\n0.5;1\n1,1\n", "line 2"),
    "nan.csv": ("0,0\n0.5,nan\n1,1\n", "not finite"),
}


@pytest.mark.parametrize("name", sorted(BAD_ARCS))
def test_invalid_arcs_get_a_clear_one_line_error(tmp_path, name):
    text, words = BAD_ARCS[name]
    p = tmp_path / name
    p.write_text(text)
    with pytest.raises(ArcError) as e:
        load_arc(str(p))
    msg = str(e.value)
    assert words in msg and "\n" not in msg and str(p) in msg


@pytest.mark.parametrize("spec,words", [("bogus", "unknown arc"), ("pulse:abc", "pulse period"),
                                        ("pulse:0", "at least"), ("missing.json", "not found")])
def test_invalid_arc_names(spec, words):
    with pytest.raises(ArcError, match=words):
        load_arc(spec)


def test_cli_rejects_a_bad_arc_with_one_line(clips, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("[[0, 0], [0.5")
    for cmd in (["analyze", str(clips["event30"]), "--arc", str(bad), "-q"],
                ["steer", str(clips["event30"]), "--arc", str(bad), "-o",
                 str(tmp_path / "x.mp4")]):
        r = subprocess.run([sys.executable, "-m", "hypnoscope", *cmd], capture_output=True,
                           text=True, timeout=120)
        assert r.returncode in (1, 2)
        lines = [x for x in r.stderr.splitlines() if x.strip()]
        assert len(lines) == 1 and "malformed JSON" in lines[0]
    assert not (tmp_path / "x.mp4").exists()


# -- the gap ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["setup-payoff", "slow-burn", "twist", "pulse:1.5"])
def test_gap_is_zero_for_the_arc_shape_and_high_for_its_reverse(name):
    arc = load_arc(name)
    t = np.arange(0, 8, 0.125)
    own = arc.curve(t, 8.0)
    amp = 1.5 * AMPLITUDE_REF / np.ptp(own)  # the swing of edited camera footage
    assert gap_from_curve(t, 1.0 + amp * own, 8.0, arc).score < 2
    assert gap_from_curve(t, 3.0 - amp * own, 8.0, arc).score > 90


def test_gap_ignores_level_and_scale_above_the_amplitude_of_edited_footage():
    rng = np.random.default_rng(1)
    t = np.arange(0, 6, 0.125)
    x = np.convolve(rng.random(len(t) + 8), np.ones(9) / 9, "valid")
    x = 2.0 * AMPLITUDE_REF * x / np.ptp(x)
    base = gap_from_curve(t, x, 6.0, "setup-payoff").score
    for a, b in ((1.0, 0.0), (3.0, 5.0), (2.0, -0.3)):
        assert gap_from_curve(t, a * x + b, 6.0, "setup-payoff").score == pytest.approx(base)
    assert 0 < base < 100


@pytest.mark.parametrize("name", ["setup-payoff", "slow-burn", "twist"])
def test_a_near_flat_curve_cannot_match_an_arc(name):
    """The arc's own shape at the amplitude of a single generated shot (0.5 units) scores a
    large gap; the same shape at the amplitude of edited camera footage scores a small one."""
    arc = load_arc(name)
    t = np.arange(0, 6, 0.125)
    own = arc.curve(t, 6.0)
    shape = (own - own.min()) / np.ptp(own)
    flat = gap_from_curve(t, 2.0 + 0.5 * shape, 6.0, arc)
    edited = gap_from_curve(t, 2.0 + 1.2 * AMPLITUDE_REF * shape, 6.0, arc)
    assert flat.score > 35 and edited.score < 5
    assert flat.differences[0].kind == "small_arc" and "faint" in flat.differences[0].text


def test_the_amplitude_reference_is_derived_from_camera_footage():
    from importlib import resources
    doc = json.loads(resources.files("hypnoscope.intent").joinpath(
        "data/amplitude.json").read_text())
    assert "amplitude_reference.py" in doc["command"] and doc["edited_clips"] >= 10
    assert AMPLITUDE_REF == doc["edited_quartiles"][0]
    assert doc["single_quartiles"][1] < AMPLITUDE_REF  # a single shot rarely swings that much


def test_gap_scale_is_correlation_with_a_floor_for_imperceptible_curves():
    a = 4.0 * np.sin(np.linspace(0, 3, 50))  # a swing like edited footage's
    assert shape_gap(a, a)[0] == pytest.approx(0.0, abs=1e-9)
    assert shape_gap(-a, a)[0] == pytest.approx(100.0, abs=1e-9)
    assert shape_gap(np.ones(50), a)[0] == 50.0
    # a shape too small to be felt counts for little: 0.01 units of range
    assert shape_gap(0.0025 * a, a)[0] > 45


def test_flat_arc_gap():
    t = np.arange(0, 8, 0.125)
    steady = gap_from_curve(t, np.full(len(t), 2.0), 8.0, "flat")
    assert steady.score == 0 and not steady.differences
    bump = 2.0 + 1.5 * np.exp(-0.5 * ((t - 3.0) / 0.4) ** 2)
    g = gap_from_curve(t, bump, 8.0, "flat")
    assert 5 < g.score < 30
    assert any(d.start_s <= 3.0 <= d.end_s + 0.1 for d in g.differences)


def test_differences_name_the_missing_climax_and_the_stray_peak():
    t = np.arange(0, 8, 0.125)
    early = 1.0 + 2.0 * np.exp(-0.5 * ((t - 2.4) / 0.4) ** 2)  # a peak at 30 %
    g = gap_from_curve(t, early, 8.0, "setup-payoff")
    texts = " | ".join(d.text for d in g.differences)
    missing = [d for d in g.differences if d.kind == "missing_peak"]
    assert missing and missing[0].start_s < 6.0 < missing[0].end_s
    assert "no peak where the climax should be" in texts
    assert any(d.kind in ("misplaced_climax", "extra_peak") and abs(d.start_s - 2.4) < 0.2
               for d in g.differences)
    assert g.score > 50


# -- plans -----------------------------------------------------------------------------------

def test_plans_never_reorder_and_account_for_every_second():
    p = PlanParams(speeds=(0.5, 1.0, 2.0, 4.0), cuts=((0.3, 0.2),), hold_at=0.8,
                   hold_len=0.1)
    plan = p.build(10.0)
    # four 2.5 s stretches; the second loses 3..5 s to the jump cut; a 1 s hold
    expect = 2.5 / 0.5 + 0.5 / 1.0 + 2.5 / 2.0 + 2.5 / 4.0 + 1.0
    assert plan.output_duration == pytest.approx(expect)
    s = plan.source_time(np.linspace(0, plan.output_duration, 500))
    assert np.all(np.diff(s) >= -1e-9)
    assert plan.jump_cuts()[0]["source_start_s"] == pytest.approx(3.0)
    assert plan.jump_cuts()[0]["source_end_s"] == pytest.approx(5.0)
    assert plan.holds()[0]["duration_s"] == pytest.approx(1.0)
    assert identity_plan(10.0).distance_from_identity() == 0.0
    assert plan.distance_from_identity() > 0.05


def test_limits_are_checked():
    with pytest.raises(ValueError):
        Limits(min_duration=1.2)
    with pytest.raises(ValueError):
        Limits(max_speed=0.5)


def test_in_memory_measure_is_the_model(clips):
    """The edited sequence measured in memory is what analyze measures on the file."""
    a = hypnoscope.analyze(clips["event30"], model=None)
    src = load_source(clips["event30"])
    m = measure_plan(identity_plan(src.duration_s), src)
    assert np.allclose(m.t, a.times)
    assert np.allclose(m.tension, a.series["tension"], atol=1e-9)


# -- steering --------------------------------------------------------------------------------

def test_steering_moves_the_climax_to_the_arc(steered):
    after = steered.analysis_after
    before_climax = hypnoscope.analyze(steered.source, model=None).metrics["climax_position"]
    assert abs(before_climax - 0.3) < 0.15  # the event really is early
    assert abs(after.metrics["climax_position"] - 0.75) <= 0.1
    assert steered.gap_after.score < 0.6 * steered.gap_before.score


def test_steered_output_decodes_fully_and_matches_the_plan(steered):
    plan, render = steered.plan, steered.render
    f = steered.analysis_after.source
    assert f.frames_failed == 0 and f.frames_decoded == render["frames"]
    assert render["frames"] == render["planned_frames"]
    assert abs(f.duration_s - plan.output_duration) <= 1.0 / render["fps"] + 1e-6
    assert (f.width, f.height) == (320, 180) and f.codec == "h264"
    src_s = plan.source_duration
    assert 0.6 * src_s - 1e-6 <= plan.output_duration <= 1.5 * src_s + 1e-6
    assert all(0.25 - 1e-9 <= s.speed <= 4 + 1e-9 for s in plan.segments if s.kind == "play")


def test_plan_json_is_an_edit_decision_list(steered):
    doc = json.loads(open(steered.plan_path).read())
    assert doc["gap"]["before"] == pytest.approx(steered.gap_before.score, abs=0.01)
    assert doc["gap"]["after"] == pytest.approx(steered.gap_after.score, abs=0.01)
    assert doc["limits"] == {"min_duration": 0.6, "max_duration": 1.5, "min_speed": 0.25,
                             "max_speed": 4.0}
    segs = doc["segments"]
    assert segs[0]["output_start_s"] == 0
    for a, b in zip(segs[:-1], segs[1:], strict=True):
        assert b["output_start_s"] == pytest.approx(a["output_end_s"], abs=1e-3)
        assert b["source_start_s"] >= a["source_end_s"] - 1e-3  # nothing reordered
    assert doc["arc"]["name"] == "setup-payoff" and len(doc["arc"]["points"]) >= 2


def test_a_clip_asked_for_its_own_arc_keeps_its_shape(clips, tmp_path):
    """Ask for the clip's own measured arc: its shape is already there; only its amplitude,
    below edited footage's, leaves a gap. Steering may amplify it, never bend it."""
    a = hypnoscope.analyze(clips["event30"], model=None)
    t, y = a.times / a.source.duration_s, a.series["tension"]
    own = arc_from_points(list(zip(t, (y - y.min()) / np.ptp(y), strict=True)), "own")
    r = hypnoscope.steer(clips["event30"], own, tmp_path / "same.mp4", max_evals=40)
    assert r.gap_before.correlation > 0.98
    assert r.gap_before.tension_range < AMPLITUDE_REF  # the whole gap is the faint swing
    assert r.gap_after.score <= r.gap_before.score + 1
    assert r.gap_after.correlation > 0.9


def test_audio_is_retimed_in_sync(clips, tmp_path):
    """A tone that is loud during the event stays with the event after steering."""
    src = tmp_path / "with_audio.mp4"
    frames = event_frames(0.3)
    rate = 16000
    t = np.arange(int(SECONDS * rate)) / rate
    ev0, ev1 = round(0.3 * len(frames)) / FPS, round(0.3 * len(frames)) / FPS + 0.5
    loud = ((t >= ev0) & (t < ev1)).astype(np.float32)
    tone = (0.05 + 0.45 * loud) * np.sin(2 * np.pi * 440 * t).astype(np.float32)
    with av.open(str(src), "w") as c:
        vs = c.add_stream("libx264", rate=FPS)
        vs.width, vs.height, vs.pix_fmt = 320, 180, "yuv420p"
        a_s = c.add_stream("aac", rate=rate)
        a_s.layout = "mono"
        for f in frames:
            for p in vs.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
                c.mux(p)
        for p in vs.encode():
            c.mux(p)
        for i in range(0, len(t), 1024):
            fr = av.AudioFrame.from_ndarray(tone[None, i:i + 1024].astype(np.float32),
                                            format="fltp", layout="mono")
            fr.sample_rate, fr.pts, fr.time_base = rate, i, Fraction(1, rate)
            for p in a_s.encode(fr):
                c.mux(p)
        for p in a_s.encode(None):
            c.mux(p)
    r = hypnoscope.steer(src, "setup-payoff", tmp_path / "with_audio_out.mp4", max_evals=40)
    assert r.render["audio"] == "kept, re-timed"
    with av.open(str(r.output)) as c:
        chunks = [f.to_ndarray().mean(axis=0) for f in c.decode(c.streams.audio[0])]
        out_rate = c.streams.audio[0].rate
    y = np.concatenate(chunks)
    assert abs(len(y) / out_rate - r.render["duration_s"]) < 0.1
    env = np.sqrt(np.convolve(y ** 2, np.ones(800) / 800, "same"))
    ts = np.arange(len(env)) / out_rate
    src_t = r.plan.source_time(ts)
    shown = (src_t >= ev0 + 0.05) & (src_t < ev1 - 0.05)
    quiet = (src_t < ev0 - 0.1) | (src_t > ev1 + 0.1)
    assert shown.any() and quiet.any()
    assert np.median(env[shown]) > 3 * np.median(env[quiet])


def test_analyze_cli_adds_the_intent_to_the_json(clips, tmp_path):
    out = tmp_path / "a.json"
    r = subprocess.run([sys.executable, "-m", "hypnoscope", "analyze", str(clips["event30"]),
                        "--arc", "setup-payoff", "--json", str(out)], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "intent gap" in r.stdout
    doc = json.loads(out.read_text())
    intent = doc["intent"]
    assert 0 <= intent["gap"] <= 100 and intent["arc"]["name"] == "setup-payoff"
    assert [0.75, 1.0] in intent["arc"]["points"]
    a = hypnoscope.analyze(clips["event30"], model=None)
    assert intent["gap"] == pytest.approx(hypnoscope.intent_gap(a, "setup-payoff").score,
                                          abs=0.01)


def test_steer_cli_writes_the_clip_and_the_plan(clips, tmp_path):
    out = tmp_path / "cli.mp4"
    r = subprocess.run([sys.executable, "-m", "hypnoscope", "steer", str(clips["event30"]),
                        "--arc", "twist", "-o", str(out), "--max-evals", "12"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "intent gap before:" in r.stdout and "after:" in r.stdout
    doc = json.loads((tmp_path / "cli.plan.json").read_text())
    assert doc["output"] == str(out) and out.stat().st_size > 0
    assert doc["search"]["evaluations"] <= 12


def test_holds_and_slowed_frames_decode_exactly_repeated(clips, tmp_path):
    """A hold written to H.264 is still a hold: its frames decode identical but for stray
    pixels, as the search measured them (a plain lossy repeat differs by about a gray level
    and can read as change; the analysis calls a frame a repeat below 0.5 levels)."""
    from hypnoscope.intent.render import write_edit

    src = load_source(clips["event30"])
    plan = PlanParams(speeds=(0.5, 1.0, 1.0, 1.0), hold_at=0.5, hold_len=0.1).build(
        src.duration_s)
    out = tmp_path / "hold.mp4"
    info = write_edit(plan, src, clips["event30"], out)
    with av.open(str(out)) as c:
        frames = [f.to_ndarray(format="gray") for f in c.decode(c.streams.video[0])]
    assert len(frames) == info["frames"]
    same_src = np.diff(output_sources(plan, src)) == 0
    diffs = np.array([np.abs(a.astype(int) - b).mean() for a, b in zip(frames[:-1], frames[1:],
                                                                      strict=True)])
    assert same_src.sum() >= 0.1 * SECONDS * FPS  # the hold and the slowed stretch
    assert np.all(diffs[same_src] < 0.01) and np.median(diffs[same_src]) == 0
    assert np.all(diffs[~same_src] > 0)
