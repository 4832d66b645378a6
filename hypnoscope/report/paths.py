"""File paths as text: one readable, one-line, valid UTF-8 form of any path, and back.

A POSIX file name is bytes. Python gives a name that is not valid UTF-8 to programs as a
``str`` with surrogate escapes (byte ``0xff`` is ``"\\udcff"``), which can be opened but not
printed, written as UTF-8 (an HTML report) or stored in a DuckDB ``VARCHAR``. A name may
also hold a newline or other control characters that would break a one-line message.

:func:`path_text` turns such a path into text in the manner of Python's string escapes: a
byte that is not UTF-8 becomes ``\\xff``, a newline ``\\n``, another control or invisible
character ``\\x1b`` / ``\\u200b``, and a backslash ``\\\\``; every other character is kept.
The form is injective, so :func:`path_from_text` gives the original path back: the results
store keeps paths in this form (``videos.path``, ``files.path``), and screens and reports
show it. An ordinary path (printable UTF-8, no backslash) is its own text.
"""

from __future__ import annotations

import os
import re

_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}
_UNSHORT = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\"}
_ESCAPE = re.compile(r"\\(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|(.))",
                     re.DOTALL)


def _plain(text: str) -> bool:
    return text.isprintable() and "\\" not in text


def path_text(path: str | bytes | os.PathLike) -> str:
    """The readable, one-line, valid UTF-8 form of ``path`` (see the module docstring)."""
    if isinstance(path, bytes):
        text = os.fsdecode(path)
    else:
        text = os.fspath(path)
        if isinstance(text, bytes):
            text = os.fsdecode(text)
    if _plain(text):
        return text
    out = []
    for ch in text:
        code = ord(ch)
        if ch in _SHORT:
            out.append(_SHORT[ch])
        elif 0xDC80 <= code <= 0xDCFF:  # a byte that is not UTF-8 (surrogate escape)
            out.append(f"\\x{code - 0xDC00:02x}")
        elif ch.isprintable():
            out.append(ch)
        elif code < 0x80:
            out.append(f"\\x{code:02x}")
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return "".join(out)


def path_from_text(text: str) -> str:
    """The path (a ``str``, with surrogate escapes where it is not UTF-8) that
    :func:`path_text` turned into ``text``."""
    if "\\" not in text:
        return text

    def one(m: re.Match) -> str:
        x, u4, u8, other = m.groups()
        if x is not None:
            code = int(x, 16)
            return chr(0xDC00 + code) if code >= 0x80 else chr(code)
        if u4 is not None or u8 is not None:
            return chr(int(u4 or u8, 16))
        return _UNSHORT.get(other, "\\" + other)

    return _ESCAPE.sub(one, text)


def plain_text(text: str) -> str:
    """``text`` (a message, a tag) with any surrogate escape written as ``\\xNN``, so that
    it can be printed, written as UTF-8 or stored; other characters are kept."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate that stands for no byte
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return raw.decode("utf-8", "backslashreplace")
