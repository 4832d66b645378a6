"""File names that are not UTF-8, output paths that cannot be written, and inputs of
``report`` that are not what it reads: one line naming the file and the cause, the right
exit code, nothing left behind, and the rest of the work still done."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from cli_run import cli_env, run_cli

from hypnoscope.media import synth
from hypnoscope.report.paths import path_from_text, path_text, plain_text

ODD = os.fsdecode(b"odd\xff\xfe name.mp4")  # bytes that are not UTF-8, and a space


def make_clip(path: str | Path, seed: int) -> str:
    """A 2 s 160x90 pan over a texture; ``seed`` makes the content unique."""
    canvas = synth.texture(120, 260, seed=seed)
    return synth.write_video(os.fspath(path), synth.pan(canvas, 36, 1.5, height=90,
                                                        width=160), fps=18)


def listing(d: Path) -> list[str]:
    return sorted(os.fsdecode(p) for p in os.listdir(os.fsencode(d)))


def one_error_line(r: subprocess.CompletedProcess) -> str:
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, r.stderr
    assert "Traceback" not in r.stderr
    return lines[0]


# -- the readable form of a path -----------------------------------------------------------

@pytest.mark.parametrize("path", [
    "/plain/path with spaces/é😀.mp4",
    os.fsdecode(b"/x/a\xff\xfeb.mp4"),
    "new\nline\ttab\x1b[31mred.mp4",
    "back\\slash\\xff.mp4",
    "\u0085\u200b\u2028.mp4",
    "trailing\\",
])
def test_path_text_is_one_line_utf8_and_gives_the_path_back(path):
    text = path_text(path)
    text.encode("utf-8")  # storable and printable
    assert "\n" not in text and "\r" not in text and text.isprintable()
    assert path_from_text(text) == path
    if path.isprintable() and "\\" not in path:
        assert text == path  # an ordinary path is its own text
    assert path_text(os.fsencode(path)) == text


def test_path_text_shows_bytes_as_escapes():
    assert path_text(os.fsdecode(b"a\xff\xfeb.mp4")) == "a\\xff\\xfeb.mp4"
    assert path_text("a\nb") == "a\\nb"
    assert plain_text(os.fsdecode(b"cause \xff")) == "cause \\xff"


# -- names that are not UTF-8 ------------------------------------------------------------

@pytest.fixture(scope="module")
def odd_folder(tmp_path_factory) -> Path:
    """Four clips of different content, two of them with names that are not UTF-8 (one in
    the middle of the sorted order), and a bad file whose name is not UTF-8 either."""
    d = tmp_path_factory.mktemp("names")
    make_clip(d / "a.mp4", 1)
    make_clip(os.path.join(d, ODD), 2)
    make_clip(os.path.join(d, os.fsdecode(b"p\xe9riode.mp4")), 3)  # Latin-1, not UTF-8
    make_clip(d / "z.mp4", 4)
    with open(os.path.join(d, os.fsdecode(b"bad\xff.mp4")), "w") as fh:
        fh.write("not a video\n")
    return d


def test_analyze_prints_writes_json_and_report_for_a_name_that_is_not_utf8(odd_folder,
                                                                           tmp_path):
    clip = os.path.join(odd_folder, ODD)
    out = tmp_path / "out"
    out.mkdir()
    r = run_cli("analyze", clip, "--json", out / "a.json", "--report", out / "a.html")
    assert r.returncode == 0, r.stderr
    assert "odd\\xff\\xfe name.mp4" in r.stdout
    assert listing(out) == ["a.html", "a.json"]  # no temporary file left
    doc = json.loads((out / "a.json").read_text())
    assert doc["source"]["path"] == clip  # the path itself (surrogate escapes in JSON)
    html = (out / "a.html").read_text(encoding="utf-8")
    assert "odd\\xff\\xfe name.mp4" in html
    assert "$&#39;" in html  # the command that re-runs it, in bash's $'...' form
    r = run_cli("report", out / "a.json", "-o", out / "b.html")
    assert r.returncode == 0, r.stderr
    assert "odd\\xff\\xfe name.mp4" in (out / "b.html").read_text(encoding="utf-8")


def test_analyze_failure_on_such_a_name_is_one_line(odd_folder):
    bad = os.path.join(odd_folder, os.fsdecode(b"bad\xff.mp4"))
    r = run_cli("analyze", bad, "--quiet")
    assert r.returncode == 1
    assert one_error_line(r).startswith(f"{path_text(bad)}: ")


def test_batch_stores_such_names_losslessly_and_resumes_to_completion(odd_folder, tmp_path):
    db = tmp_path / "r.duckdb"
    args = [sys.executable, "-m", "hypnoscope", "batch", str(odd_folder), "--db", str(db),
            "--workers", "1"]
    proc = subprocess.Popen(args, env=cli_env("slow:0.5=*"), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line or " ok " in line:
            break
    os.kill(proc.pid, signal.SIGINT)
    assert proc.wait(60) == 130, proc.stderr.read()
    r = run_cli("batch", odd_folder, "--db", db, "--workers", "2")
    assert r.returncode == 1, r.stdout + r.stderr  # the bad file failed; nothing else
    assert "database error" not in r.stdout + r.stderr
    assert "odd\\xff\\xfe name.mp4" in r.stdout
    con = duckdb.connect(str(db), read_only=True)
    stored = dict(con.execute("SELECT path, status FROM videos").fetchall())
    files = [p for (p,) in con.execute("SELECT path FROM files").fetchall()]
    con.close()
    names = listing(odd_folder)
    assert len(stored) == 5
    assert {path_from_text(p) for p in stored} == {os.path.join(odd_folder, n) for n in names}
    assert {os.path.basename(path_from_text(p)) for p, s in stored.items() if s == "failed"} \
        == {os.fsdecode(b"bad\xff.mp4")}
    assert path_text(os.path.join(odd_folder, ODD)) in files
    again = run_cli("batch", odd_folder, "--db", db)
    assert again.returncode == 1 and "0 ok, 0 failed, 4 already done" in again.stdout
    out = tmp_path / "stored.html"
    r = run_cli("report", "--db", db, "--video", os.path.join(odd_folder, ODD), "-o", out)
    assert r.returncode == 0, r.stderr
    assert "odd\\xff\\xfe name.mp4" in out.read_text(encoding="utf-8")


# -- several inputs, one document shape ------------------------------------------------------

def test_json_is_a_list_for_several_inputs_whatever_succeeded(odd_folder, tmp_path):
    good, bad = odd_folder / "a.mp4", odd_folder / "missing.mp4"
    out = tmp_path / "o.json"
    assert run_cli("analyze", good, bad, "--quiet", "--json", out).returncode == 1
    doc = json.loads(out.read_text())
    assert isinstance(doc, list) and [d["source"]["path"] for d in doc] == [str(good)]
    assert run_cli("analyze", bad, bad, "--quiet", "--json", out).returncode == 1
    assert json.loads(out.read_text()) == []
    assert run_cli("analyze", good, "--quiet", "--json", out).returncode == 0
    assert isinstance(json.loads(out.read_text()), dict)  # one input: one document


# -- output paths that cannot be written ---------------------------------------------------

def _readonly_runner(tmp_path: Path):
    """(folder, run) where ``folder`` cannot be written by the command ``run`` starts, or
    skip. As root (which may write anywhere) the folder is bind-mounted read-only in a
    private mount namespace of that one command."""
    ro = tmp_path / "ro"
    ro.mkdir()
    if os.geteuid() != 0:
        ro.chmod(0o555)
        return ro, run_cli
    unshare = shutil.which("unshare")
    probe = subprocess.run([unshare, "-m", "true"], capture_output=True) if unshare else None
    if probe is None or probe.returncode != 0:
        pytest.skip("running as root without mount namespaces: no unwritable folder")

    def run(*args, **kw):
        script = ('mount --bind "$0" "$0" && mount -o remount,ro,bind "$0" "$0" && '
                  'exec "$@"')
        return subprocess.run([unshare, "-m", "sh", "-c", script, str(ro), sys.executable,
                               "-m", "hypnoscope", *map(str, args)], env=cli_env(),
                              capture_output=True, text=True, timeout=120, **kw)
    return ro, run


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> str:
    return make_clip(tmp_path_factory.mktemp("clip") / "c.mp4", 7)


@pytest.mark.parametrize("case", ["json-folder", "json-under-file", "report-under-file",
                                  "batch-db-under-file", "batch-db-folder",
                                  "export-parquet-file", "report-out-folder"])
def test_output_mistakes_are_one_line_before_any_work(clip, good_doc, tmp_path, case):
    work = tmp_path / "w"
    work.mkdir()
    (work / "file.txt").write_text("x")
    (work / "dir").mkdir()
    doc = tmp_path / "doc.json"
    option, target, cause = {
        "json-folder": ("--json", work / "dir", "is an existing folder"),
        "json-under-file": ("--json", work / "file.txt" / "o.json", "is a file, not a folder"),
        "report-under-file": ("--report", work / "file.txt" / "sub" / "o.html",
                              "is a file, not a folder"),
        "batch-db-under-file": ("--db", work / "file.txt" / "r.duckdb",
                                "is a file, not a folder"),
        "batch-db-folder": ("--db", work / "dir", "is an existing folder"),
        "export-parquet-file": ("--parquet", work / "file.txt", "not a folder"),
        "report-out-folder": ("--out", work / "dir", "is an existing folder"),
    }[case]
    if case.startswith("batch"):
        args = ["batch", clip, "--db", target]
    elif case.startswith("export"):
        from hypnoscope.batch.store import Store

        Store(tmp_path / "r.duckdb").close()
        args = ["export", "--db", tmp_path / "r.duckdb", "--parquet", target]
    elif case.startswith("report-out"):
        doc.write_text(json.dumps(good_doc))
        args = ["report", doc, "--out", target]
    else:
        args = ["analyze", clip, option, target]
    before = sorted(p.relative_to(work) for p in work.rglob("*"))
    r = run_cli(*args)
    assert r.returncode == 2, r.stdout + r.stderr
    line = one_error_line(r)
    assert line.startswith(f"error: {option} {target}: ") and cause in line, line
    assert r.stdout == ""  # nothing was analyzed: no summary, no progress
    assert sorted(p.relative_to(work) for p in work.rglob("*")) == before


@pytest.mark.parametrize("command", ["analyze-json", "analyze-report", "batch-db"])
def test_unwritable_folder_is_refused_before_any_work(clip, tmp_path, command):
    ro, run = _readonly_runner(tmp_path)
    option, args = {
        "analyze-json": ("--json", ["analyze", clip, "--json", ro / "o.json"]),
        "analyze-report": ("--report", ["analyze", clip, "--report", ro / "sub" / "o.html"]),
        "batch-db": ("--db", ["batch", clip, "--db", ro / "r.duckdb"]),
    }[command]
    r = run(*args)
    assert r.returncode == 2, r.stdout + r.stderr
    line = one_error_line(r)
    assert line.startswith(f"error: {option} {ro}") and f"folder {ro} is not writable" in line
    assert r.stdout == ""
    assert listing(ro) == []


def test_failed_write_leaves_no_temporary_file(tmp_path, monkeypatch):
    import hypnoscope.report.output as output

    target = tmp_path / "t.json"
    target.write_text("old")

    def fail(*_a):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(output.os, "replace", fail)
    with pytest.raises(OSError):
        output.write_atomic(target, "new")
    assert listing(tmp_path) == ["t.json"] and target.read_text() == "old"
    monkeypatch.undo()
    output.write_atomic(target, "new")
    assert listing(tmp_path) == ["t.json"] and target.read_text() == "new"


# -- report on the wrong input -----------------------------------------------------------------

@pytest.fixture(scope="module")
def good_doc(clip, tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("doc") / "a.json"
    assert run_cli("analyze", clip, "--quiet", "--json", out).returncode == 0
    return json.loads(out.read_text())


def _foreign_duckdb(path: Path) -> Path:
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE videos (id INTEGER, title VARCHAR)")
    con.execute("INSERT INTO videos VALUES (1, 'holiday')")
    con.execute("CREATE TABLE users (name VARCHAR)")
    con.close()
    return path


def _sqlite(path: Path) -> Path:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE videos (id INTEGER)")
    con.commit()
    con.close()
    return path


def _wrong_document(kind: str, d: Path, good: dict) -> tuple[Path, str]:
    p = d / f"{kind}.json"
    if kind == "schema-99":
        p.write_text(json.dumps({**good, "schema_version": "99.0"}))
        return p, 'schema_version "99.0" is not one this hypnoscope reads (1.x'
    if kind == "schema-number":
        p.write_text(json.dumps({**good, "schema_version": 1.0}))
        return p, "schema_version 1.0 is not one this hypnoscope reads"
    if kind == "missing-field":
        p.write_text(json.dumps({k: v for k, v in good.items() if k != "metrics"}))
        return p, "schema 1.0 document without its 'metrics' part"
    if kind == "wrong-type":
        p.write_text(json.dumps({**good, "series": [1, 2]}))
        return p, "'series' is a JSON list, not an object"
    if kind == "malformed":
        p.write_text('{"schema_version": "1.0", "source": ')
        return p, "not valid JSON (Expecting value at line 1 column 37)"
    if kind == "empty":
        p.write_text("")
        return p, "an empty file, not a JSON document"
    if kind == "binary":
        p.write_bytes(bytes(range(256)) * 4)
        return p, "binary data, not a JSON document"
    if kind == "text":
        p.write_text("hello, this is a text file\n")
        return p, "not valid JSON"
    if kind == "sqlite":
        return _sqlite(d / "db.json"), "a SQLite database, not a JSON document"
    if kind == "other-json":
        p.write_text(json.dumps({"name": "package.json", "version": "1.0"}))
        return p, "no schema_version: not a hypnoscope analysis document"
    if kind == "bad-value":
        p.write_text(json.dumps({**good, "frames": {"t": ["soon"]}}))
        return p, "malformed analysis document (ValueError"
    raise AssertionError(kind)


DOC_KINDS = ["schema-99", "schema-number", "missing-field", "wrong-type", "malformed",
             "empty", "binary", "text", "sqlite", "other-json", "bad-value"]


@pytest.mark.parametrize("kind", DOC_KINDS)
def test_json_reader_names_the_file_and_what_is_wrong(good_doc, tmp_path, kind):
    from hypnoscope.report.stored import load_json_analyses

    path, cause = _wrong_document(kind, tmp_path, good_doc)
    with pytest.raises(ValueError) as info:
        load_json_analyses(path)
    msg = str(info.value)
    assert msg.startswith(f"{path}: ") and cause in msg and "\n" not in msg, msg


@pytest.mark.parametrize("kind", ["schema-99", "missing-field", "binary"])
def test_report_on_a_wrong_document_is_one_line(good_doc, tmp_path, kind):
    path, cause = _wrong_document(kind, tmp_path, good_doc)
    out = tmp_path / "r.html"
    r = run_cli("report", path, "-o", out)
    assert r.returncode == 1
    line = one_error_line(r)
    assert line.startswith(f"{path}: ") and cause in line, line
    assert not out.exists()


def _wrong_db(kind: str, db: Path) -> str:
    if kind == "foreign-duckdb":
        _foreign_duckdb(db)
    elif kind == "sqlite":
        _sqlite(db)
    else:
        db.write_text("" if kind == "empty" else "name,path\nx,y\n")
    return {"foreign-duckdb": "a DuckDB database of another program (tables users, videos",
            "text": "a text file, not a hypnoscope results database",
            "sqlite": "a SQLite database, not a DuckDB one",
            "empty": "an empty file, not a DuckDB database"}[kind]


@pytest.mark.parametrize("kind", ["foreign-duckdb", "text", "sqlite", "empty"])
def test_store_reader_names_the_file_and_what_is_wrong(tmp_path, kind):
    from hypnoscope.batch.store import NotAStore, Store

    db = tmp_path / "x.duckdb"
    cause = _wrong_db(kind, db)
    before = db.read_bytes()
    with pytest.raises(NotAStore) as info:
        Store(db, read_only=True)
    assert str(info.value).startswith(f"{db}: {cause}")
    with pytest.raises(NotAStore):
        Store(db)
    assert db.read_bytes() == before and listing(tmp_path) == ["x.duckdb"]


@pytest.mark.parametrize("kind", ["foreign-duckdb", "sqlite"])
def test_commands_on_a_wrong_database_are_one_line(tmp_path, kind):
    db = tmp_path / "x.duckdb"
    cause = _wrong_db(kind, db)
    before = db.read_bytes()
    for args in (["report", "--db", db, "--video", "abc"], ["summary", "--db", db],
                 ["query", "--db", db, "SELECT 1"]):
        r = run_cli(*args)
        assert r.returncode in (1, 2)
        assert one_error_line(r).startswith(f"{db}: {cause}"), r.stderr
    assert db.read_bytes() == before


def test_batch_refuses_another_programs_duckdb_before_writing_to_it(clip, tmp_path):
    db = _foreign_duckdb(tmp_path / "theirs.duckdb")
    before = db.read_bytes()
    r = run_cli("batch", clip, "--db", db)
    assert r.returncode == 2
    assert "a DuckDB database of another program" in one_error_line(r)
    assert db.read_bytes() == before
    assert listing(tmp_path) == ["theirs.duckdb"]  # not even a lock file


def test_duckdb_never_installs_or_loads_extensions_by_itself(tmp_path):
    from hypnoscope.batch.store import Store

    with Store(tmp_path / "r.duckdb") as s:
        settings = s.query("SELECT current_setting('autoinstall_known_extensions'), "
                           "current_setting('autoload_known_extensions')")[1]
    assert settings == [(False, False)]


def test_store_keeps_every_string_from_a_file_name_as_valid_text(tmp_path):
    from hypnoscope.batch.inputs import read_list
    from hypnoscope.batch.store import Item, Store

    odd = os.fsdecode(b"/v/f\xe9e/clip\xff.mp4")
    lst = tmp_path / "list.csv"
    lst.write_bytes(b"path,label,note\n/v/f\xe9e/clip\xff.mp4,ai,caf\xe9\n")
    (item_in,) = read_list(lst)
    assert item_in.path == odd and item_in.extra == {"note": os.fsdecode(b"caf\xe9")}
    item = Item(path=odd, content_hash=None, label=os.fsdecode(b"l\xff"),
                folder=os.fsdecode(b"f\xe9e"), extra=item_in.extra)
    result = {"ok": False, "kind": "video", "error": f"{odd}: cannot decode",
              "source": {"path": odd, "notes": [odd]}}
    with Store(tmp_path / "r.duckdb") as s:
        s.write_result(item, "k", result, run_id="r")
        s.retag(s.query("SELECT video_id FROM videos")[1][0][0], item)
        row = s.query("SELECT path, file_name, label, folder, error, extra->>'note', "
                      "source_facts->>'path' FROM videos")[1][0]
        known = s.file_hashes()
    assert row == ("/v/f\\xe9e/clip\\xff.mp4", "clip\\xff.mp4", "l\\xff", "f\\xe9e",
                   "/v/f\\xe9e/clip\\xff.mp4: cannot decode", "caf\\xe9",
                   "/v/f\\xe9e/clip\\xff.mp4")
    assert path_from_text(row[0]) == odd
    assert known == {}  # no content hash: nothing to remember
