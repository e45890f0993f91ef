"""The math language people type, read safely.

Text is never handed to ``eval``, ``sympify`` or ``parse_expr``.  Reading
happens in three stages:

1. a small tokenizer accepts only numbers, names, ``+ - * / ^ ** ( ) ,`` and
   white space (plus a few Unicode look-alikes such as ``×`` and ``²``),
   inserts the ``*`` of implicit multiplication (``2x``, ``x y``, ``2(x+1)``,
   ``x sin(x)``), turns ``^`` into ``**`` and remembers where every character
   came from so that errors can point at the original text;
2. :func:`ast.parse` in ``eval`` mode builds a syntax tree of that normalised
   text (it only parses, nothing runs);
3. a walker accepts a whitelist of node types, names and functions and builds
   the sympy objects itself, bounding node count, nesting depth and the size
   of numeric powers.

Every refusal is a :class:`MathError` carrying a one-line reason and the
character offset in the text the person typed.
"""
from __future__ import annotations

import ast
import keyword
import math
import re
from dataclasses import dataclass, field

from .i18n import _

MAX_LENGTH = 1000          # characters of user text
MAX_NODES = 400            # syntax-tree nodes
MAX_DEPTH = 40             # nesting of the syntax tree
MAX_PAREN_DEPTH = 30       # nesting of parentheses
MAX_NUMBER_DIGITS = 40     # characters in one number literal
MAX_POWER_BITS = 4096      # bit size of an evaluated numeric power
MAX_SYMBOLIC_EXPONENT = 1000
MAX_EXP_ARGUMENT = 10_000  # exp(10^4) ~ 10^4343 still evaluates; beyond is refused

# name -> (number of arguments, description for help)
FUNCTIONS = {
    "sin": 1, "cos": 1, "tan": 1, "cot": 1, "sec": 1, "csc": 1,
    "asin": 1, "acos": 1, "atan": 1, "arcsin": 1, "arccos": 1, "arctan": 1,
    "sinh": 1, "cosh": 1, "tanh": 1,
    "exp": 1, "log": 1, "ln": 1, "sqrt": 1, "abs": 1,
    "sigmoid": 1, "relu": 1,
    "sum": 1, "mean": 1, "dot": 2,
}
CONSTANTS = ("pi", "e")

_UNICODE = {
    "\u00d7": "*", "\u22c5": "*", "\u00b7": "*", "\u2219": "*",   # × ⋅ · ∙
    "\u2212": "-", "\u2013": "-",                                 # − –
    "\u00f7": "/", "\u2215": "/",                                 # ÷ ∕
    "\u00b2": "^2", "\u00b3": "^3",                               # ² ³
    "\u03c0": "pi",                                               # π
}

_TOKEN = re.compile(
    r"(?P<ws>\s+)"
    r"|(?P<num>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>\*\*|[-+*/^(),])"
)

_CHAR_HINTS = {
    '"': "text in quotes is not math",
    "'": "text in quotes is not math",
    "[": "subscripts and lists are not part of the math language",
    "]": "subscripts and lists are not part of the math language",
    "{": "braces are not part of the math language; use ( )",
    "}": "braces are not part of the math language; use ( )",
    ".": "a dot here is not a number; attribute access is not allowed",
    "=": "write an expression, not an equation or assignment",
    "|": "write abs(...) for an absolute value",
    "!": "factorials are not supported",
    "%": "'%' is not part of the math language",
    ";": "write one expression only",
    ":": "':' is not part of the math language",
    "@": "'@' is not part of the math language; use * or dot(u, v)",
    "\\": "LaTeX commands are not understood; type sqrt(x), pi, x^2 ...",
}


