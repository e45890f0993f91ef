"""Three witnesses for one gradient: sympy, torch autograd, finite differences.

* **sympy** expands the expression into one exact expression per output
  element (vector variables become element symbols, ``sum``/``mean`` become
  sums), forms the scalar ``L = sum_i v_i * y_i`` exactly as ``backward(v)``
  does (a vector-Jacobian product), and differentiates it exactly.
* **torch** evaluates what the person typed on leaf tensors
  (``requires_grad=True``), calls ``backward`` and reads ``.grad``.
* **finite differences** evaluate ``L`` in numpy float64 at ``x +- h``.

Results are compared with dtype-aware relative tolerances after checking
shapes and finiteness; at points where the expression is not differentiable
(``abs``/``relu`` at 0, ``sqrt`` at 0 ...) the point and torch's convention are
reported instead of a mismatch.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from .errors import TutorError
from .evaluate import NumpyBackend, TorchBackend, evaluate, tree_text, walk
from .i18n import _
from .mathlang import MathError, check_name, parse, parse_number

DTYPES = ("float64", "float32")
# torch vs sympy, from the reference notes (item 11): float64 is within 5e-16 when
# well conditioned but 9e-9 for tanh'(10) (saturation); float32 within 1e-5.
RTOL = {"float64": 1e-7, "float32": 1e-5}
EPS = {"float64": 2.220446049250313e-16, "float32": 1.1920928955078125e-07}
FD_RTOL = 1e-5
MAX_ELEMENTS = 200

KINK_MESSAGES = {
    "abs": "abs({arg}) has a corner where {arg} = 0: torch uses the slope 0 there (sign(0) = 0)",
    "relu": "relu({arg}) has a corner where {arg} = 0: torch uses the slope 0 there",
    "sqrt": "sqrt({arg}) has an infinite slope where {arg} = 0: torch gives inf there (nan once multiplied by 0)",
    "pow": "({arg})^p with p < 1 has an infinite slope where {arg} = 0: torch gives inf or nan there",
    "log": "log({arg}) is -inf where {arg} = 0: its slope is infinite",
    "div": "division by zero where {arg} = 0",
}


@dataclass
class Value:
    """A point coordinate: a scalar or a vector, exactly as typed."""

    name: str
    values: list            # exact sympy numbers
    vector: bool

    def floats(self):
        return [float(v) for v in self.values]


@dataclass
class Witnesses:
    symbolic: str | None
    sympy: list
    torch: list | None
    finite_difference: list
    status: list = field(default_factory=list)   # per component
    notes: list = field(default_factory=list)

    @property
    def agree(self) -> bool:
        return all(s in ("agree", "nondifferentiable", "unused") for s in self.status)

    def to_json(self):
        return {
            "symbolic": self.symbolic,
            "sympy": [_json_float(v) for v in self.sympy],
            "torch": None if self.torch is None else [_json_float(v) for v in self.torch],
            "finite_difference": [_json_float(v) for v in self.finite_difference],
            "status": self.status,
            "agree": self.agree,
            "notes": self.notes,
        }


@dataclass
class GradReport:
    expression: str
    point: dict
    dtype: str
    gradient: list | None
    output_shape: list
    gradients: dict
    nondifferentiable: list

    @property
    def agree(self) -> bool:
        return all(w.agree for w in self.gradients.values())

    def to_json(self):
        return {
            "expression": self.expression,
            "point": {k: (v.floats() if v.vector else float(v.values[0])) for k, v in self.point.items()},
            "dtype": self.dtype,
            "gradient": self.gradient,
            "output_shape": self.output_shape,
            "gradients": {k: w.to_json() for k, w in self.gradients.items()},
            "nondifferentiable": self.nondifferentiable,
            "agree": self.agree,
        }


def _json_float(v):
    if v is None:
        return None
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def parse_values(spec: str, what: str) -> tuple[list, bool]:
    """``3`` -> ([3], False); ``1,2`` or ``3,`` -> ([1, 2], True)."""
    spec = spec.strip()
    vector = "," in spec
    parts = [p for p in spec.split(",")] if vector else [spec]
    if vector and parts and not parts[-1].strip():
        parts = parts[:-1]
    if not parts or any(not p.strip() for p in parts):
        raise TutorError(_("{what}: expected a number or comma-separated numbers, got '{spec}'").format(
            what=what, spec=spec))
    if len(parts) > MAX_ELEMENTS:
        raise TutorError(_("{what}: at most {n} elements").format(what=what, n=MAX_ELEMENTS))
    values = []
    for p in parts:
        try:
            values.append(parse_number(p))
        except MathError as exc:
            raise TutorError(_("{what}: {reason}").format(what=what, reason=exc.reason)) from None
    return values, vector


def parse_point(assignments) -> dict:
    """``["a=2,3", "b=6,4"]`` -> {name: Value}."""
    point: dict[str, Value] = {}
    for item in assignments:
        if "=" not in item:
            raise TutorError(_("--at expects VAR=VALUES, e.g. --at x=3 or --at x=1,2,3; got '{item}'").format(
                item=item))
        name, spec = item.split("=", 1)
        name = name.strip()
        try:
            check_name(name)
        except MathError as exc:
            raise TutorError(exc.reason) from None
        if name in point:
            raise TutorError(_("--at gives '{name}' twice").format(name=name))
        values, vector = parse_values(spec, f"--at {name}")
        point[name] = Value(name, values, vector)
    return point


def compute(expression: str, at, gradient: str | None = None, dtype: str = "float64") -> GradReport:
    """Gradients of ``expression`` at the point ``at`` from the three witnesses.

    ``at``: a mapping name -> Value, or a list of ``VAR=VALUES`` strings.
    ``gradient``: ``None`` or the text of the ``gradient`` argument of backward.
    """
    if dtype not in DTYPES:
        raise TutorError(_("--dtype must be float32 or float64"))
    point = at if isinstance(at, dict) else parse_point(at)
    parsed = parse(expression)
    missing = [v for v in parsed.variables if v not in point]
    if missing:
        raise TutorError(_("no value for {names}: add --at {first}=...").format(
            names=", ".join(missing), first=missing[0]))
    if not point:
        raise TutorError(_("give at least one variable with --at VAR=VALUES"))
    lengths = {len(v.values) for v in point.values() if v.vector}
    if len(lengths) > 1:
        raise TutorError(_("the vectors have different lengths ({lengths}); torch cannot broadcast them").format(
            lengths=", ".join(str(n) for n in sorted(lengths))))
    n = lengths.pop() if lengths else 1
    v_values, v_vector = (None, False) if gradient is None else parse_values(gradient, "--gradient")
    stored = _stored_point(point, dtype)

    torch_out = _torch_witness(parsed, point, stored, v_values, v_vector, dtype)
    out_shape = torch_out["shape"]
    numel = math.prod(out_shape) if out_shape else 1
    v = [1] * numel if v_values is None else v_values

    sym = _sympy_witness(parsed, point, stored, v, n, out_shape)
    fd = _fd_witness(parsed, point, stored, v, out_shape)
    kinks = _kinks(parsed, point, stored, n)

    grads = {}
    all_ref = [abs(x) for name in point for x in sym["values"][name] if _finite(x)]
    scale = max(all_ref, default=0.0)
    fscale = fd["scale"]
    for name, val in point.items():
        ref = sym["values"][name]
        tor = torch_out["grads"][name]
        fdv = fd["values"][name]
        status, notes = [], []
        used = name in parsed.variables
        for i, r in enumerate(ref):
            kink = kinks.get((name, i))
            if not used:
                status.append("unused")
                continue
            if kink:
                status.append("nondifferentiable")
                continue
            t = None if tor is None else tor[i]
            status.append(_compare(r, t, fdv[i], scale, fscale, dtype))
        if not used:
            notes.append(_("{name} does not appear in the expression: torch leaves {name}.grad as None "
                           "(the derivative is 0)").format(name=name))
        if "saturated" in status:
            notes.append(_("{dtype} rounds this gradient to exactly 0 (saturation); the true value is not 0. "
                           "Use float64 to see it.").format(dtype=dtype))
        grads[name] = Witnesses(
            symbolic=sym["symbolic"].get(name), sympy=ref, torch=tor, finite_difference=fdv,
            status=status, notes=notes)
    nondiff = [
        {"variable": name, "index": i if point[name].vector else None, "function": k["function"],
         "message": k["message"], "torch": _json_float(torch_out["grads"][name][i])
         if torch_out["grads"][name] is not None else None}
        for (name, i), k in sorted(kinks.items())
    ]
    return GradReport(
        expression=expression, point=point, dtype=dtype,
        gradient=None if v_values is None else [float(x) for x in v_values],
        output_shape=out_shape, gradients=grads, nondifferentiable=nondiff)


def _finite(x) -> bool:
    return x is not None and math.isfinite(x)


def _compare(ref, got, fd, scale, fscale, dtype) -> str:
    """One component: agree | mismatch | fd-mismatch | saturated | nonfinite."""
    if got is None:
        return "mismatch"
    if not _finite(ref) or not _finite(got):
        if ref is not None and got is not None and math.isnan(ref) and math.isnan(got):
            return "agree"
        if _finite(ref) != _finite(got) or ref != got:
            return "nonfinite"
        return "agree"
    rtol = RTOL[dtype]
    # relative tolerance, with a floor tied to the size of the whole gradient
    # (never a lone absolute tolerance: it would let a zero gradient pass)
    atol = rtol * 1e-3 * scale if scale > 0 else 16 * EPS[dtype] * max(1.0, fscale)
    if abs(got - ref) > rtol * abs(ref) + atol:
        if got == 0.0 and ref != 0.0 and dtype == "float32":
            return "saturated"
        return "mismatch"
    fd_atol = FD_RTOL * 1e-3 * scale + 1e-8 * fscale
    if not _finite(fd) or abs(fd - ref) > FD_RTOL * abs(ref) + fd_atol:
        return "fd-mismatch"
    return "agree"


def _stored_point(point, dtype):
    """The inputs as the dtype stores them, as exact rationals (compare like with like)."""
    import numpy as np
    import sympy

    np_dtype = getattr(np, dtype)
    stored = {}
    for name, val in point.items():
        out = []
        for x in val.values:
            f = float(x)
            if not math.isfinite(f):
                raise TutorError(_("--at {name}: the value is too large").format(name=name))
            out.append(sympy.Rational(float(np_dtype(f))))
        stored[name] = out
    return stored


def _torch_witness(parsed, point, stored, v_values, v_vector, dtype):
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
            raise TutorError(_("a number in the expression is too large for {dtype}").format(dtype=dtype)) from None
        if not isinstance(y, torch.Tensor) or not y.requires_grad:
            raise TutorError(_(
                "torch: element 0 of tensors does not require grad and does not have a grad_fn "
                "(the expression does not depend on any variable, so there is nothing to differentiate)"))
        grad_arg = None
        if v_values is not None:
            data = [float(x) for x in v_values]
            grad_arg = torch.tensor(data if v_vector else data[0], dtype=tdtype)
        try:
            y.backward(gradient=grad_arg)
        except RuntimeError as exc:
            message = str(exc).splitlines()[0]
            hint = ""
            if "implicitly created only for scalar outputs" in message:
                hint = _(" The output has shape {shape}: pass --gradient with {n} comma-separated values "
                         "(the v of y.backward(v)), or reduce it with sum(...) or mean(...).").format(
                    shape=list(y.shape), n=y.numel())
            elif "Mismatch in shape" in message:
                hint = _(" --gradient must have the output's shape {shape}.").format(shape=list(y.shape))
            raise TutorError(_("torch: {message}").format(message=message) + hint) from None
    grads = {}
    for name, leaf in leaves.items():
        g = leaf.grad
        grads[name] = None if g is None else [float(x) for x in g.detach().reshape(-1).tolist()]
    return {"shape": list(y.shape), "grads": grads}


def _element_symbols(point):
    import sympy

    elems = {}
    for name, val in point.items():
        if val.vector:
            elems[name] = [sympy.Symbol(f"{name}[{i}]", real=True) for i in range(len(val.values))]
    return elems


def _sympy_witness(parsed, point, stored, v, n, out_shape):
    import sympy

    from .sym import expand_elements

    syms = {name: sympy.Symbol(name, real=True) for name in point}
    elems = _element_symbols(point)
    env = {name: elems[name] if val.vector else [syms[name]] for name, val in point.items()}
    ys, _vec = expand_elements(parsed.tree, env, {name: val.vector for name, val in point.items()})
    L = sum((sympy.Rational(vi) * yi for vi, yi in zip(v, ys)), start=sympy.Integer(0))
    subs = {}
    for name, val in point.items():
        if val.vector:
            subs.update(dict(zip(elems[name], stored[name])))
        else:
            subs[syms[name]] = stored[name][0]
    values = {}
    for name, val in point.items():
        targets = elems[name] if val.vector else [syms[name]]
        values[name] = [_exact_float(sympy.diff(L, t), subs) for t in targets]
    return {"values": values, "symbolic": _symbolic_display(parsed, point, syms, v, n, out_shape)}


def _exact_float(expr, subs):
    import sympy

    try:
        value = expr.xreplace(subs)
        value = value.doit() if value.has(sympy.Derivative, sympy.Subs) else value
        if value.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
            if value.has(sympy.nan) or value is sympy.zoo:
                return float("nan") if value.has(sympy.nan) else float("inf")
            return float(value)
        num = sympy.N(value, 30)
        if not num.is_real:
            return float("nan")
        return float(num)
    except (TypeError, ValueError, ZeroDivisionError):
        return float("nan")


def _symbolic_display(parsed, point, syms, v, n, out_shape):
    """A readable derivative per variable (None where it has no short form).

    For a vector variable x the formula is per element: x stands for x_i
    (and v for v_i, the i-th entry of the gradient argument).
    """
    import sympy

    from .sym import VMean, VSum, to_text

    expr = parsed.expr
    ones = all(sympy.Rational(x) == 1 for x in v)
    vsym = sympy.Symbol("v", real=True)
    vector_out = bool(out_shape)
    objective = expr if not vector_out else (VSum(expr) if ones else VSum(vsym * expr))
    reductions = sorted(objective.atoms(VSum, VMean), key=sympy.default_sort_key)
    # nested reductions have no short per-element form; without them every reduction is outermost
    if any(r.args[0].has(VSum, VMean) for r in reductions):
        return {}
    stand_ins = {r: sympy.Dummy(f"r{k}") for k, r in enumerate(reductions)}
    g = objective.xreplace(stand_ins)
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
            if not val.vector:
                is_vec = any(syms[k] in u.free_symbols for k in point if point[k].vector) or vsym in u.free_symbols
                inner = VSum(inner) if is_vec else inner
            if isinstance(r, VMean):
                inner = inner / n
            total += coef * inner
        total = total.xreplace({d: r for r, d in stand_ins.items()})
        out[name] = to_text(sympy.simplify(total) if total.count_ops() < 40 else total)
    return out


def _fd_witness(parsed, point, stored, v, out_shape):
    import numpy as np

    backend = NumpyBackend("float64")
    base = {name: np.array([float(x) for x in stored[name]]) if point[name].vector else float(stored[name][0])
            for name in point}
    weights = np.array([float(x) for x in v]).reshape(out_shape) if out_shape else float(v[0])

    def objective(env):
        with np.errstate(all="ignore"):
            y = evaluate(parsed.tree, env, backend)
            return float(np.sum(weights * y))

    with np.errstate(all="ignore"):
        f0 = objective(base)
    scale = abs(f0) if math.isfinite(f0) else 0.0
    values = {}
    for name, val in point.items():
        comps = []
        for i in range(len(val.values)):
            x0 = float(stored[name][i])
            h = 6e-6 * max(1.0, abs(x0))

            def shifted(delta):
                env = dict(base)
                if val.vector:
                    arr = base[name].copy()
                    arr[i] = x0 + delta
                    env[name] = arr
                else:
                    env[name] = x0 + delta
                return objective(env)

            fp, fm = shifted(h), shifted(-h)
            for f in (fp, fm):
                if math.isfinite(f):
                    scale = max(scale, abs(f))
            comps.append((fp - fm) / (2 * h))
        values[name] = comps
    return {"values": values, "scale": scale}


def _kinks(parsed, point, stored, n):
    """{(variable, index): {...}} for components at non-differentiable points."""
    import numpy as np

    backend = NumpyBackend("float64")
    env = {name: np.array([float(x) for x in stored[name]]) if point[name].vector else float(stored[name][0])
           for name in point}
    found = {}
    for node in walk(parsed.tree):
        kind, arg = None, None
        if node[0] == "call" and node[1] in ("abs", "relu", "sqrt", "log"):
            kind, arg = node[1], node[2][0]
        elif node[0] == "pow" and node[2][0] == "num" and not node[2][1].is_Integer and node[2][1] < 1:
            kind, arg = "pow", node[1]
        elif node[0] == "pow" and node[2][0] == "num" and node[2][1].is_Integer and node[2][1] < 0:
            kind, arg = "div", node[1]
        elif node[0] == "div":
            kind, arg = "div", node[2]
        if kind is None:
            continue
        with np.errstate(all="ignore"):
            value = np.asarray(evaluate(arg, env, backend), dtype=float)
        zero = value == 0
        if not zero.any():
            continue
        message = _(KINK_MESSAGES[kind]).format(arg=tree_text(arg))
        idx = set(np.flatnonzero(zero.reshape(-1)).tolist()) if value.ndim else None
        depends = {n[1] for n in walk(arg) if n[0] == "var"}
        for name, val in point.items():
            if name not in depends:
                continue
            for i in range(len(val.values)):
                if idx is None or not val.vector or i in idx:
                    found.setdefault((name, i), {"function": kind, "message": message})
    return found
