"""Three witnesses for one gradient: sympy, torch autograd, finite differences (``tutor grad``).

Results are compared with dtype-aware relative tolerances after checking
shapes and finiteness; at points where the expression is not differentiable
(``abs``/``relu`` at 0, ``sqrt`` at 0 ..., from the function table) the point
and torch's convention are reported instead of a mismatch.
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ...foundation.errors import TutorError
from ...foundation.i18n import N_, _
from ...mathlang import Parsed, parse
from ...mathlang.functions import FUNCTIONS
from ...mathlang.printing import tree_text
from ...mathlang.tree import BinOp, Call, Node, variables, walk
from .point import parse_point, parse_values, stored_point
from .report import GradReport, Value, Witnesses, json_float
from .witnesses import EXACT_ELEMENTS, Objective, fd_witness, float_env, sympy_witness, torch_witness

__all__ = ["DTYPES", "GradReport", "Partial", "Value", "Witnesses", "compare", "compute", "parse_point", "parse_values",
           "torch_program", "with_torch", "without_torch"]

DTYPES = ("float64", "float32")
# torch vs sympy, from the reference notes (item 11): float64 is within 5e-16 when
# well conditioned but 9e-9 for tanh'(10) (saturation); float32 within 1e-5.
RTOL = {"float64": 1e-7, "float32": 1e-5}
EPS = {"float64": 2.220446049250313e-16, "float32": 1.1920928955078125e-07}
FD_RTOL = 1e-5

# the operators' non-differentiable points (the functions' are in the function table)
OPERATOR_KINKS = {
    "pow": N_("({arg})^p with p < 1 has an infinite slope where {arg} = 0: torch gives inf or nan there"),
    "div": N_("division by zero where {arg} = 0"),
}


@dataclass
class _Setup:
    expression: str
    parsed: Parsed
    point: dict[str, Value]
    dtype: str
    n: int
    v_values: list[Any] | None
    v_vector: bool
    stored: dict[str, list[Any]]


@dataclass
class Partial:
    """The witnesses that need no torch (sympy, finite differences, the non-differentiable points).

    Plain data: it can travel to another process, which adds torch's part
    (:func:`torch_program`, then :func:`with_torch`).
    """

    expression: str
    point: dict[str, Value]
    dtype: str
    used: frozenset[str]                  # the variables in the expression
    gradient: list[float] | None
    output_shape: list[int]
    sym: dict[str, Any]
    fd: dict[str, Any]
    kinks: dict[tuple[str, int], dict[str, str]]
    scale: float
    smooth: dict[tuple[str, int], dict[str, str]] = field(default_factory=dict)   # a kink's argument is 0 there,
    #   but the function is differentiable (sqrt(x - x) at 1): a note only if torch's chain rule says otherwise
    notes: dict[str, list[str]] = field(default_factory=dict)    # per variable: how a reference value was found


def compute(expression: str, at: Mapping[str, Value] | Iterable[str], gradient: str | None = None,
            dtype: str = "float64", *, symbolic: bool = True) -> GradReport:
    """Gradients of ``expression`` at the point ``at`` from the three witnesses.

    ``at``: a mapping name -> Value, or a list of ``VAR=VALUES`` strings.
    ``gradient``: ``None`` or the text of the ``gradient`` argument of backward.
    ``symbolic``: also a readable derivative per variable (display only; it can take sympy long).
    """
    setup = _setup(expression, at, gradient, dtype)
    torch_out = torch_witness(setup.parsed, setup.point, setup.stored, setup.v_values, setup.v_vector, dtype)
    return with_torch(_partial(setup, torch_out["shape"], symbolic), torch_out["grads"])


def without_torch(expression: str, at: Mapping[str, Value] | Iterable[str], dtype: str = "float64", *,
                  symbolic: bool = False) -> Partial:
    """:func:`compute`'s sympy and finite-difference witnesses for a function of scalars (a scalar output,
    no gradient argument); torch's part runs elsewhere."""
    setup = _setup(expression, at, None, dtype)
    if any(v.vector for v in setup.point.values()):
        raise ValueError("without_torch takes scalar variables only")
    return _partial(setup, [], symbolic)


