"""The backward pass node by node: every part's grad_fn, order, upstream gradient and local derivative
checked against torch itself."""
import json
import re

import pytest
import sympy

from tutor.engines.walk import walk
from tutor.mathlang.functions import FUNCTIONS

R = sympy.Rational
CASES = [
    ("x^2 sin(x)", {"x": 2}), ("x*x + 3/x", {"x": R(3, 2)}), ("sec(x) y + exp(-x y)", {"x": R(1, 2), "y": 3}),
    ("sigmoid(2x + 1) - relu(x)", {"x": R(1, 3)}), ("x^y", {"x": 2, "y": 3}), ("sin(x) + sin(x)", {"x": 1}),
    ("(x + 1)(x + 2)(x + 3)", {"x": 1}), ("2^x cot(x)", {"x": R(1, 2)}), ("log(x)/sqrt(x)", {"x": 3}),
    ("tanh(w x + b)", {"w": R(1, 2), "x": 2, "b": R(-1, 4)}), ("(w x - 3)^2", {"w": R(1, 3), "x": 4}),
]
CASES += [(f"{name}(x/2 + 0.1)", {"x": R(3, 5)}) for name, fn in FUNCTIONS.items() if fn.arity == 1 and not fn.reduces]


@pytest.mark.parametrize("expr,at", CASES, ids=[c[0] for c in CASES])
def test_every_number_of_the_walk_is_torchs(expr, at):
    w = walk(expr, {k: sympy.sympify(v) for k, v in at.items()})
    assert w.checked, w.problems
    assert w.nodes and all(re.fullmatch(r"\w+Backward\d", n.grad_fn.split(" <- ")[0]) for n in w.nodes)
    assert all(e.local_torch is not None for n in w.nodes for e in n.edges[:1])


def test_the_walk_adds_what_reaches_a_leaf():
    w = walk("x*x + 3/x", {"x": R(3, 2)})
    (x,) = w.leaves
    assert x.flows == pytest.approx([-4 / 3, 1.5, 1.5]) and x.grad == pytest.approx(2 * 1.5 - 3 / 1.5 ** 2)
    names = [n.grad_fn for n in w.nodes]
    assert names[0] == "AddBackward0" and "ReciprocalBackward0" in names[1]


def test_a_wrong_local_derivative_is_caught(monkeypatch):
    """The checks can fail: a local derivative off by a factor (the chain rule forgotten) is named."""
    from tutor.engines import walk as module

    right = module._Run.locals

    def doubled(self, node):
        return [(child, text, [[2 * v for v in row] for row in jac]) for child, text, jac in right(self, node)]

    monkeypatch.setattr(module._Run, "locals", doubled)
    w = walk("x^2 sin(x)", {"x": 2})
    assert not w.checked and any("x^2*sin(x)" in p for p in w.problems)


def test_grad_walk_and_dot_on_the_command_line(run_cli, tmp_path):
    dot = tmp_path / "graph.dot"
    r = run_cli("grad", "x^2 sin(x)", "--at", "x=2", "--walk", "--dot", str(dot))
    assert r.exit_code == 0 and "SinBackward0" in r.stdout and "PowBackward0" in r.stdout and "✗" not in r.stdout
    text = dot.read_text()
    assert text.startswith("digraph backward {") and text.count("->") == 4
    data = json.loads(run_cli("grad", "x^2 sin(x)", "--at", "x=2", "--walk", "--json").stdout)
    assert data["walk"]["checked"] and [n["grad_fn"] for n in data["walk"]["nodes"]] == [
        "MulBackward0", "SinBackward0", "PowBackward0"]
    vector = run_cli("grad", "w*x", "--at", "w=2", "--at", "x=1,2,3", "--gradient", "1,1,2", "--walk", "--json")
    walked = json.loads(vector.stdout)["walk"]
    assert vector.exit_code == 0 and walked["checked"] and walked["weights"] == [1, 1, 2]
    (node,) = walked["nodes"]
    assert [e["shape"] for e in node["edges"]] == ["broadcast", "elementwise"]     # w: summed over x's elements
    assert [lf["grad"] for lf in walked["leaves"]] == [9, [2, 2, 4]]
    constant = run_cli("grad", "x - x + 2", "--at", "x=1", "--walk", "--json")
    assert constant.exit_code in (0, 1, 2) and "Traceback" not in constant.stdout + constant.stderr


@pytest.mark.parametrize("expr", ["x + x^2", "x*sin(x)", "x*exp(x)", "x*(x + 1)", "abs(x)*x", "x*relu(x)",
                                  "sqrt(x)*x", "abs(x) + x", "x^x^x"])
def test_a_leaf_reached_directly_and_through_another_part_is_not_a_false_cross(expr):
    """Each edge's local derivative is compared with torch's for that edge (x + x^2: 1 along the direct edge,
    not the 7 that also flows through x^2)."""
    w = walk(expr, {"x": R(3, 2)})
    assert w.checked, w.problems


