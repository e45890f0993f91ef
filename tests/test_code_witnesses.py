"""A code answer's mistake is named only when the function makes it on every input: one value can match a
mistake's value by chance, and its story and fix would then be false."""
import pytest

from tutor import bank
from tutor.foundation.paths import default_bank_dir

BY_ID = bank.by_id(bank.load(default_bank_dir()))


def _value(answer):
    values = [float(x) for x in answer.values]
    return values if answer.vector else values[0]


@pytest.mark.parametrize("exercise", ["code-zero-before-backward", "code-b-linreg-manual", "code-b-mean-loss"])
def test_a_value_that_matches_a_mistake_once_is_not_called_that_mistake(exercise):
    ex = BY_ID[exercise]
    kind = ex.handler
    v = bank.variant(ex, 0)
    witnesses = kind.witnesses(v)
    assert len(witnesses) == 2 and all(kind.call_args(w) != kind.call_args(v) for w in witnesses)
    mistake = v.candidates[0]
    # a function that returns the mistake's value for this input, whatever its input: a constant
    constant = {"value": _value(mistake.answer)}
    alone = kind.grade_result(v, constant)
    assert alone.misconception == mistake.id                  # one input: the value matches the mistake
    judged = kind.judge_calls([(v, constant), *((w, constant) for w in witnesses)])
    assert judged[0].misconception is None and not judged[0].correct and not judged[0].fix
    # a function that really makes the mistake: on every input, the value that mistake gives there
    consistent = [(w, {"value": _value(next(c for c in w.candidates if c.id == mistake.id).answer)})
                  for w in (v, *witnesses)]
    assert [j.misconception for j in kind.judge_calls(consistent)] == [mistake.id] * 3


def test_a_fixed_input_has_no_witnesses():
    """An exercise whose function takes nothing that varies: nothing to corroborate with, one value judged."""
    fixed = [e for e in BY_ID.values() if e.kind == "code" and not e.handler.call_params(e)]
    for ex in fixed:
        assert ex.handler.witnesses(bank.variant(ex, 0)) == []


def test_the_notebook_check_names_a_mistake_only_when_every_input_agrees():
    from tutor import notebook

    ex = BY_ID["code-zero-before-backward"]
    v = bank.variant(ex, 0)
    mistake = v.candidates[0]
    value = _value(mistake.answer)

    def constant(**_kwargs):
        return value

    fb = notebook.check("code-zero-before-backward", constant, seed=0)
    assert not fb.correct and fb.event["misconception"] is None
