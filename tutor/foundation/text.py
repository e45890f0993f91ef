"""Text from outside (a submission's output, a file or folder name) made safe to show anywhere.

:func:`clean` keeps printable text, newlines and tabs, drops every other
control character (so no escape sequence reaches a terminal) and every
character XML 1.0 cannot hold (so a JUnit report stays valid), and cuts the
text to a length.
"""
from __future__ import annotations

import re

# C0 and C1 controls but tab and newline, lone surrogates, XML's non-characters, and the bidirectional
# controls that reorder what a terminal or a browser shows (U+202E makes "exe.txt" read "txt.exe")
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff"
                     "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
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


def spreadsheet_safe(cell: str) -> str:
    """A CSV cell a spreadsheet will not run as a formula (=, +, -, @ first: quoted with ')."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


def decode_source(data: bytes) -> str:
    """Python source as Python reads it: a byte-order mark dropped, a coding declaration honoured."""
    import io
    import tokenize

    try:
        encoding, _lines = tokenize.detect_encoding(io.BytesIO(data).readline)
    except (SyntaxError, LookupError):
        encoding = "utf-8"
    try:
        return data.decode(encoding, "replace")
    except LookupError:
        return data.decode("utf-8", "replace")


# what a Chinese input method types: full-width ASCII (U+FF01..U+FF5E) and the ideographic space, and the
# words for true and false, read as the ASCII a learner means (never NFKC: it would turn x² into x2)
_FULL_WIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20, 0x3002: 0x2E}
_TRUTH = {"对": "true", "正确": "true", "是": "true", "真": "true",
          "错": "false", "否": "false", "不是": "false", "假": "false"}   # (not 错误: it also means "an error")


def typed(text: str) -> str:
    """An answer as a learner typed it, read as plain ASCII where they meant it: ``１４．２５`` is ``14.25``,
    ``（ｘ＋１）`` is ``(x+1)``, ``对`` / ``错`` (``是`` / ``否``) are true / false; the rest unchanged."""
    s = text.translate(_FULL_WIDTH)
    return _TRUTH.get(s.strip(), s)
