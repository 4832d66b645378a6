"""Shot lists written for other tools: PySceneDetect's ``list-scenes`` CSV, an
OpenTimelineIO timeline editors open, and the table printed in the terminal."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from hypnoscope.metrics.scenes import Scene

#: The columns of PySceneDetect's ``list-scenes`` CSV, in its order.
CSV_COLUMNS = ["Scene Number", "Start Frame", "Start Timecode", "Start Time (seconds)",
               "End Frame", "End Timecode", "End Time (seconds)", "Length (frames)",
               "Length (timecode)", "Length (seconds)"]


def timecode(seconds: float) -> str:
    """``HH:MM:SS.nnn`` as PySceneDetect writes it."""
    ms = int(round(max(0.0, seconds) * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def scenes_csv(scenes: Sequence[Scene], cut_list: bool = True) -> str:
    """The scene list as PySceneDetect's ``list-scenes`` writes it: a first row with the
    timecode of every boundary (``Timecode List:``; left out when ``cut_list`` is False,
    for strict RFC 4180 readers), then one row per scene. Frames are 1-based and the end
    frame inclusive, as there."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    if cut_list:
        w.writerow(["Timecode List:", *[timecode(s.start_s) for s in scenes[1:]]])
    w.writerow(CSV_COLUMNS)
    for s in scenes:
        length = s.end_s - s.start_s
        w.writerow([s.number, s.start_frame + 1, timecode(s.start_s), f"{s.start_s:.3f}",
                    s.end_frame, timecode(s.end_s), f"{s.end_s:.3f}", s.frames,
                    timecode(length), f"{length:.3f}"])
    return buf.getvalue()


def scenes_otio(scenes: Sequence[Scene], video: str, fps: float, n_frames: int,
                transitions: Sequence[dict] = ()) -> str:
    """An OpenTimelineIO timeline (JSON text) of the video cut into its scenes: one clip per
    scene on a video track, each referencing the source file over its own frames, and a
    marker over every gradual transition named by its kind (the transition is in the
    pictures already, so it is marked, not added)."""
    import opentimelineio as otio

    rate = float(fps)

    def span(start: int, frames: int) -> otio.opentime.TimeRange:
        return otio.opentime.TimeRange(otio.opentime.RationalTime(start, rate),
                                       otio.opentime.RationalTime(frames, rate))

    url = Path(video).resolve().as_uri()
    track = otio.schema.Track(name="shots", kind=otio.schema.TrackKind.Video)
    for s in scenes:
        ref = otio.schema.ExternalReference(target_url=url, available_range=span(0, n_frames))
        track.append(otio.schema.Clip(
            name=f"Scene {s.number:03d}", media_reference=ref,
            source_range=span(s.start_frame, s.frames),
            metadata={"hypnoscope": {"starts_with": s.starts_with,
                                     "start_s": s.start_s, "end_s": s.end_s}}))
    for tr in transitions:
        a, b = tr.get("start_frame"), tr.get("end_frame")
        if a is None or b is None:
            continue
        track.markers.append(otio.schema.Marker(
            name=str(tr.get("kind", "transition")), marked_range=span(int(a), int(b) - int(a)),
            color=otio.schema.MarkerColor.PURPLE,
            metadata={"hypnoscope": {"start_s": tr.get("start_s"), "end_s": tr.get("end_s")}}))
    timeline = otio.schema.Timeline(name=Path(video).stem)
    timeline.tracks.append(track)
    return otio.adapters.write_to_string(timeline, "otio_json")


def scene_table(scenes: Sequence[Scene], title: str = ""):
    """The scene list as a rich table: source frames (first to last), seconds, and how each
    scene starts."""
    from rich.table import Table

    t = Table(title=title or None, header_style="bold", box=None, padding=(0, 1))
    for col in ("scene", "frames", "seconds", "length s", "starts with"):
        t.add_column(col, justify="left" if col == "starts with" else "right", no_wrap=True)
    for s in scenes:
        t.add_row(str(s.number), f"{s.start_frame}-{s.end_frame - 1}",
                  f"{s.start_s:.3f}-{s.end_s:.3f}", f"{s.end_s - s.start_s:.3f}", s.starts_with)
    return t