class MathError(ValueError):
    """Input that is not (safe) math.  ``position`` indexes the original text."""

    def __init__(self, reason: str, text: str = "", position: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.text = text
        self.position = position

    def one_line(self) -> str:
        if self.position is None:
            return self.reason
        return _("{reason} (at character {pos})").format(reason=self.reason, pos=self.position + 1)

    def caret(self) -> str:
        """The reason, the text and a caret under the offending character."""
        if self.position is None or not self.text or len(self.text) > 200:
            return self.one_line()
        shown = self.text.replace("\n", " ").replace("\t", " ")
        return f"{self.reason}\n  {shown}\n  {' ' * self.position}^"

    def __str__(self) -> str:
        return self.one_line()


@dataclass
class _Token:
    kind: str       # num, name, op
    text: str       # normalised text
    start: int      # offset in the original text


@dataclass
class Parsed:
    """A parsed expression.

    ``expr`` is the sympy object (sympy may already have simplified it, e.g.
    ``sqrt(x^2)`` becomes ``Abs(x)``); ``tree`` is what the person typed, as
    nested tuples (see :mod:`tutor.evaluate`), which numeric back ends such as
    torch evaluate so that they compute exactly what was written.
    """

    text: str
    expr: object
    tree: tuple = ()
    variables: tuple = field(default_factory=tuple)


def _tokenize(text: str) -> list[_Token]:
    # Map Unicode look-alikes to ASCII, keeping the original offsets.
    chars: list[tuple[str, int]] = []
    for i, ch in enumerate(text):
        rep = _UNICODE.get(ch)
        if rep is None:
            chars.append((ch, i))
        else:
            chars.extend((c, i) for c in rep)
    flat = "".join(c for c, _i in chars)
    origin = [i for _c, i in chars] + [len(text)]

    tokens: list[_Token] = []
    pos = 0
    while pos < len(flat):
        m = _TOKEN.match(flat, pos)
        if m is None:
            ch = flat[pos]
            hint = _CHAR_HINTS.get(ch)
            if hint is None:
                hint = "'{ch}' is not part of the math language"
            raise MathError(_(hint).format(ch=ch), text, origin[pos])
        kind = m.lastgroup
        if kind != "ws":
            tok = _Token(kind, m.group(), origin[pos])
            if kind == "num" and len(tok.text) > MAX_NUMBER_DIGITS:
                raise MathError(_("this number is too long"), text, tok.start)
            if kind == "name":
                if tok.text.startswith("_"):
                    raise MathError(_("names may not start with '_'"), text, tok.start)
                if keyword.iskeyword(tok.text) or keyword.issoftkeyword(tok.text):
                    raise MathError(
                        _("'{name}' is a Python keyword, not math").format(name=tok.text), text, tok.start)
            if kind == "op" and tok.text == "^":
                tok.text = "**"
            tokens.append(tok)
        end = m.end()
        # A '.' straight after a name or ')' is attribute access.
        if end < len(flat) and flat[end] == "." and kind in ("name", "op") and (
                kind == "name" or m.group() == ")"):
            raise MathError(_("attribute access ('.') is not allowed"), text, origin[end])
        pos = end
    return tokens


def _is_value_end(tok: _Token) -> bool:
    return tok.kind in ("num", "name") or tok.text == ")"


def _is_value_start(tok: _Token) -> bool:
    return tok.kind in ("num", "name") or tok.text == "("


def _normalise(text: str, tokens: list[_Token], allowed) -> tuple[str, list[int]]:
    """Join tokens into Python syntax, inserting implicit '*'.

    Returns the normalised text and, per character, its original offset.
    """
    out: list[str] = []
    where: list[int] = []
    depth = 0
    open_at: list[int] = []
    prev: _Token | None = None
    for tok in tokens:
        if prev is not None and _is_value_end(prev) and _is_value_start(tok):
            call = prev.kind == "name" and prev.text in FUNCTIONS and tok.text == "("
            if (not call and prev.kind == "name" and tok.text == "(" and len(prev.text) > 1
                    and tok.start == prev.start + len(prev.text)
                    and (allowed is None or prev.text not in allowed)):
                # name(...) reads as a call: refuse functions we do not know
                raise MathError(_("unknown function '{name}'").format(name=prev.text), text, prev.start)
            if not call:
                if prev.kind == "num" and tok.kind == "num":
                    raise MathError(_("two numbers in a row; put an operator between them"), text, tok.start)
                if prev.kind == "name" and prev.text in FUNCTIONS:
                    raise MathError(
                        _("{name} is a function: write {name}(...)").format(name=prev.text), text, prev.start)
                out.append("*")
                where.append(tok.start)
        if tok.text == "(":
            depth += 1
            open_at.append(tok.start)
            if depth > MAX_PAREN_DEPTH:
                raise MathError(_("parentheses are nested too deeply"), text, tok.start)
        elif tok.text == ")":
            depth -= 1
            if depth < 0:
                raise MathError(_("this ')' has no matching '('"), text, tok.start)
            open_at.pop()
        out.append(tok.text)
        where.extend([tok.start] * len(tok.text))
        # keep tokens apart so that '2' '3' never fuse; a space is harmless
        out.append(" ")
        where.append(tok.start + len(tok.text))
        prev = tok
    if depth > 0:
        raise MathError(_("this '(' is never closed"), text, open_at[-1])
    return "".join(out), where + [len(text)]


def parse(text: str, variables=None) -> Parsed:
    """Read ``text`` as math and return the sympy expression.

    ``variables``: if given, the only names allowed besides functions and
    constants (an iterable of names).  Raises :class:`MathError`.
    """
    if not isinstance(text, str):
        raise MathError(_("expected text"))
    if len(text) > MAX_LENGTH:
        raise MathError(
            _("the expression is too long ({n} characters; at most {m})").format(n=len(text), m=MAX_LENGTH))
    if not text.strip():
        raise MathError(_("the expression is empty"), text, 0)
    tokens = _tokenize(text)
    last = tokens[-1] if tokens else None
    if last is not None and last.kind == "op" and last.text not in (")",):
        raise MathError(_("the expression ends too early"), text, len(text))
    source, where = _normalise(text, tokens, variables)
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        off = (exc.offset or 1) - 1
        off = min(max(off, 0), len(where) - 1)
        raise MathError(_("this could not be read as math"), text, min(where[off], len(text))) from None
    except (RecursionError, MemoryError, ValueError):
        raise MathError(_("the expression is too complex"), text) from None
    builder = _Builder(text, source, where, None if variables is None else set(variables))
    expr, ir = builder.build(tree)
    return Parsed(text=text, expr=expr, tree=ir, variables=tuple(sorted(builder.used)))


def check_name(name: str) -> str:
    """Validate a variable name given on its own (``--vars``, ``--at``)."""
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name or ""):
        raise MathError(_("'{name}' is not a valid variable name").format(name=name))
    if name in FUNCTIONS or name in CONSTANTS or keyword.iskeyword(name):
        raise MathError(_("'{name}' is reserved and cannot be a variable").format(name=name))
    return name


