"""Rigorous enclosures of what was typed, at an exact point: the proof behind "they differ".

Evaluating ``x + 1e100 - 1e100`` with 40 or 80 digits gives 0 whatever x is:
a difference seen at fixed precision can be rounding.  Here every value is an
interval that certainly holds the exact one (mpmath's interval arithmetic;
functions it lacks are enclosed through their monotone pieces, evaluated
with guard digits and widened outward).  Two sides differ at a point only if
their intervals are disjoint; one side is not real there only if its whole
interval leaves the domain (a square root of an interval below 0).  Where an
interval straddles a domain's edge, or a magnitude is past computing, the
answer is "unknown", never a verdict.
"""
from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from ..mathlang.evaluate import Backend, evaluate

HUGE_BITS = 1 << 22


class NotReal(Exception):
    """The whole interval of some part left the reals."""


class Unknown(Exception):
    """No enclosure here: an interval straddles a domain's edge or a pole, or a magnitude is past computing."""


class Enclosure(Backend):
    """Interval evaluation at ``dps`` digits."""

    def __init__(self, dps: int):
        import mpmath
        from mpmath.ctx_iv import MPIntervalContext

        self.iv = MPIntervalContext()
        self.iv.dps = dps
        self.mp = mpmath.mp.clone()
        self.mp.dps = dps + 10
        self.dps = dps

    # ---- pieces
    def number(self, value: Any) -> Any:
        f = value if isinstance(value, Fraction) else Fraction(str(value)) if not isinstance(value, float) \
            else Fraction(value)
        return self.iv.mpf(f.numerator) / f.denominator

    def const(self, name: str) -> Any:
        return self.iv.mpf(self.iv.pi if name == "pi" else self.iv.e)

    def _ends(self, x: Any) -> tuple[Any, Any]:
        if type(x).__name__ == "ivmpc":
            raise NotReal                       # a complex interval
        if not hasattr(x, "a"):
            x = self.iv.mpf(x)
        lo, hi = self.mp.mpf(x.a), self.mp.mpf(x.b)
        if self.mp.isnan(lo) or self.mp.isnan(hi):
            raise Unknown
        return lo, hi

    def _make(self, lo: Any, hi: Any) -> Any:
        """[lo, hi] widened outward by a few units of the working precision (endpoint values are rounded)."""
        mp = self.mp
        pad = mp.mpf(2) ** (-(mp.prec - 8))
        lo = lo - abs(lo) * pad - mp.mpf(2) ** (-(mp.prec * 4))
        hi = hi + abs(hi) * pad + mp.mpf(2) ** (-(mp.prec * 4))
        return self.iv.mpf([lo, hi])

    def _monotone(self, f: Any, x: Any, increasing: bool = True) -> Any:
        lo, hi = self._ends(x)
        a, b = f(lo), f(hi)
        return self._make(a, b) if increasing else self._make(b, a)

    def _within(self, x: Any, lo: Any, hi: Any) -> None:
        """x wholly inside [lo, hi] (None: unbounded), else NotReal if wholly outside, else Unknown."""
        a, b = self._ends(x)
        if (lo is None or a >= lo) and (hi is None or b <= hi):
            return
        if (lo is not None and b < lo) or (hi is not None and a > hi):
            raise NotReal
        raise Unknown

    def _grows(self, x: Any) -> None:
        a, b = self._ends(x)
        if max(abs(a), abs(b)) > 2 ** 40:
            raise Unknown

    def call(self, name: str, args: list[Any]) -> Any:
        iv, mp = self.iv, self.mp
        x = args[0]
        if name in ("sum", "mean"):
            return x
        if name == "dot":
            return x * args[1]
        self._ends(x)
        if name in ("exp", "sinh", "cosh", "tanh", "sigmoid"):
            self._grows(x)
        if name in ("exp", "sin", "cos", "tan"):
            out = getattr(iv, name)(x)
        elif name in ("cot", "sec", "csc"):
            base = {"cot": iv.tan, "sec": iv.cos, "csc": iv.sin}[name](x)
            if 0 in base:
                raise Unknown
            out = 1 / base
        elif name == "sqrt":
            self._within(x, 0, None)
            out = iv.sqrt(x)
        elif name == "log":
            lo, hi = self._ends(x)
            if hi < 0:
                raise NotReal
            if lo <= 0:
                raise Unknown
            out = iv.log(x)
        elif name in ("asin", "acos"):
            self._within(x, -1, 1)
            out = self._monotone(getattr(mp, name), x, increasing=name == "asin")
        elif name in ("atan", "sinh", "tanh", "asinh"):
            out = self._monotone(getattr(mp, name), x)
        elif name == "sigmoid":
            out = self._monotone(lambda v: 1 / (1 + mp.exp(-v)), x)
        elif name == "cosh":
            lo, hi = self._ends(x)
            top = max(mp.cosh(lo), mp.cosh(hi))
            out = self._make(mp.mpf(1) if lo <= 0 <= hi else min(mp.cosh(lo), mp.cosh(hi)), top)
        elif name == "abs":
            lo, hi = self._ends(x)
            out = iv.mpf([0 if lo <= 0 <= hi else min(abs(lo), abs(hi)), max(abs(lo), abs(hi))])
        elif name == "relu":
            lo, hi = self._ends(x)
            out = iv.mpf([max(lo, 0), max(hi, 0)])
        elif name in ("heaviside", "sign"):
            lo, hi = self._ends(x)
            low = (1 if lo > 0 else 0) if name == "heaviside" else mp.sign(lo)
            high = (1 if hi > 0 else 0) if name == "heaviside" else mp.sign(hi)
            out = iv.mpf([low, high])
        else:
            raise Unknown
        self._ends(out)
        return out

    def binary(self, op: str, a: Any, b: Any) -> Any:
        if op == "div":
            if 0 in b:
                raise Unknown
            out = a / b
        elif op == "pow":
            out = self._pow(a, b)
        else:
            out = {"add": lambda: a + b, "sub": lambda: a - b, "mul": lambda: a * b}[op]()
        self._ends(out)
        return out

    def _pow(self, a: Any, b: Any) -> Any:
        mp = self.mp
        alo, ahi = self._ends(a)
        blo, bhi = self._ends(b)
        if max(abs(blo), abs(bhi)) * (max(abs(mp.mag(alo)) if alo else 0, abs(mp.mag(ahi)) if ahi else 0) + 1) \
                > HUGE_BITS:
            raise Unknown
        whole = blo == bhi and blo == int(blo)
        if whole:
            if blo < 0 and alo <= 0 <= ahi:
                raise Unknown
            n = int(blo)
            return a ** n if n >= 0 else 1 / (a ** (-n))
        if alo <= 0 and (blo != bhi and mp.floor(bhi) >= blo):
            raise Unknown                        # the exponent may be a whole number (sqrt(2)^2): no verdict
        if ahi < 0:
            raise NotReal                        # a negative number to a power that is not a whole number
        if alo <= 0:
            raise Unknown
        return self.iv.exp(b * self.iv.log(a))


