"""Grading results, typed: one judged answer becomes one test result; a submission's tests, one report.

:class:`TestResult` is made from a :class:`~tutor.bank.Judgement`
(:meth:`TestResult.judged`), a :class:`SubmissionResult` holds one file's
tests, and a :class:`GradingReport` holds the batch; every report format
(:mod:`.reports`) renders the same report.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...bank import Judgement
from ...foundation.i18n import _
from ...foundation.text import clean


def _number(x: float) -> float | int:
    """Whole scores print as 1, not 1.0 (the reports' format)."""
    return int(x) if float(x).is_integer() else x


@dataclass
class TestResult:
    name: str
    score: float
    max_score: float
    output: str
    misconception: str | None = None
    visibility: str = "visible"          # Gradescope's: visible, or after_due_date (an assignment's hidden tests)

    @classmethod
    def judged(cls, name: str, judged: Judgement, got: object) -> TestResult:
        """One test from one judged answer: right, unreadable, or wrong (with the misconception explained)."""
        if judged.invalid:
            output = _("could not be read: {reason}").format(reason=judged.invalid)
        elif judged.correct:
            output = _("right: {value}").format(value=judged.expected)
        else:
            output = _("expected {expected}, got {got}").format(expected=judged.expected, got=clean(got, 200))
            if judged.misconception:
                output += ". " + judged.explanation + ("\n" + judged.fix if judged.fix else "")
        return cls(name, 1 if judged.correct else 0, 1, output, judged.misconception)

    @classmethod
    def failed(cls, name: str, reason: str, max_score: float = 1) -> TestResult:
        """A test that earns nothing for a reason outside the answer (no result, a timeout ...)."""
        return cls(name, 0, max_score, reason)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "score": _number(self.score), "max_score": _number(self.max_score),
                "output": self.output, "misconception": self.misconception, "visibility": self.visibility}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TestResult:
        return cls(data["name"], data["score"], data["max_score"], data["output"], data.get("misconception"),
                   str(data.get("visibility") or "visible"))


@dataclass
class SubmissionResult:
    """One student's file (a code exercise or a notebook sheet), graded."""

    student: str
    exercise: str
    file: str
    status: str
    tests: list[TestResult] = field(default_factory=list)
    output: str = ""            # what the submission printed (capped, cleaned)
    flags: list[str] = field(default_factory=list)     # what an instructor should look at by hand

    @property
    def score(self) -> float:
        return float(sum(t.score for t in self.tests))

    @property
    def max_score(self) -> float:
        return float(sum(t.max_score for t in self.tests))

    def to_json(self) -> dict[str, Any]:
        return {"student": self.student, "exercise": self.exercise, "file": self.file, "score": self.score,
                "max_score": self.max_score, "status": self.status, "tests": [t.to_json() for t in self.tests],
                "output": self.output, "flags": list(self.flags)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SubmissionResult:
        return cls(data["student"], data["exercise"], data["file"], data["status"],
                   [TestResult.from_json(t) for t in data["tests"]], str(data.get("output") or ""),
                   [str(f) for f in data.get("flags") or []])


@dataclass
class GradingReport:
    results: list[SubmissionResult] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)     # (file, why it was not graded)
    isolation: dict[str, Any] = field(default_factory=dict)          # decided by the grader's probe
    inputs: dict[str, Any] = field(default_factory=dict)             # how the inputs were drawn
    assignment: dict[str, Any] | None = None                         # what makes up the grade, if given
    notes: list[str] = field(default_factory=list)                   # what the batch graded, and why
    names: dict[str, str] = field(default_factory=dict)              # student id -> name (a roster)
    roster: list[str] = field(default_factory=list)                   # every student of the roster

    def summary(self) -> dict[str, Any]:
        students = sorted({r.student for r in self.results} | set(self.roster))
        totals = {s: [0.0, 0.0] for s in students}
        misconceptions: dict[str, set[str]] = {}
        for r in self.results:
            totals[r.student][0] += r.score
            totals[r.student][1] += r.max_score
            for t in r.tests:
                if t.misconception:
                    misconceptions.setdefault(t.misconception, set()).add(r.student)
        return {
            "students": len(students),
            "submissions": len(self.results),
            "scores": {s: {"score": round(v[0], 2), "max_score": round(v[1], 2)} for s, v in totals.items()},
            "misconceptions": {k: len(v) for k, v in sorted(misconceptions.items(), key=lambda kv: -len(kv[1]))},
            "review": [{"student": r.student, "file": r.file, "flags": list(r.flags)} for r in self.results
                       if r.flags],
        }

    def to_json(self) -> dict[str, Any]:
        return {"results": [r.to_json() for r in self.results],
                "skipped": [{"file": f, "reason": why} for f, why in self.skipped],
                "isolation": self.isolation, "inputs": self.inputs, "assignment": self.assignment,
                "notes": self.notes, "names": self.names, "roster": self.roster, "summary": self.summary()}
