"""Terminal styling without click: colours only when asked (on a terminal, and not under NO_COLOR), drawn by
rich (imported only then: a plain run, ``--help`` or a pipe, never loads it)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

STYLES = ("red", "green", "yellow", "blue", "magenta", "cyan", "bold", "dim")


def style(text: str, *names: str, enabled: bool = False) -> str:
    """``text`` in the styles ``names`` (of STYLES) when ``enabled``, else as it is."""
    if not enabled or not names:
        return text
    from rich.color import ColorSystem
    from rich.style import Style

    unknown = [n for n in names if n not in STYLES]
    if unknown:
        raise ValueError(f"unknown style {unknown[0]!r}")
    return str(Style.parse(" ".join(names)).render(text, color_system=ColorSystem.STANDARD))


def highlight(code: str, enabled: bool) -> str:
    """Python source coloured by its syntax (rich's highlighter, the terminal's own 16 colours) when
    ``enabled``, else as it is; never wrapped or padded."""
    if not enabled or not code:
        return code
    import io

    from rich.console import Console
    from rich.syntax import Syntax

    text = Syntax("", "python", theme="ansi_dark").highlight(code)
    buffer = io.StringIO()
    Console(file=buffer, force_terminal=True, color_system="standard", width=10_000, highlight=False,
            emoji=False, markup=False).print(text, end="", soft_wrap=True)
    out = buffer.getvalue()
    return out[:-1] if out.endswith("\n") and not code.endswith("\n") else out


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
        if display_width(line) <= width or indent >= 4:
            out.append(line)
            continue
        body = line[indent:]
        hang = indent + (2 if body.startswith(("- ", "• ", "! ", "✓ ", "✗ ")) else 0)
        if has_wide(body):                     # Chinese: a line may break between any two characters
            out.append(wrap_wide(body, width, " " * indent, " " * hang))
            continue
        # (colour codes count as text for textwrap: a coloured line breaks a few columns early, never late)
        out.append(textwrap.fill(body, width=width, initial_indent=" " * indent, subsequent_indent=" " * hang,
                                 break_long_words=False, break_on_hyphens=False))
    return "\n".join(out)


_CLOSING = set("，。、：；！？）》」』】〕")      # never at the start of a line
_OPENING = set("（《「『【〔")                  # never at the end of one


def _wide(ch: str) -> bool:
    """A character two columns wide on a terminal (Chinese, full-width forms)."""
    import unicodedata

    return unicodedata.east_asian_width(ch) in "WF"


def has_wide(text: str) -> bool:
    return any(_wide(ch) for ch in text)


def _tokens(text: str) -> list[tuple[str, bool]]:
    """(piece, preceded by a space): each wide character a piece of its own (a line may break before it), a
    run of other characters one piece; closing punctuation kept with what it closes, opening with what it
    opens; colour codes kept with their text."""
    import re

    pieces: list[tuple[str, bool]] = []
    space, word, opening = False, "", ""
    for part in re.split(r"(\x1b\[[0-9;]*m)", text):
        if part.startswith("\x1b["):
            word += part
            continue
        for ch in part:
            if ch == " ":
                if word:
                    pieces.append((opening + word, space))
                    opening, word = "", ""
                space = True
            elif _wide(ch):
                if ch in _CLOSING and (word or pieces):
                    if word:
                        word += ch
                    else:
                        pieces[-1] = (pieces[-1][0] + ch, pieces[-1][1])
                    continue
                if word:
                    pieces.append((opening + word, space))
                    opening, word, space = "", "", False
                if ch in _OPENING:
                    opening += ch
                    continue
                pieces.append((opening + ch, space))
                opening, space = "", False
            else:
                word += ch
    if word or opening:
        pieces.append((opening + word, space))
    return pieces


def joined(lines: Sequence[str]) -> str:
    """Lines of one paragraph as one: a space between words, none between Chinese characters."""
    out = ""
    for line in (ln.strip() for ln in lines):
        if out and line and not (_wide(out[-1]) or _wide(line[0])):
            out += " "
        out += line
    return out


def wrap_wide(body: str, width: int, first: str = "", rest: str = "") -> str:
    """``body`` broken to ``width`` columns (a wide character takes two; a line may break between two of
    them), the first line after ``first``, the others after ``rest``."""
    lines: list[str] = []
    current, used = first, display_width(first)
    start = True
    for piece, space in _tokens(body):
        size = display_width(piece) + (1 if space and not start else 0)
        if not start and used + size > width:
            lines.append(current.rstrip())
            current, used, start = rest, display_width(rest), True
            size = display_width(piece)
        current += (" " if space and not start else "") + piece
        used += size
        start = False
    lines.append(current.rstrip())
    return "\n".join(lines)


def display_width(text: str) -> int:
    """Columns on a terminal: a wide character (Chinese, full-width) takes two; colour codes none."""
    import re
    import unicodedata

    plain = re.sub(r"\x1b\[[0-9;]*m", "", text)
    return sum(2 if _wide(c) else 0 if unicodedata.combining(c) else 1 for c in plain)


def pad(text: str, width: int) -> str:
    """``text`` padded with spaces to ``width`` columns (str.ljust counts characters, not columns)."""
    return text + " " * max(0, width - display_width(text))
