"""Self-contained HTML reports: one clip, or a comparison of groups of clips.

Jinja2 templates (autoescape on: every string that came from a file is shown as text) and
matplotlib figures inlined as SVG; the CSS is inline and keyframes are ``data:`` JPEGs, so
the page makes no network request of any kind when opened. Everything shown is read from
an :class:`~hypnoscope.analysis.Analysis` (live, or rebuilt from JSON or the results store),
and every part is optional: a series, metric, score or keyframe that is absent is skipped.
"""

from __future__ import annotations

import base64
import math
import os
import shlex
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from hypnoscope._version import __version__
from hypnoscope.analysis import SCHEMA_VERSION, Analysis
from hypnoscope.metrics import metric_specs
from hypnoscope.report import plots
from hypnoscope.report.curves import CURVES, TENSION
from hypnoscope.report.paths import path_text
from hypnoscope.report.stats import compare_groups, effect_label, groups_from_rows
from hypnoscope.report.terminal import facts_rows, fmt
from hypnoscope.report.verdict import (
    FACTOR_MEANING,
    FACTOR_ORDER,
    Verdict,
    factor_sort_key,
    verdict_of,
)
from hypnoscope.signals.keyframes import Keyframe

TEMPLATES = Path(__file__).parent / "templates"

@lru_cache(maxsize=1)
def environment() -> Environment:
    """The Jinja2 environment of the report templates (autoescape always on)."""
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = _num
    env.filters["pct"] = _pct
    return env


class _Figures:
    """Turns figure SVG into page markup, each figure's ids prefixed by its rank in the
    page (deterministic: the same analysis gives the same page)."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, svg: str) -> Markup:
        self.n += 1
        return Markup(plots.prefix_ids(svg, f"f{self.n}-"))


def _num(x: Any) -> str:
    if x is None:
        return "–"
    try:
        return fmt(float(x))
    except (TypeError, ValueError):
        return str(x)


def _pct(x: float) -> str:
    return "–" if x is None or not math.isfinite(x) else f"{x:.0f}"


def _clip01(x: float) -> float:
    return float(min(1.0, max(0.0, x))) if math.isfinite(x) else 0.0


# -- the clip report --------------------------------------------------------------------------

def keyframe_items(keyframes: Iterable[Keyframe | tuple]) -> list[dict[str, Any]]:
    """Keyframes as template items: time (s), kind and a ``data:`` URL of the JPEG."""
    items = []
    for k in keyframes:
        if not isinstance(k, Keyframe):
            k = Keyframe(float(k[0]), bytes(k[1]), str(k[2]) if len(k) > 2 else "regular")
        if not k.jpeg.startswith(b"\xff\xd8"):
            continue  # not a JPEG: never put unknown bytes in a data URL
        items.append({"t": k.t, "kind": k.kind, "time": when(k.t),
                      "src": "data:image/jpeg;base64," + base64.b64encode(k.jpeg).decode()})
    return items


def when(t: float) -> str:
    """A keyframe's time: seconds with one decimal, or m:ss from two minutes on."""
    return f"{t:.1f} s" if t < 120 else plots.clock(t)


def arc_points(arc: Sequence[tuple[float, float]] | None) -> list[tuple[float, float]] | None:
    """An intended arc as sorted (time fraction, level) points in 0..1, or None."""
    if arc is None:
        return None
    pts = np.asarray(list(arc), dtype=float)
    if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) < 2 or not np.isfinite(pts).all():
        raise ValueError("an arc is at least two (time fraction, level) points")
    pts = np.clip(pts[np.argsort(pts[:, 0], kind="stable")], 0.0, 1.0)
    return [(float(a), float(b)) for a, b in pts]


def _series(a: Analysis, names: Sequence[str]) -> tuple[str, np.ndarray] | None:
    for n in names:
        s = a.series.get(n)
        if s is not None and len(s) == len(a.times) and np.isfinite(s).any():
            return n, np.asarray(s, dtype=float)
    return None


