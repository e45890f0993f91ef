"""Self-contained HTML sheets: no script, no external link, math as MathML.

Math is sympy's presentation MathML inside ``<math>`` elements (rendered
natively by Chromium, Firefox and Safari); the stylesheet is inline and has a
print section, so the page prints as a handout from any browser, offline.
"""
from __future__ import annotations

import re
from html import escape
from html.entities import html5
from typing import Any

from ...foundation.document import Block, Choices, Code, DisplayMath, Equations, Inline, Math, Para, Program, Strong
from ...foundation.i18n import _
from .model import Item, Sheet, item_meta

EXTENSION = ".html"
_NAMED = re.compile(r"&([A-Za-z][A-Za-z0-9]*);")
_XML_ENTITIES = ("lt", "gt", "amp", "quot", "apos")

CSS = """
:root { color-scheme: light; }
body { font-family: "DejaVu Sans", "Segoe UI", Helvetica, Arial, sans-serif; line-height: 1.5;
       max-width: 48rem; margin: 2rem auto; padding: 0 1rem; color: #111; background: #fff; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
.subtitle { color: #555; margin-top: 0; }
section.question { border-top: 1px solid #ccc; padding: 0.6rem 0 0.8rem; }
section.question h2 { font-size: 1.15rem; margin: 0.3rem 0; }
.meta { color: #666; font-size: 0.85rem; }
code, pre { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.9rem; }
pre { background: #f5f5f5; border: 1px solid #ddd; padding: 0.6rem; overflow-x: auto; white-space: pre-wrap; }
math { font-size: 1.1em; }
math[display="block"] { margin: 0.5rem 0; }
ol.choices { list-style-type: lower-alpha; }
.answer-space { border: 1px dashed #999; min-height: 3rem; margin-top: 0.5rem; padding: 0.3rem; color: #999; }
.answer { background: #eef7ee; border-left: 4px solid #3a3; padding: 0.4rem 0.6rem; margin: 0.5rem 0; }
table.wrong { border-collapse: collapse; margin: 0.4rem 0; width: 100%; }
table.wrong th, table.wrong td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: left;
                                 vertical-align: top; }
table.wrong th { background: #f0f0f0; }
.why { color: #333; }
@media print {
  body { margin: 0; max-width: none; font-size: 11pt; }
  section.question { break-inside: avoid; page-break-inside: avoid; }
  pre { white-space: pre-wrap; background: none; }
  .answer-space { min-height: 5rem; }
  a { color: inherit; text-decoration: none; }
}
""".strip()


def _numeric(m: re.Match[str]) -> str:
    """&InvisibleTimes; -> &#x2062;: the page then parses as XML too (and in any HTML parser)."""
    name = m.group(1)
    chars = html5.get(name + ";")
    if name in _XML_ENTITIES or chars is None:
        return m.group(0)
    return "".join(f"&#x{ord(c):x};" for c in chars)


def mathml(expr: Any, display: bool = False) -> str:
    from sympy.printing.mathml import mathml as to_mathml

    inner = _NAMED.sub(_numeric, to_mathml(expr, printer="presentation"))
    return f'<math display="{"block" if display else "inline"}">{inner}</math>'


def _code(text: str) -> str:
    return f"<code>{escape(text)}</code>"


def _pre(code: str) -> str:
    return f'<pre><code class="language-python">{escape(code.rstrip(chr(10)))}</code></pre>'


def inline(part: Inline) -> str:
    if isinstance(part, Math):
        return mathml(part.expr)
    if isinstance(part, Code):
        return _code(part.text)
    if isinstance(part, Strong):
        return f"<strong>{escape(part.text)}</strong>"
    return escape(part.text)


def block_lines(block: Block) -> list[str]:
    import sympy

    if isinstance(block, Para):
        return ["<p>" + "".join(inline(p) for p in block.parts) + "</p>"]
    if isinstance(block, DisplayMath):
        return [f"<p>{mathml(block.expr, display=True)}</p>"]
    if isinstance(block, Program):
        return [_pre(block.code)]
    if isinstance(block, Choices):
        return ['<ol class="choices">', *(f"<li>{escape(c)}</li>" for c in block.items), "</ol>"]
    assert isinstance(block, Equations)
    return [f"<p>{mathml(sympy.Eq(lhs, rhs, evaluate=False))}</p>" for lhs, rhs in block.pairs]


def answer_html(item: Item) -> list[str]:
    out = ['<div class="answer">']
    for block in item.answer():
        out += block_lines(block)
    out.append("</div>")
    wrong = item.wrong_answers()
    if wrong:
        out.append("<p>" + escape(_("Common wrong answers:")) + "</p>")
        out.append('<table class="wrong"><thead><tr><th>' + escape(_("wrong answer")) + "</th><th>"
                   + escape(_("misconception")) + "</th><th>id</th></tr></thead><tbody>")
        out += [f"<tr><td>{inline(w.shown)}</td><td>{escape(w.title)}</td><td>{_code(w.misconception)}</td></tr>"
                for w in wrong]
        out.append("</tbody></table>")
    out.append('<p class="why"><em>' + escape(_("Why:")) + "</em> " + escape(item.variant.explanation) + "</p>")
    return out


def render(sheet: Sheet, key: bool = False) -> str:
    heading = sheet.heading() + (" — " + _("answer key") if key else "")
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{escape(heading)}</title>", f"<style>\n{CSS}\n</style>", "</head>", "<body>",
           f"<h1>{escape(heading)}</h1>", f'<p class="subtitle">{escape(sheet.subtitle(key))}</p>']
    for item in sheet.items:
        meta = " · ".join(item_meta(item, key))
        out += [f'<section class="question" id="q{item.number}">',
                f"<h2>{item.number}. {escape(item.title)}</h2>", f'<p class="meta">{escape(meta)}</p>']
        for block in item.question(stub=not key):
            out += block_lines(block)
        if key:
            out += answer_html(item)
        else:
            out.append('<div class="answer-space">' + escape(_("Your answer:")) + "</div>")
        out.append("</section>")
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"
