"""Intent: the arc a person wants, how far a clip is from it, steering a clip there, and
editing many clips into a piece that follows it."""

from hypnoscope.intent.arcs import PRESETS, Arc, ArcError, load_arc
from hypnoscope.intent.gap import Difference, IntentGap, gap_from_curve, intent_gap
from hypnoscope.intent.plan import EditPlan, Limits, Segment
from hypnoscope.intent.steer import SteerResult, steer


def __getattr__(name: str):
    if name in ("edit", "EditResult", "EditError"):  # the edit stack loads on first use
        from hypnoscope.intent import editor

        return getattr(editor, name)
    raise AttributeError(f"module 'hypnoscope.intent' has no attribute {name!r}")


__all__ = ["Arc", "ArcError", "PRESETS", "load_arc", "IntentGap", "Difference",
           "intent_gap", "gap_from_curve", "EditPlan", "Segment", "Limits", "steer",
           "SteerResult", "edit", "EditResult", "EditError"]
