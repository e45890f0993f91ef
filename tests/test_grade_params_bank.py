"""The grader's inputs cannot be tabulated: every bundled code exercise draws them (grade_params) from a space
far larger than the quiz's friendly ranges, so a table of answers built at home earns nothing."""
import itertools
from pathlib import Path

import pytest

from tutor import bank
from tutor.bank.kinds.code import Code
from tutor.bank.params import input_space, param_specs, param_values
from tutor.features.grading import grade_paths

ROOT = Path(__file__).resolve().parents[1]
CODE = [ex for ex in bank.load(ROOT / "exercises") if ex.kind == "code"]
MIN_SPACE = 10 ** 5


def test_the_bank_has_code_exercises():
    assert len(CODE) >= 30


@pytest.mark.parametrize("ex", CODE, ids=lambda ex: ex.id)
def test_every_code_exercise_grades_on_a_space_too_large_to_tabulate(ex):
    assert ex.data.get("grade_params"), f"{ex.id}: no [exercise.grade_params]"
    used = Code.call_params(ex)
    assert used, f"{ex.id}: the call uses no parameter: its inputs never change"
    assert set(ex.data["grade_params"]) <= used, "a grade_params range the function never sees widens nothing"
    size = input_space(ex, grading=True, names=used)
    assert size >= MIN_SPACE, f"{ex.id}: only {size} different inputs for the grader"
    assert size > input_space(ex, names=used)             # wider than the quiz's ranges


def test_the_space_is_counted_from_the_ranges():
    ex = bank.by_id(CODE)["code-zero-before-backward"]
    specs = param_specs(ex, grading=True)
    assert [len(param_values(specs[n])) for n in ("x0", "lr", "k")] == [381, 291, 4]
    assert input_space(ex, grading=True) == 381 * 291 * 4
    assert input_space(ex) == 4 * 2 * 4                    # the quiz's: 32 inputs, a table in a minute


# ---- the attack: a table of every input the public quiz ranges can give, looked up at grading time

def _key(call):
    """A call's arguments as a table key (the submission computes the same)."""
    return tuple(sorted((name, tuple(round(float(x), 9) for x in value) if isinstance(value, list)
                         else round(float(value), 9)) for name, value in call.items()))


def _table(ex):
    """What a student builds at home with the public package: every combination of the quiz's parameter
    values, and the reference answer the bank's own scenario computes for it."""
    kind = ex.handler
    specs = param_specs(ex)
    names = sorted(specs)
    table = {}
    for values in itertools.product(*(param_values(specs[n]) for n in names)):
        v = kind.draw(ex, 0, dict(zip(names, values)))
        answer = v.answer.floats()
        table[_key(kind.call_args(v))] = answer if v.answer.vector else answer[0]
    return table


def _lookup_submission(ex, table):
    return (f"TABLE = {table!r}\n\n\n"
            "def _key(call):\n"
            "    return tuple(sorted((name, tuple(round(float(x), 9) for x in value) if isinstance(value, list)\n"
            "                         else round(float(value), 9)) for name, value in call.items()))\n\n\n"
            f"def {ex.data['function']}(**call):\n"
            "    return TABLE.get(_key(call), 0.0)\n")


ATTACKED = ["code-zero-before-backward", "code-accumulation-per-point"]
STUDENTS = ["s1", "s2", "s3", "s4"]


@pytest.fixture(scope="module")
def attack(tmp_path_factory):
    root = tmp_path_factory.mktemp("lookup")
    exercises = bank.by_id(CODE)
    tables = {}
    for eid in ATTACKED:
        ex = exercises[eid]
        tables[eid] = table = _table(ex)
        name = Path(ex.data["file"]).name
        for student in STUDENTS:
            (root / "subs" / student).mkdir(parents=True, exist_ok=True)
            (root / "subs" / student / name).write_text(_lookup_submission(ex, table))
        (root / "subs" / "honest").mkdir(parents=True, exist_ok=True)
        (root / "subs" / "honest" / name).write_text((ROOT / "solutions" / ex.data["file"]).read_text())
    report = grade_paths([root / "subs"], jobs=2, secret="lookup-table-attack")   # per-student inputs
    return tables, {(r.student, r.exercise): r for r in report.results}


@pytest.mark.parametrize("eid", ATTACKED)
def test_the_table_is_right_on_every_quiz_input(eid):
    """The attack is real: on the quiz's ranges the table returns the right answer every time."""
    ex = bank.by_id(CODE)[eid]
    table = _table(ex)
    assert len(table) == input_space(ex)
    for seed in range(20):
        v = bank.variant(ex, seed)
        got = table[_key(ex.handler.call_args(v))]
        assert ex.handler.grade_result(v, {"value": got}).correct


@pytest.mark.parametrize("eid", ATTACKED)
def test_a_lookup_table_of_the_quiz_inputs_earns_nothing_from_the_grader(attack, eid):
    _tables, results = attack
    honest = results[("honest", eid)]
    assert honest.score == honest.max_score > 0, [t.output for t in honest.tests]
    for student in STUDENTS:
        r = results[(student, eid)]
        assert r.max_score == honest.max_score
        assert r.score == 0, (student, [t.name for t in r.tests])
