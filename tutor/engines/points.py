"""Equivalence at points: random rational points, a dense float64 scan of the real line, and interval
arithmetic to prove any difference they find (see :mod:`.equivalence` for the verdicts)."""
from __future__ import annotations

import random
from collections.abc import Callable
from fractions import Fraction
from typing import Any

from ..foundation.i18n import _
from ..mathlang import Parsed
from ..mathlang.evaluate import Backend
from .equivalence import MAX_TRIES, NOT_EQUIVALENT, POINTS, UNDECIDED, Verdict


def _sample(rng: random.Random, k: int) -> Fraction:
    """A random rational: mostly in [-3, 3], sometimes larger or small."""
    choice = k % 4
    if choice == 0:
        v = Fraction(rng.randint(-3000, 3000), 997)
    elif choice == 1:
        v = Fraction(rng.randint(1, 3000), 991)            # positive
    elif choice == 2:
        v = Fraction(rng.randint(-30000, 30000), 983)     # wider
    else:
        v = Fraction(rng.randint(-1000, 1000), 9973)      # near 0
    return v if v != 0 else Fraction(1, 7)


class _NotReal(Exception):
    """A sub-expression left the reals (a square root of a negative, a log of one ...)."""


class _Unknown(Exception):
    """No value to judge by: a magnitude past what is computed in reasonable time and memory."""


_HUGE_BITS = 1 << 22         # results past 2^(4 million) are not computed (a power tower, exp of exp ...)
_GROWS = {"exp", "sinh", "cosh", "sigmoid", "tanh"}


class _GuardedBackend(Backend):
    """mpmath evaluation that stops at the first non-real sub-expression (torch gives nan there: what is
    typed is real only where every part of it is) and refuses magnitudes that would not fit in memory."""

    def __init__(self, dps: int):
        from ..mathlang.evaluate import MpmathBackend

        self.inner = MpmathBackend(dps)
        self.mp = self.inner.mp

    def number(self, value: Any) -> Any:
        return self.inner.number(value)

    def const(self, name: str) -> Any:
        return self.inner.const(name)

    def _real(self, v: Any) -> Any:
        if isinstance(v, int):
            return self.mp.mpf(v)
        if not isinstance(v, type(self.mp.mpf(0))):
            raise _NotReal
        if self.mp.isnan(v):
            raise _Unknown
        return v

    def call(self, name: str, args: list[Any]) -> Any:
        if name in _GROWS and any(self.mp.isfinite(a) and a != 0 and self.mp.mag(a) > 40 for a in args):
            raise _Unknown          # exp of more than 2^40: no value in reasonable time
        return self._real(self.inner.call(name, args))

    def binary(self, op: str, a: Any, b: Any) -> Any:
        mp = self.mp
        if op == "pow" and a != 0 and mp.isfinite(a) and mp.isfinite(b) and b != 0:
            if abs(b) * (abs(mp.mag(a)) + 1) > _HUGE_BITS:
                raise _Unknown
        return self._real(_OPS[op](a, b))


_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b, "pow": lambda a, b: a ** b,
}
REAL, NOT_REAL, NO_VALUE = "real", "not-real", "no-value"


def _value(tree: Any, point: dict[str, Fraction], dps: int) -> tuple[str, Any]:
    """(REAL, value) | (NOT_REAL, None): some part is not real there | (NO_VALUE, None): undefined at
    that point (a division by zero, an infinity), or too large to compute: never a verdict."""
    from ..mathlang.evaluate import evaluate

    backend = _GuardedBackend(dps)
    env = {n: backend.number(v) for n, v in point.items()}
    try:
        v = backend._real(evaluate(tree, env, backend))
    except _NotReal:
        return NOT_REAL, None
    except (_Unknown, ZeroDivisionError, ValueError, OverflowError, MemoryError, RecursionError):
        return NO_VALUE, None
    if not backend.mp.isfinite(v):
        return NO_VALUE, None
    return REAL, v


def _differs(a: Any, b: Any, dps: int) -> bool:
    """Apart by more than the last 12 of ``dps`` digits allow (relative, or absolute below 1)."""
    import mpmath

    return bool(abs(a - b) > mpmath.mpf(10) ** (12 - dps) * max(abs(a), abs(b), 1))


CONFIRM = (40, 80, 160, 320, 640, 1280, 2560)     # digits of the intervals, until they settle


