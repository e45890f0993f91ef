"""What a handed-out sheet carries that the grader reads back: the manifest and the notebooks' answer cells.

``tutor sheet`` writes these; ``tutor grade`` reads them.  Every answer cell
of a notebook starts with a marker line::

    # answer: <exercise-id> seed=<seed> question=<n>

and :func:`read_answers` finds each answer (and the variant it belongs to) in
a completed notebook, reading the typed text with :mod:`ast` (never running it).
"""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

MANIFEST_FORMAT = "tutor-sheet-manifest"
MARKER = re.compile(r"^#\s*answer:\s*(?P<id>[a-z0-9]+(?:-[a-z0-9]+)*)\s+seed=(?P<seed>\d+)"
                    r"(?:\s+question=(?P<number>\d+))?\s*$")


def marker(exercise: str, seed: int, number: int) -> str:
    return f"# answer: {exercise} seed={seed} question={number}"


def read_answers(notebook: dict[str, Any] | str | Path) -> list[dict[str, Any]]:
    """The answers of a completed notebook (a dict, JSON text or a path), in order.

    Each is ``{"exercise", "seed", "question", "answer", "source"}``; ``answer``
    is the typed text (``None`` for a code cell, whose ``source`` is the code).
    """
    if isinstance(notebook, (str, Path)) and not str(notebook).lstrip().startswith("{"):
        notebook = Path(notebook).read_text(encoding="utf-8")
    if isinstance(notebook, str):
        notebook = json.loads(notebook)
    assert isinstance(notebook, dict)
    out = []
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        m = MARKER.match(source.split("\n", 1)[0].strip())
        if not m:
            continue
        out.append({"exercise": m.group("id"), "seed": int(m.group("seed")),
                    "question": int(m.group("number")) if m.group("number") else None,
                    "answer": _assigned_answer(source), "source": source})
    return out


def _assigned_answer(source: str) -> str | None:
    """The string assigned to ``answer`` (parsed, never run); None when there is none."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    found = None
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id == "answer" and isinstance(node.value, ast.Constant)):
            found = str(node.value.value)
    return found
