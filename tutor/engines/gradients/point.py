"""The point a gradient is taken at: ``--at a=2,3 --at b=6,4``, read exactly."""
from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

from ...foundation.errors import MathError, TutorError
from ...foundation.i18n import _
from ...mathlang import check_name, parse_number
from .report import Value

MAX_ELEMENTS = 200


def parse_values(spec: str, what: str) -> tuple[list[Any], bool]:
    """``3`` -> ([3], False); ``1,2`` or ``3,`` -> ([1, 2], True)."""
    spec = spec.strip()
    vector = "," in spec
    parts = list(spec.split(",")) if vector else [spec]
    if vector and parts and not parts[-1].strip():
        parts = parts[:-1]
    if not parts or any(not p.strip() for p in parts):
        raise TutorError(_("{what}: expected a number or comma-separated numbers, got '{spec}'").format(
            what=what, spec=spec), code="grad.bad-values")
    if len(parts) > MAX_ELEMENTS:
        raise TutorError(_("{what}: at most {n} elements").format(what=what, n=MAX_ELEMENTS),
                         code="grad.too-many-elements")
    values = []
    for p in parts:
        if re.fullmatch(r"\s*[-+]?(?:\d+\.?\d*|\.\d+)[eE]\s*", p):     # 1e: an exponent left out, not 1*e
            raise TutorError(_("{what}: '{text}' has no exponent after e (1e3 is 1000); for the number e "
                               "times it, write {n}*e").format(what=what, text=p.strip(),
                                                               n=p.strip()[:-1]), code="grad.bad-values")
        try:
            values.append(parse_number(p))
        except MathError as exc:
            raise TutorError(_("{what}: {reason}").format(what=what, reason=exc.reason), code=exc.code) from None
        try:
            finite = math.isfinite(float(values[-1]))
        except (OverflowError, TypeError, ValueError):
            finite = False
        if not finite:
            raise TutorError(_("{what}: {value} is too large for a float (at most about 1.8e308)").format(
                what=what, value=p.strip()), code="grad.number-too-large")
    return values, vector


def parse_point(assignments: Iterable[str]) -> dict[str, Value]:
    """``["a=2,3", "b=6,4"]`` -> {name: Value}."""
    point: dict[str, Value] = {}
    for item in assignments:
        if "=" not in item:
            raise TutorError(_("--at expects VAR=VALUES, e.g. --at x=3 or --at x=1,2,3; got '{item}'").format(
                item=item), code="grad.bad-at")
        name, spec = item.split("=", 1)
        name = name.strip()
        try:
            check_name(name)
        except MathError as exc:
            raise TutorError(exc.reason, code=exc.code) from None
        if name in point:
            raise TutorError(_("--at gives '{name}' twice").format(name=name), code="grad.duplicate-variable")
        values, vector = parse_values(spec, f"--at {name}")
        point[name] = Value(name, values, vector)
    return point


def stored_point(point: dict[str, Value], dtype: str) -> dict[str, list[Any]]:
    """The inputs as the dtype stores them, as exact rationals (compare like with like)."""
    import numpy as np
    import sympy

    np_dtype = getattr(np, dtype)
    stored = {}
    for name, val in point.items():
        out = []
        for x in val.values:
            f = float(x)
            if not math.isfinite(f):
                raise TutorError(_("--at {name}: the value is too large").format(name=name),
                                 code="grad.value-too-large")
            with np.errstate(over="ignore"):
                kept = float(np_dtype(f))
            if not math.isfinite(kept):
                raise TutorError(_("--at {name}: {value} is beyond {dtype}'s range (about {top}): torch would "
                                   "store inf; use --dtype float64").format(
                    name=name, value=f"{f:g}", dtype=dtype, top=f"{float(np.finfo(np_dtype).max):.3g}"),
                    code="grad.value-too-large")
            out.append(sympy.Rational(kept))
        stored[name] = out
    return stored
