"""hypnoscope: measure why a video feels hypnotic, fluid and uncanny, and explain it."""

from hypnoscope._version import __version__
from hypnoscope.analysis import SCHEMA_VERSION, Analysis, analyze
from hypnoscope.decode import DecodeOptions, SourceFacts
from hypnoscope.errors import VideoError

__all__ = ["__version__", "analyze", "Analysis", "SourceFacts", "DecodeOptions",
           "VideoError", "SCHEMA_VERSION"]