def _metric_rows(a: Analysis) -> list[dict[str, Any]]:
    """Rows of the metric table, grouped by factor (a header row starts each group)."""
    specs = metric_specs()
    by_factor: dict[str, list[str]] = {}
    for name in a.metrics:
        spec = specs.get(name)
        by_factor.setdefault(spec.factor if spec else "other", []).append(name)
    rows: list[dict[str, Any]] = []
    for factor in sorted(by_factor, key=factor_sort_key):
        rows.append({"header": factor, "meaning": FACTOR_MEANING.get(factor, "")})
        for name in by_factor[factor]:
            spec = specs.get(name)
            win = np.array([w.metrics.get(name, np.nan) for w in a.windows], dtype=float)
            win = win[np.isfinite(win)]
            rows.append({
                "header": None, "name": name, "value": fmt(a.metrics[name]),
                "unit": spec.unit if spec else "",
                "windows": f"{fmt(win.min())} – {fmt(win.max())}" if len(win) > 1 else "",
                "meaning": spec.meaning if spec else "",
            })
    return rows


def _raw_factors(a: Analysis) -> list[dict[str, Any]]:
    """Each factor's metrics (for the factor section when there is no calibrated model)."""
    specs = metric_specs()
    groups: dict[str, list[dict[str, str]]] = {}
    for name, value in a.metrics.items():
        spec = specs.get(name)
        factor = spec.factor if spec else "other"
        groups.setdefault(factor, []).append({
            "name": name, "value": fmt(value), "unit": spec.unit if spec else "",
            "meaning": spec.meaning if spec else ""})
    present = sorted(groups, key=factor_sort_key)
    missing = [f for f in FACTOR_ORDER if f not in groups]
    return ([{"factor": f, "meaning": FACTOR_MEANING.get(f, ""), "metrics": groups[f]}
             for f in present]
            + [{"factor": f, "meaning": FACTOR_MEANING.get(f, ""), "metrics": []}
               for f in missing])


def _verdict_view(v: Verdict | None) -> dict[str, Any] | None:
    if v is None:
        return None
    return {
        "calibrated": v.calibrated, "status": v.status, "reason": v.reason, "model": v.model,
        "ai": v.ai_likeness, "ai_pct": 100 * _clip01(v.ai_likeness), "word": v.word,
        "hyp": v.hypnotic_index, "hyp_pct": 100 * _clip01(v.hypnotic_index / 100.0),
        "reasons": list(v.reasons),
        "factors": [{"name": f.name, "meaning": FACTOR_MEANING.get(f.name, ""),
                     "value": f.value, "pct_real": f.pct_real, "pct_ai": f.pct_ai,
                     "w_real": 100 * _clip01(f.pct_real / 100.0),
                     "w_ai": 100 * _clip01(f.pct_ai / 100.0)} for f in v.factors],
    }


def reproduce_command(a: Analysis) -> str:
    """The command line that re-runs this analysis."""
    o = a.options
    args = ["hypnoscope", "analyze"]
    for key, flag in (("fps", "--fps"), ("height", "--height"), ("window_s", "--window")):
        if key in o:
            args += [flag, f"{o[key]:g}" if isinstance(o[key], float) else str(o[key])]
    return f"{shlex.join(args)} {shell_path(a.source.path)}"


def shell_path(path: str) -> str:
    """``path`` quoted for a POSIX shell; a name with bytes that are not UTF-8 or control
    characters in bash's ``$'...'`` form (``$'a\\xffb.mp4'``), which gives those bytes back."""
    text = path_text(path)
    if text == path:
        return shlex.quote(path)
    return "$'" + text.replace("'", "\\'") + "'"


