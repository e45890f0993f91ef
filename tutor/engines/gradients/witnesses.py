"""The three witnesses of one gradient.

* **sympy** expands the expression into one exact expression per output
  element (vector variables become element symbols, ``sum``/``mean`` become
  sums), forms the scalar ``L = sum_i v_i * y_i`` exactly as ``backward(v)``
  does (a vector-Jacobian product), and differentiates it exactly.
* **torch** evaluates what the person typed on leaf tensors
  (``requires_grad=True``), calls ``backward`` and reads ``.grad``.
* **finite differences** evaluate ``L`` at ``x +- h``: in 80-digit mpmath with a step 1e-40 of each
  element's size (up to 64 input elements), else in numpy float64.
"""
from __future__ import annotations

import math
from typing import Any

from ...foundation.errors import TutorError
from ...foundation.i18n import _
from ...mathlang import Parsed
from ...mathlang.evaluate import NumpyBackend, TorchBackend, evaluate
from ..scenario.model import ERR_NO_GRAD_FN
from .report import Value


def torch_witness(parsed: Parsed, point: dict[str, Value], stored: dict[str, list[Any]],
                  v_values: list[Any] | None, v_vector: bool, dtype: str) -> dict[str, Any]:
    """{"shape": output shape, "grads": {name: [floats] or None}}; torch's errors as TutorError."""
    import torch

    tdtype = getattr(torch, dtype)
    leaves = {}
    for name, val in point.items():
        data = [float(x) for x in stored[name]]
        leaves[name] = torch.tensor(data if val.vector else data[0], dtype=tdtype, requires_grad=True)
    with torch.enable_grad():
        try:
            y = evaluate(parsed.tree, leaves, TorchBackend(dtype))
        except OverflowError:
            raise TutorError(_("a number in the expression is too large for {dtype}").format(dtype=dtype),
                             code="grad.number-too-large") from None
        if not isinstance(y, torch.Tensor) or not y.requires_grad:
            raise TutorError(_("torch: {message} (the expression does not depend on any variable, so there is "
                               "nothing to differentiate)").format(message=ERR_NO_GRAD_FN), code="grad.constant")
        grad_arg = None
        if v_values is not None:
            data = [float(x) for x in v_values]
            grad_arg = torch.tensor(data if v_vector else data[0], dtype=tdtype)
        try:
            y.backward(gradient=grad_arg)  # type: ignore[no-untyped-call]
        except RuntimeError as exc:
            raise _torch_error(str(exc).splitlines()[0], y) from None
    grads = {}
    for name, leaf in leaves.items():
        g = leaf.grad
        grads[name] = None if g is None else [float(x) for x in g.detach().reshape(-1).tolist()]
    return {"shape": list(y.shape), "grads": grads}


def _torch_error(message: str, y: Any) -> TutorError:
    """torch's own words, with what to do about them."""
    hint, code = "", "grad.torch-error"
    if "implicitly created only for scalar outputs" in message:
        hint = _(" The output has shape {shape}: pass --gradient with {n} comma-separated values "
                 "(the v of y.backward(v)), or reduce it with sum(...) or mean(...).").format(
            shape=list(y.shape), n=y.numel())
        code = "grad.non-scalar"
    elif "real scalar outputs" in message and y.is_complex():
        hint = _(" A negative number to a fractional power is not a real number: torch computed it as a complex "
                 "one, which has no real gradient (write the real root another way, e.g. -(8^(1/3))).")
        code = "grad.complex"
    elif "Mismatch in shape" in message:
        hint = _(" --gradient must have the output's shape {shape}.").format(shape=list(y.shape))
        code = "grad.gradient-shape"
    return TutorError(_("torch: {message}").format(message=message) + hint, code=code, data={"shape": list(y.shape)})


def _element_symbols(point: dict[str, Value]) -> dict[str, list[Any]]:
    import sympy

    return {name: [sympy.Symbol(f"{name}[{i}]", real=True) for i in range(len(val.values))]
            for name, val in point.items() if val.vector}


