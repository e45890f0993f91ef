"""Grading completed notebooks from ``tutor sheet --format ipynb``, whole, against the sheet's manifest.

The manifest (written by ``tutor sheet``) is the truth about a notebook:

* **who** it belongs to: the student the notebook's metadata names, confirmed
  by the variant tokens of its answer cells (never the file name, which an
  LMS makes up: ``Ada homework final (1).ipynb``).  Metadata and tokens that
  name different students, a file name that names another student, and two
  notebooks of one student are flagged for review; a notebook that names no
  student of the manifest is listed, never graded as somebody;
* **what** makes up the maximum: every question the manifest planned for that
  student, one point each.  A question whose answer cell is missing (its
  marker deleted) counts 0 and is flagged; a question answered in several
  cells is graded once, from the first, and flagged; a marker edited to
  another variant changes nothing (the student's own variant is graded);
* **how** each answer is graded: typed answers (derive, predict, concept) are
  read with :mod:`ast` (never run) and judged as the quiz judges them; an
  answer that is not a plain string is listed for manual review; code cells
  run in the sandbox like code files, on the student's own variant (the one
  the sheet showed) and on wider draws of the grader's own.

A notebook that cannot be read (not JSON, not a notebook, too large, a link)
is that notebook's line, never the batch's end.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...bank import Exercise
from ...bank.handouts import variants_of
from ...foundation.errors import TutorError
from ...foundation.i18n import _
from ...foundation.text import clean_name
from .cells import MAX_NOTEBOOK_BYTES, Cell, answer_cells, read_notebook, table, typed_answer
from .results import SubmissionResult, TestResult

SHEET = "sheet"                       # the exercise column of a notebook's line


@dataclass
class Planned:
    number: int
    exercise: str
    seed: int
    token: str | None


@dataclass
class NotebookJob:
    """One notebook, planned: its student, the manifest's questions and the cells answering them."""

    path: Path
    student: str
    source: bytes = b""
    planned: list[Planned] = field(default_factory=list)
    cells: list[Cell] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    problem: str | None = None                   # why it could not be read

    @property
    def key(self) -> str:
        return f"{self.student}|{SHEET}|{hashlib.sha256(self.source).hexdigest()[:16]}"

    def runs_code(self, by_id: Mapping[str, Exercise]) -> bool:
        return any(by_id[p.exercise].handler.runs_code for p in self.planned if p.exercise in by_id)


@dataclass
class Manifest:
    students: dict[str, list[Planned]]           # student id -> planned questions ({} for a sheet without roster)
    shared: list[Planned]                        # the questions of a sheet made without a roster
    tokens: dict[str, dict[str, Any]]            # token -> {"exercise", "seed"}
    sheets: dict[str, str]                       # student id -> the stem of the sheet file written for them
    secret: bool = True                          # were the variants drawn under a secret (not from the seed)?
    digest: str = ""                             # of the file's bytes (a resumed batch compares it)


