"""Text from outside (a submission's output, a file or folder name) made safe to show anywhere.

:func:`clean` keeps printable text, newlines and tabs, drops every other
control character (so no escape sequence reaches a terminal) and every
character XML 1.0 cannot hold (so a JUnit report stays valid), and cuts the
text to a length.
"""
from __future__ import annotations

import re

# C0 and C1 controls but tab and newline, lone surrogates, and XML's non-characters
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_ESCAPE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]")


def clean(text: object, limit: int | None = None, *, one_line: bool = False) -> str:
    s = text if isinstance(text, str) else str(text)
    s = _ESCAPE.sub("", s)
    s = _UNSAFE.sub("\ufffd", s.replace("\r\n", "\n").replace("\r", "\n"))
    if one_line:
        s = " ".join(s.split())
    if limit is not None and len(s) > limit:
        s = s[:max(0, limit - 1)] + "…"
    return s


def clean_name(text: object, limit: int = 120) -> str:
    """A file or student name on one line."""
    return clean(text, limit, one_line=True)
