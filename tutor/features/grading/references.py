"""The exact references a batch grades on: drawn by the parent, once per exercise and seed, in a thread of
their own while the sandbox starts (:class:`References`), shared by every submission that has the same inputs."""
from __future__ import annotations

import sys
import threading
from typing import Any

from ... import bank
from ...bank import Exercise, Variant
from ...bank.kinds.code import Code
from .submissions import Submission

CASES = 3          # input sets per code submission

CaseKey = tuple[str, str, int, int]
_CASES: dict[CaseKey, tuple[list[Variant[Any]], list[dict[str, Any]]]] = {}
_CASE_LOCKS: dict[CaseKey, threading.Lock] = {}
_CASES_LOCK = threading.Lock()


def cases_for(ex: Exercise, seed: int, count: int = CASES) -> list[Variant[Any]]:
    """The variants (inputs and exact references) a submission is graded on: chosen by the parent.

    Variants are kept for the batch: students who share inputs share the work (drawn once, whichever
    thread asks first; the others wait for it).
    """
    return cases_and_calls(ex, seed, count)[0]


def cases_and_calls(ex: Exercise, seed: int, count: int) -> tuple[list[Variant[Any]], list[dict[str, Any]]]:
    """The variants and the arguments the learner's function is called with on each."""
    key = (str(ex.path), ex.id, seed, count)
    got = _CASES.get(key)
    if got is not None:
        return got
    with _CASES_LOCK:
        lock = _CASE_LOCKS.setdefault(key, threading.Lock())
    with lock:
        if key not in _CASES:
            variants = [bank.variant(ex, seed * 1000 + i, grading=True) for i in range(count)]
            _CASES[key] = (variants, [code_kind(ex).call_args(v) for v in variants])
    return _CASES[key]


class References:
    """The batch's exact references, drawn in a thread of their own in the order the submissions will be
    graded, while the sandbox starts and the first submissions run (a submission whose references are
    not drawn yet waits for them, or draws them itself)."""

    def __init__(self, plan: list[tuple[Exercise, int, int]]):
        self.plan = plan
        self.stop = threading.Event()           # the batch ended early (an error, Ctrl-C): draw no more
        self.switch = sys.getswitchinterval()
        # the drawing holds the interpreter for long stretches: hand it over often to the threads that
        # talk to the sandbox, so that a job never waits long to be sent or read
        sys.setswitchinterval(0.0005)
        self.thread = threading.Thread(target=self._draw, name="references", daemon=True)
        self.thread.start()

    def _draw(self) -> None:
        try:
            for ex, seed, count in self.plan:
                if self.stop.is_set():
                    break
                try:
                    cases_and_calls(ex, seed, count)
                except Exception:       # noqa: BLE001 - the submission drawing them again gets the error, its own
                    continue
        finally:
            sys.setswitchinterval(self.switch)

    def close(self) -> None:
        self.stop.set()
        self.thread.join()


def code_kind(ex: Exercise) -> Code:
    kind = ex.handler
    assert isinstance(kind, Code), ex.kind
    return kind


def exercise_major(todo: list[Any]) -> list[Any]:
    """The submissions grouped by exercise (in the order each exercise first appears, each group in its
    own order), notebooks last: the first exercise's references start every core working."""
    first: dict[str, int] = {}
    for sub in todo:
        if isinstance(sub, Submission):
            first.setdefault(sub.exercise, len(first))
    return sorted(todo, key=lambda sub: first[sub.exercise] if isinstance(sub, Submission) else len(first))
