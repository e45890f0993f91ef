"""How many different variants an exercise can give a class: ``tutor sheet --preview ID``.

A variant is what a student sees: the prompt, the program and the choices in
their order, which its parameters (and a concept's layout) decide.  Two seeds
that draw the same parameters give the same variant, so a roster larger than
the number of distinct variants makes students share one.  Where the
parameter space is small (up to :data:`ENUMERATE` combinations) every
combination is drawn and kept if its misconception answers stay apart, as a
seeded draw would keep it: the count is exact.  A larger space is sampled
with :data:`DRAWS` seeds and the count is a lower bound, and says so.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ...bank import Exercise, Variant
from ...foundation.i18n import _, ngettext
from ...foundation.text import clean

DRAWS = 400
ENUMERATE = 600           # variants (parameters x layouts) gone through one by one (the count is then exact)
BUDGET = 20.0             # seconds of sampling at most
MAX_LAYOUTS = 24          # orders of choices gone through one by one (4 choices); more are sampled


@dataclass(frozen=True)
class Preview:
    exercise: str
    space: int              # parameter combinations x layouts (an upper bound on distinct variants)
    distinct: int           # distinct variants: all of them (exact), or those found in the draws
    draws: int              # seeds drawn (0: every combination gone through)
    examples: tuple[str, ...] = ()
    exact: bool = False
    answers: int = 0        # distinct right answers among them (what a copied answer gives away)

    def to_json(self) -> dict[str, Any]:
        return {"exercise": self.exercise, "space": self.space, "distinct": self.distinct, "draws": self.draws,
                "exact": self.exact, "answers": self.answers, "examples": list(self.examples)}

    def line(self) -> str:
        if self.exact:
            head = ngettext("{id}: {n} distinct variant", "{id}: {n} distinct variants", self.distinct).format(
                id=self.exercise, n=self.distinct)
        else:
            head = _("{id}: at least {n} distinct variants ({draws} seeds drawn; {space} parameter "
                     "combinations)").format(id=self.exercise, n=self.distinct, draws=self.draws, space=self.space)
        tail = ngettext("{n} distinct answer", "{n} distinct answers", self.answers).format(n=self.answers)
        return f"{head}; {tail}"


def fingerprint(v: Variant[Any]) -> str:
    """What a student sees of a variant, as one comparable string (its parameters, layout included)."""
    from ...bank.variants import params_key

    return json.dumps([v.prompt, v.code, params_key(v.params)], ensure_ascii=False)


def shown_params(v: Variant[Any]) -> str:
    """A variant's parameters as an instructor reads them: ``k=3, x0=2`` (a concept's order of choices)."""
    parts = [f"{name}={value}" for name, value in sorted(v.params.items()) if name.isidentifier()]
    choices = v.kind.choices(v)
    if choices and not parts:
        parts = [" | ".join(clean(c, 30, one_line=True) for c in choices)]
    return ", ".join(parts) or clean(v.prompt, 120, one_line=True)


def all_params(ex: Exercise) -> list[dict[str, Any]]:
    """Every parameter combination of ``params``, as :func:`~tutor.bank.params.draw_params` gives values."""
    import itertools

    from ...bank.params import param_specs, param_values

    specs = sorted(param_specs(ex).items())
    return [dict(zip([n for n, _s in specs], combo)) for combo in itertools.product(*(param_values(sp)
                                                                                       for _n, sp in specs))]


def preview(ex: Exercise, draws: int = DRAWS, enumerate_up_to: int = ENUMERATE) -> Preview:
    """The distinct variants of an exercise: exact where the parameter space is small enough to go through
    (each combination drawn and kept only if its misconception answers stay apart, times the layouts),
    otherwise a lower bound from ``draws`` seeds."""
    from ... import bank
    from ...bank.params import input_space
    from ...bank.variants import Memo

    layouts = max(1, ex.handler.layouts(ex))
    combos = input_space(ex)
    if combos * min(layouts, MAX_LAYOUTS) <= enumerate_up_to and layouts <= MAX_LAYOUTS:
        kind = ex.handler
        kept = []
        answers: set[str] = set()
        orders = _layouts(ex)
        for params in all_params(ex):
            for layout in orders:
                v = kind.draw(ex, 0, {**params, **layout})
                if kind.distinct(v):
                    answers.add(kind.expected_text(v))
                    if layout is orders[0]:
                        kept.append(shown_params(v))
        return Preview(ex.id, combos * layouts, len(kept) * layouts, 0, tuple(kept[:3]), exact=True,
                       answers=len(answers))
    seen: dict[str, str] = {}
    found: set[str] = set()
    memo: Memo = {}
    drawn = 0
    import time

    start = time.monotonic()
    for seed in range(draws):
        if time.monotonic() - start > BUDGET:
            break
        drawn += 1
        v = bank.variant(ex, seed, memo=memo)
        seen.setdefault(fingerprint(v), shown_params(v))
        found.add(v.kind.expected_text(v))
    return Preview(ex.id, combos * layouts, len(seen), drawn, tuple(list(seen.values())[:3]), answers=len(found))


def _layouts(ex: Exercise) -> list[dict[str, Any]]:
    """The layouts seeds give (a concept's orders of choices), each once, found by drawing."""
    kind = ex.handler
    want = max(1, kind.layouts(ex))
    out: dict[str, dict[str, Any]] = {}
    for seed in range(50 * want):
        layout = kind.layout(ex, seed)
        out.setdefault(repr(sorted(layout.items())), layout)
        if len(out) >= want:
            break
    return list(out.values())


def shared_variants(items_by_student: Sequence[Sequence[Any]]) -> list[tuple[int, str, int, int]]:
    """Questions on which students of a roster share variants: (number, exercise id, distinct, students)."""
    out: list[tuple[int, str, int, int]] = []
    if not items_by_student:
        return out
    for column in zip(*items_by_student):
        prints = {fingerprint(item.variant) for item in column}
        if len(prints) < len(column):
            out.append((column[0].number, column[0].id, len(prints), len(column)))
    return out
