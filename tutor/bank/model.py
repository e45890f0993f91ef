"""The bank's data: an exercise, a seeded variant of it, and the judgement of one answer."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from ..engines.scenario import Scenario
    from .kinds import ExerciseKind

A = TypeVar("A")


@dataclass
class Exercise:
    id: str
    title: str
    topic: str
    kind: str
    hints: list[str]
    explanation: str
    data: dict[str, Any]        # the exercise's table as read (kind-specific fields by name)
    path: Path
    root: Path

    @property
    def handler(self) -> ExerciseKind[Any]:
        """What its kind knows how to do (validate, draw, grade, check, show)."""
        from .kinds import KINDS

        return KINDS[self.kind]

    def summary(self) -> dict[str, str]:
        return {"id": self.id, "title": self.title, "topic": self.topic, "kind": self.kind, "file": str(self.path)}


@dataclass
class Candidate:
    """A wrong answer one misconception produces."""

    id: str
    answer: Any             # an Answer (predict, code) or a sympy expression (derive)
    wrt: str | None = None  # derive: the variable of the partial derivative


@dataclass
class Variant(Generic[A]):
    """A seeded variant of an exercise: the question as shown and its answer.

    ``answer`` is typed by the kind: ``{wrt: sympy expression}`` (derive), an
    :class:`~tutor.engines.scenario.Answer` (predict, code), a choice index or
    a bool (concept).
    """

    exercise: Exercise
    seed: int
    params: dict[str, Any]
    prompt: str
    answer: A
    code: str | None = None                 # predict: the program as the learner reads it
    candidates: list[Candidate] = field(default_factory=list)
    scenario: Scenario | None = None        # predict, code: the program's model
    function: Any = None                    # derive: f with the drawn parameters substituted (sympy)
    run: Any = field(default=None, repr=False, compare=False)      # predict, code: the scenario's simulation
    cache: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)   # derived once (fixes ...)

    @property
    def id(self) -> str:
        return self.exercise.id

    def __getstate__(self) -> dict[str, Any]:
        """Pickled (tutor check's forked processes) without the simulation and the cache: derived, and the
        simulation holds modules."""
        return {**self.__dict__, "run": None, "cache": {}}

    def simulation(self) -> Any:
        """The scenario's exact run (drawn with the variant; simulated here for a variant made another way)."""
        if self.run is None:
            from ..engines.scenario import simulate

            assert self.scenario is not None
            self.run = simulate(self.scenario)
        return self.run

    @property
    def explanation(self) -> str:
        """The exercise's explanation in this variant's numbers (see :mod:`tutor.bank.explanations`)."""
        return _rendered(self.exercise.explanation, self.params)

    @property
    def hints(self) -> list[str]:
        """The exercise's hints in this variant's numbers."""
        return [_rendered(h, self.params) for h in self.exercise.hints]

    @property
    def kind(self) -> ExerciseKind[A]:
        return self.exercise.handler


@dataclass
class Judgement:
    """One answer judged: right or not, why, and what the answer is.

    The quiz shows it, the grader turns it into a test result, the sheets'
    keys are checked with it.  ``invalid`` (with ``code``) means the answer
    could not be read: that costs the learner no attempt.
    """

    correct: bool
    expected: str
    explanation: str = ""
    misconception: str | None = None
    matches: list[str] = field(default_factory=list)
    invalid: str | None = None
    caret: str | None = None
    code: str | None = None
    fix: str = ""                 # a heading line, then the lines of the program that differ (see fix_text)

    @classmethod
    def unreadable(cls, expected: str, reason: str, code: str, caret: str | None = None) -> Judgement:
        return cls(False, expected, invalid=reason, caret=caret or reason, code=code)

    def to_json(self) -> dict[str, Any]:
        return {"correct": self.correct, "misconception": self.misconception, "explanation": self.explanation,
                "fix": self.fix,
                "expected": self.expected, "invalid": self.invalid}


def _rendered(template: str, params: dict[str, Any]) -> str:
    from .explanations import render

    try:
        return render(template, params)
    except Exception:          # tutor check refuses it; a learner still reads the text as written
        return template
