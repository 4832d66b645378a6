"""``hypnoscope browse`` end to end: a real batch of synthetic clips into a real DuckDB file,
the real server on a free port, and a real browser (the system's headless Chromium, driven
by Playwright; those tests skip when either is missing). Screenshots of every view are kept
in pytest's temporary folder (``browse-shots/``), or in $HYPNOSCOPE_SHOTS when set.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import av
import pytest
from cli_run import cli_env, run_cli
from test_batch import make_clip

HOSTILE = "<img src=x onerror=alert(1)>.mp4"
SCRIPT_TAG = "<script>alert(2)</script>"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


def with_title(src: Path, dst: Path, title: str) -> Path:
    """A copy of ``src`` whose container carries the metadata tag ``title``."""
    with av.open(str(src)) as i, av.open(str(dst), "w") as o:
        o.metadata["title"] = title
        s_in = i.streams.video[0]
        s_out = o.add_stream_from_template(s_in)
        for pkt in i.demux(s_in):
            if pkt.dts is None:
                continue
            pkt.stream = s_out
            o.mux(pkt)
    return dst


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> Path:
    """A batch over 6 clips in ai/ and real/ (one named like an HTML tag, one whose name is
    not UTF-8, one with a script in its title tag) and one file that is not a video."""
    root = tmp_path_factory.mktemp("browse-corpus")
    make_clip(root / "ai" / "drift0.mp4", seed=40, speed=0.5)
    make_clip(root / "ai" / HOSTILE, seed=41, speed=0.7)
    make_clip(root / "real" / "pan1.mp4", seed=42, speed=3.0)
    make_clip(root / "real" / "pan2.mp4", seed=43, speed=2.5)
    plain = make_clip(root.parent / f"{root.name}-plain.mp4", seed=44, speed=1.0)
    with_title(plain, root / "real" / "tagged.mp4", SCRIPT_TAG)
    (root / "real" / "broken.mp4").write_text("not a video\n")
    # a name that is not UTF-8: stored as text with \xff, opened by its real bytes
    os.rename(make_clip(root / "ai" / "plain.mp4", seed=45, speed=0.6),
              os.path.join(os.fsencode(root / "ai"), b"not-utf8-\xff.mp4"))
    db = tmp_path_factory.mktemp("browse-db") / "results.duckdb"
    proc = run_cli("batch", root, "--db", db, "--workers", "2", "--label-from-folder",
                   timeout=300)
    assert db.is_file(), proc.stderr
    return db


def _digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


class Server:
    """``hypnoscope browse`` in a subprocess, on a free port."""

    def __init__(self, db: Path, *args: str):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "hypnoscope", "browse", "--db", str(db), "--port", "0",
             *args], env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        m = re.search(r"http://([^/\s]+)/", line)
        assert m, (line, self.proc.stderr.read() if self.proc.poll() is not None else "")
        self.base = f"http://{m.group(1)}"
        self.host = m.group(1)

    def get(self, path: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
        """GET ``path`` exactly as given (no normalisation of ``..``)."""
        host, port = self.host.rsplit(":", 1)
        c = http.client.HTTPConnection(host, int(port), timeout=60)
        try:
            c.request("GET", path, headers=headers or {})
            r = c.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            c.close()

    def stop(self) -> str:
        self.proc.terminate()
        try:
            _, err = self.proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        return err


@pytest.fixture(scope="module")
def server(results):
    before = _digest(results)
    s = Server(results, "--refresh", "0")
    yield s
    err = s.stop()
    assert "Traceback" not in err
    assert _digest(results) == before  # nothing was written to the database


def _video_ids(server: Server) -> dict[str, str]:
    """file name -> video_id, read from the corpus page."""
    _, _, body = server.get("/?per=100&sort=name&dir=asc")
    html = body.decode()
    out = {}
    for vid, name in re.findall(r'<tr data-id="([^"]+)".*?<td class="name"><a [^>]*>([^<]*)</a>',
                                html, re.S):
        out[name.replace("&lt;", "<").replace("&gt;", ">").replace("&#39;", "'")
            .replace("&amp;", "&")] = vid.replace("&#39;", "'").replace("&amp;", "&")
    return out


# -- HTTP: what the server will and will not serve ------------------------------------------

def test_corpus_lists_every_file_with_status(server):
    status, headers, body = server.get("/")
    assert status == 200
    html = body.decode()
    for name in ("drift0.mp4", "pan1.mp4", "pan2.mp4", "tagged.mp4", "broken.mp4"):
        assert name in html
    assert "failed (video)" in html
    from hypnoscope.report.verdict import VERDICT_WORDS

    if 'class="ai"' in html:  # scored clips say how decided their verdict is, on hover
        assert any(f'title="{word}"' in html for _, word in VERDICT_WORDS)
    assert "Content-Security-Policy" in {k.title(): v for k, v in headers.items()} \
        or "content-security-policy" in headers
    assert "&lt;img src=x onerror=alert(1)&gt;.mp4" in html
    assert HOSTILE not in html
    status, _, body = server.get("/clip/" + urllib.parse.quote(_video_ids(server)["broken.mp4"],
                                                               safe=""))
    assert status == 200 and b"failed (video)" in body and b"not a video" in body


def test_video_is_served_with_ranges_only_by_recorded_id(server, results):
    ids = _video_ids(server)
    vid = ids["pan1.mp4"]
    path = next(p for p in results.parent.parent.rglob("pan1.mp4"))
    data = path.read_bytes()
    status, headers, body = server.get("/media/" + urllib.parse.quote(vid, safe=""),
                                       {"Range": "bytes=100-199"})
    assert status == 206
    assert body == data[100:200]
    assert headers["content-range"] == f"bytes 100-199/{len(data)}"
    assert headers["content-type"] == "video/mp4"
    status, _, body = server.get("/media/" + urllib.parse.quote(vid, safe=""))
    assert status == 200 and body == data


def test_a_name_that_is_not_utf8_is_shown_escaped_and_served(server, results):
    ids = _video_ids(server)
    shown = "not-utf8-\\xff.mp4"
    assert shown in ids
    root = next(p for p in results.parent.parent.glob("browse-corpus*") if p.is_dir())
    real = os.path.join(os.fsencode(root), b"ai", b"not-utf8-\xff.mp4")
    status, headers, body = server.get("/media/" + urllib.parse.quote(ids[shown], safe=""),
                                       {"Range": "bytes=0-9"})
    assert status == 206 and body == open(real, "rb").read(10)
    status, _, body = server.get("/clip/" + urllib.parse.quote(ids[shown], safe=""))
    assert status == 200 and shown.encode() in body and b"<video" in body


@pytest.mark.parametrize("path", [
    "/media/../../../../etc/passwd",
    "/media/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
    "/media/%2Fetc%2Fpasswd",
    "/media/deadbeef",
    "/clip/..%2F..%2Fetc%2Fpasswd",
    "/static/..%2Fapp.py",
    "/static/../app.py",
    "/../../../../etc/passwd",
    "/etc/passwd",
])
def test_paths_not_in_the_database_are_refused(server, path):
    status, _, body = server.get(path)
    assert status in (400, 404)
    assert b"root:" not in body and b"import" not in body
    assert b"Traceback" not in body
    # a one-line page: the message is one paragraph
    assert body.count(b'<p id="error">') == 1


def test_a_file_that_is_gone_is_not_served(server, results, tmp_path):
    ids = _video_ids(server)
    path = next(p for p in results.parent.parent.rglob("pan2.mp4"))
    moved = tmp_path / "pan2.mp4"
    shutil.move(path, moved)
    try:
        status, _, body = server.get("/media/" + urllib.parse.quote(ids["pan2.mp4"], safe=""))
        assert status == 404 and b"no longer at its recorded path" in body
        status, _, body = server.get("/clip/" + urllib.parse.quote(ids["pan2.mp4"], safe=""))
        assert status == 200 and b"cannot be played here" in body
    finally:
        shutil.move(moved, path)


def test_other_host_names_are_refused(server):
    """A page addressed to another name (a site rebinding its DNS name to 127.0.0.1) gets
    nothing."""
    status, _, body = server.get("/", {"Host": "evil.example"})
    assert status == 400 and b"video" not in body
    assert server.get("/", {"Host": "localhost"})[0] == 200


def test_bad_parameters_are_one_line_pages(server):
    for path in ("/?sort=drop%20table", "/?page=x", "/scatter?x=nope", "/api/points?y=nope",
                 "/compare?by=path"):
        status, _, body = server.get(path)
        assert status == 400, path
        assert body.count(b'<p id="error">') == 1 and b"Traceback" not in body


def test_while_a_batch_writes_the_page_shows_what_has_landed(server, results):
    """A process holding the database for writing (as a batch does) adds a video; the page
    still answers, from a copy, and shows the new row."""
    script = (
        "import sys, time\n"
        "from hypnoscope.batch.store import Store\n"
        "s = Store(sys.argv[1])\n"
        "with s.transaction():\n"
        "    s.con.execute(\"INSERT INTO videos SELECT * REPLACE ('landed-' || video_id AS "
        "video_id, 'landed-later.mp4' AS file_name) FROM videos WHERE status = 'ok' LIMIT 1\")\n"
        "print('ready', flush=True)\n"
        "time.sleep(60)\n")
    # the writer works on a copy, so that the module's database stays as it was
    db = results.with_name("writing.duckdb")
    shutil.copy(results, db)
    s = Server(db, "--refresh", "0")
    try:
        assert s.get("/")[0] == 200
        writer = subprocess.Popen([sys.executable, "-c", script, str(db)], env=cli_env(),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert writer.stdout.readline().strip() == "ready", writer.stderr.read()
            status, _, body = s.get("/")
            assert status == 200
            assert b"landed-later.mp4" in body
            assert b"A batch is writing this database" in body
        finally:
            writer.kill()
            writer.wait()
        time.sleep(0.2)
        status, _, body = s.get("/")  # the writer is gone: read directly again
        assert status == 200 and b"A batch is writing" not in body
    finally:
        assert "Traceback" not in s.stop()


def test_cli_refuses_a_missing_database_and_warns_when_wide(tmp_path, results):
    r = run_cli("browse", "--db", tmp_path / "none.duckdb", timeout=60)
    assert r.returncode == 1
    assert r.stderr.strip().count("\n") == 0 and "no such database" in r.stderr
    s = Server(results, "--host", "0.0.0.0")
    try:
        assert s.get("/")[0] == 200
    finally:
        err = s.stop()
    assert "warning: listening on 0.0.0.0" in err


# -- in a real browser -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("no chromium installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    d = Path(os.environ["HYPNOSCOPE_SHOTS"]) if os.environ.get("HYPNOSCOPE_SHOTS") else \
        tmp_path_factory.mktemp("browse-shots")
    d.mkdir(parents=True, exist_ok=True)
    return d


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1300, "height": 900})
    pg = ctx.new_page()
    pg.dialogs = []
    pg.errors = []
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    yield pg
    ctx.close()


def _ai_values(page) -> list[float | None]:
    return [float(v) if v else None for v in page.eval_on_selector_all(
        "#corpus tbody tr[data-id]", "rows => rows.map(r => r.dataset.ai)")]


def test_sort_filter_open_and_go_back(server, page, shots):
    page.goto(server.base + "/?sort=name&dir=asc")
    assert page.locator("#corpus tbody tr[data-id]").count() == 7
    page.click("#sort-ai")  # sort by AI-likeness: highest first
    assert "sort=ai" in page.url
    ai = _ai_values(page)
    scored = [v for v in ai if v is not None]
    assert len(scored) == 6 and scored == sorted(scored, reverse=True)
    assert ai[-1] is None  # the failed file comes last
    page.screenshot(path=str(shots / "corpus.png"), full_page=True)

    page.select_option("#f-label", "real")  # filter by label
    page.click("#f-apply")
    labels = page.eval_on_selector_all("#corpus tbody tr[data-id]",
                                       "rows => rows.map(r => r.dataset.label)")
    assert labels and set(labels) == {"real"} and len(labels) == 4
    assert page.locator("#count").inner_text().startswith("4 videos")
    filtered_url = page.url
    page.screenshot(path=str(shots / "corpus-filtered.png"), full_page=True)

    top = page.locator("#corpus tbody tr[data-id] td.name a").first
    name = top.inner_text()
    top.click()  # open the clip with the highest AI-likeness among the camera clips
    assert "/clip/" in page.url
    assert page.locator("h1").first.inner_text() == name
    body = page.locator("body").inner_text()
    assert "AI-likeness" in body and "Hypnotic index" in body and "Keyframes" in body
    video = page.locator("#player video")
    assert video.count() == 1
    # the browser reads the file through range requests and knows its duration
    page.wait_for_function("document.querySelector('#player video').readyState >= 1",
                           timeout=15000)
    assert 1.5 < page.evaluate("document.querySelector('#player video').duration") < 2.5
    page.screenshot(path=str(shots / "clip.png"), full_page=False)

    page.go_back()
    assert page.url == filtered_url
    assert page.locator("#corpus tbody tr[data-id]").count() == 4
    page.go_forward()
    page.click("#back")  # the page's own link back keeps the filter and the sort
    assert "label=real" in page.url and "sort=ai" in page.url
    assert page.locator("#corpus tbody tr[data-id]").count() == 4
    assert not page.dialogs and not page.errors


def test_hostile_names_and_tags_are_text(server, page, shots):
    page.goto(server.base + "/?sort=name&dir=asc")
    cell = page.locator("td.name a", has_text="onerror")
    assert cell.inner_text() == HOSTILE
    assert page.locator("img[src='x']").count() == 0
    assert page.locator("script").count() == 0
    cell.click()
    assert page.locator("h1").first.inner_text() == HOSTILE
    assert page.locator("img[src='x']").count() == 0
    page.goto(server.base + "/?q=tagged")
    page.locator("td.name a").first.click()
    assert SCRIPT_TAG in page.locator("body").inner_text()
    assert page.locator("script").count() == 0
    page.screenshot(path=str(shots / "clip-tagged.png"), full_page=False)
    assert not page.dialogs and not page.errors


def test_scatter_click_opens_the_video(server, page, shots):
    page.goto(server.base + "/scatter")
    page.wait_for_selector("#scatter[data-ready]", timeout=15000)
    assert "6 videos with both values" in page.locator("#scatter-status").inner_text()
    legend = page.locator("#legend").inner_text()
    assert "ai" in legend and "real" in legend
    page.screenshot(path=str(shots / "scatter.png"), full_page=False)
    vid = page.evaluate("window.hypnoscopeScatter.ids[0]")
    x, y = page.evaluate("window.hypnoscopeScatter.point(0)")
    box = page.locator("#scatter").bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)
    page.wait_for_url("**/clip/**")
    assert urllib.parse.unquote(page.url.rsplit("/clip/", 1)[1]) == vid
    # any two metrics: a stored metric against the hypnotic index
    page.goto(server.base + "/scatter?x=motion_energy&y=hypnotic_index&color=label")
    page.wait_for_selector("#scatter[data-ready]", timeout=15000)
    assert "motion_energy" in page.locator("#s-x").input_value()
    assert not page.dialogs and not page.errors


def test_compare_view_shows_both_groups(server, page, shots):
    page.goto(server.base + "/compare")
    assert page.locator("h1").first.inner_text() == "label: real vs ai"
    body = page.locator("body").inner_text()
    assert "median real" in body and "median ai" in body and "motion_energy" in body
    page.screenshot(path=str(shots / "compare.png"), full_page=False)
    page.goto(server.base + "/compare?by=label&a=ai&b=nothing")
    assert "no analyzed video has label 'nothing'" in page.locator("#message").inner_text()
    assert not page.dialogs and not page.errors


def test_a_copy_taken_while_the_file_changed_is_taken_again(results, tmp_path, monkeypatch):
    """The snapshot of a database that a checkpoint rewrites during the copy is thrown away
    and taken again; the copy that is kept opens and holds every video."""
    import duckdb

    from hypnoscope.web import source as source_mod

    db = tmp_path / "r.duckdb"
    shutil.copy(results, db)
    src = source_mod.ResultsSource(db, snapshot_dir=tmp_path)
    real_copy, calls = source_mod._copy, []

    def copy_then_touch(a, b):
        real_copy(a, b)
        calls.append(a)
        if len(calls) == 1:  # the first copy: the file changes meanwhile
            st = os.stat(db)
            os.utime(db, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))

    monkeypatch.setattr(source_mod, "_copy", copy_then_touch)
    snap = src._snapshot()
    assert len([c for c in calls if Path(c) == db]) == 2
    con = duckdb.connect(str(snap), read_only=True)
    try:
        n = con.execute("SELECT count(*) FROM videos").fetchone()[0]
    finally:
        con.close()
    assert n == 7
    assert src._snapshot() == snap  # unchanged since: the same copy
    src.close()
    assert not snap.exists()
