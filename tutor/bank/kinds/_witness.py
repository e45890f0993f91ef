"""A derive variant's three witnesses for ``tutor check``, in two halves.

:func:`witness_point` (sympy, no torch: it may run in a forked process) looks
for a point where the function is differentiable, as ``_check_witnesses`` in
:mod:`.derive` does, and writes the program that gives torch's gradient
there; :func:`judge_witnesses` reads what torch gave and judges as
``_check_witnesses`` does.  Where torch could not run the program (the search
would have moved on to the next point), the caller runs the whole search
with torch in process.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

from ...foundation.errors import TutorError
from ...foundation.i18n import _
from ..model import Variant


@dataclass
class WitnessPoint:
    seed: int
    point: dict[str, Any]              # name -> exact value
    partial: Any                       # gradients.Partial: sympy's and the finite differences' witnesses
    program: dict[str, Any] | None     # torch's (the asks: each variable's .grad, in the point's order)
    exact: dict[str, float | Exception]   # wrt -> the variant's stored derivative at the point (or why not)


def witness_point(v: Variant[Any], seed: int) -> WitnessPoint:
    """The first point (of the seeded search) where sympy's gradient is finite and no kink is hit."""
    import sympy

    from ...engines.gradients import torch_program, without_torch
    from ...mathlang.sym import to_text

    variables = v.exercise.data["variables"]
    rng = random.Random(f"check:{v.exercise.id}:{seed}")
    for _attempt in range(20):
        point = {name: sympy.Rational(rng.randint(3, 20), 10) * rng.choice([1, 1, -1]) for name in variables}
        try:
            partial = without_torch(to_text(v.function), [f"{k}={val}" for k, val in point.items()])
        except TutorError:
            continue
        if partial.kinks or any(not math.isfinite(x) for values in partial.sym["values"].values() for x in values):
            continue
        return WitnessPoint(seed, point, partial, torch_program(partial), _exact(v, point))
    raise TutorError(_("seed {seed}: no point found where the function is differentiable").format(seed=seed),
                     code="check.no-point")


def _exact(v: Variant[Any], point: dict[str, Any]) -> dict[str, float | Exception]:
    import sympy

    subs = {sympy.Symbol(k, real=True): val for k, val in point.items()}
    out: dict[str, float | Exception] = {}
    for wrt, derivative in v.answer.items():
        try:
            out[wrt] = float(sympy.N(derivative.xreplace(subs), 30))
        except Exception as exc:     # raised where the in-process check would meet it
            out[wrt] = exc
    return out


def judge_witnesses(w: WitnessPoint, values: list[dict[str, Any]]) -> bool:
    """Raise as ``_check_witnesses`` does; False where torch gave no gradients (an error: judge in process)."""
    from ...engines.gradients import with_torch

    if w.program is None or any(value["kind"] not in ("number", "none") for value in values):
        return False
    grads = {name: (value["values"] if value["kind"] == "number" else None)
             for name, value in zip(w.partial.point, values)}
    report = with_torch(w.partial, grads)
    for wrt, exact in w.exact.items():
        g = report.gradients[wrt]
        if not g.agree:
            raise TutorError(_("seed {seed}: sympy, torch and finite differences disagree on d/d{wrt} at "
                               "{point}: {s} / {t} / {f}").format(
                seed=w.seed, wrt=wrt, point=w.point, s=g.sympy, t=g.torch, f=g.finite_difference),
                code="check.witnesses-disagree")
        if isinstance(exact, Exception):
            raise exact
        if abs(exact - g.sympy[0]) > 1e-9 * max(1.0, abs(exact)):
            raise TutorError(_("seed {seed}: the stored answer for d/d{wrt} gives {a}, torch {b}").format(
                seed=w.seed, wrt=wrt, a=exact, b=g.torch[0] if g.torch else None), code="check.answer-differs")
    return True
