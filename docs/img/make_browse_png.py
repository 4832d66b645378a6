"""Regenerate docs/img/browse.png: the corpus view of ``hypnoscope browse``.

    PYTHONPATH=. python docs/img/make_browse_png.py

Needs headless Chromium (Debian package ``chromium``) and Playwright (the test extra).
Writes ten synthetic clips into a temporary folder (five like the demo's hypnotic clip,
five like its edited camera clip, from different seeds, labelled ``ai`` and ``real`` with a
made-up source each) and one file that is not a video, runs ``hypnoscope batch`` over them
with a CSV list, starts ``hypnoscope browse`` on the database and screenshots the corpus
view sorted by AI-likeness, palette-quantized to stay small.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

from hypnoscope.media import synth

OUT = Path(__file__).with_name("browse.png")
WIDTH, HEIGHT = 1400, 900


def main() -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        sys.exit("needs chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        rows = ["path,label,source"]
        for k in range(5):
            name = f"drift_{k + 1}.mp4"
            synth.write_video(tmp / name, synth.hypnotic_clip(seconds=4.0, height=180,
                                                              width=320, seed=1 + 2 * k))
            rows.append(f"{name},ai,generator-{'ab'[k % 2]}")
            name = f"street_{k + 1}.mp4"
            synth.write_video(tmp / name, synth.edited_camera_clip(seconds=4.0, height=180,
                                                                   width=320, seed=2 + 2 * k))
            rows.append(f"{name},real,camera-{'ab'[k % 2]}")
        (tmp / "broken.mp4").write_text("not a video\n")
        rows.append("broken.mp4,real,camera-a")
        (tmp / "list.csv").write_text("\n".join(rows) + "\n")
        db = tmp / "results.duckdb"
        cmd = [sys.executable, "-m", "hypnoscope"]
        subprocess.run(cmd + ["batch", str(tmp / "list.csv"), "--db", str(db), "--quiet"],
                       timeout=900)
        server = subprocess.Popen(cmd + ["browse", "--db", str(db), "--port", "0"],
                                  stdout=subprocess.PIPE, text=True)
        try:
            base = re.search(r"http://\S+/", server.stdout.readline()).group(0)
            png = tmp / "browse.png"
            with sync_playwright() as p:
                b = p.chromium.launch(executable_path=browser, args=[
                    "--headless", "--no-sandbox", "--disable-gpu",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync"])
                page = b.new_page(viewport={"width": WIDTH, "height": HEIGHT})
                page.goto(base + "?sort=ai")
                page.screenshot(path=str(png))
                b.close()
        finally:
            server.terminate()
            server.wait(timeout=20)
        im = Image.open(png).convert("RGB")
        small = im.resize((int(im.width * 0.8), int(im.height * 0.8)), Image.LANCZOS).quantize(
            colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        small.save(OUT, optimize=True)
    print(f"wrote {OUT} ({OUT.stat().st_size // 1024} kB)")


if __name__ == "__main__":
    main()
