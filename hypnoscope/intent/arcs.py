"""Intended arcs: the tension shape a person asks for, as levels over the clip's time.

An arc is a level in 0..1 as a function of the time fraction 0..1 of the clip. It is either
a named preset (``setup-payoff``, ``slow-burn``, ``twist``, ``pulse:SECONDS``, ``flat``) or
custom points read from a JSON or CSV file of (time fraction, level) pairs. Point arcs are
piecewise linear between their points and hold their first and last level outside them.
Only the *shape* matters to the intent gap: levels are relative, not tension units.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: The named presets: (time fraction, level) points and a one-line meaning.
PRESETS: dict[str, tuple[tuple[tuple[float, float], ...], str]] = {
    "setup-payoff": (((0.0, 0.1), (0.35, 0.3), (0.6, 0.6), (0.75, 1.0), (0.9, 0.35),
                      (1.0, 0.2)),
                     "build to a climax at 75 % of the clip, then release"),
    "slow-burn": (((0.0, 0.05), (0.4, 0.2), (0.75, 0.5), (1.0, 1.0)),
                  "tension rising all the way to the end"),
    "twist": (((0.0, 0.3), (0.76, 0.3), (0.85, 1.0), (0.94, 0.3), (1.0, 0.3)),
              "steady, then a sharp peak near 85 %"),
    "flat": (((0.0, 0.5), (1.0, 0.5)),
             "a constant pressure with no peak (the hypnotic arc)"),
}
#: Default beat period of ``pulse`` without a number, s.
DEFAULT_PULSE_S = 2.0
#: Shortest pulse period accepted, s (the tension curve cannot show faster beats).
MIN_PULSE_S = 0.5
#: Level between beats and at a beat for ``pulse``.
PULSE_LOW, PULSE_HIGH = 0.15, 1.0

PRESET_NAMES = (*PRESETS, "pulse:SECONDS")


class ArcError(ValueError):
    """An arc could not be read; ``str(err)`` is one line naming the cause."""

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).split()))


@dataclass(frozen=True)
class Arc:
    """An intended arc. Point arcs hold ``fractions`` (increasing, 0..1) and ``levels``
    (0..1); a pulse arc has ``period_s`` (beats every that many seconds, the first half a
    period in) and needs the clip's duration to be evaluated."""

    name: str
    fractions: tuple[float, ...] = ()
    levels: tuple[float, ...] = ()
    period_s: float | None = None
    description: str = ""

    @property
    def is_flat(self) -> bool:
        """True when the arc asks for the same level throughout."""
        return self.period_s is None and max(self.levels) - min(self.levels) < 1e-9

    def level_at(self, fraction: np.ndarray | Sequence[float] | float,
                 duration_s: float | None = None) -> np.ndarray:
        """The intended level (0..1) at each time fraction (0..1 of the clip)."""
        x = np.clip(np.asarray(fraction, dtype=float), 0.0, 1.0)
        if self.period_s is None:
            return np.interp(x, self.fractions, self.levels)
        if duration_s is None or not duration_s > 0:
            raise ArcError(f"arc {self.name} needs the clip's duration to place its beats")
        p = self.period_s
        t = x * duration_s
        d = np.abs((t - 0.5 * p) - p * np.round((t - 0.5 * p) / p))  # s to the nearest beat
        width = p / 6.0
        return PULSE_LOW + (PULSE_HIGH - PULSE_LOW) * np.exp(-0.5 * (d / width) ** 2)

    def curve(self, t: np.ndarray, duration_s: float) -> np.ndarray:
        """The intended level at times ``t`` (s) of a clip of ``duration_s`` s."""
        return self.level_at(np.asarray(t, dtype=float) / max(duration_s, 1e-9), duration_s)

    def points(self, duration_s: float | None = None) -> list[tuple[float, float]]:
        """(time fraction, level) points that draw the arc: the arc's own points, or for a
        pulse 24 samples per beat over ``duration_s``."""
        if self.period_s is None:
            return [(float(f), float(v)) for f, v in zip(self.fractions, self.levels,
                                                         strict=True)]
        n = int(min(2000, max(50, math.ceil(24 * duration_s / self.period_s)))) + 1
        x = np.linspace(0.0, 1.0, n)
        return [(round(float(f), 5), round(float(v), 5))
                for f, v in zip(x, self.level_at(x, duration_s), strict=True)]

    def to_dict(self, duration_s: float | None = None) -> dict:
        """The arc as plain JSON objects (points as [time fraction, level] pairs)."""
        return {"name": self.name, "description": self.description,
                "period_s": self.period_s,
                "points": [list(p) for p in self.points(duration_s)]}


def validate_points(points: Sequence, where: str = "arc") -> tuple[tuple[float, ...],
                                                                   tuple[float, ...]]:
    """Check (time fraction, level) points and return them as two tuples.

    Raises :class:`ArcError` (one line) when there are fewer than 2 points, a point is not
    two finite numbers, a time fraction is outside 0..1 or does not increase, or a level is
    outside 0..1."""
    pts = list(points)
    if not pts:
        raise ArcError(f"{where}: no points (an arc needs at least 2 (time fraction, level) "
                       f"points)")
    fr: list[float] = []
    lv: list[float] = []
    for i, p in enumerate(pts, 1):
        if isinstance(p, dict):
            p = (p.get("t", p.get("time", p.get("fraction"))), p.get("level", p.get("value")))
        if isinstance(p, (str, bytes)) or not isinstance(p, Sequence) or len(p) != 2:
            raise ArcError(f"{where}: point {i} is not a (time fraction, level) pair: {p!r}")
        try:
            f, v = float(p[0]), float(p[1])
        except (TypeError, ValueError):
            raise ArcError(f"{where}: point {i} is not two numbers: {p!r}") from None
        if not (math.isfinite(f) and math.isfinite(v)):
            raise ArcError(f"{where}: point {i} is not finite: {p!r}")
        if not 0.0 <= f <= 1.0:
            raise ArcError(f"{where}: point {i} has time fraction {f:g} outside 0..1")
        if not 0.0 <= v <= 1.0:
            raise ArcError(f"{where}: point {i} has level {v:g} outside 0..1")
        if fr and f <= fr[-1]:
            raise ArcError(f"{where}: time fractions must increase, but point {i} has "
                           f"{f:g} after {fr[-1]:g}")
        fr.append(f)
        lv.append(v)
    if len(fr) < 2:
        raise ArcError(f"{where}: needs at least 2 points, got {len(fr)}")
    return tuple(fr), tuple(lv)


