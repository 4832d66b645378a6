"""Errors that name the file and the cause in one line."""

from __future__ import annotations


class VideoError(Exception):
    """A video could not be analyzed. ``str(err)`` is one line: ``PATH: cause``."""

    def __init__(self, path: str, cause: str):
        self.path = str(path)
        self.cause = " ".join(str(cause).split())  # always one line
        super().__init__(f"{self.path}: {self.cause}")
