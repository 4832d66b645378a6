"""Shared fixtures: small synthetic clips written once per session, and the corpus path."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hypnoscope.media import synth


def corpus_dir() -> Path | None:
    """../shared/corpus/dev beside the project (or $HYPNOSCOPE_CORPUS), None when absent."""
    env = os.environ.get("HYPNOSCOPE_CORPUS")
    root = Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "corpus"
    dev = root / "dev" if (root / "dev").is_dir() else root
    return dev if (dev / "manifest.tsv").is_file() else None


@pytest.fixture(scope="session")
def corpus() -> Path:
    d = corpus_dir()
    if d is None:
        pytest.skip("the reference corpus (../shared/corpus) is absent")
    return d


@pytest.fixture(scope="session")
def clipdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("clips")


@pytest.fixture(scope="session")
def pan_clip(clipdir) -> Path:
    """4 s at 24 fps, 320x180: a texture panning 2 px/frame to the left."""
    canvas = synth.texture(180, 320 + 2 * 96 + 8, seed=11, scale=4.0)
    return Path(synth.write_video(clipdir / "pan.mp4", synth.pan(canvas, 96, 2.0), fps=24))
