"""Three witnesses (sympy, torch autograd, finite differences) on the same expressions."""
import json
import math

import pytest

from tutor.engines.gradients import compute
from tutor.foundation.errors import TutorError


def grads(report, name):
    return report.gradients[name]


def test_pytorch_tutorial_Q():
    # PyTorch's autograd tutorial: Q = 3a^3 - b^2, Q.backward(gradient=ones)
    r = compute("3*a^3 - b^2", ["a=2,3", "b=6,4"], gradient="1,1")
    a, b = grads(r, "a"), grads(r, "b")
    for w, expected in ((a, [36, 81]), (b, [-12, -8])):
        assert w.sympy == expected
        assert w.torch == expected
        assert w.finite_difference == pytest.approx(expected, rel=1e-7)
    assert a.symbolic == "9*a^2" and b.symbolic == "-2*b"
    assert r.agree and r.output_shape == [2]


def test_d2l_dot_product():
    # d2l: y = 2 x.x with x = arange(4) -> x.grad = 4x
    r = compute("2 dot(x, x)", ["x=0,1,2,3"])
    w = grads(r, "x")
    assert w.sympy == [0, 4, 8, 12] and w.torch == [0, 4, 8, 12]
    assert w.symbolic == "4*x"
    assert r.output_shape == [] and r.agree


def test_scalar_square():
    r = compute("x^2", ["x=3"])
    assert grads(r, "x").torch == [6.0] and r.agree


@pytest.mark.parametrize("expr,point,expected", [
    ("sin(x) exp(x)", ["x=0.5"], math.exp(0.5) * (math.sin(0.5) + math.cos(0.5))),
    ("sigmoid(x)", ["x=1"], (1 / (1 + math.exp(-1))) * (1 - 1 / (1 + math.exp(-1)))),
    ("tanh(x)", ["x=1"], 1 - math.tanh(1) ** 2),
    ("log(1 + x^2)", ["x=2"], 4 / 5),
    ("x / (1 + x)", ["x=2"], 1 / 9),
    ("sqrt(x) * x", ["x=4"], 1.5 * 2),
    ("exp(x) sin(x^2)", ["x=10.1"], math.exp(10.1) * (math.sin(10.1**2) + 2 * 10.1 * math.cos(10.1**2))),
])
def test_chain_product_quotient_rules(expr, point, expected):
    r = compute(expr, point)
    w = grads(r, "x")
    assert w.sympy[0] == pytest.approx(expected, rel=1e-12)
    assert w.torch[0] == pytest.approx(expected, rel=1e-9)
    assert r.agree


def test_vector_jacobian_product_with_non_uniform_v():
    r = compute("x^2", ["x=1,2,3"], gradient="0.1,1,0.0001")
    w = grads(r, "x")
    assert w.sympy == pytest.approx([0.2, 4.0, 0.0006], rel=1e-12)
    assert w.torch == pytest.approx([0.2, 4.0, 0.0006], rel=1e-12)
    assert r.agree


def test_scalar_variable_in_vector_output_gets_sum_of_weights():
    r = compute("a*x", ["a=2", "x=1,2,3"], gradient="1,10,100")
    assert grads(r, "a").sympy == [321.0]
    assert grads(r, "a").torch == [321.0]
    assert grads(r, "x").sympy == [2.0, 20.0, 200.0]


def test_mean_divides_by_n():
    s = compute("sum(x^2)", ["x=1,2,3,4"])
    m = compute("mean(x^2)", ["x=1,2,3,4"])
    assert grads(s, "x").torch == [2, 4, 6, 8]
    assert grads(m, "x").torch == [0.5, 1, 1.5, 2]
    assert grads(m, "x").symbolic == "x/2"


def test_reductions_inside_nonlinear_functions():
    r = compute("sum(x)^2 + a*mean(x)", ["x=1,2,3", "a=2"])
    assert grads(r, "x").sympy == pytest.approx([12 + 2 / 3] * 3)
    assert grads(r, "a").sympy == [2.0]
    assert r.agree


