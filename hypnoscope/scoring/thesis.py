"""The thesis as data: which way each metric points when a clip is 'hypnotic'.

``+1`` means a higher value is more like the thesis's description of generated video
(fluid, slow and constant, morphing, polished, unfocused); ``-1`` means lower is; metrics
not listed do not enter the hypnotic index (they may still enter the AI-likeness model).
"""

from __future__ import annotations

#: The thesis's claims, in DESIGN.md's order, and the factors that test each.
CLAIMS: dict[str, dict] = {
    "fluid": {"text": "blends everything seamlessly, no sharp edges in time",
              "factors": ("fluidity",)},
    "slow, constant pressure": {"text": "slow motion, constant pressure, no setup and payoff",
                                "factors": ("pace", "pressure")},
    "wandering, morphing": {"text": "keeps shifting slightly, wandering from goal to goal",
                            "factors": ("wander",)},
    "polished": {"text": "visual candy: its visual appeal is the whole point",
                 "factors": ("polish",)},
    "unfocused": {"text": "content without intent: nothing is emphasised",
                  "factors": ("focus",)},
}

#: Direction of each metric under the thesis (see module docstring).
DIRECTION: dict[str, int] = {
    # fluidity: few cuts and transitions, predictable and smooth motion, little flicker
    "cuts_per_minute": -1, "transitions_per_minute": -1, "interpolation_error": -1,
    "camera_jerk": -1, "feature_accel_spread": -1, "flicker": -1,
    # pace: slow; pressure: constant, no setup and payoff
    "motion_energy": -1, "motion_energy_p90": -1, "visual_activity": -1,
    "motion_timescale": +1, "shot_tempo": -1,
    "tension_range": -1, "salient_events_per_minute": -1, "peak_prominence": -1,
    "build_up": -1, "release": -1, "flatness": +1,
    # ... and frame by frame: the two series the tension curve is built from hold their level
    "motion_cv": -1, "surprise_cv": -1,
    # wander and morph: appearance changes that motion does not explain, no straight path
    "morph_index": +1, "nonrigidity": +1, "epipolar_residual": +1, "descriptor_speed": +1,
    "descriptor_straightness": -1, "recurrence": -1,
    # polish: clean, sharp, colourful, no clipping
    "sharpness": +1, "fine_texture": +1, "boiling_corr": +1, "colourfulness": +1,
    "saturation": +1, "contrast_rms": +1, "clipped_highlights": -1, "clipped_shadows": -1,
    # focus: change spread everywhere and moving around
    "motion_gini": -1, "change_gini": -1, "focus_persistence": -1,
}