REAL, NOT_REAL, UNKNOWN = "real", "not-real", "unknown"


def enclose(tree: Any, point: Mapping[str, Fraction], dps: int) -> tuple[str, Any]:
    """(REAL, interval) | (NOT_REAL, None) | (UNKNOWN, None) for ``tree`` at the exact ``point``."""
    backend = Enclosure(dps)
    env = {n: backend.number(v) for n, v in point.items()}
    try:
        out = evaluate(tree, env, backend)
        if not isinstance(out, type(backend.iv.mpf(0))):
            out = backend.number(out) if isinstance(out, (int, Fraction)) else out
        lo, hi = backend._ends(out)
    except NotReal:
        return NOT_REAL, None
    except (Unknown, ZeroDivisionError, ValueError, OverflowError, MemoryError, RecursionError, TypeError):
        return UNKNOWN, None
    if not (backend.mp.isfinite(lo) and backend.mp.isfinite(hi)):
        return UNKNOWN, None
    return REAL, out


def disjoint(a: Any, b: Any) -> bool:
    return bool(a.b < b.a or b.b < a.a)


def narrow(a: Any, dps: int) -> bool:
    """Is the interval as tight as ``dps`` digits allow, give or take 15 (not widened by cancellation)?"""
    import mpmath

    width = mpmath.mpf(a.b) - mpmath.mpf(a.a)
    scale = max(abs(mpmath.mpf(a.a)), abs(mpmath.mpf(a.b)), 1)
    return bool(width <= mpmath.mpf(10) ** (15 - dps) * scale)
