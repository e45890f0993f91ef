"""LaTeX sheets: a standalone article (amsmath, listings), math from sympy's LaTeX printer.

The document compiles with pdflatex, xelatex or lualatex.  Text from the bank
is escaped (:func:`escape`); programs go in ``lstlisting`` environments, which
take them verbatim.
"""
from __future__ import annotations

from ..i18n import _

EXTENSION = ".tex"

_SPECIAL = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#", "%": r"\%",
    "_": r"\_", "^": r"\textasciicircum{}", "~": r"\textasciitilde{}", "<": r"\textless{}",
    ">": r"\textgreater{}", "|": r"\textbar{}", '"': r"\textquotedbl{}",
    # the few non-ASCII characters bank text uses; pdflatex has no glyph for them in text mode
    "∂": r"$\partial$", "×": r"$\times$", "·": r"$\cdot$", "−": "-", "→": r"$\to$", "≠": r"$\neq$",
    "≤": r"$\leq$", "≥": r"$\geq$", "²": r"\textsuperscript{2}", "³": r"\textsuperscript{3}",
    "π": r"$\pi$", "σ": r"$\sigma$", "…": r"\ldots{}", "—": "---", "–": "--", "’": "'", "‘": "`",
    "“": "``", "”": "''", "✓": r"$\checkmark$", "✗": r"$\times$",
}

PREAMBLE = r"""\documentclass[11pt,a4paper]{article}
\ifdefined\XeTeXversion\else\ifdefined\directlua\else
  \usepackage[T1]{fontenc}
  \IfFileExists{lmodern.sty}{\usepackage{lmodern}}{}
\fi\fi
\usepackage{amsmath,amssymb}
\usepackage[margin=2.2cm]{geometry}
\usepackage{listings}
\usepackage{xcolor}
\lstset{language=Python, basicstyle=\ttfamily\small, columns=fullflexible, keepspaces=true,
  breaklines=true, frame=single, rulecolor=\color{gray}, showstringspaces=false, upquote=true}
\setlength{\parindent}{0pt}
\setlength{\parskip}{0.5em}
\sloppy
"""


def escape(text: str) -> str:
    """Text safe in LaTeX's text mode."""
    return "".join(_SPECIAL.get(ch, ch) for ch in str(text))


def fill(template: str, **raw) -> str:
    """Escape a translated sentence but insert the ``{name}`` fields as raw LaTeX."""
    from string import Formatter

    out = []
    for literal, name, _spec, _conv in Formatter().parse(template):
        out.append(escape(literal))
        if name is not None:
            out.append(raw[name])
    return "".join(out)


def _tt(text: str) -> str:
    return r"\texttt{" + escape(text) + "}"


def _latex(expr) -> str:
    import sympy

    return sympy.latex(expr)


def _listing(code: str) -> list[str]:
    return [r"\begin{lstlisting}", code.rstrip("\n"), r"\end{lstlisting}"]


def question_tex(item) -> list[str]:
    out = []
    if item.kind == "derive":
        if item.custom_question():
            out += [escape(item.prompt), r"\[ " + _latex(item.function_equation()) + r" \]"]
        else:
            asked = ", ".join(f"${_latex(item.derivative(w))}$" for w in item.wrt)
            out.append(fill(_("Let {equation}. Find {parts}."),
                            equation=f"${_latex(item.function_equation())}$", parts=asked))
    else:
        out.append(escape(item.prompt))
    if item.code:
        out += _listing(item.code)
    if item.kind == "code":
        out.append(fill(_("The checker calls {call}."), call=_tt(item.call_text())))
        out.append("")
        out.append(fill(_("Stub ({file}):"), file=_tt(item.stub_path)))
        out += _listing(item.stub())
    if item.choices:
        out.append(r"\begin{enumerate}")
        for i, choice in enumerate(item.choices):
            out.append(rf"  \item[{chr(ord('a') + i)})] " + escape(choice))
        out.append(r"\end{enumerate}")
    return out


def answer_tex(item) -> list[str]:
    v = item.variant
    out = []
    if item.kind == "derive":
        out.append(r"\begin{align*}")
        eqs = [_latex(item.derivative(w)) + " &= " + _latex(e) for w, e in v.answer.items()]
        out.append(" \\\\\n".join(eqs))
        out.append(r"\end{align*}")
        out.append(escape(_("Typed:")) + " " + _tt(item.typed_answer()))
    elif item.kind in ("predict", "code"):
        out.append(r"\textbf{" + escape(_("Answer:")) + "} " + _tt(item.answer_text()))
    else:
        out.append(r"\textbf{" + escape(_("Answer:")) + "} " + escape(item.answer_text()))
    wrong = item.wrong_answers()
    if wrong:
        out += ["", escape(_("Common wrong answers:")), r"\begin{itemize}"]
        for w in wrong:
            shown = f"${_latex(item.derivative_equation(w.wrt, w.expr))}$" if w.expr is not None else _tt(w.text)
            out.append(rf"  \item {shown} --- {escape(w.title)} ({_tt(w.misconception)})")
        out.append(r"\end{itemize}")
    out += ["", r"\emph{" + escape(_("Why:")) + "} " + escape(item.exercise.explanation)]
    return out


def render(sheet, key: bool = False) -> str:
    heading = sheet.heading() + (" --- " + _("answer key") if key else "")
    out = [PREAMBLE.rstrip("\n"), r"\begin{document}", "",
           r"\section*{" + escape(heading) + "}",
           r"\emph{" + escape(sheet.subtitle()) + "}", ""]
    for item in sheet.items:
        meta = f"{item.topic} · {item.kind} · {item.id} · " + _("seed {seed}").format(seed=item.seed)
        out += [r"\subsection*{" + f"{item.number}. " + escape(item.title) + "}",
                r"{\small\emph{" + escape(meta) + "}}", ""]
        out += question_tex(item)
        out.append("")
        if key:
            out += answer_tex(item)
        else:
            out += [r"\textbf{" + escape(_("Your answer:")) + r"}\par\vspace{3em}"]
        out.append("")
    out += [r"\end{document}"]
    return "\n".join(out) + "\n"
