"""Rich tables for the terminal: one analysis, or several side by side."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from hypnoscope.analysis import Analysis
from hypnoscope.metrics import metric_specs, steadiness
from hypnoscope.report.curves import CURVES, TENSION
from hypnoscope.report.numbers import fmt  # noqa: F401 - the reports' number format
from hypnoscope.report.paths import path_text
from hypnoscope.report.verdict import Verdict, verdict_of

SPARK = "▁▂▃▄▅▆▇█"


def sparkline(values: np.ndarray, width: int = 40, lo: float | None = None,
              hi: float | None = None) -> str:
    """A one-line bar sketch of ``values`` resampled to ``width`` characters, scaled from
    ``lo`` to ``hi`` (default: the values' own range)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return ""
    idx = np.linspace(0, len(v), min(width, len(v)) + 1).astype(int)
    v = np.array([v[a:max(b, a + 1)].mean() for a, b in zip(idx[:-1], idx[1:], strict=True)])
    lo = float(v.min()) if lo is None else lo
    hi = float(v.max()) if hi is None else hi
    v = np.clip(v, lo, hi)
    if hi - lo < 1e-12:
        return SPARK[0] * len(v)
    return "".join(SPARK[int((x - lo) / (hi - lo) * (len(SPARK) - 1))] for x in v)


def shared_spark(values: np.ndarray, floor: float, width: int) -> str:
    """A sparkline from 0 to at least ``floor`` (the reports' shared scale: flat looks
    flat, slow looks low)."""
    v = np.asarray(values, dtype=float)
    top = max(floor, float(np.nanpercentile(v, 99.5))) if np.isfinite(v).any() else floor
    return sparkline(v, width, lo=0.0, hi=top)


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


def meter(fraction: float, width: int = 20) -> str:
    """A horizontal bar of ``width`` characters filled to ``fraction`` (0..1)."""
    if not math.isfinite(fraction):
        return " " * width
    eighths = int(round(min(1.0, max(0.0, fraction)) * width * 8))
    full, part = divmod(eighths, 8)
    bar = "█" * full + ("▏▎▍▌▋▊▉"[part - 1] if part else "")
    return bar.ljust(width, "·")


def verdict_panel(v: Verdict | None) -> Group:
    """The calibrated verdict: AI-likeness, hypnotic index, reasons and factor percentiles;
    or one line saying there is none yet."""
    if v is None or not v.calibrated:
        if v is not None and v.status != "ok":
            return Group(Text(f"verdict: {v.status}" + (f" ({v.reason})" if v.reason else ""),
                              style="yellow"))
        return Group(Text("verdict: not calibrated yet (no model: hypnoscope train)",
                          style="dim"))
    head = Table(show_header=False, box=None, padding=(0, 1))
    head.add_column(style="bold")
    head.add_column()
    head.add_column(justify="right")
    head.add_column(style="bold")
    if math.isfinite(v.ai_likeness):
        head.add_row("AI-likeness", Text(meter(v.ai_likeness), style="dark_orange"),
                     f"{100 * v.ai_likeness:.0f} %", v.word)
    if math.isfinite(v.hypnotic_index):
        head.add_row("hypnotic index", Text(meter(v.hypnotic_index / 100), style="magenta"),
                     f"{v.hypnotic_index:.0f} / 100", "")
    parts: list = [head]
    for r in v.reasons:
        parts.append(Text("  • " + r))
    if v.factors:
        ft = Table(header_style="bold", box=None, padding=(0, 1))
        ft.add_column("factor", style="magenta")
        ft.add_column("percentile vs camera")
        ft.add_column("")
        ft.add_column("vs AI footage")
        ft.add_column("")
        for f in v.factors:
            ft.add_row(f.name, Text(meter(f.pct_real / 100, 14), style="blue"), fmt_pct(f.pct_real),
                       Text(meter(f.pct_ai / 100, 14), style="dark_orange"), fmt_pct(f.pct_ai))
        parts.append(ft)
    return Group(*parts)


def fmt_pct(x: float) -> str:
    return f"{x:.0f}" if math.isfinite(x) else "–"


#: How each kind of gradual transition is named in the terminal.
TRANSITION_WORDS = {"dissolve": "dissolve", "fade_in": "fade in", "fade_out": "fade out",
                    "fade_through_black": "fade through black"}


def transition_text(a: Analysis, limit: int = 6) -> str:
    """Gradual transitions as 'start–end s kind' (times in s); the kind is left out for an
    analysis that does not record it (made before kinds were kept)."""
    shots = a.extras.get("shots") or {}
    if shots.get("transitions"):
        items = [f"{t['start_s']:.2f}–{t['end_s']:.2f} s "
                 + TRANSITION_WORDS.get(t["kind"], str(t["kind"]))
                 for t in shots["transitions"]]
    else:
        starts = a.events.get("transitions", [])
        ends = a.events.get("transition_ends", [])
        fades = set(a.events.get("fades", []))
        items = [f"{s:.2f}–{e:.2f} s" + (" fade" if s in fades else "")
                 for s, e in zip(starts, ends, strict=False)]
    more = f" … (+{len(items) - limit})" if len(items) > limit else ""
    return f"{len(items)}: " + ", ".join(items[:limit]) + more


def terminal_metrics(names: Sequence[str]) -> tuple[list[str], int]:
    """The metrics the terminal tables list, and how many steadiness metrics they leave to
    the JSON and HTML reports (forty coefficients of variation and jitters would bury the
    factors' own metrics)."""
    shown = [n for n in names if n not in steadiness.NAMES]
    return shown, len(names) - len(shown)


def analysis_panel(a: Analysis) -> Group:
    """A summary of one analysis: verdict, source facts, cuts and curves, then metrics
    grouped by factor."""
    specs = metric_specs()
    facts = Table(show_header=False, box=None, padding=(0, 1))
    facts.add_column(style="bold cyan")
    facts.add_column()
    for k, v in facts_rows(a):
        facts.add_row(k, v)
    facts.add_row("cuts", cut_text(a))
    for curve in (TENSION, *CURVES):
        name = next((n for n in curve.names if n in a.series
                     and np.isfinite(a.series[n]).any()), None)
        if name is not None:  # on the reports' shared scale, so flat looks flat
            facts.add_row(name, Text(shared_spark(a.series[name], curve.y_floor, 48),
                                     style=curve.color))
    if a.events.get("transitions"):
        facts.add_row("transitions", transition_text(a))
    for note in a.source.notes:
        facts.add_row("note", Text(note, style="yellow"))
    metrics = Table(title=None, show_lines=False, header_style="bold")
    metrics.add_column("factor", style="magenta")
    metrics.add_column("metric")
    metrics.add_column("value", justify="right")
    metrics.add_column("unit", style="dim")
    last = None
    shown, hidden = terminal_metrics(list(a.metrics))
    for name in shown:
        spec = specs.get(name)
        factor = spec.factor if spec else ""
        metrics.add_row(factor if factor != last else "", name, fmt(a.metrics[name]),
                        spec.unit if spec else "")
        last = factor
    if hidden:
        metrics.add_row("", f"+ {hidden} steadiness metrics", "in --json and --html", "")
    title = Text(path_text(a.source.path), style="bold")
    return Group(title, verdict_panel(verdict_of(a.extras)), facts, metrics)


def comparison_table(analyses: Sequence[Analysis], names: Sequence[str]) -> Table:
    """Metrics of several analyses side by side, one column per video, led by their
    verdicts (AI-likeness, hypnotic index) when a model scored them."""
    specs = metric_specs()
    t = Table(header_style="bold")
    t.add_column("factor", style="magenta")
    t.add_column("metric")
    for n in names:
        t.add_column(n, justify="right")
    t.add_column("unit", style="dim")
    verdicts = [verdict_of(a.extras) for a in analyses]
    if any(v is not None and v.calibrated for v in verdicts):  # the verdict leads
        for label, key, text, unit in (
                ("AI-likeness", "ai_likeness", lambda x: f"{100 * x:.0f} %", "P(generated)"),
                ("hypnotic index", "hypnotic_index", lambda x: f"{x:.0f}", "0..100")):
            values = [getattr(v, key) if v is not None else math.nan for v in verdicts]
            t.add_row("verdict" if key == "ai_likeness" else "", label,
                      *[text(x) if math.isfinite(x) else "–" for x in values], unit,
                      style="bold")
            if key == "ai_likeness":
                t.add_row("", "in words", *[v.word if v is not None else "–"
                                            for v in verdicts], "", style="bold")
        t.add_section()
    t.add_row("", "duration", *[f"{a.source.duration_s:.2f}" for a in analyses], "s")
    t.add_row("", "cuts", *[str(len(a.cuts)) for a in analyses], "")
    for curve in (TENSION, *CURVES):
        names = [next((n for n in curve.names if n in a.series), None) for a in analyses]
        if any(names):
            t.add_row("", next(n for n in names if n),
                      *[shared_spark(a.series[n], curve.y_floor, 16) if n else ""
                        for a, n in zip(analyses, names, strict=True)], "")
    keys, hidden = terminal_metrics(list(dict.fromkeys(k for a in analyses for k in a.metrics)))
    last = None
    for k in keys:
        spec = specs.get(k)
        factor = spec.factor if spec else ""
        t.add_row(factor if factor != last else "", k,
                  *[fmt(a.metrics.get(k, float("nan"))) for a in analyses],
                  spec.unit if spec else "")
        last = factor
    if hidden:
        t.add_row("", f"+ {hidden} steadiness metrics", *["–" for _ in analyses],
                  "in --json / --html")
    return t


def print_analysis(a: Analysis, console: Console | None = None) -> None:
    (console or Console()).print(analysis_panel(a))


def group_comparison_table(groups: dict[str, list[dict]], comparisons: Sequence,
                           top: int = 15, level: str = "videos") -> Table:
    """The strongest differences between groups: medians, Cliff's delta and AUC of each
    group against the first (``comparisons`` from :func:`report.stats.compare_groups`)."""
    names = list(groups)
    t = Table(header_style="bold", title=f"{' vs '.join(names)} ({level}: "
              + ", ".join(str(len(groups[g])) for g in names) + ")")
    t.add_column("metric")
    for g in names:
        t.add_column(f"median {g}", justify="right")
    for g in names[1:]:
        t.add_column(f"δ {g}", justify="right")
        t.add_column("AUC", justify="right")
    for c in comparisons[:top]:
        t.add_row(c.metric, *[fmt(c.medians[g]) for g in names],
                  *[x for g in names[1:] for x in (fmt_signed(c.delta[g]), fmt(c.auc[g]))])
    return t


def fmt_signed(x: float) -> str:
    return f"{x:+.2f}" if math.isfinite(x) else "–"