def test_non_scalar_output_needs_gradient_in_torch_terms():
    with pytest.raises(TutorError, match="grad can be implicitly created only for scalar outputs"):
        compute("x^2", ["x=1,2,3"])


def test_gradient_of_wrong_shape_is_torch_mismatch():
    with pytest.raises(TutorError, match=r"Mismatch in shape: grad_output\[0\] has a shape of torch.Size\(\[2\]\)"):
        compute("x^2", ["x=1,2,3"], gradient="1,1")
    # a single number is a 0-dim tensor: no broadcasting, as in torch
    with pytest.raises(TutorError, match=r"torch.Size\(\[\]\)"):
        compute("x^2", ["x=1,2,3"], gradient="1")


def test_shape_one_output_is_a_scalar_for_backward():
    r = compute("x^2", ["x=3,"])
    assert r.output_shape == [1] and grads(r, "x").torch == [6.0]


def test_unused_variable_keeps_grad_none():
    r = compute("x^2", ["x=3", "y=1"])
    assert grads(r, "y").torch is None
    assert grads(r, "y").status == ["unused"]
    assert r.agree


def test_constant_expression_cannot_backward():
    with pytest.raises(TutorError, match="does not require grad") as info:     # torch's words, verbatim
        compute("2 + 3", ["x=1"])
    assert info.value.code == "grad.constant"


def test_missing_and_bad_values():
    for expression, at, code in [("x y", ["x=1"], "grad.no-value"), ("x + y", ["x=1,2", "y=1,2,3"], "grad.vector-lengths"),
                                 ("x", ["x"], "grad.bad-at"), ("x", ["x=__import__('os')"], "math.underscore")]:
        with pytest.raises(TutorError) as info:
            compute(expression, at)
        assert info.value.code == code


@pytest.mark.parametrize("expr,point,function,torch_value", [
    ("abs(x)", "x=0", "abs", 0.0),
    ("relu(x)", "x=0", "relu", 0.0),
    ("sqrt(x)", "x=0", "sqrt", math.inf),
    ("sqrt(x^2)", "x=0", "sqrt", math.nan),
    ("abs(x - 1)", "x=1", "abs", 0.0),
])
def test_non_differentiable_points_report_torch_convention(expr, point, function, torch_value):
    r = compute(expr, [point])
    w = grads(r, "x")
    assert w.status == ["nondifferentiable"]
    assert r.agree, "a kink is a convention, not a mismatch"
    (nd,) = r.nondifferentiable
    assert nd["function"] == function
    got = w.torch[0]
    assert (math.isnan(got) and math.isnan(torch_value)) or got == torch_value


def test_kink_only_marks_the_element_at_the_kink():
    r = compute("sum(abs(x))", ["x=-1,0,2"])
    assert grads(r, "x").status == ["agree", "nondifferentiable", "agree"]
    assert grads(r, "x").torch == [-1.0, 0.0, 1.0]


def test_float32_within_its_tolerance():
    r = compute("exp(x) sin(x^2)", ["x=0.7"], dtype="float32")
    assert r.agree
    assert r.dtype == "float32"


def test_float32_saturation_is_not_called_agreement():
    # tanh'(10) = 8.2e-9, float32 autograd returns exactly 0 (reference notes, item 11)
    r = compute("tanh(x)", ["x=10"], dtype="float32")
    w = grads(r, "x")
    assert w.torch == [0.0] and w.sympy[0] == pytest.approx(8.2446e-9, rel=1e-4)
    assert w.status == ["saturated"] and not r.agree
    # float64 gets it right
    assert compute("tanh(x)", ["x=10"]).agree


def test_zero_gradient_is_not_passed_by_an_absolute_tolerance():
    from tutor.engines.gradients import compare as _compare

    # a true gradient of 1e-9 and a wrong answer of 0 must not agree
    assert _compare(1e-9, 0.0, 1e-9, 1e-9, 1.0, "float64") == "saturated"        # not agree: named as rounding
    assert _compare(1e-9, 1e-12, 1e-9, 1e-9, 1.0, "float64") == "mismatch"
    assert _compare(6.0, 6.0, 6.0, 6.0, 9.0, "float64") == "agree"
    assert _compare(6.0, 12.0, 6.0, 6.0, 9.0, "float64") == "mismatch"