def clip_context(analysis: Analysis, keyframes: Iterable[Keyframe | tuple] | None = None,
                 arc: Sequence[tuple[float, float]] | None = None) -> dict[str, Any]:
    """Everything the clip template shows, computed from ``analysis``."""
    a = analysis
    duration = float(a.source.duration_s or (a.times[-1] if len(a.times) else 0.0))
    cuts = [c for c in a.cuts if 0 < c < duration]
    t = np.asarray(a.times, dtype=float)
    points = arc_points(arc)
    tension = _series(a, TENSION.names)
    climax = a.metrics.get("climax_position")
    climax_t = climax * duration if climax is not None and math.isfinite(climax) else None
    gradual = list(zip(a.events.get("transitions", []), a.events.get("transition_ends", []),
                       strict=False))
    tension_kw = dict(peaks=list(a.events.get("peaks", [])), climax_t=climax_t, arc=points,
                      y_floor=TENSION.y_floor, transitions=gradual)
    if tension is not None:
        tension_kw["unit"] = "tension"
    tension_y = tension[1] if tension else None
    h_wide, h_narrow = (3.3, 3.0) if tension is not None else (1.2, 1.3)
    fig = _Figures()
    tension_svgs = {
        "wide": fig(plots.tension_figure(t, tension_y, cuts, duration,
                                         size=(11.5, h_wide), **tension_kw)),
        "narrow": fig(plots.tension_figure(t, tension_y, cuts, duration,
                                           size=(4.6, h_narrow), **tension_kw)),
    }
    curves, missing = [], []
    for c in CURVES:
        found = _series(a, c.names)
        if found is None:
            missing.append(c.title)
            continue
        name, y = found
        curves.append({"title": c.title, "look_for": c.look_for, "name": name,
                       "unit": a.series_units.get(name, ""),
                       "svg": fig(plots.curve_figure(
                           t, y, cuts, duration, color=c.color, y_floor=c.y_floor,
                           unit=_short_unit(a.series_units.get(name, ""))))})
    f = a.source
    shown = path_text(f.path)
    name = path_text(os.path.basename(f.path)) or shown
    n_shots = len(cuts) + 1
    verdict = verdict_of(a.extras)
    return {
        "name": name,
        "path": shown,
        "summary": [f"{duration:.1f} s" if duration < 120 else plots.clock(duration),
                    f"{n_shots} shot" + ("s" if n_shots != 1 else ""),
                    f"{f.width}×{f.height}", f"{f.container}/{f.codec}",
                    f"{fmt(f.nominal_fps)} fps" if f.nominal_fps else ""],
        "title_tag": f.tags.get("title", "") if f.tags else "",
        "verdict": _verdict_view(verdict),
        "keyframes": keyframe_items(a.keyframes if keyframes is None else keyframes),
        "tension": {"title": TENSION.title, "look_for": TENSION.look_for,
                    "present": tension is not None, "svg": tension_svgs,
                    "n_peaks": len(a.events.get("peaks", [])), "cuts": len(cuts),
                    "dense": len(cuts) > plots.DENSE_CUTS,
                    "arc": points is not None},
        "curves": curves,
        "missing_curves": missing,
        "factors_raw": _raw_factors(a),
        "metric_rows": _metric_rows(a),
        "window_s": a.window_s,
        "n_windows": len(a.windows),
        "facts": [("file", shown)] + facts_rows(a),
        "tags": sorted((f.tags or {}).items()),
        "notes": list(f.notes),
        "version": a.version or "unknown",
        "report_version": __version__,
        "schema_version": SCHEMA_VERSION,
        "options": sorted(a.options.items()),
        "command": reproduce_command(a),
    }


def _short_unit(unit: str) -> str:
    return {"frame diagonals / s": "diagonals / s"}.get(unit, unit)


def render_clip_report(analysis: Analysis, keyframes: Iterable[Keyframe | tuple] | None = None,
                       arc: Sequence[tuple[float, float]] | None = None) -> str:
    """The self-contained HTML report of one analysis.

    ``keyframes`` (default: ``analysis.keyframes``) are :class:`Keyframe` or ``(t, jpeg
    bytes[, kind])`` tuples; ``arc`` is an intended arc as (time fraction, level) points in
    0..1, drawn over the tension curve by its shape."""
    return environment().get_template("clip.html.j2").render(
        **clip_context(analysis, keyframes, arc))


# -- the comparison report --------------------------------------------------------------------

def _as_groups(data: Mapping[str, Sequence[Mapping[str, Any]]]
               | Iterable[tuple[str, str, float | None]]) -> dict[str, list[dict[str, Any]]]:
    if isinstance(data, Mapping):
        return {str(k): [dict(r) for r in v] for k, v in data.items()}
    return groups_from_rows(data)


