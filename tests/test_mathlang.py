"""Table-driven tests of the math language: accepted input, then rejected input."""
import pytest
import sympy

from tutor.mathlang import MathError, parse, parse_number
from tutor.mathlang.tree import BinOp, Call, Num, Var

x, y, a, b = sympy.symbols("x y a b", real=True)

ACCEPTED = [
    ("x^2", x**2),
    ("x**2", x**2),
    ("2x", 2 * x),
    ("2 x", 2 * x),
    ("x y", x * y),
    ("2(x+1)", 2 * (x + 1)),
    ("x sin(x)", x * sympy.sin(x)),
    ("(x+1)(x-1)", (x + 1) * (x - 1)),
    ("x(x+1)", x * (x + 1)),
    ("3*a^3 - b^2", 3 * a**3 - b**2),
    ("-x^2", -(x**2)),
    ("2^3^2", sympy.Integer(512)),
    ("e^x", sympy.exp(x)),
    ("exp(x)", sympy.exp(x)),
    ("ln(x)", sympy.log(x)),
    ("log(x)", sympy.log(x)),
    ("sqrt(x)", sympy.sqrt(x)),
    ("abs(x)", sympy.Abs(x)),
    ("pi x", sympy.pi * x),
    ("tanh(x) + sinh(x) + cosh(x)", sympy.tanh(x) + sympy.sinh(x) + sympy.cosh(x)),
    ("arctan(x)", sympy.atan(x)),
    ("0.1x", x / 10),
    ("1e-3", sympy.Rational(1, 1000)),
    (".5", sympy.Rational(1, 2)),
    ("x²", x**2),
    ("2×x − 1", 2 * x - 1),
    ("x ÷ 2", x / 2),
    ("  x  ", x),
    ("+x", x),
]


@pytest.mark.parametrize("text,expected", ACCEPTED)
def test_accepted(text, expected):
    assert sympy.simplify(parse(text).expr - expected) == 0


def test_functions_of_the_tutor():
    from tutor.mathlang.sym import ReLU, Sigmoid, VMean, VSum

    assert parse("sigmoid(x)").expr == Sigmoid(x)
    assert parse("relu(x)").expr == ReLU(x)
    assert parse("sum(x^2)").expr == VSum(x**2)
    assert parse("mean(x)").expr == VMean(x)
    assert parse("dot(x, y)").expr == VSum(x * y)
    assert Sigmoid(x).diff(x) == Sigmoid(x) * (1 - Sigmoid(x))


def test_tree_keeps_what_was_typed():
    # sympy rewrites sqrt(x^2) to Abs(x) for a real x; the tree keeps sqrt
    parsed = parse("sqrt(x^2)")
    assert parsed.expr == sympy.Abs(x)
    assert parsed.tree == Call("sqrt", (BinOp("pow", Var("x"), Num(2)),))


def test_variables_listed_and_checked():
    assert parse("x y + sin(x)").variables == ("x", "y")
    assert parse("x y", variables={"x", "y"}).expr == x * y


def test_numbers_are_exact():
    assert parse_number("0.1") == sympy.Rational(1, 10)
    assert parse_number("-2.5") == sympy.Rational(-5, 2)
    assert parse_number("pi/4") == sympy.pi / 4


REJECTED = [
    # (text, fragment of the reason, caret position or None)
    ('__import__("os").system("ls")', "may not start with '_'", 0),
    ("x.__class__", "attribute access", 1),
    ("().__class__.__bases__[0]", "attribute access", 2),
    ("x.real", "attribute access", 1),
    ('"abc"', "quotes", 0),
    ("'x'", "quotes", 0),
    ("x[0]", "subscripts", 1),
    ("[x for x in y]", "subscripts", 0),
    ("lambda: 1", "keyword", 0),
    ("x if y else 1", "keyword", 2),
    ("9**9**9", "too large", 0),
    ("9^9^9", "too large", 0),
    ("(9**99)**99", "too large", 0),
    ("factorial(10**8)", "unknown function 'factorial'", 0),
    ("exp(10^8)", "too large", 0),
    ("(x+1)^100000", "exponents above", 0),
    ("(x^1000)^1000", "exponents above", 0),
    ("x" * 100_000, "too long", None),
    ("(" * 100 + "x" + ")" * 100, "nested too deeply", 30),
    ("-" * 500 + "x", "nested too deeply", None),
    ("x +", "ends too early", 3),
    ("", "empty", 0),
    ("   ", "empty", 0),
    ("sin x", "sin is a function", 0),
    ("sin", "sin is a function", 0),
    ("2 3", "two numbers in a row", 2),
    ("x = 1", "not an equation", 2),
    ("x; y", "one expression", 1),
    ("x, y", "one expression", None),
    ("x // 2", "could not be read", None),
    ("(x + 1", "never closed", 0),
    ("x + 1)", "no matching", 5),
    ("|x|", "abs(...)", 0),
    ("x!", "factorials", 1),
    ("1/0", "division by zero", None),
    ("0^0", "undefined", None),
    ("log(0)", "undefined", None),
    ("1e400", "too large", 0),
    ("1" * 60, "too long", 0),
    ("sin(x, y)", "takes 1 argument", 0),
    ("x @ y", "'@'", 2),
    ("\\frac{1}{2}", "LaTeX", 0),
    ("x $ y", "not part of the math language", 2),
    ("os.system", "attribute access", 2),
    ("getattr(x, y)", "unknown function 'getattr'", 0),
    ("eval(x)", "unknown function 'eval'", 0),
    ("True", "keyword", 0),
    ("None", "keyword", 0),
]


class TestRejected:
    @pytest.mark.parametrize("text,reason,position", REJECTED)
    def test_rejected(self, text, reason, position):
        with pytest.raises(MathError) as info:
            parse(text)
        err = info.value
        assert reason in err.reason, err.reason
        if position is not None:
            assert err.position == position, (err.position, err.caret())
        # one line, whatever the input
        assert "\n" not in err.one_line()

    def test_caret_points_at_the_problem(self):
        with pytest.raises(MathError) as info:
            parse("x + y.z")
        assert info.value.caret().splitlines() == [
            "attribute access ('.') is not allowed", "  x + y.z", "       ^"]

    def test_unknown_names_when_variables_are_declared(self):
        with pytest.raises(MathError, match="did you mean x\\*y"):
            parse("xy", variables={"x", "y"})
        with pytest.raises(MathError, match="did you mean sin\\(x\\)"):
            parse("sinx", variables={"x"})
        with pytest.raises(MathError, match="the variables here are x"):
            parse("z", variables={"x"})

    def test_number_parser_refuses_variables(self):
        with pytest.raises(MathError):
            parse_number("x")
        with pytest.raises(MathError):
            parse_number("sum(1)")