def test_json_shape():
    data = compute("3*a^3 - b^2", ["a=2,3", "b=6,4"], gradient="1,1").to_json()
    assert data["agree"] is True
    for var in ("a", "b"):
        assert set(data["gradients"][var]) >= {"symbolic", "sympy", "torch", "finite_difference"}
    assert data["gradients"]["a"]["torch"] == [36.0, 81.0]


@pytest.mark.parametrize("expr,at", [("1/x", "x=0"), ("x^-2", "x=0"), ("x/x", "x=0"), ("x^2", "x=1e200")])
def test_poles_and_huge_points_answer_without_a_traceback(run_cli, expr, at):
    r = run_cli("grad", expr, "--at", at, "--json")
    assert r.exit_code in (0, 1, 2) and "Traceback" not in r.output
    json.loads(r.stdout)                           # valid JSON (no NaN or Infinity tokens)


@pytest.mark.parametrize("expr,at", [("exp(exp(exp(exp(x))))", "x=3"), ("x^x^x", "x=100")])
def test_hostile_points_are_answered_within_five_seconds(run_cli, expr, at):
    import time

    start = time.monotonic()
    r = run_cli("grad", expr, "--at", at)
    assert time.monotonic() - start < 5.0 and r.exit_code == 2 and "Traceback" not in r.output


def test_a_gradient_argument_too_large_for_a_float_is_invalid_input(run_cli):
    r = run_cli("grad", "x", "--at", "x=1", "--gradient", "10^400", "--json")
    assert r.exit_code == 2 and json.loads(r.stdout)["code"] == "grad.number-too-large"


@pytest.mark.parametrize("expr", ["x*abs(x)", "relu(x)^2", "abs(x)^3"])
def test_differentiable_compositions_get_no_kink_note(expr):
    from tutor.engines.gradients import compute

    report = compute(expr, ["x=0"])
    assert report.agree and report.nondifferentiable == [], report.nondifferentiable


@pytest.mark.parametrize("expr,at", [("relu(3x - 0.3)", "x=0.1"), ("abs(sin(x))", "x=pi"), ("sqrt(x^2)", "x=0")])
def test_kinks_exactly_at_the_typed_point_are_found(expr, at):
    from tutor.engines.gradients import compute

    report = compute(expr, [at])
    assert report.nondifferentiable, expr
    if expr == "sqrt(x^2)":
        assert "corner" in report.nondifferentiable[0]["message"] or "-1" in report.nondifferentiable[0]["message"]


def test_a_far_point_and_a_near_pole_keep_the_finite_difference_accurate():
    from tutor.engines.gradients import compute

    for expr, at in (("sin(x)", "x=1e4"), ("log(x)", "x=1e-8"), ("1/x", "x=1e-9"), ("sqrt(x)", "x=1e-12")):
        assert compute(expr, [at]).agree, (expr, at)


# the second red team on tutor grad (ISSUE 12): each case said "all three agree", "disagree" or crashed
@pytest.mark.parametrize("expression, at, status", [
    ("log(x)", ["x=-1"], "nondifferentiable"),            # not real there: nan was counted as agreeing
    ("tan(x)", ["x=pi/2"], "nondifferentiable"),          # a pole exactly at the typed point
    ("sec(x)", ["x=pi/2"], "nondifferentiable"),
    ("asin(x)", ["x=1"], "nondifferentiable"),            # no finite derivative: was a mismatch
    ("cot(x)", ["x=0"], "nondifferentiable"),
    ("relu(x) - relu(-x)", ["x=0"], "nondifferentiable"),  # slope 1, torch's convention gives 0
    ("sin(x)", ["x=1e22"], "agree"),                      # the finite difference's step was 100
    ("sum(sin(x))", ["x=1e22,1"], "agree"),
    ("sum(x^2)", ["x=1e200,1"], "agree"),                 # the difference was nan and passed
    ("sum(x*abs(x))", ["x=-1,0,1"], "agree"),             # smooth: no kink in vector mode either
    ("sum(relu(x)^2)", ["x=0,0.5"], "agree"),
])
def test_red_team_points(expression, at, status):
    report = compute(expression, at)
    (w,) = report.gradients.values()
    assert status in w.status, (w.status, w.finite_difference)
    assert all(s in ("agree", "nondifferentiable") for s in w.status)


