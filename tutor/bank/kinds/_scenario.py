"""What predict and code exercises share: a scenario is their reference, misconceptions their wrong answers."""
from __future__ import annotations

from typing import Any

from ...engines.scenario import Answer, Scenario
from ...foundation.i18n import _, ngettext
from ..misconceptions import CATALOGUE, explain
from ..model import Exercise, Judgement, Variant


def build_scenario(ex: Exercise, params: dict[str, Any]) -> Scenario:
    from ...engines.scenario import build

    return build(ex.data["scenario"], params, where=f"{ex.id}.scenario")


def proof_program(v: Variant[Answer]) -> tuple[dict[str, Any], Any]:
    """The variant's program as torch runs it for ``tutor check``: asked for the answer, then for every node of
    the graph the quiz draws; and the graph (for :func:`check_proof`)."""
    from ...engines.scenario.graph import graph, torch_graph_asks
    from ...engines.scenario.torchrun import program

    assert v.scenario is not None
    nodes = graph(v.scenario, v.simulation())
    run = program(v.scenario)
    run["asks"] += torch_graph_asks(nodes)
    return run, nodes


def check_proof(seed: int, expected: Answer, dtype: str, nodes: Any, values: list[Any]) -> None:
    """Raise unless torch printed the simulated answer and has the graph as drawn (``values``: what the
    :func:`proof_program` run gave)."""
    from ...engines.scenario import same_answer
    from ...engines.scenario.graph import check_graph
    from ...engines.scenario.torchrun import answer_of
    from ...foundation.errors import TutorError

    got = answer_of(values[0])
    if not same_answer(expected, got, dtype):
        raise TutorError(_("seed {seed}: sympy says {expected} but the program prints {got}").format(
            seed=seed, expected=expected.text(), got=got.text()), code="check.torch-disagrees")
    wrong = check_graph(nodes, values[1:])
    if wrong:
        raise TutorError(_("seed {seed}: the graph the quiz draws says {name}: {drawn}, but torch has "
                           "{got}").format(seed=seed, name=wrong[0], drawn=wrong[1], got=wrong[2]),
                         code="check.graph-disagrees")


def scenario_numbers(v: Variant[Answer]) -> list[float]:
    """The numbers a scenario's run produces: the answer, the misconceptions' answers, every .grad after each
    backward and every value after each update (what an explanation may quote)."""
    from ...engines.scenario import BackwardEvent

    assert v.scenario is not None
    out = v.answer.floats() + [x for c in v.candidates for x in c.answer.floats()]
    for event in v.simulation().events:
        table = event.grads if isinstance(event, BackwardEvent) else event.values
        out += [float(x) for values in table.values() if values is not None for x in values]
    return out


def check_key(kind: Any, v: Variant[Answer], seed: int) -> None:
    """Grade the key back: the right answer as a learner types it is graded right, and each misconception's
    answer is graded wrong *as that misconception* (else the feedback would explain another mistake)."""
    from ...foundation.errors import TutorError

    typed = kind.typed_answer(v)
    judged = kind.grade(v, typed)
    if not judged.correct:
        raise TutorError(_("seed {seed}: the answer key {typed} is not graded as right ({reason})").format(
            seed=seed, typed=typed, reason=judged.invalid or judged.explanation), code="check.key-not-right")
    for c in v.candidates:
        judged = kind.grade(v, c.answer.text())
        if judged.correct or judged.misconception != c.id:
            raise TutorError(_("seed {seed}: the answer {typed} of the misconception {id} is graded as {got}").format(
                seed=seed, typed=c.answer.text(), id=c.id,
                got=_("right") if judged.correct else judged.misconception or _("no misconception")),
                code="check.candidate-misread")


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
    if got.kind == "error" and got.error is not None and got.error[0] == "Error":      # which one?
        return Judgement.unreadable(expected, _(
            "Which error? Name its type as torch prints it (RuntimeError, AttributeError, ...); this try does "
            "not count."), "answer.error-type")
    if v.answer.kind == "error" and got.kind == "error":
        assert v.answer.error is not None and got.error is not None
        if v.answer.error[0].casefold() == got.error[0].casefold():
            return Judgement(True, expected, v.explanation)
        return wrong(v, classify(got, v.candidates), got.text())
    if v.answer.kind == "number" and got.kind == "number" and v.answer.vector != got.vector:
        ids = classify(got, v.candidates)
        if ids:                           # a belief that gives another shape (the value of a mean ...)
            return wrong(v, ids, got.text())
        n = len(v.answer.floats())
        shape = ngettext("torch prints a tensor with {n} element in brackets, {text}, not a plain number",
                         "torch prints a tensor with {n} elements in brackets, {text}, not a plain number", n).format(
            n=n, text=expected) if v.answer.vector else _(
            "torch prints a single number here, not a list")
        return Judgement(False, expected, shape + "\n" + v.explanation)
    if answers_match(v.answer, got) and as_printed(v.answer, text, got):
        return Judgement(True, expected, v.explanation)
    return wrong(v, classify(got, v.candidates), got.text())


