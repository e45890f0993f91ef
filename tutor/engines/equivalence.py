"""Is an answer equal to a reference over the reals?

1. **Numerically**, at random rational points in the common real domain,
   evaluating what was typed with mpmath at 40 digits.  A point where both
   sides are real and finite but differ (confirmed again at 80 digits) proves
   *not equivalent*.
2. **Symbolically**, when every point agrees: sympy must reduce
   ``reference - answer`` to 0.  That work can take unbounded time, so it runs
   in a separate worker process that is killed when the time limit passes.
   A proof gives *equivalent*; no proof in time gives *undecided*.

A false verdict is the worst bug this tool can have: "undecided" is returned
whenever neither a counterexample nor a proof is at hand.
"""
from __future__ import annotations

import os
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from ..foundation.errors import MathError
from ..foundation.i18n import _
from ..mathlang import Parsed, check_name, parse
from ..mathlang.evaluate import Backend

EQUIVALENT = "equivalent"
NOT_EQUIVALENT = "not_equivalent"
UNDECIDED = "undecided"

POINTS = 12          # agreeing points needed before trying a proof
MAX_TRIES = 80       # random points drawn at most
DEFAULT_TIMEOUT = 3.0


@dataclass
class Verdict:
    verdict: str
    reason: str
    method: str = "numeric"            # numeric | symbolic | none
    points_checked: int = 0
    counterexample: dict[str, Any] | None = None
    variables: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return {EQUIVALENT: 0, NOT_EQUIVALENT: 1, UNDECIDED: 3}[self.verdict]

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "equivalent": {EQUIVALENT: True, NOT_EQUIVALENT: False}.get(self.verdict),
            "reason": self.reason,
            "method": self.method,
            "points_checked": self.points_checked,
            "counterexample": self.counterexample,
            "variables": self.variables,
        }


def check(reference: str, answer: str, variables: Iterable[str] | None = None, *, timeout: float = DEFAULT_TIMEOUT,
          seed: int = 0) -> Verdict:
    """Compare two expressions typed in the math language.

    ``variables``: names allowed in both (default: the reference's names).
    Raises :class:`~tutor.mathlang.MathError` for input that is not math.
    """
    if variables is not None:
        variables = [check_name(v.strip()) for v in variables if v.strip()]
    ref = parse(reference, variables=variables)
    allowed = set(variables) if variables is not None else set(ref.variables)
    try:
        ans = parse(answer, variables=allowed)
    except MathError as exc:
        raise exc.with_reason(_("answer: {reason}").format(reason=exc.reason)) from None
    return compare_parsed(ref, ans, sorted(allowed), timeout=timeout, seed=seed)


def compare_parsed(ref: Parsed, ans: Parsed, names: Iterable[str], *, timeout: float = DEFAULT_TIMEOUT,
                   seed: int = 0) -> Verdict:
    names = sorted(set(names) | set(ref.variables) | set(ans.variables))
    if ref.tree == ans.tree:
        return Verdict(EQUIVALENT, _("the same expression"), "symbolic", 0, variables=names)
    numeric, positive = _numeric(ref, ans, names, seed)
    if numeric.verdict == NOT_EQUIVALENT or numeric.reason:
        return numeric
    if numeric.points_checked == 0:
        return Verdict(UNDECIDED, _("no point was found where both expressions are real and finite"),
                       "none", 0, variables=names)
    proved = _symbolic(ref.expr, ans.expr, timeout, positive)
    if proved is True:
        return Verdict(EQUIVALENT, _("sympy reduces reference - answer to 0"), "symbolic",
                       numeric.points_checked, variables=names)
    if proved not in (True, None, "timeout") and _constant_confirmed(ref, ans, names, proved, seed):
        return Verdict(NOT_EQUIVALENT, _("they differ by a constant, {c}").format(c=_short(proved)),
                       "symbolic", numeric.points_checked, variables=names)
    if proved == "timeout":
        reason = _("equal at {n} random points, but no proof was found within {t:g} s").format(
            n=numeric.points_checked, t=timeout)
    else:
        reason = _("equal at {n} random points, but sympy could not prove it").format(n=numeric.points_checked)
    return Verdict(UNDECIDED, reason, "numeric", numeric.points_checked, variables=names)


