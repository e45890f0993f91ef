"""Markdown sheets: math as ``$...$`` (sympy's LaTeX printer), programs in ```python fences."""
from __future__ import annotations

from ..i18n import _

EXTENSION = ".md"


def _latex(expr) -> str:
    import sympy

    return sympy.latex(expr)


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


def question_lines(item, stub: bool = True) -> list[str]:
    lines = []
    if item.kind == "derive":
        eq = f"${_latex(item.function_equation())}$"
        if item.custom_question():
            lines += [item.prompt, "", eq]
        else:
            asked = ", ".join(f"${_latex(item.derivative(w))}$" for w in item.wrt)
            lines.append(_("Let {equation}. Find {parts}.").format(equation=eq, parts=asked))
    else:
        lines.append(item.prompt)
    if item.code:
        lines += [""] + _fence(item.code)
    if item.kind == "code":
        lines += ["", _("The checker calls {call}.").format(call=_code_span(item.call_text()))]
        if stub:
            lines += ["", _("Stub ({file}):").format(file=_code_span(item.stub_path)), ""] + _fence(item.stub())
    if item.choices:
        lines.append("")
        for i, choice in enumerate(item.choices):
            lines.append(f"- **{chr(ord('a') + i)})** {choice}")
    return lines


def answer_lines(item) -> list[str]:
    v = item.variant
    lines = []
    if item.kind == "derive":
        for w, e in v.answer.items():
            lines.append(f"- ${_latex(item.derivative_equation(w, e))}$")
        lines += ["", _("Typed: {typed}").format(typed=_code_span(item.typed_answer()))]
    elif item.kind in ("predict", "code"):
        lines.append(_("**Answer:** {answer}").format(answer=_code_span(item.answer_text())))
    else:
        lines.append(_("**Answer:** {answer}").format(answer=item.answer_text()))
    wrong = item.wrong_answers()
    if wrong:
        lines += ["", _("Common wrong answers:"), "",
                  "| " + _("wrong answer") + " | " + _("misconception") + " | id |", "|---|---|---|"]
        for w in wrong:
            shown = f"${_latex(item.derivative_equation(w.wrt, w.expr))}$" if w.expr is not None \
                else _code_span(w.text)
            lines.append(f"| {_cell(shown)} | {_cell(w.title)} | `{w.misconception}` |")
    lines += ["", _("*Why:* {explanation}").format(explanation=item.exercise.explanation)]
    return lines


def render(sheet, key: bool = False) -> str:
    heading = sheet.heading() + (" — " + _("answer key") if key else "")
    lines = [f"# {heading}", "", f"*{sheet.subtitle()}*", ""]
    for item in sheet.items:
        lines += [f"## {item.number}. {item.title}", "",
                  f"*{item.topic} · {item.kind} · `{item.id}` · " + _("seed {seed}").format(seed=item.seed) + "*",
                  ""]
        lines += question_lines(item)
        lines.append("")
        if key:
            lines += answer_lines(item)
        else:
            lines.append(_("**Your answer:**") + " ")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"
