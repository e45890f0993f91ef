"""Self-contained HTML sheets: no script, no external link, math as MathML.

Math is sympy's presentation MathML inside ``<math>`` elements (rendered
natively by Chromium, Firefox and Safari); the stylesheet is inline and has a
print section, so the page prints as a handout from any browser, offline.
"""
from __future__ import annotations

import re
from html import escape
from html.entities import html5

_NAMED = re.compile(r"&([A-Za-z][A-Za-z0-9]*);")
_XML_ENTITIES = ("lt", "gt", "amp", "quot", "apos")


def _numeric(m) -> str:
    """&InvisibleTimes; -> &#x2062;: the page then parses as XML too (and in any HTML parser)."""
    name = m.group(1)
    chars = html5.get(name + ";")
    if name in _XML_ENTITIES or chars is None:
        return m.group(0)
    return "".join(f"&#x{ord(c):x};" for c in chars)

from ..i18n import _

EXTENSION = ".html"

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


def mathml(expr, display: bool = False) -> str:
    from sympy.printing.mathml import mathml as to_mathml

    inner = _NAMED.sub(_numeric, to_mathml(expr, printer="presentation"))
    return f'<math display="{"block" if display else "inline"}">{inner}</math>'


def _code(text: str) -> str:
    return f"<code>{escape(text)}</code>"


def _pre(code: str) -> str:
    return f'<pre><code class="language-python">{escape(code.rstrip(chr(10)))}</code></pre>'


def question_html(item) -> list[str]:
    out = []
    if item.kind == "derive":
        if item.custom_question():
            out.append(f"<p>{escape(item.prompt)}</p>")
            out.append(f"<p>{mathml(item.function_equation(), display=True)}</p>")
        else:
            asked = ", ".join(mathml(item.derivative(w)) for w in item.wrt)
            out.append("<p>" + escape(_("Let {equation}. Find {parts}.")).format(
                equation=mathml(item.function_equation()), parts=asked) + "</p>")
    else:
        out.append(f"<p>{escape(item.prompt)}</p>")
    if item.code:
        out.append(_pre(item.code))
    if item.kind == "code":
        out.append("<p>" + escape(_("The checker calls {call}.")).format(call=_code(item.call_text())) + "</p>")
        out.append("<p>" + escape(_("Stub ({file}):")).format(file=_code(item.stub_path)) + "</p>")
        out.append(_pre(item.stub()))
    if item.choices:
        out.append('<ol class="choices">')
        out += [f"<li>{escape(c)}</li>" for c in item.choices]
        out.append("</ol>")
    return out


def answer_html(item) -> list[str]:
    v = item.variant
    out = ['<div class="answer">']
    if item.kind == "derive":
        out += [f"<p>{mathml(item.derivative_equation(w, e))}</p>" for w, e in v.answer.items()]
        out.append("<p>" + escape(_("Typed: {typed}")).format(typed=_code(item.typed_answer())) + "</p>")
    elif item.kind in ("predict", "code"):
        out.append("<p><strong>" + escape(_("Answer:")) + "</strong> " + _code(item.answer_text()) + "</p>")
    else:
        out.append("<p><strong>" + escape(_("Answer:")) + "</strong> " + escape(item.answer_text()) + "</p>")
    out.append("</div>")
    wrong = item.wrong_answers()
    if wrong:
        out.append("<p>" + escape(_("Common wrong answers:")) + "</p>")
        out.append('<table class="wrong"><thead><tr><th>' + escape(_("wrong answer")) + "</th><th>"
                   + escape(_("misconception")) + "</th><th>id</th></tr></thead><tbody>")
        for w in wrong:
            shown = mathml(item.derivative_equation(w.wrt, w.expr)) if w.expr is not None else _code(w.text)
            out.append(f"<tr><td>{shown}</td><td>{escape(w.title)}</td><td>{_code(w.misconception)}</td></tr>")
        out.append("</tbody></table>")
    out.append('<p class="why"><em>' + escape(_("Why:")) + "</em> " + escape(item.exercise.explanation) + "</p>")
    return out


def render(sheet, key: bool = False) -> str:
    heading = sheet.heading() + (" — " + _("answer key") if key else "")
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{escape(heading)}</title>", f"<style>\n{CSS}\n</style>", "</head>", "<body>",
           f"<h1>{escape(heading)}</h1>", f'<p class="subtitle">{escape(sheet.subtitle())}</p>']
    for item in sheet.items:
        meta = f"{item.topic} · {item.kind} · {item.id} · " + _("seed {seed}").format(seed=item.seed)
        out += [f'<section class="question" id="q{item.number}">',
                f"<h2>{item.number}. {escape(item.title)}</h2>", f'<p class="meta">{escape(meta)}</p>']
        out += question_html(item)
        if key:
            out += answer_html(item)
        else:
            out.append('<div class="answer-space">' + escape(_("Your answer:")) + "</div>")
        out.append("</section>")
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"