def sympy_witness(parsed: Parsed, point: dict[str, Value], stored: dict[str, list[Any]], v: list[Any], n: int,
                  out_shape: list[int], *, symbolic: bool = True) -> dict[str, Any]:
    """{"values": {name: [floats]}, "symbolic": {name: derivative as text}} (``symbolic``: that readable
    form is for display, and simplifying it can cost more than the rest: {} without it)."""
    import sympy

    from ...mathlang.sym import expand_elements

    syms = {name: sympy.Symbol(name, real=True) for name in point}
    elems = _element_symbols(point)
    env = {name: elems[name] if val.vector else [syms[name]] for name, val in point.items()}
    ys, _vec = expand_elements(parsed.tree, env, {name: val.vector for name, val in point.items()})
    loss = sum((sympy.sympify(vi) * yi for vi, yi in zip(v, ys)), start=sympy.Integer(0))
    subs, typed = {}, {}
    for name, val in point.items():
        if val.vector:
            subs.update(dict(zip(elems[name], stored[name])))
            typed.update(dict(zip(elems[name], val.values)))
        else:
            subs[syms[name]] = stored[name][0]
            typed[syms[name]] = val.values[0]
    exact = all(typed[k] == subs[k] for k in subs)
    values, at_typed = {}, {}
    for name, val in point.items():
        targets = elems[name] if val.vector else [syms[name]]
        derivatives = [sympy.diff(loss, t) for t in targets]
        values[name] = [exact_float(d, subs) for d in derivatives]
        # the point exactly as typed (pi/2, not the float nearest it): a pole there is no derivative
        at_typed[name] = values[name] if exact else [exact_float(d, typed) for d in derivatives]
    shown = _symbolic_display(parsed, point, syms, v, n, out_shape) if symbolic else {}
    return {"values": values, "typed": at_typed, "symbolic": shown}


def exact_float(expr: Any, subs: dict[Any, Any]) -> float:
    import sympy

    try:
        value = expr.xreplace(subs)
        value = value.doit() if value.has(sympy.Derivative, sympy.Subs) else value
        if value.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
            if value.has(sympy.nan) or value.has(sympy.zoo):
                return float("nan")         # undefined (complex infinity has no sign)
            return float(value)
        num = sympy.N(value, 30)
        if not num.is_real:
            return float("nan")
        return float(num)
    except (TypeError, ValueError, ZeroDivisionError):
        return float("nan")


def _symbolic_display(parsed: Parsed, point: dict[str, Value], syms: dict[str, Any], v: list[Any], n: int,
                      out_shape: list[int]) -> dict[str, str]:
    """A readable derivative per variable (none where it has no short form).

    For a vector variable x the formula is per element: x stands for x_i
    (and v for v_i, the i-th entry of the gradient argument).
    """
    import sympy

    from ...mathlang.sym import VMean, VSum, to_text

    expr = parsed.expr
    ones = all(sympy.sympify(x) == 1 for x in v)
    vsym = sympy.Symbol("v", real=True)
    objective = expr if not out_shape else (VSum(expr) if ones else VSum(vsym * expr))
    reductions = sorted(objective.atoms(VSum, VMean), key=sympy.default_sort_key)
    # nested reductions have no short per-element form; without them every reduction is outermost
    if any(r.args[0].has(VSum, VMean) for r in reductions):
        return {}
    stand_ins = {r: sympy.Dummy(f"r{k}") for k, r in enumerate(reductions)}
    g = objective.xreplace(stand_ins)
    vectors = {syms[k] for k in point if point[k].vector} | {vsym}
    out = {}
    for name, val in point.items():
        s = syms[name]
        total = sympy.diff(g, s) if not val.vector else sympy.Integer(0)
        for r, d in stand_ins.items():
            coef = sympy.diff(g, d)
            if coef == 0:
                continue
            u = r.args[0]
            inner = sympy.diff(u, s)
            if not val.vector and u.free_symbols & vectors:
                inner = VSum(inner)
            if isinstance(r, VMean):
                inner = inner / n
            total += coef * inner
        total = total.xreplace({d: r for r, d in stand_ins.items()})
        total = total.replace(sympy.DiracDelta, lambda *args: sympy.Integer(0))     # as sym.derivative does
        simpler = sympy.simplify(total) if total.count_ops() < 40 else total
        # a Piecewise (simplify's form of sign) has no form in the math language
        out[name] = to_text(total if simpler.has(sympy.Piecewise) else simpler)
    return out


