"""Regenerate docs/img/report.png: the reports of the two demo clips side by side.

    PYTHONPATH=. python docs/img/make_report_png.py

Needs headless Chromium (Debian package ``chromium``). Writes the demo clips and their
reports into a temporary folder, screenshots the top of each report and puts them side by
side (hypnotic on the left, edited camera footage on the right), palette-quantized to stay
small.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

from hypnoscope.analysis import analyze
from hypnoscope.cli.demo import CLIPS
from hypnoscope.media import synth
from hypnoscope.media.synth import write_video
from hypnoscope.report.html import render_clip_report, write_html

OUT = Path(__file__).with_name("report.png")
WIDTH, HEIGHT = 960, 1290  # browser window per report, px
SCALE = 0.72  # of the final composite


def screenshot(page: Path, png: Path, tmp: Path) -> Image.Image:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        sys.exit("needs chromium (apt-get install chromium)")
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                    f"--user-data-dir={tmp / 'profile'}", f"--screenshot={png}",
                    f"--window-size={WIDTH},{HEIGHT}", page.as_uri()],
                   check=True, capture_output=True, timeout=120)
    return Image.open(png).convert("RGB")


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        shots = []
        for name, (_, make) in CLIPS.items():
            clip = Path(write_video(tmp / name, getattr(synth, make)()))
            page = write_html(clip.with_suffix(".html"), render_clip_report(analyze(clip)))
            shots.append(screenshot(page, clip.with_suffix(".png"), tmp))
        gap = 16
        both = Image.new("RGB", (WIDTH * 2 + gap, HEIGHT), (255, 255, 255))
        for k, im in enumerate(shots):
            both.paste(im, (k * (WIDTH + gap), 0))
        size = (int(both.width * SCALE), int(both.height * SCALE))
        small = both.resize(size, Image.LANCZOS).quantize(
            colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        small.save(OUT, optimize=True)
    print(f"wrote {OUT} ({OUT.stat().st_size // 1024} kB)")


if __name__ == "__main__":
    main()
