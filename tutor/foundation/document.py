"""A format-neutral document model: what an exercise shows, independent of Markdown, HTML or LaTeX.

Exercise kinds describe their questions and answers as blocks of this model;
each sheet format renders the blocks (:mod:`tutor.features.sheets`), so no
renderer needs to know what kind of exercise it is showing.  Math is held as
sympy expressions (opaque here) and printed by each format's own printer.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from string import Formatter
from typing import Any, TypeAlias


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Math:
    """An inline formula (a sympy expression)."""

    expr: Any


@dataclass(frozen=True)
class Code:
    """Inline code: an answer as typed, a file name, a call."""

    text: str


@dataclass(frozen=True)
class Strong:
    text: str


Inline: TypeAlias = Text | Math | Code | Strong


@dataclass(frozen=True)
class Para:
    """A paragraph: text and inline pieces in order."""

    parts: tuple[Inline, ...]

    @classmethod
    def text(cls, text: str) -> Para:
        return cls((Text(text),))

    @classmethod
    def fill(cls, template: str, **fields: Inline | Sequence[Inline]) -> Para:
        """A translated sentence with ``{name}`` fields; a sequence field is joined with ', '."""
        parts: list[Inline] = []
        for literal, name, _spec, _conv in Formatter().parse(template):
            if literal:
                parts.append(Text(literal))
            if name is None:
                continue
            value = fields[name]
            if isinstance(value, (Text, Math, Code, Strong)):
                parts.append(value)
                continue
            for i, piece in enumerate(value):
                if i:
                    parts.append(Text(", "))
                parts.append(piece)
        return cls(tuple(parts))


@dataclass(frozen=True)
class DisplayMath:
    """A formula on its own line."""

    expr: Any


@dataclass(frozen=True)
class Program:
    """A program listing (Python)."""

    code: str


@dataclass(frozen=True)
class Choices:
    """Lettered choices a), b), c) ..."""

    items: tuple[str, ...]


@dataclass(frozen=True)
class Equations:
    """Aligned equations ``lhs = rhs`` (sympy expressions), one per line."""

    pairs: tuple[tuple[Any, Any], ...]


Block: TypeAlias = Para | DisplayMath | Program | Choices | Equations
