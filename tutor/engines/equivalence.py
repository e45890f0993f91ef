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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
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
    if ref.tree == ans.tree:
        return Verdict(EQUIVALENT, _("the same expression"), "symbolic", 0, variables=names)
    from .points import _constant_confirmed, _numeric, _short

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
