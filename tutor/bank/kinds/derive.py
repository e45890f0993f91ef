"""``derive``: type a (partial) derivative; graded by equivalence."""
from __future__ import annotations

import random
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from ...foundation.document import Block, Code, DisplayMath, Equations, Inline, Math, Para
from ...foundation.errors import MathError, TutorError
from ...foundation.i18n import _
from ..model import Candidate, Exercise, Judgement, Variant
from . import CheckContext, ExerciseKind, Fail, Outcome, Prepared, WorkFile

Derivatives = dict[str, Any]       # wrt -> the exact derivative (sympy)


class Derive(ExerciseKind[Derivatives]):
    name: ClassVar[str] = "derive"
    order: ClassVar[int] = 10
    fields: ClassVar[tuple[str, ...]] = ("function", "variables", "wrt", "answer")
    misconceptions: ClassVar[tuple[str, ...]] = (
        "derive.not-differentiated", "derive.integrated", "derive.missing-chain-factor", "derive.sign",
        "derive.power-rule", "derive.product-rule", "derive.wrong-variable")

    def validate(self, item: Mapping[str, Any], root: Path, fail: Fail) -> None:
        from ...mathlang import check_name, parse

        if not isinstance(item.get("function"), str):
            fail("function", _("must be an expression in the math language"), "bank.bad-function")
        variables = item.get("variables")
        if not isinstance(variables, list) or not variables or not all(isinstance(v, str) for v in variables):
            fail("variables", _("must be a non-empty list of names"), "bank.bad-variables")
        wrt = item.get("wrt", variables)
        if not isinstance(wrt, list) or not wrt or any(w not in variables for w in wrt):
            fail("wrt", _("must list some of the variables"), "bank.bad-wrt")
        names = set(variables) | set(item.get("params", {}))
        try:
            for v in variables:
                check_name(v)
            parsed = parse(item["function"], variables=names)
        except MathError as exc:
            fail("function", exc.one_line(), exc.code)
        if _reduces(parsed.tree):
            fail("function", _("sum, mean and dot reduce vectors, and a derive function is of scalar variables: "
                               "write the sum out (x1 + x2 + x3), or make it a predict exercise"),
                 "bank.vector-function")
        stated = item.get("answer")
        if stated is None:
            return
        stated = [stated] if isinstance(stated, str) else stated
        if not isinstance(stated, list) or len(stated) != len(wrt) or not all(isinstance(a, str) for a in stated):
            fail("answer", _("give one derivative per variable in wrt"), "bank.bad-answer")
        for a in stated:
            try:
                parse(a, variables=names)
            except MathError as exc:
                fail("answer", exc.one_line(), exc.code)

    def draw(self, ex: Exercise, seed: int, params: dict[str, Any]) -> Variant[Derivatives]:
        import sympy

        from ...mathlang import parse
        from ...mathlang.sym import derivative, to_text
        from ..candidates import derive_candidates

        variables = ex.data["variables"]
        parsed = parse(ex.data["function"], variables=set(variables) | set(params))
        expr = parsed.expr.xreplace({sympy.Symbol(k, real=True): v for k, v in params.items()})
        wrt = ex.data.get("wrt", variables)
        answer = {w: derivative(expr, sympy.Symbol(w, real=True)) for w in wrt}
        cands: list[Candidate] = []
        for w in wrt:
            cands.extend(derive_candidates(expr, w, variables, self.misconceptions, ex.data.get("misconceptions")))
        fname = "f(" + ", ".join(variables) + ")"
        parts = ", ".join(f"∂f/∂{w}" for w in wrt) if len(variables) > 1 else "f'(" + variables[0] + ")"
        prompt = ex.data.get("question") or _("Let {f} = {expr}. Type {parts}.").format(
            f=fname, expr=to_text(expr), parts=parts)
        return Variant(ex, seed, params, prompt, answer, None, cands, function=expr)

    def distinct(self, v: Variant[Derivatives]) -> bool:
        from ...engines.derivatives import all_apart

        names = v.exercise.data["variables"]
        return all(all_apart([correct] + [c.answer for c in v.candidates if c.wrt == wrt], names)
                   for wrt, correct in v.answer.items())

    def expected_text(self, v: Variant[Derivatives]) -> str:
        from ...mathlang.sym import to_text

        if len(v.answer) > 1:
            return "; ".join(f"∂f/∂{w} = {to_text(e)}" for w, e in v.answer.items())
        return to_text(next(iter(v.answer.values())))

    def typed_answer(self, v: Variant[Derivatives]) -> str:
        from ...mathlang.sym import to_text

        return "; ".join(to_text(e) for e in v.answer.values())

    def grade(self, v: Variant[Derivatives], text: str) -> Judgement:
        return self.grade_partial(v, text, None)

    def grade_partial(self, v: Variant[Derivatives], text: str, wrt: str | None) -> Judgement:
        """Judge the derivatives typed (``wrt``: only the one with respect to this variable)."""
        expected = self.expected_text(v)
        try:
            return self._grade(v, text, expected, [wrt] if wrt else list(v.answer))
        except TutorError as exc:
            return Judgement.unreadable(expected, exc.one_line(), exc.code, exc.caret())

    def _grade(self, v: Variant[Derivatives], text: str, expected: str, targets: list[str]) -> Judgement:
        from ...engines.derivatives import numerically_equal
        from ...engines.equivalence import EQUIVALENT, NOT_EQUIVALENT, check
        from ...mathlang import parse
        from ...mathlang.sym import to_text
        from ..misconceptions import explain

        variables = v.exercise.data["variables"]
        for w, typed in _split_partials(text, targets).items():
            parsed = parse(typed, variables=set(variables))         # a reading error points into the answer
            if _reduces(parsed.tree):
                raise TutorError(_("sum, mean and dot reduce vectors; the variables here are numbers"),
                                 code="answer.vector-function")
            got = parsed.expr
            verdict = check(to_text(v.answer[w]), typed, variables)
            if verdict.verdict == EQUIVALENT:
                continue
            ids = [c.id for c in v.candidates if c.wrt == w and numerically_equal(got, c.answer, variables)]
            if verdict.verdict != NOT_EQUIVALENT and not ids:      # undecided: costs no attempt
                return Judgement.unreadable(expected, _(
                    "The tutor could not decide whether this equals the answer ({reason}). Write it another way "
                    "(expanded, or simplified); this try does not count.").format(reason=verdict.reason),
                    "answer.undecided")
            if not ids:
                return Judgement(False, expected, v.explanation)
            others = [x for x in variables if x != w]
            msg = explain(ids[0], wrt=w, other=others[0] if others else "")
            return Judgement(False, expected, msg, misconception=ids[0], matches=ids)
        return Judgement(True, expected, v.explanation)

    def load_for_check(self) -> None:
        import numpy  # noqa: F401  (the finite differences)

        from ...engines import derivatives, equivalence, gradients  # noqa: F401
        from .. import candidates  # noqa: F401

    def prepare(self, ex: Exercise, seeds: int, ctx: CheckContext) -> Prepared:
        """sympy = torch = finite differences; a stated answer is sympy's; the key grades as right."""
        from ..variants import params_key, variant
        from ._witness import witness_point

        prepared, memo, judged_params, drawn = Prepared(data=[]), dict[str, Any](), set[str](), list[Variant[Any]]()
        try:
            for seed in range(seeds):
                v = variant(ex, seed, memo)      # raises if misconception answers cannot be kept apart
                drawn.append(v)
                prepared.data.append(witness_point(v, seed))     # torch's part is judged in finish
                if prepared.data[-1].program is not None:
                    prepared.programs.append(prepared.data[-1].program)
                if params_key(v.params) in judged_params:       # the same function, answer and key
                    continue
                judged_params.add(params_key(v.params))
                _check_stated_answer(v, seed)
                typed = self.typed_answer(v)
                judged = self.grade(v, typed)
                if not judged.correct:
                    raise TutorError(_("seed {seed}: the answer key {typed} is not graded as right ({reason})").format(
                        seed=seed, typed=typed, reason=judged.invalid or judged.explanation),
                        code="check.key-not-right")
            self.check_explanation(drawn)
        except Exception as exc:        # raised once the seeds before it are judged
            prepared.error = exc
        prepared.variants = len(prepared.data) if prepared.error is None else 0
        return prepared

    def finish(self, ex: Exercise, prepared: Prepared, answers: list[list[Outcome]],
               outcomes: list[list[Outcome]]) -> int:
        from ..variants import variant
        from ._witness import judge_witnesses

        ran = iter(answers)
        for w in prepared.data:
            values = next(ran) if w.program is not None else []
            if not judge_witnesses(w, values):      # torch could not run it there: the whole search, here
                _check_witnesses(variant(ex, w.seed), w.seed)
        return prepared.variants

    # ---- views
    def shown_text(self, v: Variant[Derivatives]) -> str:
        from ...mathlang.sym import to_text

        return "\n".join([v.prompt, to_text(v.function), " ".join(v.exercise.data["variables"])])

    def question_blocks(self, v: Variant[Derivatives], *, stub: bool = True) -> list[Block]:
        equation = _function_equation(v)
        if v.exercise.data.get("question"):
            return [Para.text(v.prompt), DisplayMath(equation)]
        return [Para.fill(_("Let {equation}. Find {parts}."), equation=Math(equation),
                          parts=[Math(_derivative(v, w)) for w in v.answer])]

    def answer_blocks(self, v: Variant[Derivatives]) -> list[Block]:
        pairs = tuple((_derivative(v, w), e) for w, e in v.answer.items())
        return [Equations(pairs), Para.fill(_("Typed: {typed}"), typed=Code(self.typed_answer(v)))]

    def wrong_shown(self, v: Variant[Derivatives], c: Candidate) -> Inline:
        import sympy

        assert c.wrt is not None
        return Math(sympy.Eq(_derivative(v, c.wrt), c.answer, evaluate=False))

    def wrong_text(self, v: Variant[Derivatives], c: Candidate) -> str:
        from ...mathlang.sym import to_text

        return to_text(c.answer)

    def question_json(self, v: Variant[Derivatives]) -> dict[str, Any]:
        import sympy

        from ...mathlang.sym import to_text

        return {"function": to_text(v.function), "latex": sympy.latex(v.function),
                "variables": list(v.exercise.data["variables"]), "wrt": list(v.answer)}

    def answer_json(self, v: Variant[Derivatives]) -> dict[str, Any]:
        from ...mathlang.sym import to_text

        return {"derivatives": {w: to_text(e) for w, e in v.answer.items()}}

    def quiz_fields(self, v: Variant[Derivatives], work_file: WorkFile) -> dict[str, Any]:
        return {"wrt": list(v.answer), "pretty": _pretty(v.function)}

    def notebook_hint(self, v: Variant[Derivatives]) -> str:
        what = ", ".join(f"d/d{w}" for w in v.answer)
        return _("Type {what} in the math language (several separated by ';'), between the quotes.").format(
            what=what)


