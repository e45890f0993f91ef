"""The exercise bank (layer 4): exercises, seeded variants, answers judged.

One engine serves the quiz, the sheets and the grader: :func:`variant` draws
a seeded variant with its correct answer and the wrong answers each
misconception produces, and :func:`grade` judges a typed answer against it.
What differs between derive, predict, concept and code exercises lives in
one module per kind (:mod:`.kinds`).

Importing this package is light: sympy and torch load when they are used.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .kinds import KINDS, CheckContext, ExerciseKind, Prepared
from .load import FORMAT_VERSION, by_id, find, load, select
from .model import Candidate, Exercise, Judgement, Variant
from .topics import TOPICS
from .variants import variant

__all__ = ["FORMAT_VERSION", "KINDS", "TOPICS", "Candidate", "CheckContext", "Exercise", "ExerciseKind",
           "Judgement", "Prepared", "Variant", "by_id", "expected_text", "find", "grade", "judge", "load", "select",
           "typed_answer", "variant"]


def grade(v: Variant[Any], text: str) -> Judgement:
    """Judge a typed answer; the quiz, the sheets' keys and the grader share this.

    It never raises: an answer the tutor cannot judge (a bug, an input no check foresaw) is reported as
    unreadable, which costs the learner no attempt and the class no grade.
    """
    return judge(lambda: v.kind.grade(v, text), v)


def judge(judging: Callable[[], Judgement], v: Variant[Any]) -> Judgement:
    """Run ``judging``; anything it raises becomes an unreadable answer with the error's code."""
    from ..foundation.errors import TutorError
    from ..foundation.i18n import _

    try:
        return judging()
    except TutorError as exc:
        return Judgement.unreadable(v.kind.expected_text(v), exc.one_line(), exc.code, exc.caret())
    except (ArithmeticError, MemoryError, RecursionError, TypeError, ValueError) as exc:
        reason = _("this answer could not be judged ({error}); try another form").format(error=type(exc).__name__)
        return Judgement.unreadable(v.kind.expected_text(v), reason, "answer.not-judged")


def expected_text(v: Variant[Any]) -> str:
    """The right answer as the tutor shows it."""
    return v.kind.expected_text(v)


def typed_answer(v: Variant[Any]) -> str:
    """The right answer as a learner types it."""
    return v.kind.typed_answer(v)
