"""Edit plans as OpenTimelineIO timelines, so an edit opens in editing software.

Each shot is a clip on one video track referencing the original file (an absolute
``file://`` URL) with its planned in point and length. Conventions, as OTIO's editorial
adapters use them: a clip's ``source_range`` starts at the planned in point and lasts the
shot's length *on the timeline*; a speed other than 1x is a ``LinearTimeWarp`` effect
(source used = length x speed, so in + length x speed is the planned out point); a hold is
a separate clip of the held picture with a ``FreezeFrame`` effect; a dissolve is an
``SMPTE_Dissolve`` transition centred on the cut. Each clip's metadata (``hypnoscope``) also
states the planned source in/out and speed in seconds.
"""

from __future__ import annotations

import os
from pathlib import Path

import opentimelineio as otio

from hypnoscope.intent.edl import EditList
from hypnoscope.intent.plan import EditPlan


def _rt(seconds: float, rate: float) -> otio.opentime.RationalTime:
    return otio.opentime.RationalTime(round(seconds * rate, 6), rate)


def _range(start_s: float, dur_s: float, rate: float) -> otio.opentime.TimeRange:
    return otio.opentime.TimeRange(_rt(start_s, rate), _rt(dur_s, rate))


def _reference(path: str, duration_s: float, rate: float) -> otio.schema.ExternalReference:
    return otio.schema.ExternalReference(
        target_url=Path(os.path.abspath(path)).as_uri(),
        available_range=_range(0.0, duration_s, rate))


def _play_clip(name: str, path: str, source_duration: float, src_in: float, src_out: float,
               length: float, speed: float, rate: float, shot: int) -> otio.schema.Clip:
    clip = otio.schema.Clip(name=name, media_reference=_reference(path, source_duration, rate),
                            source_range=_range(src_in, length, rate))
    if abs(speed - 1.0) > 1e-6:
        clip.effects.append(otio.schema.LinearTimeWarp(name="speed", time_scalar=speed))
    clip.metadata["hypnoscope"] = {"shot": shot, "source_in_s": round(src_in, 4),
                                   "source_out_s": round(src_out, 4), "speed": round(speed, 4)}
    return clip


def _hold_clip(name: str, path: str, source_duration: float, at: float, length: float,
               rate: float, shot: int) -> otio.schema.Clip:
    start = max(0.0, at)
    clip = otio.schema.Clip(name=f"{name} (hold)",
                            media_reference=_reference(path, source_duration, rate),
                            source_range=_range(start, length, rate))
    clip.effects.append(otio.schema.FreezeFrame(name="hold"))
    clip.metadata["hypnoscope"] = {"shot": shot, "hold_s": round(length, 4),
                                   "held_source_s": round(start, 4)}
    return clip


def edit_timeline(edl: EditList, rate: float, name: str = "hypnoscope edit",
                  media_rates: list[float] | None = None) -> otio.schema.Timeline:
    """The edit of several clips as a timeline at ``rate`` frames/s; each clip's source
    times are counted at its own frame rate (``media_rates``, default ``rate``)."""
    tl = otio.schema.Timeline(name=name)
    tl.global_start_time = _rt(0.0, rate)
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    tl.tracks.append(track)
    for i, s in enumerate(edl.shots):
        path = edl.paths[s.clip]
        base = os.path.basename(path)
        mrate = media_rates[s.clip] if media_rates else rate
        if i > 0 and s.join == "dissolve" and s.dissolve_s > 0:
            half = _rt(s.dissolve_s / 2, rate)
            track.append(otio.schema.Transition(
                name="dissolve", transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve,
                in_offset=half, out_offset=half))
        track.append(_play_clip(base, path, edl.durations[s.clip], s.src_in, s.src_out,
                                s.play_s, s.speed, mrate, i + 1))
        if s.hold_s > 0:
            track.append(_hold_clip(base, path, edl.durations[s.clip],
                                    s.src_out - 1.0 / mrate, s.hold_s, mrate, i + 1))
    return tl


def steer_timeline(plan: EditPlan, source: str, rate: float,
                   name: str = "hypnoscope steer") -> otio.schema.Timeline:
    """A steering plan (one source re-timed) as a timeline at ``rate`` frames/s."""
    tl = otio.schema.Timeline(name=name)
    tl.global_start_time = _rt(0.0, rate)
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    tl.tracks.append(track)
    base = os.path.basename(source)
    for i, seg in enumerate(plan.segments, 1):
        length = seg.out_end - seg.out_start
        if seg.kind == "hold":
            track.append(_hold_clip(base, source, plan.source_duration, seg.src_start, length,
                                    rate, i))
        else:
            track.append(_play_clip(base, source, plan.source_duration, seg.src_start,
                                    seg.src_end, length, seg.speed, rate, i))
    return tl


def write_timeline(tl: otio.schema.Timeline, path: str | os.PathLike) -> str:
    """Write ``tl`` as an ``.otio`` file, whole or not at all. Returns the path."""
    path = os.fspath(path)
    os.makedirs(os.path.dirname(os.path.abspath(path)) or ".", exist_ok=True)
    tmp = path + ".part"
    try:
        otio.adapters.write_to_file(tl, tmp, adapter_name="otio_json")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path
