"""LaTeX sheets: a standalone article (amsmath, listings), math from sympy's LaTeX printer.

The document compiles with pdflatex, xelatex or lualatex.  Text from the bank
is escaped (:func:`escape`); programs go in ``tutorcode`` environments (listings, or
fancyvrb under a Unicode engine), which take them verbatim.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...foundation.document import Block, Choices, Code, DisplayMath, Equations, Inline, Math, Para, Program, Strong
from ...foundation.i18n import _
from .model import Item, Sheet, item_meta

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
\ifdefined\XeTeXversion\def\tutorunicode{}\fi
\ifdefined\directlua\def\tutorunicode{}\fi
\ifdefined\tutorunicode
  \usepackage{fontspec}
  \ifdefined\tutorfont\setmainfont{\tutorfont}\fi
  \ifdefined\tutormonofont\setmonofont{\tutormonofont}\fi
  \ifdefined\XeTeXversion\XeTeXlinebreaklocale "zh"\XeTeXlinebreakskip=0pt plus 1pt
    \ifdefined\tutorfallback
      \newfontfamily\tutorfallbackfont{\tutorfallback}
      \newXeTeXintercharclass\tutorclass
      \tutorfallbackchars
      \XeTeXinterchartokenstate=1
      \XeTeXinterchartoks 0 \tutorclass = {\begingroup\tutorfallbackfont}
      \XeTeXinterchartoks 4095 \tutorclass = {\begingroup\tutorfallbackfont}
      \XeTeXinterchartoks \tutorclass 0 = {\endgroup}
      \XeTeXinterchartoks \tutorclass 4095 = {\endgroup}
    \fi
  \fi
\else
  \usepackage[T1]{fontenc}
  \IfFileExists{lmodern.sty}{\usepackage{lmodern}}{}
\fi
\usepackage{amsmath,amssymb}
\usepackage[margin=2.2cm]{geometry}
\usepackage{listings}
\usepackage{xcolor}
\lstset{language=Python, basicstyle=\ttfamily\small, columns=fullflexible, keepspaces=true,
  breaklines=true, frame=single, rulecolor=\color{gray}, showstringspaces=false, upquote=true}
\ifdefined\tutorunicode     % listings moves characters beyond ASCII within a word: fancyvrb keeps them in place
  \IfFileExists{fvextra.sty}{\usepackage{fvextra}%
    \DefineVerbatimEnvironment{tutorcode}{Verbatim}{frame=single, fontsize=\small, breaklines=true}}%
  {\usepackage{fancyvrb}\DefineVerbatimEnvironment{tutorcode}{Verbatim}{frame=single, fontsize=\small}}
\else
  \lstnewenvironment{tutorcode}{}{}
\fi
\setlength{\parindent}{0pt}
\setlength{\parskip}{0.5em}
\sloppy
"""


_BIDI = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C)}


def escape(text: str) -> str:
    """Text safe in LaTeX's text mode (bidirectional controls dropped: they would reorder what follows)."""
    return "".join(_SPECIAL.get(ch, ch) for ch in str(text) if ch not in _BIDI)


def _tt(text: str) -> str:
    return r"\texttt{" + escape(text) + "}"


def _latex(expr: Any) -> str:
    import sympy

    return str(sympy.latex(expr))


def inline(part: Inline) -> str:
    if isinstance(part, Math):
        return f"${_latex(part.expr)}$"
    if isinstance(part, Code):
        return _tt(part.text)
    if isinstance(part, Strong):
        return r"\textbf{" + escape(part.text) + "}"
    return escape(part.text)


def block_lines(block: Block) -> list[str]:
    if isinstance(block, Para):
        return ["".join(inline(p) for p in block.parts)]
    if isinstance(block, DisplayMath):
        return [r"\[ " + _latex(block.expr) + r" \]"]
    if isinstance(block, Program):
        return [r"\begin{tutorcode}", block.code.rstrip("\n"), r"\end{tutorcode}"]
    if isinstance(block, Choices):
        items = [rf"  \item[{chr(ord('a') + i)})] " + escape(c) for i, c in enumerate(block.items)]
        return [r"\begin{enumerate}", *items, r"\end{enumerate}"]
    assert isinstance(block, Equations)
    rows = [_latex(lhs) + " &= " + _latex(rhs) for lhs, rhs in block.pairs]
    return [r"\begin{align*}", " \\\\\n".join(rows), r"\end{align*}"]


def blocks_lines(blocks: Sequence[Block]) -> list[str]:
    """Blocks one after the other; a blank line between two paragraphs keeps them apart in LaTeX."""
    lines: list[str] = []
    for i, block in enumerate(blocks):
        if i and isinstance(block, Para) and isinstance(blocks[i - 1], Para):
            lines.append("")
        lines += block_lines(block)
    return lines


def answer_tex(item: Item) -> list[str]:
    out = blocks_lines(item.answer())
    wrong = item.wrong_answers()
    if wrong:
        out += ["", escape(_("Common wrong answers:")), r"\begin{itemize}"]
        out += [rf"  \item {inline(w.shown)} --- {escape(w.title)} ({_tt(w.misconception)})" for w in wrong]
        out.append(r"\end{itemize}")
    out += ["", r"\emph{" + escape(_("Why:")) + "} " + escape(item.variant.explanation)]
    return out


def render(sheet: Sheet, key: bool = False) -> str:
    heading = sheet.heading() + (" --- " + _("answer key") if key else "")
    out = [PREAMBLE.rstrip("\n"), r"\begin{document}", "",
           r"\section*{" + escape(heading) + "}",
           r"\emph{" + escape(sheet.subtitle(key)) + "}", ""]
    for item in sheet.items:
        meta = " · ".join(item_meta(item, key))
        out += [r"\subsection*{" + f"{item.number}. " + escape(item.title) + "}",
                r"{\small\emph{" + escape(meta) + "}}", ""]
        out += blocks_lines(item.question(stub=not key))
        out.append("")
        if key:
            out += answer_tex(item)
        else:
            out += [r"\textbf{" + escape(_("Your answer:")) + r"}\par\vspace{3em}"]
        out.append("")
    out += [r"\end{document}"]
    return "\n".join(out) + "\n"
