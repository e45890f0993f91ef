"""A completed notebook read without running it: its answer cells, their typed answers, their code.

Cells are found by their marker line (``# answer: variant=TOKEN question=N``), else by the cell's own
metadata or id, so a deleted marker loses nothing; typed answers are read with :mod:`ast`; a code cell
becomes a module (notebook commands skipped where the cell is not Python as it stands).
"""
from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...bank.handouts import assigned_answer, parse_marker
from ...foundation.i18n import _
from ...foundation.text import clean_name
from .submissions import Unreadable, read_source

MAX_NOTEBOOK_BYTES = 8 * 1024 * 1024
MAX_CELLS = 2000
_ANSWER_CELL_ID = re.compile(r"^q(\d{1,4})-answer$")


@dataclass
class Cell:
    """One answer cell found in a notebook: which question it claims, and its source."""

    number: int | None
    token: str | None
    source: str
    legacy: tuple[str, int] | None = None        # (exercise, seed) of a marker made before tokens


def read_notebook(path: Path) -> tuple[dict[str, Any] | None, bytes, str | None]:
    """(the notebook, its bytes, None) or (None, bytes, why it cannot be read)."""
    try:
        raw = read_source(path, MAX_NOTEBOOK_BYTES)
    except Unreadable as exc:
        return None, b"", str(exc)
    try:
        nb = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        return None, raw, _("not UTF-8 text")
    except (ValueError, RecursionError) as exc:
        return None, raw, _("not a notebook (invalid JSON: {why})").format(why=str(exc)[:120])
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        return None, raw, _("not a notebook (no list of cells)")
    if len(nb["cells"]) > MAX_CELLS:
        return None, raw, _("more than {n} cells").format(n=MAX_CELLS)
    return nb, raw, None


def answer_cells(nb: dict[str, Any]) -> list[Cell]:
    """Every code cell that claims a question: by its marker line, else by the cell's own metadata or id
    (a deleted marker does not lose the answer)."""
    out = []
    for cell in nb["cells"]:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(s for s in source if isinstance(s, str))
        if not isinstance(source, str):
            continue
        marker = parse_marker(source.split("\n", 1)[0])
        if marker is not None:
            legacy = (marker["exercise"], marker["seed"]) if marker["exercise"] else None
            out.append(Cell(marker["question"], marker["token"], source, legacy))
            continue
        tutor = table(table(cell.get("metadata")).get("tutor"))
        number = tutor.get("question")
        if not (isinstance(number, int) and not isinstance(number, bool)):
            m = _ANSWER_CELL_ID.match(str(cell.get("id", "")))
            number = int(m.group(1)) if m else None
        if number is not None:
            token = tutor.get("variant") if isinstance(tutor.get("variant"), str) else None
            out.append(Cell(number, token, source))
    return out


def table(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def typed_answer(source: str) -> tuple[str | None, str | None]:
    """(the text assigned to ``answer``, None), or (None, why it cannot be read); parsed, never run.

    A string is its text; another literal (``26``, ``-2.5``, ``None``, ``True``, ``[0.5, 1]``) is read as it
    is written; anything else (a name, a call) cannot be judged without running it."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None, _("the cell is not valid Python, so its answer cannot be read")
    found = assigned_answer(tree)
    if found is None:
        return "", None
    if isinstance(found, ast.Constant) and isinstance(found.value, str):
        return found.value, None
    try:
        ast.literal_eval(found)
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        return None, _("answer is set to code, not to typed text: {code}").format(
            code=clean_name(ast.get_source_segment(source, found) or "?", 80))
    return ast.get_source_segment(source, found) or "", None


def notebook_code(source: str) -> str:
    """A code cell as a module.  Where the cell is not Python as it stands, lines that start with a
    notebook command (``%matplotlib``, ``!pip``) become ``pass``; the marker line (a comment) gives
    ``display`` a meaning (Jupyter's, printed), line numbers unchanged."""
    lines = source.split("\n")
    if lines and parse_marker(lines[0]) is not None:
        lines[0] = "display = print  " + lines[0].strip()
    try:
        compile("\n".join(lines), "<cell>", "exec", dont_inherit=True)
        return "\n".join(lines)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        pass
    out = []
    for line in lines:
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")):
            indent = line[:len(line) - len(stripped)]
            line = f"{indent}pass  # notebook command, not run: {stripped[:200]}"
        out.append(line)
    return "\n".join(out)
