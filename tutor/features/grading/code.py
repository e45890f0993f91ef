"""Grading code submissions in the sandbox, in parallel, resumably.

The trusted parent (this module) finds the submissions (regular files only,
links never followed), draws the inputs, computes every reference answer
exactly with sympy (the bank's scenario simulation), and decides the score
from what the sandboxed job sends back, read against a strict schema
(:mod:`tutor.engines.runner`).  Before any submission runs, a probe job
decides which protections are in force; without full isolation the batch is
refused (``isolation="container"`` is the explicit opt-out for a grader that
runs in a per-submission container).  A batch survives any one submission:
a failure while grading it is that submission's ``grader-error``.  Finished
grades are appended (and fsynced) to a progress log so an interrupted batch
resumes.
"""
from __future__ import annotations

import gc
import hashlib
import hmac
import os
import secrets
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ... import bank
from ...bank import Exercise, Variant
from ...bank.kinds.code import Code
from ...foundation.errors import TutorError
from ...foundation.i18n import _
from ...foundation.text import clean_name, decode_source
from .assignment import Assignment, load_assignment, split_points
from .cells import notebook_code
from .judge import Judge
from .lines import finish
from .notebooks import SHEET, Manifest, NotebookJob, failed_questions, grade_notebook, load_manifest, plan_notebooks
from .progress import append, resumed, settings_of
from .references import CASES, References, cases_and_calls, cases_for, code_kind, exercise_major
from .results import GradingReport, SubmissionResult, TestResult
from .sandbox_pool import no_sandbox, start_pool
from .submissions import Found, Submission, discover, restrict

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Inputs:
    """How the grader draws each submission's inputs (never the submission's choice).

    ``fixed``: from ``seed``, the same for everyone and every run (``--seed``); ``per-run``: from a seed
    drawn at random for this run, the same for every student of the batch (the default: nothing to look up
    before the run); ``per-student``: from an instructor's secret, different for each student and
    reproducible for regrades (``--secret`` or ``TUTOR_GRADING_SECRET``; never written anywhere).
    """

    policy: str
    seed: int = 0
    secret: bytes = b""

    @classmethod
    def choose(cls, seed: int | None, secret: str | None, plan: Assignment | None = None) -> Inputs:
        """The command line's choice, else the assignment's (per-student without a secret: a random one)."""
        if secret:
            return cls("per-student", secret=secret.encode("utf-8"))
        if seed is not None:
            return cls("fixed", seed=seed)
        if plan is not None and plan.inputs == "fixed":
            return cls("fixed", seed=plan.seed)
        if plan is not None and plan.inputs == "per-student":
            return cls("per-student", secret=secrets.token_bytes(32))
        return cls("per-run", seed=secrets.randbelow(1 << 31))

    def seed_for(self, student: str, exercise: str) -> int:
        if self.policy != "per-student":
            return self.seed
        digest = hmac.new(self.secret, f"{exercise}\0{student}".encode("utf-8", "surrogateescape"),
                          hashlib.sha256).digest()
        return int.from_bytes(digest[:6], "big")

    def to_json(self) -> dict[str, Any]:
        """What the report says of the inputs (the fixed seed an instructor chose; never a secret)."""
        return {"policy": self.policy, **({"seed": self.seed} if self.policy == "fixed" else {})}


def _test_name(ex: Exercise, call: dict[str, Any]) -> str:
    return f"{ex.id} [{', '.join(f'{k}={val}' for k, val in call.items())}]"


