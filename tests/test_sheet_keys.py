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


# ------------------------------------------------------------------ concept choices shuffled per variant

@pytest.fixture(scope="module")
def bundled():
    return bank.by_id(bank.load(bundled_exercises()))


def test_concept_choices_are_shuffled_per_variant_and_seeded(bundled):
    ex = bundled["leaves-which-are-leaves"]
    choices, right = ex.data["choices"], ex.data["answer"]
    orders = set()
    for seed in range(30):
        v = bank.variant(ex, seed)
        shown = v.kind.choices(v)
        assert sorted(shown) == sorted(choices)
        assert shown == v.kind.choices(bank.variant(ex, seed))          # the same seed, the same order
        orders.add(tuple(shown))
        letter = bank.typed_answer(v)
        assert shown[ord(letter) - ord("a")] == choices[right]           # the key's letter names the right choice
        assert bank.grade(v, letter).correct
        for i, text in enumerate(shown):                                 # each wrong letter gets its own why
            if text != choices[right]:
                g = bank.grade(v, chr(ord("a") + i))
                assert not g.correct and g.explanation == ex.data["why"][choices.index(text)]
    assert len(orders) > 5


def test_shuffle_false_keeps_the_written_order(bundled, tmp_path):
    ex = bundled["requires-grad-int-literal-fix"]
    assert ex.data["shuffle"] is False
    for seed in range(10):
        v = bank.variant(ex, seed)
        assert v.kind.choices(v) == ex.data["choices"] and v.answer == ex.data["answer"]
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "b.toml").write_text('format_version = 1\n[[exercise]]\nid = "c"\ntitle = "t"\ntopic = "requires-grad"\n'
                                'kind = "concept"\nquestion = "q"\nchoices = ["x", "y"]\nanswer = 0\n'
                                'shuffle = "no"\nhints = ["h"]\nexplanation = "e"\n', encoding="utf-8")
    with pytest.raises(Exception) as info:
        bank.load(bad)
    assert getattr(info.value, "code", None) == "bank.bad-shuffle"


def test_sheet_keys_and_notebook_grading_follow_the_shuffled_order(tmp_path, bundled):
    """Students of a roster see their own orders; each key and the grader use that student's order."""
    from tutor.features.grading import grade_paths

    roster = tmp_path / "roster.csv"
    roster.write_text("id\n" + "\n".join(f"s{i}" for i in range(6)) + "\n", encoding="utf-8")
    ids = ("leaves-which-are-leaves", "no-grad-three-ways")
    r = sheet_command(ids=ids, seed=4, fmt="ipynb", output=str(tmp_path / "hw") + "/", students=str(roster))
    assert r.exit_code == 0, r.stderr
    manifest = json.loads((tmp_path / "hw" / "sheet-manifest.json").read_text())
    orders, keys = set(), []
    for entry in manifest["students"].values():
        student = json.loads((tmp_path / "hw" / entry["sheet"]).read_text())
        md = "".join("".join(c["source"]) for c in student["cells"] if c["cell_type"] == "markdown")
        first = bundled[ids[0]]
        shown = [c for c in re.findall(r"\*\*[a-d]\)\*\* (.*)", md) if c in first.data["choices"]]
        orders.add(tuple(shown))
        key = tmp_path / "hw" / entry["answers"]
        keys.append(str(key))
        for a, q in zip(handouts.read_answers(key), entry["questions"]):
            v = bank.variant(bundled[q["exercise"]], q["seed"])
            assert v.kind.choices(v)[ord(a["answer"]) - ord("a")] == \
                bundled[q["exercise"]].data["choices"][bundled[q["exercise"]].data["answer"]]
    assert len(orders) > 1
    for key in keys:                     # handed in as a student's work (a key itself is never graded)
        nb = json.loads(Path(key).read_text())
        nb["metadata"]["tutor"]["key"] = False
        Path(key).write_text(json.dumps(nb))
    results = grade_paths([], notebooks=keys, directory=bundled_exercises(),
                          manifest=tmp_path / "hw" / "sheet-manifest.json").results
    assert len(results) == 6 and all(t.score == t.max_score for res in results for t in res.tests), \
        [(res.student, [t.to_json() for t in res.tests]) for res in results]
