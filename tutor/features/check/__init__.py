"""``tutor check``: validate and verify an exercise bank, as rustlings' ``dev check`` does.

For every exercise and many seeds, each kind verifies its own part
(:meth:`tutor.bank.ExerciseKind.check`): derive answers through sympy, torch
and finite differences; predict answers against the rendered program run in
torch; code stubs fail and solutions pass.  Every variant must keep the
misconception answers apart from the correct one and from each other; the
file must follow the format (loading names the file, exercise and field).

How the work is spread (:mod:`.parallel`): each kind's sympy part
(:meth:`~tutor.bank.ExerciseKind.prepare`) runs here (or in ``jobs`` forked
processes); what needs torch (the rendered programs, the stubs and
solutions) runs in the shared trusted worker, which imports torch while the
sympy work goes on, so this process never imports torch.  Nothing is kept
from one run to the next.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from ... import bank
from ...foundation.errors import BankError, TutorError
from ...foundation.i18n import _
from ...foundation.paths import default_bank_dir, solutions_dir
from .report import CheckReport, Problem, _bank_problem

__all__ = ["CheckReport", "Problem", "Progress", "check_bank", "orphans"]

Progress = Callable[[int, int, str], None]


def check_bank(directory: str | Path | None = None, seeds: int = 5, solutions: str | Path | None = None,
               progress: Progress | None = None, jobs: int | None = None) -> CheckReport:
    """Check every exercise with ``seeds`` variants; ``progress(done, total, label)`` is called per exercise.

    ``jobs``: processes for the sympy work (default 1: this process, beside the worker; see
    :data:`.parallel.DEFAULT_JOBS`).
    """
    from ...engines.runner import prestart
    from .parallel import run_checks

    start = time.perf_counter()
    report = CheckReport()
    root = Path(directory) if directory else default_bank_dir()
    prestart(warm=True)         # torch loads in the worker while the bank loads and sympy works
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
    report.problems += orphans(root, ctx.solutions, exercises)
    report.problems += check_lessons(root)
    problems, notes = check_translations(root)
    report.problems += problems
    report.notes += notes
    if any(ex.handler.runs_code for ex in exercises) and ctx.solutions is None:
        report.notes.append(_("no solutions/ folder next to {root}: code solutions were not run").format(root=root))
    for verified, problem in run_checks(exercises, seeds, ctx, jobs, progress):
        if problem is not None:
            report.problems.append(problem)
        else:
            report.variants += verified
    if progress:
        progress(len(exercises), len(exercises), "")
    report.seconds = time.perf_counter() - start
    return report


def check_translations(root: Path) -> tuple[list[Problem], list[str]]:
    """Each catalogue of the bank's own texts (``locale/<lang>/LC_MESSAGES/bank.mo``) against the bank: a
    placeholder lost or added is a problem; how many texts it translates, and the first it does not, a note."""
    from ...bank.load import read_toml
    from ...bank.translations import DOMAIN, check_catalogues

    files = sorted(root.rglob("*.toml"))
    docs = []
    for path in files:
        try:
            docs.append(read_toml(path))
        except (BankError, TutorError):
            continue                          # (the bank's own loading names it)
    problems: list[Problem] = []
    notes: list[str] = []
    folder = root / "locale"
    for po in sorted(folder.glob(f"*/LC_MESSAGES/{DOMAIN}.po")) if folder.is_dir() else []:
        mo = po.with_suffix(".mo")
        # (a minute's grace: a fresh checkout writes both files in whatever order, a moment apart)
        if not mo.is_file() or mo.stat().st_mtime + 60 < po.stat().st_mtime:
            notes.append(_("{po} is newer than its compiled catalogue: run {command}").format(
                po=po, command=f"pybabel compile -d {folder} -D {DOMAIN}"))
    for found in check_catalogues(root, docs):
        total = found.translated + len(found.untranslated)
        line = _("the bank's texts in {language}: {n} of {total} translated").format(
            language=found.language, n=found.translated, total=total)
        if found.untranslated:
            line += " " + _("(not yet: {first} ...)").format(first=", ".join(found.untranslated[:3]))
        notes.append(line)
        problems += [Problem(str(folder / found.language), None, reason, "check.translation-placeholders")
                     for reason in found.problems]
    return problems, notes


def check_lessons(root: Path) -> list[Problem]:
    """Each lesson's program proven at its defaults and at the ends of its ranges: what sympy computes is what
    torch prints (the lesson shows both; they must never differ)."""
    from ...bank.lessons import demo, load_lessons

    try:
        lessons = load_lessons(root)
    except BankError as exc:
        return [_bank_problem(exc)]
    found = []
    for topic, lesson in lessons.items():
        points = [lesson.defaults()] + [{**lesson.defaults(), name: p[end]} for name, p in lesson.params.items()
                                        for end in ("min", "max")]
        for params in points:
            try:
                shown = demo(lesson, params)
            except TutorError as exc:
                found.append(Problem(str(lesson.path), f"lesson {topic}", exc.one_line(), exc.code))
                break
            if not shown.agree:
                values = ", ".join(f"{k} = {v}" for k, v in params.items())
                found.append(Problem(str(lesson.path), f"lesson {topic}", _(
                    "with {values} sympy computes {exact} but torch prints {torch}").format(
                    values=values, exact=shown.exact.text(), torch=shown.torch.text()), "check.lesson-disagrees"))
                break
    return found


def orphans(root: Path, solutions: Path | None, exercises: list[bank.Exercise]) -> list[Problem]:
    """Stubs no exercise names as its ``file``, and solutions with no exercise: a learner would edit, or an
    instructor maintain, a file the tutor never uses."""
    used = {str(ex.data["file"]) for ex in exercises if isinstance(ex.data.get("file"), str)}
    found = []
    for folder, what in ((root, _("stub")), (solutions, _("solution"))):
        if folder is None or not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*.py")):
            rel = path.relative_to(folder).as_posix()
            if "__pycache__" in path.parts or rel in used:
                continue
            found.append(Problem(str(path), None, _("this {what} belongs to no exercise (no exercise has file = "
                                                    "\"{rel}\")").format(what=what, rel=rel), "check.orphan-file"))
    return found