def _confirmed(ref: Parsed, ans: Parsed, point: dict[str, Fraction]) -> tuple[str, Any, Any] | None:
    """What rigorous intervals say at ``point``, at rising precision: ("differ", a, b) once they are
    disjoint; ("domain", a, b) once one side is wholly real and the other wholly not (its missing value
    None); ("equal", dps, None) once both are tight and overlap (cancellation needed ``dps`` digits);
    None if they never settle (no verdict from this point)."""
    from .intervals import NOT_REAL as OUT
    from .intervals import REAL as IN
    from .intervals import disjoint, enclose, narrow

    for dps in CONFIRM:
        (ka, a), (kb, b) = enclose(ref.tree, point, dps), enclose(ans.tree, point, dps)
        if ka == IN and kb == IN:
            if disjoint(a, b):
                return "differ", a.mid, b.mid
            if narrow(a, dps) and narrow(b, dps):
                return "equal", dps, None
        elif {ka, kb} == {IN, OUT}:
            return "domain", a.mid if a is not None else None, b.mid if b is not None else None
        elif ka == OUT and kb == OUT:
            return None
    return None


def _scan_points(names: list[str], trees: list[Any], seed: int) -> dict[str, Any]:
    """A dense set of points for the domain scan, as numpy arrays: for one variable every magnitude from
    1e-9 to 1e9 (20 per decade, both signs) and the neighbourhood of each number typed; for several,
    random log-uniform magnitudes and signs."""
    import numpy as np

    from ..mathlang.tree import Num, walk

    literals = {abs(float(n.value)) for t in trees for n in walk(t) if isinstance(n, Num) and n.value != 0}
    if len(names) == 1:
        mags = list(10 ** np.linspace(-9, 9, 361))
        for c in literals:
            if 1e-300 < c < 1e300:
                for k in (c, c ** 0.5, c ** (1 / 3)):
                    mags += [k * f for f in (0.5, 0.9, 0.999, 1.001, 1.1, 1.5, 2, 3)]
        m = np.array(mags)
        return {names[0]: np.concatenate([m, -m])}
    rng = np.random.default_rng(seed)
    count = 4000
    return {n: rng.choice([-1.0, 1.0], count) * 10 ** rng.uniform(-9, 9, count) for n in names}


def _scan(ref: Parsed, ans: Parsed, names: list[str], seed: int) -> tuple[list[dict[str, Fraction]], set[str]]:
    """Points where float64 sees one side real and the other not (or the two far apart), to be settled by
    intervals; and the variables seen <= 0 where both sides are real."""
    import numpy as np

    from ..mathlang.evaluate import NumpyBackend, evaluate
    from ..mathlang.tree import Call, walk

    trees = [ref.tree, ans.tree]
    if not names or any(isinstance(n, Call) and n.name in ("sum", "mean", "dot") for t in trees for n in walk(t)):
        return [], set()
    env = _scan_points(names, trees, seed)
    backend = NumpyBackend("float64")
    with np.errstate(all="ignore"):
        try:
            a, b = (np.broadcast_to(np.asarray(evaluate(t, env, backend), dtype=float), env[names[0]].shape)
                    for t in trees)
        except (ValueError, TypeError, OverflowError, ZeroDivisionError):
            return [], set()
        fa, fb = np.isfinite(a), np.isfinite(b)
        nan_a, nan_b = np.isnan(a), np.isnan(b)
        both = fa & fb
        apart = both & (np.abs(a - b) > 1e-6 * np.maximum(np.maximum(np.abs(a), np.abs(b)), 1))
    order = [*np.flatnonzero((fa & nan_b) | (fb & nan_a))[:12], *np.flatnonzero(apart)[:6]]
    negative = {n for n in names if (both & (env[n] <= 0)).any()}
    points = [{n: Fraction(float(env[n][i])) for n in names} for i in order]
    return points, negative


def _isolated(ref: Parsed, ans: Parsed, point: dict[str, Fraction]) -> bool:
    """Is a point where one side is real and the other not an isolated one (x^x at x = -1 beside
    exp(x log(x)))?  Yes if, moved a little either way in each variable, the two sides are real or not
    alike: the definition of equivalence allows the real domains to differ at isolated points."""
    step = Fraction(1, 10 ** 7)
    for name, value in point.items():
        size = abs(value) if abs(value) > 1 else Fraction(1)
        for delta in (step * size, -step * size):
            moved = {**point, name: value + delta}
            (ka, _a), (kb, _b) = _value(ref.tree, moved, 40), _value(ans.tree, moved, 40)
            if NO_VALUE in (ka, kb) or ka != kb:
                return False
    return True


