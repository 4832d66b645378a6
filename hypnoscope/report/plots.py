"""Figures for the HTML reports: matplotlib (Agg) drawn to inline SVG strings.

Every figure is self-contained SVG text (no external font, image or link), with its element
ids prefixed so that several figures can live in one HTML page. Curves are drawn on fixed
minimum scales (see :mod:`hypnoscope.report.curves`) so that two reports opened side by side
compare by eye: a flat curve looks flat because it is, not because the axis stretched it.
"""

from __future__ import annotations

import io
import itertools
import math
import re
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

#: Colours shared by the figures and the page's CSS.
INK = "#1f2933"
MUTED = "#7b8794"
GRID = "#e4e7eb"
CUT = "#334e68"
SHOT_BAND = "#f0f4f8"
TRANSITION = "#829ab1"
TENSION = "#d9480f"
TENSION_FILL = "#ffd8a8"
PEAK = "#c92a2a"
ARC = "#5f3dc4"
#: Colours of compared groups, in order.
GROUP_COLORS = ("#1971c2", "#e8590c", "#2f9e44", "#9c36b5", "#c2255c", "#0c8599")

#: Above this many cuts, cuts are drawn as a rug of ticks and shots are not shaded.
DENSE_CUTS = 150
#: At most this many points per curve are drawn (long videos are reduced to a min/max
#: envelope, so peaks survive).
MAX_POINTS = 1600

_STYLE = {
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Helvetica", "Arial", "sans-serif"],
    "font.size": 11,
    "axes.edgecolor": MUTED,
    "axes.labelcolor": INK,
    "axes.titlesize": 12,
    "xtick.color": MUTED,
    "ytick.color": MUTED,
    "xtick.labelcolor": INK,
    "ytick.labelcolor": INK,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.fonttype": "none",  # text stays text: smaller files, the page's own fonts
    "svg.hashsalt": "hypnoscope",  # deterministic output
    "text.parse_math": False,  # a "$" in a label from a file is just a dollar sign
    "legend.frameon": False,
}


