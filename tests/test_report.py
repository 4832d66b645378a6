"""HTML reports: self-contained, escaped, generic over what was measured, and readable in a
real browser (headless Chromium, skipped when absent)."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from cli_run import run_cli

import hypnoscope
from hypnoscope.analysis import Analysis
from hypnoscope.media import synth
from hypnoscope.metrics import metric_specs
from hypnoscope.report.html import render_clip_report, render_compare_report
from hypnoscope.report.stats import auc, cliffs_delta, compare_groups, groups_from_rows

EVIL_DIR = "<script>alert(1)<"          # with the file below: .../<script>alert(1)</script>.mp4
EVIL_FILE = "script>.mp4"
EVIL_NAME = "<img src=x onerror=alert(1)>&amp;.mp4"
EVIL_TITLE = '<script>alert("title")</script> & <b>bold</b>'




def with_title(src: Path, dst: Path, title: str) -> Path:
    """A copy of ``src`` (remuxed, not re-encoded) whose container title tag is ``title``."""
    import av

    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        out.metadata["title"] = title
        s_in = inp.streams.video[0]
        s_out = out.add_stream_from_template(s_in)
        for packet in inp.demux(s_in):
            if packet.dts is None:
                continue
            packet.stream = s_out
            out.mux(packet)
    return dst


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> dict[str, Path]:
    """4 s, 320x180: an edited camera-like clip (two cuts, jitter, noise, an event), a
    hypnotic one (one shot, slow drift, morph), and the camera clip under hostile names."""
    d = tmp_path_factory.mktemp("report")
    cam = Path(synth.write_video(d / "camera.mp4", synth.edited_camera_clip(
        seconds=4, fps=12, height=180, width=320), fps=12))
    hyp = Path(synth.write_video(d / "hypnotic.mp4", synth.hypnotic_clip(
        seconds=4, fps=12, height=180, width=320), fps=12))
    (d / EVIL_DIR).mkdir()
    evil_path = with_title(cam, d / EVIL_DIR / EVIL_FILE, EVIL_TITLE)
    evil_name = d / EVIL_NAME
    shutil.copy(evil_path, evil_name)
    return {"camera": cam, "hypnotic": hyp, "evil_path": evil_path, "evil_name": evil_name}


@pytest.fixture(scope="module")
def analyses(clips) -> dict[str, Analysis]:
    # uncalibrated on purpose: the tests below add their own scores where they need them
    return {k: hypnoscope.analyze(p, model=None) for k, p in clips.items()}


SCORES = {
    "ai_likeness": 0.91, "hypnotic_index": 78.0,
    "reasons": ["no cut in 4.0 s; camera footage cuts every 3.1 s (median)",
                "<i>tension</i> curve flat & even"],
    "factors": {"pace": {"value": 0.1, "pct_real": 85, "pct_ai": 45},
                "fluidity": {"value": 1.2, "pct_real": 97, "pct_ai": 60}},
}


# -- what the page contains ----------------------------------------------------------------

class Tags(HTMLParser):
    """Every start tag with its attributes, and the visible text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in ("style", "script"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


def parse(html: str) -> Tags:
    p = Tags()
    p.feed(html)
    return p


RESOURCE_URL = re.compile(r"""(?:\b(?:src|href|xlink:href|action|poster|srcset)\s*=\s*["']?\s*"""
                          r"""(?:https?:|//)|url\(\s*["']?\s*(?:https?:|//)|@import)""", re.I)


def assert_self_contained(html: str) -> None:
    assert not RESOURCE_URL.search(html), RESOURCE_URL.search(html).group(0)
    for tag, attrs in parse(html).tags:
        assert tag not in ("script", "iframe", "object", "embed", "link", "base"), tag
        for k, v in attrs.items():
            assert not k.startswith("on"), (tag, k)
            if k in ("src", "href", "xlink:href") and v is not None:
                assert v.startswith(("data:image/jpeg;base64,", "#")), (tag, k, v[:40])
    for url in re.findall(r"url\(([^)]*)\)", html):
        assert url.strip("'\" ").startswith(("#", "data:")), url


def test_clip_report_is_self_contained(analyses):
    html = render_clip_report(analyses["camera"])
    assert_self_contained(html)
    assert html.count("<svg") >= 2  # the tension/shots figure (wide + narrow) and curves
    assert html.count("data:image/jpeg;base64,") == len(analyses["camera"].keyframes) >= 3


def test_hostile_file_names_and_tags_are_shown_as_text(analyses, clips):
    for key in ("evil_path", "evil_name"):
        a = analyses[key]
        html = render_clip_report(a)
        assert_self_contained(html)
        page = parse(html)
        text = "".join(page.text)
        assert a.source.path in text  # shown, verbatim, as text
        assert os.path.basename(a.source.path) in text
        assert "<img src=x" not in html and "<script>alert" not in html
        assert "&lt;" in html
        if key == "evil_path":
            assert str(clips["evil_path"]).endswith("<script>alert(1)</script>.mp4")
            assert a.source.tags.get("title") == EVIL_TITLE  # the tag was read
            assert EVIL_TITLE in text
            assert "<b>bold</b>" not in html


def test_sections_follow_what_was_measured(analyses):
    a = analyses["camera"]
    html = render_clip_report(a)
    text = "".join(parse(html).text)
    assert "Not calibrated yet" in text
    specs = metric_specs()
    for name in a.metrics:  # every metric, with its unit and one-line meaning
        assert name in text
        if name in specs:
            assert specs[name].meaning in text
    if "tension" in a.series:
        assert "Tension over time" in text
    else:
        assert "Shots over time" in text
    assert f"{len(a.cuts)} cuts" in text
    assert "hypnoscope analyze" in text and a.version in text  # reproducibility
    for k in a.keyframes:
        assert f"{k.t:.1f} s" in text


def test_a_series_added_later_is_drawn(analyses):
    """A tension curve with peaks and a climax, and a morph series, appear when present."""
    a = Analysis.from_dict(analyses["hypnotic"].to_dict())
    t = a.times
    a.series["tension"] = 1.0 + np.exp(-0.5 * ((t - 2.8) / 0.3) ** 2)
    a.events["peaks"] = [2.8]
    a.metrics["climax_position"] = 2.8 / a.source.duration_s
    a.series["morph"] = np.full(len(t), 0.3)
    html = render_clip_report(a, arc=[(0, 0.2), (0.75, 1.0), (1, 0.3)])
    assert_self_contained(html)
    text = "".join(parse(html).text)
    assert "Tension over time" in text and "Morph index" in text
    svgs = re.findall(r"<svg.*?</svg>", html, flags=re.S)
    tension_svg = svgs[0]
    for label in ("tension", "salient peak", "climax", "intended arc"):
        assert label in tension_svg, label
    assert "dissolve or fade" not in tension_svg  # none measured: no legend entry
    assert "1 salient peak" in text
    a.events["transitions"], a.events["transition_ends"] = [1.0], [1.8]
    tension_svg = re.findall(r"<svg.*?</svg>", render_clip_report(a), flags=re.S)[0]
    assert "dissolve or fade" in tension_svg
    assert "Interpolation predictability" in text  # listed as not measured


def test_invalid_arc_is_refused(analyses):
    for bad in ([(0.5, 0.5)], [(0, 0), (1, float("nan"))], [(0, 1, 2), (1, 0, 0)]):
        with pytest.raises(ValueError):
            render_clip_report(analyses["camera"], arc=bad)


def test_verdict_shown_when_scores_exist(analyses):
    a = Analysis.from_dict(analyses["hypnotic"].to_dict())
    a.extras["scores"] = SCORES
    html = render_clip_report(a)
    text = "".join(parse(html).text)
    assert "Not calibrated yet" not in text
    assert "AI-likeness" in text and "91" in text and "78" in text
    assert "looks generated" in text
    assert "<i>tension</i> curve flat & even" in text  # a reason, escaped
    assert "<i>tension</i>" not in html
    assert text.index("fluidity") < text.index("pace")  # the thesis's order
    assert 'style="width: 97.0%"' in html and 'style="width: 45.0%"' in html
    a.extras["scores"] = {"status": "insufficient", "reason": "shorter than one window"}
    text = "".join(parse(render_clip_report(a)).text)
    assert "insufficient" in text and "shorter than one window" in text


def test_verdict_words_follow_the_calibrated_probability():
    from hypnoscope.report.verdict import VERDICT_WORDS, verdict_word, word_band

    assert verdict_word(0.91) == "looks generated" and verdict_word(0.8) == "looks generated"
    assert verdict_word(0.79) == "probably generated"
    assert verdict_word(0.52) == verdict_word(0.48) == "undecided"
    assert verdict_word(0.3) == "probably camera or hand-made"
    assert verdict_word(0.0) == "looks camera or hand-made" and verdict_word(float("nan")) == ""
    # bands from high to low, each word once, covering 0..1
    lows = [low for low, _ in VERDICT_WORDS]
    assert lows == sorted(lows, reverse=True) and lows[-1] == 0.0
    assert len({w for _, w in VERDICT_WORDS}) == len(VERDICT_WORDS)
    assert word_band("undecided") == (0.4, 0.6)
    for low, word in VERDICT_WORDS:  # each band's own words, at both of its ends
        a, b = word_band(word)
        assert a == low and verdict_word(a) == word and verdict_word(b - 1e-6) == word


def test_round_trip_through_json_renders_the_same_page(analyses):
    """Rebuilt from its JSON (values rounded to 6 decimals there), an analysis gives the
    same page: same text, same thumbnails, same figures up to the last plotted digit."""
    a = analyses["camera"]
    b = Analysis.from_dict(json.loads(json.dumps(a.to_dict(keyframes=True))))
    html_a, html_b = render_clip_report(a), render_clip_report(b)
    assert parse(html_a).text == parse(html_b).text
    imgs = [[v for t, at in parse(h).tags for k, v in at.items() if k == "src"]
            for h in (html_a, html_b)]
    assert imgs[0] == imgs[1] and imgs[0]
    assert html_a.count("<svg") == html_b.count("<svg")
    assert render_clip_report(a) == html_a  # deterministic


# -- comparison --------------------------------------------------------------------------

def test_auc_and_cliffs_delta_on_known_values():
    assert auc([4, 5, 6], [1, 2, 3]) == 1.0
    assert auc([1, 2, 3], [4, 5, 6]) == 0.0
    assert auc([1, 2, 3], [1, 2, 3]) == 0.5
    assert cliffs_delta([1, 2, 3], [4, 5, 6]) == -1.0
    assert cliffs_delta([1, 5], [2, 3]) == 0.0  # 1<2,1<3,5>2,5>3
    assert math.isnan(auc([], [1.0]))
    assert auc([1, None, float("nan"), 3], [2]) == 0.5


def test_auc_agrees_with_scikit_learn():
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(3)
    pos, neg = rng.normal(1, 1, 40).round(1), rng.normal(0, 1, 55).round(1)  # with ties
    ref = metrics.roc_auc_score(np.r_[np.ones(40), np.zeros(55)], np.r_[pos, neg])
    assert auc(pos, neg) == pytest.approx(ref, abs=1e-12)


def test_compare_report():
    rng = np.random.default_rng(0)
    groups = {
        "camera": [{"cuts_per_minute": rng.normal(20, 3), "motion_energy": rng.gamma(3, .03),
                    "same": 1.0} for _ in range(20)],
        "<b>AI</b>": [{"cuts_per_minute": rng.normal(3, 2), "motion_energy": rng.gamma(3, .03),
                       "same": 1.0} for _ in range(30)],
    }
    comps = compare_groups(groups)
    assert comps[0].metric == "cuts_per_minute" and comps[0].delta["<b>AI</b>"] < -0.9
    assert next(c for c in comps if c.metric == "same").delta["<b>AI</b>"] == 0.0
    scorecard = [{"claim": "fluid: no sharp edges in time", "supported": True, "strength": 0.9,
                  "metrics": ["cuts_per_minute"], "detail": "<script>x</script>"},
                 {"claim": "polished", "supported": False, "strength": 0.02, "metrics": []}]
    html = render_compare_report(groups, scorecard, title="camera vs AI")
    assert_self_contained(html)
    text = "".join(parse(html).text)
    assert "<b>AI</b>" in text and "<b>AI</b>" not in html
    assert "<script>x</script>" in text
    assert "Thesis scorecard" in text and "supported" in text and "not supported" in text
    assert text.index("cuts_per_minute") < text.index("motion_energy")  # strongest first
    assert html.count("<svg") == 3  # one distribution per metric
    rows = [(m, g, r[m]) for g, lst in groups.items() for r in lst for m in r]
    assert groups_from_rows(rows) == groups
    assert render_compare_report(rows, scorecard, title="camera vs AI") == html


# -- command line ------------------------------------------------------------------------

def test_analyze_writes_reports(clips, tmp_path):
    out = tmp_path / "one.html"
    r = run_cli("analyze", clips["camera"], "--report", out, "-q")
    assert r.returncode == 0, r.stderr
    assert_self_contained(out.read_text())
    r = run_cli("analyze", clips["camera"], clips["camera"], "--report", tmp_path / "many",
                "-q")
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in (tmp_path / "many").iterdir()) == [
        "camera-2.html", "camera.html"]
    r = run_cli("analyze", clips["camera"], clips["hypnotic"], "--report", tmp_path / "x.html")
    assert r.returncode == 2 and "folder" in r.stderr


