"""An exercise's explanation in the variant's own numbers, and the proof that it quotes no other variant's.

An explanation is text with placeholders: ``{x0}`` is the drawn value of the
parameter ``x0``; ``{= 2*x0 + 3*x0^2}`` is a formula in the math language,
computed exactly with the drawn values (never ``eval``: the tutor's own
parser); ``{{`` and ``}}`` are braces.

``tutor check`` draws every seed and refuses (:func:`problems`)

* a number written into the text that one variant produces and this one does
  not ("6 + 27 = 33 at x0 = 3" beside a question with x0 = 4): it must be a
  placeholder;
* a parameter's name used as a symbol where the learner never sees it (the
  question shows ``x = torch.tensor(4.0)``, not ``x0``).
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from ..foundation.errors import TutorError
from ..foundation.i18n import _

PLACEHOLDER = re.compile(r"\{\{|\}\}|\{(=?)([^{}]*)\}")
NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])")
# a number inside a formula, not a quoted value: next to * ^ /, or followed by a short symbol (2 x, 3a, 2 lr)
# (or joined by + or - to a symbol: 2u + 1, 1 - tanh(x)^2; not 6 + 27 = 33, which quotes values)
FORMULA_BEFORE = re.compile(r"(?:[*^/]|[A-Za-z_)\]]\w*'*\s*[-+])\s*$")
FORMULA_AFTER = re.compile(r"^\s*(?:[*^/(]|[-+]\s*[A-Za-z_(]|[A-Za-z][A-Za-z_0-9]{0,2}\b)")
OPERATOR = r"[-+*/^=(),]"


def render(template: str, params: Mapping[str, Any]) -> str:
    """The explanation with the variant's values in place (TutorError: an unknown name or a bad formula)."""
    def fill(m: re.Match[str]) -> str:
        if m.group(0) in ("{{", "}}"):
            return m.group(0)[0]
        return _value(m.group(2).strip(), bool(m.group(1)), params)

    return PLACEHOLDER.sub(fill, template)


def _value(text: str, formula: bool, params: Mapping[str, Any]) -> str:
    from ..foundation.term import fmt_number

    if not formula:
        if text not in params:
            raise TutorError(_("{{{name}}} is not a parameter of this exercise (its parameters: {known})").format(
                name=text, known=", ".join(sorted(params)) or "-"), code="bank.bad-explanation")
        return fmt_number(params[text])
    import sympy

    from ..mathlang import parse

    try:
        expr = parse(text, variables=set(params)).expr
        value = expr.xreplace({sympy.Symbol(k, real=True): v for k, v in params.items()})
        number = sympy.N(value, 30)
        if not number.is_real or not number.is_finite:
            raise ValueError(str(number))
    except (TutorError, ValueError, TypeError) as exc:
        raise TutorError(_("{{= {formula}}} is not a number for these parameters ({why})").format(
            formula=text, why=exc.one_line() if isinstance(exc, TutorError) else exc),
            code="bank.bad-explanation") from exc
    return fmt_number(float(number))


def static_parts(template: str) -> list[str]:
    """The text of the template outside its placeholders (where a quoted number is fixed for every variant)."""
    return [part for part in re.split(r"\{\{|\}\}|\{=?[^{}]*\}", template) if part]


WORDS = frozenset("at is in on to or of as an and the for not by if so it be are was has per via but its no "
                  "all one two any now yet".split())


def quoted_numbers(text: str) -> list[float]:
    """The numbers a text quotes as values (not the constants of a formula such as 2*x0 or 3 x^2)."""
    out = []
    for m in NUMBER.finditer(text):
        after = FORMULA_AFTER.match(text[m.end():])
        if after and after.group(0).strip().lower() in WORDS:      # "33 at x = 3": a word, not a symbol
            after = None
        if FORMULA_BEFORE.search(text[:m.start()]) or after:
            continue
        out.append(float(m.group(0)))
    return out


def produced(numbers: Iterable[float], value: float) -> bool:
    return any(abs(value - x) <= 1e-9 * max(1.0, abs(x)) or _shown_as(x, value) for x in numbers)


