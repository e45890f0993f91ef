"""Jupyter notebooks (nbformat 4.5), built as plain JSON.

One markdown cell per question and one answer code cell per question.  Every
answer cell starts with a marker line::

    # answer: <exercise-id> seed=<seed> question=<n>

so a grader finds each answer (and the variant it belongs to) in a completed
notebook: :func:`read_answers`.  Derive, predict and concept answers are
typed between the quotes of ``answer = "..."``; a code question's cell holds
the stub, which the learner completes.  The key is the same notebook with the
answers filled in, followed by the common wrong answers.
"""
from __future__ import annotations

import ast
import json
import re

from ..i18n import _

EXTENSION = ".ipynb"
MARKER = re.compile(r"^#\s*answer:\s*(?P<id>[a-z0-9]+(?:-[a-z0-9]+)*)\s+seed=(?P<seed>\d+)"
                    r"(?:\s+question=(?P<number>\d+))?\s*$")


def _source(text: str) -> list[str]:
    """nbformat's multi-line string: a list of lines keeping their newlines."""
    return text.splitlines(keepends=True)


def _markdown(cell_id: str, text: str) -> dict:
    return {"cell_type": "markdown", "id": cell_id, "metadata": {}, "source": _source(text)}


def _code(cell_id: str, text: str, metadata: dict | None = None) -> dict:
    return {"cell_type": "code", "execution_count": None, "id": cell_id, "metadata": metadata or {},
            "outputs": [], "source": _source(text)}


def marker(item) -> str:
    return f"# answer: {item.id} seed={item.seed} question={item.number}"


def answer_source(item, key: bool = False) -> str:
    lines = [marker(item)]
    if item.kind == "code":
        lines.append("# " + _("Complete the function below; the checker calls {call}.").format(call=item.call_text()))
        return "\n".join(lines) + "\n" + item.stub().rstrip("\n")
    if item.kind == "derive":
        what = ", ".join(f"d/d{w}" for w in item.wrt)
        hint = _("Type {what} in the math language (several separated by ';'), between the quotes.").format(
            what=what)
    elif item.kind == "predict":
        hint = _("Type what the program prints (a number, a list, None, True/False or an error name).")
    else:
        hint = _("Type the letter of your choice.") if not item.true_false else _("Type true or false.")
    lines.append("# " + hint)
    lines.append("answer = " + json.dumps(item.typed_answer() if key else "", ensure_ascii=False))
    return "\n".join(lines)


def render(sheet, key: bool = False) -> str:
    from . import markdown

    heading = sheet.heading() + (" — " + _("answer key") if key else "")
    intro = [f"# {heading}", "", f"*{sheet.subtitle()}*", "",
             _("Write each answer in the code cell below its question. Keep the first line of each answer "
               "cell (`# answer: ...`): it tells the grader which variant you were given.")]
    cells = [_markdown("sheet-intro", "\n".join(intro))]
    for item in sheet.items:
        text = [f"## {item.number}. {item.title}", "",
                f"*{item.topic} · {item.kind} · `{item.id}` · " + _("seed {seed}").format(seed=item.seed) + "*", ""]
        text += markdown.question_lines(item, stub=False)     # a code question's stub is its answer cell
        cells.append(_markdown(f"q{item.number}-question", "\n".join(text).rstrip("\n")))
        meta = {"tutor": {"exercise": item.id, "seed": item.seed, "question": item.number, "kind": item.kind}}
        cells.append(_code(f"q{item.number}-answer", answer_source(item, key), meta))
        if key:
            cells.append(_markdown(f"q{item.number}-key", "\n".join(markdown.answer_lines(item)).rstrip("\n")))
    notebook = {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
            "tutor": {"sheet": sheet.meta_json(), "key": key, "questions": sheet.manifest_entry()},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(notebook, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def read_answers(notebook) -> list[dict]:
    """The answers of a completed notebook (a dict, JSON text or a path), in order.

    Each is ``{"exercise", "seed", "question", "answer", "source"}``; ``answer``
    is the typed text (``None`` for a code cell, whose ``source`` is the code).
    """
    from pathlib import Path

    if isinstance(notebook, (str, Path)) and not str(notebook).lstrip().startswith("{"):
        notebook = Path(notebook).read_text(encoding="utf-8")
    if isinstance(notebook, str):
        notebook = json.loads(notebook)
    out = []
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        first = source.split("\n", 1)[0].strip()
        m = MARKER.match(first)
        if not m:
            continue
        out.append({"exercise": m.group("id"), "seed": int(m.group("seed")),
                    "question": int(m.group("number")) if m.group("number") else None,
                    "answer": _assigned_answer(source), "source": source})
    return out


def _assigned_answer(source: str):
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
