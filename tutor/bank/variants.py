"""Seeded variants: parameters drawn until the misconceptions' answers are told apart."""
from __future__ import annotations

import dataclasses
from typing import Any

from ..foundation.errors import BankError
from ..foundation.i18n import _
from .model import Exercise, Variant
from .params import draw_params

MAX_DRAWS = 40


Memo = dict[str, tuple[Variant[Any], bool]]


def params_key(params: dict[str, Any]) -> str:
    """Drawn parameters as a key: two draws with the same key give the same variant (but for its seed)."""
    return repr(sorted((name, type(value).__name__, str(value)) for name, value in params.items()))


def variant(ex: Exercise, seed: int = 0, memo: Memo | None = None, grading: bool = False) -> Variant[Any]:
    """A seeded variant whose misconception answers differ from the correct one and each other.

    ``memo``: one exercise's draws so far (``tutor check``'s seeds draw the same parameters often): a draw
    is a function of the exercise and the parameters, so a parameter draw seen before is not drawn again.
    ``grading``: drawn from the grader's ranges (``grade_params``) where the exercise has them.
    """
    kind = ex.handler
    last = None
    for attempt in range(MAX_DRAWS):
        params = {**draw_params(ex, seed, attempt, grading), **kind.layout(ex, seed)}
        key = params_key(params)
        if memo is not None and key in memo:
            drawn, ok = memo[key]
            v = dataclasses.replace(drawn, seed=seed)
        else:
            v = kind.draw(ex, seed, params)
            ok = kind.distinct(v)
            if memo is not None:
                memo[key] = (v, ok)
        if ok:
            return v
        last = v
    assert last is not None
    raise BankError(ex.path, _("no parameter draw keeps the misconception answers apart (seed {seed}): {pair}")
                    .format(seed=seed, pair=coinciding(last)), exercise=ex.id,
                    field_name="params", code="bank.candidates-coincide")


def coinciding(v: Variant[Any]) -> str:
    """Which two answers of ``v`` coincide, and on what: "accumulation.overwrite and the right answer are
    both 4.75" (the list of misconceptions where the pair cannot be named)."""
    from ..engines.scenario import Answer
    from .candidates import answers_match

    right = _("the right answer")
    if isinstance(v.answer, Answer):
        entries = [(right, v.answer), *((c.id, c.answer) for c in v.candidates)]
        for i, (a, x) in enumerate(entries):
            for b, y in entries[i + 1:]:
                if answers_match(x, y) or answers_match(y, x):
                    return _("{a} and {b} both give {value}").format(a=a, b=b, value=x.text())
    elif isinstance(v.answer, dict):
        from ..engines.derivatives import numerically_equal
        from ..mathlang.sym import to_text

        names = v.exercise.data.get("variables", [])
        for wrt, correct in v.answer.items():
            entries = [(right, correct), *((c.id, c.answer) for c in v.candidates if c.wrt == wrt)]
            for i, (a, x) in enumerate(entries):
                for b, y in entries[i + 1:]:
                    if numerically_equal(x, y, names):
                        return _("{a} and {b} both give d/d{wrt} = {value}").format(a=a, b=b, wrt=wrt,
                                                                                   value=to_text(x))
    return ", ".join(c.id for c in v.candidates)
