"""hypnoscope: measure why a video feels hypnotic, fluid and uncanny, and explain it.

The package reads as its data flow: ``media/`` (decode, transcode) → the single pass
(``analysis``, ``signals/``, ``metrics/``) → judgements (``scoring/``) and ``intent/`` →
presentation (``report/``) → scale (``batch/``), with the command line at the edge
(``cli/``). The public names below are imported when first used, so ``import hypnoscope``
is quick and pulls in no database, learning, plotting or cluster library.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from hypnoscope._version import __version__
from hypnoscope.errors import VideoError

#: public name -> module that defines it
_LAZY = {
    "analyze": "hypnoscope.analysis", "Analysis": "hypnoscope.analysis",
    "SCHEMA_VERSION": "hypnoscope.analysis",
    "DecodeOptions": "hypnoscope.media.decode", "SourceFacts": "hypnoscope.media.decode",
    "intent_gap": "hypnoscope.intent", "IntentGap": "hypnoscope.intent",
    "steer": "hypnoscope.intent", "SteerResult": "hypnoscope.intent",
    "edit": "hypnoscope.intent", "EditResult": "hypnoscope.intent",
    "Arc": "hypnoscope.intent", "ArcError": "hypnoscope.intent", "load_arc": "hypnoscope.intent",
}

if TYPE_CHECKING:
    from hypnoscope.analysis import SCHEMA_VERSION, Analysis, analyze
    from hypnoscope.intent import (
        Arc,
        ArcError,
        EditResult,
        IntentGap,
        SteerResult,
        edit,
        intent_gap,
        load_arc,
        steer,
    )
    from hypnoscope.media.decode import DecodeOptions, SourceFacts


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'hypnoscope' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = ["__version__", "analyze", "Analysis", "SourceFacts", "DecodeOptions",
           "VideoError", "SCHEMA_VERSION", "intent_gap", "IntentGap", "steer", "SteerResult",
           "edit", "EditResult", "Arc", "ArcError", "load_arc"]
