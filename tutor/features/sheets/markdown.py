"""Markdown sheets: math as ``$...$`` (sympy's LaTeX printer), programs in ```python fences."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...foundation.document import (
    Block,
    Choices,
    Code,
    DisplayMath,
    Equations,
    Inline,
    Math,
    Para,
    Program,
    Strong,
)
from ...foundation.i18n import _
from .model import Item, Sheet, item_meta

EXTENSION = ".md"


def _latex(expr: Any) -> str:
    import sympy

    return str(sympy.latex(expr))


def _cell(text: str) -> str:
    """Text safe inside a (GFM) table cell: pipes escaped, one line."""
    return text.replace("|", "\\|").replace("\n", " ")


def _code_span(text: str) -> str:
    ticks = "``" if "`" in text else "`"
    pad = " " if "`" in text else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _fence(code: str, lang: str = "python") -> list[str]:
    fence = "````" if "```" in code else "```"
    return [fence + lang, code.rstrip("\n"), fence]


def inline(part: Inline) -> str:
    if isinstance(part, Math):
        return f"${_latex(part.expr)}$"
    if isinstance(part, Code):
        return _code_span(part.text)
    if isinstance(part, Strong):
        return f"**{part.text}**"
    return part.text


def block_lines(block: Block) -> list[str]:
    import sympy

    if isinstance(block, Para):
        return ["".join(inline(p) for p in block.parts)]
    if isinstance(block, DisplayMath):
        return [f"${_latex(block.expr)}$"]
    if isinstance(block, Program):
        return _fence(block.code)
    if isinstance(block, Choices):
        return [f"- **{chr(ord('a') + i)})** {choice}" for i, choice in enumerate(block.items)]
    assert isinstance(block, Equations)
    return [f"- ${_latex(sympy.Eq(lhs, rhs, evaluate=False))}$" for lhs, rhs in block.pairs]


def blocks_lines(blocks: Sequence[Block]) -> list[str]:
    """Blocks separated by blank lines."""
    lines: list[str] = []
    for i, block in enumerate(blocks):
        if i:
            lines.append("")
        lines += block_lines(block)
    return lines


def meta_line(item: Item, key: bool = False) -> str:
    parts = list(item_meta(item, key))
    if key:
        parts[2] = f"`{parts[2]}`"                      # the exercise id
    return "*" + " · ".join(parts) + "*"


def answer_lines(item: Item) -> list[str]:
    lines = blocks_lines(item.answer())
    wrong = item.wrong_answers()
    if wrong:
        lines += ["", _("Common wrong answers:"), "",
                  "| " + _("wrong answer") + " | " + _("misconception") + " | id |", "|---|---|---|"]
        lines += [f"| {_cell(inline(w.shown))} | {_cell(w.title)} | `{w.misconception}` |" for w in wrong]
    lines += ["", _("*Why:* {explanation}").format(explanation=item.variant.explanation)]
    return lines


def render(sheet: Sheet, key: bool = False) -> str:
    heading = sheet.heading() + (" — " + _("answer key") if key else "")
    lines = [f"# {heading}", "", f"*{sheet.subtitle(key)}*", ""]
    for item in sheet.items:
        lines += [f"## {item.number}. {item.title}", "", meta_line(item, key), ""]
        lines += blocks_lines(item.question(stub=not key))
        lines.append("")
        if key:
            lines += answer_lines(item)
        else:
            lines.append(_("**Your answer:**") + " ")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"
