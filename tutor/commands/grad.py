"""``tutor grad``: the three witnesses for every variable at a point."""
from __future__ import annotations

import json
import math
from typing import Any

from ..engines.gradients import GradReport
from ..foundation.errors import TutorError
from ..foundation.i18n import N_, _
from ..foundation.outcome import EXIT_FAIL, EXIT_OK, Outcome, invalid
from ..foundation.term import display_width, fmt_values, pad, style

BUDGET = 3.5        # seconds for the whole answer, past the imports a bounded computation gets the rest
WALK_BUDGET = 10.0  # seconds for --walk, on top (each node's Jacobian, checked against torch's)


def main(*, expression: str, at: list[str], gradient: str | None = None, dtype: str = "float64",
         as_json: bool = False, color: bool = False, steps: bool = False, walk: bool = False,
         dot_file: str | None = None) -> Outcome:
    """Exit status: 0 all agree, 1 they disagree, 2 invalid input.

    ``steps``: also the derivative of each (scalar) variable, rule by rule (:mod:`tutor.engines.steps`).
    ``walk``: also the backward pass node by node, checked against torch (:mod:`tutor.engines.walk`);
    ``dot_file``: its graph written there as Graphviz DOT."""
    import time

    from ..foundation.bounded import bounded
    from ..foundation.text import typed

    # typed with a Chinese input method: full-width ｘ＝３ and （ｘ＋１）＾２ read as x=3 and (x+1)^2
    expression, at = typed(expression), [typed(a) for a in at]
    gradient = None if gradient is None else typed(gradient)
    started = time.monotonic()
    import sympy  # noqa: F401  (loaded before the fork: the child's time goes to the computation)
    import torch  # noqa: F401

    budget = max(1.5, BUDGET - (time.monotonic() - started))
    try:
        report, derivations, walked = bounded(
            lambda: _computed(expression, at, gradient, dtype, steps, False), budget,
            _("the gradient of {expr}").format(expr=expression))
        if walk or dot_file is not None:       # its own time: a walk that cannot finish costs the report nothing
            try:
                walked = bounded(lambda: _walk_of(expression, report), WALK_BUDGET,
                                 _("the walk of {expr}").format(expr=expression),
                                 _("a graph this large takes too long to walk node by node; try fewer elements"))
            except TutorError as exc:
                walked = {"error": exc.one_line(), "code": exc.code}
        if isinstance(walked, dict) and dot_file is not None:
            raise TutorError(walked["error"], code=walked["code"])
        if walked is not None and dot_file is not None:
            from ..engines.walk import dot

            _write(dot_file, dot(walked))
    except TutorError as exc:
        return invalid(exc, as_json)
    walk_failed = isinstance(walked, dict)
    code = EXIT_OK if report.agree and (walked is None or walk_failed or walked.checked) else EXIT_FAIL
    if as_json:
        data = report.to_json()
        if steps:
            data["steps"] = {d.wrt: d.to_json() for d in derivations}
        if walked is not None:
            data["walk"] = walked if walk_failed else walked.to_json()
        return Outcome(stdout=json.dumps(data, indent=2, allow_nan=False), exit_code=code)
    text = render(report, color)
    for derivation in derivations:
        text += "\n\n" + render_steps(derivation, color)
    if walked is not None and walk:
        text += "\n\n" + (style(_("--walk: {reason}").format(reason=walked["error"]), "yellow", enabled=color)
                           if walk_failed else render_walk(walked, color))
    return Outcome(stdout=text, exit_code=code)


def _write(path: str, text: str) -> None:
    from pathlib import Path

    try:
        Path(path).write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        raise TutorError(_("cannot write {path}: {reason}").format(path=path, reason=exc.strerror),
                         code="grad.cannot-write") from None


def render_walk(w: Any, color: bool = False) -> str:
    """The backward pass, node by node (:func:`tutor.engines.walk.lines`), its marks coloured on a terminal."""
    from ..engines.walk import lines

    out = lines(w, ok=style("✓", "green", enabled=color), bad=style("✗", "red", enabled=color))
    out[0] = style(out[0], "bold", enabled=color)
    problems = len(w.problems)
    if problems:
        out[-problems:] = [style(line, "red", enabled=color) for line in out[-problems:]]
    else:
        out[-1] = style(out[-1], "dim", enabled=color)
    return "\n".join(out)


def _computed(expression: str, at: list[str], gradient: str | None, dtype: str, steps: bool,
              walk: bool) -> tuple[Any, list[Any], Any]:
    from ..engines.gradients import compute
    from ..engines.steps import derive_steps

    report = compute(expression, at, gradient=gradient, dtype=dtype)
    if not steps and not walk:
        return report, [], None
    vectors = [n for n, v in report.point.items() if v.vector]
    if vectors and steps:
        raise TutorError(_("{option} works on functions of numbers, and {names} is a vector here: give it as "
                           "a number (each element follows the same rules)").format(
                               option="--steps", names=", ".join(vectors)), code="grad.steps-vector")
    names = set(report.point)
    derivations = [derive_steps(expression, name, names) for name in report.point] if steps else []
    return report, derivations, _walk_of(expression, report) if walk else None


