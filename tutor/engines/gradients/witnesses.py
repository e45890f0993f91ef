"""The three witnesses of one gradient.

* **sympy** expands the expression into one exact expression per output
  element (vector variables become element symbols, ``sum``/``mean`` become
  sums), forms the scalar ``L = sum_i v_i * y_i`` exactly as ``backward(v)``
  does (a vector-Jacobian product), and differentiates it exactly.
* **torch** evaluates what the person typed on leaf tensors
  (``requires_grad=True``), calls ``backward`` and reads ``.grad``.
* **finite differences** evaluate ``L`` in numpy float64 at ``x +- h``.
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
    elif "Mismatch in shape" in message:
        hint = _(" --gradient must have the output's shape {shape}.").format(shape=list(y.shape))
        code = "grad.gradient-shape"
    return TutorError(_("torch: {message}").format(message=message) + hint, code=code)


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
    loss = sum((sympy.Rational(vi) * yi for vi, yi in zip(v, ys)), start=sympy.Integer(0))
    subs = {}
    for name, val in point.items():
        if val.vector:
            subs.update(dict(zip(elems[name], stored[name])))
        else:
            subs[syms[name]] = stored[name][0]
    values = {}
    for name, val in point.items():
        targets = elems[name] if val.vector else [syms[name]]
        values[name] = [exact_float(sympy.diff(loss, t), subs) for t in targets]
    shown = _symbolic_display(parsed, point, syms, v, n, out_shape) if symbolic else {}
    return {"values": values, "symbolic": shown}


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
    ones = all(sympy.Rational(x) == 1 for x in v)
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


def real_at(parsed: Parsed, env: dict[str, Any], backend: Any) -> Any:
    """``parsed`` evaluated in ``backend`` (an mpmath one) at ``env``: its real, finite value, else None."""
    mp = backend.mp
    try:
        y = evaluate(parsed.tree, env, backend)
    except (ZeroDivisionError, ValueError, OverflowError, ArithmeticError):
        return None
    y = mp.mpf(y) if isinstance(y, int) else y
    return y if isinstance(y, type(mp.mpf(0))) and mp.isfinite(y) else None


def _fd_exact(parsed: Parsed, point: dict[str, Value], stored: dict[str, list[Any]]) -> dict[str, Any]:
    """Scalar variables: a central difference in 60-digit mpmath, the step 1e-20 of the value's own size
    (accurate at 1e-300 and at 1e300, no overflow, and a pole at 0 stays 1e20 steps away); nan where the
    function is not defined (real, finite) on both sides."""
    from ...mathlang.evaluate import MpmathBackend

    backend = MpmathBackend(60)
    mp = backend.mp
    base = {name: backend.number(stored[name][0]) for name in point}

    def objective(env: dict[str, Any]) -> Any:
        return real_at(parsed, env, backend)

    f0 = objective(base)
    scale = abs(float(f0)) if f0 is not None and mp.isfinite(f0) else 0.0
    values = {}
    for name in point:
        x0 = base[name]
        if f0 is None:                  # not defined at the point itself (a pole): no difference to take
            values[name] = [float("nan")]
            continue
        h = abs(x0) * mp.mpf(10) ** -20 if x0 != 0 else mp.mpf(10) ** -20
        ends = [objective({**base, name: x0 + d}) for d in (h, -h)]
        if ends[0] is None or ends[1] is None:
            values[name] = [float("nan")]
            continue
        for f in ends:
            scale = max(scale, min(abs(float(f)), 1e308))
        values[name] = [float((ends[0] - ends[1]) / (2 * h))]
    return {"values": values, "scale": scale if math.isfinite(scale) else 1e308}


def fd_witness(parsed: Parsed, point: dict[str, Value], stored: dict[str, list[Any]], v: list[Any],
               out_shape: list[int]) -> dict[str, Any]:
    """{"values": {name: [central differences]}, "scale": the largest |L| seen}."""
    import numpy as np

    if not out_shape and not any(val.vector for val in point.values()) and all(float(x) == 1 for x in v):
        return _fd_exact(parsed, point, stored)

    backend = NumpyBackend("float64")
    # numpy scalars, not Python floats: 1/0 is inf there, as in torch, not an exception
    base = {name: np.array([float(x) for x in stored[name]]) if point[name].vector else np.float64(stored[name][0])
            for name in point}
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
