"""``predict``: read a short PyTorch program and predict what it prints."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from ...engines.scenario import Answer
from ...foundation.document import Block, Para, Program
from ...foundation.errors import TutorError
from ...foundation.i18n import _
from ..model import Exercise, Judgement, Variant
from . import CheckContext, ExerciseKind, Fail, Outcome, Prepared, WorkFile
from ._scenario import (
    build_scenario,
    check_key,
    check_proof,
    distinct,
    fix_program,
    grade_prediction,
    proof_program,
    scenario_numbers,
    validate_scenario,
)


class Predict(ExerciseKind[Answer]):
    name: ClassVar[str] = "predict"
    order: ClassVar[int] = 20
    fields: ClassVar[tuple[str, ...]] = ("scenario", "raises", "answer")
    misconceptions: ClassVar[tuple[str, ...]] = (
        "accumulation.overwrite", "zeroing.placement", "zeroing.zero-grad-none", "reduction.mean-vs-sum",
        "vjp.gradient-ignored", "grad-mode.no-grad-ignored", "retain-graph.needed", "retain-graph.always-raises",
        "leaf.nonleaf-grad", "update.sign", "loop.one-more", "loop.one-fewer", "answer.grad-as-value",
        "answer.value-as-grad")

    def validate(self, item: Mapping[str, Any], root: Path, fail: Fail) -> None:
        validate_scenario(item, fail)
        raises = item.get("raises")
        if raises is not None and (not isinstance(raises, str) or not raises.isidentifier()
                                   or not raises.endswith("Error")):
            fail("raises", _("must name the error the program raises, such as \"RuntimeError\""), "bank.bad-raises")
        answer = item.get("answer")
        if answer is not None and (isinstance(answer, bool) or not isinstance(answer, (str, int, float))):
            fail("answer", _("must be what the program prints, as a learner types it (\"[2, 4]\", \"None\", "
                             "\"RuntimeError\", 12.5)"), "bank.bad-answer")

    def draw(self, ex: Exercise, seed: int, params: dict[str, Any]) -> Variant[Answer]:
        from ...engines.scenario import render, simulate
        from ..candidates import scenario_candidates

        scenario = build_scenario(ex, params)
        run = simulate(scenario)
        cands = scenario_candidates(scenario, self.misconceptions, ex.data.get("misconceptions"), code=False,
                                    run=run)
        prompt = ex.data.get("question") or _("What does this program print?")
        return Variant(ex, seed, params, prompt, run.answer, render(scenario), cands, scenario, run=run)

    distinct = staticmethod(distinct)

    def expected_text(self, v: Variant[Answer]) -> str:
        return v.answer.text()

    def typed_answer(self, v: Variant[Answer]) -> str:
        return v.answer.text()

    def grade(self, v: Variant[Answer], text: str) -> Judgement:
        return grade_prediction(v, text)

    def prepare(self, ex: Exercise, seeds: int, ctx: CheckContext) -> Prepared:
        """The answer computed with sympy = what the rendered program prints when torch runs it."""
        from ...engines.scenario.torchrun import program
        from ..variants import variant

        prepared, memo, drawn = Prepared(data=[]), dict[str, Any](), list[Variant[Answer]]()
        try:
            for seed in range(seeds):
                v = variant(ex, seed, memo)       # raises if misconception answers cannot be kept apart
                assert v.scenario is not None
                drawn.append(v)
                check_key(self, v, seed)
                run, nodes = proof_program(v)     # the answer, and the graph the quiz draws: both proven
                prepared.programs.append(run)
                fixes = []                        # each fix shown: its changed program prints what it says
                for c in v.candidates:
                    fix = fix_program(v, c.id)
                    if fix is not None:
                        prepared.programs.append(program(fix[1]))
                        fixes.append((c.id, fix[2]))
                stated = ex.data.get("answer")    # the author's own answer, if given: must be graded right
                wrong = None if stated is None or self.grade(v, str(stated)).correct else str(stated)
                prepared.data.append((seed, v.answer, v.scenario.dtype, nodes, wrong, fixes))
            self.check_explanation(drawn)
        except Exception as exc:        # raised once the seeds before it are judged
            prepared.error = exc
        prepared.variants = len(prepared.data)
        return prepared

    def finish(self, ex: Exercise, prepared: Prepared, answers: list[list[Outcome]],
               outcomes: list[list[Outcome]]) -> int:
        from ...engines.scenario import same_answer
        from ...engines.scenario.torchrun import answer_of

        raises = ex.data.get("raises")
        ran = iter(answers)
        for (seed, expected, dtype, nodes, wrong, fixes), values in zip(prepared.data, ran):
            said = expected.error[0] if expected.kind == "error" and expected.error else None
            if said != raises:
                why = _("seed {seed}: the program raises {error}, but the exercise does not say so: add raises = "
                        "\"{error}\" if that is the point, else fix the scenario").format(seed=seed, error=said) \
                    if said else _("seed {seed}: raises = \"{error}\", but the program prints {got}").format(
                        seed=seed, error=raises, got=expected.text())
                raise TutorError(why, code="check.raises")
            check_proof(seed, expected, dtype, nodes, values)
            for mid, prints in fixes:
                got = answer_of(next(ran)[0])
                if not same_answer(prints, got, dtype):
                    raise TutorError(_("seed {seed}: the fix shown for {id} promises {expected}, but the changed "
                                       "program prints {got}").format(seed=seed, id=mid, expected=prints.text(),
                                                                      got=got.text()), code="check.fix-fails")
            if wrong is not None:
                raise TutorError(_("seed {seed}: answer = \"{stated}\", but the program prints {got}").format(
                    seed=seed, stated=wrong, got=expected.text()), code="check.answer-differs")
        return prepared.variants

    def produced_numbers(self, v: Variant[Answer]) -> list[float]:
        return super().produced_numbers(v) + scenario_numbers(v)

    def question_blocks(self, v: Variant[Answer], *, stub: bool = True) -> list[Block]:
        assert v.code is not None
        return [Para.text(v.prompt), Program(v.code)]

    def answer_json(self, v: Variant[Answer]) -> dict[str, Any]:
        return v.answer.to_json()

    def quiz_fields(self, v: Variant[Answer], work_file: WorkFile) -> dict[str, Any]:
        return {"expects": _("a number, a list such as [1, 2], None, True/False, or an error name")}

    def notebook_hint(self, v: Variant[Answer]) -> str:
        return _("Type what the program prints (a number, a list, None, True/False or an error name).")
