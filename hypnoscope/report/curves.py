"""Which per-frame series the reports draw, and on what scale (one list, easy to edit).

Each curve names the series it draws (the first name present in an analysis is used, so a
renamed series still shows), its colour, and the smallest top of its y axis in the series'
unit. That floor puts every report on a shared scale: a flat or slow clip looks flat or slow
next to a camera clip, instead of being stretched to fill the plot.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Curve:
    """A per-frame series to plot: the first of ``names`` present in the analysis, its
    ``title``, line ``color``, the smallest top of its y axis (``y_floor``, in the
    series' unit) and what to look for in it."""

    names: tuple[str, ...]
    title: str
    color: str
    y_floor: float
    look_for: str


#: The tension curve (drawn large, with cuts, peaks, climax and the intended arc).
TENSION = Curve(("tension",), "Tension over time", "#d9480f", 3.0,
                "Edited footage builds and releases: peaks, a climax, quiet stretches between "
                "cuts. The thesis expects generated video to hold one constant pressure: a "
                "flat curve with no payoff.")

#: The other curves shown, in order. Absent ones are listed as not measured.
CURVES: tuple[Curve, ...] = (
    Curve(("motion",), "Motion energy", "#1971c2", 0.25,
          "How fast things move (optical flow, frame diagonals per second). Camera footage "
          "comes in bursts and pauses; the thesis expects a slow, steady glide."),
    Curve(("interp_error", "interpolation_error", "interp_predictability"),
          "Interpolation predictability", "#5f3dc4", 0.5,
          "How badly a frame is predicted by blending its neighbours along the motion. Low "
          "and even means every frame is a seamless in-between; real motion has spikes."),
    Curve(("morph", "morph_index"), "Morph index", "#c2255c", 0.5,
          "Change that motion does not explain. High means things turn into other things "
          "without moving: the thesis's morphing and wandering."),
    Curve(("nonrigidity",), "Non-rigidity", "#2b8a3e", 2.0,
          "How much less exactly tracked points follow one rigid motion than the same picture "
          "moved rigidly would (log ratio, 0 = rigid). A camera sees a solid world; high "
          "stretches are where surfaces slide and breathe against each other."),
)