def svg_of(fig: Figure) -> str:
    """The figure as an inline ``<svg>`` element: no XML prolog and no metadata, sized by
    CSS (viewBox kept). Its ids are matplotlib's: see :func:`prefix_ids`."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", pad_inches=0.04)
    plt.close(fig)
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)  # no date, no URLs
    svg = re.sub(r'<svg([^>]*?)\swidth="[^"]*"\sheight="[^"]*"', r'<svg\1', svg, count=1)
    return svg.replace("<svg", '<svg class="plot" role="img" preserveAspectRatio="xMidYMid '
                               'meet"', 1)


def prefix_ids(svg: str, prefix: str) -> str:
    """``svg`` with every element id (and every reference to one) prefixed, so that
    several figures can share one HTML page."""
    svg = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}{m.group(1)}"', svg)
    svg = re.sub(r'(href|xlink:href)="#([^"]+)"',
                 lambda m: f'{m.group(1)}="#{prefix}{m.group(2)}"', svg)
    return re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}{m.group(1)})", svg)


def envelope(t: np.ndarray, y: np.ndarray, max_points: int = MAX_POINTS
             ) -> tuple[np.ndarray, np.ndarray]:
    """``(t, y)`` reduced to at most ``max_points`` points: the min and max of each bin,
    in time order, so peaks and dips stay visible. Short series are returned as they are."""
    t = np.asarray(t, dtype=float)
    y = np.asarray(y, dtype=float)
    if len(t) <= max_points:
        return t, y
    n_bins = max_points // 2
    edges = np.linspace(0, len(t), n_bins + 1).astype(int)
    ts, ys = [], []
    for a, b in itertools.pairwise(edges):
        seg = y[a:b]
        ok = np.isfinite(seg)
        if not ok.any():
            ts += [t[a]]
            ys += [np.nan]
            continue
        i_lo = a + int(np.nanargmin(seg))
        i_hi = a + int(np.nanargmax(seg))
        for i in sorted({i_lo, i_hi}):
            ts.append(t[i])
            ys.append(y[i])
    return np.asarray(ts), np.asarray(ys)


def top_of(y: np.ndarray, floor: float) -> float:
    """Top of a y axis: at least ``floor``, else 15 % above the 99.5th percentile."""
    y = np.asarray(y, dtype=float)
    y = y[np.isfinite(y)]
    hi = float(np.percentile(y, 99.5)) if len(y) else 0.0
    return max(floor, hi * 1.15)


def _shot_bands(ax, cuts: Sequence[float], duration: float) -> None:
    """Every other shot shaded and every cut a vertical line (one collection each, so a
    film with thousands of cuts stays light; shading is dropped when shots are too many
    to see)."""
    edges = [0.0, *sorted(c for c in cuts if 0 < c < duration), duration]
    inner = edges[1:-1]
    dense = len(inner) > DENSE_CUTS
    along_x = ax.get_xaxis_transform()  # x in data, y in 0..1 of the axes
    if not dense:
        bands = [(a, b - a) for k, (a, b) in enumerate(itertools.pairwise(edges)) if k % 2]
        if bands:
            ax.broken_barh(bands, (0, 1), transform=along_x, color=SHOT_BAND, lw=0, zorder=0)
    if inner and dense:  # a rug of ticks along the top instead of a forest of lines
        ax.vlines(inner, 0.93, 1, transform=along_x, colors=CUT, lw=0.6, alpha=0.6, zorder=6)
    elif inner:
        ax.vlines(inner, 0, 1, transform=along_x, colors=CUT, lw=1.3, alpha=0.85, zorder=1)


def _transition_spans(ax, spans: Sequence[tuple[float, float]]):
    """Gradual transitions (start, end in s) as hatched bands over the whole height;
    returns a legend handle, or None when there are none."""
    spans = [(a, b - a) for a, b in spans if b > a]
    if not spans:
        return None
    return ax.broken_barh(spans, (0, 1), transform=ax.get_xaxis_transform(),
                          facecolor="none", edgecolor=TRANSITION, hatch="///", lw=0,
                          zorder=1, label="dissolve or fade")


def clock(seconds: float, _pos: object = None) -> str:
    """A time as m:ss, or h:mm:ss from an hour on."""
    s = int(round(seconds))
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def _time_axis(ax, duration: float) -> None:
    ax.set_xlim(0, max(duration, 1e-3))
    if duration >= 120:
        from matplotlib.ticker import FuncFormatter, MultipleLocator

        step = next((s for s in (30, 60, 120, 300, 600, 900, 1800, 3600, 7200)
                     if duration / s <= 8), 3600 * math.ceil(duration / 3600 / 8))
        ax.xaxis.set_major_locator(MultipleLocator(step))
        ax.xaxis.set_major_formatter(FuncFormatter(clock))
        ax.set_xlabel("time (h:mm:ss)" if duration >= 3600 else "time (m:ss)")
    else:
        ax.set_xlabel("time (s)")
    ax.grid(axis="y", color=GRID, lw=0.8)
    ax.set_axisbelow(True)


def tension_figure(t: np.ndarray, tension: np.ndarray | None, cuts: Sequence[float],
                   duration: float, *, peaks: Sequence[float] = (),
                   climax_t: float | None = None, arc: Sequence[tuple[float, float]] | None
                   = None, y_floor: float = 2.0, size: tuple[float, float] = (11.0, 3.2),
                   unit: str = "tension",
                   transitions: Sequence[tuple[float, float]] = ()) -> str:
    """The tension curve over time with shots shaded, cuts as lines, gradual transitions
    (start, end in s) hatched, salient peaks as dots, the climax as a star and the intended
    arc (its shape, scaled to the curve) dashed."""
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=size)
        _shot_bands(ax, cuts, duration)
        gradual = _transition_spans(ax, transitions)
        handles = []
        top = y_floor
        if tension is not None and np.isfinite(tension).any():
            tt, yy = envelope(t, tension)
            top = top_of(yy, y_floor)
            ax.fill_between(tt, 0, yy, color=TENSION_FILL, lw=0, zorder=2)
            handles += ax.plot(tt, yy, color=TENSION, lw=2.2 if len(tt) < 400 else 1.0,
                               zorder=3, label="tension")
            if len(peaks):
                py = np.interp(peaks, t[np.isfinite(tension)], tension[np.isfinite(tension)])
                many = len(peaks) > 60
                handles.append(ax.scatter(peaks, py, s=10 if many else 36, color=PEAK,
                                          edgecolor="none" if many else "white", zorder=5,
                                          label="salient peak"))
            if climax_t is not None and np.isfinite(climax_t):
                cy = float(np.interp(climax_t, t[np.isfinite(tension)],
                                     tension[np.isfinite(tension)]))
                handles.append(ax.scatter([climax_t], [cy], marker="*", s=260, color=PEAK,
                                          edgecolor="white", lw=0.8, zorder=6, label="climax"))
                ax.annotate("climax", (climax_t, cy), xytext=(0, 10),
                            textcoords="offset points", ha="center", va="bottom",
                            color=PEAK, fontweight="bold", fontsize=10, zorder=7)
            lo, hi = float(np.nanmin(tension)), float(np.nanmax(tension))
        else:  # no curve: a strip of the shots over time, the arc (if any) drawn in it
            lo, hi = 0.0, y_floor
            ax.set_yticks([])
            ax.spines["left"].set_visible(False)
            unit = ""
        if arc:
            pts = np.asarray(arc, dtype=float)
            span = hi - lo if hi - lo > 0.2 * top else 0.6 * top
            base = lo if hi - lo > 0.2 * top else 0.2 * top
            handles += ax.plot(pts[:, 0] * duration, base + pts[:, 1] * span, color=ARC,
                               lw=2.2, ls=(0, (5, 3)), zorder=4, label="intended arc (shape)")
        if len(cuts):
            handles.append(ax.axvline(-1, color=CUT, lw=1.3, label="cut"))
        if gradual is not None:
            handles.append(gradual)
        ax.set_ylim(0, top * 1.12)
        ax.set_ylabel(unit)
        _time_axis(ax, duration)
        if handles:
            ncol = len(handles) if size[0] >= 8 else min(3, len(handles))
            ax.legend(handles=handles, loc="lower left", ncol=ncol, fontsize=10,
                      bbox_to_anchor=(0, 1.0), borderaxespad=0.2, handlelength=1.6,
                      columnspacing=1.2)
        return svg_of(fig)


def curve_figure(t: np.ndarray, y: np.ndarray, cuts: Sequence[float], duration: float,
                 *, color: str, y_floor: float, unit: str,
                 size: tuple[float, float] = (4.4, 2.3)) -> str:
    """One per-frame series over time, shots shaded and cuts marked, on a y axis that
    starts at 0 and reaches at least ``y_floor``."""
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=size)
        _shot_bands(ax, cuts, duration)
        tt, yy = envelope(t, y)
        ax.fill_between(tt, 0, yy, color=color, alpha=0.18, lw=0, zorder=2)
        ax.plot(tt, yy, color=color, lw=1.8 if len(tt) < 400 else 0.8, zorder=3)
        ax.set_ylim(min(0.0, float(np.nanmin(yy)) if np.isfinite(yy).any() else 0.0),
                    top_of(yy, y_floor))
        if len(unit) <= 18:
            ax.set_ylabel(unit)
        _time_axis(ax, duration)
        return svg_of(fig)


def distribution_figure(values: dict[str, np.ndarray], unit: str = "",
                        size: tuple[float, float] = (4.0, 0.5)) -> str:
    """One metric's values in each group: a box (quartiles, median) and every value as a
    dot, one row per group (top to bottom in the order given)."""
    names = list(values)
    rows = max(1, len(names))
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(size[0], 0.5 + size[1] * rows))
        rng = np.random.default_rng(0)
        for k, name in enumerate(names):
            v = np.asarray(values[name], dtype=float)
            v = v[np.isfinite(v)]
            y = rows - 1 - k
            color = GROUP_COLORS[k % len(GROUP_COLORS)]
            if len(v):
                ax.boxplot([v], positions=[y], orientation="horizontal", widths=0.55,
                           showfliers=False, patch_artist=True,
                           boxprops={"facecolor": color, "alpha": 0.22, "edgecolor": color},
                           medianprops={"color": color, "lw": 2.4},
                           whiskerprops={"color": color}, capprops={"color": color})
                ax.scatter(v, y + rng.uniform(-0.18, 0.18, len(v)), s=12, color=color,
                           alpha=0.75, lw=0, zorder=3)
        ax.set_yticks(range(rows))
        ax.set_yticklabels([_short(n) for n in reversed(names)])
        for lab, k in zip(ax.get_yticklabels(), reversed(range(rows)), strict=True):
            lab.set_color(GROUP_COLORS[k % len(GROUP_COLORS)])
        ax.set_ylim(-0.6, rows - 0.4)
        ax.grid(axis="x", color=GRID, lw=0.8)
        ax.set_axisbelow(True)
        if unit:
            ax.set_xlabel(unit if len(unit) <= 30 else unit[:28] + "…", fontsize=9.5)
        return svg_of(fig)


def _short(name: str, n: int = 14) -> str:
    return name if len(name) <= n else name[: n - 1] + "…"
