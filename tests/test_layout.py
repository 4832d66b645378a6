"""The package's public surface and its import weight: the public API stays where users
find it, and the edges load only what they use (checked in fresh interpreters)."""

from __future__ import annotations

import json

from cli_run import run_cli, run_python

HEAVY = {"duckdb", "sklearn", "matplotlib", "jinja2", "ray", "starlette", "uvicorn"}

LOADED = """
import json, sys
{setup}
print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}})))
"""


def _top_modules(setup: str) -> set[str]:
    r = run_python(LOADED.format(setup=setup))
    assert r.returncode == 0, r.stderr
    return set(json.loads(r.stdout.strip().splitlines()[-1]))


def test_import_hypnoscope_loads_no_database_learning_plotting_or_cluster_library():
    loaded = _top_modules("import hypnoscope")
    assert "hypnoscope" in loaded
    assert not loaded & HEAVY, loaded & HEAVY
    # not even the decoder or NumPy: the public names load on first use
    assert not loaded & {"numpy", "av", "cv2", "scipy"}, loaded


def test_version_command_loads_only_the_command_line():
    setup = """
from hypnoscope.cli import app
try:
    app(["--version"])
except SystemExit as e:
    assert e.code == 0
"""
    loaded = _top_modules(setup)
    assert "typer" in loaded
    assert not loaded & (HEAVY | {"numpy", "av", "cv2", "scipy"}), loaded
    r = run_cli("--version")
    assert r.returncode == 0 and r.stdout.startswith("hypnoscope ")


def test_public_api_is_where_it_was():
    r = run_python("""
import hypnoscope
from hypnoscope import (analyze, Analysis, intent_gap, steer, VideoError, SourceFacts,
                        DecodeOptions, SCHEMA_VERSION, IntentGap, SteerResult, Arc, ArcError,
                        load_arc, __version__)
from hypnoscope.report.html import render_clip_report
from hypnoscope.scoring.model import Model
assert callable(analyze) and callable(intent_gap) and callable(steer)
assert issubclass(VideoError, Exception) and hasattr(Model, 'load')
assert callable(render_clip_report)
assert set(hypnoscope.__all__) <= set(dir(hypnoscope))
try:
    hypnoscope.no_such_name
except AttributeError:
    pass
else:
    raise SystemExit('a missing name must raise AttributeError')
print('ok')
""")
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr


def test_arc_help_names_every_preset():
    from hypnoscope.cli.options import ARC_HELP
    from hypnoscope.intent.arcs import PRESET_NAMES

    for name in PRESET_NAMES:
        assert name in ARC_HELP
