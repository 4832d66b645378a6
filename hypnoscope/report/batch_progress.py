"""Progress and closing summary of ``hypnoscope batch``: a rich bar on a terminal, one plain
line per file otherwise, nothing but failures with ``--quiet``."""

from __future__ import annotations

import sys
import time
from collections import Counter

import numpy as np
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from hypnoscope.batch.run import BatchOptions, BatchSummary, Reporter, ai_likeness_of
from hypnoscope.report.paths import path_text, plain_text
from hypnoscope.report.verdict import UNDECIDED, verdict_word, word_band
from hypnoscope.scoring.model import THRESHOLD


def rate_line(s: BatchSummary) -> str:
    """Files and frames per second so far."""
    el = max(s.elapsed_s, 1e-6)
    return (f"{s.ok + s.failed} analyzed in {el:.1f} s: {(s.ok + s.failed) / el:.2f} files/s, "
            f"{s.frames_decoded / el:.0f} frames/s decoded")


class _Counts(ProgressColumn):
    def __init__(self, summary: BatchSummary):
        super().__init__()
        self.summary = summary

    def render(self, task) -> Text:
        s = self.summary
        fps = s.frames_decoded / max(time.monotonic() - self.t0, 1e-6)
        text = Text(f"ok {s.ok}", style="green", no_wrap=True)
        text.append(f" failed {s.failed + s.failed_earlier}",
                    style="red" if s.failed or s.failed_earlier else "dim")
        if s.skipped:
            text.append(f" skipped {s.skipped}", style="dim")
        text.append(f" {fps:,.0f} frames/s", style="cyan")
        return text

    t0 = 0.0


class RichReporter(Reporter):
    """A live progress bar (files done/failed, frames/s, ETA) and a closing summary."""

    def __init__(self, console: Console | None = None):
        self.console = console or Console()
        self.progress: Progress | None = None

    def start(self, summary: BatchSummary, options: BatchOptions) -> None:
        self._counts = _Counts(summary)
        self._counts.t0 = time.monotonic()
        self.progress = Progress(BarColumn(bar_width=20), MofNCompleteColumn(),
                                 self._counts, TextColumn("ETA"), TimeRemainingColumn(),
                                 console=self.console, transient=False)
        self.progress.start()
        self.task = self.progress.add_task("batch", total=summary.total)
        self.console.print(f"[dim]{summary.total} file(s) → {escape(path_text(summary.db))}  "
                           f"(engine {options.engine}, {options.workers} worker(s), "
                           f"timeout {options.timeout:g} s)[/dim]")

    def advance(self, summary: BatchSummary, path: str, status: str,
                result: dict | None = None) -> None:
        if self.progress is not None:
            self.progress.update(self.task, completed=summary.done)
        if status == "failed":
            self.console.print(Text(f"failed {path_text(path)}: {_error(result)}",
                                    style="red"), soft_wrap=True)

    def finish(self, summary: BatchSummary) -> None:
        if self.progress is not None:
            self.progress.update(self.task, completed=summary.done)
            self.progress.stop()
        print_summary(summary, self.console)


class PlainReporter(Reporter):
    """One line per file on stdout (for logs, when stdout is not a terminal)."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout

    def _line(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def start(self, summary: BatchSummary, options: BatchOptions) -> None:
        self._line(f"batch: {summary.total} file(s) -> {path_text(summary.db)} "
                   f"(engine {options.engine}, "
                   f"{options.workers} worker(s), timeout {options.timeout:g} s)")

    def advance(self, summary: BatchSummary, path: str, status: str,
                result: dict | None = None) -> None:
        n = f"[{summary.done}/{summary.total}]"
        path = path_text(path)
        if status == "ok":
            facts = (result or {}).get("source") or {}
            p = ai_likeness_of(result)
            verdict = (f"AI-likeness {100 * p:.0f} % ({verdict_word(p)}) " if p is not None
                       else "")
            self._line(f"{n} ok {verdict}{path} ({facts.get('frames_decoded', 0)} frames, "
                       f"{(result or {}).get('elapsed_s', 0.0):.2f} s)")
        elif status == "failed":
            self._line(f"{n} failed {path}: {_error(result)}")
        else:
            self._line(f"{n} {status} {path}")

    def finish(self, summary: BatchSummary) -> None:
        print_summary(summary, Console(file=self.stream, width=120, no_color=True))


class QuietReporter(Reporter):
    """Only failures, one line each on stderr."""

    def advance(self, summary: BatchSummary, path: str, status: str,
                result: dict | None = None) -> None:
        if status == "failed":
            print(f"failed {path_text(path)}: {_error(result)}", file=sys.stderr)


def print_summary(s: BatchSummary, console: Console) -> None:
    """The closing summary: counts, speed and failures grouped by kind."""
    head = (f"{s.total} file(s): {s.ok} ok, {s.failed} failed, {s.skipped} already done")
    if s.failed_earlier:
        head += f", {s.failed_earlier} failed in an earlier run (use --retry-failed)"
    console.print(Text(head, style="bold"))
    if s.ai_likeness:
        p = np.asarray(s.ai_likeness)
        low, high = word_band(UNDECIDED)
        undecided = int(((p >= low) & (p < high)).sum())
        console.print(Text(f"verdict: {int((p >= THRESHOLD).sum())} of {len(p)} analyzed "
                           f"called generated (AI-likeness >= {100 * THRESHOLD:.0f} %); "
                           f"{undecided} {UNDECIDED} ({100 * low:.0f}-{100 * high:.0f} %); "
                           f"median "
                           f"AI-likeness "
                           f"{100 * float(np.median(p)):.0f} %", style="bold"))
    console.print(rate_line(s))
    if s.interrupted:
        console.print(Text(f"interrupted by {s.interrupted}: run the same command again to "
                           f"finish the remaining files", style="yellow"))
    if s.failures:
        kinds = Counter(f.kind for f in s.failures)
        table = Table(title="failures", show_lines=False, title_justify="left")
        table.add_column("file", overflow="fold")
        table.add_column("kind")
        table.add_column("reason", overflow="fold")
        for f in s.failures[:50]:
            table.add_row(path_text(f.path), f.kind + (" (earlier)" if f.earlier else ""),
                          plain_text(f.error))
        console.print(table)
        if len(s.failures) > 50:
            console.print(f"... and {len(s.failures) - 50} more; by kind: "
                          + ", ".join(f"{k} {n}" for k, n in kinds.most_common()))
    console.print(Text(f"results: {path_text(s.db)}", style="dim"))


def _error(result: dict | None) -> str:
    return plain_text(" ".join(str((result or {}).get("error", "")).split()))
