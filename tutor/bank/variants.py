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
    raise BankError(ex.path, _("no parameter draw keeps the misconception answers apart (seed {seed}): {ids}")
                    .format(seed=seed, ids=", ".join(c.id for c in last.candidates)), exercise=ex.id,
                    field_name="params", code="bank.candidates-coincide")
