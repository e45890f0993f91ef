"""Seeded parameters: ``a = { min = 2, max = 5 }``, ``lr = { choices = [0.1, 0.2] }``."""
from __future__ import annotations

import math
import random
from collections.abc import Mapping
from typing import Any

from ..foundation.i18n import _
from .kinds import Fail
from .model import Exercise

MAX_VALUES = 1_000_000            # values a { min, max, step } range may hold


def check_params(params: object, fail: Fail, field: str = "params") -> None:
    if not isinstance(params, dict):
        fail(field, _("must be a table of parameter ranges"), "bank.bad-params")
    for name, spec in params.items():
        _check_one(spec, f"{field}.{name}", fail)


def _check_one(spec: object, f: str, fail: Fail) -> None:
    if not isinstance(spec, dict):
        fail(f, _("expected { min = ..., max = ... } or { choices = [...] }"), "bank.bad-params")
    if "choices" in spec:
        if not isinstance(spec["choices"], list) or not spec["choices"]:
            fail(f, _("choices must be a non-empty list"), "bank.bad-params")
        for choice in spec["choices"]:
            if not _number(choice):
                fail(f, _("choices must be numbers, got {got!r}").format(got=choice), "bank.bad-params")
    elif "min" in spec and "max" in spec:
        if not all(_finite(spec[k]) for k in ("min", "max")) or spec["min"] > spec["max"]:
            fail(f, _("min and max must be numbers with min <= max"), "bank.bad-range")
        step = spec.get("step", 1)
        if not _finite(step) or step <= 0:
            fail(f, _("step must be a positive number"), "bank.bad-range")
        if (spec["max"] - spec["min"]) / step > MAX_VALUES:
            fail(f, _("at most {n} values").format(n=MAX_VALUES), "bank.bad-range")
    else:
        fail(f, _("expected { min = ..., max = ... } or { choices = [...] }"), "bank.bad-params")


def _finite(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _number(value: object) -> bool:
    """A number, or math text for one (``"1/3"``, ``"pi/4"``)."""
    if isinstance(value, str):
        from ..foundation.errors import MathError
        from ..mathlang import parse_number

        try:
            parse_number(value)
        except MathError:
            return False
        return True
    return _finite(value)


def draw_params(ex: Exercise, seed: int, attempt: int = 0, grading: bool = False) -> dict[str, Any]:
    """Seeded parameter values (exact sympy numbers); the same seed gives the same values.

    ``grading``: the grader's ranges (``grade_params``, wide enough that tabulating the inputs is pointless)
    where the exercise has them, for the parameters they name; the quiz's ``params`` for the others."""
    import sympy

    rng = random.Random(f"{ex.id}:{'grade:' if grading else ''}{seed}:{attempt}")
    out = {}
    for name, spec in sorted(param_specs(ex, grading).items()):
        if "choices" in spec:
            value = rng.choice(spec["choices"])
            out[name] = sympy.Rational(str(value)) if isinstance(value, (int, float)) else _exact(value)
        else:
            lo, step, count = _grid(spec)
            out[name] = lo + step * rng.randint(0, count)
    return out


def param_specs(ex: Exercise, grading: bool = False) -> Mapping[str, Any]:
    """The ranges parameters are drawn from: ``params``, overridden by ``grade_params`` when ``grading``."""
    specs: Mapping[str, Any] = ex.data.get("params", {})
    if grading and ex.data.get("grade_params"):
        specs = {**specs, **ex.data["grade_params"]}
    return specs


def param_values(spec: Mapping[str, Any]) -> list[Any]:
    """Every value one parameter's range can give (exact sympy numbers), in order."""
    import sympy

    if "choices" in spec:
        values = [sympy.Rational(str(c)) if isinstance(c, (int, float)) else _exact(c) for c in spec["choices"]]
        return list(dict.fromkeys(values))
    lo, step, count = _grid(spec)
    return [lo + step * i for i in range(count + 1)]


def value_count(spec: Mapping[str, Any]) -> int:
    """How many different values one parameter's range can give."""
    if "choices" in spec:
        return len({str(_exact(c)) for c in spec["choices"]})
    return _grid(spec)[2] + 1


def input_space(ex: Exercise, grading: bool = False, names: set[str] | None = None) -> int:
    """How many different parameter draws there are (for ``names`` only, when given): with ``grading``,
    the number of inputs the grader can call a code exercise's function with, what a table of answers
    looked up by input would need to hold."""
    total = 1
    for name, spec in param_specs(ex, grading).items():
        if names is None or name in names:
            total *= value_count(spec)
    return total


def _grid(spec: Mapping[str, Any]) -> tuple[Any, Any, int]:
    """A { min, max, step } range as exact (low, step, last index)."""
    import sympy

    lo, hi = sympy.Rational(str(spec["min"])), sympy.Rational(str(spec["max"]))
    step = sympy.Rational(str(spec.get("step", 1)))
    return lo, step, int((hi - lo) / step)


def _exact(text: object) -> Any:
    from ..mathlang import parse_number

    return parse_number(str(text))