def grade_one(sub: Submission, ex: Exercise, pool: Any, inputs: Inputs, wall: float,
              tests: int = CASES, autograd: bool = False,
              variants: list[Variant[Any]] | None = None) -> SubmissionResult:
    """One submission, run once in a fresh sandboxed job on every input set (``variants``: given by the
    caller, as for a notebook's code question, else drawn from ``inputs``)."""
    from ...engines.runner.protocol import call_outcomes, printed

    kind = code_kind(ex)
    if variants is None:
        variants, calls = cases_and_calls(ex, inputs.seed_for(sub.student, ex.id), tests)
    else:
        calls = [kind.call_args(v) for v in variants]
    if sub.problem is not None:
        reason = _("the file was not graded: {why}").format(why=sub.problem)
        return SubmissionResult(sub.student, sub.exercise, clean_name(sub.path, 300), "unreadable",
                                [TestResult.failed(_test_name(ex, c), reason) for c in calls])
    run = pool.run({"mode": "call", "source": decode_source(sub.source), "function": ex.data["function"],
                    "calls": calls, "filename": Path(ex.data["file"]).name, "autograd": autograd})
    outcomes = call_outcomes(run, len(calls), wall)
    results = []
    verdicts = kind.judge_calls(list(zip(variants, outcomes)))      # a mistake named only if every case names it
    for call, outcome, judged in zip(calls, outcomes, verdicts):
        if autograd and judged.correct and not outcome.get("autograd"):
            results.append(TestResult.failed(_test_name(ex, call), _(
                "The value is right, but this exercise asks for the gradient from autograd: call backward() (or "
                "torch.autograd.grad) on the loss instead of working it out by hand.")))
            continue
        results.append(TestResult.judged(_test_name(ex, call), judged, kind.shown(outcome)))
    return SubmissionResult(sub.student, sub.exercise, clean_name(sub.path, 300), run.status, results, printed(run),
                            list(sub.flags))


def grader_error(sub: Submission, ex: Exercise | None, exc: BaseException) -> SubmissionResult:
    """A failure of the grader's own while grading one submission: that submission's line, the batch goes on."""
    reason = _("grader error: {reason}").format(reason=f"{type(exc).__name__}: {exc}"[:300])
    return SubmissionResult(sub.student, sub.exercise, clean_name(sub.path, 300), "grader-error",
                            [TestResult.failed(ex.id if ex else sub.exercise, reason, CASES)])


def hidden_paths(bank_dir: Path, extra: Sequence[str | os.PathLike[str]]) -> list[str]:
    """What no submission may read: the bank, its solutions, the package, the grader's folders."""
    import tutor

    from ...foundation.paths import data_dir, solutions_dir

    package = Path(tutor.__file__).resolve().parent
    out = [bank_dir, solutions_dir(bank_dir) or bank_dir, package, package.parent / "solutions", Path.cwd(),
           Path.home(), data_dir(), *extra]
    return sorted({str(Path(p).resolve()) for p in out if p})


def check_isolation(pool: Any, hidden: list[str]) -> dict[str, Any]:
    """The probe's verdict; a batch-level error (nobody's 0) when a protection does not hold."""
    from ...engines.runner import WorkerError

    try:
        iso = pool.probe(hidden)
    except WorkerError as exc:
        raise no_sandbox(str(exc)) from None
    if not iso.ok:
        raise TutorError(_("the sandbox does not isolate submissions here: {what}. Nothing was graded.").format(
            what=iso.summary()), code="grade.isolation")
    return dict(iso.to_json())


