"""Which tensors torch's backward keeps as they are: the simulation's table, checked against torch.

A leaf changed in place (``x -= lr * x.grad``) after an operation kept it, then a backward through that
operation: torch raises "modified by an inplace operation", naming the tensor's shape and versions.
Every function of the math language and every operator, with each kind of operand (a leaf that requires
grad, one that does not, a number, a tensor computed from a leaf), is run in torch beside the simulation;
where two kept leaves changed, the message says which one torch checks first.
"""
from __future__ import annotations

import pytest
from differential_cases import AGREE, check_scenarios

from tutor.engines.scenario.model import ERR_VERSION
from tutor.engines.scenario.steps.forward import saved_leaves
from tutor.mathlang.functions import FUNCTIONS
from tutor.mathlang.parser import parse
from tutor.mathlang.tree import variables

LEAVES = [{"name": "x", "value": "0.3"}, {"name": "w", "value": "0.5, 0.6"},
          {"name": "t", "value": "0.7", "requires_grad": False}]
FORMS = [f"{name}(x)" for name, fn in FUNCTIONS.items() if fn.arity == 1 and not fn.reduces]
FORMS += [f"{name}(w)" for name, fn in FUNCTIONS.items() if fn.reduces]
FORMS += ["dot(w, w)", "dot(w, 2*w)", "dot(2*w, w)", "dot(w, w + x)", "dot(w, t*w)"]
OPERANDS = ["x", "w", "t", "3", "(2*x)"]
FORMS += [f"{a} {op} {b}" for op in "*/^" for a in OPERANDS for b in OPERANDS
          if a != b and {a, b} & {"x", "w", "(2*x)"}]
FORMS += ["x*x", "x^x", "x/x", "-x", "x + w", "x - t", "pi/x", "-3/x", "sin(x)*w", "w^x*sin(x)", "cos(w) + sin(x)",
          "sin(x) + cos(w)", "sec(x)*x", "exp(x)*w"]


def program(expr: str) -> dict:
    """expr kept, x moved once and w twice (those it uses), then a backward through it."""
    used = [n for n in ("x", "w") if n in variables(parse(expr).tree)]
    moves = [{"update": used, "lr": "0.01"}] + ([{"update": ["w"], "lr": "0.01"}] if "w" in used else [])
    return {"leaves": LEAVES, "dtype": "float32",
            "steps": [{"forward": "r", "expr": f"sum({expr})"}, {"backward": "r", "retain_graph": True},
                      *moves, {"backward": "r"}],
            "ask": f"{used[0]}.grad"}


@pytest.fixture(scope="module")
def checks():
    return dict(zip(FORMS, check_scenarios([program(f) for f in FORMS])))


@pytest.mark.parametrize("expr", FORMS)
def test_the_simulation_raises_where_torch_does_with_its_message(checks, expr):
    check = checks[expr]
    assert check.verdict == AGREE, check.describe()


def test_the_table_is_not_empty_either_way(checks):
    """Both outcomes occur (a table that never, or always, raised would pass nothing above)."""
    raised = [e for e, c in checks.items() if c.expected[0].kind == "error"]
    assert len(raised) >= 20 and len(FORMS) - len(raised) >= 15
    assert all(checks[e].expected[0].error[1].startswith(ERR_VERSION) for e in raised)


def test_the_order_follows_the_graph_backwards():
    assert saved_leaves(parse("sin(x) + cos(w)").tree, {"x", "w"}) == ["w", "x"]
    assert saved_leaves(parse("x * w").tree, {"x", "w"}) == ["w", "x"]
    assert saved_leaves(parse("x * t").tree, {"x"}) == ["t"]      # t (its factor), not x
    assert saved_leaves(parse("3 / x").tree, {"x"}) == []
