"""Stored file paths, shown and opened: the one place that turns a path string from the
database into text for a page or into a name for the file system.

The results store keeps every path in the readable, valid UTF-8 form of
:func:`hypnoscope.report.paths.path_text` (a byte that is not UTF-8 is written ``\\xff``);
that form is what pages show, and :func:`~hypnoscope.report.paths.path_from_text` gives
back the name to open."""

from __future__ import annotations

from hypnoscope.report.paths import path_from_text


def display_path(stored: str | None) -> str:
    """The text that shows ``stored`` on a page (escaped by the templates, never here)."""
    return "" if stored is None else str(stored)


def fs_path(stored: str) -> str:
    """The name to open on the file system for the stored path ``stored`` (a ``str`` with
    surrogate escapes where the name is not UTF-8)."""
    return path_from_text(str(stored))
