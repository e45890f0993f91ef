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
    # (text, the error's code, caret position or None)
    ('__import__("os").system("ls")', 'math.underscore', 0),
    ('x.__class__', 'math.attribute', 1),
    ('().__class__.__bases__[0]', 'math.attribute', 2),
    ('x.real', 'math.attribute', 1),
    ('"abc"', 'math.text', 0),
    ("'x'", 'math.text', 0),
    ('x[0]', 'math.subscript', 1),
    ('[x for x in y]', 'math.subscript', 0),
    ('lambda: 1', 'math.keyword', 0),
    ('x if y else 1', 'math.keyword', 2),
    ('9**9**9', 'math.power-too-large', 0),
    ('9^9^9', 'math.power-too-large', 0),
    ('(9**99)**99', 'math.power-too-large', 0),
    ('factorial(10**8)', 'math.unknown-function', 0),
    ('exp(10^8)', 'math.power-too-large', 0),
    ('(x+1)^100000', 'math.exponent-too-large', 0),
    ('(x^1000)^1000', 'math.exponent-too-large', 0),
    ("x" * 100_000, 'math.too-long', None),
    ("(" * 100 + "x" + ")" * 100, 'math.too-deep', 30),
    ("-" * 500 + "x", 'math.too-deep', None),
    ('x +', 'math.incomplete', 3),
    ('', 'math.empty', 0),
    ('   ', 'math.empty', 0),
    ('sin x', 'math.function-needs-call', 0),
    ('sin', 'math.function-needs-call', 0),
    ('2 3', 'math.two-numbers', 2),
    ('x = 1', 'math.equation', 2),
    ('x; y', 'math.several', 1),
    ('x, y', 'math.several', None),
    ('x // 2', 'math.syntax', None),
    ('(x + 1', 'math.unclosed', 0),
    ('x + 1)', 'math.unmatched-close', 5),
    ('|x|', 'math.bars', 0),
    ('x!', 'math.factorial', 1),
    ('1/0', 'math.division-by-zero', None),
    ('0^0', 'math.undefined', None),
    ('log(0)', 'math.undefined', None),
    ('1e400', 'math.number-too-large', 0),
    ("1" * 60, 'math.number-too-long', 0),
    ('sin(x, y)', 'math.arity', 0),
    ('x @ y', 'math.character', 2),
    ('\\frac{1}{2}', 'math.latex', 0),
    ('x $ y', 'math.character', 2),
    ('os.system', 'math.attribute', 2),
    ('getattr(x, y)', 'math.unknown-function', 0),
    ('eval(x)', 'math.unknown-function', 0),
    ('True', 'math.keyword', 0),
    ('None', 'math.keyword', 0),
]


class TestRejected:
    @pytest.mark.parametrize("text,code,position", REJECTED)
    def test_rejected(self, text, code, position):
        with pytest.raises(MathError) as info:
            parse(text)
        err = info.value
        assert err.code == code, (err.code, err.reason)
        if position is not None:
            assert err.position == position, (err.position, err.caret())
        # one line, whatever the input
        assert "\n" not in err.one_line()

    def test_caret_points_at_the_problem(self):
        with pytest.raises(MathError) as info:
            parse("x + y.z")
        assert info.value.code == "math.attribute"
        assert info.value.caret().splitlines()[1:] == ["  x + y.z", "       ^"]

    def test_unknown_names_when_variables_are_declared(self):
        for text, variables, shown in [("xy", {"x", "y"}, "x*y"), ("sinx", {"x"}, "sin(x)"), ("z", {"x"}, "x")]:
            with pytest.raises(MathError) as info:
                parse(text, variables=variables)
            assert info.value.code == "math.unknown-name"
            assert shown in info.value.reason      # the suggestion, whatever the language

    def test_number_parser_refuses_variables(self):
        with pytest.raises(MathError):
            parse_number("x")
        with pytest.raises(MathError):
            parse_number("sum(1)")


@pytest.mark.parametrize("text", [" + ".join(["x"] * 150), " - ".join(["2x"] * 100), "*".join(["x"] * 150),
                                  "x" + "".join(f"/{i}" for i in range(2, 150))])
def test_a_long_flat_chain_is_not_nesting(text):
    """a + b + c ... as typed is flat: only the 400-part limit bounds it, never the nesting limit."""
    assert parse(text, variables={"x"}).tree is not None


def test_nesting_inside_a_chain_still_counts():
    from tutor.foundation.errors import MathError

    with pytest.raises(MathError) as caught:
        parse("x + " + "sin(" * 45 + "x" + ")" * 45, variables={"x"})
    assert caught.value.code in ("math.too-deep", "math.too-long")
