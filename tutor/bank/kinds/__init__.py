"""Exercise kinds: one interface, one module per kind.

A kind knows everything that differs between derive, predict, concept and
code exercises: its fields and how to validate them, how to draw a variant
and what its answer is, how to grade a response, its part of ``tutor check``,
and the question and answer views that the quiz, the sheets and the grader
show.  Every subclass of :class:`ExerciseKind` with a ``name`` in a module of
this package registers itself in :data:`KINDS`, so adding a kind is adding a
module (with its docs and tests); nothing else dispatches on the kind.
"""
from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, NoReturn, TypeVar

from ...foundation.document import Block, Code, Inline, Para, Strong

if TYPE_CHECKING:
    from ..model import Candidate, Exercise, Judgement, Variant

A = TypeVar("A")
Fail = Callable[..., NoReturn]            # fail(field, reason): a BankError naming file, exercise and field
WorkFile = Callable[["Exercise"], Path]  # the learner's copy of a code exercise's stub (the quiz's)


@dataclass
class CheckContext:
    """What ``tutor check`` gives a kind's check: where the completed stubs are."""

    solutions: Path | None = None


Outcome = dict[str, Any]


@dataclass
class Prepared:
    """A kind's part of ``tutor check`` once its own (sympy) work is done: what is left to run, and what
    the kind needs to judge it.  Plain data: it may come from a forked process.

    ``programs``: rendered programs for torch (the runner's ``programs`` job);
    ``files``: code files to run, ``{"path", "function", "calls"}``; ``error``:
    what stopped the preparation, raised once the work before it is judged
    (so a check reports the first failure in its own order).
    """

    variants: int = 0
    programs: list[dict[str, Any]] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)
    data: Any = None
    error: BaseException | None = None


