"""Grading code submissions in the sandbox, in parallel, resumably.

The trusted parent (this module) finds the submissions, draws the inputs,
computes every reference answer exactly with sympy (the bank's scenario
simulation), and decides the score from plain JSON numbers that the
sandboxed child returns (:mod:`.sandbox`).  A batch survives any submission
crashing; finished grades are appended (and fsynced) to a progress log so an
interrupted batch resumes.
"""
from __future__ import annotations

import json
import os
import queue
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ... import bank
from ...bank import Exercise, Variant
from ...bank.kinds.code import Code
from ...foundation.i18n import _
from .results import GradingReport, SubmissionResult, TestResult
from .submissions import Submission, discover

CASES = 3          # input sets per code submission
Progress = Callable[[int, int], None]

_CASES: dict[tuple[str, str, int, int], list[Variant[Any]]] = {}


def cases_for(ex: Exercise, seed: int, count: int = CASES) -> list[Variant[Any]]:
    """The variants (inputs and exact references) a submission is graded on: chosen by the parent.

    Every student of an exercise gets the same inputs, so they are computed once per batch.
    """
    key = (str(ex.path), ex.id, seed, count)
    if key not in _CASES:
        _CASES[key] = [bank.variant(ex, seed * 1000 + i) for i in range(count)]
    return _CASES[key]


def code_kind(ex: Exercise) -> Code:
    kind = ex.handler
    assert isinstance(kind, Code), ex.kind
    return kind


def grade_one(sub: Submission, ex: Exercise, zygote: Any, seed: int) -> SubmissionResult:
    kind = code_kind(ex)
    variants = cases_for(ex, seed)
    calls = [kind.call_args(v) for v in variants]
    try:
        source = sub.path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return SubmissionResult(sub.student, sub.exercise, str(sub.path), "unreadable",
                                [TestResult.failed(ex.id, str(exc), len(variants))])
    report = zygote.run(source, ex.data["function"], calls)
    status = report.get("status", "crashed")
    results = report.get("results")
    reason = _failure(report, status, results, len(variants))
    tests = []
    for i, v in enumerate(variants):
        name = f"{ex.id} [{', '.join(f'{k}={val}' for k, val in calls[i].items())}]"
        if reason is not None:
            tests.append(TestResult.failed(name, reason))
            continue
        r = results[i] if isinstance(results[i], dict) else {}
        judged = kind.grade_result(v, r)
        tests.append(TestResult.judged(name, judged, r.get("value", r.get("error"))))
    return SubmissionResult(sub.student, sub.exercise, str(sub.path), status, tests, report.get("isolation") or [])


def _failure(report: dict[str, Any], status: str, results: object, expected: int) -> str | None:
    """Why no test can be graded (None when there are results to grade)."""
    if status == "timeout":
        return _("stopped after the time limit (an endless loop?)")
    if status in ("no-result", "crashed"):
        return _("the program ended without returning a result (exit() or a crash)")
    if "load_error" in report:
        return _("the file could not run: {error}").format(error=report["load_error"])
    if not isinstance(results, list) or len(results) != expected:
        return _("no usable result")
    return None


def grade_paths(paths: Sequence[str | Path], *, directory: str | Path | None = None, exercise: str | None = None,
                jobs: int = 1, timeout: float = 10.0, seed: int = 0, progress_file: Path | None = None,
                progress: Progress | None = None, hide: Sequence[str] = ()) -> GradingReport:
    """Grade every code submission under ``paths``."""
    from ...foundation.paths import default_bank_dir, solutions_dir
    from .sandbox import Limits, Zygote, default_hidden

    exercises = bank.load(directory)
    by_id = bank.by_id(exercises)
    subs, unknown = discover(paths, exercises, exercise)
    done = _resumed(progress_file)
    todo = [s for s in subs if s.key not in done]
    bank_dir = Path(directory) if directory else default_bank_dir()
    hidden = default_hidden(bank_dir, solutions_dir(bank_dir) or bank_dir, *hide)
    limits = Limits(wall=timeout, cpu=max(1, int(timeout)))
    results: dict[str, SubmissionResult] = dict(done)
    if progress_file:
        Path(progress_file).parent.mkdir(parents=True, exist_ok=True)
    log = open(progress_file, "a", encoding="utf-8") if progress_file else None
    zygotes: queue.Queue[Any] = queue.Queue()
    workers = max(1, min(jobs, len(todo) or 1))
    for i in range(workers):
        zygotes.put(Zygote(hide=hidden, limits=limits, uid=61000 + i))
    finished = len(subs) - len(todo)
    if progress:
        progress(finished, len(subs))

    def work(sub: Submission) -> tuple[Submission, SubmissionResult]:
        z = zygotes.get()
        try:
            return sub, grade_one(sub, by_id[sub.exercise], z, seed)
        finally:
            if z.proc.poll() is not None:           # a crashed zygote is replaced
                z = Zygote(hide=hidden, limits=limits, uid=z.uid)
            zygotes.put(z)

    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for sub, res in pool.map(work, todo):
                results[sub.key] = res
                if log:
                    log.write(json.dumps({"key": sub.key, "result": res.to_json()}) + "\n")
                    log.flush()
                    os.fsync(log.fileno())
                finished += 1
                if progress:
                    progress(finished, len(subs))
    finally:
        if log:
            log.close()
        while not zygotes.empty():
            zygotes.get().close()
    return GradingReport([results[s.key] for s in subs], unknown)


def _resumed(progress_file: Path | None) -> dict[str, SubmissionResult]:
    """The grades an interrupted batch already wrote to its progress log."""
    done: dict[str, SubmissionResult] = {}
    if progress_file and Path(progress_file).exists():
        for line in Path(progress_file).read_text(encoding="utf-8").splitlines():
            try:
                rec = json.loads(line)
                done[rec["key"]] = SubmissionResult.from_json(rec["result"])
            except (ValueError, KeyError, TypeError):
                continue               # a torn last line from a kill: that submission runs again
    return done
