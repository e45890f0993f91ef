"""Reading the math people type, safely.

Text is never handed to ``eval``, ``sympify`` or ``parse_expr``.  Reading
happens in three stages:

1. :mod:`tutor.mathlang.tokens` admits only numbers, names and a few
   operators, inserts the ``*`` of implicit multiplication and remembers
   where every character came from;
2. :func:`ast.parse` in ``eval`` mode builds a syntax tree of that normalised
   text (it only parses, nothing runs);
3. :class:`_Builder` accepts a whitelist of node types, names and functions
   (those of :mod:`tutor.mathlang.functions`) and builds the sympy objects and
   the typed tree (:mod:`tutor.mathlang.tree`) itself, bounding node count,
   nesting depth and the size of numeric powers.

Every refusal is a :class:`~tutor.foundation.errors.MathError` with a code,
a one-line reason and the character offset in the text the person typed.
"""
from __future__ import annotations

import ast
import keyword
import math
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, NoReturn

from ..foundation.errors import MathError
from ..foundation.i18n import _, ngettext
from .functions import CONSTANTS, FUNCTIONS, NAMES, lookup
from .tokens import normalise, tokenize
from .tree import BinaryOp, BinOp, Call, Const, Neg, Node, Num, Var

MAX_LENGTH = 1000          # characters of user text
MAX_NODES = 400            # syntax-tree nodes
MAX_DEPTH = 40             # nesting of the syntax tree (a flat chain a + b - c ... counts once)
_CHAINS = ((ast.Add, ast.Sub), (ast.Mult, ast.Div))
MAX_POWER_BITS = 4096      # bit size of an evaluated numeric power
MAX_SYMBOLIC_EXPONENT = 1000
MAX_EXP_ARGUMENT = 10_000  # exp(10^4) ~ 10^4343 still evaluates; beyond is refused


@dataclass
class Parsed:
    """A parsed expression.

    ``expr`` is the sympy object (sympy may already have simplified it, e.g.
    ``sqrt(x^2)`` becomes ``Abs(x)``); ``tree`` is what the person typed, which
    numeric back ends such as torch evaluate so that they compute exactly what
    was written.
    """

    text: str
    expr: Any
    tree: Node
    variables: tuple[str, ...] = field(default_factory=tuple)


def parse(text: str, variables: Collection[str] | None = None) -> Parsed:
    """Read ``text`` as math and return the sympy expression and the tree.

    ``variables``: if given, the only names allowed besides functions and
    constants.  Raises :class:`MathError`.
    """
    if not isinstance(text, str):
        raise MathError(_("expected text"), code="math.not-text")
    if len(text) > MAX_LENGTH:
        raise MathError(_("the expression is too long ({n} characters; at most {m})").format(
            n=len(text), m=MAX_LENGTH), code="math.too-long")
    if not text.strip():
        raise MathError(_("the expression is empty"), text, 0, code="math.empty")
    tokens = tokenize(text)
    if tokens and tokens[-1].kind == "op" and tokens[-1].text != ")":
        raise MathError(_("the expression ends too early"), text, len(text), code="math.incomplete")
    allowed = None if variables is None else set(variables)
    source, where = normalise(text, tokens, allowed)
    try:
        syntax = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        off = min(max((exc.offset or 1) - 1, 0), len(where) - 1)
        raise MathError(_("this could not be read as math"), text, min(where[off], len(text)),
                        code="math.syntax") from None
    except (RecursionError, MemoryError, ValueError):
        raise MathError(_("the expression is too complex"), text, code="math.too-complex") from None
    builder = _Builder(text, source, where, allowed)
    expr, tree = builder.visit(syntax.body, 1)
    return Parsed(text=text, expr=expr, tree=tree, variables=tuple(sorted(builder.used)))


def check_name(name: str) -> str:
    """Validate a variable name given on its own (``--vars``, ``--at``)."""
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name or ""):
        raise MathError(_("'{name}' is not a valid variable name").format(name=name), code="math.bad-name")
    if name in NAMES or name in CONSTANTS or keyword.iskeyword(name):
        raise MathError(_("'{name}' is reserved and cannot be a variable").format(name=name),
                        code="math.reserved-name")
    return name