@pytest.mark.parametrize("expr,at", [("log(x)", 0), ("sqrt(x)", -1), ("1/x", 0), ("asin(x)", 2),
                                     ("(-x)^(1/3)", 8), ("x^x", -2)])
def test_where_there_is_no_real_value_the_walk_says_so(run_cli, expr, at):
    r = run_cli("grad", expr, "--at", f"x={at}", "--walk", "--json")
    assert "Traceback" not in r.stdout + r.stderr and r.exit_code in (0, 1)
    assert json.loads(r.stdout)["walk"]["code"] == "walk.undefined"


VECTOR_CASES = [
    ("mean(x^2)", {"x": [1, 2, 3]}, ()), ("sum(sin(x)*y)", {"x": [R(1, 2), 1], "y": [2, 3]}, ()),
    ("dot(u, v)", {"u": [1, 2, 3], "v": [4, 5, 6]}, ()), ("mean((t - (a*x + b))^2)",
                                                         {"a": 2, "b": R(1, 2), "x": [1, 2], "t": [3, 4]}, ()),
    ("x/sum(x)", {"x": [1, 2, 5]}, (1, 0, 2)), ("w*x^2 + w", {"w": 3, "x": [1, 2]}, (R(1, 2), 2)),
    ("exp(-x)*x", {"x": [0, 1, 2]}, (1, 1, 1)), ("sum(x)*sum(x)", {"x": [1, 2]}, ()),
]


@pytest.mark.parametrize("expr,at,weights", VECTOR_CASES, ids=[c[0] for c in VECTOR_CASES])
def test_vectors_walk_element_by_element_and_torch_confirms_every_number(expr, at, weights):
    """Vector parts: each local derivative is the Jacobian of the part's operation (a diagonal shown element
    by element, a reduction's row, a broadcast scalar's column whose products are summed), all of it
    compared with torch's Jacobian; each leaf's .grad is torch's."""
    w = walk(expr, {k: [sympy.sympify(x) for x in v] if isinstance(v, list) else sympy.sympify(v)
                    for k, v in at.items()}, weights)
    assert w.checked, w.problems
    for leaf in w.leaves:
        assert isinstance(leaf.grad, list) == isinstance(at[leaf.name], list)


def test_a_vector_result_without_weights_cannot_be_walked():
    from tutor.foundation.errors import TutorError

    with pytest.raises(TutorError) as caught:
        walk("x^2", {"x": [1, 2]})
    assert caught.value.code == "walk.vector-root"


def test_the_walk_runs_at_the_point_torch_holds(run_cli):
    """1.0000000001 is stored as the nearest float64: the walk's exact values are those of that number, so a
    pole nearby gives no false cross (and the heading shows the point in full)."""
    for expr, x in (("1/(x-1)", "1.0000000001"), ("tan(x)", "1.5707963267948966")):
        r = run_cli("grad", expr, "--at", f"x={x}", "--walk", "--json")
        data = json.loads(r.stdout)
        assert r.exit_code == 0 and data["walk"]["checked"], data["walk"]["problems"]
    text = run_cli("grad", "1/(x-1)", "--at", "x=1.0000000001", "--walk").stdout
    assert "1.0000000001" in text


def test_a_bare_leaf_walks_to_its_own_grad(run_cli):
    data = json.loads(run_cli("grad", "x", "--at", "x=3", "--walk", "--json").stdout)
    assert data["walk"]["checked"] and data["walk"]["nodes"] == [] and data["walk"]["leaves"][0]["grad"] == 1


def test_a_walk_too_long_to_draw_costs_the_report_nothing(run_cli, monkeypatch):
    import tutor.commands.grad as grad

    monkeypatch.setattr(grad, "WALK_BUDGET", 0.001)
    r = run_cli("grad", "sum(x^2)", "--at", "x=1,2,3", "--walk", "--json")
    data = json.loads(r.stdout)
    assert r.exit_code == 0 and data["agree"] and data["walk"]["code"].startswith("limits.")


def test_two_hundred_elements_walk_within_the_time(run_cli):
    xs = ",".join(str(i) for i in range(1, 201))
    data = json.loads(run_cli("grad", "sum(x^2)", "--at", f"x={xs}", "--walk", "--json").stdout)
    assert data["walk"]["checked"] and data["walk"]["leaves"][0]["grad"] == [2.0 * i for i in range(1, 201)]


def test_a_walk_that_cannot_be_drawn_is_said_in_a_notebook():
    from tutor import notebook

    g = notebook.gradient("log(x)", x=0, walk=True)
    reason = g.walk["error"]
    assert reason in repr(g) and reason.split(" ")[0] in g._repr_html_()
