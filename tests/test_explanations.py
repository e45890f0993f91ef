"""Explanations speak in the variant's numbers, and `tutor check` refuses one that quotes another variant's.

Before: "6 + 27 = 33 at x0 = 3" beside a question with x0 = 4, "with x0 = 3 and
lr = 0.1" for x0 = 2, and symbols the learner never saw (k, x0) (ISSUE 12).
"""
import json

import pytest

from tutor.bank.explanations import quoted_numbers, render, symbols_unseen
from tutor.foundation.errors import TutorError

EXERCISE = '''format_version = 1

[[exercise]]
id = "two-graphs"
title = "T"
topic = "accumulation"
kind = "predict"
hints = ["h"]
explanation = "EXPLANATION"
[exercise.params]
x0 = { choices = [2, 4] }
[exercise.scenario]
leaves = [ { name = "x", value = "x0" } ]
steps = [ { forward = "y", expr = "x^2" }, { backward = "y" }, { forward = "z", expr = "x^3" }, { backward = "z" } ]
ask = "x.grad"
'''


def check(tmp_path, explanation):
    """What `tutor check` says of the explanation (its sympy half: no torch needed for the explanation)."""
    from tutor import bank

    d = tmp_path / "exercises"
    d.mkdir(exist_ok=True)
    (d / "e.toml").write_text(EXERCISE.replace("EXPLANATION", explanation), encoding="utf-8")
    (ex,) = bank.load(d)
    error = ex.handler.prepare(ex, 6, bank.CheckContext(None)).error
    return [error.code] if error is not None else []


@pytest.mark.parametrize("explanation", [
    "x.grad = 2*x0 + 3*x0^2 (6 + 27 = 33 at x0 = 3).",               # the old text: another variant's numbers
    "x.grad = 2x + 3x^2 = 56 here.",                                   # a number of one variant only
    "x.grad = 2*x0 + 3*x0^2.",                                          # x0: never shown (x is)
    "x.grad = 2x + 3x^2 = {= 2*x0 + 3*x0^2} at x = {x1}.",              # no parameter x1
    "x.grad = {= 2*x0 + 3*x0^2 +}.",                                    # not a formula
])
def test_check_refuses_an_explanation_from_another_variant(tmp_path, explanation):
    codes = check(tmp_path, explanation)
    assert codes and set(codes) == {"check.explanation"}, codes


def test_the_variants_own_numbers_pass_and_are_shown(tmp_path, run_cli):
    good = "backward() adds: x.grad = 2x + 3x^2 = {= 2*x0 + 3*x0^2} at x = {x0} (never {{replaced}}, 1 or 0)."
    assert check(tmp_path, good) == []
    r = run_cli("--exercises", str(tmp_path / "exercises"), "check", "--json", "--seeds", "2")
    assert json.loads(r.stdout)["ok"] is True, r.stdout
    from tutor import bank
    from tutor.bank.variants import variant

    (ex,) = bank.load(tmp_path / "exercises")
    shown = {variant(ex, seed).params["x0"]: variant(ex, seed).explanation for seed in range(8)}
    assert shown[4] == "backward() adds: x.grad = 2x + 3x^2 = 56 at x = 4 (never {replaced}, 1 or 0)."
    assert len(shown) > 1


def test_render_and_the_number_rules():
    assert render("{a} and {= a/3} and {{a}}", {"a": 2}) == "2 and 0.6666666667 and {a}"
    with pytest.raises(TutorError):
        render("{= log(a)}", {"a": -1})              # not a real number: refused, never shown as nan
    assert quoted_numbers("6 + 27 = 33 at x = 3, slope 2*x, 3 x^2, 2u + 1, 1 - tanh(x)^2") == [6, 27, 33, 3]
    assert symbols_unseen("k calls add k times; a leaf; 2 a x", ["k", "a"], "x = torch.tensor(3.0)") == ["k", "a"]
    assert symbols_unseen("a leaf, a tensor (a non-leaf)", ["a"], "x") == []
    assert symbols_unseen("x = {x0}", ["x0"], "x") == []                  # inside a placeholder: its value