def torch_program(partial: Partial) -> dict[str, Any] | None:
    """The program that gives torch's witness for :func:`without_torch`'s point (the runner's ``programs``
    job; its asks are the variables' .grad in the point's order); None where it cannot be written (a number
    too large for a float: :func:`compute` says why)."""
    from .program import render_program

    try:
        return render_program(parse(partial.expression).tree, stored_point(partial.point, partial.dtype),
                              partial.dtype)
    except OverflowError:
        return None


def _setup(expression: str, at: Mapping[str, Value] | Iterable[str], gradient: str | None, dtype: str) -> _Setup:
    if dtype not in DTYPES:
        raise TutorError(_("--dtype must be float32 or float64"), code="grad.bad-dtype")
    point = dict(at) if isinstance(at, Mapping) else parse_point(at)
    if "\n" in expression or "\r" in expression:       # a line break would read as a multiplication
        raise TutorError(_("the expression must be on one line"), code="grad.bad-expression")
    parsed = parse(expression)
    missing = [v for v in parsed.variables if v not in point]
    if missing:
        raise TutorError(_("no value for {names}: add --at {first}=...").format(
            names=", ".join(missing), first=missing[0]), code="grad.no-value")
    if not point:
        raise TutorError(_("give at least one variable with --at VAR=VALUES"), code="grad.no-point")
    lengths = {len(v.values) for v in point.values() if v.vector}
    if len(lengths) > 1:
        raise TutorError(_("the vectors have different lengths ({lengths}); torch cannot broadcast them").format(
            lengths=", ".join(str(n) for n in sorted(lengths))), code="grad.vector-lengths")
    n = lengths.pop() if lengths else 1
    v_values, v_vector = (None, False) if gradient is None else parse_values(gradient, "--gradient")
    return _Setup(expression, parsed, point, dtype, n, v_values, v_vector, stored_point(point, dtype))


def _partial(setup: _Setup, out_shape: list[int], symbolic: bool) -> Partial:
    parsed, point, stored = setup.parsed, setup.point, setup.stored
    numel = math.prod(out_shape) if out_shape else 1
    v = [1] * numel if setup.v_values is None else setup.v_values
    sym = sympy_witness(parsed, point, stored, v, setup.n, out_shape, symbolic=symbolic)
    fd = fd_witness(parsed, point, stored, v, out_shape)
    notes: dict[str, list[str]] = {}
    _slopes_where_sympy_fails(parsed, point, sym, v, notes)
    smooth: dict[tuple[str, int], dict[str, str]] = {}
    kinks = _kinks(parsed, point, stored, v, sym["values"], smooth)
    kinks.update({key: k for key, k in _undefined(parsed, point, sym, _defined(parsed, point, stored, v)).items()
                  if key not in kinks})
    scale = max((abs(x) for name in point for x in sym["values"][name] if _finite(x)), default=0.0)
    return Partial(setup.expression, point, setup.dtype, frozenset(parsed.variables),
                   None if setup.v_values is None else [float(x) for x in setup.v_values], out_shape, sym, fd,
                   kinks, scale, smooth, notes)


def with_torch(p: Partial, torch_grads: Mapping[str, list[float] | None]) -> GradReport:
    """The report, once torch's gradients (``{name: floats or None}``) are known."""
    p = _torch_at_smooth_kinks(p, torch_grads)
    grads = {name: _witnesses(name, p, torch_grads[name]) for name in p.point}
    nondiff = [
        {"variable": name, "index": i if p.point[name].vector else None, "function": k["function"],
         "message": k["message"], "torch": _component(torch_grads[name], i)}
        for (name, i), k in sorted(p.kinks.items())
    ]
    return GradReport(expression=p.expression, point=p.point, dtype=p.dtype, gradient=p.gradient,
                      output_shape=p.output_shape, gradients=grads, nondifferentiable=nondiff)


