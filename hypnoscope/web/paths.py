"""Stored file paths, shown and opened: the one place that turns a path string from the
database into text for a page or into a name for the file system. (Paths that are not
valid UTF-8 get their own stored form later; only these two functions need to follow.)"""

from __future__ import annotations


def display_path(stored: str | None) -> str:
    """The text that shows ``stored`` on a page (escaped by the templates, never here)."""
    return "" if stored is None else str(stored)


def fs_path(stored: str) -> str:
    """The name to open on the file system for the stored path ``stored``."""
    return str(stored)
