"""Jupyter notebooks (nbformat 4.5), built as plain JSON.

One markdown cell per question and one answer code cell per question.  Every
answer cell starts with the marker line of :mod:`tutor.bank.handouts`, so a
grader finds each answer (and, through the manifest's token map, the variant
it belongs to) in a completed notebook.  A student's notebook names each
variant by its token only, in the markers and in the metadata alike.  Derive,
predict and concept answers are typed between the quotes of
``answer = "..."``; a code question's cell holds the stub, which the learner
completes.  The key is the same notebook with the answers filled in (a code
question's reference solution), followed by the common wrong answers.
"""
from __future__ import annotations

import json
from typing import Any

from ...bank.handouts import marker
from ...foundation.i18n import _
from . import markdown
from .model import Item, Sheet

EXTENSION = ".ipynb"


def _source(text: str) -> list[str]:
    """nbformat's multi-line string: a list of lines keeping their newlines."""
    return text.splitlines(keepends=True)


def _markdown(cell_id: str, text: str) -> dict[str, Any]:
    return {"cell_type": "markdown", "id": cell_id, "metadata": {}, "source": _source(text)}


def _code(cell_id: str, text: str, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"cell_type": "code", "execution_count": None, "id": cell_id, "metadata": metadata or {},
            "outputs": [], "source": _source(text)}


def answer_source(item: Item, key: bool = False) -> str:
    return "\n".join([marker(item.token, item.number), *item.notebook_answer(key)])


def self_check_source(item: Item) -> str:
    """A cell that checks the answer above with the tutor in the notebook (``from tutor import notebook``)."""
    head = "# " + _("Check your answer (not a grade): run this cell after the one above.")
    if item.kind == "code":
        call = f"notebook.check({item.id!r}, {item.variant.exercise.data['function']}, seed={item.seed})"
    else:
        call = f"notebook.question({item.id!r}, seed={item.seed}).answer(answer)"
    return "\n".join([head, "from tutor import notebook", call])


def render(sheet: Sheet, key: bool = False) -> str:
    heading = sheet.heading() + (" — " + _("answer key") if key else "")
    intro = [f"# {heading}", "", f"*{sheet.subtitle(key)}*", "",
             _("Write each answer in the code cell below its question. Keep the first line of each answer "
               "cell (`# answer: ...`): it tells the grader which variant you were given.")]
    cells = [_markdown("sheet-intro", "\n".join(intro))]
    for item in sheet.items:
        text = [f"## {item.number}. {item.title}", "", markdown.meta_line(item, key), ""]
        text += markdown.blocks_lines(item.question(stub=False))     # a code question's stub is its answer cell
        cells.append(_markdown(f"q{item.number}-question", "\n".join(text).rstrip("\n")))
        meta: dict[str, Any] = {"tutor": {"variant": item.token, "question": item.number, "kind": item.kind}}
        if key:
            meta["tutor"].update({"exercise": item.id, "seed": item.seed})
        cells.append(_code(f"q{item.number}-answer", answer_source(item, key), meta))
        if sheet.self_check:
            cells.append(_code(f"q{item.number}-check", self_check_source(item)))
        if key:
            cells.append(_markdown(f"q{item.number}-key", "\n".join(markdown.answer_lines(item)).rstrip("\n")))
    notebook = {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
            "tutor": {"sheet": sheet.meta_json(key), "key": key,
                      "questions": sheet.manifest_entry() if key else sheet.questions_shown()},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(notebook, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