def parse_number(text: str) -> Any:
    """A single real number in the math language (``3``, ``-2.5``, ``pi/4``, ``1/3``): an exact sympy number."""
    parsed = parse(text, variables=())
    value = parsed.expr
    reduced = isinstance(parsed.tree, Call) and FUNCTIONS[parsed.tree.name].reduces
    if reduced or not value.is_number or value.is_real is False or not value.is_finite:
        raise MathError(_("'{text}' is not a real number").format(text=text.strip()), text,
                        code="math.not-a-number")
    return value


_BINARY: dict[type[ast.operator], BinaryOp] = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div",
                                              ast.Pow: "pow"}


class _Builder:
    def __init__(self, text: str, source: str, where: list[int], allowed: set[str] | None):
        import sympy

        self.sympy = sympy
        self.text = text
        self.source = source
        self.where = where
        self.allowed = allowed
        self.used: set[str] = set()
        self.nodes = 0
        self._symbols: dict[str, Any] = {}

    def pos(self, node: ast.AST) -> int:
        off = min(getattr(node, "col_offset", 0) or 0, len(self.where) - 1)
        return min(self.where[off], len(self.text))

    def fail(self, reason: str, node: ast.AST | None, code: str) -> NoReturn:
        raise MathError(reason, self.text, None if node is None else self.pos(node), code=code)

    def symbol(self, name: str) -> Any:
        s = self._symbols.get(name)
        if s is None:
            s = self._symbols[name] = self.sympy.Symbol(name, real=True)
        return s

    def visit(self, node: ast.expr, depth: int) -> tuple[Any, Node]:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            self.fail(_("the expression is too large (more than {n} parts)").format(n=MAX_NODES), node,
                      "math.too-large")
        if depth > MAX_DEPTH:
            self.fail(_("the expression is nested too deeply"), node, "math.too-deep")
        if isinstance(node, ast.BinOp):
            return self.binary(node, depth)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand, tree = self.visit(node.operand, depth + 1)
            return (-operand, Neg(tree)) if isinstance(node.op, ast.USub) else (operand, tree)
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.UnaryOp):
            self.fail(_("this operator is not part of the math language"), node, "math.operator")
        if isinstance(node, ast.Tuple):
            self.fail(_("write one expression only (a comma separates function arguments)"), node, "math.several")
        if isinstance(node, ast.Starred):
            self.fail(_("'*' must stand between two factors"), node, "math.syntax")
        self.fail(_("this is not part of the math language"), node, "math.syntax")

    def binary(self, node: ast.BinOp, depth: int) -> tuple[Any, Node]:
        # a + b + c ... and a * b / c ... are flat as typed: the chain to the left is not nesting
        chained = isinstance(node.left, ast.BinOp) and any(
            isinstance(node.op, ops) and isinstance(node.left.op, ops) for ops in _CHAINS)
        left, lt = self.visit(node.left, depth if chained else depth + 1)
        right, rt = self.visit(node.right, depth + 1)
        op = _BINARY.get(type(node.op))
        if op is None:
            if isinstance(node.op, ast.FloorDiv):
                self.fail(_("'//' is not math; use '/'"), node, "math.operator")
            self.fail(_("this operator is not part of the math language"), node, "math.operator")
        if op == "div" and right.is_zero:
            self.fail(_("division by zero"), node.right, "math.division-by-zero")
        value = {"add": lambda: left + right, "sub": lambda: left - right, "mul": lambda: left * right,
                 "div": lambda: left / right, "pow": lambda: self.power(left, right, node)}[op]()
        return value, BinOp(op, lt, rt)

    def constant(self, node: ast.Constant) -> tuple[Any, Node]:
        sp = self.sympy
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(_("only real numbers are allowed here"), node, "math.not-real")
        if isinstance(value, int):
            return sp.Integer(value), Num(sp.Integer(value))
        if not math.isfinite(value):
            self.fail(_("this number is too large"), node, "math.number-too-large")
        # exact: 0.1 is 1/10, read from the literal the person typed
        literal = ast.get_source_segment(self.source, node) or repr(value)
        return sp.Rational(literal), Num(sp.Rational(literal))

    def power(self, base: Any, exponent: Any, node: ast.AST) -> Any:
        if exponent.is_Number and base.is_Number:
            self.numeric_power(base, exponent, node)
        elif exponent.is_Number and abs(exponent) > MAX_SYMBOLIC_EXPONENT:
            self.fail(_("exponents above {n} are not supported").format(n=MAX_SYMBOLIC_EXPONENT), node,
                      "math.exponent-too-large")
        result = self.sympy.Pow(base, exponent)
        # (x^1000)^1000 combines into x^1000000: bound the result too.
        if result.is_Pow and result.exp.is_Number and not result.base.is_Number and \
                abs(result.exp) > MAX_SYMBOLIC_EXPONENT:
            self.fail(_("exponents above {n} are not supported").format(n=MAX_SYMBOLIC_EXPONENT), node,
                      "math.exponent-too-large")
        return result

    def numeric_power(self, base: Any, exponent: Any, node: ast.AST) -> None:
        if exponent.is_zero and base.is_zero:
            self.fail(_("0^0 is undefined"), node, "math.undefined")
        b = abs(float(base)) if abs(base) < 10**300 else math.inf
        e = float(exponent) if abs(exponent) < 10**300 else math.inf
        if b not in (0.0, 1.0):
            bits = abs(e) * abs(math.log2(b)) if math.isfinite(b) else math.inf
            if bits > MAX_POWER_BITS:
                self.fail(_("this power is too large to compute"), node, "math.power-too-large")
        if base.is_zero and exponent.is_negative:
            self.fail(_("division by zero"), node, "math.division-by-zero")

    def name(self, node: ast.Name) -> tuple[Any, Node]:
        name = node.id
        if name == "pi":
            return self.sympy.pi, Const("pi")
        if name == "e":
            return self.sympy.E, Const("e")
        if name in NAMES:
            self.fail(_("{name} is a function: write {name}(...)").format(name=name), node,
                      "math.function-needs-call")
        if self.allowed is not None and name not in self.allowed:
            self.fail(self.unknown_reason(name), node, "math.unknown-name")
        self.used.add(name)
        return self.symbol(name), Var(name)

    def unknown_reason(self, name: str) -> str:
        allowed = sorted(self.allowed or ())
        for fn in NAMES:
            if name.startswith(fn) and len(name) > len(fn):
                rest = name[len(fn):]
                return _("unknown name '{name}'; did you mean {fn}({rest})?").format(name=name, fn=fn, rest=rest)
        if len(name) > 1 and all(ch in allowed for ch in name):
            return _("unknown name '{name}'; did you mean {product}?").format(name=name, product="*".join(name))
        if not allowed:
            return _("unknown name '{name}'; no variables are expected here").format(name=name)
        return _("unknown name '{name}'; the variables here are {names}").format(name=name, names=", ".join(allowed))

    def call(self, node: ast.Call, depth: int) -> tuple[Any, Node]:
        func = node.func
        if not isinstance(func, ast.Name):
            self.fail(_("only named functions can be called"), node, "math.syntax")
        name = func.id
        if name not in NAMES:
            if name in CONSTANTS or (self.allowed is not None and name in self.allowed):
                self.fail(_("'{name}' is not a function").format(name=name), node, "math.not-a-function")
            self.fail(_("unknown function '{name}'").format(name=name), node, "math.unknown-function")
        if node.keywords:
            self.fail(_("functions take plain arguments only"), node, "math.syntax")
        fn = lookup(name)
        if len(node.args) != fn.arity:
            self.fail(ngettext("{name}() takes {n} argument, got {m}", "{name}() takes {n} arguments, got {m}",
                               fn.arity).format(name=name, n=fn.arity, m=len(node.args)), node, "math.arity")
        pairs = [self.visit(a, depth + 1) for a in node.args]
        args = [p[0] for p in pairs]
        trees = tuple(p[1] for p in pairs)
        self.check_argument(fn.name, args[0], node)
        expr = fn.sympy_function()(*args)
        if fn.desugar is not None:
            # dot(u, v) is sum(u * v): the tree holds what torch computes
            return expr, Call(fn.desugar, (BinOp("mul", trees[0], trees[1]),))
        return expr, Call(fn.name, trees)

    def check_argument(self, name: str, a: Any, node: ast.AST) -> None:
        """Refuse what cannot be evaluated: log(0), exp of a huge constant."""
        if name == "log" and a.is_number and a.is_zero:
            self.fail(_("log(0) is undefined"), node, "math.undefined")
        if name not in ("exp", "sinh", "cosh") or not a.is_number:
            return
        if a.is_Number:
            big = abs(a) > MAX_EXP_ARGUMENT
        else:
            # a constant such as exp(exp(10)): estimate it before it grows further
            try:
                big = abs(float(a)) > MAX_EXP_ARGUMENT
            except (TypeError, OverflowError, ValueError):
                big = True
        if big:
            self.fail(_("this power is too large to compute"), node, "math.power-too-large")
