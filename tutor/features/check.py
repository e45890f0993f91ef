"""``tutor check``: validate and verify an exercise bank, as rustlings' ``dev check`` does.

For every exercise and many seeds, each kind verifies its own part
(:meth:`tutor.bank.ExerciseKind.check`): derive answers through sympy, torch
and finite differences; predict answers against the rendered program run in
torch; code stubs fail and solutions pass.  Every variant must keep the
misconception answers apart from the correct one and from each other; the
file must follow the format (loading names the file, exercise and field).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import bank
from ..foundation.errors import BankError, TutorError
from ..foundation.i18n import _
from ..foundation.paths import default_bank_dir, solutions_dir

Progress = Callable[[int, int, str], None]


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


def check_bank(directory: str | Path | None = None, seeds: int = 5, solutions: str | Path | None = None,
               progress: Progress | None = None) -> CheckReport:
    """Check every exercise with ``seeds`` variants; ``progress(done, total, label)`` is called per exercise."""
    start = time.perf_counter()
    report = CheckReport()
    root = Path(directory) if directory else default_bank_dir()
    try:
        exercises = bank.load(root)
    except BankError as exc:
        report.problems.append(_bank_problem(exc))
        report.seconds = time.perf_counter() - start
        return report
    ctx = bank.CheckContext(solutions_dir(root, solutions))
    report.exercises = len(exercises)
    report.coverage = {topic: sum(1 for ex in exercises if ex.topic == topic) for topic in bank.TOPICS}
    report.kinds = {kind: sum(1 for ex in exercises if ex.kind == kind) for kind in bank.KINDS}
    if any(ex.handler.runs_code for ex in exercises) and ctx.solutions is None:
        report.notes.append(_("no solutions/ folder next to {root}: code solutions were not run").format(root=root))
    for i, ex in enumerate(exercises):
        if progress:
            progress(i, len(exercises), ex.id)
        try:
            report.variants += ex.handler.check(ex, seeds, ctx)
        except BankError as exc:
            problem = _bank_problem(exc)
            report.problems.append(Problem(str(ex.path), ex.id, problem.reason, problem.code))
        except TutorError as exc:
            report.problems.append(Problem(str(ex.path), ex.id, exc.one_line(), exc.code))
        except Exception as exc:  # a bug in an exercise must not hide the others
            report.problems.append(Problem(str(ex.path), ex.id, f"{type(exc).__name__}: {exc}", "check.crashed"))
    if progress:
        progress(len(exercises), len(exercises), "")
    report.seconds = time.perf_counter() - start
    return report
