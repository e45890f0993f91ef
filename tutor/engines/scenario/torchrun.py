"""Run the rendered program in torch and read the asked value: the proof that the simulation is right.

:func:`run_in_torch` runs it in this process; :func:`run_in_worker` runs
many in one job of the shared trusted worker, which has torch loaded (this
process then never imports torch).
"""
from __future__ import annotations

import contextlib
import io
import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from ...foundation.errors import TutorError
from ...foundation.i18n import _
from .model import Answer, Ask, Scenario
from .render import render


def run_in_torch(s: Scenario) -> Answer:
    """Execute the rendered program (our own generated code) and read the asked value."""
    import torch

    code = render(s, print_ask=False)
    namespace: dict[str, Any] = {"torch": torch, "math": math, "__name__": "__scenario__"}
    buffer = io.StringIO()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with contextlib.redirect_stdout(buffer):
                exec(compile(code, "<scenario>", "exec"), namespace)  # noqa: S102 - generated, not user text
                return _read(namespace, s.ask)
    except Exception as exc:  # the program's own error is the answer
        return Answer.raised(type(exc).__name__, str(exc).splitlines()[0] if str(exc) else "")
    finally:
        torch.set_grad_enabled(True)


def _read(namespace: dict[str, Any], ask: Ask) -> Answer:
    import sympy

    t = namespace[ask.name]
    if ask.attr == "is_leaf":
        return Answer.boolean(bool(t.is_leaf))
    if ask.attr == "requires_grad":
        return Answer.boolean(bool(t.requires_grad))
    value = t.grad if ask.attr == "grad" else t
    if value is None:
        return Answer("none")
    value = value.detach()
    if ask.index is not None:
        value = value[ask.index]
    floats = value.reshape(-1).tolist()
    return Answer.number([sympy.Float(f, 17) for f in floats], value.dim() > 0)


def program(s: Scenario) -> dict[str, Any]:
    """The rendered program and the value it prints, as the runner's ``programs`` job takes them."""
    return {"source": render(s, print_ask=False), "asks": [ask_json(s.ask)]}


def ask_json(ask: Ask) -> dict[str, Any]:
    return {"name": ask.name, "attr": ask.attr, "index": ask.index}


def answer_of(value: Mapping[str, Any]) -> Answer:
    """An answer from a value the runner checked (:func:`tutor.engines.runner.protocol.program_answer`),
    as :func:`run_in_torch` reads it; a run that failed raises TutorError."""
    import sympy

    kind = value["kind"]
    if kind == "number":
        return Answer.number([sympy.Float(f, 17) for f in value["values"]], value["vector"])
    if kind == "none":
        return Answer("none")
    if kind == "bool":
        return Answer.boolean(value["flag"])
    if kind == "error":
        return Answer.raised(value["type"], value["message"])
    failure = value.get("failure") or {}
    raise TutorError(_("torch could not run the program ({why})").format(why=failure.get("failure", kind)),
                     code="scenario.torch-run-failed")


def run_in_worker(scenarios: Sequence[Scenario]) -> list[Answer]:
    """:func:`run_in_torch` for each scenario, all in one job of the shared trusted worker."""
    from ..runner.programs import run_programs

    return [answer_of(values[0]) for values in run_programs([program(s) for s in scenarios])]