def _scorecard_view(scorecard: Any) -> list[dict[str, Any]]:
    """Scorecard rows as dicts with ``claim``, ``verdict`` (a word), ``tone`` (css class),
    ``strength``, ``metrics`` and ``detail``; any input key shape within reason."""
    if not scorecard:
        return []
    rows = scorecard.values() if isinstance(scorecard, Mapping) and all(
        isinstance(v, Mapping) for v in scorecard.values()) else scorecard
    out = []
    for key, row in (scorecard.items() if rows is not scorecard else enumerate(rows)):
        row = dict(row)
        v = row.get("verdict", row.get("supported"))
        word = ("supported" if v is True else "not supported" if v is False
                else "undecided" if v is None else str(v))
        tone = ("yes" if word.lower().startswith(("supported", "yes", "strong"))
                else "no" if word.lower().startswith(("not", "no", "contra", "reversed"))
                else "mixed")
        metrics = row.get("metrics") or []
        out.append({
            "claim": str(row.get("claim") or (key if isinstance(key, str) else "")),
            "factor": str(row.get("factor") or ""),
            "verdict": word, "tone": tone,
            "strength": _num(row["strength"]) if isinstance(row.get("strength"), (int, float))
            else str(row.get("strength") or ""),
            "metrics": ", ".join(map(str, metrics)) if not isinstance(metrics, str)
            else metrics,
            "detail": str(row.get("detail") or row.get("note") or ""),
        })
    return out


def compare_context(groups: Mapping[str, Sequence[Mapping[str, Any]]]
                    | Iterable[tuple[str, str, float | None]],
                    scorecard: Any = None, title: str = "Comparison",
                    level: str = "clips") -> dict[str, Any]:
    """Everything the compare template shows."""
    g = _as_groups(groups)
    names = list(g)
    specs = metric_specs()
    comparisons = compare_groups(g)
    colors = {n: plots.GROUP_COLORS[k % len(plots.GROUP_COLORS)] for k, n in enumerate(names)}
    fig = _Figures()
    rows = []
    for c in comparisons:
        spec = specs.get(c.metric)
        others = [{
            "group": n, "delta": c.delta[n], "auc": c.auc[n], "label": effect_label(c.delta[n]),
            "left": 50 + 50 * min(0.0, c.delta[n]) if math.isfinite(c.delta[n]) else 50,
            "width": 50 * abs(c.delta[n]) if math.isfinite(c.delta[n]) else 0,
            "tone": "up" if c.delta[n] > 0 else "down"} for n in names[1:]]
        rows.append({
            "metric": c.metric, "factor": spec.factor if spec else "",
            "unit": spec.unit if spec else "", "meaning": spec.meaning if spec else "",
            "medians": [c.medians[n] for n in names],
            "n": [len(c.values[n]) for n in names],
            "others": others, "strength": c.strength,
            "svg": fig(plots.distribution_figure(c.values, spec.unit if spec else ""))
            if any(len(v) for v in c.values.values()) else None,
        })
    return {
        "title": title,
        "level": level,
        "groups": [{"name": n, "n": len(g[n]), "color": colors[n]} for n in names],
        "reference": names[0] if names else "",
        "others": names[1:],
        "rows": rows,
        "scorecard": _scorecard_view(scorecard),
        "report_version": __version__,
    }


def render_compare_report(groups: Mapping[str, Sequence[Mapping[str, Any]]]
                          | Iterable[tuple[str, str, float | None]],
                          scorecard: Any = None, *, title: str = "Comparison",
                          level: str = "clips") -> str:
    """The self-contained HTML comparison of groups of clips (or windows).

    ``groups`` maps a group name to a list of ``{metric: value}`` dicts (one per clip or
    window), or is an iterable of ``(metric, group, value)`` rows; the first group is the
    reference. For every metric it shows each group's distribution, Cliff's delta and the
    single-metric AUC of each other group against the reference, strongest first; then the
    thesis ``scorecard`` when one is given (a list of ``{claim, verdict or supported,
    strength, metrics, detail}``). Where the data came from (JSON, videos or the results
    store) does not matter here."""
    return environment().get_template("compare.html.j2").render(
        **compare_context(groups, scorecard, title, level))


def write_html(path: str | os.PathLike, html: str) -> Path:
    """Write ``html`` to ``path`` atomically (parents created); the path written."""
    from hypnoscope.report.output import write_atomic

    return write_atomic(path, html)
