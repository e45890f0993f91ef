"""The exercise bank: loading and validation errors, `tutor check` on fixture
banks, the bank options of the CLI, seeded variants and grading."""
import json
import shutil
import textwrap
from pathlib import Path

import pytest

from tutor import bank
from tutor.bank.answers import parse_prediction
from tutor.bank.params import draw_params
from tutor.foundation.errors import BankError, TutorError
from tutor.foundation.paths import default_bank_dir

BANKS = Path(__file__).parent / "fixtures" / "banks"
ROOT = Path(__file__).resolve().parents[1]


def bank_dir(name):
    return str(BANKS / name / "exercises")


@pytest.fixture
def good():
    return {ex.id: ex for ex in bank.load(bank_dir("good"))}


# ----------------------------------------------------------------- loading

def test_good_bank_loads_in_file_order(good):
    assert list(good) == ["good-derive-power", "good-predict-accumulate", "good-concept-default",
                          "good-code-descend"]
    assert [ex.kind for ex in good.values()] == ["derive", "predict", "concept", "code"]
    ex = good["good-predict-accumulate"]
    assert ex.topic == "accumulation" and ex.title == "k backward calls"
    assert ex.hints == ["Does backward() replace .grad or add to it?"]
    assert ex.path == BANKS / "good" / "exercises" / "good.toml"
    assert ex.summary()["kind"] == "predict"


def _load_error(path_dir):
    with pytest.raises(BankError) as info:
        bank.load(path_dir)
    return info.value


@pytest.mark.parametrize("fixture,file,exercise,field,code,shown", [
    ("malformed", "broken.toml", None, None, "bank.toml", []),
    ("bad-field", "essay.toml", "write-an-essay", "kind", "bank.unknown-kind", ["'essay'", "derive, predict"]),
    ("unknown-misconception", "unknown.toml", "accumulate-twice", "misconceptions", "bank.unknown-misconception",
     ["accumulation.overwritten"]),
    ("duplicate-id", "b-second.toml", "same-id", "id", "bank.duplicate-id", ["a-first.toml"]),
])
def test_fixture_load_errors_name_file_exercise_and_field(fixture, file, exercise, field, code, shown):
    err = _load_error(bank_dir(fixture))
    msg = str(err)
    assert msg.startswith(str(BANKS / fixture / "exercises" / file))
    assert err.code == code
    assert err.exercise == exercise and err.field == field
    for value in [exercise, field, *shown]:
        assert value is None or value in msg


def test_duplicate_id_names_both_files():
    msg = str(_load_error(bank_dir("duplicate-id")))
    assert "b-second.toml" in msg and "a-first.toml" in msg


def test_malformed_toml_gives_line_and_column():
    assert "line 5" in str(_load_error(bank_dir("malformed")))      # tomllib's own words


BASE = """\
    id = "my-exercise"
    title = "A title"
    topic = "accumulation"
    kind = "concept"
    question = "Q?"
    answer = true
    hints = ["a hint"]
    explanation = "why"
"""


def _write_bank(tmp_path, body, header="format_version = 1\n\n[[exercise]]\n"):
    d = tmp_path / "exercises"
    d.mkdir(exist_ok=True)
    f = d / "bank.toml"
    f.write_text(header + textwrap.dedent(body))
    return d, f


def _without(line_start):
    return "\n".join(line for line in BASE.splitlines() if not line.strip().startswith(line_start)) + "\n"


@pytest.mark.parametrize("body,field,code", [
    (_without("hints"), "hints", "bank.bad-hints"),
    (BASE.replace('hints = ["a hint"]', "hints = []"), "hints", "bank.bad-hints"),
    (_without("explanation"), "explanation", "bank.missing-text"),
    (BASE.replace('"accumulation"', '"gradients"'), "topic", "bank.unknown-topic"),
    (BASE.replace('question = "Q?"', 'question = "Q?"\nfunction = "x"'), "function", "bank.unknown-field"),
    (BASE.replace("answer = true", 'answer = "yes"'), "answer", "bank.bad-answer"),
    (BASE.replace("answer = true", 'choices = ["a", "b"]\nanswer = 2'), "answer", "bank.bad-answer"),
    (BASE.replace("answer = true", 'choices = ["a", "b"]\nanswer = 0\nwhy = ["only one"]'), "why", "bank.bad-why"),
    (_without("question"), "question", "bank.missing-question"),
    (BASE + "misconceptions = \"accumulation.overwrite\"\n", "misconceptions", "bank.bad-misconceptions"),
    (BASE + "[exercise.params]\na = { min = 5, max = 2 }\n", "params.a", "bank.bad-range"),
    (BASE + "[exercise.params]\na = { low = 1 }\n", "params.a", "bank.bad-params"),
], ids=["no-hints", "empty-hints", "no-explanation", "bad-topic", "unknown-field", "tf-answer", "choice-index",
        "why-length", "no-question", "misconceptions-not-list", "params-min-max", "params-shape"])
