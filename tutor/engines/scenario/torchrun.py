"""Run the rendered program in torch and read the asked value: the proof that the simulation is right."""
from __future__ import annotations

import contextlib
import io
import math
import warnings
from typing import Any

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