def test_report_from_json_needs_no_video(clips, tmp_path):
    doc = tmp_path / "a.json"
    assert run_cli("analyze", clips["camera"], "--json", doc, "--json-keyframes",
                   "-q").returncode == 0
    copy = tmp_path / "moved.mp4"
    out = tmp_path / "from_json.html"
    r = run_cli("report", doc, "-o", out)
    assert r.returncode == 0, r.stderr
    html = out.read_text()
    assert "data:image/jpeg;base64," in html and not copy.exists()
    assert run_cli("report").returncode == 2
    assert run_cli("report", tmp_path / "missing.json").returncode == 1


def test_compare_command(analyses, tmp_path):
    a_dir, b_dir = tmp_path / "camera", tmp_path / "ai"
    a_dir.mkdir(), b_dir.mkdir()
    (a_dir / "c.json").write_text(json.dumps(analyses["camera"].to_dict()))
    (b_dir / "h.json").write_text(json.dumps(analyses["hypnotic"].to_dict()))
    out = tmp_path / "cmp.html"
    r = run_cli("compare", a_dir / "c.json", "--vs", b_dir / "h.json", "--report", out)
    assert r.returncode == 0, r.stderr
    assert "camera vs ai" in r.stdout and "cuts_per_minute" in r.stdout
    html = out.read_text()
    assert_self_contained(html)
    r = run_cli("compare", a_dir / "c.json", b_dir / "h.json", "--by-folder", "--windows",
                "--names", "cam,gen")
    assert r.returncode == 0, r.stderr
    assert "cam vs gen (windows: 1, 1)" in r.stdout
    assert run_cli("compare", a_dir / "c.json", b_dir / "h.json").returncode == 2