def load_manifest(path: str | Path, by_id: Mapping[str, Exercise]) -> Manifest:
    """The manifest ``tutor sheet`` wrote; a clear error (nothing graded) when it cannot be used."""
    def bad(why: str) -> TutorError:
        return TutorError(_("cannot read the manifest {path}: {reason}").format(path=clean_name(path), reason=why),
                          code="grade.bad-manifest")

    try:
        with open(path, "rb") as fh:                     # the instructor's own file: a link is fine
            raw = fh.read(MAX_NOTEBOOK_BYTES + 1)
        if len(raw) > MAX_NOTEBOOK_BYTES:
            raise bad(_("larger than {kb} KB").format(kb=MAX_NOTEBOOK_BYTES // 1024))
        data = json.loads(raw.decode("utf-8-sig"))
    except OSError as exc:
        raise bad(exc.strerror or str(exc)) from None
    except (ValueError, RecursionError):
        raise bad(_("not JSON")) from None
    if not isinstance(data, dict) or data.get("format") != "tutor-sheet-manifest":
        raise bad(_("not a manifest written by tutor sheet"))
    try:
        listed = data.get("students") or {}
        if not isinstance(listed, dict):
            raise ValueError(_("its students must be a table of student ids"))
        students = {str(sid): _planned(table(info).get("questions")) for sid, info in listed.items()}
        shared = _planned(data.get("questions") or [])
        sheets = {str(sid): Path(str(table(info).get("sheet") or "")).stem for sid, info in listed.items()}
        tokens = variants_of(data)
    except (TypeError, KeyError, ValueError, AttributeError) as exc:
        raise bad(_("it was changed by hand or damaged ({why})").format(why=str(exc)[:160])) from None
    unknown = sorted({p.exercise for plan in [*students.values(), shared] for p in plan} - set(by_id))
    if unknown:
        raise bad(_("it names exercises the bank does not have: {ids}").format(ids=", ".join(unknown[:5])))
    if not students and not shared:
        raise bad(_("it plans no question"))
    return Manifest(students, shared, tokens, sheets, data.get("variants_from") in ("secret", "local-secret"),
                    hashlib.sha256(raw).hexdigest()[:16])


def _planned(questions: object) -> list[Planned]:
    if not isinstance(questions, list):
        raise TypeError("questions is not a list")
    out = []
    for q in questions:
        q = table(q)
        number, seed = q.get("number"), q.get("seed")
        if not all(isinstance(n, int) and not isinstance(n, bool) for n in (number, seed)):
            raise ValueError(_("a question's number and seed must be whole numbers"))
        assert isinstance(number, int) and isinstance(seed, int)
        if not (1 <= number <= 100_000 and 0 <= seed < 10**15):
            raise ValueError(_("a question's number or seed is out of range"))
        token = q.get("variant")
        out.append(Planned(number, str(q.get("exercise")), seed, token if isinstance(token, str) else None))
    return out


# ------------------------------------------------------------------ planning

def plan_notebooks(paths: Sequence[Path], manifest: Manifest,
                   roots: Mapping[Path, Path] | None = None) -> tuple[list[NotebookJob], list[tuple[str, str]]]:
    """Each notebook's student and plan; notebooks that name nobody are returned as (file, why) to review.
    ``roots``: the folder each notebook was found in (a sheet without a roster names students after the
    student folder under it, as the code grader does)."""
    jobs: list[NotebookJob] = []
    review: list[tuple[str, str]] = []
    owners: dict[str, NotebookJob] = {}
    roots = roots or {}
    for path in paths:
        shown = clean_name(path, 300)
        nb, raw, problem = read_notebook(path)
        if problem is not None or nb is None:
            student = _from_name(path, roots.get(path)) if not manifest.students else None
            if student is None:
                review.append((shown, _("not graded, review by hand: {why}").format(why=problem)))
                continue
            jobs.append(NotebookJob(path, student, raw, list(manifest.shared), problem=problem))
            continue
        if table(table(nb.get("metadata")).get("tutor")).get("key") is True:
            review.append((shown, _("an answer key, not a student's work: not graded")))
            continue
        cells = answer_cells(nb)
        student, flags = _identify(path, nb, cells, manifest, roots.get(path))
        if student is None:
            review.append((shown, _("names no student of the manifest (no student in its metadata, none of its "
                                    "variants): review by hand")))
            continue
        planned = manifest.students.get(student, manifest.shared) if manifest.students else list(manifest.shared)
        job = NotebookJob(path, student, raw, list(planned), cells, flags)
        if student in owners:
            kept = owners[student]
            why = _("a second notebook of {student}; graded: {kept}").format(
                student=clean_name(student), kept=clean_name(kept.path, 300))
            kept.flags.append(_("another notebook names the same student: {file}").format(file=shown))
            review.append((shown, why))
            continue
        owners[student] = job
        jobs.append(job)
    return jobs, review


def _identify(path: Path, nb: dict[str, Any], cells: list[Cell], manifest: Manifest,
              root: Path | None = None) -> tuple[str | None, list[str]]:
    """The student a notebook belongs to, from its metadata and its variants (and the flags raised)."""
    flags: list[str] = []
    if not manifest.students:
        return _from_name(path, root), flags      # one sheet for everyone: the student folder, else the file
    named = table(table(table(nb.get("metadata")).get("tutor")).get("sheet")).get("student")
    named = str(named) if isinstance(named, (str, int)) and str(named) in manifest.students else None
    tokens = {c.token for c in cells if c.token}
    owners = {sid: len(tokens & {p.token for p in plan if p.token}) for sid, plan in manifest.students.items()}
    best = max(owners.values(), default=0)
    by_tokens = [sid for sid, n in owners.items() if n == best and best > 0]
    token_owner = by_tokens[0] if len(by_tokens) == 1 else None
    student = named or token_owner
    if named and token_owner and token_owner != named:
        flags.append(_("its metadata names {named}, but its variants are {other}'s: graded as {named}, on "
                       "{named}'s own variants").format(named=clean_name(named), other=clean_name(token_owner)))
    if student is None:
        return None, flags
    if not named:
        flags.append(_("its metadata names no student: identified as {student} by its variants").format(
            student=clean_name(student)))
    others = _names_in(path, manifest)
    if others and student not in others:
        flags.append(_("the file name points to {other}, but the notebook is {student}'s").format(
            other=", ".join(clean_name(o) for o in sorted(others)[:3]), student=clean_name(student)))
    return student, flags


def _names_in(path: Path, manifest: Manifest) -> set[str]:
    """Students a file's name (or its folder's) points to: the whole name (LMS suffixes such as " (2)"
    dropped), a sheet file's name, or a student id standing as a word of the name (ids that are not plain
    numbers: "2" in "homework (2)" is a copy's number, not student 2)."""
    from ...bank.roster import safe_name

    stem = re.sub(r"\s*\(\d+\)$", "", path.stem)
    whole = {path.parent.name, path.stem, stem}
    words = set(re.split(r"[\s_()\[\]]+", f"{path.parent.name} {stem}")) | set(re.split(r"[\s\-_.()\[\]]+", stem))
    found = set()
    for sid in manifest.students:
        if sid in whole or safe_name(sid) in whole or manifest.sheets.get(sid) in (path.stem, stem):
            found.add(sid)
        elif not sid.isdigit() and (sid in words or safe_name(sid) in words):
            found.add(sid)
    return found


def _from_name(path: Path, root: Path | None = None) -> str:
    """A student named by where the notebook was found: the student folder under the folder given, else the
    file's name."""
    if root is not None:
        try:
            parts = path.relative_to(root).parts
        except ValueError:
            parts = ()
        if len(parts) > 1:
            return clean_name(parts[0], 80) or "submission"
    return clean_name(path.stem, 80) or "submission"


# ------------------------------------------------------------------ grading

def grade_notebook(job: NotebookJob, by_id: Mapping[str, Exercise], run_code: Any, judge: Any) -> SubmissionResult:
    """Every planned question of the notebook, one point each.  ``run_code(exercise, planned, source,
    name)`` grades a code answer in the sandbox and returns its tests (scores adding up to at most one
    point); ``judge(exercise id, seed, text)`` judges a typed answer (:class:`.judge.Judge`: in a child
    process, under a time limit; raises :class:`.judge.Overrun`)."""
    from .judge import Overrun

    shown = clean_name(job.path, 300)
    if job.problem is not None:
        why = _("the notebook could not be read: {why}").format(why=job.problem)
        return SubmissionResult(job.student, SHEET, shown, "unreadable",
                                failed_questions(job.planned, why),
                                flags=[why])
    flags = list(job.flags)
    tests: list[TestResult] = []
    by_number: dict[int, list[Cell]] = {}
    by_token: dict[str, list[Cell]] = {}
    for cell in job.cells:
        if cell.number is not None:
            by_number.setdefault(cell.number, []).append(cell)
        if cell.token:
            by_token.setdefault(cell.token, []).append(cell)
    for p in job.planned:
        found = by_number.get(p.number) or (by_token.get(p.token, []) if p.token else [])
        name = _question_name(p)
        if not found:
            flags.append(_("question {n}: no answer cell (was its first line, {marker}, removed?)").format(
                n=p.number, marker="# answer: ..."))
            tests.append(TestResult.failed(name, _("no answer: the notebook has no answer cell for this question")))
            continue
        if len(found) > 1:
            flags.append(_("question {n}: answered in {k} cells; the first was graded").format(n=p.number,
                                                                                              k=len(found)))
        cell = found[0]
        if (cell.token and p.token and cell.token != p.token) or cell.legacy and cell.legacy != (p.exercise, p.seed):
            flags.append(_("question {n}: its marker names another variant; graded on the student's own").format(
                n=p.number))
        ex = by_id[p.exercise]
        try:
            if ex.handler.runs_code:
                ran = run_code(ex, p, cell.source, name)
                if any("NameError" in t.output for t in ran):
                    flags.append(_("question {n}: the cell uses a name it does not define; only the answer cell "
                                   "runs (helpers defined in other cells are not there)").format(n=p.number))
                tests += ran
                continue
            typed, unreadable = typed_answer(cell.source)
            if unreadable is not None:
                flags.append(_("question {n}: {why}").format(n=p.number, why=unreadable))
                tests.append(TestResult.failed(name, _("could not be read: {why}").format(why=unreadable)))
                continue
            text = (typed or "").strip()
            if not text:
                flags.append(_("question {n}: no answer").format(n=p.number))
                tests.append(TestResult.failed(name, _("no answer")))
                continue
            try:
                judged = judge(ex.id, p.seed, text)
            except Overrun as exc:
                flags.append(_("question {n}: {why}: review by hand").format(n=p.number, why=exc))
                tests.append(TestResult.failed(name, _("not judged: {why}").format(why=exc)))
                continue
            if judged.invalid:
                flags.append(_("question {n}: the answer could not be read ({why}): review by hand").format(
                    n=p.number, why=judged.invalid))
            tests.append(TestResult.judged(name, judged, text))
        except TutorError as exc:               # a variant that cannot be drawn costs that question, never the batch
            tests.append(TestResult.failed(name, _("grader error: {reason}").format(reason=exc.one_line())))
    status = "ok" if not flags else "review"
    return SubmissionResult(job.student, SHEET, shown, status, tests, flags=flags)


def _question_name(p: Planned) -> str:
    return f"{p.number}. {p.exercise}"


def failed_questions(planned: Sequence[Planned], why: str) -> list[TestResult]:
    """A test earning nothing for each planned question, with the same reason (not read, not submitted)."""
    return [TestResult.failed(_question_name(p), why) for p in planned]