def _shown_as(x: float, value: float) -> bool:
    """Is ``value`` how ``x`` reads at a few digits (10.8 for 10.80000019; a whole number only exactly)?"""
    decimals = _decimals(value)
    return decimals > 0 and abs(x - value) <= 0.5 * 10 ** -decimals + 1e-12


def _decimals(value: float) -> int:
    text = repr(value)
    return len(text.split(".")[1]) if "." in text and not text.endswith(".0") else 0


def symbols_unseen(template: str, params: Iterable[str], shown: str) -> list[str]:
    """Parameter names the explanation uses as symbols although the question never shows them."""
    seen = set(re.findall(r"[A-Za-z_]\w*", shown))
    text = " ".join(static_parts(template))
    out = []
    for name in params:
        if name in seen:
            continue
        if len(name) > 1 or name not in ("a", "A", "I"):     # (only these are also English words)
            used = re.search(rf"(?<![\w.]){re.escape(name)}(?![\w])", text)
        else:      # "a": only next to an operator, a digit or another symbol, not as the article
            used = re.search(rf"(?:[-+*/^=]\s*|\d\s*|\b[A-Za-z]\s)(?<![A-Za-z]{{2}}\s){name}\b(?!['’])|"
                             rf"(?<![\w.']){name}\b(?:\s*(?:{OPERATOR}|\^|\d)|\s+[A-Za-z]\b(?!['’]))", text)
        if used:
            out.append(name)
    return out


def check(variants: list[Any], shown: Any, numbers: Any) -> None:
    """Refuse (TutorError, ``check.explanation``) an explanation that does not render for a variant, quotes a
    number another variant produces and this one does not, states ``name = number`` with another value than
    the variant's, or uses a parameter's name the learner never sees.  ``shown(v)``: the question's text as
    the learner reads it; ``numbers(v)``: every number the variant's computation produces."""
    if not variants:
        return
    ex = variants[0].exercise
    produced_by = [(v, [float(x) for x in numbers(v)], shown(v)) for v in variants]
    for i, hint in enumerate(ex.hints):
        _check_text(produced_by, hint, _("hint {n}").format(n=i + 1))
    _check_text(produced_by, ex.explanation, _("the explanation"))


def _check_text(produced_by: list[tuple[Any, list[float], str]], template: str, what: str) -> None:
    static = static_parts(template)
    quoted = [n for part in static for n in quoted_numbers(part)]
    every = [x for _v, xs, _s in produced_by for x in xs]
    for v, mine, text in produced_by:
        def fail(reason: str, v: Any = v) -> None:
            raise TutorError(_("seed {seed}: {what} {reason}").format(seed=v.seed, what=what, reason=reason),
                             code="check.explanation")
        try:
            render(template, v.params)
        except TutorError as exc:
            fail(exc.one_line())
        for n in quoted:       # (0 and 1 are everywhere: a derivative of 1, "not 0"; "x0 = 1" is caught below)
            if n not in (0.0, 1.0) and produced(every, n) and not produced(mine, n):
                fail(_("quotes {n}, a number of another variant, not of this one: write it as a placeholder "
                       "({{x0}}, or a formula such as {{= 2*x0}})").format(n=_plain(n)))
        for part in static:
            for m in re.finditer(r"(?<![\w.])([A-Za-z_]\w*)\s*=\s*(-?\d+(?:\.\d+)?)(?![\w.])", part):
                name, value = m.group(1), float(m.group(2))
                if name in v.params and not produced([float(v.params[name])], value):
                    fail(_("says {name} = {said}, but this variant has {name} = {value}: write {{{name}}}").format(
                        name=name, said=m.group(2), value=_plain(float(v.params[name]))))
        unseen = symbols_unseen(template, list(v.exercise.data.get("params", {})), text)
        if unseen:
            fail(_("uses {names}, which the question never shows: write the value ({{{first}}}) or name what "
                   "the learner sees").format(names=", ".join(unseen), first=unseen[0]))


def _plain(x: float) -> str:
    from ..foundation.term import fmt_number

    return fmt_number(x)
