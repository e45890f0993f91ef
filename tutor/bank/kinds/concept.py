"""``concept``: multiple choice, or true/false, on the course notes.

The choices are shown in an order drawn from the variant's seed (the same seed, the same order), unless the
exercise says ``shuffle = false`` (for "all of the above", "both of them" ...).  A variant's answer is the
index of the right choice *as shown*; an answer's ``why`` follows its choice wherever it is shown.
"""
from __future__ import annotations

import math
import random
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from ...foundation.document import Block, Choices, Para, Strong, Text
from ...foundation.i18n import _
from ..model import Exercise, Judgement, Variant
from . import CheckContext, ExerciseKind, Fail, Prepared, WorkFile, _answer_label

Choice = int | bool          # the index of the right choice as shown, or the truth of a true/false statement
ORDER = "@order"             # the layout's name among the parameters (no parameter can be named so)


class Concept(ExerciseKind[Choice]):
    name: ClassVar[str] = "concept"
    order: ClassVar[int] = 30
    fields: ClassVar[tuple[str, ...]] = ("choices", "answer", "why", "shuffle")

    def validate(self, item: Mapping[str, Any], root: Path, fail: Fail) -> None:
        choices = item.get("choices")
        answer = item.get("answer")
        if choices is None:
            if not isinstance(answer, bool):
                fail("answer", _("a true/false question needs answer = true or false"), "bank.bad-answer")
        else:
            if not isinstance(choices, list) or len(choices) < 2 or not all(isinstance(c, str) for c in choices):
                fail("choices", _("must list at least two choices"), "bank.bad-choices")
            if not isinstance(answer, int) or isinstance(answer, bool) or not 0 <= answer < len(choices):
                fail("answer", _("must be the 0-based index of the right choice"), "bank.bad-answer")
            why = item.get("why")
            if why is not None and (not isinstance(why, list) or len(why) != len(choices)
                                    or not all(isinstance(w, str) for w in why)):
                fail("why", _("must give one explanation per choice"), "bank.bad-why")
        if not isinstance(item.get("shuffle", True), bool):
            fail("shuffle", _("must be true or false"), "bank.bad-shuffle")
        if not isinstance(item.get("question"), str):
            fail("question", _("a concept exercise needs the question text"), "bank.missing-question")

    @staticmethod
    def _shuffled(ex: Exercise) -> bool:
        return bool(ex.data.get("choices")) and ex.data.get("shuffle", True) is not False

    def layout(self, ex: Exercise, seed: int) -> dict[str, Any]:
        """The order the choices are shown in, drawn from the seed (none for true/false or shuffle = false)."""
        if not self._shuffled(ex):
            return {}
        order = list(range(len(ex.data["choices"])))
        random.Random(f"tutor-concept-order:{ex.id}:{seed}").shuffle(order)
        return {ORDER: tuple(order)}

    def layouts(self, ex: Exercise) -> int:
        return math.factorial(len(ex.data["choices"])) if self._shuffled(ex) else 1

    @staticmethod
    def choice_order(v: Variant[Choice]) -> tuple[int, ...]:
        """The bank's index of each choice as shown."""
        return tuple(v.params.get(ORDER) or range(len(v.exercise.data.get("choices") or ())))

    def draw(self, ex: Exercise, seed: int, params: dict[str, Any]) -> Variant[Choice]:
        answer = ex.data["answer"]
        if not isinstance(answer, bool):
            order = params.get(ORDER) or range(len(ex.data["choices"]))
            answer = list(order).index(answer)
        return Variant(ex, seed, params, ex.data["question"], answer)

    def expected_text(self, v: Variant[Choice]) -> str:
        if isinstance(v.answer, bool):
            return "true" if v.answer else "false"
        return f"{chr(ord('a') + v.answer)}) {self.shown(v)[v.answer]}"

    def shown(self, v: Variant[Choice]) -> list[str]:
        """The choices in the order shown."""
        choices = v.exercise.data["choices"]
        return [choices[i] for i in self.choice_order(v)]

    def typed_answer(self, v: Variant[Choice]) -> str:
        if isinstance(v.answer, bool):
            return "true" if v.answer else "false"
        return chr(ord("a") + v.answer)

    def grade(self, v: Variant[Choice], text: str) -> Judgement:
        data = v.exercise.data
        expected = self.expected_text(v)
        t = text.strip().lower().rstrip(")").strip()
        if isinstance(v.answer, bool):
            if t in ("t", "true", "yes", "y", "1"):
                got = True
            elif t in ("f", "false", "no", "n", "0"):
                got = False
            else:
                return Judgement.unreadable(expected, _("answer true or false"), "answer.true-false")
            return Judgement(got == v.answer, expected, data["explanation"])
        n = len(data["choices"])
        if len(t) == 1 and "a" <= t <= chr(ord("a") + n - 1):
            index = ord(t) - ord("a")
        elif t.isdigit() and 1 <= int(t) <= n:
            index = int(t) - 1
        else:
            return Judgement.unreadable(expected, _("answer with a letter from a to {last}").format(
                last=chr(ord("a") + n - 1)), "answer.choice")
        why = data.get("why")
        explanation = why[self.choice_order(v)[index]] if why and index != v.answer else data["explanation"]
        return Judgement(index == v.answer, expected, explanation)

    def prepare(self, ex: Exercise, seeds: int, ctx: CheckContext) -> Prepared:
        from ..variants import variant

        self.check_explanation([variant(ex, 0)])
        return Prepared(1)

    def choices(self, v: Variant[Choice]) -> list[str] | None:
        return self.shown(v) if "choices" in v.exercise.data else [_("true"), _("false")]

    def question_blocks(self, v: Variant[Choice], *, stub: bool = True) -> list[Block]:
        return [Para.text(v.prompt), Choices(tuple(self.choices(v) or ()))]

    def answer_blocks(self, v: Variant[Choice]) -> list[Block]:
        return [Para.fill("{label} {answer}", label=Strong(_answer_label()), answer=Text(self.expected_text(v)))]

    def answer_json(self, v: Variant[Choice]) -> dict[str, Any]:
        return {"value": v.answer} if isinstance(v.answer, bool) else {"index": v.answer}

    def quiz_fields(self, v: Variant[Choice], work_file: WorkFile) -> dict[str, Any]:
        return {"choices": self.shown(v) if "choices" in v.exercise.data else ["true", "false"],
                "true_false": "choices" not in v.exercise.data}

    def notebook_hint(self, v: Variant[Choice]) -> str:
        return _("Type the letter of your choice.") if "choices" in v.exercise.data else _("Type true or false.")
