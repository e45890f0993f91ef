"""What ``tutor check`` found: the report and its problems."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...foundation.errors import BankError, TutorError
from ...foundation.i18n import _


@dataclass
class Problem:
    file: str
    exercise: str | None
    reason: str
    code: str = "check.failed"

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "exercise": self.exercise, "reason": self.reason, "code": self.code}

    def line(self) -> str:
        where = self.file + (f": {self.exercise}" if self.exercise else "")
        return f"{where}: {self.reason}"


@dataclass
class CheckReport:
    exercises: int = 0
    variants: int = 0
    seconds: float = 0.0
    problems: list[Problem] = field(default_factory=list)
    coverage: dict[str, int] = field(default_factory=dict)
    kinds: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "exercises": self.exercises, "variants_verified": self.variants,
                "seconds": round(self.seconds, 3),
                "variants_per_second": round(self.variants / self.seconds, 2) if self.seconds else None,
                "topics": self.coverage, "kinds": self.kinds, "notes": self.notes,
                "problems": [p.to_json() for p in self.problems]}


def _bank_problem(exc: BankError) -> Problem:
    reason = exc.reason if exc.field is None else _("field '{field}': {reason}").format(field=exc.field,
                                                                                          reason=exc.reason)
    return Problem(exc.path, exc.exercise, reason, exc.code)


def problem_of(ex_path: str, exercise: str, exc: BaseException) -> Problem:
    """The problem an exercise's check raised (a bug in an exercise must not hide the others)."""
    if isinstance(exc, BankError):
        return Problem(ex_path, exercise, _bank_problem(exc).reason, exc.code)
    if isinstance(exc, TutorError):
        return Problem(ex_path, exercise, exc.one_line(), exc.code)
    return Problem(ex_path, exercise, f"{type(exc).__name__}: {exc}", "check.crashed")
