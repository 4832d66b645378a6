"""Signal extractors: each reads the shared frame context and emits per-frame series.

To add a signal, write a module with an extractor class and add it to
:func:`default_extractors`; it runs in the same single decode pass as the others.
"""

from __future__ import annotations

from hypnoscope.signals.activity import ActivityExtractor
from hypnoscope.signals.appearance import AppearanceExtractor
from hypnoscope.signals.base import Extractor
from hypnoscope.signals.boiling import BoilingExtractor
from hypnoscope.signals.context import FlowEngine, FrameContext
from hypnoscope.signals.cuts import CutExtractor
from hypnoscope.signals.duplicates import DuplicateExtractor
from hypnoscope.signals.flicker import FlickerExtractor
from hypnoscope.signals.focus import FocusExtractor
from hypnoscope.signals.interpolation import InterpolationExtractor
from hypnoscope.signals.motion import MotionExtractor
from hypnoscope.signals.motion_field import MotionFieldExtractor
from hypnoscope.signals.noise import NoiseExtractor
from hypnoscope.signals.rigidity import RigidityExtractor
from hypnoscope.signals.second_order import SecondOrderExtractor
from hypnoscope.signals.surprise import SurpriseExtractor
from hypnoscope.signals.wander import WanderExtractor
from hypnoscope.signals.warping import WarpingErrorExtractor


def default_extractors() -> list[Extractor]:
    """A fresh set of the default extractors (they hold per-video state)."""
    cuts = CutExtractor()
    return [
        cuts,
        MotionExtractor(),
        # fluidity and pace
        DuplicateExtractor(),
        InterpolationExtractor(),
        WarpingErrorExtractor(),
        FlickerExtractor(),
        ActivityExtractor(),
        SecondOrderExtractor(),
        MotionFieldExtractor(),
        # polish
        AppearanceExtractor(),
        NoiseExtractor(),
        BoilingExtractor(),
        # pressure, wander and focus
        SurpriseExtractor(cut_source=cuts),
        WanderExtractor(cut_source=cuts),
        RigidityExtractor(cut_source=cuts),
        FocusExtractor(cut_source=cuts),
    ]


__all__ = ["Extractor", "FrameContext", "FlowEngine", "default_extractors",
           "CutExtractor", "MotionExtractor", "DuplicateExtractor", "InterpolationExtractor",
           "WarpingErrorExtractor", "FlickerExtractor", "ActivityExtractor",
           "SecondOrderExtractor", "MotionFieldExtractor", "AppearanceExtractor",
           "NoiseExtractor", "BoilingExtractor", "SurpriseExtractor", "WanderExtractor",
           "RigidityExtractor", "FocusExtractor"]
