"""The parts of the batch machinery, one at a time: inputs, hashing, keys, store writes."""

from __future__ import annotations

import os

import pytest

from hypnoscope.batch.inputs import InputError, collect_inputs, content_hash, read_list
from hypnoscope.batch.pool import death_reason
from hypnoscope.batch.run import parse_size
from hypnoscope.batch.store import Item, Store, analysis_key, video_id


def test_folder_search_is_recursive_and_picks_video_extensions(tmp_path):
    for rel in ("a/x.mp4", "a/deep/y.GIF", "b/z.webp", "b/notes.txt", ".hidden/h.mp4",
                "top.mkv", "a/.dot.mp4"):
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"x")
    found = {os.path.relpath(f.path, tmp_path): f.folder for f in collect_inputs([tmp_path])}
    assert found == {"a/x.mp4": "a", "a/deep/y.GIF": "a", "b/z.webp": "b", "top.mkv": None}


def test_inputs_are_deduplicated_and_missing_files_kept(tmp_path):
    (tmp_path / "v.mp4").write_bytes(b"x")
    got = [f.path for f in collect_inputs([tmp_path / "v.mp4", tmp_path,
                                           tmp_path / "missing.mp4"])]
    assert got == [str(tmp_path / "v.mp4"), str(tmp_path / "missing.mp4")]


def test_list_files(tmp_path):
    (tmp_path / "l.txt").write_text("# comment\nrel/a.mp4\n\n/abs/b.mp4\n")
    assert [f.path for f in read_list(tmp_path / "l.txt")] == [
        str(tmp_path / "rel/a.mp4"), "/abs/b.mp4"]
    (tmp_path / "l.tsv").write_text("file\tlabel\tgenerator\nx.gif\tai\tSora\n")
    (item,) = read_list(tmp_path / "l.tsv")
    assert (item.path, item.label, item.source, item.extra) == (
        str(tmp_path / "x.gif"), "ai", None, {"generator": "Sora"})
    (tmp_path / "bad.csv").write_text("name,label\nx.mp4,ai\n")
    with pytest.raises(InputError, match="no path column"):
        list(read_list(tmp_path / "bad.csv"))


def test_content_hash_follows_content_not_name(tmp_path):
    a, b, c = tmp_path / "a.mp4", tmp_path / "b.mp4", tmp_path / "c.mp4"
    a.write_bytes(os.urandom(3 << 20))
    b.write_bytes(a.read_bytes())
    c.write_bytes(a.read_bytes()[:-1] + b"\0")
    assert content_hash(str(a)) == content_hash(str(b)) != content_hash(str(c))


def test_analysis_key_changes_with_options_and_version():
    base = {"height": 180, "fps": 8.0, "window_s": 4.0}
    assert analysis_key(base) == analysis_key({"fps": 8, "window_s": 4, "height": 180})
    assert analysis_key(base) != analysis_key(dict(base, fps=6.0))
    assert analysis_key(base, "1.0") != analysis_key(base, "1.1")
    assert video_id("ab" * 32, "k", "/x") != video_id(None, "k", "/x")


def test_parse_size():
    assert parse_size("2GiB") == 2 << 30
    assert parse_size("512M") == 512 << 20
    assert parse_size("1.5g") == int(1.5 * (1 << 30))
    assert parse_size("0") is None
    with pytest.raises(ValueError):
        parse_size("lots")


def test_death_reason():
    assert "SIGSEGV" in death_reason(-11)
    assert "out-of-memory" in death_reason(-9)
    assert "code 3" in death_reason(3)


RESULT = {"ok": True, "source": {"duration_s": 2.0, "frames_decoded": 48, "codec": "h264",
                                 "notes": ["n"]},
          "options": {"fps": 8.0}, "metrics": {"m1": 1.5, "m2": float("nan")},
          "metric_info": {"m1": ("s", "pace"), "m2": ("", "pace")},
          "windows": [(0.0, 1.0, {"m1": 1.0, "m2": 2.0})], "times": [0.0, 0.125],
          "series": {"s": [1.0, float("nan")]}, "series_units": {"s": "px"},
          "events": {"cuts": [0.5, 1.0]}, "extras": {"scores": {"ai_likeness": 0.7}}}


def test_store_writes_everything_generically(tmp_path):
    with Store(tmp_path / "r.duckdb") as s:
        item = Item(path="/v.mp4", content_hash="ab" * 32, size_bytes=10, mtime_ns=1)
        vid = s.write_result(item, "k", RESULT, run_id="r")
        assert s.query("SELECT metric, window_index, value FROM metrics ORDER BY ALL")[1] == [
            ("m1", -1, 1.5), ("m1", 0, 1.0), ("m2", -1, None), ("m2", 0, 2.0)]
        assert s.query("SELECT value FROM series")[1] == [([1.0, None],)]
        assert s.query("SELECT count(*) FROM events")[1] == [(2,)]
        assert s.query("SELECT document->>'$.scores.ai_likeness', codec, duration_s, "
                       "source_facts->>'$.notes[0]' FROM videos")[1] == [
            ("0.7", "h264", 2.0, "n")]
        assert s.statuses("k") == {vid: "ok"}
        assert s.file_hashes() == {"/v.mp4": (10, 1, "ab" * 32)}


def test_store_write_is_all_or_nothing(tmp_path, monkeypatch):
    with Store(tmp_path / "r.duckdb") as s:
        item = Item(path="/v.mp4", content_hash="cd" * 32, size_bytes=10, mtime_ns=1)

        def broken(*a, **k):
            s.con.execute("INSERT INTO metrics VALUES ('x', 'm', -1, 0, 1, 1)")
            raise RuntimeError("disk on fire")

        monkeypatch.setattr(s, "_write_measurements", broken)
        with pytest.raises(RuntimeError):
            s.write_result(item, "k", RESULT, run_id="r")
        for table in ("videos", "metrics", "files"):
            assert s.query(f"SELECT count(*) FROM {table}")[1] == [(0,)]


def test_second_writer_gets_a_clear_refusal(tmp_path):
    from hypnoscope.batch.store import StoreBusy

    with Store(tmp_path / "r.duckdb"):
        with pytest.raises(StoreBusy, match="another hypnoscope process"):
            Store(tmp_path / "r.duckdb")
