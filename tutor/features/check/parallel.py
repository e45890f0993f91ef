"""``tutor check``'s work spread out: the kinds' sympy work here (or in forked processes), torch in the worker.

Each exercise is *prepared* (:meth:`~tutor.bank.ExerciseKind.prepare`: its
variants drawn and verified with sympy, the programs that torch must run
written), in this process or, with ``jobs`` above 1, in processes forked
from it after the bank is loaded (nothing is imported twice; the prepared
work comes back as plain data).  A thread hands the programs and the code
files to the shared trusted worker in batches as they arrive (one job runs
many programs), while the worker's torch import and the sympy work go on
side by side; then each kind *finishes* (judges what torch gave) here, in
the bank's order.
"""
from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ...bank import CheckContext, Exercise, Prepared
from .report import Problem, problem_of

# The sympy work's processes by default.  One: the worker's torch import (about 4 s of CPU) is the longest
# chain of a check, and on the project's machines (two virtual cores that give about 1.2 cores of work
# together) a second sympy process took more from that chain than it saved (median 8.9 s against 7.6 s,
# 8 alternating runs of the bundled bank); a bank with much more sympy work, on real cores, may want 2.
DEFAULT_JOBS = 1
MAX_PROGRAMS = 200           # rendered programs in one job of the worker
MAX_BATCH = 50               # exercises handed to the worker together
Outcome = dict[str, Any]
Work = tuple[list[list[Outcome]], list[list[Outcome]]]

_STATE: tuple[list[Exercise], int, CheckContext] | None = None     # what the forked processes read


def run_checks(exercises: list[Exercise], seeds: int, ctx: CheckContext, jobs: int | None,
               progress: Callable[[int, int, str], None] | None) -> list[tuple[int, Problem | None]]:
    """Per exercise, in order: the variants it verified and its problem (None when it passed)."""
    global _STATE
    jobs = _jobs(jobs, len(exercises))
    torch = _TorchRunner()
    prepared: dict[int, tuple[Prepared | None, Problem | None]] = {}
    _STATE = (exercises, seeds, ctx)
    try:
        for done, (i, prep, problem) in enumerate(_prepared(len(exercises), jobs, torch.start)):
            if progress:
                progress(done, len(exercises), exercises[i].id)
            prepared[i] = (prep, problem)
            if prep is not None and (prep.programs or prep.files):
                torch.put(i, prep)
    finally:
        _STATE = None
        torch.close()
    return [_finish(i, ex, *prepared[i], torch) for i, ex in enumerate(exercises)]


def _jobs(jobs: int | None, exercises: int) -> int:
    import multiprocessing

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    jobs = DEFAULT_JOBS if jobs is None else jobs
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(jobs, exercises, cores))


def _prepared(n: int, jobs: int, forked: Callable[[], None]) -> Iterator[tuple[int, Prepared | None,
                                                                                Problem | None]]:
    """Each exercise's prepared work as it is ready (in this process when ``jobs`` is 1); ``forked`` is
    called once the processes exist (threads start after a fork, never before one)."""
    if jobs == 1:
        forked()
        for i in range(n):
            yield _prepare(i)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    assert _STATE is not None
    for kind in {ex.kind: ex.handler for ex in _STATE[0]}.values():
        kind.load_for_check()
    order = sorted(range(n), key=lambda i: _STATE[0][i].handler.order)   # the longest kinds first
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
        futures = {pool.submit(_prepare, i): i for i in order}
        forked()
        for future in as_completed(futures):
            try:
                yield future.result()
            except Exception as exc:       # the process died (a crash in C, memory): that exercise says so
                ex = _STATE[0][futures[future]]
                yield futures[future], None, problem_of(str(ex.path), ex.id, exc)


def _prepare(i: int) -> tuple[int, Prepared | None, Problem | None]:
    """In a forked process (or this one): exercise ``i``'s sympy work; its error as a problem."""
    assert _STATE is not None
    exercises, seeds, ctx = _STATE
    ex = exercises[i]
    try:
        prep = ex.handler.prepare(ex, seeds, ctx)
    except Exception as exc:
        return i, None, problem_of(str(ex.path), ex.id, exc)
    problem = None
    if prep.error is not None:          # reported once the work before it is judged
        problem, prep.error = problem_of(str(ex.path), ex.id, prep.error), None
    return i, prep, problem


def _finish(i: int, ex: Exercise, prep: Prepared | None, problem: Problem | None, torch: _TorchRunner) \
        -> tuple[int, Problem | None]:
    """Judge what torch gave exercise ``i`` (its kind's finish), then report the error its preparation met."""
    if prep is None:
        return 0, problem
    try:
        answers, outcomes = torch.result(i) if (prep.programs or prep.files) else ([], [])
        verified = ex.handler.finish(ex, prep, answers, outcomes)
    except Exception as exc:
        return 0, problem_of(str(ex.path), ex.id, exc)
    return (0, problem) if problem is not None else (verified, None)


class _TorchRunner:
    """A thread that runs the prepared exercises' programs and files in the shared worker, batch by batch:
    whatever has arrived while the previous batch ran (or while the worker imported torch) goes together."""

    def __init__(self) -> None:
        self.queue: queue.Queue[tuple[int, Prepared] | None] = queue.Queue()
        self.results: dict[int, Work | Exception] = {}
        self.ready = threading.Condition()
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        self.thread = threading.Thread(target=self._loop, name="tutor-check-torch", daemon=True)
        self.thread.start()

    def put(self, i: int, prep: Prepared) -> None:
        self.queue.put((i, prep))

    def close(self) -> None:
        self.queue.put(None)

    def result(self, i: int) -> Work:
        """What exercise ``i``'s programs and files gave (raises what stopped them)."""
        with self.ready:
            self.ready.wait_for(lambda: i in self.results or self.thread is None or not self.thread.is_alive())
            got = self.results.pop(i, None)
        if got is None:
            raise RuntimeError("the torch runs of this exercise were lost")
        if isinstance(got, Exception):
            raise got
        return got

    def _loop(self) -> None:
        try:
            while True:
                item = self.queue.get()
                batch = [item]
                while item is not None and len(batch) < MAX_BATCH:
                    try:
                        item = self.queue.get_nowait()
                    except queue.Empty:
                        break
                    batch.append(item)
                work = [b for b in batch if b is not None]
                if work:
                    self._run(work)
                if None in batch:
                    return
        finally:
            with self.ready:
                self.ready.notify_all()

    def _run(self, batch: list[tuple[int, Prepared]]) -> None:
        from ...engines.runner.programs import run_file, run_programs

        programs = [p for _i, prep in batch for p in prep.programs]
        try:
            answers = [a for k in range(0, len(programs), MAX_PROGRAMS)
                       for a in run_programs(programs[k:k + MAX_PROGRAMS])]
        except Exception as exc:         # the worker failed: every exercise of the batch says so
            self._store({i: exc for i, _prep in batch})
            return
        found: dict[int, Work | Exception] = {}
        at = 0
        for i, prep in batch:
            mine, at = answers[at:at + len(prep.programs)], at + len(prep.programs)
            try:
                found[i] = (mine, [run_file(Path(f["path"]), f["function"], f["calls"]) for f in prep.files])
            except Exception as exc:
                found[i] = exc
        self._store(found)

    def _store(self, found: dict[int, Work | Exception]) -> None:
        with self.ready:
            self.results.update(found)
            self.ready.notify_all()