def test_field_errors(tmp_path, body, field, code):
    d, f = _write_bank(tmp_path, body)
    err = _load_error(d)
    assert str(err).startswith(str(f)) and "my-exercise" in str(err) and field in str(err)
    assert (err.exercise, err.field, err.code) == ("my-exercise", field, code)


def test_brace_messages_are_formatted(tmp_path):
    from tutor.engines.scenario import build

    d, _f = _write_bank(tmp_path, BASE + "[exercise.params]\na = { low = 1 }\n")
    msg = str(_load_error(d))
    assert "{ min = ..., max = ... }" in msg and msg.endswith("{ choices = [...] }")      # braces, not placeholders
    with pytest.raises(TutorError) as info:
        build({"leaves": [{"name": "x", "value": "1"}], "steps": ["oops"], "ask": "x"}, {})
    assert str(info.value).startswith("scenario.steps[0]: ") and str(info.value).endswith('expr = "x^2" }')


def test_bad_or_missing_id(tmp_path):
    d, f = _write_bank(tmp_path, BASE.replace('"my-exercise"', '"My_Exercise"'))
    err = _load_error(d)
    assert (err.exercise, err.field, err.code) == ("My_Exercise", "id", "bank.bad-id")
    assert str(err).startswith(str(f)) and str(err).endswith("'My_Exercise'")
    d, f = _write_bank(tmp_path, _without("id ="))
    err = _load_error(d)
    assert (err.exercise, err.field, err.code) == (None, "id", "bank.bad-id")


@pytest.mark.parametrize("body,field,code", [
    ('function = "x^"\nvariables = ["x"]\n', "function", "math.incomplete"),
    ('function = "x^2"\nvariables = []\n', "variables", "bank.bad-variables"),
    ('function = "x^2"\nvariables = ["x"]\nwrt = ["y"]\n', "wrt", "bank.bad-wrt"),
    ('function = "x^2"\nvariables = ["x"]\nanswer = ["2x", "3"]\n', "answer", "bank.bad-answer"),
    ('function = "x^2"\nvariables = ["x"]\nanswer = "2 z"\n', "answer", "math.unknown-name"),
])
def test_derive_field_errors(tmp_path, body, field, code):
    text = ('id = "my-derive"\ntitle = "T"\ntopic = "derivatives"\nkind = "derive"\nhints = ["h"]\n'
            'explanation = "e"\n' + body)
    d, f = _write_bank(tmp_path, text)
    err = _load_error(d)
    assert str(err).startswith(str(f))
    assert (err.exercise, err.field, err.code) == ("my-derive", field, code)


def test_code_exercise_without_stub(tmp_path):
    text = ('id = "my-code"\ntitle = "T"\ntopic = "zeroing"\nkind = "code"\nhints = ["h"]\nexplanation = "e"\n'
            'file = "code/missing.py"\nfunction = "f"\n[exercise.scenario]\nleaves = [{name = "x", value = "1"}]\n'
            'steps = []\nask = "x"\n')
    d, f = _write_bank(tmp_path, text)
    err = _load_error(d)
    assert (err.exercise, err.field, err.code) == ("my-code", "file", "bank.no-stub")
    assert "missing.py" in str(err)


def test_file_level_errors(tmp_path):
    d, f = _write_bank(tmp_path, BASE, header="[[exercise]]\n")
    err = _load_error(d)
    assert (err.path, err.field, err.code) == (str(f), "format_version", "bank.format-version")
    f.write_text("format_version = 1\n")
    err = _load_error(d)
    assert (err.field, err.code) == ("exercise", "bank.field")
    f.write_text("format_version = 1\nauthor = 'me'\n\n[[exercise]]\n" + textwrap.dedent(BASE))
    err = _load_error(d)
    assert err.code == "bank.unknown-key" and str(err).endswith(": author")