def as_printed(expected: Answer, typed: str, got: Answer | None = None) -> bool:
    """Numbers judged at the precision torch prints (4 decimals, or 5 significant digits in scientific
    notation): 85.01 is not tensor(85.); a shorter form counts where it is that value rounded to the digits
    typed and those digits are enough to tell it (0.33 for 0.3333, 85 for 85.0000, not 85 for 85.3)."""
    import re

    if expected.kind != "number":
        return True
    numbers = re.findall(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?", typed.replace("tensor", ""))
    expected_values = expected.floats()
    if len(numbers) != len(expected_values):
        # written with math (1/3, 2^3 ...): its value must print as torch's does (44.01*1 is not tensor(44.))
        if got is None or got.kind != "number":
            return True
        return all(abs(g - w) <= (5e-5 * abs(w) if w != 0 and (abs(w) >= 1e8 or abs(w) < 1e-4)
                                  else 5.1e-5 + 2e-7 * abs(w))
                   for g, w in zip(got.floats(), expected_values))
    for text, want in zip(numbers, expected_values):
        try:
            value = float(text)
        except ValueError:
            return True
        scientific = want != 0 and (abs(want) >= 1e8 or abs(want) < 1e-4)
        if scientific:
            if abs(value - want) > 5e-5 * abs(want):
                return False
            continue
        if abs(value - want) <= 5.1e-5 + 2e-7 * abs(want):
            continue
        mantissa = text.lower().split("e")[0]
        typed_decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
        printed = f"{want:.4f}".rstrip("0").rstrip(".")
        needed = len(printed.split(".")[1]) if "." in printed else 0
        if typed_decimals >= 4 or typed_decimals < min(needed, 2) or abs(round(want, typed_decimals) - value) > 1e-9:
            return False
    return True


def wrong(v: Variant[Answer], ids: list[str], got_text: str) -> Judgement:
    """The judgement of a wrong answer: the first misconception it matches, explained with the variant's numbers."""
    expected = v.answer.text()
    if not ids:
        return Judgement(False, expected, v.explanation)
    mid = ids[0]
    text = explain(mid, **explanation_values(v, mid, got_text))
    return Judgement(False, expected, text, misconception=mid, matches=ids, fix=fix_text(v, mid))


def fix_program(v: Variant[Answer], mid: str) -> tuple[Any, Any, Answer] | None:
    key = ("fix", mid)
    if key not in v.cache:
        v.cache[key] = _fix_program(v, mid)
    return v.cache[key]  # type: ignore[no-any-return]


def _fix_program(v: Variant[Answer], mid: str) -> tuple[Any, Any, Answer] | None:
    """The two programs a scenario's fix compares, and what the second prints: (the learner's, the fixed,
    its answer).  A code exercise: the learner's mistake injected (the candidate's mutation), then the
    reference; a predict exercise: the program as it is, then changed so that torch does what the belief
    expected (:func:`tutor.engines.scenario.repair.belief_program`) — shown only where the simulation says it
    prints the learner's answer; ``tutor check`` runs it in torch."""
    from ...engines.scenario import mutate, simulate
    from ...engines.scenario.repair import belief_program
    from ..candidates import answers_match

    m, scenario = CATALOGUE.get(mid), v.scenario
    if m is None or scenario is None:
        return None
    if v.exercise.kind == "code":
        learner = mutate(scenario, m.mutation) if m.mutation else None
        return (learner, scenario, v.answer) if learner is not None else None
    changed = belief_program(scenario, m.belief) if m.belief else None
    candidate = next((c.answer for c in v.candidates if c.id == mid), None)
    if changed is None or candidate is None:
        return None
    prints = simulate(changed, memo=v.simulation().memo).answer
    return (scenario, changed, prints) if answers_match(candidate, prints) else None


def fix_text(v: Variant[Answer], mid: str) -> str:
    """The fix as lines of the question's own program (a rendering of the variant: its names, its numbers);
    the catalogue's general advice where there is no scenario (derive)."""
    from ...engines.scenario.repair import changed_lines

    if v.scenario is None or mid.startswith("derive."):
        return CATALOGUE[mid].fix if mid in CATALOGUE else ""
    fix = fix_program(v, mid)
    if fix is None:
        return ""
    before, after, prints = fix
    lines = changed_lines(before, after)
    if not lines:
        return ""
    if v.exercise.kind == "code":
        head = _("The fix, in a program like yours (- your line, + the fixed one):")
    else:
        head = _("torch prints {wrong} if the program is changed like this (- as it is, + changed):").format(
            wrong=prints.text())
    return "\n".join([head, *lines])


def explanation_values(v: Variant[Answer], mid: str, wrong_text: str = "") -> dict[str, Any]:
    """Numbers for an explanation: the learner's, the correct one, k backward calls ..."""
    from ...engines.scenario import Repeat

    assert v.scenario is not None
    values: dict[str, Any] = {"wrong": wrong_text, "correct": v.answer.text()}
    if v.answer.kind == "error":
        values["correct"] = _("never printed: the program raises {error}").format(error=v.answer.text().rstrip("."))
    run = v.simulation()
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
    single = simulate(v.scenario, ["overwrite"], v.simulation().memo).answer
    if (k > 1 and single.kind == "number" and v.answer.kind == "number" and not single.vector
            and abs(single.floats()[0] * k - v.answer.floats()[0]) <= 1e-9 * max(1.0, abs(v.answer.floats()[0]))):
        total = f"{k} × {single.text()} = {v.answer.text()}"
    return _("{target} holds the sum of {k} gradients: {total}, not the single gradient {wrong}.").format(
        target=values["target"], k=k, total=total, wrong=values["wrong"])
