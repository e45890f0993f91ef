"""Trusted code in fresh jobs of the shared trusted worker: the tutor's own rendered PyTorch programs, and
the learner's (quiz) or the bank's (``tutor check``) code files.

``tutor check`` proves its exact (sympy) answers by running the programs
that show them: the process that asks never imports torch itself (the
worker has it loaded), and one job runs many programs.  A program is
``{"source": code, "asks": [{"name", "attr", "index"}, ...]}``; what comes
back is read against :func:`.protocol.program_answer`'s schema.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from .protocol import Outcome, call_outcomes, printed, program_answers
from .shared import shared_worker
from .worker import Limits

ATTRS = ("value", "grad", "is_leaf", "requires_grad", "graph")


def run_programs(programs: list[dict[str, Any]], timeout: float = 120.0) -> list[list[Outcome]]:
    """Per program, the checked values it was asked for (see the module's docstring)."""
    for p in programs:
        if not isinstance(p.get("source"), str) or not all(a.get("attr") in ATTRS for a in p["asks"]):
            raise ValueError("a program is {'source': str, 'asks': [{'name', 'attr', 'index'}]}")
    if not programs:
        return []
    job = {"mode": "programs", "programs": programs}
    run = shared_worker().run(job, Limits(wall=timeout, cpu=int(timeout)))
    return program_answers(run, [len(p["asks"]) for p in programs], timeout)


def run_file(path: Path, function: str, calls: list[dict[str, Any]], timeout: float = 60.0) -> list[Outcome]:
    """The file's ``function`` called with each of ``calls`` (not isolated: trusted code); one outcome per
    call (:func:`.protocol.call_outcomes`), the first carrying what the file printed (``printed``)."""
    from ...foundation.text import decode_source

    try:
        source = decode_source(path.read_bytes())
    except OSError as exc:
        return [{"failure": "load", "error": f"{type(exc).__name__}: {exc.strerror or exc}"} for _c in calls]
    run = shared_worker().run({"mode": "call", "source": source, "function": function, "calls": calls,
                               "filename": path.name}, Limits(wall=timeout, cpu=int(timeout)))
    outcomes = call_outcomes(run, len(calls), timeout)
    if outcomes and printed(run):
        outcomes[0]["printed"] = printed(run, 2000)
    return outcomes