def test_duplicate_id_in_one_file(tmp_path):
    d, f = _write_bank(tmp_path, BASE + "\n[[exercise]]\n" + textwrap.dedent(BASE))
    err = _load_error(d)
    assert (err.exercise, err.field, err.code) == ("my-exercise", "id", "bank.duplicate-id")
    assert str(err).count(str(f)) == 2          # the file and the earlier one (the same)


def test_missing_and_empty_bank(tmp_path):
    with pytest.raises(TutorError) as info:
        bank.load(tmp_path / "nowhere")
    assert info.value.code == "bank.missing"
    with pytest.raises(TutorError) as info:
        bank.load(tmp_path)
    assert info.value.code == "bank.empty"


def test_bad_scenario_loads_but_fails_to_build():
    (ex,) = bank.load(bank_dir("bad-scenario"))
    with pytest.raises(TutorError) as info:
        bank.variant(ex, 0)
    assert info.value.code == "scenario.field"
    assert str(info.value).startswith("backward-of-nothing.scenario.steps[1].backward: 'z' ")


def test_colliding_misconceptions_cannot_be_kept_apart():
    (ex,) = bank.load(bank_dir("colliding-misconceptions"))
    # verify the collision itself: f(2) = 4 = f'(2) in the only draw there is
    assert draw_params(ex, 0) == {"x0": 2}
    with pytest.raises(BankError) as info:
        bank.variant(ex, 0)
    err = info.value
    assert (err.exercise, err.field, err.code) == ("square-at-two", "params", "bank.candidates-coincide")
    assert "answer.value-as-grad" in str(err) and str(err).rstrip().endswith("4")     # the pair and its value


# ------------------------------------------------------------ tutor check

def test_check_good_bank_passes(run_cli):
    r = run_cli("--exercises", bank_dir("good"), "check", "--seeds", "2", "--json")
    assert r.exit_code == 0, r.output
    data = r.json()
    assert data["ok"] is True and data["exercises"] == 4 and data["problems"] == []
    text = run_cli("--exercises", bank_dir("good"), "check", "--seeds", "1")
    assert text.exit_code == 0 and text.stdout.startswith("✓ 4 ")


def test_check_accepts_exercises_after_the_subcommand(run_cli):
    r = run_cli("check", "--exercises", bank_dir("bad-field"))
    assert r.exit_code == 1
    assert "essay.toml" in r.output


BROKEN = [
    ("wrong-gradient", "power.toml", "stated-power-rule", "check.stated-answer", ["3*x^2"]),
    ("duplicate-id", "b-second.toml", "same-id", "bank.duplicate-id", ["a-first.toml"]),
    ("colliding-misconceptions", "collide.toml", "square-at-two", "bank.candidates-coincide",
     ["answer.value-as-grad"]),
    ("stub-passes", "stub.toml", "stub-already-right", "check.stub-passes", ["code/grad_square.py"]),
    ("malformed", "broken.toml", None, "bank.toml", []),
    ("bad-field", "essay.toml", "write-an-essay", "bank.unknown-kind", ["'essay'"]),
    ("unknown-misconception", "unknown.toml", "accumulate-twice", "bank.unknown-misconception",
     ["accumulation.overwritten"]),
    ("bad-scenario", "undefined.toml", "backward-of-nothing", "scenario.field", ["scenario.steps[1].backward", "'z'"]),
]


@pytest.mark.parametrize("fixture,file,exercise,code,shown", BROKEN, ids=[b[0] for b in BROKEN])
def test_check_fails_precisely_on_broken_banks(run_cli, fixture, file, exercise, code, shown):
    r = run_cli("--exercises", bank_dir(fixture), "check", "--seeds", "3", "--json")
    assert r.exit_code == 1, r.output
    (problem,) = r.json()["problems"]
    assert problem["file"] == str(BANKS / fixture / "exercises" / file)
    assert (problem["exercise"], problem["code"]) == (exercise, code)
    for value in shown:
        assert value in problem["reason"]
    text = run_cli("--exercises", bank_dir(fixture), "check", "--seeds", "3")
    problems = [line for line in text.stdout.splitlines() if line.startswith("✗ ")]
    assert problems == ["✗ " + problem["file"] + (f": {exercise}" if exercise else "") + ": " + problem["reason"]]


