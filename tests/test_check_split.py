"""`tutor check` split in two: the sympy work (forked processes, no torch) and torch's runs (the trusted worker).

The worker's ``programs`` job runs the tutor's own rendered programs; what it
sends back is read against a strict schema.  The derive witness written as a
program gives torch's gradients bit for bit; the check verifies the same
things with one process or two.
"""
import math
from pathlib import Path

import pytest

from tutor import bank
from tutor.engines.gradients import compute, torch_program, with_torch, without_torch
from tutor.engines.runner.programs import run_programs
from tutor.engines.runner.protocol import program_answer
from tutor.engines.scenario.torchrun import answer_of
from tutor.features.check import check_bank

BANKS = Path(__file__).parent / "fixtures" / "banks"


@pytest.mark.parametrize("entry", [
    None, [], "x", {"kind": "pickle"}, {"kind": "bool", "flag": 1}, {"kind": "number", "values": [True], "vector": True},
    {"kind": "number", "values": [1.0, 2.0], "vector": False}, {"kind": "number", "values": ["1e3"], "vector": False},
    {"kind": "number", "values": [10 ** 400], "vector": False}, {"kind": "number", "values": [1.0]},
    {"kind": "number", "values": [[1.0]], "vector": True}, {"kind": "error", "type": 3, "message": ""},
])
def test_a_program_answer_outside_the_schema_is_unreadable(entry):
    assert program_answer(entry) == {"kind": "unreadable"}


def test_program_answers_are_cleaned_and_nonfinite_values_named():
    got = program_answer({"kind": "number", "values": ["inf", "-inf", 2], "vector": True})
    assert got["values"][:2] == [math.inf, -math.inf] and got["values"][2] == 2.0
    assert math.isnan(program_answer({"kind": "number", "values": ["nan"], "vector": False})["values"][0])
    err = program_answer({"kind": "error", "type": "Runtime\x1b[31mError<x>", "message": "bad\x1b[2J" + "y" * 5000})
    assert err["type"] == "Runtime31mErrorx" and "\x1b" not in err["message"] and len(err["message"]) <= 2000


def test_the_programs_job_reads_values_grads_flags_and_errors():
    source = ("import torch\nx = torch.tensor([1.0, 2.0], requires_grad=True)\ny = (x ** 2).sum()\n"
              "y.backward()\nz = x.detach() / 0\n")
    asks = [{"name": "x", "attr": "grad", "index": None}, {"name": "x", "attr": "grad", "index": 1},
            {"name": "y", "attr": "is_leaf", "index": None}, {"name": "y", "attr": "grad", "index": None},
            {"name": "z", "attr": "value", "index": None}]
    raising = {"source": "import torch\ny = torch.tensor(1.0)\ny.backward()\n",
               "asks": [{"name": "y", "attr": "value", "index": None}]}
    (values, (error,)) = run_programs([{"source": source, "asks": asks}, raising])
    assert [answer_of(v).text() for v in values] == ["[2, 4]", "4", "False", "None", "[inf, inf]"]
    assert error["kind"] == "error" and error["type"] == "RuntimeError"
    assert "does not require grad" in answer_of(error).text()


@pytest.mark.parametrize("expression, point", [
    ("sin(3 x^2) + exp(-x) / (1 + x^2)", {"x": "-1.3"}), ("x^3 y - sec(y) + sqrt(x^2 + y^2)", {"x": "0.7", "y": "2"}),
    ("sigmoid(a x) * relu(x) + tanh(2) x + pi", {"x": "1.1", "a": "-0.4"}), ("log(x^2 + 1/3) - heaviside(x) x", {"x": "2"}),
])
def test_the_derive_witness_program_gives_torchs_own_gradients(expression, point):
    at = [f"{k}={v}" for k, v in point.items()]
    partial = without_torch(expression, at)
    (values,) = run_programs([torch_program(partial)])
    grads = {name: value["values"] for name, value in zip(partial.point, values)}
    direct = compute(expression, at)
    assert grads == {name: w.torch for name, w in direct.gradients.items()}          # bit for bit
    split = with_torch(partial, grads)
    assert split.agree and {n: w.status for n, w in split.gradients.items()} == \
        {n: w.status for n, w in direct.gradients.items()}


def test_compute_can_skip_the_symbolic_display():
    assert compute("x^2 sin(x)", ["x=1"], symbolic=False).gradients["x"].symbolic is None
    assert compute("x^2 sin(x)", ["x=1"]).gradients["x"].symbolic


@pytest.mark.parametrize("fixture", ["good", "wrong-gradient", "stub-passes"])
def test_one_process_or_two_verify_the_same(fixture):
    root = BANKS / fixture / "exercises"
    one, two = check_bank(root, seeds=3, jobs=1), check_bank(root, seeds=3, jobs=2)
    assert (one.variants, [p.to_json() for p in one.problems]) == (two.variants, [p.to_json() for p in two.problems])


def test_a_kinds_own_check_runs_its_torch_part_through_the_worker():
    good = {ex.id: ex for ex in bank.load(BANKS / "good" / "exercises")}
    ctx = bank.CheckContext(BANKS / "good" / "solutions")
    assert [good[i].handler.check(good[i], 2, ctx) for i in good] == [2, 2, 1, 2]