# ---------------------------------------------------------------- numeric

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


# ---------------------------------------------------------------- symbolic

def _prove_zero(diff: Any, positive: frozenset[str] = frozenset()) -> bool | Any | None:
    """Runs in the worker: True if ``diff`` is identically 0 (where its variables named in ``positive``
    are positive: they were at every point where both sides are real), a sympy number if it reduces to a
    non-zero constant (the parent checks it numerically), None if sympy cannot tell."""
    import sympy

    from ..mathlang.sym import elementary

    d = elementary(diff)
    if positive:
        d = d.xreplace({s: sympy.Symbol(s.name, positive=True) for s in d.free_symbols if s.name in positive})
    attempts: list[Callable[[Any], Any]] = [
        lambda e: e,
        lambda e: sympy.expand(e),
        lambda e: sympy.cancel(sympy.together(e)),
        # cheap and strong for tanh/sigmoid/hyperbolic forms; simplify() can take 400 ms on them
        lambda e: sympy.cancel(sympy.together(sympy.expand(e.rewrite(sympy.exp)))),
        lambda e: sympy.expand(sympy.expand_log(e)),             # log(x^3) = 3 log(x) where x > 0
        lambda e: sympy.expand(e.rewrite(sympy.asin)),           # acos(x) = pi/2 - asin(x)
        lambda e: sympy.simplify(e),
        lambda e: sympy.simplify(e.rewrite(sympy.exp)),
        lambda e: sympy.simplify(sympy.piecewise_fold(e.rewrite(sympy.Piecewise))),
    ]
    for attempt in attempts:
        try:
            r = attempt(d)
        except Exception:  # sympy gives up in many ways; none of them is a proof
            continue
        if r == 0:
            return True
        if r.is_Number and r.is_finite and r.is_real and r != 0:
            return r           # a non-zero constant difference (nan, zoo, oo never count)
    return None


def _symbolic(ref_expr: Any, ans_expr: Any, timeout: float, positive: frozenset[str] | set[str] = frozenset()) \
        -> bool | Any | str | None:
    """True (proved 0), a sympy number (a non-zero constant), None (no proof) or "timeout"."""
    diff = ref_expr - ans_expr
    if diff == 0:
        return True
    return _worker().run((diff, frozenset(positive)), timeout)


class _Worker:
    """A child process that does the symbolic work and can be killed."""

    def __init__(self) -> None:
        self.proc: Any = None
        self.conn: Any = None

    def _start(self) -> None:
        import multiprocessing as mp

        ctx = mp.get_context("fork")
        parent, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker_main, args=(child,), daemon=True)
        self.proc.start()
        child.close()
        self.conn = parent

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.join(1)
        self.proc = self.conn = None

    def run(self, diff: Any, timeout: float) -> bool | Any | str | None:
        if self.proc is None or not self.proc.is_alive():
            self._start()
        try:
            self.conn.send(diff)
            if self.conn.poll(timeout):
                result: Any = self.conn.recv()
                return result
        except (EOFError, BrokenPipeError, OSError):
            self.stop()
            return None
        self.stop()            # timed out: kill it, the next call starts afresh
        return "timeout"


def _worker_main(conn: Any) -> None:  # pragma: no cover - runs in the child
    while True:
        try:
            diff = conn.recv()
        except (EOFError, OSError):
            return
        try:
            result = _prove_zero(*diff)
        except Exception:
            result = None
        conn.send(result)


_WORKER: _Worker | None = None


def _forget_worker() -> None:
    """In a forked process: the parent's prover stays the parent's (this one starts its own when needed)."""
    global _WORKER
    _WORKER = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_worker)


def _worker() -> _Worker:
    global _WORKER
    if _WORKER is None:
        _WORKER = _Worker()
    return _WORKER
