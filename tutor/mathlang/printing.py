"""Typed trees printed back: as math text and as PyTorch code, with only the parentheses needed.

Functions print as the function table says (``torch.sin(x)``, ``1 / torch.tan(x)``).
"""
from __future__ import annotations

from typing import Any, Literal

from .functions import FUNCTIONS
from .tree import BinOp, Call, Const, Neg, Node, Num, Var, variables

Style = Literal["math", "python"]

_PRECEDENCE = {"add": 1, "sub": 1, "mul": 2, "div": 2, "neg": 3, "pow": 4}
_OPS: dict[Style, dict[str, str]] = {
    "math": {"add": " + ", "sub": " - ", "mul": "*", "div": "/", "pow": "^"},
    "python": {"add": " + ", "sub": " - ", "mul": " * ", "div": " / ", "pow": " ** "},
}


def to_python(tree: Node, dtype: str | None = None) -> str:
    """The expression as PyTorch code (``torch.sin(x)``, ``x ** 2 + 1.75 * x``...).

    ``dtype``: the program's (``"float64"``): a tensor made of a constant (``torch.sin(torch.tensor(2.0))``)
    is made in it, not rounded to the default float32 first.
    """
    return _print(tree, 0, "python", dtype)


def tree_text(tree: Node) -> str:
    """The tree in the math language, with only the parentheses it needs."""
    return _print(tree, 0, "math")


def _print(tree: Node, parent: int, style: Style, dtype: str | None = None) -> str:
    if isinstance(tree, Num):
        return _number(tree.value, parent, style)
    if isinstance(tree, Var):
        return tree.name
    if isinstance(tree, Const):
        return tree.name if style == "math" else f"math.{tree.name}"
    if isinstance(tree, Call):
        return _call(tree, parent, style, dtype)
    if isinstance(tree, Neg):
        prec = _PRECEDENCE["neg"]
        text = f"-{_print(tree.operand, prec, style, dtype)}"
    else:
        text, prec = _binary(tree, style, dtype)
    return f"({text})" if prec < parent else text


def _binary(tree: BinOp, style: Style, dtype: str | None = None) -> tuple[str, int]:
    prec = _PRECEDENCE[tree.op]
    # left-associative operators need parentheses on the right at equal precedence
    left_prec = prec + 1 if tree.op == "pow" else prec
    right_prec = prec if tree.op == "pow" else prec + 1
    left, right = _print(tree.left, left_prec, style, dtype), _print(tree.right, right_prec, style, dtype)
    text = f"{left}{_OPS[style][tree.op]}{right}"
    return text, prec


def _call(tree: Call, parent: int, style: Style, dtype: str | None = None) -> str:
    fn = FUNCTIONS[tree.name]
    args = [_print(a, 0, style, dtype) for a in tree.args]
    if style == "math":
        return fn.format(fn.text, args)
    # torch's functions take tensors: a constant argument (sin(2), relu(a) with a drawn) becomes one
    made = f", dtype=torch.{dtype}" if dtype and dtype != "float32" else ""
    args = [a if variables(node) else f"torch.tensor({_float_literal(a)}{made})" for node, a in zip(tree.args, args)]
    text = fn.format(fn.python, args)
    if fn.python_precedence is not None and parent > fn.python_precedence:
        return f"({text})"
    return text


def _float_literal(text: str) -> str:
    """``2`` as ``2.0``, so that ``torch.tensor`` makes a float tensor of the default dtype."""
    return f"{text}.0" if text.lstrip("-").isdigit() else text


def _number(value: Any, parent: int, style: Style) -> str:
    if value.is_Integer:
        text = str(value)
    elif _exact_decimal(value):
        text = repr(float(value))
    else:
        text = str(value) if style == "math" else f"({value.p} / {value.q})"
    return f"({text})" if parent and (value < 0 or (style == "math" and "/" in text)) else text


def _exact_decimal(value: Any) -> bool:
    """Does the rational have a short decimal that reads back exactly (1/2 -> 0.5)?"""
    q = int(value.q)
    for p in (2, 5):
        while q % p == 0:
            q //= p
    return q == 1 and len(repr(float(value))) < 20 and "e" not in repr(float(value))
