"""Stage 1 of reading math: the tokenizer and the implicit-multiplication normaliser.

Only numbers, names, ``+ - * / ^ ** ( ) ,`` and white space are admitted
(plus a few Unicode look-alikes such as ``×`` and ``²``); ``*`` is inserted for
implicit multiplication (``2x``, ``x y``, ``2(x+1)``, ``x sin(x)``), ``^``
becomes ``**``, and every character remembers where it came from so that
errors point at the original text.
"""
from __future__ import annotations

import keyword
import re
from collections.abc import Container
from dataclasses import dataclass

from ..foundation.errors import MathError
from ..foundation.i18n import N_, _
from .functions import NAMES

MAX_NUMBER_DIGITS = 40     # characters in one number literal
MAX_PAREN_DEPTH = 30       # nesting of parentheses

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

# a character outside the language -> (error code, what to say)
_CHAR_HINTS = {
    '"': ("math.text", N_("text in quotes is not math")),
    "'": ("math.text", N_("text in quotes is not math")),
    "[": ("math.subscript", N_("subscripts and lists are not part of the math language")),
    "]": ("math.subscript", N_("subscripts and lists are not part of the math language")),
    "{": ("math.braces", N_("braces are not part of the math language; use ( )")),
    "}": ("math.braces", N_("braces are not part of the math language; use ( )")),
    ".": ("math.attribute", N_("a dot here is not a number; attribute access is not allowed")),
    "=": ("math.equation", N_("write an expression, not an equation or assignment")),
    "|": ("math.bars", N_("write abs(...) for an absolute value")),
    "!": ("math.factorial", N_("factorials are not supported")),
    ";": ("math.several", N_("write one expression only")),
    "@": ("math.character", N_("'@' is not part of the math language; use * or dot(u, v)")),
    "\\": ("math.latex", N_("LaTeX commands are not understood; type sqrt(x), pi, x^2 ...")),
}


@dataclass
class Token:
    kind: str       # num, name, op
    text: str       # normalised text
    start: int      # offset in the original text


def tokenize(text: str) -> list[Token]:
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

    tokens: list[Token] = []
    pos = 0
    while pos < len(flat):
        m = _TOKEN.match(flat, pos)
        if m is None:
            ch = flat[pos]
            code, hint = _CHAR_HINTS.get(ch, ("math.character", N_("'{ch}' is not part of the math language")))
            raise MathError(_(hint).format(ch=ch), text, origin[pos], code=code)
        kind = m.lastgroup or ""
        if kind != "ws":
            tokens.append(_token(kind, m.group(), origin[pos], text))
        end = m.end()
        # A '.' straight after a name or ')' is attribute access.
        if end < len(flat) and flat[end] == "." and (kind == "name" or m.group() == ")"):
            raise MathError(_("attribute access ('.') is not allowed"), text, origin[end], code="math.attribute")
        pos = end
    return tokens


def _token(kind: str, raw: str, start: int, text: str) -> Token:
    tok = Token(kind, raw, start)
    if kind == "num" and len(raw) > MAX_NUMBER_DIGITS:
        raise MathError(_("this number is too long"), text, start, code="math.number-too-long")
    if kind == "name":
        if raw.startswith("_"):
            raise MathError(_("names may not start with '_'"), text, start, code="math.underscore")
        if keyword.iskeyword(raw) or keyword.issoftkeyword(raw):
            raise MathError(_("'{name}' is a Python keyword, not math").format(name=raw), text, start,
                            code="math.keyword")
    if kind == "op" and raw == "^":
        tok.text = "**"
    return tok


def _is_value_end(tok: Token) -> bool:
    return tok.kind in ("num", "name") or tok.text == ")"


def _is_value_start(tok: Token) -> bool:
    return tok.kind in ("num", "name") or tok.text == "("


def _implicit_product(text: str, prev: Token, tok: Token, allowed: Container[str] | None) -> bool:
    """Between two adjacent values: True if a '*' goes there, False for a call; raises for nonsense."""
    if prev.kind == "name" and prev.text in NAMES and tok.text == "(":
        return False            # a call of a known function
    if (prev.kind == "name" and tok.text == "(" and len(prev.text) > 1 and tok.start == prev.start + len(prev.text)
            and (allowed is None or prev.text not in allowed)):
        # name(...) reads as a call: refuse functions we do not know
        raise MathError(_("unknown function '{name}'").format(name=prev.text), text, prev.start,
                        code="math.unknown-function")
    if prev.kind == "num" and tok.kind == "num":
        raise MathError(_("two numbers in a row; put an operator between them"), text, tok.start,
                        code="math.two-numbers")
    if prev.kind == "name" and prev.text in NAMES:
        raise MathError(_("{name} is a function: write {name}(...)").format(name=prev.text), text, prev.start,
                        code="math.function-needs-call")
    return True


def normalise(text: str, tokens: list[Token], allowed: Container[str] | None) -> tuple[str, list[int]]:
    """Join tokens into Python syntax, inserting implicit '*'.

    Returns the normalised text and, per character, its original offset.
    """
    out: list[str] = []
    where: list[int] = []
    open_at: list[int] = []
    prev: Token | None = None
    for tok in tokens:
        if prev is not None and _is_value_end(prev) and _is_value_start(tok) and \
                _implicit_product(text, prev, tok, allowed):
            out.append("*")
            where.append(tok.start)
        if tok.text == "(":
            open_at.append(tok.start)
            if len(open_at) > MAX_PAREN_DEPTH:
                raise MathError(_("parentheses are nested too deeply"), text, tok.start, code="math.too-deep")
        elif tok.text == ")":
            if not open_at:
                raise MathError(_("this ')' has no matching '('"), text, tok.start, code="math.unmatched-close")
            open_at.pop()
        out.append(tok.text)
        where.extend([tok.start] * len(tok.text))
        # keep tokens apart so that '2' '3' never fuse; a space is harmless
        out.append(" ")
        where.append(tok.start + len(tok.text))
        prev = tok
    if open_at:
        raise MathError(_("this '(' is never closed"), text, open_at[-1], code="math.unclosed")
    return "".join(out), where + [len(text)]
