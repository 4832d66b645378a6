"""Rich tables for the terminal: one analysis, or several side by side."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from hypnoscope.analysis import Analysis
from hypnoscope.metrics import metric_specs

SPARK = "▁▂▃▄▅▆▇█"


def sparkline(values: np.ndarray, width: int = 40) -> str:
    """A one-line bar sketch of ``values`` resampled to ``width`` characters."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return ""
    idx = np.linspace(0, len(v), min(width, len(v)) + 1).astype(int)
    v = np.array([v[a:max(b, a + 1)].mean() for a, b in zip(idx[:-1], idx[1:], strict=True)])
    lo, hi = float(v.min()), float(v.max())
    if hi - lo < 1e-12:
        return SPARK[0] * len(v)
    return "".join(SPARK[int((x - lo) / (hi - lo) * (len(SPARK) - 1))] for x in v)


def fmt(value: float, unit: str = "") -> str:
    """A number with 3 significant digits (or '–' when undefined)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    a = abs(value)
    s = f"{value:.3g}" if (a >= 1e-3 or a == 0) else f"{value:.2e}"
    return s


def facts_rows(a: Analysis) -> list[tuple[str, str]]:
    f = a.source
    rot = f", rotated {f.rotation}°" if f.rotation else ""
    return [
        ("format", f"{f.container} / {f.codec}{rot}"),
        ("size", f"{f.width}×{f.height} → analyzed {f.analysis_width}×{f.analysis_height}"),
        ("rate", f"{fmt(f.nominal_fps)} fps nominal, {fmt(f.measured_fps)} measured, "
                 f"analyzed at {fmt(f.analysis_fps)}"),
        ("duration", f"{f.duration_s:.2f} s, {f.frames_decoded} frames decoded"
                     + (f", {f.frames_failed} failed" if f.frames_failed else "")),
        ("audio", "yes" if f.has_audio else "no"),
    ]


def cut_text(a: Analysis, limit: int = 8) -> str:
    cuts = a.cuts
    if not cuts:
        return "none"
    shown = ", ".join(f"{c:.2f}" for c in cuts[:limit])
    more = f" … (+{len(cuts) - limit})" if len(cuts) > limit else ""
    return f"{len(cuts)} at {shown}{more} s"


def analysis_panel(a: Analysis) -> Group:
    """A summary of one analysis: source facts, cuts, then metrics grouped by factor."""
    specs = metric_specs()
    facts = Table(show_header=False, box=None, padding=(0, 1))
    facts.add_column(style="bold cyan")
    facts.add_column()
    for k, v in facts_rows(a):
        facts.add_row(k, v)
    facts.add_row("cuts", cut_text(a))
    if "motion" in a.series:
        facts.add_row("motion", sparkline(a.series["motion"]))
    if "tension" in a.series:
        facts.add_row("tension", sparkline(a.series["tension"]))
    for note in a.source.notes:
        facts.add_row("note", Text(note, style="yellow"))
    metrics = Table(title=None, show_lines=False, header_style="bold")
    metrics.add_column("factor", style="magenta")
    metrics.add_column("metric")
    metrics.add_column("value", justify="right")
    metrics.add_column("unit", style="dim")
    last = None
    for name, value in a.metrics.items():
        spec = specs.get(name)
        factor = spec.factor if spec else ""
        metrics.add_row(factor if factor != last else "", name, fmt(value),
                        spec.unit if spec else "")
        last = factor
    title = Text(a.source.path, style="bold")
    return Group(title, facts, metrics)


def comparison_table(analyses: Sequence[Analysis], names: Sequence[str]) -> Table:
    """Metrics of several analyses side by side, one column per video."""
    specs = metric_specs()
    t = Table(header_style="bold")
    t.add_column("factor", style="magenta")
    t.add_column("metric")
    for n in names:
        t.add_column(n, justify="right")
    t.add_column("unit", style="dim")
    t.add_row("", "duration", *[f"{a.source.duration_s:.2f}" for a in analyses], "s")
    t.add_row("", "cuts", *[str(len(a.cuts)) for a in analyses], "")
    t.add_row("", "motion curve", *[sparkline(a.series.get("motion", []), 16)
                                    for a in analyses], "")
    keys = list(dict.fromkeys(k for a in analyses for k in a.metrics))
    last = None
    for k in keys:
        spec = specs.get(k)
        factor = spec.factor if spec else ""
        t.add_row(factor if factor != last else "", k,
                  *[fmt(a.metrics.get(k, float("nan"))) for a in analyses],
                  spec.unit if spec else "")
        last = factor
    return t


def print_analysis(a: Analysis, console: Console | None = None) -> None:
    (console or Console()).print(analysis_panel(a))
