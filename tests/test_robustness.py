"""Malformed banks, hostile scenario fields and odd paths get a clear error with a code, never a traceback;
an answer the tutor cannot judge costs no attempt and no batch."""
import json
import textwrap

import pytest

from tutor import bank
from tutor.engines.scenario import build
from tutor.foundation.errors import BankError, TutorError

CONCEPT = """\
id = "c"
title = "T"
topic = "backward"
kind = "concept"
question = "Q?"
answer = true
hints = ["h"]
explanation = "e"
"""
DERIVE = 'id = "d"\ntitle = "T"\ntopic = "derivatives"\nkind = "derive"\nhints = ["h"]\nexplanation = "e"\n'


def load_error(tmp_path, body):
    d = tmp_path / "exercises"
    d.mkdir(exist_ok=True)
    (d / "bank.toml").write_text("format_version = 1\n\n[[exercise]]\n" + textwrap.dedent(body))
    with pytest.raises(BankError) as info:
        bank.load(d)
    return info.value


@pytest.mark.parametrize("body,field,code", [
    (CONCEPT.replace('kind = "concept"', "kind = []"), "kind", "bank.unknown-kind"),
    (CONCEPT.replace('topic = "backward"', "topic = { x = 1 }"), "topic", "bank.unknown-topic"),
    (CONCEPT.replace('question = "Q?"', "question = 3"), "question", "bank.missing-text"),
    (CONCEPT.replace("answer = true", 'choices = ["a", "b"]\nanswer = 0\nwhy = [1, "b"]'), "why", "bank.bad-why"),
    (CONCEPT + "[params]\n", None, None),
    (CONCEPT + "[exercise.params]\na = { min = 1, max = inf }\n", "params.a", "bank.bad-range"),
    (CONCEPT + "[exercise.params]\na = { min = 1, max = nan }\n", "params.a", "bank.bad-range"),
    (CONCEPT + "[exercise.params]\na = { choices = [true] }\n", "params.a", "bank.bad-params"),
    (CONCEPT + "[exercise.params]\na = { choices = [\"abc\"] }\n", "params.a", "bank.bad-params"),
    (CONCEPT + "[exercise.params]\na = { min = 0, max = 1e9, step = 1e-9 }\n", "params.a", "bank.bad-range"),
    (DERIVE + 'function = "mean(x)^2"\nvariables = ["x"]\n', "function", "bank.vector-function"),
    (DERIVE + 'function = "sum(x^2)"\nvariables = ["x"]\n', "function", "bank.vector-function"),
], ids=["kind-list", "topic-table", "question-number", "why-number", "top-level-params", "max-inf", "max-nan",
        "choice-bool", "choice-text", "too-many-values", "derive-mean", "derive-sum"])
def test_malformed_fields(tmp_path, body, field, code):
    err = load_error(tmp_path, body)
    if field is None:
        assert err.code == "bank.unknown-key"
    else:
        assert (err.field, err.code) == (field, code)


def test_code_call_values_are_checked(tmp_path):
    stub = tmp_path / "exercises" / "code" / "f.py"
    stub.parent.mkdir(parents=True)
    stub.write_text("def f(x0):\n    return 0\n")
    body = ('id = "k"\ntitle = "T"\ntopic = "zeroing"\nkind = "code"\nhints = ["h"]\nexplanation = "e"\n'
            'file = "code/f.py"\nfunction = "f"\ncall = { x0 = [1, 2] }\n'
            '[exercise.scenario]\nleaves = [{ name = "x", value = "1" }]\nsteps = []\nask = "x"\n')
    err = load_error(tmp_path, body)
    assert (err.field, err.code) == ("call.x0", "bank.bad-call")
    err = load_error(tmp_path, body.replace("x0 = [1, 2]", 'x0 = "[1]"'))
    assert (err.field, err.code) == ("call.x0", "math.subscript")


LEAF = [{"name": "x", "value": "2"}]


