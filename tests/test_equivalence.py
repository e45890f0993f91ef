"""Equivalence verdicts: right on equivalent forms and on classic wrong answers, never a false verdict."""
import pytest

from tutor.engines.equivalence import EQUIVALENT, NOT_EQUIVALENT, UNDECIDED, check
from tutor.mathlang import MathError

EQUIVALENT_PAIRS = [
    ("sin(x)^2 + cos(x)^2", "1"),
    ("sin(2x)", "2 sin(x) cos(x)"),
    ("tan(x)", "sin(x)/cos(x)"),
    ("1 - tanh(x)^2", "1/cosh(x)^2"),
    ("(x+1)^2", "x^2 + 2x + 1"),
    ("x^2 - 1", "(x-1)(x+1)"),
    ("2*x*cos(x^2)", "2x cos(x^2)"),
    ("2*x*y", "2 x y"),
    ("6*x*(x^2+1)^2", "6x(x^2+1)^2"),
    ("e^x", "exp(x)"),
    ("exp(2x)", "e^(2x)"),
    ("ln(x)", "log(x)"),
    ("1/x", "x^-1"),
    ("sigmoid(x)*(1-sigmoid(x))", "exp(-x)/(1+exp(-x))^2"),
    ("tanh(x)", "(e^x - e^-x)/(e^x + e^-x)"),
    ("abs(x)", "sqrt(x^2)"),
    ("relu(x)", "(x + abs(x))/2"),
    ("9*a^2", "9a²"),
    ("x/2", "0.5x"),
]

NOT_EQUIVALENT_PAIRS = [
    ("2x cos(x^2)", "cos(x^2)"),            # missing chain-rule factor
    ("cos(x^2) * 2x", "2 cos(x^2)"),
    ("3x^2", "x^4/4"),                       # integrated instead of differentiated
    ("2x", "x^3/3"),
    ("sqrt(x^2)", "x"),                      # only for x >= 0
    ("-sin(x)", "sin(x)"),                   # sign error
    ("cos(x)", "-cos(x)"),
    ("exp(x) (sin(x) + cos(x))", "exp(x) cos(x)"),   # product rule half done
    ("1/(1+x^2)", "atan(x)"),
    ("x", "x + 1e-30"),                      # tiny but real difference
    ("sigmoid(x)*(1-sigmoid(x))", "sigmoid(x)"),
    ("2x", "2x + 2y"),
]


@pytest.mark.parametrize("ref,ans", EQUIVALENT_PAIRS)
def test_equivalent(ref, ans):
    v = check(ref, ans, variables=None if "y" in ref + ans else None)
    assert v.verdict == EQUIVALENT, v.reason
    assert v.exit_code == 0


@pytest.mark.parametrize("ref,ans", NOT_EQUIVALENT_PAIRS)
def test_not_equivalent(ref, ans):
    names = ["x", "y"] if "y" in ref + ans else None
    v = check(ref, ans, names)
    assert v.verdict == NOT_EQUIVALENT, v.reason
    assert v.exit_code == 1


def test_counterexample_is_real():
    v = check("sqrt(x^2)", "x")
    ce = v.counterexample
    assert ce is not None and ce["point"]["x"] < 0
    assert ce["reference"] == pytest.approx(-ce["answer"])


def test_undecided_rather_than_wrong():
    # equal where both are real (x > 0) but not an identity sympy proves: never "equivalent" by guess
    v = check("log(x^2)", "2 log(x)")
    assert v.verdict in (UNDECIDED, EQUIVALENT)
    assert v.verdict != NOT_EQUIVALENT


def test_timeout_gives_undecided_not_a_verdict(monkeypatch):
    import tutor.engines.equivalence as eq

    def slow(diff):
        import time
        time.sleep(10)
        return True

    monkeypatch.setattr(eq, "_prove_zero", slow)
    eq._worker().stop()
    try:
        v = check("sin(x)^2 + cos(x)^2", "1", timeout=0.5)
        assert v.verdict == UNDECIDED and "0.5" in v.reason
    finally:
        monkeypatch.undo()
        eq._worker().stop()
    assert check("sin(x)^2 + cos(x)^2", "1").verdict == EQUIVALENT


def test_answer_with_foreign_names_is_invalid():
    with pytest.raises(MathError) as info:
        check("2x", "2z")
    assert info.value.code == "math.unknown-name" and "'z'" in info.value.reason
    with pytest.raises(MathError) as info:
        check("x*y", "xy")
    assert info.value.code == "math.unknown-name" and "x*y" in info.value.reason


def test_declared_variables():
    assert check("x", "x + 0*y", ["x", "y"]).verdict == EQUIVALENT
