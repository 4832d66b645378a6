"""Signal extractors: each reads the shared frame context and emits per-frame series.

To add a signal, write a module with an extractor class and add it to
:func:`default_extractors`; it runs in the same single decode pass as the others.
"""

from __future__ import annotations

from hypnoscope.signals.base import Extractor
from hypnoscope.signals.context import FlowEngine, FrameContext
from hypnoscope.signals.cuts import CutExtractor
from hypnoscope.signals.focus import FocusExtractor
from hypnoscope.signals.motion import MotionExtractor
from hypnoscope.signals.surprise import SurpriseExtractor
from hypnoscope.signals.wander import WanderExtractor


def default_extractors() -> list[Extractor]:
    """A fresh set of the default extractors (they hold per-video state)."""
    cuts = CutExtractor()
    return [
        cuts,
        MotionExtractor(),
        SurpriseExtractor(cut_source=cuts),
        WanderExtractor(cut_source=cuts),
        FocusExtractor(cut_source=cuts),
    ]


__all__ = ["Extractor", "FrameContext", "FlowEngine", "default_extractors",
           "CutExtractor", "MotionExtractor", "SurpriseExtractor",
           "WanderExtractor", "FocusExtractor"]