def _witnesses(name: str, p: Partial, tor: list[float] | None) -> Witnesses:
    ref = p.sym["values"][name]
    fdv = p.fd["values"][name]
    used = name in p.used
    status, notes = [], []
    for i, r in enumerate(ref):
        if not used:
            status.append("unused")
        elif p.kinks.get((name, i)):
            status.append("nondifferentiable")
        else:
            status.append(compare(r, None if tor is None else tor[i], fdv[i], p.scale, p.fd["scale"], p.dtype,
                                  p.fd.get("exact", False)))
    if not used:
        notes.append(_("{name} does not appear in the expression: torch leaves {name}.grad as None "
                       "(the derivative is 0)").format(name=name))
    notes += p.notes.get(name, [])
    if "saturated" in status:
        notes.append(_("{dtype} rounds this gradient to exactly 0 (saturation, or a cancellation of large "
                       "terms); the true value is not 0. Use float64 to see it.").format(dtype=p.dtype))
    return Witnesses(symbolic=p.sym["symbolic"].get(name), sympy=ref, torch=tor, finite_difference=fdv,
                     status=status, notes=notes)


def _component(values: list[float] | None, i: int) -> float | str | None:
    return None if values is None else json_float(values[i])


def _finite(x: float | None) -> bool:
    return x is not None and math.isfinite(x)


def compare(ref: float, got: float | None, fd: float, scale: float, fscale: float, dtype: str,
            fd_exact: bool = False) -> str:
    """One component: agree | mismatch | fd-mismatch | saturated | nonfinite."""
    if got is None:
        return "mismatch"
    if not _finite(ref) or not _finite(got):
        if _finite(ref) != _finite(got) or ref != got:
            return "nonfinite"
        return "agree"
    rtol = RTOL[dtype]
    # relative tolerance, with a floor tied to the size of the whole gradient
    # (never a lone absolute tolerance: it would let a zero gradient pass)
    atol = rtol * 1e-3 * scale if scale > 0 else 16 * EPS[dtype] * max(1.0, fscale)
    if abs(got - ref) > rtol * abs(ref) + atol:
        if got == 0.0 and ref != 0.0:        # (float64 too: sigmoid'(40) is 4.2e-18, torch's sigmoid(40) is 1)
            return "saturated"
        return "mismatch"
    if not _finite(fd):
        return "agree"          # no finite difference here (not defined on both sides): two witnesses agree
    # + what a float64 difference loses to rounding (none for the mpmath one: it is exact to ~1e-30)
    fd_atol = FD_RTOL * 1e-3 * scale + (0.0 if fd_exact else 1e-8 * fscale) + 1e-12
    if abs(fd - ref) > FD_RTOL * abs(ref) + fd_atol:
        return "fd-mismatch"
    return "agree"


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


def _torch_at_smooth_kinks(p: Partial, torch_grads: Mapping[str, list[float] | None]) -> Partial:
    """Where a differentiable function passes through a kink (sqrt(x - x) at 1) and torch's chain rule
    does not give the slope (inf * 0 is nan), a note that says why, in place of a disagreement."""
    extra: dict[tuple[str, int], dict[str, str]] = {}
    for (name, i), k in p.smooth.items():
        got = torch_grads.get(name)
        ref = p.sym["values"][name][i]
        if got is None or compare(ref, got[i], p.fd["values"][name][i], p.scale, p.fd["scale"], p.dtype,
                                  p.fd.get("exact", False)) == "agree":
            continue
        extra[(name, i)] = {"function": k["function"], "message": _(
            "{expr} is differentiable at {var} = {at} (slope {slope} from both sides), but torch's chain rule "
            "goes through the kink of {name} where {arg} = 0").format(
            expr=p.expression, var=_element(name, i, p.point), at=_typed(p.point[name], i), slope=k["slope"],
            name=k["function"], arg=k["arg"])}
    return dataclasses.replace(p, kinks={**p.kinks, **extra}) if extra else p


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
