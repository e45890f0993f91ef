"""The computation graph the quiz draws is the simulator's, and `tutor check` proves every node against torch.

The old drawing named a grad_fn from the math operator alone: ``2 - x`` was
drawn ``SubBackward0`` (torch: ``RsubBackward1``), ``2 / x`` ``DivBackward0``
(torch multiplies by the reciprocal: ``MulBackward0``), ``2 ^ x``
``PowBackward0`` (torch: ``PowBackward2``), ``cot(x)`` ``CotBackward0``.
"""
import json
from pathlib import Path

import pytest

from tutor.engines.runner.programs import run_programs
from tutor.engines.scenario import build
from tutor.engines.scenario.graph import check_graph, grad_fn_name, graph, torch_graph_asks
from tutor.engines.scenario.torchrun import program

EXPRS = ["x + 2", "2 + x", "x - 2", "2 - x", "c - x", "x - c", "2 x", "-2 x", "-x", "-(x y)", "x / 2", "2 / x",
         "c / x", "x^2", "2^x", "x^y", "x^c", "c^x", "x^0.5", "cot(x)", "sec(x)", "sin(x)", "relu(x)", "sigmoid(x)",
         "heaviside(x) x", "abs(x)", "sqrt(x)", "log(x) + c", "exp(-x)", "tanh(x) * c", "x y - 3", "(1/3) / x"]


def scenario(expr, ask="z.grad", steps=None):
    return build({"leaves": [{"name": "x", "value": "0.7"}, {"name": "y", "value": "1.3"},
                             {"name": "c", "value": "2", "requires_grad": False}],
                  "steps": steps or [{"forward": "z", "expr": expr}], "ask": ask}, {}, where="t")


def torch_says(scenarios):
    runs = []
    for s in scenarios:
        nodes = graph(s)
        p = program(s)
        p["asks"] += torch_graph_asks(nodes)
        runs.append((nodes, p))
    answers = run_programs([p for _n, p in runs])
    return [(nodes, values[1:]) for (nodes, _p), values in zip(runs, answers)]


def test_every_grad_fn_the_graph_names_is_torchs():
    results = torch_says([scenario(e) for e in EXPRS])
    wrong = {e: check_graph(nodes, got) for e, (nodes, got) in zip(EXPRS, results) if check_graph(nodes, got)}
    assert wrong == {}
    names = {e: nodes[-1].grad_fn for e, (nodes, _g) in zip(EXPRS, results)}
    assert (names["2 - x"], names["2 / x"], names["2^x"], names["x^c"], names["cot(x)"]) == \
        ("RsubBackward1", "MulBackward0", "PowBackward2", "PowBackward1", "MulBackward0")


def test_graph_through_no_grad_retain_grad_loops_and_a_raise():
    steps = [{"forward": "d", "expr": "4*c + 1"}, {"forward": "b", "expr": "x^2", "mode": "no_grad"},
             {"repeat": "2", "body": [{"forward": "m", "expr": "x * y"}, {"retain_grad": "m"},
                                      {"forward": "z", "expr": "m + d"}, {"backward": "z"}]},
             {"forward": "w", "expr": "m - 1", "mode": "set_grad_enabled"}, {"backward": "z"}]
    s = scenario("", ask="x.grad", steps=steps)
    [(nodes, got)] = torch_says([s])
    assert check_graph(nodes, got) is None                    # (the second backward raises: the graph as it stood)
    facts = {n.name: (n.is_leaf, n.requires_grad, n.grad_fn, n.retains) for n in nodes}
    assert facts["d"] == facts["b"] == facts["w"] == (True, False, None, False)
    assert facts["m"] == (False, True, "MulBackward0", True)


def test_check_graph_names_the_node_torch_contradicts():
    s = scenario("2 - x")
    [(nodes, got)] = torch_says([s])
    import dataclasses
    drawn_wrong = [dataclasses.replace(n, grad_fn="SubBackward0") if n.name == "z" else n for n in nodes]
    name, drawn, torch_has = check_graph(drawn_wrong, got)
    assert name == "z" and "SubBackward0" in drawn and "RsubBackward1" in torch_has
    assert check_graph(nodes[-1:], [{"kind": "none"}]) == ("z", drawn.replace("SubBackward0", "RsubBackward1"),
                                                             "none")          # no such tensor in torch


@pytest.mark.parametrize("code, name", [("x", None), ("+x", None), ("x.sum()", "SumBackward0"),
                                        ("torch.dot(u, v)", "DotBackward0"), ("math.pi * x", "MulBackward0"),
                                        ("math.pi - x", "RsubBackward1"), ("(-2) ** x", "PowBackward2")])
def test_grad_fn_names_from_the_rendered_code(code, name):
    assert grad_fn_name(code) == name


GRAPH_EXERCISE = '''format_version = 1

[[exercise]]
id = "graph-rsub"
title = "T"
topic = "graph-leaves"
kind = "predict"
hints = ["h"]
explanation = "z is not a leaf"
[exercise.scenario]
leaves = [ { name = "x", value = "3" } ]
steps = [ { forward = "z", expr = "2 - x" } ]
ask = "z.is_leaf"
'''