class ExerciseKind(Generic[A]):
    name: ClassVar[str] = ""
    order: ClassVar[int] = 100                       # its place in lists and the docs
    fields: ClassVar[tuple[str, ...]] = ()           # its own fields, besides the common ones
    misconceptions: ClassVar[tuple[str, ...]] = ()   # the ids it can detect, in the order they are tried
    runs_code: ClassVar[bool] = False                # the learner writes code: graded by running files

    registry: ClassVar[dict[str, ExerciseKind[Any]]] = {}

    def __init_subclass__(cls, **kwargs: Any):
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("name"):
            ExerciseKind.registry[cls.name] = cls()

    # ---- the bank file
    def validate(self, item: Mapping[str, Any], root: Path, fail: Fail) -> None:
        """Refuse what is malformed in the kind's own fields (``fail(field, reason)``)."""
        raise NotImplementedError

    # ---- variants and answers
    def draw(self, ex: Exercise, seed: int, params: dict[str, Any]) -> Variant[A]:
        """The variant for these drawn parameters, with its answer and the misconceptions' answers (a function
        of the exercise and ``params``: ``seed`` is only recorded)."""
        raise NotImplementedError

    def layout(self, ex: Exercise, seed: int) -> dict[str, Any]:
        """What a variant draws from its seed besides the parameters (concept: the order of its choices).

        Merged into the drawn parameters (under names no parameter can have), so that a variant stays a
        function of the exercise and its parameters."""
        return {}

    def shown_text(self, v: Variant[A]) -> str:
        """The question as the learner reads it (what an explanation may name)."""
        return "\n".join([v.prompt, v.code or ""])

    def produced_numbers(self, v: Variant[A]) -> list[float]:
        """Every number the variant shows or computes (what an explanation may quote)."""
        from ..explanations import NUMBER

        out = [float(x) for x in v.params.values() if isinstance(x, (int, float)) or hasattr(x, "is_number")
               and x.is_number and x.is_real]
        out += [float(m.group(0)) for m in NUMBER.finditer(self.shown_text(v))]
        return out

    def check_explanation(self, variants: list[Variant[A]]) -> None:
        """``tutor check``: the explanation renders for each variant and quotes only its numbers and names."""
        from ..explanations import check

        check(variants, self.shown_text, self.produced_numbers)

    def layouts(self, ex: Exercise) -> int:
        """How many different layouts :meth:`layout` gives (to count an exercise's distinct variants)."""
        return 1

    def distinct(self, v: Variant[A]) -> bool:
        """Are the right answer and the misconceptions' answers all told apart?"""
        return True

    def expected_text(self, v: Variant[A]) -> str:
        """The right answer as the tutor shows it."""
        raise NotImplementedError

    def typed_answer(self, v: Variant[A]) -> str:
        """The right answer as a learner types it (graded right by :meth:`grade`)."""
        raise NotImplementedError

    def grade(self, v: Variant[A], text: str) -> Judgement:
        """Judge a typed answer."""
        raise NotImplementedError

    def respond(self, v: Variant[A], text: str, work_file: WorkFile) -> tuple[Judgement, str]:
        """Judge what the learner typed at the quiz's prompt; and the text to save as the answer."""
        return self.grade(v, text), text

    # ---- tutor check
    def check(self, ex: Exercise, seeds: int, ctx: CheckContext) -> int:
        """Verify the exercise over ``seeds`` variants (raise TutorError); returns the variants verified."""
        from ...engines.runner.programs import run_file, run_programs

        prepared = self.prepare(ex, seeds, ctx)
        answers = run_programs(prepared.programs)
        outcomes = [run_file(Path(f["path"]), f["function"], f["calls"]) for f in prepared.files]
        verified = self.finish(ex, prepared, answers, outcomes)
        if prepared.error is not None:
            raise prepared.error
        return verified

    def load_for_check(self) -> None:
        """Import what :meth:`prepare` uses, before ``tutor check`` forks its processes (once, not in each)."""

    def prepare(self, ex: Exercise, seeds: int, ctx: CheckContext) -> Prepared:
        """:meth:`check`'s work that needs neither torch nor a worker (it may run in a forked process)."""
        raise NotImplementedError

    def finish(self, ex: Exercise, prepared: Prepared, answers: list[list[Outcome]],
               outcomes: list[list[Outcome]]) -> int:
        """Judge what the programs' runs (``answers``, each program's asked values) and the files' runs
        (``outcomes``, one per call) gave; raise TutorError; returns the variants verified."""
        return prepared.variants

    # ---- views
    def question_blocks(self, v: Variant[A], *, stub: bool = True) -> list[Block]:
        """The question as a sheet shows it (``stub``: a code question's stub too)."""
        return [Para.text(v.prompt)]

    def answer_blocks(self, v: Variant[A]) -> list[Block]:
        """The right answer as a key shows it."""
        return [Para.fill("{label} {answer}", label=Strong(_answer_label()), answer=Code(self.expected_text(v)))]

    def wrong_shown(self, v: Variant[A], c: Candidate) -> Inline:
        """A misconception's answer as a key shows it."""
        return Code(self.wrong_text(v, c))

    def wrong_text(self, v: Variant[A], c: Candidate) -> str:
        """A misconception's answer as a learner would type it."""
        return str(c.answer.text())

    def choices(self, v: Variant[A]) -> list[str] | None:
        return None

    def question_json(self, v: Variant[A]) -> dict[str, Any]:
        """The kind's own fields of a question in JSON sheets."""
        return {}

    def answer_json(self, v: Variant[A]) -> dict[str, Any]:
        """The kind's own fields of an answer in JSON keys."""
        return {}

    def quiz_fields(self, v: Variant[A], work_file: WorkFile) -> dict[str, Any]:
        """The kind's own fields of the quiz's question event."""
        return {}

    def notebook_answer(self, v: Variant[A], key: bool) -> list[str]:
        """The lines of a notebook's answer cell after its marker (the key fills the answer in)."""
        import json

        return ["# " + self.notebook_hint(v),
                "answer = " + json.dumps(self.typed_answer(v) if key else "", ensure_ascii=False)]

    def notebook_hint(self, v: Variant[A]) -> str:
        """What to type in a notebook's answer cell."""
        raise NotImplementedError


def _answer_label() -> str:
    from ...foundation.i18n import _

    return _("Answer:")


def _load() -> dict[str, ExerciseKind[Any]]:
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    return dict(sorted(ExerciseKind.registry.items(), key=lambda item: (item[1].order, item[0])))


KINDS: dict[str, ExerciseKind[Any]] = _load()
