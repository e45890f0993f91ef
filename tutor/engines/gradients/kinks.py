"""Where a gradient needs care: kinks (abs, relu, sqrt at 0, division by zero), points where the function or
sympy's derivative has no value, and the one-sided slopes (exact differences) that decide between them."""
from __future__ import annotations

import math
from typing import Any

from ...foundation.errors import TutorError
from ...foundation.i18n import N_, _
from ...mathlang import Parsed, parse
from ...mathlang.functions import FUNCTIONS
from ...mathlang.printing import tree_text
from ...mathlang.tree import BinOp, Call, Node, variables, walk
from .report import Value
from .witnesses import EXACT_ELEMENTS, Objective, float_env

# the operators' non-differentiable points (the functions' are in the function table)
OPERATOR_KINKS = {
    "pow": N_("({arg})^p with p < 1 has an infinite slope where {arg} = 0: torch gives inf or nan there"),
    "div": N_("division by zero where {arg} = 0"),
}


def _kink_of(node: Node) -> tuple[str, str, Node] | None:
    """(name, message template, the argument that is 0 at the kink) for a node that can have one."""
    if isinstance(node, Call) and FUNCTIONS[node.name].kink is not None:
        kink = FUNCTIONS[node.name].kink
        assert kink is not None
        return node.name, kink.message, node.args[0]
    if isinstance(node, BinOp) and node.op == "pow" and not variables(node.right):
        try:
            p = parse(tree_text(node.right)).expr        # a constant exponent, however written (-2, 1/2 ...)
        except TutorError:
            p = None
        if p is not None and p.is_Number and p.is_real:
            if not p.is_Integer and p < 1:
                return "pow", OPERATOR_KINKS["pow"], node.left
            if p.is_Integer and p < 0:
                return "div", OPERATOR_KINKS["div"], node.left
    if isinstance(node, BinOp) and node.op == "div":
        return "div", OPERATOR_KINKS["div"], node.right
    return None


def _kinks(parsed: Parsed, point: dict[str, Value], stored: dict[str, list[Any]], v: list[Any],
           sym: dict[str, list[float]], smooth: dict[tuple[str, int], dict[str, str]] | None = None,
           ) -> dict[tuple[str, int], dict[str, str]]:
    """{(variable, index): {"function", "message"}} for components at non-differentiable points: where a
    kink's argument is 0 in float64 or at the point exactly as typed (3x - 0.3 at x = 0.1, sin(x) at pi);
    for a function of scalars only where the one-sided slopes really differ (x|x| and relu(x)^2 are
    differentiable at 0), and then the message says which kind (a corner, an infinite slope).  The kinks a
    differentiable function passes through go to ``smooth``, with the slope both sides agree on."""
    import numpy as np

    from ...mathlang.evaluate import NumpyBackend, evaluate

    backend = NumpyBackend("float64")
    env = float_env(point, stored)
    found: dict[tuple[str, int], dict[str, str]] = {}
    for node in walk(parsed.tree):
        kink = _kink_of(node)
        if kink is None:
            continue
        name, template, arg = kink
        with np.errstate(all="ignore"):
            value = np.asarray(evaluate(arg, env, backend), dtype=float)
        zero = value == 0
        exact = _exact_zeros(arg, point, value.size if value.ndim else 1)
        if not zero.any() and not exact:
            continue
        message = _(template).format(arg=tree_text(arg), name=name)
        idx = set(np.flatnonzero(zero.reshape(-1)).tolist()) | exact if value.ndim else None
        depends = variables(arg)
        for var, val in point.items():
            if var not in depends:
                continue
            for i in range(len(val.values)):
                if idx is None or not val.vector or i in idx:
                    found.setdefault((var, i), {"function": name, "message": message, "arg": tree_text(arg)})
    if found and sum(len(val.values) for val in point.values()) <= EXACT_ELEMENTS:
        typed = Objective(parsed, point, {n: list(val.values) for n, val in point.items()}, v)
        for (var, i), k in list(found.items()):
            sides = _one_sided(typed, var, i)
            if sides is None:
                continue
            left, right = sides
            if abs(left - right) <= 1e-9 * (1 + abs(left) + abs(right)) and max(abs(left), abs(right)) < 1e12:
                slope = (left + right) / 2
                ref = sym[var][i]
                if math.isfinite(ref) and abs(ref - slope) <= 1e-7 * (1 + abs(slope)):
                    del found[(var, i)]             # the slopes meet: differentiable there after all
                    if smooth is not None:
                        smooth[(var, i)] = {**k, "slope": f"{slope:.6g}", "arg": k.get("arg", "")}
                else:                               # ... but not with the kink's convention
                    k["message"] = _("{expr} is differentiable at {var} = {at} (slope {slope} from both sides), "
                                     "but the convention at the kink of {name} gives another value").format(
                        expr=tree_text(parsed.tree), var=_element(var, i, point), at=_typed(point[var], i),
                        slope=f"{slope:.6g}", name=k["function"])
            elif max(abs(left), abs(right)) >= 1e12:
                k["message"] = _("{expr} has an infinite slope at {var} = {at}").format(
                    expr=tree_text(parsed.tree), var=_element(var, i, point), at=_typed(point[var], i))
            else:
                k["message"] = _("{expr} has a corner at {var} = {at}: slope {left} from the left, {right} "
                                 "from the right").format(expr=tree_text(parsed.tree), var=_element(var, i, point),
                                                          at=_typed(point[var], i), left=f"{left:.6g}",
                                                          right=f"{right:.6g}")
    return found