@pytest.mark.parametrize("steps,path", [
    ([{"repeat": "1", "var": "i in range(2):\n    import os\nfor j", "body": []}], "steps[0].var"),
    ([{"repeat": "2", "var": "x", "body": []}], "steps[0].var"),
    ([{"repeat": "2", "var": "torch", "body": []}], "steps[0].var"),
    ([{"repeat": "2", "var": 3, "body": []}], "steps[0].var"),
    ([{"repeat": "100", "body": [{"repeat": "100", "body": []}]}], "steps[0].body[0].repeat"),
    ([{"zero": [], "guard": "is_not_none"}], "steps[0].zero"),
    ([{"update": [], "lr": "0.1"}], "steps[0].update"),
])
def test_scenario_fields_are_refused_with_their_path(steps, path):
    with pytest.raises(TutorError) as info:
        build({"leaves": LEAF, "steps": steps, "ask": "x"}, {}, where="ex.scenario")
    assert info.value.message.startswith(f"ex.scenario.{path}: ")


def test_nested_loops_within_the_cap_are_fine():
    s = build({"leaves": LEAF, "steps": [{"repeat": "10", "var": "epoch", "body": [{"repeat": "100", "body": []}]}],
               "ask": "x"}, {})
    assert s.steps[0].var == "epoch"


def test_an_answer_that_cannot_be_judged_is_unreadable_not_a_crash():
    v = bank.variant(bank.find(bank.load(), "chain-rule-sin-power"), 0)
    for typed in ("sum(x)", "mean(x)", "dot(x, x)"):
        judged = bank.grade(v, typed)
        assert judged.invalid and judged.code == "answer.vector-function" and not judged.correct
    boom = bank.judge(lambda: 1 / 0, v)
    assert boom.invalid and boom.code == "answer.not-judged"


def test_a_notebook_answer_that_broke_the_grader_costs_one_question(run_cli, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("id\ns1\ns2\n")
    r = run_cli("sheet", "--exercise", "chain-rule-sin-power", "--exercise", "accumulate-three-backward",
                "--seed", "2", "--format", "ipynb", "--students", str(roster), "-o", str(tmp_path / "hw") + "/")
    assert r.exit_code == 0, r.output
    for sid, typed in (("s1", "sum(x)"), ("s2", "1")):
        path = tmp_path / "hw" / f"sheet-{sid}.ipynb"
        nb = json.loads(path.read_text())
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                cell["source"] = [cell["source"][0], f"answer = {typed!r}\n"]
        path.write_text(json.dumps(nb))
    r = run_cli("grade", str(tmp_path / "hw" / "sheet-s1.ipynb"), str(tmp_path / "hw" / "sheet-s2.ipynb"),
                "--manifest", str(tmp_path / "hw" / "sheet-manifest.json"))
    assert r.exit_code == 0, r.output
    assert {x["student"] for x in r.json()["results"]} == {"s1", "s2"}


def test_output_folders_and_missing_folders(run_cli, tmp_path):
    r = run_cli("grade", "solutions", "-o", str(tmp_path))
    assert r.exit_code == 2
    from tutor.commands.export import gradescope
    from tutor.commands.grade import main as grade

    assert grade(paths=["solutions"], output=str(tmp_path)).code == "grade.output-is-folder"
    assert gradescope(output=str(tmp_path)).code == "export.output-is-folder"


def test_an_unusable_progress_database_is_one_clear_error_and_reset_mends_it(run_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("TUTOR_DATA", str(tmp_path))
    (tmp_path / "progress.sqlite3").write_text("not a database")
    r = run_cli("progress", "--json")
    assert (r.exit_code, r.error_code()) == (2, "progress.unusable")
    assert run_cli("progress", "--reset").exit_code == 0
    assert all(t["exercises"] == 0 for t in run_cli("progress", "--json").json()["topics"].values())


def test_a_code_run_that_timed_out_says_so_with_its_seconds():
    v = bank.variant(bank.find(bank.load(), "code-zero-before-backward"), 0)
    judged = v.kind.grade_result(v, {"failure": "timeout", "seconds": 7.5})
    assert not judged.correct and "7.5" in judged.explanation
