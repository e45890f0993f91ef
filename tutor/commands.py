"""What each command does, free of click: options in, text and an exit status out.

The CLI (:mod:`tutor.cli`) parses options and calls one function here; other
front ends can call the same functions.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from .errors import USER_ERRORS
from .i18n import _
from .term import fmt_values, style

EXIT_OK = 0
EXIT_FAIL = 1
EXIT_INVALID = 2
EXIT_UNDECIDED = 3


@dataclass
class Outcome:
    stdout: str = ""
    stderr: str = ""
    exit_code: int = EXIT_OK


def _invalid(exc, as_json: bool) -> Outcome:
    reason = exc.one_line()
    out = json.dumps({"error": reason}) if as_json else ""
    return Outcome(stdout=out, stderr=_("error: {reason}").format(reason=reason), exit_code=EXIT_INVALID)


def grad(expression: str, at: list[str], gradient: str | None = None, dtype: str = "float64",
         as_json: bool = False, color: bool = False) -> Outcome:
    """``tutor grad``: the three witnesses for every variable at a point."""
    from .gradients import compute

    try:
        report = compute(expression, at, gradient=gradient, dtype=dtype)
    except USER_ERRORS as exc:
        return _invalid(exc, as_json)
    code = EXIT_OK if report.agree else EXIT_FAIL
    if as_json:
        return Outcome(stdout=json.dumps(report.to_json(), indent=2), exit_code=code)
    return Outcome(stdout=render_grad(report, color), exit_code=code)


def render_grad(report, color: bool = False) -> str:
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
    labels = [_("symbolic"), _("sympy"), _("torch autograd"), _("finite difference")]
    width = max(len(s) for s in labels) + 2
    for name, w in report.gradients.items():
        vec = report.point[name].vector
        lines.append("")
        lines.append(style(f"{name}.grad", "bold", enabled=color))
        if w.symbolic is not None:
            lines.append(f"  {labels[0]:<{width}}d/d{name} = {w.symbolic}")
        lines.append(f"  {labels[1]:<{width}}{fmt_values(w.sympy, vec)}")
        lines.append(f"  {labels[2]:<{width}}{fmt_values(w.torch, vec)}")
        lines.append(f"  {labels[3]:<{width}}{fmt_values([_round_fd(x) for x in w.finite_difference], vec)}")
        if all(s == "unused" for s in w.status):
            lines.append("  " + style(_("- not in the graph"), "yellow", enabled=color))
        elif w.agree and "nondifferentiable" not in w.status:
            lines.append("  " + style(_("✓ all three agree"), "green", enabled=color))
        elif w.agree:
            lines.append("  " + style(_("✓ agree where the derivative exists"), "green", enabled=color))
        else:
            bad = [i for i, s in enumerate(w.status) if s not in ("agree", "nondifferentiable", "unused")]
            where = (_(" at element {i}").format(i=", ".join(str(i) for i in bad))) if vec else ""
            kinds = sorted({w.status[i] for i in bad})
            lines.append("  " + style(_("✗ the witnesses disagree{where} ({kinds})").format(
                where=where, kinds=", ".join(kinds)), "red", enabled=color))
        for note in w.notes:
            lines.append("  " + note)
        for nd in report.nondifferentiable:
            if nd["variable"] == name:
                at = f"[{nd['index']}]" if nd["index"] is not None else ""
                lines.append("  " + style(_("! {name}{at}: {message}; torch gives {value}").format(
                    name=name, at=at, message=nd["message"], value=nd["torch"]), "yellow", enabled=color))
    return "\n".join(lines)


def _round_fd(x):
    """Finite differences carry ~1e-10 noise: show 10 significant digits at most."""
    if x is None or x != x or x in (float("inf"), float("-inf")):
        return x
    return float(f"{x:.9g}")


def equiv(reference: str, answer: str, variables: str | None = None, as_json: bool = False,
          timeout: float = 3.0, color: bool = False) -> Outcome:
    """``tutor equiv``: 0 equivalent, 1 not equivalent, 2 invalid input, 3 undecided."""
    from .equivalence import EQUIVALENT, NOT_EQUIVALENT, check

    names = None if variables is None else [v for v in variables.split(",")]
    try:
        verdict = check(reference, answer, names, timeout=timeout)
    except USER_ERRORS as exc:
        return _invalid(exc, as_json)
    if as_json:
        return Outcome(stdout=json.dumps(verdict.to_json()), exit_code=verdict.exit_code)
    word = {EQUIVALENT: (_("equivalent"), "green"), NOT_EQUIVALENT: (_("not equivalent"), "red")}.get(
        verdict.verdict, (_("undecided"), "yellow"))
    text = style(word[0], word[1], "bold", enabled=color) + ": " + verdict.reason
    return Outcome(stdout=text, exit_code=verdict.exit_code)


def list_exercises(directory=None, topics=(), kinds=(), as_json: bool = False, color: bool = False) -> Outcome:
    """``tutor list``: the bank's exercises, optionally filtered."""
    from . import bank

    try:
        chosen = bank.select(bank.load(directory), topics=topics, kinds=kinds)
    except USER_ERRORS as exc:
        return _invalid(exc, as_json)
    if as_json:
        return Outcome(stdout=json.dumps([ex.summary() for ex in chosen], indent=2))
    if not chosen:
        return Outcome(stdout=_("No exercises match."))
    width = max(len(ex.id) for ex in chosen)
    lines = []
    for topic, label in bank.TOPICS.items():
        rows = [ex for ex in chosen if ex.topic == topic]
        if not rows:
            continue
        lines.append(style(f"{topic}  ({label})", "bold", enabled=color))
        for ex in rows:
            lines.append(f"  {ex.id:<{width}}  {style(f'{ex.kind:<8}', 'cyan', enabled=color)}  {ex.title}")
        lines.append("")
    lines.append(_("{n} exercises").format(n=len(chosen)))
    return Outcome(stdout="\n".join(lines))


