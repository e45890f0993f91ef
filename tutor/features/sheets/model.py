"""The content of a sheet, independent of its format.

A :class:`Sheet` is a list of :class:`Item` (one seeded variant each, drawn
with :func:`tutor.bank.variant`, the same engine the quiz and the grader use)
plus what its answer key needs: the correct answer as shown and as a learner
would type it (graded correct by :func:`tutor.bank.grade`), and the wrong
answers of the common misconceptions with the misconception each reveals.
What a question and an answer look like comes from the exercise's kind, as
format-neutral blocks (:mod:`tutor.foundation.document`).

Everything here is deterministic: the same seed, student and secret give the
same items in the same order, and nothing depends on the clock or the machine.

A student's sheet never shows an exercise id or a seed, from which the key
could be drawn again with the public package: each question shows an opaque
**variant token** (8 base32 characters, an HMAC of the exercise id and the
variant seed under the sheet's secret), and the key and the manifest keep the
mapping token -> (exercise id, seed).  With a secret, the variant seeds are
HMACs under it too, so the sheet seed alone does not give them away.
Without one (``secret=None``), seeds and tokens use a public derivation:
fine for practice, not for sheets that are marked.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ...bank import Exercise, Variant
from ...foundation.document import Block, Inline
from ...foundation.errors import TutorError
from ...foundation.i18n import _, ngettext

SEED_RANGE = 1_000_000          # variant seeds are shown to people (in keys): keep them short, as the quiz does
TOKEN_LENGTH = 8                # base32 characters of a variant token (40 bits)


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
    token: str = ""             # the opaque variant token a student's sheet shows instead of id and seed

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

    def question_json(self, key: bool = False) -> dict[str, Any]:
        """A question as a JSON sheet has it: the student's sheet has the variant token, the key adds id and seed."""
        v = self.variant
        data: dict[str, Any] = {"number": self.number, "variant": self.token}
        if key:
            data.update({"id": self.id, "seed": self.seed})
        data.update({"title": self.title, "kind": self.kind, "topic": self.topic, "prompt": v.prompt, "code": v.code,
                     "choices": v.kind.choices(v)})
        data.update(v.kind.question_json(v))
        return data

    def key_json(self) -> dict[str, Any]:
        data = self.question_json(key=True)
        answer = {"text": self.answer_text(), "typed": self.typed_answer()}
        answer.update(self.variant.kind.answer_json(self.variant))
        answer["text"] = self.answer_text()
        data["answer"] = answer
        data["wrong_answers"] = [w.to_json() for w in self.wrong_answers()]
        data["explanation"] = self.variant.explanation
        return data


@dataclass
class Sheet:
    seed: int                            # the sheet's seed (selection; variants unless per student)
    items: list[Item] = field(default_factory=list)
    student: str | None = None           # roster id of a personal variant
    student_name: str | None = None
    variant_seed: int | None = None      # the seed the variants derive from (the student's seed)
    title: str = ""
    self_check: bool = False             # ipynb: self-check cells (practice sheets only)

    def heading(self) -> str:
        return self.title or _("Autograd exercise sheet")

    def subtitle(self, key: bool = False) -> str:
        """The line under the heading: the key names the seed, a student's sheet does not."""
        parts = [_("seed {seed}").format(seed=self.seed)] if key else []
        if self.student is not None:
            who = self.student + (f" ({self.student_name})" if self.student_name else "")
            parts.append(_("student {who}").format(who=who))
        parts.append(ngettext("{n} question", "{n} questions", len(self.items)).format(n=len(self.items)))
        return " · ".join(parts)

    def meta_json(self, key: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {"student": self.student, "student_name": self.student_name, "title": self.heading(),
                                "count": len(self.items)}
        if key:
            data.update({"seed": self.seed, "variant_seed": self.variant_seed})
        return data

    def manifest_entry(self) -> list[dict[str, Any]]:
        return [{"number": it.number, "exercise": it.id, "seed": it.seed, "variant": it.token} for it in self.items]

    def questions_shown(self) -> list[dict[str, Any]]:
        """What a student's notebook may carry about its questions: number and variant token."""
        return [{"number": it.number, "variant": it.token} for it in self.items]


def item_meta(item: Item, key: bool = False) -> tuple[str, ...]:
    """The meta line's parts: topic, kind, and the variant token; the key adds the id and 'seed N' before it."""
    token = _("variant {token}").format(token=item.token)
    if key:
        return item.topic, item.kind, item.id, _("seed {seed}").format(seed=item.seed), token
    return item.topic, item.kind, token


# ------------------------------------------------------------- seeds, choice

def _hash_int(text: str, secret: str | None = None) -> int:
    """sha256 of the text (public), or its HMAC under the secret."""
    if secret is None:
        return int(hashlib.sha256(text.encode()).hexdigest()[:16], 16)
    return int(hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()[:16], 16)


def student_seed(sheet_seed: int, student_id: str, secret: str | None = None) -> int:
    """A student's personal seed: sha256 (or, with a secret, HMAC) of the sheet seed and the student id."""
    return _hash_int(f"tutor-sheet-student:{sheet_seed}:{student_id}", secret) % 1_000_000_000


def item_seed(base_seed: int, number: int, ex_id: str, secret: str | None = None) -> int:
    """The variant seed of question ``number`` (1-based) on a sheet whose variants derive from base_seed."""
    return _hash_int(f"tutor-sheet-item:{base_seed}:{number}:{ex_id}", secret) % SEED_RANGE


def variant_token(ex_id: str, seed: int, secret: str | None = None) -> str:
    """The opaque token of a variant: base32 of an HMAC of (exercise id, seed) under the secret."""
    digest = hmac.new((secret or "").encode("utf-8"), f"tutor-variant:{ex_id}:{seed}".encode(),
                      hashlib.sha256).digest()
    return base64.b32encode(digest).decode("ascii")[:TOKEN_LENGTH]


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
          title: str = "", secret: str | None = None) -> Sheet:
    """Draw every chosen exercise's variant (personal when a student id is given).

    The seeds and tokens derive from ``secret`` (an instructor's, never written anywhere) when given,
    otherwise from public hashes of the seed.
    """
    from ... import bank

    key = secret
    base = student_seed(seed, student, key) if student is not None else seed
    sheet = Sheet(seed=seed, student=student, student_name=student_name,
                  variant_seed=base if student is not None else None, title=title)
    for number, ex in enumerate(chosen, start=1):
        v = bank.variant(ex, item_seed(base, number, ex.id, key))
        sheet.items.append(Item(number, v, variant_token(ex.id, v.seed, key)))
    return sheet