def _slopes_where_sympy_fails(parsed: Parsed, point: dict[str, Value], sym: dict[str, Any], v: list[Any],
                              notes: dict[str, list[str]]) -> None:
    """Where sympy's derivative is not finite at the point but the function has one slope from both sides
    (0^x at 1: sympy's 0^x log(0) is nan; x^2 sin(1/x) at 0), that slope is the reference, with a note."""
    values = sym["values"]
    bad = [(name, i) for name, val in point.items() for i in range(len(val.values))
           if not math.isfinite(values[name][i]) and not math.isfinite(sym["typed"][name][i])]
    if not bad or sum(len(val.values) for val in point.values()) > EXACT_ELEMENTS:
        return
    typed = Objective(parsed, point, {n: list(val.values) for n, val in point.items()}, v)
    for name, i in bad:
        sides = _one_sided(typed, name, i)
        if sides is None or not all(math.isfinite(s) and abs(s) < 1e12 for s in sides):
            continue
        left, right = sides
        if abs(left - right) > 1e-9 * (1 + abs(left) + abs(right)):
            continue
        slope = (left + right) / 2
        values[name][i] = sym["typed"][name][i] = slope
        notes.setdefault(name, []).append(_(
            "sympy's formula has no value at {var} = {at}, but {expr} has the slope {slope} there from both "
            "sides (exact differences): that is the reference").format(
            var=_element(name, i, point), at=_typed(point[name], i), expr=tree_text(parsed.tree),
            slope=f"{slope:.6g}"))


def _undefined(parsed: Parsed, point: dict[str, Value], sym: dict[str, Any],
               defined: bool) -> dict[tuple[str, int], dict[str, str]]:
    """Components with no derivative although no kink says so: the function is not real and finite at the
    point (``defined``: log(x) at -1), or its derivative is not (sympy, at the stored point or exactly at the
    typed one: tan(x) at pi/2, asin(x) at 1)."""
    expr = tree_text(parsed.tree)
    found: dict[tuple[str, int], dict[str, str]] = {}
    if not defined:
        at = ", ".join(f"{name} = {_typed(val)}" for name, val in point.items())
        message = _("{expr} is not a real, finite number at {at}: it has no derivative there").format(
            expr=expr, at=at)
        return {(name, i): {"function": "undefined", "message": message}
                for name, val in point.items() for i in range(len(val.values))}
    for name, val in point.items():
        for i in range(len(val.values)):
            stored_value, typed_value = sym["values"][name][i], sym["typed"][name][i]
            if math.isfinite(stored_value) and math.isfinite(typed_value):
                continue
            if math.isfinite(stored_value):
                message = _("{expr} has no derivative at {var} = {at} exactly (it is not finite there); torch "
                            "computes at the nearest float, where it is").format(
                    expr=expr, var=_element(name, i, point), at=_typed(val, i))
            else:
                message = _("{expr} has no finite real derivative at {var} = {at}").format(
                    expr=expr, var=_element(name, i, point), at=_typed(val, i))
            found[(name, i)] = {"function": "undefined", "message": message}
    return found


def _defined(parsed: Parsed, point: dict[str, Value], stored: dict[str, list[Any]], v: list[Any]) -> bool:
    """Is L = sum(v * y) a real, finite number at the stored point (mpmath; numpy for large vectors)?"""
    if sum(len(val.values) for val in point.values()) <= EXACT_ELEMENTS:
        return Objective(parsed, point, stored, v)() is not None
    import numpy as np

    from ...mathlang.evaluate import NumpyBackend, evaluate

    env = float_env(point, stored)
    with np.errstate(all="ignore"):
        y = np.asarray(evaluate(parsed.tree, env, NumpyBackend("float64")))
    return bool(np.isreal(y).all() and np.isfinite(y).all())


def _typed(value: Value, i: int | None = None) -> str:
    from ...mathlang.sym import to_text

    return to_text(value.values[i]) if i is not None else ", ".join(to_text(v) for v in value.values)


def _element(var: str, i: int, point: dict[str, Value]) -> str:
    return f"{var}[{i}]" if point[var].vector else var


def _exact_zeros(arg: Node, point: dict[str, Value], n: int) -> set[int]:
    """The elements where ``arg`` is 0 at the point exactly as typed (not as rounded to float64): 3x - 0.3 at
    x = 0.1, sin(x) at pi; at most 64 elements are looked at."""
    import sympy

    if n > EXACT_ELEMENTS:
        return set()
    try:
        expr = parse(tree_text(arg)).expr
    except TutorError:
        return set()
    out = set()
    for i in range(n):
        try:
            exact = expr.xreplace({s: point[s.name].values[i if point[s.name].vector else 0]
                                   for s in expr.free_symbols if s.name in point})
            if sympy.simplify(exact) == 0:
                out.add(i)
        except Exception:          # sympy cannot say: no kink from this check
            continue
    return out


def _one_sided(f: Objective, var: str, i: int) -> tuple[float, float] | None:
    """The slopes of L from the left and from the right in element i of ``var``, at the point as typed
    (80-digit differences, steps 1e-30 of the value's size); None where L is not defined (real, finite) at the
    point, (inf, inf) where it is not beside it."""
    mp = f.mp
    x0 = f.element(var, i)
    h = max(abs(x0), mp.mpf(1)) * mp.mpf(10) ** -30
    lo, mid, hi = f.moved(var, i, -h), f(), f.moved(var, i, h)
    if mid is None:
        return None
    if lo is None or hi is None:
        return (float("inf"), float("inf"))
    left, right = float((mid - lo) / h), float((hi - mid) / h)
    tiny = 1e-20 * (1 + max(abs(left), abs(right)))          # the step's own noise, shown as 0
    return (0.0 if abs(left) < tiny else left), (0.0 if abs(right) < tiny else right)
