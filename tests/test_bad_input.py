"""Every kind of bad input: one line naming the file and the cause, exit 1, others go on."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from cli_run import run_cli

import hypnoscope
from hypnoscope.media import synth


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("bad")
    canvas = synth.texture(90, 300, seed=2)
    frames = synth.pan(canvas, 48, dx=2.0, height=90, width=160)
    good = synth.write_video(d / "good.mp4", frames, fps=24)
    (d / "empty.mp4").write_bytes(b"")
    (d / "text.mp4").write_text("this is not a video\n" * 20)
    full = open(good, "rb").read()
    (d / "truncated.mp4").write_bytes(full[: len(full) // 2])
    # a truncated file whose index is at the front (fast start): the data simply stops
    import av
    fs = d / "faststart.mp4"
    with av.open(str(fs), "w", options={"movflags": "faststart"}) as c:
        s = c.add_stream("libx264", rate=24)
        s.width, s.height, s.pix_fmt = 160, 90, "yuv420p"
        for f in frames:
            for p in s.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    data = fs.read_bytes()
    (d / "truncated_faststart.mp4").write_bytes(data[: len(data) // 2])
    synth.audio_only(d / "audio.m4a")
    synth.write_video(d / "single.mp4", frames[:1], fps=24)
    cv2.imwrite(str(d / "image.png"), np.full((40, 60, 3), 128, np.uint8))
    return {
        "good": good,
        "missing": d / "missing.mp4",
        "directory": d,
        "empty": d / "empty.mp4",
        "text": d / "text.mp4",
        "truncated": d / "truncated.mp4",
        "truncated_faststart": d / "truncated_faststart.mp4",
        "audio": d / "audio.m4a",
        "single": d / "single.mp4",
        "png": d / "image.png",
    }


CAUSES = {
    "missing": "not found",
    "directory": "directory",
    "empty": "empty",
    "text": "not a video",
    "truncated": "",
    "truncated_faststart": "truncated",
    "audio": "audio only",
    "single": "one frame",
    "png": "still image",
}


@pytest.mark.parametrize("kind", list(CAUSES))
def test_api_raises_video_error_naming_file_and_cause(bad_files, kind):
    path = bad_files[kind]
    with pytest.raises(hypnoscope.VideoError) as info:
        hypnoscope.analyze(path)
    msg = str(info.value)
    assert "\n" not in msg
    assert str(path) in msg
    assert CAUSES[kind] in msg


def test_cli_one_line_per_bad_file_and_good_files_still_analyzed(bad_files, tmp_path):
    kinds = list(CAUSES)
    out = tmp_path / "out.json"
    args = [bad_files[k] for k in kinds[:4]] + [bad_files["good"]] + [
        bad_files[k] for k in kinds[4:]]
    r = run_cli("analyze", *args, "--json", out)
    assert r.returncode == 1, r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == len(kinds), r.stderr
    for k, line in zip(kinds, lines, strict=True):
        assert str(bad_files[k]) in line
    assert "Traceback" not in r.stderr
    import json
    docs = json.loads(out.read_text())  # several inputs: a list, whatever succeeded
    assert [d["source"]["path"] for d in docs] == [str(bad_files["good"])]


def test_debug_shows_the_traceback(bad_files):
    r = run_cli("analyze", bad_files["text"], "--debug", "--quiet")
    assert r.returncode == 1
    assert "Traceback" in r.stderr