def test_check_json_problem_fields(run_cli):
    r = run_cli("--exercises", bank_dir("wrong-gradient"), "check", "--seeds", "3", "--json")
    assert r.exit_code == 1
    data = json.loads(r.stdout)
    assert data["ok"] is False and data["exercises"] == 1
    (p,) = data["problems"]
    assert p["file"] == str(BANKS / "wrong-gradient" / "exercises" / "power.toml")
    assert p["exercise"] == "stated-power-rule" and p["code"] == "check.stated-answer"


def test_wrong_gradient_is_right_for_some_seeds_only():
    from tutor.bank.kinds.derive import _check_stated_answer

    (ex,) = bank.load(bank_dir("wrong-gradient"))
    right = wrong = 0
    for seed in range(6):
        v = bank.variant(ex, seed)
        if v.params["n"] == 3:
            _check_stated_answer(v, seed)        # no error
            right += 1
        else:
            with pytest.raises(TutorError) as info:
                _check_stated_answer(v, seed)
            assert info.value.code == "check.stated-answer"
            wrong += 1
    assert right and wrong


# ------------------------------------------------ TUTOR_EXERCISES and --exercises

def _ids(result):
    assert result.exit_code == 0, result.output
    return [item["id"] for item in json.loads(result.stdout)]


def test_list_json_with_global_option(run_cli, monkeypatch):
    monkeypatch.delenv("TUTOR_EXERCISES", raising=False)
    r = run_cli("--exercises", bank_dir("good"), "list", "--json")
    data = json.loads(r.stdout)
    assert r.exit_code == 0
    assert data[0] == {"id": "good-derive-power", "title": "Power rule with a coefficient",
                       "topic": "derivatives", "kind": "derive",
                       "file": str(BANKS / "good" / "exercises" / "good.toml")}
    assert [(d["id"], d["kind"]) for d in data] == [
        ("good-derive-power", "derive"), ("good-predict-accumulate", "predict"),
        ("good-concept-default", "concept"), ("good-code-descend", "code")]
    assert all({"id", "title", "topic", "kind"} <= set(d) for d in data)


def test_list_filters_with_global_option(run_cli):
    r = run_cli("--exercises", bank_dir("good"), "list", "--kind", "code", "--json")
    assert _ids(r) == ["good-code-descend"]
    r = run_cli("--exercises", bank_dir("good"), "list", "--topic", "accumulation")
    assert r.exit_code == 0
    assert "good-predict-accumulate" in r.stdout and "good-derive-power" not in r.stdout
    assert r.stdout.rstrip().splitlines()[-1].startswith("1 ")


def test_env_var_is_honoured_by_list_and_check(run_cli, monkeypatch):
    monkeypatch.setenv("TUTOR_EXERCISES", bank_dir("good"))
    assert _ids(run_cli("list", "--json"))[0] == "good-derive-power"
    assert default_bank_dir() == Path(bank_dir("good"))
    monkeypatch.setenv("TUTOR_EXERCISES", bank_dir("unknown-misconception"))
    r = run_cli("check", "--json")
    assert r.exit_code == 1
    (problem,) = r.json()["problems"]
    assert problem["file"].endswith("unknown.toml") and problem["exercise"] == "accumulate-twice"
    assert problem["code"] == "bank.unknown-misconception"
    r = run_cli("list", "--json")
    assert r.exit_code == 2 and r.error_code() == "bank.unknown-misconception"


def test_global_option_wins_over_env_var(run_cli, monkeypatch):
    monkeypatch.setenv("TUTOR_EXERCISES", bank_dir("malformed"))
    assert _ids(run_cli("--exercises", bank_dir("good"), "list", "--json"))[-1] == "good-code-descend"


def test_bundled_bank_without_env_var(run_cli, monkeypatch):
    monkeypatch.delenv("TUTOR_EXERCISES", raising=False)
    assert "accumulate-three-backward" in _ids(run_cli("list", "--json"))


def test_list_of_a_missing_bank_is_invalid(run_cli, tmp_path):
    r = run_cli("--exercises", str(tmp_path / "nowhere"), "list", "--json")
    assert r.exit_code == 2 and r.error_code() == "bank.missing"
    assert str(tmp_path / "nowhere") in r.stderr