def test_the_finite_difference_sees_the_small_element_beside_a_huge_one():
    w = compute("sum(x^2)", ["x=1e200,1"]).gradients["x"]
    assert w.finite_difference[1] == pytest.approx(2, rel=1e-9) and w.status == ["agree", "agree"]


def test_a_missed_vector_kink_at_the_typed_point_is_found():
    report = compute("sum(relu(3*x - 0.3))", ["x=0.1,0.2"])
    assert report.gradients["x"].status == ["nondifferentiable", "agree"]


def test_out_of_range_for_float32_and_irrational_gradient_weights():
    with pytest.raises(TutorError) as caught:
        compute("x^2", ["x=1e39"], dtype="float32")
    assert caught.value.code == "grad.value-too-large"
    report = compute("x^2", ["x=1,2"], gradient="pi,e")          # was an internal error
    assert report.agree
    with pytest.raises(TutorError) as caught:
        compute("(-8)^(1/3) * x", ["x=1"])
    assert caught.value.code == "grad.complex"


def test_an_exponent_left_out_and_a_line_break_are_refused():
    for at in (["x=1e"], ["x=2.5E"]):
        with pytest.raises(TutorError) as caught:
            compute("x^2", at)
        assert caught.value.code == "grad.bad-values"
    with pytest.raises(TutorError) as caught:
        compute("x\ny", ["x=1", "y=2"])
    assert caught.value.code == "grad.bad-expression"
    assert compute("x^2", ["x=1e3"]).agree


def test_a_computation_starved_by_a_busy_machine_is_not_called_too_large():
    # under load a trivial input was refused "its values are probably too large" (ISSUE 12 red team)
    import time

    from tutor.foundation.bounded import Overrun, bounded

    with pytest.raises(Overrun) as caught:
        bounded(lambda: time.sleep(5), 1.0, "the gradient")
    assert caught.value.code == "limits.busy"
    with pytest.raises(Overrun) as caught:
        bounded(lambda: sum(i for i in range(10 ** 10)), 1.0, "the gradient")
    assert caught.value.code == "limits.time"


def test_float64_rounding_to_zero_is_named_saturation():
    w = compute("sigmoid(x)", ["x=40"]).gradients["x"]
    assert w.status == ["saturated"] and w.torch == [0.0] and w.sympy[0] == pytest.approx(4.248354e-18, rel=1e-6)


def test_a_differentiable_function_through_a_kink_explains_torchs_nan(run_cli):
    """sqrt(x - x) is 0 everywhere: slope 0.  torch's chain rule multiplies sqrt's infinite slope at 0 by 0
    (nan): the tutor says why, and does not call the math a disagreement."""
    from tutor.engines.gradients import compute

    report = compute("sqrt(x - x)", ["x=1"])
    assert report.gradients["x"].sympy == [0.0] and math.isnan(report.gradients["x"].torch[0])
    (note,) = report.nondifferentiable
    assert report.agree and note["function"] == "sqrt" and "x - x = 0" in note["message"]
    r = run_cli("grad", "sqrt(x - x)", "--at", "x=1")
    assert r.exit_code == 0 and "x - x = 0" in r.output


def test_a_slope_sympys_formula_cannot_give_is_taken_from_both_sides():
    """d/dx 0^x is 0 for x > 0; sympy's formula 0^x log(0) is nan there."""
    from tutor.engines.gradients import compute

    report = compute("0^x", ["x=1"])
    assert report.gradients["x"].sympy == [0.0] and report.agree and report.nondifferentiable == []
    assert len(report.gradients["x"].notes) == 1
    at0 = compute("0^x", ["x=0"])          # 0^0 = 1, 0^(-h) is infinite: no slope there
    assert at0.nondifferentiable
