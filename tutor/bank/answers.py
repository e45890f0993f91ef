"""Reading a typed prediction: a number, a list, None, True/False or an error name."""
from __future__ import annotations

import re

from ..engines.scenario import Answer
from ..foundation.errors import MathError
from ..mathlang import parse_number


def parse_prediction(text: str) -> Answer:
    """A typed prediction as an :class:`Answer`; unreadable numbers raise MathError pointing into ``text``."""
    t = text.strip()
    low = t.lower()
    if low in ("none", "null"):
        return Answer("none")
    if low in ("true", "false"):
        return Answer.boolean(low == "true")
    m = re.fullmatch(r"([A-Za-z]*error|exception|raises?)(:.*)?", t, flags=re.IGNORECASE)
    if m:
        name = m.group(1)
        return Answer.raised(name if name.lower().endswith("error") and name.lower() != "error" else "Error", "")
    m = re.fullmatch(r"tensor\((.*?)(,\s*requires_grad=True)?\)", t)
    if m:
        t = m.group(1)
    vector = t.startswith("[") and t.endswith("]")
    body = t[1:-1] if vector else t
    parts = [p for p in body.split(",") if p.strip()] if (vector or "," in body) else [body]
    values = []
    offset = text.find(body) if body else 0
    for p in parts:
        try:
            values.append(parse_number(p))
        except MathError as exc:
            # point at the character in what the learner typed
            start = text.find(p, offset) if p else -1
            position = None if exc.position is None or start < 0 else start + exc.position
            raise MathError(exc.reason, text, position, code=exc.code) from None
    return Answer.number(values, vector or len(values) > 1)