def _walk_of(expression: str, report: Any) -> Any:
    """The walk at the report's point as torch holds it (each value rounded to float64, so that the walk's
    exact values are those of the tensors torch walks; the report's gradient argument is already so), or
    {error, code} saying why it cannot be drawn."""
    import sympy

    from ..engines.walk import walk as backward_walk

    def stored(value: Any) -> Any:
        return sympy.Rational(float(value))

    try:
        weights = [stored(w) for w in report.gradient] if report.gradient is not None else []
        return backward_walk(expression, {name: [stored(x) for x in v.values] if v.vector else stored(v.values[0])
                                          for name, v in report.point.items()}, weights)
    except TutorError as exc:             # (the report above says why; the walk says it cannot be drawn)
        return {"error": exc.one_line(), "code": exc.code}      # (plain data: it crosses a process)


def render_steps(d: Any, color: bool = False) -> str:
    """A derivation, rule by rule (:func:`tutor.engines.steps.lines`), its marks coloured on a terminal."""
    from ..engines.steps import lines

    out = lines(d)
    out[0] = style(out[0], "bold", enabled=color)
    out[-1] = style(out[-1], "dim", enabled=color)
    return "\n".join(style(ln, "red", enabled=color) if ln.rstrip().endswith(_("✗ not shown equal to sympy's "
                                                                               "derivative")) else ln
                     for ln in out)


def render(report: GradReport, color: bool = False) -> str:
    point = ", ".join(f"{name} = {fmt_values(v.floats(), v.vector)}" for name, v in report.point.items())
    head = _("Gradient of {expr} at {point} ({dtype}").format(expr=report.expression, point=point,
                                                             dtype=report.dtype)
    if report.gradient is not None:
        head += _(", backward(gradient={v})").format(v=fmt_values(report.gradient, len(report.output_shape) > 0))
    head += ")"
    lines = [style(head, "bold", enabled=color)]
    vectors = [n for n, v in report.point.items() if v.vector]
    if vectors and any(w.symbolic for w in report.gradients.values()):
        lines.append(style(_("  (in a formula, {names} stands for one element)").format(
            names=", ".join(vectors)), "dim", enabled=color))
    for name in report.gradients:
        lines += [""] + _variable_lines(report, name, color)
    return "\n".join(lines)


def _variable_lines(report: GradReport, name: str, color: bool) -> list[str]:
    w = report.gradients[name]
    vec = report.point[name].vector
    labels = [_("symbolic"), _("sympy"), _("torch autograd"), _("finite difference")]
    width = max(display_width(s) for s in labels) + 2
    lines = [style(f"{name}.grad", "bold", enabled=color)]
    if w.symbolic is not None:
        lines.append(f"  {pad(labels[0], width)}d/d{name} = {w.symbolic}")
    lines.append(f"  {pad(labels[1], width)}{fmt_values(w.sympy, vec)}")
    lines.append(f"  {pad(labels[2], width)}{fmt_values(w.torch, vec)}")
    lines.append(f"  {pad(labels[3], width)}{fmt_values([_round_fd(x) for x in w.finite_difference], vec)}")
    lines.append("  " + _verdict(w, vec, color))
    lines += ["  " + note for note in w.notes]
    for nd in report.nondifferentiable:
        if nd["variable"] == name:
            at = f"[{nd['index']}]" if nd["index"] is not None else ""
            lines.append("  " + style(_("! {name}{at}: {message}; torch gives {value}").format(
                name=name, at=at, message=nd["message"], value=nd["torch"]), "yellow", enabled=color))
    return lines


def _verdict(w: object, vec: bool, color: bool) -> str:
    from ..engines.gradients import Witnesses

    assert isinstance(w, Witnesses)
    if all(s == "unused" for s in w.status):
        return style(_("- not in the graph"), "yellow", enabled=color)
    if w.agree and "nondifferentiable" not in w.status:
        return style(_("✓ all three agree"), "green", enabled=color)
    if w.agree:
        return style(_("✓ agree where the derivative exists"), "green", enabled=color)
    bad = [i for i, s in enumerate(w.status) if s not in ("agree", "nondifferentiable", "unused")]
    where = (_(" at element {i}").format(i=", ".join(str(i) for i in bad))) if vec else ""
    kinds = sorted({_(STATUS[w.status[i]]) for i in bad})
    return style(_("✗ the witnesses disagree{where} ({kinds})").format(where=where, kinds=", ".join(kinds)), "red",
                 enabled=color)


# how each way of disagreeing is named (the JSON keeps the ids)
STATUS = {"mismatch": N_("torch differs from sympy"), "fd-mismatch": N_("the finite difference differs"),
          "saturated": N_("saturated"), "nonfinite": N_("not finite on one side")}


def _round_fd(x: float) -> float:
    """Finite differences carry ~1e-10 noise: show 10 significant digits at most."""
    if x is None or not math.isfinite(x):
        return x
    return float(f"{x:.9g}")