def test_check_refuses_a_graph_torch_contradicts(tmp_path, run_cli, monkeypatch):
    d = tmp_path / "exercises"
    d.mkdir()
    (d / "graph.toml").write_text(GRAPH_EXERCISE)
    r = run_cli("--exercises", str(d), "check", "--json", "--seeds", "1")
    assert json.loads(r.stdout)["ok"] is True, r.stdout
    import tutor.engines.scenario.graph as g
    monkeypatch.setattr(g, "grad_fn_name", lambda code: "SubBackward0")       # the old drawing's rule
    r = run_cli("--exercises", str(d), "check", "--json", "--seeds", "1")
    problems = json.loads(r.stdout)["problems"]
    assert [p["code"] for p in problems] == ["check.graph-disagrees"], problems
    assert "RsubBackward1" in json.dumps(problems[0], ensure_ascii=False)


def test_a_forward_step_that_only_renames_a_tensor_is_refused():
    # `y = x` makes y the tensor x itself (a leaf with x's .grad); the simulation took it for a new tensor
    from tutor.foundation.errors import TutorError

    with pytest.raises(TutorError, match=r"steps\[0\]\.expr"):
        build({"leaves": [{"name": "x", "value": "2"}], "steps": [{"forward": "y", "expr": "(x)"}],
               "ask": "y.grad"}, {}, where="t")


def test_a_stated_answer_is_verified_against_every_seed(tmp_path, run_cli):
    d = tmp_path / "exercises"
    d.mkdir()
    text = GRAPH_EXERCISE.replace('kind = "predict"', 'kind = "predict"\nanswer = "False"')
    (d / "graph.toml").write_text(text)
    r = run_cli("--exercises", str(d), "check", "--json", "--seeds", "2")
    assert json.loads(r.stdout)["ok"] is True, r.stdout
    (d / "graph.toml").write_text(text.replace('answer = "False"', 'answer = "True"'))
    r = run_cli("--exercises", str(d), "check", "--json", "--seeds", "2")
    assert [p["code"] for p in json.loads(r.stdout)["problems"]] == ["check.answer-differs"]
    (d / "graph.toml").write_text(text.replace('answer = "False"', 'answer = [1, 2]'))
    r = run_cli("--exercises", str(d), "check", "--json", "--seeds", "2")
    assert [p["code"] for p in json.loads(r.stdout)["problems"]] == ["bank.bad-answer"]


def test_the_key_is_graded_back_and_each_misconception_answer_read_as_itself(monkeypatch):
    # the key was never graded back through the grader (ISSUE 12)
    import tutor.bank.candidates as candidates
    from tutor import bank
    from tutor.foundation.errors import TutorError

    root = Path(__file__).parent.parent
    exercises = {ex.id: ex for ex in bank.load(root / "exercises")}
    ctx = bank.CheckContext(root / "solutions")
    chosen = [exercises[i] for i in ("accumulate-three-backward", "code-zero-before-backward")]
    assert all(ex.handler.check(ex, 1, ctx) >= 1 for ex in chosen)     # (code: the grader's draws too)
    monkeypatch.setattr(candidates, "classify", lambda answer, cands: [])      # every wrong answer unexplained
    for ex in chosen:
        with pytest.raises(TutorError) as caught:
            ex.handler.check(ex, 1, ctx)
        assert caught.value.code == "check.candidate-misread"


def test_fixes_are_the_programs_own_lines_and_check_runs_them(monkeypatch):
    # fix snippets used names the question does not have (y_pred, opt, k) and were never run (ISSUE 12)
    import re

    import tutor.bank.kinds.predict as predict
    from tutor import bank
    from tutor.bank.kinds._scenario import fix_program, fix_text
    from tutor.engines.scenario import Forward, walk
    from tutor.foundation.errors import TutorError

    root = Path(__file__).parent.parent
    exercises = {ex.id: ex for ex in bank.load(root / "exercises")}
    shown = 0
    for ex in exercises.values():
        if ex.kind not in ("predict", "code"):
            continue
        v = bank.variant(ex, 0)
        names = set(re.findall(r"[A-Za-z_]\w*", v.kind.shown_text(v) + (v.code or "")))
        names |= {step.name for step in walk(v.scenario.steps) if isinstance(step, Forward)}   # it defines them
        for c in v.candidates:
            fix = fix_text(v, c.id)
            for line in fix.splitlines()[1:]:
                shown += 1
                code = line[2:].split("#")[0]
                unknown = set(re.findall(r"(?<![.\w])[A-Za-z_]\w*", code)) - names - {
                    "torch", "None", "True", "False", "if", "is", "not", "for", "in", "range", "with", "print",
                    "retain_graph", "def", "return"}
                assert not unknown, (ex.id, c.id, line)
    assert shown > 50
    ex = exercises["accumulate-three-backward"]
    ctx = bank.CheckContext(root / "solutions")
    assert ex.handler.check(ex, 1, ctx) == 1

    def broken(v, mid):
        fix = fix_program(v, mid)
        if fix is None:
            return None
        before, after, prints = fix
        return before, after, bank.variant(ex, 0).answer        # promises the right answer instead
    monkeypatch.setattr(predict, "fix_program", broken)
    with pytest.raises(TutorError) as caught:
        ex.handler.check(ex, 1, ctx)
    assert caught.value.code == "check.fix-fails"
