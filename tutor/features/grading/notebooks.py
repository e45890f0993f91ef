"""Grading completed notebooks from ``tutor sheet --format ipynb``: typed answers, judged as the quiz judges them.

Answers are read from the cells' source with ``ast`` (never run).  With a
manifest, each student is graded on their own variants: the manifest's seeds
win over whatever the notebook's markers say.  A marker names its variant by
an opaque token, which the manifest maps to the exercise and seed (a notebook
made before tokens names them itself).
"""
from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ... import bank
from ...bank.handouts import read_answers, variants_of
from ...foundation.errors import TutorError
from ...foundation.i18n import _
from .results import SubmissionResult, TestResult


def grade_notebooks(paths: Sequence[str | Path], *, directory: str | Path | None = None,
                    manifest: str | Path | None = None) -> list[SubmissionResult]:
    exercises = bank.by_id(bank.load(directory))
    students: dict[str, Any] = {}
    variants: dict[str, dict[str, Any]] | None = None          # token -> variant; None: no manifest
    if manifest is not None:
        try:
            data = json.loads(Path(manifest).read_text(encoding="utf-8"))
            students, variants = data["students"], variants_of(data)
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise TutorError(_("cannot read the manifest {path}: {reason}").format(path=manifest, reason=exc),
                             code="grade.bad-manifest") from None
    results = []
    for raw in paths:
        path = Path(raw)
        student, planned = _student_of(path, students)
        if manifest is not None and student is None:
            raise TutorError(_("{path} belongs to no student of the manifest").format(path=path),
                             code="grade.unknown-student")
        try:
            answers = read_answers(path)
        except (OSError, ValueError) as exc:
            results.append(SubmissionResult(path.stem, "notebook", str(path), "unreadable",
                                            [TestResult.failed(path.name, str(exc))]))
            continue
        tests = [t for n, a in enumerate(answers, start=1) if (t := _guarded(n, a, planned, exercises, variants))]
        results.append(SubmissionResult(student or path.stem, "sheet", str(path), "ok", tests))
    return results


def _guarded(n: int, a: dict[str, Any], planned: list[dict[str, Any]] | None, exercises: Any,
             variants: dict[str, dict[str, Any]] | None) -> TestResult | None:
    """One answer's test; a variant that cannot be drawn costs that question, never the batch."""
    try:
        return _grade_answer(n, a, planned, exercises, variants)
    except TutorError as exc:
        return TestResult.failed(f"{a['question'] or n}. {a['exercise'] or a['token']}",
                                 _("grader error: {reason}").format(reason=exc.one_line()))


def _grade_answer(n: int, a: dict[str, Any], planned: list[dict[str, Any]] | None,
                  exercises: Any, variants: dict[str, dict[str, Any]] | None) -> TestResult | None:
    number = a["question"] or n
    ex_id, seed = a["exercise"], a["seed"]
    if planned is not None:
        entry = next((q for q in planned if q["number"] == number), None)
        if entry is None:
            return None
        ex_id, seed = entry["exercise"], entry["seed"]
    elif a["token"] is not None:
        found = (variants or {}).get(a["token"])
        if found is None:
            reason = _("the variant {token} is not in the manifest").format(token=a["token"]) if variants is not None \
                else _("the variant {token} is known only to the sheet's manifest: pass {option}").format(
                    token=a["token"], option="--manifest FILE")
            return TestResult.failed(f"{number}. {a['token']}", reason)
        ex_id, seed = found["exercise"], found["seed"]
    ex = exercises.get(ex_id)
    name = f"{number}. {ex_id}"
    if ex is None:
        return TestResult.failed(name, _("no exercise {id} in the bank").format(id=ex_id))
    if ex.handler.runs_code:
        return TestResult.failed(name, _("code answers are graded from files: tutor grade FILE.py"))
    typed = (a["answer"] or "").strip()
    if not typed:
        return TestResult.failed(name, _("no answer"))
    return TestResult.judged(name, bank.grade(bank.variant(ex, seed), typed), typed)


def _student_of(path: Path, students: dict[str, Any]) -> tuple[str | None, list[dict[str, Any]] | None]:
    """(student id, planned questions) for a notebook, from the manifest's sheet names or ids."""
    tokens = set(re.split(r"[-_. ]+", path.stem))
    for sid, info in students.items():
        sheet = Path(str(info.get("sheet", ""))).stem
        if path.stem == sheet or sid in tokens:
            return sid, info.get("questions")
    return (None, None) if students else (path.stem, None)