def grade_paths(paths: Sequence[str | Path], *, directory: str | Path | None = None, exercise: str | None = None,
                jobs: int = 1, timeout: float = 10.0, seed: int | None = None, secret: str | None = None,
                progress_file: Path | None = None, progress: Progress | None = None, isolation: str = "full",
                hide: Sequence[str] = (), assignment: str | Path | None = None,
                roster: str | Path | None = None, notebooks: Sequence[str | Path] = (),
                manifest: str | Path | None = None,
                notebook_roots: Mapping[Path, Path] | None = None, pool: Any = None) -> GradingReport:
    """Grade every code submission under ``paths`` (inputs: see :class:`Inputs`) and every completed
    notebook in ``notebooks`` (against the sheet's ``manifest``: see :mod:`.notebooks`); with an assignment,
    every student gets a line for each of its exercises (points, visibility), with a roster every student
    of it.  ``pool``: the sandbox's workers, if the caller started them already (:func:`.start_pool`, one
    worker); this function closes it."""
    from ...foundation.paths import default_bank_dir

    if notebooks and manifest is None:
        raise TutorError(_("grading notebooks needs the manifest {command} wrote ({option}): it holds each "
                           "student's variants and the questions that make up the maximum").format(
                             command="tutor sheet", option="--manifest FILE"),
                         code="grade.notebooks-need-manifest")
    if pool is None and paths:
        pool = start_pool(1, isolation, timeout)     # its torch import runs while the bank loads
    references: References | None = None
    report_notes: list[str] = []
    judge = Judge(directory, timeout) if notebooks else None
    frozen = False
    try:
        exercises = bank.load(directory)
        if gc.get_freeze_count() == 0:
            # what is loaded now (sympy, the bank) lives as long as the batch: the collections the references
            # set off need not walk it each time (a few tenths of a second over a batch)
            gc.freeze()
            frozen = True
        by_id = bank.by_id(exercises)
        plan = load_assignment(assignment, by_id) if assignment is not None else None
        found = discover(paths, exercises, exercise) if paths else Found()
        if plan is not None:
            found = restrict(found, plan)
        sheet: Manifest | None = load_manifest(manifest, by_id) if manifest is not None and notebooks else None
        nb_jobs, review = plan_notebooks([Path(p) for p in notebooks], sheet, notebook_roots) \
            if sheet is not None else ([], [])
        if sheet is not None and sheet.students and not sheet.secret:
            report_notes.append(_("the sheets were made without a secret: students can find their variants, and "
                                  "the answers, from their own sheets with the public package (make marked sheets "
                                  "with {option})").format(option="--secret"))
        found.skipped += review
        subs: list[Any] = [*found.submissions, *nb_jobs]
        inputs = Inputs.choose(seed, secret, plan)
        graded = [by_id[s.exercise] for s in found.submissions] + [by_id[p.exercise] for job in nb_jobs
                                                                    for p in job.planned if p.exercise in by_id]
        settings = settings_of(inputs, timeout, graded, sheet.digest if sheet is not None else None, plan)
        logged_isolation, done, inputs = resumed(progress_file, settings, inputs)
        todo = [s for s in subs if s.key not in done]
        report = GradingReport(skipped=found.skipped, isolation=logged_isolation or {}, inputs=inputs.to_json(),
                               assignment=plan.to_json() if plan is not None else None, notes=report_notes)
        results: dict[str, SubmissionResult] = {s.key: done[s.key] for s in subs if s.key in done}
        bank_dir = Path(directory) if directory else default_bank_dir()
        if isolation == "container" and len({s.student for s in todo}) > 1:
            raise TutorError(_("--isolation container grades one student at a time (a container per "
                               "submission is the boundary between students); here {n} students").format(
                n=len({s.student for s in todo})), code="grade.container-one-student")
        runs = [s for s in todo if isinstance(s, Submission) or s.runs_code(by_id)]
        if runs and pool is None:
            pool = start_pool(1, isolation, timeout)
        tests = {i.exercise: (i.tests, i.autograd) for i in plan.items} if plan is not None else {}
        if todo:
            header: dict[str, Any] = {"isolation": {}, "settings": settings, "run_seed": inputs.seed}
            todo = exercise_major(todo)       # each exercise's references serve its submissions as soon as drawn
            if runs:
                assert pool is not None
                workers = max(1, min(jobs, len(runs)))
                pool.grow(workers, warm=len(runs) > workers)      # a batch: load torch's lazy imports up front
                references = References(reference_plan(todo, by_id, inputs, tests))   # while torch loads
                # in a per-submission container the submission is the student's own and the output only root
                # writes: what must stay hidden there is what holds the answers (and the manifest's variants)
                grader = [*paths, *notebooks, *([Path(progress_file).parent] if progress_file else [])] \
                    if isolation == "full" else []
                hidden = hidden_paths(bank_dir, [*grader, *([manifest] if manifest else []), *hide])
                report.isolation = check_isolation(pool, hidden)
                header["isolation"] = report.isolation
            _run_batch(todo, by_id, pool, inputs, timeout, results, progress_file, header, progress, len(subs),
                       tests, judge)
    finally:
        if frozen:
            gc.unfreeze()
        if references is not None:
            references.close()
        if pool is not None:
            pool.close()
        if judge is not None:
            judge.close()
    report.results = [results[s.key] for s in subs]
    finish(report, plan, roster, exercises, paths, sheet)
    return report


