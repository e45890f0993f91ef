"""What a handed-out sheet carries that the grader reads back: the manifest and the notebooks' answer cells.

``tutor sheet`` writes these; ``tutor grade`` reads them.  Every answer cell
of a notebook starts with a marker line::

    # answer: variant=<token> question=<n>

The token is opaque: the manifest maps it to the exercise id and the variant
seed (:func:`variants_of`), which a student's sheet never shows.  Notebooks
made before tokens carry ``# answer: <exercise-id> seed=<seed> question=<n>``,
which is still read.  :func:`read_answers` finds each answer (and the
variant it belongs to) in a completed notebook, reading the typed text with
:mod:`ast` (never running it).
"""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

MANIFEST_FORMAT = "tutor-sheet-manifest"
MANIFEST_VERSION = 2        # 2: variant tokens (questions' "variant", the "variants" map)
MARKER = re.compile(r"^#\s*answer:\s*variant=(?P<token>[A-Z2-7]{4,32})(?:\s+question=(?P<number>[0-9]{1,6}))?\s*$")
LEGACY_MARKER = re.compile(r"^#\s*answer:\s*(?P<id>[a-z0-9]+(?:-[a-z0-9]+)*)\s+seed=(?P<seed>[0-9]{1,15})"
                           r"(?:\s+question=(?P<number>[0-9]{1,6}))?\s*$")


def marker(token: str, number: int) -> str:
    return f"# answer: variant={token} question={number}"


def variants_of(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A manifest's map of variant token -> {"exercise", "seed"} (its own, or gathered from its questions)."""
    found: dict[str, dict[str, Any]] = {}
    entries = [manifest.get("questions") or []] + [info.get("questions") or []
                                                   for info in (manifest.get("students") or {}).values()]
    for questions in entries:
        for q in questions:
            if q.get("variant"):
                found[q["variant"]] = {"exercise": q["exercise"], "seed": q["seed"]}
    found.update(manifest.get("variants") or {})
    return found


def read_answers(notebook: dict[str, Any] | str | Path) -> list[dict[str, Any]]:
    """The answers of a completed notebook (a dict, JSON text or a path), in order.

    Each is ``{"token", "exercise", "seed", "question", "answer", "source"}``: the variant token of the
    marker (``exercise`` and ``seed`` None: the manifest maps the token), or, from a notebook made before
    tokens, ``token`` None and the exercise and seed of the marker; ``answer`` is the typed text (``None``
    for a code cell, whose ``source`` is the code).
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
        found = parse_marker(source.split("\n", 1)[0])
        if found is None:
            continue
        out.append({**found, "answer": _assigned_answer(source), "source": source})
    return out


def parse_marker(line: str) -> dict[str, Any] | None:
    """An answer cell's first line read: ``{"token", "exercise", "seed", "question"}`` (a marker made
    before tokens names the exercise and seed, a marker with a token names neither), or None."""
    line = line.lstrip("\ufeff").strip()
    m = MARKER.match(line) or LEGACY_MARKER.match(line)
    if m is None:
        return None
    found = m.groupdict()
    return {"token": found.get("token"), "exercise": found.get("id"),
            "seed": int(found["seed"]) if found.get("seed") else None,
            "question": int(found["number"]) if found["number"] else None}


def assigned_answer(tree: ast.Module) -> ast.expr | None:
    """What the cell's code assigns to ``answer`` last (``answer = ...`` or ``answer: str = ...``)."""
    found: ast.expr | None = None
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id == "answer":
            found = value
    return found


def _assigned_answer(source: str) -> str | None:
    """The constant assigned to ``answer``, as text (parsed, never run); None when there is none."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    value = assigned_answer(tree)
    return str(value.value) if isinstance(value, ast.Constant) else None
