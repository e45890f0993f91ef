"""Terminal styling without click: colours only when asked (on a terminal)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

_CODES = {"red": 31, "green": 32, "yellow": 33, "blue": 34, "magenta": 35, "cyan": 36, "bold": 1, "dim": 2}


def style(text: str, *names: str, enabled: bool = False) -> str:
    if not enabled or not names:
        return text
    codes = ";".join(str(_CODES[n]) for n in names)
    return f"\x1b[{codes}m{text}\x1b[0m"


def fmt_number(x: Any) -> str:
    """A float shown briefly: 36, -12, 0.2, 8.244614456e-09, nan, inf."""
    if x is None:
        return "None"
    if isinstance(x, str):
        return x
    x = float(x)
    if x != x:
        return "nan"
    if x in (float("inf"), float("-inf")):
        return "inf" if x > 0 else "-inf"
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.10g}"


def fmt_values(values: Sequence[Any] | None, vector: bool) -> str:
    if values is None:
        return "None"
    shown = [fmt_number(v) for v in values]
    return "[" + ", ".join(shown) + "]" if vector else shown[0]


def visible_len(text: str) -> int:
    """Length on screen: colour codes take no room."""
    import re

    return len(re.sub(r"\x1b\[[0-9;]*m", "", text))


def wrap(text: str, width: int | None) -> str:
    """Prose lines longer than ``width`` broken between words, each continuation indented like its line (a
    bullet's text past the bullet).  Code, tables and drawings (lines indented by four spaces or more) are
    left as they are: breaking them would change what they say."""
    import textwrap

    if not width or width < 20:
        return text
    out = []
    for line in text.split("\n"):
        indent = len(line) - len(line.lstrip(" "))
        if visible_len(line) <= width or indent >= 4:
            out.append(line)
            continue
        body = line[indent:]
        hang = indent + (2 if body.startswith(("- ", "• ", "! ", "✓ ", "✗ ")) else 0)
        # (colour codes count as text for textwrap: a coloured line breaks a few columns early, never late)
        out.append(textwrap.fill(body, width=width, initial_indent=" " * indent, subsequent_indent=" " * hang,
                                 break_long_words=False, break_on_hyphens=False))
    return "\n".join(out)


def display_width(text: str) -> int:
    """Columns on a terminal: a wide character (Chinese, full-width) takes two; colour codes none."""
    import re
    import unicodedata

    plain = re.sub(r"\x1b\[[0-9;]*m", "", text)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 0 if unicodedata.combining(c) else 1 for c in plain)


def pad(text: str, width: int) -> str:
    """``text`` padded with spaces to ``width`` columns (str.ljust counts characters, not columns)."""
    return text + " " * max(0, width - display_width(text))
