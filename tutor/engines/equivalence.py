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
    numeric = _numeric(ref, ans, names, seed)
    if numeric.verdict == NOT_EQUIVALENT:
        return numeric
    proved = _symbolic(ref.expr, ans.expr, timeout)
    if proved is True:
        return Verdict(EQUIVALENT, _("sympy reduces reference - answer to 0"), "symbolic",
                       numeric.points_checked, variables=names)
    if proved is False:
        return Verdict(NOT_EQUIVALENT, _("sympy reduces reference - answer to a non-zero constant"),
                       "symbolic", numeric.points_checked, variables=names)
    if numeric.points_checked == 0:
        return Verdict(UNDECIDED, _("no point was found where both expressions are real and finite"),
                       "none", 0, variables=names)
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


def _value(tree: Any, env: dict[str, Any], backend: Any) -> Any:
    from ..mathlang.evaluate import evaluate

    mp = backend.mp
    try:
        v = evaluate(tree, env, backend)
    except (ZeroDivisionError, ValueError, OverflowError):
        return None
    if isinstance(v, (int, float)):
        v = mp.mpf(v)
    if not isinstance(v, type(mp.mpf(0))):
        return None            # complex: outside the real domain
    if not mp.isfinite(v):
        return None
    return v


def _differs(a: Any, b: Any, mp: Any) -> bool:
    scale = max(abs(a), abs(b), mp.mpf(1))
    return bool(abs(a - b) > mp.mpf(10) ** (-(mp.dps - 12)) * scale)


def _numeric(ref: Parsed, ans: Parsed, names: list[str], seed: int) -> Verdict:
    from ..mathlang.evaluate import MpmathBackend

    backend = MpmathBackend(40)
    rng = random.Random(seed)
    agreed = 0
    same = ref.tree == ans.tree         # the same tree takes the same value: evaluated once
    for k in range(MAX_TRIES):
        point = {n: _sample(rng, k + i) for i, n in enumerate(names)}
        env = {n: backend.number(v) for n, v in point.items()}
        a = _value(ref.tree, env, backend)
        b = a if same else _value(ans.tree, env, backend)
        if a is None or b is None:
            continue
        if _differs(a, b, backend.mp):
            # confirm at higher precision before calling it a counterexample
            fine = MpmathBackend(80)
            env2 = {n: fine.number(v) for n, v in point.items()}
            a2, b2 = _value(ref.tree, env2, fine), _value(ans.tree, env2, fine)
            if a2 is not None and b2 is not None and _differs(a2, b2, backend.mp):
                example = {n: float(v) for n, v in point.items()}
                return Verdict(
                    NOT_EQUIVALENT,
                    _("they differ at {point}: reference = {a}, answer = {b}").format(
                        point=", ".join(f"{n} = {float(v):.6g}" for n, v in point.items()) or _("every point"),
                        a=_short(a2), b=_short(b2)),
                    "numeric", agreed + 1,
                    counterexample={"point": example, "reference": float(a2), "answer": float(b2)},
                    variables=names)
            continue
        agreed += 1
        if agreed >= POINTS or (not names and agreed >= 1):
            break
    return Verdict(UNDECIDED, "", "numeric", agreed, variables=names)


def _short(x: Any) -> str:
    return f"{float(x):.6g}"


# ---------------------------------------------------------------- symbolic

def _prove_zero(diff: Any) -> bool | None:
    """Runs in the worker: True if ``diff`` is identically 0, False if it is a
    non-zero constant, None if sympy cannot tell."""
    import sympy

    from ..mathlang.sym import elementary

    d = elementary(diff)
    attempts: list[Callable[[Any], Any]] = [
        lambda e: e,
        lambda e: sympy.expand(e),
        lambda e: sympy.cancel(sympy.together(e)),
        # cheap and strong for tanh/sigmoid/hyperbolic forms; simplify() can take 400 ms on them
        lambda e: sympy.cancel(sympy.together(sympy.expand(e.rewrite(sympy.exp)))),
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
        if r.is_Number and r != 0:
            return False       # a non-zero constant difference
    return None


def _symbolic(ref_expr: Any, ans_expr: Any, timeout: float) -> bool | str | None:
    """True (proved 0), False (a non-zero constant), None (no proof) or "timeout"."""
    diff = ref_expr - ans_expr
    if diff == 0:
        return True
    return _worker().run(diff, timeout)


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

    def run(self, diff: Any, timeout: float) -> bool | str | None:
        if self.proc is None or not self.proc.is_alive():
            self._start()
        try:
            self.conn.send(diff)
            if self.conn.poll(timeout):
                result: bool | None = self.conn.recv()
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
            result = _prove_zero(diff)
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