def parse_number(text: str):
    """A single real number in the math language (``3``, ``-2.5``, ``pi/4``, ``1/3``).

    Returns an exact sympy number.
    """
    parsed = parse(text, variables=())
    value = parsed.expr
    if parsed.tree and parsed.tree[0] == "call" and parsed.tree[1] in ("sum", "mean"):
        raise MathError(_("'{text}' is not a real number").format(text=text.strip()), text)
    if not value.is_number or value.is_real is False or not value.is_finite:
        raise MathError(_("'{text}' is not a real number").format(text=text.strip()), text)
    return value


class _Builder:
    def __init__(self, text, source, where, allowed):
        self.text = text
        self.source = source
        self.where = where
        self.allowed = allowed
        self.used: set[str] = set()
        self.nodes = 0
        import sympy  # noqa: F401  (imported here: parsing is the first user of sympy)

        from . import sym

        self.sympy = sympy
        self.sym = sym
        self._symbols: dict[str, object] = {}

    def pos(self, node) -> int:
        off = getattr(node, "col_offset", 0) or 0
        off = min(off, len(self.where) - 1)
        return min(self.where[off], len(self.text))

    def fail(self, reason, node=None):
        raise MathError(reason, self.text, None if node is None else self.pos(node))

    def build(self, tree):
        return self.visit(tree.body, 1)

    def symbol(self, name):
        s = self._symbols.get(name)
        if s is None:
            s = self._symbols[name] = self.sympy.Symbol(name, real=True)
        return s

    def visit(self, node, depth):
        self.nodes += 1
        if self.nodes > MAX_NODES:
            self.fail(_("the expression is too large (more than {n} parts)").format(n=MAX_NODES), node)
        if depth > MAX_DEPTH:
            self.fail(_("the expression is nested too deeply"), node)
        sp = self.sympy
        if isinstance(node, ast.BinOp):
            left, lt = self.visit(node.left, depth + 1)
            right, rt = self.visit(node.right, depth + 1)
            op = node.op
            if isinstance(op, ast.Add):
                return left + right, ("add", lt, rt)
            if isinstance(op, ast.Sub):
                return left - right, ("sub", lt, rt)
            if isinstance(op, ast.Mult):
                return left * right, ("mul", lt, rt)
            if isinstance(op, ast.Div):
                if right.is_zero:
                    self.fail(_("division by zero"), node.right)
                return left / right, ("div", lt, rt)
            if isinstance(op, ast.Pow):
                return self.power(left, right, node), ("pow", lt, rt)
            if isinstance(op, ast.FloorDiv):
                self.fail(_("'//' is not math; use '/'"), node)
            self.fail(_("this operator is not part of the math language"), node)
        if isinstance(node, ast.UnaryOp):
            operand, ot = self.visit(node.operand, depth + 1)
            if isinstance(node.op, ast.USub):
                return -operand, ("neg", ot)
            if isinstance(node.op, ast.UAdd):
                return operand, ot
            self.fail(_("this operator is not part of the math language"), node)
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                self.fail(_("only real numbers are allowed here"), node)
            if isinstance(value, int):
                return sp.Integer(value), ("num", sp.Integer(value))
            if not math.isfinite(value):
                self.fail(_("this number is too large"), node)
            # exact: 0.1 is 1/10, read from the literal the person typed
            literal = ast.get_source_segment(self.source, node) or repr(value)
            return sp.Rational(literal), ("num", sp.Rational(literal))
        if isinstance(node, ast.Tuple):
            self.fail(_("write one expression only (a comma separates function arguments)"), node)
        if isinstance(node, ast.Starred):
            self.fail(_("'*' must stand between two factors"), node)
        self.fail(_("this is not part of the math language"), node)

    def power(self, base, exponent, node):
        sp = self.sympy
        if exponent.is_Number and base.is_Number:
            if exponent.is_zero and base.is_zero:
                self.fail(_("0^0 is undefined"), node)
            b = abs(float(base)) if abs(base) < 10**300 else math.inf
            e = float(exponent) if abs(exponent) < 10**300 else math.inf
            if b not in (0.0, 1.0):
                bits = abs(e) * abs(math.log2(b)) if math.isfinite(b) else math.inf
                if bits > MAX_POWER_BITS:
                    self.fail(_("this power is too large to compute"), node)
            if base.is_zero and exponent.is_negative:
                self.fail(_("division by zero"), node)
        elif exponent.is_Number and abs(exponent) > MAX_SYMBOLIC_EXPONENT:
            self.fail(_("exponents above {n} are not supported").format(n=MAX_SYMBOLIC_EXPONENT), node)
        result = sp.Pow(base, exponent)
        # (x^1000)^1000 combines into x^1000000: bound the result too.
        if result.is_Pow and result.exp.is_Number and not result.base.is_Number and \
                abs(result.exp) > MAX_SYMBOLIC_EXPONENT:
            self.fail(_("exponents above {n} are not supported").format(n=MAX_SYMBOLIC_EXPONENT), node)
        return result

    def name(self, node):
        sp = self.sympy
        name = node.id
        if name == "pi":
            return sp.pi, ("const", "pi")
        if name == "e":
            return sp.E, ("const", "e")
        if name in FUNCTIONS:
            self.fail(_("{name} is a function: write {name}(...)").format(name=name), node)
        if self.allowed is not None and name not in self.allowed:
            self.fail(self.unknown_reason(name), node)
        self.used.add(name)
        return self.symbol(name), ("var", name)

    def unknown_reason(self, name):
        allowed = sorted(self.allowed or ())
        for fn in FUNCTIONS:
            if name.startswith(fn) and len(name) > len(fn):
                rest = name[len(fn):]
                return _("unknown name '{name}'; did you mean {fn}({rest})?").format(name=name, fn=fn, rest=rest)
        if len(name) > 1 and all(ch in allowed for ch in name):
            return _("unknown name '{name}'; did you mean {product}?").format(name=name, product="*".join(name))
        if not allowed:
            return _("unknown name '{name}'; no variables are expected here").format(name=name)
        return _("unknown name '{name}'; the variables here are {names}").format(
            name=name, names=", ".join(allowed))

    def call(self, node, depth):
        sym = self.sym
        func = node.func
        if not isinstance(func, ast.Name):
            self.fail(_("only named functions can be called"), node)
        name = func.id
        if name not in FUNCTIONS:
            if name in CONSTANTS or (self.allowed is not None and name in self.allowed):
                self.fail(_("'{name}' is not a function").format(name=name), node)
            self.fail(_("unknown function '{name}'").format(name=name), node)
        if node.keywords:
            self.fail(_("functions take plain arguments only"), node)
        want = FUNCTIONS[name]
        if len(node.args) != want:
            self.fail(_("{name}() takes {n} argument(s), got {m}").format(
                name=name, n=want, m=len(node.args)), node)
        pairs = [self.visit(a, depth + 1) for a in node.args]
        args = [p[0] for p in pairs]
        irs = tuple(p[1] for p in pairs)
        a = args[0]
        if name in ("log", "ln") and a.is_number and a.is_zero:
            self.fail(_("log(0) is undefined"), node)
        if name in ("exp", "sinh", "cosh") and a.is_number and not a.is_Number:
            # a constant such as exp(exp(10)): estimate it before it grows further
            try:
                big = abs(float(a)) > MAX_EXP_ARGUMENT
            except (TypeError, OverflowError, ValueError):
                big = True
            if big:
                self.fail(_("this power is too large to compute"), node)
        elif name in ("exp", "sinh", "cosh") and a.is_Number and abs(a) > MAX_EXP_ARGUMENT:
            self.fail(_("this power is too large to compute"), node)
        if name == "dot":
            return sym.VSum(args[0] * args[1]), ("call", "sum", (("mul", irs[0], irs[1]),))
        canonical = sym.ALIASES.get(name, name)
        return sym.FUNCTIONS[canonical](a), ("call", canonical, irs)