# --------------------------------------------------------------- variants

@pytest.mark.parametrize("ex_id", ["good-derive-power", "good-predict-accumulate", "good-concept-default",
                                   "good-code-descend"])
def test_variants_are_deterministic(good, ex_id):
    for seed in (0, 3, 17):
        a, b = bank.variant(good[ex_id], seed), bank.variant(good[ex_id], seed)
        assert a.params == b.params
        assert a.prompt == b.prompt
        assert a.code == b.code
        assert bank.expected_text(a) == bank.expected_text(b)
        assert [c.id for c in a.candidates] == [c.id for c in b.candidates]


def test_different_seeds_differ(good):
    ex = good["good-predict-accumulate"]
    variants = [bank.variant(ex, seed) for seed in range(10)]
    params = {tuple(sorted((k, int(v)) for k, v in v.params.items())) for v in variants}
    codes = {v.code for v in variants}
    answers = {v.answer.text() for v in variants}
    assert len(params) >= 4 and len(codes) >= 4 and len(answers) >= 4
    for v in variants:
        x0, k = int(v.params["x0"]), int(v.params["k"])
        assert 2 <= x0 <= 5 and 2 <= k <= 4
        assert f"x = torch.tensor({x0}.0, requires_grad=True)" in v.code
        assert f"for step in range({k}):" in v.code
        assert v.answer.floats() == [k * (2 * x0 + 1.75)]
    derive = good["good-derive-power"]
    prompts = {bank.variant(derive, seed).prompt for seed in range(10)}
    assert len(prompts) >= 3
    assert all("f(x) = " in p and "*x^3" in p and "f'(x)" in p for p in prompts)


def test_params_draws_respect_ranges(tmp_path):
    text = ('id = "p"\ntitle = "T"\ntopic = "derivatives"\nkind = "derive"\nhints = ["h"]\nexplanation = "e"\n'
            'function = "a x^2 + lr x"\nvariables = ["x"]\n'
            '[exercise.params]\na = { choices = [2, 7] }\nlr = { min = 0.05, max = 0.2, step = 0.05 }\n')
    d, _f = _write_bank(tmp_path, text)
    (ex,) = bank.load(d)
    seen_a, seen_lr = set(), set()
    for seed in range(60):
        p = draw_params(ex, seed)
        seen_a.add(p["a"])
        seen_lr.add(p["lr"])
    assert seen_a == {2, 7}
    import sympy
    assert seen_lr == {sympy.Rational(k, 20) for k in (1, 2, 3, 4)}


def test_code_variant_call_args(good):
    v = bank.variant(good["good-code-descend"], 0)
    assert bank.KINDS["code"].call_args(v) == {"x0": 3, "steps": 3}
    assert v.answer.text() == "0.375"
    assert v.code is None and "descend()" in v.prompt


# ---------------------------------------------------------------- grading

def _derive_variant(good, a):
    ex = good["good-derive-power"]
    for seed in range(40):
        v = bank.variant(ex, seed)
        if v.params["a"] == a:
            return v
    raise AssertionError(f"no seed draws a = {a}")


@pytest.mark.parametrize("typed", ["12x^2", "12 x^2", "x^2*12", "x^2 (12)", "12 x x", "x*12x", "4*3*x^2",
                                   "12 * x ** 2", "6x * 2x^3 / x^2"])
def test_derive_accepts_equivalent_forms(good, typed):
    v = _derive_variant(good, 4)
    g = bank.grade(v, typed)
    assert g.correct and g.misconception is None and g.invalid is None
    assert g.expected == "12*x^2"


@pytest.mark.parametrize("typed,mid", [
    ("4x^3", "derive.not-differentiated"),
    ("x^4", "derive.integrated"),
    ("-12x^2", "derive.sign"),
    ("12x^3", "derive.power-rule"),
])
def test_derive_misconceptions(good, typed, mid):
    g = bank.grade(_derive_variant(good, 4), typed)
    assert not g.correct and g.misconception == mid and g.invalid is None
    assert g.matches == [mid]


def test_derive_plain_wrong_answer(good):
    g = bank.grade(_derive_variant(good, 4), "7x")
    assert not g.correct and g.misconception is None and g.invalid is None
    assert g.explanation == "d/dx 4 x^3 = 3 * 4 x^2 = 12 x^2."           # in the variant's numbers (a = 4)


