"""Step-by-step derivatives: each rule's result proven equal to sympy's derivative of that part."""
import json

import pytest

from tutor.engines.equivalence import check as equivalent
from tutor.engines.steps import derive_steps

# 20 textbook derivatives, the answers written by hand (not by sympy)
TEXTBOOK = [
    ("x^5", "5x^4"), ("3x^2 - 2x + 7", "6x - 2"), ("sqrt(x)", "1/(2 sqrt(x))"), ("1/x", "-1/x^2"),
    ("x^2 sin(x)", "2x sin(x) + x^2 cos(x)"), ("sin(x)/x", "(x cos(x) - sin(x))/x^2"),
    ("exp(2x)", "2 exp(2x)"), ("log(x^2 + 1)", "2x/(x^2 + 1)"), ("cos(3x + 1)", "-3 sin(3x + 1)"),
    ("tan(x)", "1/cos(x)^2"), ("x exp(x)", "exp(x) (1 + x)"), ("exp(x)/(1 + exp(x))", "exp(x)/(1 + exp(x))^2"),
    ("sigmoid(x)", "sigmoid(x) (1 - sigmoid(x))"), ("tanh(2x)", "2 (1 - tanh(2x)^2)"), ("2^x", "2^x log(2)"),
    ("x^x", "x^x (log(x) + 1)"), ("atan(x^2)", "2x/(1 + x^4)"), ("(x^2 + 1)^3", "6x (x^2 + 1)^2"),
    ("log(cos(x))", "-tan(x)"), ("asin(2x)", "2/sqrt(1 - 4x^2)"),
]


@pytest.mark.parametrize("expr,answer", TEXTBOOK)
def test_textbook_derivatives_step_by_step(expr, answer):
    d = derive_steps(expr, "x")
    assert d.steps and d.proven, [(s.part, s.result) for s in d.steps if not s.proven]
    assert equivalent(answer, d.result, ["x"]).verdict == "equivalent", (answer, d.result)
    assert equivalent(answer, d.simplified, ["x"]).verdict == "equivalent", (answer, d.simplified)


def test_the_rules_are_named_and_the_chain_rule_names_both_functions():
    d = derive_steps("sin(x^2) + 3 cos(x)", "x")
    rules = [s.rule for s in d.steps]
    assert rules[0] == "sum" and "chain" in rules and "power" in rules and "constant-multiple" in rules
    chain = next(s for s in d.steps if s.rule == "chain")
    assert "sin" in chain.says and "x^2" in chain.says
    assert d.steps[0].depth == 0 and all(s.depth >= 1 for s in d.steps[1:])     # the parts nest below


def test_a_wrong_rule_is_not_proven(monkeypatch):
    """The check can fail: a product rule that multiplies the derivatives (a learner's mistake)."""
    from tutor.engines import steps

    def wrong_product(self, node, depth):
        return "product", "f' g'", self.d(node.left, depth) * self.d(node.right, depth)

    monkeypatch.setattr(steps._Walker, "mul", wrong_product)
    d = derive_steps("x^2 sin(x)", "x")
    assert not d.proven and not d.steps[0].proven and d.steps[1].proven


def _bank_derive_variants():
    from tutor import bank

    for ex in bank.load(None):
        if ex.kind == "derive":
            for seed in range(2):
                yield bank.variant(ex, seed)


def test_every_derive_exercise_of_the_bank_step_by_step():
    from tutor.mathlang.sym import to_text

    count = 0
    for v in _bank_derive_variants():
        names = set(v.exercise.data["variables"])
        for wrt, answer in v.answer.items():
            d = derive_steps(to_text(v.function), wrt, names)
            assert d.proven, (v.id, v.seed, [(s.part, s.says, s.result) for s in d.steps if not s.proven])
            assert equivalent(to_text(answer), d.result, sorted(names)).verdict == "equivalent", (v.id, d.result)
            count += 1
    assert count >= 20


def test_grad_steps_on_the_command_line(run_cli):
    r = run_cli("grad", "x^2 sin(x)", "--at", "x=1", "--steps")
    assert r.exit_code == 0 and "x^2*sin(x)" in r.stdout and "✓" in r.stdout and "✗" not in r.stdout
    data = json.loads(run_cli("grad", "x^2 sin(x)", "--at", "x=1", "--steps", "--json").stdout)
    steps = data["steps"]["x"]
    assert steps["proven"] and steps["steps"][0]["rule"] == "product"
    assert all(s["check"] in ("symbolic", "numeric") for s in steps["steps"])
    vector = run_cli("grad", "sum(x^2)", "--at", "x=1,2", "--steps", "--json")
    assert vector.exit_code == 2 and json.loads(vector.stdout)["code"] == "grad.steps-vector"
