"""An assignment: which exercises make up a grade, what each is worth, which tests students see.

``assignment.toml`` (format documented in ``docs/assignments.md``)::

    format_version = 1
    title = "Homework 3: zeroing gradients"
    due = 2026-12-20T23:59:00+08:00    # hidden tests are shown after it (Gradescope: after_due_date)
    inputs = "per-student"             # per-student (default) | per-run | fixed (with seed = N)

    [[exercise]]
    id = "code-zero-before-backward"   # a code exercise of the bank
    points = 10
    tests = 3                          # input sets (default 3)
    weights = [1, 1, 2]                # optional, one per test
    visible = 1                        # optional: the first N tests visible before the due date
    autograd = true                    # optional: the gradient must come from backward()

Every student gets a line for every exercise: a missing file is 0, "not
submitted"; points are split over the tests in hundredths, so every format
shows the same totals.
"""
from __future__ import annotations

import datetime as dt
import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...bank import Exercise
from ...foundation.errors import TutorError
from ...foundation.i18n import _

FORMAT_VERSION = 1
INPUTS = ("per-student", "per-run", "fixed")
TOP_KEYS = {"format_version", "title", "due", "inputs", "seed", "exercise"}
ITEM_KEYS = {"id", "points", "tests", "weights", "visible", "autograd"}
MAX_TESTS = 20


def split_points(points: float, weights: Sequence[float]) -> list[float]:
    """``points`` split by weight into whole hundredths that add up exactly (largest remainders first)."""
    cents = round(points * 100)
    total = sum(weights)
    raw = [cents * w / total for w in weights]
    parts = [math.floor(r) for r in raw]
    for i in sorted(range(len(raw)), key=lambda i: raw[i] - parts[i], reverse=True)[:cents - sum(parts)]:
        parts[i] += 1
    return [p / 100 for p in parts]


@dataclass(frozen=True)
class Item:
    """One exercise of the assignment."""

    exercise: str
    points: float
    tests: int = 3
    weights: tuple[float, ...] = ()
    visible: int | None = None          # None: every test visible
    autograd: bool = False

    def test_points(self) -> list[float]:
        """The points of each test: the item's points split by weight, in hundredths, adding up exactly."""
        return split_points(self.points, self.weights or (1.0,) * self.tests)

    def visibility(self, index: int) -> str:
        """Gradescope's visibility of test ``index``: visible, or after_due_date."""
        return "visible" if self.visible is None or index < self.visible else "after_due_date"


@dataclass(frozen=True)
class Assignment:
    path: Path
    title: str
    items: tuple[Item, ...]
    inputs: str = "per-student"
    seed: int = 0
    due: str | None = None              # ISO 8601, as written
    notes: list[str] = field(default_factory=list)

    @property
    def points(self) -> float:
        return round(sum(i.points for i in self.items), 2)

    def item(self, exercise: str) -> Item | None:
        return next((i for i in self.items if i.exercise == exercise), None)

    def to_json(self) -> dict[str, Any]:
        return {"title": self.title, "file": self.path.name, "points": self.points, "due": self.due,
                "exercises": [{"id": i.exercise, "points": i.points, "tests": i.tests} for i in self.items]}