@pytest.mark.parametrize("typed,code", [
    ("12 x^", "math.incomplete"),
    ("12 y", "math.unknown-name"),
    ("", "math.empty"),
    ("sin(", "math.incomplete"),
])
def test_invalid_math_is_not_a_verdict(good, typed, code):
    g = bank.grade(_derive_variant(good, 4), typed)
    assert g.invalid is not None and g.code == code
    assert g.correct is False and g.misconception is None


@pytest.fixture
def accumulate():
    """The bundled exercise, at seed 1 (x0 = 3, k = 3): 3 * (2*3 + 1.75) = 23.25."""
    ex = bank.find(bank.load(_bundled()), "accumulate-three-backward")
    v = bank.variant(ex, 1)
    assert {k: int(val) for k, val in v.params.items()} == {"x0": 3, "k": 3}
    assert v.answer.text() == "23.25"
    return v


def _bundled():
    from tutor.foundation.paths import bundled_exercises

    return bundled_exercises()


@pytest.mark.parametrize("typed", ["23.25", "tensor(23.2500)", "3*7.75", "23.250"])
def test_predict_correct_forms(accumulate, typed):
    g = bank.grade(accumulate, typed)
    assert g.correct, typed
    assert g.misconception is None


@pytest.mark.parametrize("typed", ["23.26", "23.2", "[23.25]", "23"])
def test_predict_is_judged_at_the_precision_and_shape_torch_prints(accumulate, typed):
    # torch prints tensor(23.2500): 23.26 is another number, [23.25] another shape (ISSUE 12)
    assert not bank.grade(accumulate, typed).correct, typed


def test_error_names_are_matched_exactly_and_a_bare_error_asks_which():
    from tutor.bank.kinds._scenario import grade_prediction

    ex = next(e for e in bank.load() if e.kind == "predict" and "RuntimeError" in bank.variant(e, 1).answer.text())
    v = bank.variant(ex, 1)
    assert grade_prediction(v, "runtimeerror").correct
    assert not grade_prediction(v, "AttributeError").correct
    for generic in ("error", "exception", "Error"):
        g = grade_prediction(v, generic)
        assert not g.correct and g.invalid and g.code == "answer.error-type", generic


@pytest.mark.parametrize("typed,mid", [
    ("7.75", "accumulation.overwrite"),       # the single-backward value
    ("14.25", "answer.value-as-grad"),        # f(x0) = 9 + 5.25
    ("tensor(14.2500)", "answer.value-as-grad"),
    ("15.5", "loop.one-fewer"),
])
def test_predict_misconceptions(accumulate, typed, mid):
    g = bank.grade(accumulate, typed)
    assert not g.correct and g.misconception == mid and g.invalid is None
    assert g.expected == "23.25"


def test_overwrite_explanation_uses_the_numbers(accumulate):
    g = bank.grade(accumulate, "7.75")
    assert "3 × 7.75 = 23.25" in g.explanation
    assert "7.75" in g.fix.splitlines()[0] and "+     x.grad = None" in g.fix     # the program that prints 7.75


@pytest.mark.parametrize("typed", ["0", "None", "RuntimeError", "23.3"])
def test_predict_wrong_without_misconception(accumulate, typed):
    g = bank.grade(accumulate, typed)
    assert not g.correct and g.misconception is None and g.invalid is None


def test_predict_unreadable_answer_is_invalid(accumulate):
    g = bank.grade(accumulate, "twenty")
    assert g.invalid and g.code == "math.unknown-name" and "'twenty'" in g.invalid
    assert not g.correct and g.misconception is None


def test_predict_error_answers(tmp_path):
    d, _f = _write_bank(tmp_path, """\
        id = "twice"
        title = "T"
        topic = "retain-graph"
        kind = "predict"
        hints = ["h"]
        explanation = "e"
        [exercise.scenario]
        leaves = [ { name = "x", value = "3" } ]
        steps = [ { forward = "y", expr = "x^2" }, { backward = "y" }, { backward = "y" } ]
        ask = "x.grad"
        """)
    (ex,) = bank.load(d)
    v = bank.variant(ex, 0)
    assert v.answer.kind == "error" and v.answer.error[0] == "RuntimeError"
    assert bank.grade(v, "RuntimeError").correct
    bare = bank.grade(v, "error")                  # which error? asked again, at no cost
    assert not bare.correct and bare.invalid
    g = bank.grade(v, "12")
    assert not g.correct and g.misconception == "retain-graph.needed"
    assert not bank.grade(v, "AttributeError").correct