def arc_from_points(points: Sequence, name: str = "custom", where: str = "arc") -> Arc:
    """A custom arc from (time fraction, level) points, validated."""
    fr, lv = validate_points(points, where)
    return Arc(name=name, fractions=fr, levels=lv, description="custom arc")


def pulse_arc(period_s: float) -> Arc:
    """Regular beats every ``period_s`` seconds."""
    if not (math.isfinite(period_s) and period_s >= MIN_PULSE_S):
        raise ArcError(f"pulse period must be at least {MIN_PULSE_S:g} s, got {period_s:g}")
    return Arc(name=f"pulse:{period_s:g}", period_s=float(period_s),
               description=f"a beat every {period_s:g} s")


def preset(name: str) -> Arc:
    """A named preset arc (``pulse`` or ``pulse:SECONDS`` included)."""
    key = name.strip().lower()
    if key in PRESETS:
        pts, desc = PRESETS[key]
        return Arc(name=key, fractions=tuple(p[0] for p in pts),
                   levels=tuple(p[1] for p in pts), description=desc)
    if key == "pulse" or key.startswith("pulse:"):
        raw = key.partition(":")[2].strip().removesuffix("s").strip() or str(DEFAULT_PULSE_S)
        try:
            period = float(raw)
        except ValueError:
            raise ArcError(f"pulse period must be a number of seconds, got {raw!r} "
                           f"(e.g. pulse:2.0)") from None
        return pulse_arc(period)
    raise ArcError(f"unknown arc {name!r}: use one of {', '.join(PRESET_NAMES)}, or a .json "
                   f"or .csv file of (time fraction, level) points")


def parse_json_points(text: str, where: str) -> tuple[list, str | None]:
    """Points and optional name from JSON text: a list of pairs or ``{"points": [...]}``."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise ArcError(f"{where}: malformed JSON ({e.msg} at line {e.lineno} column "
                       f"{e.colno})") from None
    name = None
    if isinstance(doc, dict):
        if "points" not in doc:
            raise ArcError(f"{where}: a JSON object arc needs a \"points\" list")
        name = doc.get("name") if isinstance(doc.get("name"), str) else None
        doc = doc["points"]
    if not isinstance(doc, list):
        raise ArcError(f"{where}: expected a list of [time fraction, level] pairs or "
                       f"{{\"points\": [...]}}, got {type(doc).__name__}")
    return doc, name


def parse_csv_points(text: str, where: str) -> list[tuple[float, float]]:
    """Points from CSV text: one ``time fraction, level`` row per line; blank lines and
    ``#`` comments are skipped, and so is a header on the first row."""
    rows: list[tuple[float, float]] = []
    seen_row = False
    for lineno, row in enumerate(csv.reader(io.StringIO(text)), 1):
        cells = [c.strip() for c in row]
        if not cells or not any(cells) or cells[0].startswith("#"):
            continue
        first = not seen_row
        seen_row = True
        try:
            if len(cells) != 2:
                raise ValueError
            rows.append((float(cells[0]), float(cells[1])))
        except ValueError:
            if first and not any(_is_number(c) for c in cells):
                continue  # a header row
            raise ArcError(f"{where}: line {lineno}: expected two numbers (time fraction, "
                           f"level), got {','.join(cells)!r}") from None
    return rows


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def load_arc_file(path: str | os.PathLike) -> Arc:
    """A custom arc from a ``.json`` or ``.csv`` file (other extensions: sniffed)."""
    path = os.fspath(path)
    where = f"arc file {path}"
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError) as e:
        raise ArcError(f"{where}: cannot read ({e})") from None
    ext = os.path.splitext(path)[1].lower()
    name = os.path.splitext(os.path.basename(path))[0]
    if ext == ".json" or (ext != ".csv" and text.lstrip()[:1] in "[{"):
        if not text.strip():
            raise ArcError(f"{where}: empty file (no points)")
        pts, own = parse_json_points(text, where)
        name = own or name
    else:
        pts = parse_csv_points(text, where)
    return arc_from_points(pts, name=name, where=where)


def load_arc(spec: str | os.PathLike | Arc) -> Arc:
    """An arc from a preset name (``setup-payoff``, ``pulse:2.0``, ...), a file path, or an
    :class:`Arc` (returned as is). Raises :class:`ArcError` with a one-line message."""
    if isinstance(spec, Arc):
        return spec
    s = os.fspath(spec)
    key = s.strip().lower()
    if key in PRESETS or key == "pulse" or key.startswith("pulse:"):
        return preset(key)
    if os.path.isfile(s):
        return load_arc_file(s)
    if os.path.splitext(s)[1].lower() in {".json", ".csv"}:
        raise ArcError(f"arc file {s}: file not found")
    return preset(s)
