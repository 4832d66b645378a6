"""Running the real command line from the tests: ``python -m hypnoscope`` in a subprocess,
importing this checkout of the package (so the tests never exercise an older install)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from hypnoscope.batch.worker import FAULTS_ENV

ROOT = Path(__file__).resolve().parents[1]


def cli_env(faults: str | None = None, **extra: str) -> dict[str, str]:
    """The environment of a command: this process's, with this checkout first on the path,
    the worker fault hook set to ``faults`` (or unset), and ``extra`` variables."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.pop(FAULTS_ENV, None)
    if faults:
        env[FAULTS_ENV] = faults
    env.update(extra)
    return env


def run_cli(*args, faults: str | None = None, timeout: float = 120,
            env: dict[str, str] | None = None, **popen) -> subprocess.CompletedProcess:
    """``hypnoscope ARGS...``, its output captured as text."""
    return subprocess.run([sys.executable, "-m", "hypnoscope", *map(str, args)],
                          env=env or cli_env(faults), capture_output=True, text=True,
                          timeout=timeout, **popen)


def run_python(script: str, *args, timeout: float = 120) -> subprocess.CompletedProcess:
    """``python -c SCRIPT ARGS...`` in a fresh interpreter that imports this checkout."""
    return subprocess.run([sys.executable, "-c", script, *map(str, args)], env=cli_env(),
                          capture_output=True, text=True, timeout=timeout)