@pytest.mark.parametrize("typed,correct", [("b", True), ("B", True), ("b)", True), ("2", True),
                                           ("a", False), ("c", False), ("3", False)])
def test_concept_by_letter(good, typed, correct):
    v = bank.variant(good["good-concept-default"], 0)
    g = bank.grade(v, typed)
    assert g.correct is correct and g.invalid is None
    assert g.expected == "b) False"
    if typed == "a":
        assert g.explanation == "Tracking is off unless asked."     # the chosen option's why
    if correct:
        assert g.explanation == "requires_grad defaults to False."


@pytest.mark.parametrize("typed", ["d", "z", "4", "False", ""])
def test_concept_out_of_range_is_invalid(good, typed):
    g = bank.grade(bank.variant(good["good-concept-default"], 0), typed)
    assert g.invalid and g.code == "answer.choice" and g.invalid.endswith(" c")
    assert g.correct is False


def test_true_false_concept(tmp_path):
    d, _f = _write_bank(tmp_path, BASE)
    (ex,) = bank.load(d)
    v = bank.variant(ex, 0)
    assert bank.expected_text(v) == "true"
    for typed in ("true", "T", "yes", "1"):
        assert bank.grade(v, typed).correct, typed
    for typed in ("false", "n", "0"):
        assert not bank.grade(v, typed).correct, typed
    assert bank.grade(v, "maybe").code == "answer.true-false"


# -------------------------------------------------------- parse_prediction

def _num(values, vector):
    return ("number", [float(x) for x in values], vector)


def _shape(a):
    if a.kind == "number":
        return _num(a.values, a.vector)
    if a.kind == "bool":
        return ("bool", a.flag)
    if a.kind == "error":
        return ("error", a.error[0])
    return (a.kind,)


@pytest.mark.parametrize("text,expected", [
    ("None", ("none",)),
    ("none", ("none",)),
    ("True", ("bool", True)),
    ("False", ("bool", False)),
    ("RuntimeError", ("error", "RuntimeError")),
    ("RuntimeError: Trying to backward", ("error", "RuntimeError")),
    ("AttributeError", ("error", "AttributeError")),
    ("error", ("error", "Error")),
    ("[0.5, 1, 1.5]", _num([0.5, 1, 1.5], True)),
    ("tensor(14.2500)", _num([14.25], False)),
    ("3*4.75", _num([14.25], False)),
    ("14.25", _num([14.25], False)),
    ("tensor([2., 4.], requires_grad=True)", _num([2, 4], True)),
    ("[6]", _num([6], True)),
    ("1/3", _num([1 / 3], False)),
    ("-2.42976", _num([-2.42976], False)),
])
def test_parse_prediction(text, expected):
    assert _shape(parse_prediction(text)) == expected


def test_parse_prediction_is_exact():
    import sympy

    assert parse_prediction("3*4.75").values == (sympy.Rational(57, 4),)
    assert parse_prediction("[0.5, 1, 1.5]").values == (sympy.Rational(1, 2), 1, sympy.Rational(3, 2))


@pytest.mark.parametrize("text", ["abc", "[1, x]", "3 *", "tensor(1, 2"])
def test_parse_prediction_rejects(text):
    from tutor.mathlang import MathError

    with pytest.raises(MathError):
        parse_prediction(text)


# ------------------------------------------------------ derivatives with abs, relu, sign: printed as math, graded

NONSMOOTH = """\
format_version = 1

[[exercise]]
id = "abs-of-a-parabola"
title = "abs"
topic = "derivatives"
kind = "derive"
function = "abs(x^2 - a)"
variables = ["x"]
hints = ["sign"]
explanation = "d/dx |u| = sign(u) u'"
[exercise.params]
a = { min = 2, max = 5 }

[[exercise]]
id = "sign-times-a-square"
title = "sign"
topic = "derivatives"
kind = "derive"
function = "sign(x) x^2 + heaviside(x - a) x"
variables = ["x"]
hints = ["sign and heaviside are flat away from 0"]
explanation = "d/dx sign(x) = 0 where x != 0"
[exercise.params]
a = { min = 2, max = 5 }

[[exercise]]
id = "relu-of-a-line"
title = "relu"
topic = "derivatives"
kind = "derive"
function = "relu(a x + 1) + e x"
variables = ["x"]
hints = ["step"]
explanation = "d/dx relu(u) = heaviside(u) u'"
[exercise.params]
a = { min = 2, max = 5 }
"""