def test_report_from_the_results_store(clips, analyses, tmp_path):
    """``report --db`` renders a stored result without decoding (the video is gone)."""
    duckdb = pytest.importorskip("duckdb")
    db = tmp_path / "results.duckdb"
    a = analyses["hypnotic"]
    try:
        from hypnoscope.batch.store import Item, Store, analysis_key
        from hypnoscope.batch.worker import analyze_task
    except ImportError:
        write_minimal_store(duckdb, db, a)
    else:
        result = analyze_task({"path": str(clips["hypnotic"]), "options": dict(a.options)})
        with Store(db) as s:
            s.write_result(Item(str(clips["hypnotic"]), "feedbeef" * 5),
                           analysis_key(dict(a.options)), result, run_id="t")
    out = tmp_path / "stored.html"
    r = run_cli("report", "--db", db, "--video", "hypnotic.mp4", "-o", out)
    assert r.returncode == 0, r.stderr
    stored = out.read_text()
    assert_self_contained(stored)
    text = "".join(parse(stored).text)
    for name in a.metrics:
        assert name in text
    assert "1 shot" in text
    r = run_cli("report", "--db", db, "--video", "nothing-like-this")
    assert r.returncode == 1 and "no stored video" in r.stderr


def write_minimal_store(duckdb, db: Path, a: Analysis) -> None:
    """The tables and columns of the results store that ``report --db`` reads (used when
    the store module itself is not installed)."""
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE videos (video_id VARCHAR, content_hash VARCHAR, path VARCHAR, "
                "file_name VARCHAR, status VARCHAR, source_facts JSON, frame_times DOUBLE[], "
                "options JSON, hypnoscope_version VARCHAR, schema_version VARCHAR, "
                "document JSON, analyzed_at TIMESTAMP)")
    con.execute("CREATE TABLE metrics (video_id VARCHAR, metric VARCHAR, window_index INTEGER, "
                "start_s DOUBLE, end_s DOUBLE, value DOUBLE)")
    con.execute("CREATE TABLE series (video_id VARCHAR, name VARCHAR, unit VARCHAR, "
                "value DOUBLE[])")
    con.execute("CREATE TABLE events (video_id VARCHAR, event VARCHAR, t DOUBLE)")
    doc = a.to_dict()
    vid = "feedbeef:000"
    con.execute("INSERT INTO videos VALUES (?, ?, ?, ?, 'ok', ?, ?, ?, ?, ?, NULL, now())",
                [vid, "feedbeef", a.source.path, os.path.basename(a.source.path),
                 json.dumps(doc["source"]), list(map(float, a.times)),
                 json.dumps(doc["options"]), a.version, doc["schema_version"]])
    for name, v in a.metrics.items():
        con.execute("INSERT INTO metrics VALUES (?, ?, -1, 0, ?, ?)",
                    [vid, name, a.source.duration_s, None if math.isnan(v) else v])
    for i, w in enumerate(a.windows):
        for name, v in w.metrics.items():
            con.execute("INSERT INTO metrics VALUES (?, ?, ?, ?, ?, ?)",
                        [vid, name, i, w.start, w.end, None if math.isnan(v) else v])
    for name, values in doc["series"].items():
        con.execute("INSERT INTO series VALUES (?, ?, ?, ?)",
                    [vid, name, a.series_units.get(name, ""), values])
    for name, times in a.events.items():
        for t in times:
            con.execute("INSERT INTO events VALUES (?, ?, ?)", [vid, name, t])
    con.close()