def check(directory=None, seeds: int = 5, solutions=None, as_json: bool = False, color: bool = False,
          progress=None) -> Outcome:
    """``tutor check``: validate and verify a bank; exit 1 with file and reason on any failure."""
    from .checkbank import check_bank

    report = check_bank(directory, seeds=seeds, solutions=solutions, progress=progress)
    code = EXIT_OK if report.ok else EXIT_FAIL
    if as_json:
        return Outcome(stdout=json.dumps(report.to_json(), indent=2), exit_code=code)
    lines = []
    for p in report.problems:
        lines.append(style("✗ ", "red", enabled=color) + p.line())
    for note in report.notes:
        lines.append(style("! ", "yellow", enabled=color) + note)
    rate = report.variants / report.seconds if report.seconds else 0.0
    summary = _("{n} exercises, {v} variants verified in {s:.1f} s ({r:.1f} variants/s)").format(
        n=report.exercises, v=report.variants, s=report.seconds, r=rate)
    if report.ok:
        lines.append(style("✓ ", "green", enabled=color) + summary)
    else:
        lines.append(style(_("{p} problem(s); ").format(p=len(report.problems)), "red", enabled=color) + summary)
    return Outcome(stdout="\n".join(lines), exit_code=code)


def quiz(options, read, write, as_json: bool = False, color: bool = False, store=None) -> int:
    """``tutor quiz``: run the loop; events go to ``write`` as text or JSON lines."""
    from .progress import Store
    from .quiz import render_event, run

    def emit(event):
        if as_json:
            write(json.dumps(event, ensure_ascii=False))
        else:
            write(render_event(event, color))

    own = store is None
    store = store or Store()
    try:
        return run(options, read, emit, store)
    except USER_ERRORS as exc:
        if as_json:
            write(json.dumps({"event": "error", "error": exc.one_line()}))
        else:
            write(_("error: {reason}").format(reason=exc.one_line()))
        return EXIT_INVALID
    finally:
        if own:
            store.close()


def progress(as_json: bool = False, reset: bool = False, color: bool = False) -> Outcome:
    """``tutor progress``: mastery per topic from the saved answers."""
    from .progress import Store
    from .quiz import render_progress

    store = Store()
    try:
        if reset:
            path = store.path
            store.close()
            for suffix in ("", "-wal", "-shm"):
                target = path.with_name(path.name + suffix)
                if target.exists():
                    target.unlink()
            return Outcome(stdout=_("Progress erased ({path}).").format(path=path))
        mastery, boxes = store.mastery(), store.boxes()
        if as_json:
            return Outcome(stdout=json.dumps({"topics": mastery, "exercises": boxes, "database": str(store.path)},
                                             indent=2))
        return Outcome(stdout=render_progress(mastery, boxes, color))
    finally:
        if not reset:
            store.close()
