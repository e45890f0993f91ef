"""JSON sheets for other tools: ``{"format", "version", "sheet", "questions": [...]}``.

Each question has number, variant (the opaque token), title, kind, topic,
prompt, code, choices (and, by kind, function/latex/variables/wrt or
file/function/call/stub); the key adds the exercise ``id`` and ``seed``,
``answer`` (``text`` as shown, ``typed`` as a learner types it, and the
value), ``wrong_answers`` (``misconception``, ``title``, ``answer``) and
``explanation``.
"""
from __future__ import annotations

import json
from typing import Any

from .model import Sheet

EXTENSION = ".json"
FORMAT = "tutor-sheet"
VERSION = 2                     # 2: a question shows its variant token, not its id and seed


def to_data(sheet: Sheet, key: bool = False) -> dict[str, Any]:
    return {"format": FORMAT + ("-key" if key else ""), "version": VERSION, "sheet": sheet.meta_json(key),
            "questions": [item.key_json() if key else item.question_json() for item in sheet.items]}


def render(sheet: Sheet, key: bool = False) -> str:
    return json.dumps(to_data(sheet, key), indent=2, ensure_ascii=False) + "\n"
