"""hypnoscope: measure why a video feels hypnotic, fluid and uncanny, and explain it."""

from hypnoscope._version import __version__
from hypnoscope.analysis import SCHEMA_VERSION, Analysis, analyze
from hypnoscope.errors import VideoError
from hypnoscope.intent import Arc, ArcError, IntentGap, SteerResult, intent_gap, load_arc, steer
from hypnoscope.media.decode import DecodeOptions, SourceFacts

__all__ = ["__version__", "analyze", "Analysis", "SourceFacts", "DecodeOptions",
           "VideoError", "SCHEMA_VERSION", "intent_gap", "IntentGap", "steer", "SteerResult",
           "Arc", "ArcError", "load_arc"]
