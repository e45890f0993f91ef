"""The scenario as the PyTorch program a learner reads."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from .model import Scenario
from .steps import Step


class CodeWriter:
    """Lines of Python at the current indentation; functions defined before the main code."""

    def __init__(self, dtype: str = "float32") -> None:
        self.dtype = dtype          # the program's: the tensors a step creates (a backward's gradient) have it too
        self.lines: list[str] = []
        self.definitions: list[str] = []
        self.functions: dict[str, tuple[str, str]] = {}     # defined function -> (arguments, returned code)
        self.depth = 0

    def line(self, text: str) -> None:
        self.lines.append("    " * self.depth + text)

    @contextmanager
    def indented(self) -> Iterator[None]:
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1

    def block(self, header: str, body: Sequence[Step]) -> None:
        """``header:`` and the body's steps one level deeper (``pass`` if empty)."""
        self.line(header)
        with self.indented():
            before = len(self.lines)
            for step in body:
                step.render(self)
            if len(self.lines) == before:
                self.line("pass")

    def define(self, lines: list[str]) -> None:
        self.definitions.extend(lines)

    def function(self, base: str, args: str, decorator: str, body: str) -> str:
        """Define ``def NAME(args): return body`` (decorated) before the main code; its name: ``base``, or
        ``base_2`` ... where another step already defined a different ``base`` (every definition runs before
        the main code, so a second one would replace the first for both calls).  The same function twice is
        defined once."""
        n = 1
        while True:
            name = base if n == 1 else f"{base}_{n}"
            known = self.functions.get(name)
            if known == (args, body):
                return name
            if known is None:
                self.functions[name] = (args, body)
                self.define([decorator, f"def {name}({args}):", f"    return {body}", ""])
                return name
            n += 1


def literal(value: Any) -> str:
    """An exact number as Python source: 3.0, 0.25, 1/3 -> (1/3)."""
    import sympy

    value = sympy.nsimplify(value) if not isinstance(value, sympy.Basic) else value
    f = float(value)
    if value.is_Integer:
        return f"{int(value)}.0"
    if sympy.Rational(repr(f)) == value:
        return repr(f)
    if value.is_Rational:
        return f"({value.p}/{value.q})"
    return repr(f)


def literals(values: Sequence[Any], vector: bool) -> str:
    """``[1.0, 2.0]`` for a vector, ``3.0`` for a scalar."""
    return "[" + ", ".join(literal(v) for v in values) + "]" if vector else literal(values[0])


def render(s: Scenario, print_ask: bool = True) -> str:
    """The scenario as a PyTorch program (what the learner reads)."""
    lines = ["import torch", ""]
    dtype_arg = ", dtype=torch.float64" if s.dtype == "float64" else ""
    for leaf in s.leaves:
        rg = ", requires_grad=True" if leaf.requires_grad else ""
        lines.append(f"{leaf.name} = torch.tensor({literals(leaf.values, leaf.vector)}{rg}{dtype_arg})")
    if s.optimizer:
        params = ", ".join(s.optimizer.params)
        lines.append(f"opt = torch.optim.SGD([{params}], lr={literal(s.optimizer.lr)})")
    out = CodeWriter(s.dtype)
    for step in s.steps:
        step.render(out)
    if out.definitions:
        lines.append("")
        lines.extend(out.definitions)
    lines.append("")
    lines.extend(out.lines)
    if print_ask:
        lines.append(f"print({s.ask})")
    return "\n".join(lines) + "\n"
