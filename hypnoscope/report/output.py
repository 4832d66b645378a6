"""Where reports go, and how the compare command reads its groups."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path


def report_targets(out: Path, sources: Sequence[str]) -> list[Path]:
    """The HTML file for each source video.

    One source: ``out`` itself, unless it is an existing folder or ends with a slash (then
    ``out/<name>.html``). Several sources: ``out`` is a folder (created as needed) holding
    one ``<name>.html`` per video; names that repeat get ``-2``, ``-3``, ... Raises
    ValueError when several sources are given a single ``.html`` file."""
    as_dir = out.is_dir() or str(out).endswith(("/", os.sep))
    if len(sources) == 1 and not as_dir:
        return [out]
    if len(sources) > 1 and out.suffix.lower() in {".html", ".htm"} and not out.is_dir():
        raise ValueError(f"{len(sources)} videos need a folder for their reports, not the "
                         f"file {out}")
    used: dict[str, int] = {}
    targets = []
    for src in sources:
        stem = Path(src).stem or "video"
        n = used.get(stem, 0) + 1
        used[stem] = n
        targets.append(out / (f"{stem}.html" if n == 1 else f"{stem}-{n}.html"))
    return targets


def split_groups(args: Sequence[str], by_folder: bool) -> dict[str, list[str]]:
    """Group the compare command's inputs: ``A... --vs B...`` gives two groups named after
    their folders (or ``A`` and ``B``); ``by_folder`` groups every input by its folder."""
    if "--vs" in args:
        if by_folder:
            raise ValueError("use either --vs or --by-folder, not both")
        i = list(args).index("--vs")
        a, b = list(args[:i]), list(args[i + 1:])
        if "--vs" in b:
            raise ValueError("--vs may appear only once")
        if not a or not b:
            raise ValueError("--vs needs inputs on both sides")
        na, nb = _common_folder(a), _common_folder(b)
        if not na or not nb or na == nb:
            na, nb = "A", "B"
        return {na: a, nb: b}
    if not by_folder:
        raise ValueError("say how to group the inputs: A... --vs B..., or --by-folder")
    groups: dict[str, list[str]] = {}
    for p in args:
        groups.setdefault(Path(p).resolve().parent.name or "/", []).append(p)
    if len(groups) < 2:
        raise ValueError("--by-folder found a single folder: nothing to compare")
    return groups


def _common_folder(paths: Sequence[str]) -> str:
    parents = {Path(p).resolve().parent.name for p in paths}
    return parents.pop() if len(parents) == 1 else ""