def test_derivatives_with_abs_and_relu_print_as_math_and_grade_right(tmp_path):
    from tutor.mathlang import parse
    from tutor.mathlang.sym import to_text

    d = tmp_path / "exercises"
    d.mkdir()
    (d / "nonsmooth.toml").write_text(NONSMOOTH)
    for ex in bank.load(d):
        for seed in range(3):
            v = bank.variant(ex, seed)
            typed = bank.typed_answer(v)
            assert "Abs" not in typed and "Heaviside" not in typed and "E" not in typed, typed
            parse(typed, variables={"x"})                 # the language reads what the tutor writes
            assert bank.grade(v, typed).correct, (ex.id, typed)
            assert "DiracDelta" not in typed
            assert any(f in v.prompt for f in ("abs", "relu", "sign"))
    assert to_text(parse("exp(1) + abs(x)").expr) in ("e + abs(x)", "abs(x) + e")


def test_check_proves_the_key_grades_as_right(tmp_path, run_cli):
    d = tmp_path / "exercises"
    d.mkdir()
    (d / "nonsmooth.toml").write_text(NONSMOOTH)
    r = run_cli("--exercises", str(d), "check", "--json", "--seeds", "2")
    assert json.loads(r.stdout)["ok"] is True, r.stdout


def test_check_refuses_orphan_stubs_and_solutions(tmp_path):
    # a stub or solution no exercise names passed tutor check (ISSUE 12)
    from tutor.features.check import orphans

    ex_dir, sol_dir = tmp_path / "exercises", tmp_path / "solutions"
    shutil.copytree(ROOT / "exercises", ex_dir)
    shutil.copytree(ROOT / "solutions", sol_dir)
    (ex_dir / "code" / "forgotten.py").write_text("def f():\n    pass\n")
    (sol_dir / "code" / "stray.py").write_text("def g():\n    return 1\n")
    found = orphans(ex_dir, sol_dir, bank.load(ex_dir))
    assert sorted(Path(p.file).name for p in found) == ["forgotten.py", "stray.py"]
    assert {p.code for p in found} == {"check.orphan-file"}
    assert orphans(ROOT / "exercises", ROOT / "solutions", bank.load(ROOT / "exercises")) == []


ACCIDENTAL_RAISE = '''format_version = 1

[[exercise]]
id = "vector-backward-by-accident"
title = "T"
topic = "backward"
kind = "predict"
hints = ["h"]
explanation = "x.grad = 2x"
[exercise.scenario]
leaves = [ { name = "x", value = "1, 2" } ]
steps = [ { forward = "y", expr = "x^2" }, { backward = "y" } ]
ask = "x.grad"
'''


def test_check_refuses_a_program_that_raises_without_saying_so(tmp_path, run_cli):
    # a non-scalar backward by accident passed, and the key said RuntimeError (ISSUE 12)
    d = tmp_path / "exercises"
    d.mkdir()
    (d / "accident.toml").write_text(ACCIDENTAL_RAISE)
    r = run_cli("--exercises", str(d), "check", "--json", "--seeds", "1")
    problems = json.loads(r.stdout)["problems"]
    assert [p["code"] for p in problems] == ["check.raises"], problems
    (d / "accident.toml").write_text(ACCIDENTAL_RAISE.replace('kind = "predict"', 'kind = "predict"\nraises = "RuntimeError"'))
    r = run_cli("--exercises", str(d), "check", "--json", "--seeds", "1")
    assert json.loads(r.stdout)["ok"] is True, r.stdout


@pytest.mark.parametrize("typed, right", [
    ("23.25", True), ("93/4", True), ("23.25*1", True), ("2325/100", True),
    ("23.26*1", False), ("2326/100", False), ("23.25 + 0.01", False),     # math was judged at 1e-3 (ISSUE 12)
])
def test_math_typed_answers_are_judged_at_the_precision_torch_prints(accumulate, typed, right):
    assert bank.grade(accumulate, typed).correct is right
