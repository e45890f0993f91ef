"""One grading report in every format: JSON, a CSV gradebook, Gradescope's results.json, JUnit XML."""
from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any

from ...foundation.errors import TutorError
from ...foundation.i18n import _, ngettext
from ...foundation.text import clean, clean_name, spreadsheet_safe
from .results import GradingReport, SubmissionResult

FORMATS = ("json", "csv", "gradescope", "junit")


def render(report: GradingReport, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(report.to_json(), indent=2) + "\n"
    if fmt == "csv":
        return _csv(report)
    if fmt == "gradescope":
        return json.dumps(gradescope(report), indent=2) + "\n"
    if fmt == "junit":
        return _junit(report)
    raise TutorError(_("unknown format {fmt}").format(fmt=fmt), code="grade.bad-format")


def isolation_line(report: GradingReport) -> str:
    """The protections in force for this batch, as the grader's probe decided them."""
    from ...engines.runner.isolation import describe

    if not report.isolation:
        return _("isolation: none recorded")
    return _("isolation: {what}").format(what=describe(report.isolation))


def gradescope(report: GradingReport) -> dict[str, Any]:
    """Gradescope's results.json for one student: score, output and tests (name, score, max_score, output,
    visibility: an assignment's hidden tests are shown after the due date)."""
    students = sorted({r.student for r in report.results} | set(report.roster))
    if len(students) > 1:
        why = _("Gradescope's results.json holds one student, and this batch has {n} ({names}): grade "
                "one submission at a time, or choose json or csv").format(
            n=len(students), names=", ".join(clean_name(s) for s in students[:5]))
        if report.roster:
            why += " " + _("({option} adds every student of the class: leave it out for Gradescope)").format(
                option="--roster")
        raise TutorError(why, code="grade.gradescope-students")
    tests: list[dict[str, Any]] = [
        {"name": clean(t.name, 300), "score": _n(t.score), "max_score": _n(t.max_score),
         "output": clean(t.output, 4000), "visibility": t.visibility} for r in report.results for t in r.tests]
    output = [isolation_line(report), *report.notes]
    output += [_("not graded: {file}: {why}").format(file=clean_name(os.path.basename(f)), why=clean(why, 300))
               for f, why in report.skipped]
    for r in report.results:
        if r.output:
            output += ["", _("What {file} printed:").format(file=clean_name(os.path.basename(r.file))),
                       clean(r.output, 4000)]
    return {"score": _n(sum(t["score"] for t in tests)), "output": "\n".join(output), "tests": tests}


def _n(x: float) -> float | int:
    """A score in hundredths, a whole one without its .0."""
    x = round(float(x), 2)
    return int(x) if x.is_integer() else x


def points(x: float) -> str:
    """A score as every format prints it: 7.5, 10, 3.33."""
    return f"{_n(x)}"


def _csv(report: GradingReport) -> str:
    """A gradebook: a row per student, points per exercise, the total and the maximum (and the name from a
    roster); an exercise a student was not graded on is empty (without an assignment: not handed in); the
    last column counts what to look at by hand (a notebook's flags)."""
    order = [e["id"] for e in report.assignment["exercises"]] if report.assignment else sorted(
        {r.exercise for r in report.results})
    rows: dict[str, dict[str, float]] = {sid: {} for sid in report.roster}     # every student of a roster
    review: dict[str, int] = {sid: 0 for sid in report.roster}
    for r in report.results:
        rows.setdefault(r.student, {})[r.exercise] = r.score
        review[r.student] = review.get(r.student, 0) + len(r.flags)
    totals = report.summary()["scores"]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    mode = str((report.isolation or {}).get("mode", ""))
    named = bool(report.names)
    w.writerow(["student", *(["name"] if named else []), *order, "total", "max", "isolation", "review"])
    for student in sorted(rows):
        values = [rows[student].get(e) for e in order]
        name = [spreadsheet_safe(clean_name(report.names.get(student, "")))] if named else []
        w.writerow([spreadsheet_safe(clean_name(student)), *name, *("" if v is None else points(v) for v in values),
                    points(totals[student]["score"]), points(totals[student]["max_score"]), mode,
                    review[student] or ""])
    return buf.getvalue()


def _junit(report: GradingReport) -> str:
    from xml.sax.saxutils import escape  # (here, not at the top: it imports urllib and http.client)

    lines = ['<?xml version="1.0" encoding="UTF-8"?>', "<testsuites>"]
    by_student: dict[str, list[SubmissionResult]] = {}
    for r in report.results:
        by_student.setdefault(r.student, []).append(r)
    for student, results in sorted(by_student.items()):
        tests = [t for r in results for t in r.tests]
        failures = sum(1 for t in tests if t.score < t.max_score)
        lines.append(f"  <testsuite name={_attr(student)} tests=\"{len(tests)}\" failures=\"{failures}\">")
        score = points(sum(t.score for t in tests))
        most = points(sum(t.max_score for t in tests))
        lines.append(f"    <properties><property name=\"isolation\" value={_attr(isolation_line(report))} />"
                     f"<property name=\"score\" value=\"{score}\" /><property name=\"max_score\" value=\"{most}\" />"
                     "</properties>")
        for r in results:
            for t in r.tests:
                head = f"    <testcase classname={_attr(student + '.' + r.exercise)} name={_attr(t.name)}"
                if t.score >= t.max_score:
                    lines.append(head + " />")
                    continue
                lines.append(head + ">")
                lines.append(f"      <failure message={_attr(t.output[:200])}>{escape(clean(t.output))}</failure>")
                lines.append("    </testcase>")
        printed = "\n".join(clean(r.output, 4000) for r in results if r.output)
        if printed:
            lines.append(f"    <system-out>{escape(printed)}</system-out>")
        lines.append("  </testsuite>")
    lines.append("</testsuites>")
    return "\n".join(lines) + "\n"


def _attr(text: str) -> str:
    """An XML attribute value: no character XML cannot hold, quoted."""
    from xml.sax.saxutils import quoteattr

    return quoteattr(clean(text, one_line=True))


def summary_lines(report: GradingReport) -> list[str]:
    """The batch on a terminal: each student's total, the misconceptions seen, the files skipped."""
    summary = report.summary()
    lines = []
    for student, s in summary["scores"].items():
        name = f" ({clean_name(report.names[student])})" if student in report.names else ""
        lines.append(f"{clean_name(student)}{name}: {points(s['score'])}/{points(s['max_score'])}")
    lines += [ngettext("  {n} student showed {id}", "  {n} students showed {id}", n).format(n=n, id=mid)
              for mid, n in summary["misconceptions"].items()]
    lines += [_("review {file}: {why}").format(file=clean_name(r.file, 200), why=clean_name(flag, 300))
              for r in report.results for flag in r.flags]
    lines += [_("skipped {file}: {why}").format(file=clean_name(f, 200), why=clean_name(why, 200))
              for f, why in report.skipped]
    lines += [clean(note, 500) for note in report.notes]
    if report.isolation:
        lines.append(isolation_line(report))
    return lines


def atomic_write(path: Path, text: str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
