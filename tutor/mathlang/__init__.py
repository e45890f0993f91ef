"""The math language people type, read safely (layer 2: above the foundations only).

* :mod:`.functions`: the one table of functions (parser, evaluators, printers, help, docs);
* :mod:`.tree`: the typed syntax tree of what was typed;
* :mod:`.tokens` and :mod:`.parser`: reading text into a sympy expression and a tree;
* :mod:`.sym`: the sympy functions of the language and printing sympy back as math text;
* :mod:`.evaluate`: torch, numpy and mpmath back ends;
* :mod:`.printing`: trees as math text and as PyTorch code.

Importing this package loads nothing: ``tutor --help`` reads the function
table without paying for the parser, and the parser loads sympy only when it parses.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..foundation.errors import MathError

if TYPE_CHECKING:
    from .parser import Parsed, check_name, parse, parse_number

__all__ = ["MathError", "Parsed", "check_name", "parse", "parse_number"]


def __getattr__(name: str) -> Any:
    if name in ("Parsed", "check_name", "parse", "parse_number"):
        from . import parser

        return getattr(parser, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
