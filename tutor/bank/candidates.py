"""The wrong answers of a variant, one per misconception that applies, and matching a learner's answer to them."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..engines.scenario import Answer, Run, Scenario, answers_close
from .misconceptions import CATALOGUE
from .model import Candidate


def scenario_candidates(scenario: Scenario, pool: Sequence[str], declared: Sequence[str] | None,
                        code: bool, run: Run | None = None) -> list[Candidate]:
    """Wrong answers of a predict (beliefs, slips) or code (mutations, slips) scenario, in ``pool`` order.

    ``declared``: the exercise's own list (then every id gives a candidate,
    even one equal to the right answer, which the variant check refuses).
    ``run``: the scenario's own simulation, where the caller has it.
    """
    from ..engines.scenario import mutate, simulate

    run = run or simulate(scenario)
    correct = run.answer
    out: list[Candidate] = []
    for mid in declared if declared is not None else pool:
        m = CATALOGUE[mid]
        answer: Answer | None
        if m.slip is not None:
            answer = _slip(scenario, m.slip, run)
        elif code:
            mutated = mutate(scenario, m.mutation) if m.mutation else None
            answer = simulate(mutated, memo=run.memo).answer if mutated is not None else None
        elif m.belief and m.belief not in run.consulted:
            answer = correct            # no rule of the run depends on it: the same run (Simulation.believes)
        else:
            answer = simulate(scenario, [m.belief], run.memo).answer if m.belief else None
        if answer is not None and (declared is not None or not answers_match(correct, answer)):
            out.append(Candidate(mid, answer))
    return out


def _slip(scenario: Scenario, slip: str, run: Run) -> Answer | None:
    """Answer slips: the gradient for the value, or the value for the gradient (read from the scenario's
    own run: the program is the same, only what it prints differs)."""
    from ..engines.scenario import Ask, backward_roots

    ask, correct = scenario.ask, run.answer
    leaf_names = {leaf.name for leaf in scenario.leaves}
    if slip == "grad-as-value" and ask.attr == "value" and ask.name in leaf_names:
        return run.read(ask.with_attr("grad"))
    if slip == "value-as-grad" and ask.attr == "grad" and correct.kind == "number":
        roots = backward_roots(scenario.steps)       # the value of the last backward root
        if not roots:
            return None
        got = run.read(Ask(roots[-1]))
        return got if got.kind == "number" else None
    return None


def derive_candidates(expr: Any, wrt: str, variables: Sequence[str], pool: Sequence[str],
                      declared: Sequence[str] | None) -> list[Candidate]:
    """Wrong derivatives of ``expr`` with respect to ``wrt`` (sympy expressions)."""
    from ..engines.derivatives import wrong_derivative

    out = []
    for mid in declared if declared is not None else pool:
        mistake = CATALOGUE[mid].derivative
        wrong = wrong_derivative(expr, wrt, variables, mistake) if mistake else None
        if wrong is not None and (declared is not None or wrong != 0):
            out.append(Candidate(mid, wrong, wrt))
    return out


def classify(answer: Answer, candidates: Sequence[Candidate]) -> list[str]:
    """The candidate misconception ids a learner's answer matches (tolerance of printed values)."""
    return [c.id for c in candidates if answers_match(c.answer, answer)]


def answers_match(expected: Answer, got: Answer) -> bool:
    """Learner answers are compared at print precision: 1e-3 relative."""
    return answers_close(expected, got, rtol=1e-3, floor=1e-4, absolute=5e-5, strict=False)


def distinct(answers: Sequence[Answer]) -> bool:
    """Are these answers pairwise distinguishable at the learner's precision?"""
    for i, a in enumerate(answers):
        for b in answers[i + 1:]:
            if answers_match(a, b) or answers_match(b, a):
                return False
    return True
