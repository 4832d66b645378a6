"""Where outputs go: checking a target before any work, writing it whole or not at all,
where reports go, and how the compare command reads its groups."""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Sequence
from pathlib import Path

from hypnoscope.report.paths import path_text, plain_text


def output_problem(path: str | os.PathLike, *, folder: bool = False) -> str | None:
    """Why ``path`` cannot be written (None when it can): checked before any work so that a
    mistake costs nothing. A file target must not be an existing folder or anything but a
    regular file, and its nearest existing ancestor must be a folder this process may write
    (missing folders are created on writing); a ``folder`` target must be, or be creatable
    as, a folder this process may write."""
    p = Path(os.path.abspath(os.fspath(path)))
    st = _stat(p)
    if st is not None:
        if folder:
            if not stat.S_ISDIR(st.st_mode):
                return "exists and is not a folder"
            if not os.access(p, os.W_OK | os.X_OK):
                return "the folder is not writable"
            return None
        if stat.S_ISDIR(st.st_mode):
            return "is an existing folder, not a file name"
        if not stat.S_ISREG(st.st_mode):
            return "exists and is not a regular file"
    ancestor = p.parent
    while (st := _stat(ancestor)) is None and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if st is None or not stat.S_ISDIR(st.st_mode):
        return f"{path_text(ancestor)} is a file, not a folder"
    if not os.access(ancestor, os.W_OK | os.X_OK):
        return f"the folder {path_text(ancestor)} is not writable"
    return None


def _stat(p: Path) -> os.stat_result | None:
    try:
        return os.stat(p)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError:  # no permission to look: let the writer say
        return None


def write_atomic(path: str | os.PathLike, data: str | bytes) -> Path:
    """Write ``data`` (text as UTF-8) to ``path`` whole or not at all: into a hidden
    temporary file beside it, then renamed over it; the temporary file is removed on any
    failure. Missing parent folders are created. Returns the path written."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = plain_text(data).encode("utf-8")
    tmp = out.with_name(f".{out.name}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "xb") as fh:
            fh.write(data)
        os.replace(tmp, out)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return out


def output_targets(out: Path, sources: Sequence[str], suffix: str,
                   file_types: Sequence[str] = ()) -> list[Path]:
    """The file to write for each source video.

    One source: ``out`` itself, unless it is an existing folder or ends with a slash (then
    ``out/<name><suffix>``). Several sources: ``out`` is a folder (created as needed)
    holding one ``<name><suffix>`` per video; names that repeat get ``-2``, ``-3``, ...
    Raises ValueError when several sources are given a single file of the type written
    (``out`` ends with the extension of ``suffix`` or one of ``file_types``, e.g. ".htm")."""
    as_dir = out.is_dir() or str(out).endswith(("/", os.sep))
    if len(sources) == 1 and not as_dir:
        return [out]
    extensions = {os.path.splitext("x" + suffix)[1].lower(), *file_types} - {""}
    if len(sources) > 1 and out.suffix.lower() in extensions and not out.is_dir():
        raise ValueError(f"{len(sources)} videos need a folder, not the file {out}")
    used: dict[str, int] = {}
    targets = []
    for src in sources:
        stem = Path(src).stem or "video"
        n = used.get(stem, 0) + 1
        used[stem] = n
        targets.append(out / (f"{stem}{suffix}" if n == 1 else f"{stem}-{n}{suffix}"))
    return targets


def report_targets(out: Path, sources: Sequence[str]) -> list[Path]:
    """The HTML report file for each source video (see :func:`output_targets`); a single
    ``.html`` or ``.htm`` file for several sources is refused."""
    return output_targets(out, sources, ".html", file_types=(".htm",))


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
        groups.setdefault(path_text(Path(p).resolve().parent.name) or "/", []).append(p)
    if len(groups) < 2:
        raise ValueError("--by-folder found a single folder: nothing to compare")
    return groups


def _common_folder(paths: Sequence[str]) -> str:
    parents = {path_text(Path(p).resolve().parent.name) for p in paths}
    return parents.pop() if len(parents) == 1 else ""
