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
from ...foundation.i18n import _
from ...mathlang import Parsed, parse
from .kinks import _defined, _element, _kinks, _slopes_where_sympy_fails, _typed, _undefined
from .point import parse_point, parse_values, stored_point
from .report import GradReport, Value, Witnesses, json_float
from .witnesses import fd_witness, sympy_witness, torch_witness

__all__ = ["DTYPES", "GradReport", "Partial", "Value", "Witnesses", "compare", "compute", "parse_point", "parse_values",
           "torch_program", "with_torch", "without_torch"]

DTYPES = ("float64", "float32")
# torch vs sympy, from the reference notes (item 11): float64 is within 5e-16 when
# well conditioned but 9e-9 for tanh'(10) (saturation); float32 within 1e-5.
RTOL = {"float64": 1e-7, "float32": 1e-5}
EPS = {"float64": 2.220446049250313e-16, "float32": 1.1920928955078125e-07}
FD_RTOL = 1e-5



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