def _difference(found: tuple[str, Any, Any], point: dict[str, Fraction], names: list[str], agreed: int) -> Verdict:
    """The "not equivalent" verdict for a difference the intervals proved at ``point``."""
    where = ", ".join(f"{n} = {float(v):.6g}" for n, v in point.items()) or _("every point")
    example = {n: float(v) for n, v in point.items()}
    kind, a2, b2 = found
    if kind == "domain":
        real, unreal = (_("the reference"), _("the answer")) if a2 is not None else (
            _("the answer"), _("the reference"))
        reason = _("at {point} {real} is real ({value}) but {unreal} is not (a square root or log of a "
                   "negative, ...): their real domains differ").format(
            point=where, real=real, value=_short(a2 if a2 is not None else b2), unreal=unreal)
        return Verdict(NOT_EQUIVALENT, reason, "numeric", agreed, counterexample={
            "point": example, "reference": float(a2) if a2 is not None else None,
            "answer": float(b2) if b2 is not None else None}, variables=names)
    return Verdict(
        NOT_EQUIVALENT,
        _("they differ at {point}: reference = {a}, answer = {b}").format(point=where, a=_short(a2), b=_short(b2)),
        "numeric", agreed + 1, counterexample={"point": example, "reference": float(a2), "answer": float(b2)},
        variables=names)


def _numeric(ref: Parsed, ans: Parsed, names: list[str], seed: int) -> tuple[Verdict, set[str]]:
    """A verdict if a point proves a difference (else undecided, with the points that agreed), and the
    variables that were positive at every point where both sides were real (a proof may assume it)."""
    rng = random.Random(seed)
    agreed = 0
    same = ref.tree == ans.tree         # the same tree takes the same value: evaluated once
    negative: set[str] = set()          # variables seen <= 0 where both sides are real
    dps = 40                            # raised for later points once cancellation needed more digits
    blocked = False
    for k in range(MAX_TRIES):
        point = {n: _sample(rng, k + i) for i, n in enumerate(names)}
        ka, a = _value(ref.tree, point, dps)
        kb, b = (ka, a) if same else _value(ans.tree, point, dps)
        if ka == NO_VALUE or kb == NO_VALUE or (ka == NOT_REAL and kb == NOT_REAL):
            continue
        found = None if ka == REAL and kb == REAL and not _differs(a, b, dps) else _confirmed(ref, ans, point)
        if found is None and not (ka == REAL and kb == REAL and not _differs(a, b, dps)):
            if {ka, kb} == {REAL, NOT_REAL}:
                blocked = True          # one side seems real here and the other not: never "equivalent"
            continue                    # never settled: this point proves nothing
        if found is not None and found[0] == "domain" and _isolated(ref, ans, point):
            continue                    # the domains differ at this point only: allowed
        if found is None or found[0] == "equal":
            if found is not None:
                dps = max(dps, found[1])
            agreed += 1
            negative |= {n for n, v in point.items() if v <= 0}
            if agreed >= POINTS or (not names and agreed >= 1):
                break
            continue
        return _difference(found, point, names, agreed), set()
    suspects, scanned_negative = _scan(ref, ans, names, seed)
    negative |= scanned_negative
    for point in suspects:
        (ka, a), (kb, b) = _value(ref.tree, point, 40), _value(ans.tree, point, 40)
        if NO_VALUE in (ka, kb) or ka == kb == NOT_REAL or (ka == kb == REAL and not _differs(a, b, 40)):
            continue                    # float64's nan was an overflow, or neither side is real here
        found = _confirmed(ref, ans, point)
        if found is not None and found[0] == "domain" and _isolated(ref, ans, point):
            continue
        if found is not None and found[0] in ("differ", "domain"):
            return _difference(found, point, names, agreed), set()
        if found is None and {ka, kb} == {REAL, NOT_REAL}:
            blocked = True              # one side seems real here and the other not, and intervals cannot say
    positive = set(names) - negative if agreed else set()
    if blocked:
        return Verdict(UNDECIDED, _("at some points one side seems real and the other not, and that could not "
                                    "be settled: no verdict"), "numeric", agreed, variables=names), set()
    return Verdict(UNDECIDED, "", "numeric", agreed, variables=names), positive


def _constant_confirmed(ref: Parsed, ans: Parsed, names: list[str], constant: Any, seed: int) -> bool:
    """sympy's constant difference, seen again at 300 digits at a point where both sides are real."""
    rng = random.Random(seed + 1)
    for k in range(MAX_TRIES):
        point = {n: _sample(rng, k + i) for i, n in enumerate(names)}
        (ka, a), (kb, b) = _value(ref.tree, point, 300), _value(ans.tree, point, 300)
        if ka == REAL and kb == REAL:
            ctx = a.context                     # the 300-digit one
            want = ctx.mpf(str(constant.evalf(320)))
            return bool(abs((a - b) - want) <= ctx.mpf(10) ** -250 * max(abs(want), 1)) and want != 0
    return False


def _short(x: Any) -> str:
    return f"{float(x):.6g}"