def test_terminal_summary_shows_verdict_and_curves(analyses):
    from rich.console import Console

    from hypnoscope.report.terminal import print_analysis

    a = Analysis.from_dict(analyses["hypnotic"].to_dict())
    console = Console(record=True, width=120)
    print_analysis(a, console)
    out = console.export_text()
    assert "not calibrated yet" in out and "motion" in out
    a.extras["scores"] = SCORES
    console = Console(record=True, width=120)
    print_analysis(a, console)
    out = console.export_text()
    assert "AI-likeness" in out and "91 %" in out and "78 / 100" in out
    assert "91 % looks generated" in " ".join(out.split())
    assert "no cut in 4.0 s" in out and "fluidity" in out
    # the forty steadiness metrics are left to the JSON and HTML reports, and said so
    assert "motion_cv" in a.metrics and "motion_cv" not in out
    assert "+ 40 steadiness metrics" in out and "morph_index" in out


# -- in a real browser --------------------------------------------------------------------

CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")
                 if shutil.which(n)), None)


def chromium(*args: str, tmp: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", "--hide-scrollbars", f"--user-data-dir={tmp / 'profile'}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def screenshot(html_path: Path, png: Path, width: int, height: int, tmp: Path) -> np.ndarray:
    from PIL import Image

    r = chromium(f"--screenshot={png}", f"--window-size={width},{height}",
                 html_path.as_uri(), tmp=tmp)
    assert png.is_file(), r.stderr[-2000:]
    return np.asarray(Image.open(png).convert("RGB"))


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed")
@pytest.mark.parametrize("width", [1280, 390])
def test_report_renders_in_chromium(analyses, tmp_path, width):
    a = Analysis.from_dict(analyses["camera"].to_dict(keyframes=True))
    a.extras["scores"] = SCORES
    page = tmp_path / "r.html"
    page.write_text(render_clip_report(a))
    img = screenshot(page, tmp_path / "r.png", width, 1600, tmp_path)
    assert img.shape[1] == width
    gray = img.mean(axis=2)
    assert gray.std() > 12  # not blank
    colours = {tuple(c) for c in (img[::4, ::4] // 32).reshape(-1, 3)}
    assert len(colours) >= 12  # text, plots, thumbnails, bars: many colours
    # nothing overflows the width: the right margin is page background, not content
    right = img[:, -3:].reshape(-1, 3).astype(int)
    assert (np.abs(right - right[0]).max(axis=1) < 8).mean() > 0.98


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed")
def test_hostile_name_runs_no_script_in_chromium(analyses, tmp_path):
    page = tmp_path / "evil.html"
    page.write_text(render_clip_report(analyses["evil_path"]))
    r = chromium("--dump-dom", page.as_uri(), tmp=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    dom = r.stdout
    assert "<script" not in dom.lower() and "<b>bold</b>" not in dom
    assert "&lt;script&gt;alert(1)&lt;/script&gt;.mp4" in dom


def test_terminal_names_each_transition_kind():
    from types import SimpleNamespace

    from hypnoscope.report.terminal import transition_text

    kinds = ["fade_in", "dissolve", "fade_through_black", "fade_out"]
    shots = {"transitions": [{"start_s": 2.0 * i, "end_s": 2.0 * i + 1, "kind": k}
                             for i, k in enumerate(kinds)]}
    text = transition_text(SimpleNamespace(extras={"shots": shots}, events={}))
    assert text.startswith("4: 0.00–1.00 s fade in, 2.00–3.00 s dissolve")
    assert "4.00–5.00 s fade through black, 6.00–7.00 s fade out" in text
    # an analysis without kinds (an older JSON) still lists its transitions, fades marked
    old = SimpleNamespace(extras={}, events={"transitions": [1.0, 5.0],
                                             "transition_ends": [2.0, 6.0], "fades": [5.0]})
    assert transition_text(old) == "2: 1.00–2.00 s, 5.00–6.00 s fade"