def tests_of(tests: Mapping[str, tuple[int, bool]], exercise: str) -> tuple[int, bool]:
    """(input sets, autograd required) for an exercise: the assignment's, else the default (the references
    are drawn, and the submissions graded, on the same count)."""
    return tests.get(exercise, (CASES, False))


def reference_plan(todo: list[Any], by_id: Mapping[str, Exercise], inputs: Inputs,
                   tests: Mapping[str, tuple[int, bool]]) -> list[tuple[Exercise, int, int]]:
    """Which references the batch needs (exercise, seed, count), each once, in the order of ``todo``."""
    plan: dict[tuple[str, int, int], tuple[Exercise, int, int]] = {}
    for sub in todo:
        ex = by_id.get(sub.exercise) if isinstance(sub, Submission) else None
        if ex is not None and isinstance(ex.handler, Code):
            seed, count = inputs.seed_for(sub.student, ex.id), tests_of(tests, ex.id)[0]
            plan.setdefault((ex.id, seed, count), (ex, seed, count))
    return list(plan.values())


def _run_batch(todo: list[Any], by_id: Mapping[str, Exercise], pool: Any, inputs: Inputs, wall: float,
               results: dict[str, SubmissionResult], progress_file: Path | None, header: dict[str, Any],
               progress: Progress | None, total: int, tests: dict[str, tuple[int, bool]],
               judge: Any = None) -> None:
    if progress_file:
        Path(progress_file).parent.mkdir(parents=True, exist_ok=True)
    log = open(progress_file, "a", encoding="utf-8") if progress_file else None
    finished = total - len(todo)
    if progress:
        progress(finished, total)

    def work(sub: Any) -> tuple[Any, SubmissionResult]:
        if isinstance(sub, NotebookJob):
            return sub, _notebook(sub, by_id, pool, wall, judge)
        ex = by_id.get(sub.exercise)
        try:
            assert ex is not None
            count, autograd = tests_of(tests, sub.exercise)
            return sub, grade_one(sub, ex, pool, inputs, wall, count, autograd)
        except Exception as exc:          # the grader's own failure: this submission's line, not the batch
            return sub, grader_error(sub, ex, exc)

    try:
        if log:
            append(log, header)
        with ThreadPoolExecutor(max_workers=max(1, pool.size if pool else 1)) as threads:
            for sub, res in threads.map(work, todo):
                results[sub.key] = res
                if log:
                    append(log, {"key": sub.key, "result": res.to_json()})
                finished += 1
                if progress:
                    progress(finished, total)
    finally:
        if log:
            log.close()


def _notebook(job: NotebookJob, by_id: Mapping[str, Exercise], pool: Any, wall: float,
              judge: Any = None) -> SubmissionResult:
    """A notebook, whole; a failure of the grader's own is this notebook's line, not the batch's."""
    printed: list[str] = []

    def run_code(ex: Exercise, planned: Any, source: str, name: str) -> list[TestResult]:
        variants = [bank.variant(ex, planned.seed), *cases_for(ex, planned.seed, CASES - 1)]
        sub = Submission(job.student, ex.id, job.path, notebook_code(source).encode("utf-8", "surrogatepass"))
        graded = grade_one(sub, ex, pool, Inputs("fixed", seed=planned.seed), wall, variants=variants)
        if graded.output:
            printed.append(f"[{name}]\n{graded.output}")
        shares = split_points(1, [1.0] * max(1, len(graded.tests)))
        return [TestResult(f"{name} {t.name.split(' ', 1)[-1]}", share if t.score >= t.max_score > 0 else 0.0,
                           share, t.output, t.misconception) for t, share in zip(graded.tests, shares)]

    try:
        result = grade_notebook(job, by_id, run_code, judge)
    except Exception as exc:        # the grader's own failure: this notebook's line, not the batch
        why = _("grader error: {reason}").format(reason=f"{type(exc).__name__}: {exc}"[:300])
        return SubmissionResult(job.student, SHEET, clean_name(job.path, 300), "grader-error",
                                failed_questions(job.planned, why), "", [why])
    result.output = "\n".join(printed)[:8000]
    return result
