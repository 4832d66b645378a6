"""Intent: the arc a person wants, how far a clip is from it, and steering it there."""

from hypnoscope.intent.arcs import PRESETS, Arc, ArcError, load_arc
from hypnoscope.intent.gap import Difference, IntentGap, gap_from_curve, intent_gap
from hypnoscope.intent.plan import EditPlan, Limits, Segment
from hypnoscope.intent.steer import SteerResult, steer

__all__ = ["Arc", "ArcError", "PRESETS", "load_arc", "IntentGap", "Difference",
           "intent_gap", "gap_from_curve", "EditPlan", "Segment", "Limits", "steer",
           "SteerResult"]