def _reduces(tree: Any) -> bool:
    from ...mathlang.functions import FUNCTIONS
    from ...mathlang.tree import Call, walk

    return any(isinstance(n, Call) and FUNCTIONS[n.name].reduces for n in walk(tree))


def _f_symbol(v: Variant[Derivatives]) -> Any:
    """f(x) or f(x, y) as a sympy expression (for printing)."""
    import sympy

    return sympy.Function("f")(*[sympy.Symbol(n, real=True) for n in v.exercise.data["variables"]])


def _function_equation(v: Variant[Derivatives]) -> Any:
    import sympy

    return sympy.Eq(_f_symbol(v), v.function, evaluate=False)


def _derivative(v: Variant[Derivatives], wrt: str) -> Any:
    """d/dx f(x), unevaluated, for printing."""
    import sympy

    return sympy.Derivative(_f_symbol(v), sympy.Symbol(wrt, real=True))


def _pretty(function: Any) -> str | None:
    """The function drawn by sympy's Unicode pretty printer."""
    import sympy

    try:
        return str(sympy.pretty(function, use_unicode=True))
    except Exception:  # pretty printing is a nicety
        return None


def _split_partials(text: str, targets: list[str]) -> dict[str, str]:
    """One answer per partial derivative: 'a; b' for several."""
    if len(targets) == 1:
        return {targets[0]: text}
    parts = [p.strip() for p in re.split(r"[;\n]", text) if p.strip()]
    if len(parts) != len(targets):
        raise TutorError(_("type {n} derivatives separated by ';' (in the order {order})").format(
            n=len(targets), order=", ".join(targets)), code="answer.partials")
    return dict(zip(targets, parts))


