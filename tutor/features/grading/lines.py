"""Every student's lines: the assignment's exercises, the roster's students, the manifest's notebooks.

After a batch is graded, :func:`finish` makes the report one a gradebook can take: with an assignment,
every student a line for each of its exercises ("not submitted" where no file came); with a roster,
every student of it (a folder spelled with other capitals is matched to its roster id, and said so), a
roster student without a notebook a "not submitted" line with the questions the manifest planned; without
an assignment, a note on what was graded and why.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ...bank import Exercise
from ...bank.roster import read_roster
from ...foundation.i18n import _
from ...foundation.text import clean_name
from .assignment import Assignment, apply
from .notebooks import SHEET, failed_questions
from .results import GradingReport, SubmissionResult


def finish(report: GradingReport, plan: Assignment | None, roster: str | Path | None,
           exercises: Sequence[Exercise], paths: Sequence[str | Path], sheet: Any = None) -> None:
    """Every student's line for every exercise of the assignment (or a note on what was graded), names."""
    names = dict(read_roster(roster)) if roster is not None else {}
    if names:
        _roster_spelling(report, names)
    students = sorted({r.student for r in report.results} | set(names))
    if plan is not None and not students and len(paths) == 1 and Path(paths[0]).is_dir():
        students = [Path(paths[0]).resolve().name]     # one submission folder with nothing to grade (Gradescope)
    for sid in students:
        if names and sid not in names:
            report.notes.append(_("{student} is not on the roster").format(student=clean_name(sid)))
    report.names = {sid: name for sid, name in names.items() if name}
    report.roster = list(names)
    notebooks = [r for r in report.results if r.exercise == SHEET]      # a notebook's maximum is its manifest's
    notebooks += _missing_notebooks(report, sheet, names)
    if plan is not None:
        files = {e.id: [Path(e.data["file"]).name] for e in exercises if e.handler.runs_code}
        report.results = apply([r for r in report.results if r.exercise != SHEET], plan, students, files) + notebooks
        return
    report.results = [r for r in report.results if r.exercise != SHEET] + notebooks
    if notebooks:
        report.notes.append(_("notebooks: graded against the manifest, one point per question it planned for the "
                              "student"))
    silent = sorted(set(names) - {r.student for r in report.results})
    if silent:
        report.notes.append(_("nothing graded from: {students}").format(
            students=", ".join(clean_name(s) for s in silent[:50]) + (" ..." if len(silent) > 50 else "")))
    graded = sorted({r.exercise for r in report.results if r.exercise != SHEET})
    if not graded:
        return
    report.notes.append(_("no assignment given: graded the exercises the files are named after ({ids}); a "
                          "student's total counts only what they handed in (tutor grade --assignment FILE gives "
                          "everyone a line for every exercise)").format(ids=", ".join(graded) or "-"))


def _roster_spelling(report: GradingReport, names: dict[str, str | None]) -> None:
    """A student folder that is a roster id but for capitals (or surrounding spaces) is that student."""
    folded: dict[str, list[str]] = {}
    for sid in names:
        folded.setdefault(sid.strip().casefold(), []).append(sid)
    present = {r.student for r in report.results}
    targets: dict[str, set[str]] = {}
    for student in present - set(names):
        match = folded.get(student.strip().casefold(), [])
        if len(match) == 1:
            targets.setdefault(match[0], set()).add(student)
    for sid, folders in sorted(targets.items()):
        if sid in present or len(folders) > 1:        # never two folders merged into one student's line
            for r in report.results:
                if r.student in folders:
                    r.flags.append(_("{folder} is {student} of the roster but for capitals or spaces, and {student} "
                                     "also handed in: not merged, look at both").format(
                        folder=clean_name(r.student), student=clean_name(sid)))
            continue
        (folder,) = folders
        for r in report.results:
            if r.student == folder:
                r.student = sid
        report.notes.append(_("{folder} graded as {student} (the roster's spelling)").format(
            folder=clean_name(folder), student=clean_name(sid)))


def _missing_notebooks(report: GradingReport, sheet: Any, names: dict[str, str | None]) -> list[SubmissionResult]:
    """With a roster: a "not submitted" line for each of its students the manifest planned a sheet for and
    no notebook came from; without one, a note naming them."""
    if sheet is None or not sheet.students:
        return []
    have = {r.student for r in report.results if r.exercise == SHEET}
    missing = [sid for sid in sheet.students if sid not in have]
    lines = []
    for sid in missing:
        if sid in names:
            why = _("not submitted: no notebook from this student")
            lines.append(SubmissionResult(sid, SHEET, "", "not-submitted", failed_questions(sheet.students[sid], why)))
    unlisted = [sid for sid in missing if sid not in names]
    if unlisted:
        report.notes.append(_("no notebook from: {students} (with {option}, they get a line each)").format(
            students=", ".join(clean_name(s) for s in unlisted[:50]), option="--roster"))
    return lines
