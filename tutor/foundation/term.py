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
