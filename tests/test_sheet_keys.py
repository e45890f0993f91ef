"""Keys and sheets an instructor can hand out: reference solutions in code keys, opaque variant tokens on
students' sheets, misconception titles that name the wrong belief, shuffled choices, variant counts."""
import json
import re
import shutil
from pathlib import Path

import pytest

from tutor import bank
from tutor.bank import handouts
from tutor.bank.misconceptions import CATALOGUE
from tutor.commands.sheet import main as sheet_command
from tutor.features import sheets
from tutor.foundation.i18n import _
from tutor.foundation.paths import bundled_exercises

ROOT = Path(__file__).resolve().parent.parent
GOOD = ROOT / "tests" / "fixtures" / "banks" / "good"
KEY_FORMATS = ("md", "html", "tex", "ipynb", "json")

# The titles before they named the belief: each stated the correct rule (or was shared by two ids).
RULE_TITLES = ["backward() adds into .grad", "the gradient is never zeroed", "zeroing between backward() and the update",
               "zeroing after backward() throws the gradient away", "optimizer.zero_grad() sets .grad to None",
               "mean() divides by n", "backward(gradient=v) weights each derivative by v", "no_grad stops tracking",
               "backward() frees the graph", "a graph with no saved tensors can be backwarded twice",
               ".grad lives on leaves only", "gradient descent subtracts", "the loop runs exactly range(k) times",
               "the gradient is not the parameter", "the value is not the derivative",
               "the answer is the function itself", "integrated instead of differentiated",
               "the chain rule's inner factor is missing", "a sign is wrong", "the power rule lowers the exponent",
               "the product rule has two terms", "the partial derivative is with respect to another variable"]


# ------------------------------------------------------------------ misconception titles

def test_misconception_titles_are_distinct_wrong_beliefs():
    titles = [m.title for m in CATALOGUE.values()]
    assert len(set(titles)) == len(titles), [t for t in titles if titles.count(t) > 1]
    rules = {_(t) for t in RULE_TITLES}
    for m in CATALOGUE.values():
        assert m.title not in rules, m.id                                   # not the correct rule
        # the explanation states what torch (or calculus) really does: the belief is not part of it
        assert m.title.casefold() not in m.explanation.casefold(), m.id
    one_more, one_fewer = CATALOGUE["loop.one-more"].title, CATALOGUE["loop.one-fewer"].title
    assert "+" in one_more and "-" in one_fewer


def test_key_tables_show_the_belief():
    sheet = sheets.make_sheet(bank.load(GOOD / "exercises"), ids=("good-predict-accumulate",), seed=1)
    key = sheets.render(sheet, "md", key=True)
    (row,) = [line for line in key.splitlines() if "`accumulation.overwrite`" in line]
    assert CATALOGUE["accumulation.overwrite"].title in row and _("backward() adds into .grad") not in row


# ------------------------------------------------------------------ code keys carry the reference solution

SOLUTION_LINE = "x.grad.zero_()"            # in the fixture's solution, not in its stub
STUB_LINE = "# TODO: clear the gradient"    # in the stub, not in the solution


def _good_bank(tmp_path, solutions=True):
    """A copy of the fixture bank (with or without its ../solutions folder)."""
    root = tmp_path / ("with" if solutions else "without")
    shutil.copytree(GOOD / "exercises", root / "exercises")
    if solutions:
        shutil.copytree(GOOD / "solutions", root / "solutions")
    return root / "exercises"


@pytest.mark.parametrize("fmt", KEY_FORMATS)
def test_code_keys_show_the_reference_solution(tmp_path, fmt):
    assert SOLUTION_LINE not in (GOOD / "exercises" / "code" / "descend.py").read_text()
    sheet = sheets.make_sheet(bank.load(_good_bank(tmp_path)), ids=("good-code-descend",), seed=2)
    key = sheets.render(sheet, fmt, key=True)
    student = sheets.render(sheet, fmt)
    assert SOLUTION_LINE in key and SOLUTION_LINE not in student
    assert STUB_LINE in student
    if fmt != "json":                       # the JSON key keeps the question's stub field beside the solution
        assert STUB_LINE not in key
    if fmt == "json":
        answer = json.loads(key)["questions"][0]["answer"]
        assert SOLUTION_LINE in answer["solution"] and answer["solution_file"] == "../solutions/code/descend.py"
    if fmt == "ipynb":                      # the key notebook's answer cell is the solution, ready to run
        (cell,) = handouts.read_answers(key)
        assert SOLUTION_LINE in cell["source"] and STUB_LINE not in cell["source"]


@pytest.mark.parametrize("fmt", KEY_FORMATS)
def test_code_keys_say_when_there_is_no_solution(tmp_path, fmt):
    sheet = sheets.make_sheet(bank.load(_good_bank(tmp_path, solutions=False)), ids=("good-code-descend",), seed=2)
    key = sheets.render(sheet, fmt, key=True)
    assert SOLUTION_LINE not in key
    assert "../solutions/code/descend.py" in key
    if fmt == "json":
        answer = json.loads(key)["questions"][0]["answer"]
        assert answer["solution"] is None and answer["solution_file"] == "../solutions/code/descend.py"
