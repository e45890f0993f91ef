"""Seeded variants: parameters drawn until the misconceptions' answers are told apart."""
from __future__ import annotations

from typing import Any

from ..foundation.errors import BankError
from ..foundation.i18n import _
from .model import Exercise, Variant
from .params import draw_params

MAX_DRAWS = 40


def variant(ex: Exercise, seed: int = 0) -> Variant[Any]:
    """A seeded variant whose misconception answers differ from the correct one and each other."""
    kind = ex.handler
    last = None
    for attempt in range(MAX_DRAWS):
        v = kind.draw(ex, seed, draw_params(ex, seed, attempt))
        if kind.distinct(v):
            return v
        last = v
    assert last is not None
    raise BankError(ex.path, _("no parameter draw keeps the misconception answers apart (seed {seed}): {ids}")
                    .format(seed=seed, ids=", ".join(c.id for c in last.candidates)), exercise=ex.id,
                    field_name="params", code="bank.candidates-coincide")
