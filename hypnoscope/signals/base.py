"""The extractor protocol: read frame contexts, append to per-frame series."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from hypnoscope.signals.context import FrameContext


class Extractor(Protocol):
    """A signal extractor. ``update`` is called once per analysis frame, in order;
    ``series`` returns named per-frame arrays, each as long as the number of frames
    (nan where undefined, e.g. the first frame of a flow signal); ``units`` names the unit
    of each series; ``events`` returns named lists of event times in seconds.

    An extractor may also define ``artifacts(events) -> dict`` for output that is not a
    per-frame series (e.g. keyframe thumbnails); it is called once after the pass with the
    events of every extractor, and its result is merged into the analysis."""

    name: str

    def update(self, ctx: FrameContext) -> None: ...

    def series(self) -> dict[str, np.ndarray]: ...

    def units(self) -> dict[str, str]: ...

    def events(self) -> dict[str, list[float]]: ...
