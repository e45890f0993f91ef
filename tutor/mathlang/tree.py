"""What a person typed, as a typed syntax tree.

The parser (:mod:`tutor.mathlang.parser`) builds these nodes besides the
sympy expression, so that numeric back ends (torch above all) compute exactly
what was written: ``sqrt(x^2)`` stays ``sqrt(x ** 2)`` in torch, whose
gradient at 0 differs from that of ``Abs(x)``, which sympy rewrites it to.

Nodes are frozen dataclasses and can be matched structurally::

    match node:
        case BinOp("pow", base, Num(exponent)): ...
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

BinaryOp: TypeAlias = Literal["add", "sub", "mul", "div", "pow"]
BINARY_OPS: tuple[BinaryOp, ...] = ("add", "sub", "mul", "div", "pow")


@dataclass(frozen=True)
class Num:
    """An exact number (a sympy Rational or Integer)."""

    value: Any


@dataclass(frozen=True)
class Const:
    """A named constant: ``pi`` or ``e``."""

    name: Literal["pi", "e"]


@dataclass(frozen=True)
class Var:
    name: str


@dataclass(frozen=True)
class Neg:
    operand: Node


@dataclass(frozen=True)
class BinOp:
    op: BinaryOp
    left: Node
    right: Node


@dataclass(frozen=True)
class Call:
    """A function of the math language, by its canonical name (see :mod:`tutor.mathlang.functions`)."""

    name: str
    args: tuple[Node, ...]


Node: TypeAlias = Num | Const | Var | Neg | BinOp | Call


def children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Neg):
        return (node.operand,)
    if isinstance(node, BinOp):
        return (node.left, node.right)
    if isinstance(node, Call):
        return node.args
    return ()


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, depth first, parents before children."""
    yield node
    for child in children(node):
        yield from walk(child)


def variables(node: Node) -> set[str]:
    """The names of the variables the tree uses."""
    return {n.name for n in walk(node) if isinstance(n, Var)}


def transform(node: Node, fn: Callable[[Node], Node | None]) -> Node:
    """Rebuild the tree bottom-up; ``fn`` returns a replacement for a node, or None to keep it."""
    if isinstance(node, Neg):
        node = Neg(transform(node.operand, fn))
    elif isinstance(node, BinOp):
        node = BinOp(node.op, transform(node.left, fn), transform(node.right, fn))
    elif isinstance(node, Call):
        node = Call(node.name, tuple(transform(a, fn) for a in node.args))
    replaced = fn(node)
    return node if replaced is None else replaced


def substitute(node: Node, values: Mapping[str, Any]) -> Node:
    """Replace the named variables by exact numbers (an exercise's drawn parameters)."""

    def swap(n: Node) -> Node | None:
        if isinstance(n, Var) and n.name in values:
            return Num(values[n.name])
        return None

    return transform(node, swap)


def rename_calls(node: Node, old: str, new: str) -> Node:
    """The tree with every call of function ``old`` made a call of ``new`` (``mean`` -> ``sum``)."""

    def swap(n: Node) -> Node | None:
        if isinstance(n, Call) and n.name == old:
            return Call(new, n.args)
        return None

    return transform(node, swap)