def float_env(point: dict[str, Value], stored: dict[str, list[Any]]) -> dict[str, Any]:
    """The stored point as numpy float64 values (arrays for vectors; numpy scalars, not Python floats: 1/0 is
    inf there, as in torch, not an exception)."""
    import numpy as np

    return {name: np.array([float(x) for x in stored[name]]) if point[name].vector else np.float64(stored[name][0])
            for name in point}


EXACT_ELEMENTS = 64         # up to this many input elements, the finite difference is taken in mpmath


class Objective:
    """L = sum(v * y) in ``dps``-digit mpmath (y element by element for vectors): its real, finite value at a
    point, else None.  ``at``: the point's values (exact numbers) by name."""

    def __init__(self, parsed: Parsed, point: dict[str, Value], at: dict[str, list[Any]], v: list[Any],
                 dps: int = 80):
        from ...mathlang.evaluate import MpmathVectorBackend

        self.parsed, self.point = parsed, point
        self.backend = MpmathVectorBackend(dps)
        self.mp = self.backend.mp
        self.weights = [self._number(x) for x in v]
        self.base = {name: ([self._number(x) for x in at[name]] if point[name].vector
                            else self._number(at[name][0])) for name in point}

    def _number(self, x: Any) -> Any:
        """An exact number (a rational, or pi/2, e ...) at the context's precision."""
        import sympy

        x = sympy.sympify(x) if not isinstance(x, sympy.Basic) else x
        if x.is_Rational:
            return self.backend.number(x)
        return self.mp.mpf(str(sympy.N(x, self.mp.dps + 10)))

    def __call__(self, env: dict[str, Any] | None = None) -> Any:
        mp = self.mp
        try:
            y = evaluate(self.parsed.tree, env or self.base, self.backend)
        except (ZeroDivisionError, ValueError, OverflowError, ArithmeticError, TypeError):
            return None
        ys = y if isinstance(y, list) else [y]
        if len(ys) != len(self.weights) and len(self.weights) != 1:
            return None
        total = mp.mpf(0)
        for w, e in zip(self.weights if len(self.weights) == len(ys) else self.weights * len(ys), ys):
            e = mp.mpf(e) if isinstance(e, int) else e
            if not isinstance(e, type(mp.mpf(0))) or not mp.isfinite(e):
                return None
            total += w * e
        return total if mp.isfinite(total) else None

    def moved(self, name: str, i: int, delta: Any) -> Any:
        """L with element i of ``name`` moved by ``delta``."""
        env = dict(self.base)
        if self.point[name].vector:
            values = list(self.base[name])
            values[i] = values[i] + delta
            env[name] = values
        else:
            env[name] = self.base[name] + delta
        return self(env)

    def element(self, name: str, i: int) -> Any:
        return self.base[name][i] if self.point[name].vector else self.base[name]


