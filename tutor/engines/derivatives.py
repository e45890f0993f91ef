"""Derivatives taken with one rule broken: the wrong answers of derive questions, computed.

:func:`wrong_derivative` differentiates as a learner who makes one mistake
would (forgets the chain rule's inner factor, multiplies the derivatives of a
product ...); :func:`numerically_equal` tells whether a typed answer is one of
those (a quick numeric test for classifying, never for grading).
"""
from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import Any

MISTAKES = ("not-differentiated", "integrated", "sign", "chain", "power", "product", "wrong-variable")


def wrong_derivative(expr: Any, wrt: str, variables: Sequence[str], mistake: str) -> Any:
    """d expr / d wrt with ``mistake`` made; None where the mistake cannot be made in this expression."""
    import sympy

    from ..mathlang.sym import derivative

    x = sympy.Symbol(wrt, real=True)
    if mistake == "not-differentiated":
        return expr
    if mistake == "integrated":
        return sympy.integrate(expr, x) if expr.is_polynomial(x) else None
    if mistake == "sign":
        return -derivative(expr, x)
    if mistake == "wrong-variable":
        others = [v for v in variables if v != wrt]
        return derivative(expr, sympy.Symbol(others[0], real=True)) if others else None
    return _mis_diff(expr, x, mistake)


def _mis_diff(e: Any, x: Any, mistake: str) -> Any:
    """Differentiate with one rule broken (None where the broken rule is never used)."""
    import sympy

    used = False

    def product(e: Any) -> Any:
        nonlocal used
        dep = [a for a in e.args if a.has(x)]
        const = sympy.Mul(*[a for a in e.args if not a.has(x)])
        if len(dep) >= 2 and mistake == "product":
            used = True
            return const * sympy.Mul(*[d(a) for a in dep])
        total = sympy.Integer(0)
        for i, a in enumerate(dep):
            total += d(a) * sympy.Mul(*[b for j, b in enumerate(dep) if j != i])
        return const * total

    def power(e: Any) -> Any:
        nonlocal used
        base, n = e.args
        if n.has(x):
            return sympy.diff(e, x)
        inner = d(base)
        if mistake == "power" and n.is_Integer and n > 1:
            used = True
            return n * base ** n * inner
        if mistake == "chain" and base != x and inner != 1:
            used = True
            return n * base ** (n - 1)
        return n * base ** (n - 1) * inner

    def function(e: Any) -> Any:
        nonlocal used
        u = e.args[0]
        du = sympy.Dummy("u", real=True)
        outer = sympy.diff(e.func(du), du).xreplace({du: u})
        if mistake == "chain" and u != x and d(u) != 1:
            used = True
            return outer
        return outer * d(u)

    def d(e: Any) -> Any:
        if not e.has(x):
            return sympy.Integer(0)
        if e == x:
            return sympy.Integer(1)
        if e.is_Add:
            return sympy.Add(*[d(a) for a in e.args])
        if e.is_Mul:
            return product(e)
        if e.is_Pow:
            return power(e)
        if isinstance(e, sympy.Function) and len(e.args) == 1:
            return function(e)
        return sympy.diff(e, x)

    result = d(e)
    return result if used else None


def all_apart(exprs: Sequence[Any], names: Sequence[str]) -> bool:
    """Is no pair of ``exprs`` :func:`numerically_equal`?  The same verdict, with fewer evaluations: each
    expression is evaluated once at the test's first point, and a pair whose values there are real, finite
    and far apart is one the test tells apart at that point; only the other pairs run the test."""
    import sympy

    from ..mathlang.sym import elementary

    rng = random.Random(0)
    first = {sympy.Symbol(n, real=True): sympy.Rational(rng.randint(-2000, 2000), 997) for n in names}
    values: list[float | None] = []
    for e in exprs:
        try:
            v = sympy.N(elementary(e).xreplace(first), 30)
            values.append(float(v) if v.is_real and v.is_finite else None)
        except (TypeError, ValueError, ZeroDivisionError, OverflowError):
            values.append(None)
    for i, a in enumerate(exprs):
        for j in range(i + 1, len(exprs)):
            va, vb = values[i], values[j]
            if va is not None and vb is not None and math.isfinite(va - vb) and \
                    abs(va - vb) > 1e-9 * max(1.0, abs(va), abs(vb)):
                continue           # the test's first point differs by far more than its 1e-20 tolerance
            if numerically_equal(a, exprs[j], names):
                return False
    return True


def numerically_equal(a: Any, b: Any, names: Sequence[str], seed: int = 0, points: int = 6) -> bool:
    """A quick numeric test of two sympy expressions (for classifying, not for grading)."""
    import sympy

    from ..mathlang.sym import elementary

    rng = random.Random(seed)
    syms = [sympy.Symbol(n, real=True) for n in names]
    diff = elementary(a - b)
    checked = 0
    for _i in range(points * 4):
        subs = {s: sympy.Rational(rng.randint(-2000, 2000), 997) for s in syms}
        try:
            value = sympy.N(diff.xreplace(subs), 30)
            ref = sympy.N(elementary(a).xreplace(subs), 30)
        except (TypeError, ValueError, ZeroDivisionError):
            continue
        if not value.is_real or not ref.is_real or value.has(sympy.zoo, sympy.nan):
            continue
        if abs(value) > 1e-20 * max(1, abs(ref)):
            return False
        checked += 1
        if checked >= points:
            return True
    return checked > 0