def _fail(path: Path, where: str, why: str, code: str = "assignment.field") -> TutorError:
    return TutorError(_("{file}: {where}: {why}").format(file=path, where=where, why=why), code=code)


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def load_assignment(path: str | Path, exercises: Mapping[str, Exercise]) -> Assignment:
    """Read and check an assignment against the bank; every error names the file and the field."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:                               # Python 3.10
        import tomli as tomllib

    path = Path(path)
    try:
        with open(path, "rb") as fh:
            doc = tomllib.load(fh)
    except OSError as exc:
        raise TutorError(_("cannot read the assignment {path}: {why}").format(path=path, why=exc.strerror),
                         code="assignment.unreadable") from None
    except tomllib.TOMLDecodeError as exc:
        raise _fail(path, "toml", str(exc), "assignment.toml") from None
    if doc.get("format_version") != FORMAT_VERSION:
        raise _fail(path, "format_version", _("must be {v}").format(v=FORMAT_VERSION), "assignment.format-version")
    unknown = set(doc) - TOP_KEYS
    if unknown:
        raise _fail(path, ", ".join(sorted(unknown)), _("unknown key"), "assignment.unknown-key")
    inputs = doc.get("inputs", "per-student")
    if inputs not in INPUTS:
        raise _fail(path, "inputs", _("one of {v}").format(v=", ".join(INPUTS)))
    seed = doc.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise _fail(path, "seed", _("a whole number >= 0"))
    due = doc.get("due")
    if due is not None and not isinstance(due, (dt.datetime, dt.date)):
        raise _fail(path, "due", _("a TOML date-time such as 2026-12-20T23:59:00+08:00"))
    raw = doc.get("exercise")
    if not isinstance(raw, list) or not raw:
        raise _fail(path, "exercise", _("expected one or more [[exercise]] tables"))
    items = [_item(path, i, entry, exercises) for i, entry in enumerate(raw)]
    ids = [i.exercise for i in items]
    if len(set(ids)) != len(ids):
        dup = next(x for x in ids if ids.count(x) > 1)
        raise _fail(path, "exercise", _("{id} is listed twice").format(id=dup), "assignment.duplicate")
    title = doc.get("title", path.stem)
    if not isinstance(title, str):
        raise _fail(path, "title", _("text"))
    return Assignment(path, title, tuple(items), inputs, seed, due.isoformat() if due is not None else None)


def _item(path: Path, index: int, entry: object, exercises: Mapping[str, Exercise]) -> Item:
    where = f"exercise[{index}]"
    if not isinstance(entry, dict):
        raise _fail(path, where, _("each [[exercise]] must be a table"))
    unknown = set(entry) - ITEM_KEYS
    if unknown:
        raise _fail(path, f"{where}.{sorted(unknown)[0]}", _("unknown key (expected: {keys})").format(
            keys=", ".join(sorted(ITEM_KEYS))), "assignment.unknown-key")
    ex_id = entry.get("id")
    if not isinstance(ex_id, str) or ex_id not in exercises:
        raise _fail(path, f"{where}.id", _("no exercise {id!r} in the bank").format(id=ex_id),
                    "assignment.unknown-exercise")
    points = entry.get("points")
    if not isinstance(points, (int, float)) or not _number(points) or not 0 < points <= 10_000:
        raise _fail(path, f"{where}.points", _("a number of points above 0"))
    tests = entry.get("tests", 3)
    if isinstance(tests, bool) or not isinstance(tests, int) or not 1 <= tests <= MAX_TESTS:
        raise _fail(path, f"{where}.tests", _("a whole number from 1 to {n}").format(n=MAX_TESTS))
    weights = entry.get("weights", [])
    if not isinstance(weights, list) or (weights and len(weights) != tests) or not all(
            _number(w) and w > 0 for w in weights):
        raise _fail(path, f"{where}.weights", _("{n} positive numbers, one per test").format(n=tests))
    visible = entry.get("visible")
    if visible is not None and (isinstance(visible, bool) or not isinstance(visible, int)
                                or not 0 <= visible <= tests):
        raise _fail(path, f"{where}.visible", _("a whole number from 0 to {n}").format(n=tests))
    autograd = entry.get("autograd", False)
    if not isinstance(autograd, bool):
        raise _fail(path, f"{where}.autograd", _("true or false"))
    if autograd and not exercises[ex_id].handler.runs_code:
        raise _fail(path, f"{where}.autograd", _("only for code exercises"))
    return Item(ex_id, float(points), tests, tuple(float(w) for w in weights), visible, autograd)


def apply(results: list[Any], assignment: Assignment, students: list[str],
          file_names: dict[str, list[str]]) -> list[Any]:
    """The assignment's points and visibility on each graded test, and a "not submitted" line for every
    (student, exercise) without a file; results for exercises outside the assignment are dropped."""
    from .results import SubmissionResult, TestResult

    out = []
    by_key = {(r.student, r.exercise): r for r in results}
    for student in students:
        for item in assignment.items:
            points = item.test_points()
            r = by_key.get((student, item.exercise))
            if r is None:
                expected = ", ".join(file_names.get(item.exercise, [])) or item.exercise
                why = _("not submitted (a file named {names} was expected)").format(names=expected)
                tests = [TestResult(f"{item.exercise} [{i + 1}]", 0, p, why, visibility=item.visibility(i))
                         for i, p in enumerate(points)]
                out.append(SubmissionResult(student, item.exercise, "", "not-submitted", tests))
                continue
            for i, t in enumerate(r.tests):
                p = points[i] if i < len(points) else 0.0
                t.score, t.max_score = (p if t.score >= t.max_score > 0 else 0.0), p
                t.visibility = item.visibility(i)
            out.append(r)
    return out