def _check_witnesses(v: Variant[Derivatives], seed: int) -> None:
    """At a differentiable point: sympy = torch = finite differences, and the stored derivative agrees."""
    import sympy

    from ...engines.gradients import compute
    from ...mathlang.sym import to_text

    variables = v.exercise.data["variables"]
    rng = random.Random(f"check:{v.exercise.id}:{seed}")
    for _attempt in range(20):
        point = {name: sympy.Rational(rng.randint(3, 20), 10) * rng.choice([1, 1, -1]) for name in variables}
        try:
            report = compute(to_text(v.function), [f"{k}={val}" for k, val in point.items()], symbolic=False)
        except TutorError:
            continue
        if report.nondifferentiable or any(
                any(x != x or x in (float("inf"), float("-inf")) for x in w.sympy)
                for w in report.gradients.values()):
            continue
        for wrt, derivative in v.answer.items():
            w = report.gradients[wrt]
            if not w.agree:
                raise TutorError(_("seed {seed}: sympy, torch and finite differences disagree on d/d{wrt} at "
                                   "{point}: {s} / {t} / {f}").format(
                    seed=seed, wrt=wrt, point=point, s=w.sympy, t=w.torch, f=w.finite_difference),
                    code="check.witnesses-disagree")
            exact = float(sympy.N(derivative.xreplace(
                {sympy.Symbol(k, real=True): val for k, val in point.items()}), 30))
            if abs(exact - w.sympy[0]) > 1e-9 * max(1.0, abs(exact)):
                raise TutorError(_("seed {seed}: the stored answer for d/d{wrt} gives {a}, torch {b}").format(
                    seed=seed, wrt=wrt, a=exact, b=w.torch[0] if w.torch else None), code="check.answer-differs")
        return
    raise TutorError(_("seed {seed}: no point found where the function is differentiable").format(seed=seed),
                     code="check.no-point")


def _check_stated_answer(v: Variant[Derivatives], seed: int) -> None:
    """A derive exercise may state its answer; it must equal sympy's derivative."""
    import sympy

    from ...engines.equivalence import EQUIVALENT, check
    from ...mathlang import parse
    from ...mathlang.sym import to_text

    data = v.exercise.data
    stated = data.get("answer")
    if stated is None:
        return
    stated = [stated] if isinstance(stated, str) else stated
    params = {sympy.Symbol(k, real=True): val for k, val in v.params.items()}
    for (wrt, derivative), text in zip(v.answer.items(), stated):
        expr = parse(text, variables=set(data["variables"]) | set(v.params)).expr.xreplace(params)
        verdict = check(to_text(derivative), to_text(expr), data["variables"])
        if verdict.verdict != EQUIVALENT:
            raise TutorError(_("field 'answer': seed {seed}: the stated d/d{wrt} = {stated} is not sympy's "
                               "{exact} ({reason})").format(seed=seed, wrt=wrt, stated=to_text(expr),
                                                            exact=to_text(derivative), reason=verdict.reason),
                             code="check.stated-answer")
