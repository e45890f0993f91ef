"""The content of a sheet, independent of its format.

A :class:`Sheet` is a list of :class:`Item` (one seeded variant each, drawn
with :func:`tutor.bank.variant`, the same engine the quiz and the grader use)
plus what its answer key needs: the correct answer as shown and as a learner
would type it (graded correct by :func:`tutor.bank.grade`), and the wrong
answers of the common misconceptions with the misconception each reveals.
What a question and an answer look like comes from the exercise's kind, as
format-neutral blocks (:mod:`tutor.foundation.document`).

Everything here is deterministic: the same seed (and student) gives the same
items in the same order, and nothing depends on the clock or the machine.
"""
from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ...bank import Exercise, Variant
from ...foundation.document import Block, Inline
from ...foundation.errors import TutorError
from ...foundation.i18n import _

SEED_RANGE = 1_000_000          # variant seeds are shown to people: keep them short, as the quiz does


@dataclass
class Wrong:
    """A common wrong answer and the misconception it reveals."""

    misconception: str          # stable id, e.g. accumulation.overwrite
    title: str                  # the misconception's title
    text: str                   # the wrong answer as printed / typed
    shown: Inline               # how the key shows it
    wrt: str | None = None      # derive: the partial derivative it belongs to

    def to_json(self) -> dict[str, Any]:
        data = {"misconception": self.misconception, "title": self.title, "answer": self.text}
        if self.wrt is not None:
            data["wrt"] = self.wrt
        return data


@dataclass
class Item:
    number: int                 # 1-based position on the sheet
    variant: Variant[Any]

    @property
    def exercise(self) -> Exercise:
        return self.variant.exercise

    @property
    def id(self) -> str:
        return self.variant.exercise.id

    @property
    def kind(self) -> str:
        return self.variant.exercise.kind

    @property
    def topic(self) -> str:
        return self.variant.exercise.topic

    @property
    def title(self) -> str:
        return self.variant.exercise.title

    @property
    def seed(self) -> int:
        return self.variant.seed

    def question(self, stub: bool = True) -> list[Block]:
        return self.variant.kind.question_blocks(self.variant, stub=stub)

    def answer(self) -> list[Block]:
        return self.variant.kind.answer_blocks(self.variant)

    def answer_text(self) -> str:
        """The correct answer as the quiz shows it."""
        return self.variant.kind.expected_text(self.variant)

    def typed_answer(self) -> str:
        """The correct answer as a learner types it: bank.grade marks it correct."""
        return self.variant.kind.typed_answer(self.variant)

    def wrong_answers(self) -> list[Wrong]:
        """The misconceptions' answers (variant.candidates), in the kind's order."""
        from ...bank.misconceptions import CATALOGUE

        v = self.variant
        return [Wrong(c.id, CATALOGUE[c.id].title, v.kind.wrong_text(v, c), v.kind.wrong_shown(v, c), c.wrt)
                for c in v.candidates or []]

    def notebook_answer(self, key: bool) -> list[str]:
        return self.variant.kind.notebook_answer(self.variant, key)

    def question_json(self) -> dict[str, Any]:
        v = self.variant
        data = {"number": self.number, "id": self.id, "title": self.title, "kind": self.kind,
                "topic": self.topic, "seed": self.seed, "prompt": v.prompt, "code": v.code,
                "choices": v.kind.choices(v)}
        data.update(v.kind.question_json(v))
        return data

    def key_json(self) -> dict[str, Any]:
        data = self.question_json()
        answer = {"text": self.answer_text(), "typed": self.typed_answer()}
        answer.update(self.variant.kind.answer_json(self.variant))
        answer["text"] = self.answer_text()
        data["answer"] = answer
        data["wrong_answers"] = [w.to_json() for w in self.wrong_answers()]
        data["explanation"] = self.exercise.explanation
        return data


@dataclass
class Sheet:
    seed: int                            # the sheet's seed (selection; variants unless per student)
    items: list[Item] = field(default_factory=list)
    student: str | None = None           # roster id of a personal variant
    student_name: str | None = None
    variant_seed: int | None = None      # the seed the variants derive from (the student's seed)
    title: str = ""

    def heading(self) -> str:
        return self.title or _("Autograd exercise sheet")

    def subtitle(self) -> str:
        parts = [_("seed {seed}").format(seed=self.seed)]
        if self.student is not None:
            who = self.student + (f" ({self.student_name})" if self.student_name else "")
            parts.append(_("student {who}").format(who=who))
        parts.append(_("{n} questions").format(n=len(self.items)))
        return " · ".join(parts)

    def meta_json(self) -> dict[str, Any]:
        return {"seed": self.seed, "student": self.student, "student_name": self.student_name,
                "variant_seed": self.variant_seed, "title": self.heading(), "count": len(self.items)}

    def manifest_entry(self) -> list[dict[str, Any]]:
        return [{"number": it.number, "exercise": it.id, "seed": it.seed} for it in self.items]


def item_meta(item: Item) -> tuple[str, str, str, str]:
    """The meta line's parts: topic, kind, id and 'seed N'."""
    return item.topic, item.kind, item.id, _("seed {seed}").format(seed=item.seed)


# ------------------------------------------------------------- seeds, choice

def _hash_int(text: str) -> int:
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:16], 16)


def student_seed(sheet_seed: int, student_id: str) -> int:
    """A student's personal seed: sha256 of the sheet seed and the student id (stable everywhere)."""
    return _hash_int(f"tutor-sheet-student:{sheet_seed}:{student_id}") % 1_000_000_000


def item_seed(base_seed: int, number: int, ex_id: str) -> int:
    """The variant seed of question ``number`` (1-based) on a sheet whose variants derive from base_seed."""
    return _hash_int(f"tutor-sheet-item:{base_seed}:{number}:{ex_id}") % SEED_RANGE


def choose(exercises: list[Exercise], topics: Sequence[str] = (), ids: Sequence[str] = (),
           kinds: Sequence[str] = (), count: int | None = None, seed: int = 0) -> list[Exercise]:
    """The sheet's exercises, deterministic from the seed.

    ``ids`` keep the order given; otherwise the bank's order is kept.  ``count``
    None takes every match; fewer picks a seeded sample; more repeats
    exercises (each occurrence gets a variant of its own).
    """
    from ... import bank

    pool = bank.select(exercises, topics=tuple(topics), kinds=tuple(kinds), ids=tuple(ids))
    if ids:
        order = list(dict.fromkeys(ids))
        pool = sorted(pool, key=lambda ex: order.index(ex.id))
    if not pool:
        raise TutorError(_("no exercises match the chosen topics, kinds and ids"), code="sheet.no-exercises")
    if count is None:
        return list(pool)
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise TutorError(_("the number of questions must be a positive whole number, got {n!r}").format(n=count),
                         code="sheet.bad-count")
    rng = random.Random(f"tutor-sheet-choose:{seed}")
    rounds, rest = divmod(count, len(pool))
    picked = list(range(len(pool))) * rounds + rng.sample(range(len(pool)), rest)
    return [pool[i] for i in sorted(picked)]


def build(chosen: Sequence[Exercise], seed: int, student: str | None = None, student_name: str | None = None,
          title: str = "") -> Sheet:
    """Draw every chosen exercise's variant (personal when a student id is given)."""
    from ... import bank

    base = student_seed(seed, student) if student is not None else seed
    sheet = Sheet(seed=seed, student=student, student_name=student_name,
                  variant_seed=base if student is not None else None, title=title)
    for number, ex in enumerate(chosen, start=1):
        sheet.items.append(Item(number, bank.variant(ex, item_seed(base, number, ex.id))))
    return sheet
