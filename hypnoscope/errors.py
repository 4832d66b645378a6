"""Errors that name the file and the cause in one line."""

from __future__ import annotations


class VideoError(Exception):
    """A video could not be analyzed. ``str(err)`` is one line: ``PATH: cause``, the path
    in its readable form (:func:`hypnoscope.report.paths.path_text`); ``path`` is the
    path as given."""

    def __init__(self, path: str, cause: str):
        from hypnoscope.report.paths import path_text, plain_text

        self.path = str(path)
        self.cause = plain_text(" ".join(str(cause).split()))  # always one line
        super().__init__(f"{path_text(self.path)}: {self.cause}")