def _fd_exact(parsed: Parsed, point: dict[str, Value], stored: dict[str, list[Any]],
              v: list[Any]) -> dict[str, Any]:
    """A central difference per element in mpmath, the step 1e-40 of the element's own size: accurate at
    1e-300 and at 1e300, for sin(x) at x = 1e22, no overflow, and a pole stays 1e40 steps away; nan where
    the function is not defined (real, finite) on both sides.  The precision escalates (80, 160 ... 1280
    digits) until two in a row give the same differences: sum(x^2) at x = 1e200, 1 needs 440 digits to see
    the 1 beside 1e400."""
    previous = None
    # enough digits to see a step of 1e-40 of the smallest element against the size of L itself
    first = Objective(parsed, point, stored, v)
    size = first()
    steps = [abs(first.element(name, i)) for name, val in point.items() for i in range(len(val.values))]
    smallest = min((x for x in steps if x != 0), default=first.mp.mpf(1))
    need = 40 + 30 + int(max(0, float(first.mp.log10(abs(size))) if size else 0)
                         - min(0, float(first.mp.log10(smallest))))
    start = min(max(80, need), 2560)
    for dps in (start, 2 * start, 4 * start):
        got = _fd_at(parsed, point, stored, v, dps)
        if previous is not None and _same(previous["values"], got["values"]):
            return got
        previous = got
    assert previous is not None
    return previous


def _same(a: dict[str, list[float]], b: dict[str, list[float]]) -> bool:
    return all((math.isnan(x) and math.isnan(y)) or abs(x - y) <= 1e-9 * max(abs(x), abs(y), 1e-300)
               for name in a for x, y in zip(a[name], b[name]))


def _fd_at(parsed: Parsed, point: dict[str, Value], stored: dict[str, list[Any]], v: list[Any],
           dps: int) -> dict[str, Any]:
    f = Objective(parsed, point, stored, v, dps)
    mp = f.mp
    f0 = f()
    scale = abs(float(f0)) if f0 is not None else 0.0
    values = {}
    for name, val in point.items():
        comps = []
        for i in range(len(val.values)):
            x0 = f.element(name, i)
            h = abs(x0) * mp.mpf(10) ** -40 if x0 != 0 else mp.mpf(10) ** -40
            lo, hi = (f.moved(name, i, h), f.moved(name, i, -h)) if f0 is not None else (None, None)
            if lo is None or hi is None:
                comps.append(float("nan"))
                continue
            scale = max(scale, min(abs(float(lo)), 1e308), min(abs(float(hi)), 1e308))
            comps.append(float((lo - hi) / (2 * h)))
        values[name] = comps
    return {"values": values, "scale": scale if math.isfinite(scale) else 1e308, "exact": True}


def fd_witness(parsed: Parsed, point: dict[str, Value], stored: dict[str, list[Any]], v: list[Any],
               out_shape: list[int]) -> dict[str, Any]:
    """{"values": {name: [central differences]}, "scale": the largest |L| seen}."""
    import numpy as np

    if sum(len(val.values) for val in point.values()) <= EXACT_ELEMENTS:
        return _fd_exact(parsed, point, stored, v)

    backend = NumpyBackend("float64")
    base = float_env(point, stored)
    weights = np.array([float(x) for x in v]).reshape(out_shape) if out_shape else float(v[0])

    def objective(env: dict[str, Any]) -> float:
        with np.errstate(all="ignore"):
            y = evaluate(parsed.tree, env, backend)
            return float(np.sum(weights * y))

    f0 = objective(base)
    scale = abs(f0) if math.isfinite(f0) else 0.0
    values = {}
    for name, val in point.items():
        comps = []
        for i in range(len(val.values)):
            x0 = float(stored[name][i])
            h = 6e-6 * max(1.0, abs(x0))
            shifted = []
            for delta in (h, -h):
                env = dict(base)
                if val.vector:
                    arr = np.array(base[name], copy=True)
                    arr[i] = x0 + delta
                    env[name] = arr
                else:
                    env[name] = np.float64(x0 + delta)
                shifted.append(objective(env))
            for f in shifted:
                if math.isfinite(f):
                    scale = max(scale, abs(f))
            comps.append((shifted[0] - shifted[1]) / (2 * h))
        values[name] = comps
    return {"values": values, "scale": scale}
