"""What predict and code exercises share: a scenario is their reference, misconceptions their wrong answers."""
from __future__ import annotations

from typing import Any

from ...engines.scenario import Answer, Scenario
from ...foundation.i18n import _
from ..misconceptions import CATALOGUE, explain
from ..model import Exercise, Judgement, Variant


def build_scenario(ex: Exercise, params: dict[str, Any]) -> Scenario:
    from ...engines.scenario import build

    return build(ex.data["scenario"], params, where=f"{ex.id}.scenario")


def validate_scenario(item: Any, fail: Any) -> None:
    if not isinstance(item.get("scenario"), dict):
        fail("scenario", _("must be a table (leaves, steps, ask)"), "bank.bad-scenario")


def distinct(v: Variant[Answer]) -> bool:
    from ..candidates import distinct as apart

    return apart([v.answer] + [c.answer for c in v.candidates])


def grade_prediction(v: Variant[Answer], text: str) -> Judgement:
    """Judge a typed prediction of what the program prints (or the function returns)."""
    from ...foundation.errors import TutorError
    from ..answers import parse_prediction
    from ..candidates import answers_match, classify

    expected = v.answer.text()
    try:
        got = parse_prediction(text)
    except TutorError as exc:
        return Judgement.unreadable(expected, exc.one_line(), exc.code, exc.caret())
    if answers_match(v.answer, got):
        return Judgement(True, expected, v.exercise.explanation)
    if v.answer.kind == "error" and got.kind == "error" and got.error is not None and got.error[0] == "Error":
        return Judgement(True, expected, v.exercise.explanation)
    return wrong(v, classify(got, v.candidates), got.text())


def wrong(v: Variant[Answer], ids: list[str], got_text: str) -> Judgement:
    """The judgement of a wrong answer: the first misconception it matches, explained with the variant's numbers."""
    expected = v.answer.text()
    if not ids:
        return Judgement(False, expected, v.exercise.explanation)
    mid = ids[0]
    text = explain(mid, **explanation_values(v, mid, got_text))
    fix = CATALOGUE[mid].fix
    return Judgement(False, expected, text + ("\n" + fix if fix else ""), misconception=mid, matches=ids)


def explanation_values(v: Variant[Answer], mid: str, wrong_text: str = "") -> dict[str, Any]:
    """Numbers for an explanation: the learner's, the correct one, k backward calls ..."""
    from ...engines.scenario import Repeat, simulate

    assert v.scenario is not None
    values: dict[str, Any] = {"wrong": wrong_text, "correct": v.answer.text()}
    if v.answer.kind == "error":
        values["correct"] = _("never printed: the program raises {error}").format(error=v.answer.text().rstrip("."))
    run = simulate(v.scenario)
    values.update(k=run.backward_calls, target=str(v.scenario.ask), name=v.scenario.ask.name)
    loops = [s for s in v.scenario.steps if isinstance(s, Repeat)]
    if loops:
        values["count"] = loops[0].count
    if mid == "accumulation.overwrite":
        values["consequence"] = _overwrite_consequence(v, run.backward_calls, values)
    return values


def _overwrite_consequence(v: Variant[Answer], k: int, values: dict[str, Any]) -> str:
    """Accumulation in the learner's numbers: '3 × 7.75 = 23.25' when x stays fixed."""
    from ...engines.scenario import simulate

    assert v.scenario is not None
    if v.scenario.ask.attr != "grad":
        return _("each update uses the running sum of the gradients so far: {target} is {correct}, "
                 "not {wrong}.").format(**values)
    total = values["correct"]
    single = simulate(v.scenario, ["overwrite"]).answer
    if (k > 1 and single.kind == "number" and v.answer.kind == "number" and not single.vector
            and abs(single.floats()[0] * k - v.answer.floats()[0]) <= 1e-9 * max(1.0, abs(v.answer.floats()[0]))):
        total = f"{k} × {single.text()} = {v.answer.text()}"
    return _("{target} holds the sum of {k} gradients: {total}, not the single gradient {wrong}.").format(
        target=values["target"], k=k, total=total, wrong=values["wrong"])
