"""The tutor in Jupyter and Colab: questions, self-checks and gradients in a notebook's cells.

::

    from tutor import notebook

    q = notebook.question("accumulate-three-backward", seed=1)   # shows the question
    q.answer("14.25")                                            # shows the feedback
    notebook.questions("zeroing", count=3)                       # a topic's questions
    notebook.check("code-zero-before-backward", train)           # your function, checked (otter's grader.check)
    notebook.gradient("x^2 sin(x)", x=2, steps=True, walk=True)  # sympy and torch side by side

Every object shows itself as HTML in a notebook (math as MathML) and as text
elsewhere.  Answers are judged exactly as the quiz judges them: attempts,
the feedback that names the mistake, and nothing that gives the answer away
before the last attempt.  ``check`` runs the learner's own function in the
learner's own kernel (it is theirs: the grader, not this, runs code it does
not trust).
"""
from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import Any

from .foundation.errors import TutorError
from .foundation.i18n import _, ngettext
from .notebook_support import in_notebook_words, listed, numbers_given, outcome, whole

__all__ = ["Feedback", "Gradient", "Question", "check", "gradient", "question", "questions"]


def _pre(text: str) -> str:
    return f"<pre style='margin:0.3em 0'>{html.escape(text)}</pre>"


def _p(text: str) -> str:
    return "<p>" + html.escape(text).replace("\n", "<br>") + "</p>"


def _mathml(text: str) -> str:
    """A formula of the math language as MathML (the text itself where it cannot be read)."""
    try:
        import sympy

        from .mathlang import parse

        inner = str(sympy.printing.mathml(parse(text).expr, printer="presentation"))
        return f"<math xmlns='http://www.w3.org/1998/Math/MathML'>{inner}</math>"
    except (TutorError, ValueError, TypeError):
        return html.escape(text)


class Feedback:
    """What the tutor says to one answer (``correct``, ``explanation``; ``expected`` once attempts are used)."""

    def __init__(self, event: dict[str, Any]):
        self.event = event
        self.correct: bool = bool(event.get("correct"))
        self.explanation: str = str(event.get("explanation") or event.get("reason") or "")
        self.expected: str | None = event.get("expected")

    def __repr__(self) -> str:
        from .features.quiz.render import render_event

        return render_event(self.event)

    def _repr_html_(self) -> str:
        e = self.event
        if e["event"] == "invalid":
            return _p(_("I could not read that: {reason}").format(reason=e["reason"])) + _p(e["message"])
        head = _("✓ Right.") if self.correct else _("✗ Not quite.")
        parts = [f"<b style='color:{'green' if self.correct else '#b00'}'>{html.escape(head)}</b>",
                 _p(self.explanation)]
        if e.get("table"):
            t = e["table"]
            rows = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>" for r in t["rows"])
            parts.append("<table><tr>" + "".join(f"<th>{html.escape(str(c))}</th>" for c in t["columns"])
                         + "</tr>" + rows + "</table>")
        if e.get("fix"):
            parts.append(_pre(e["fix"]))
        if e.get("steps"):
            parts.append(_pre("\n".join(e["steps"])))
        if e.get("walk"):
            parts.append(_pre("\n".join(e["walk"])))
        if e.get("solution"):
            parts.append(_p(_("A solution ({file}):").format(file=e["solution"]["file"])) + _pre(e["solution"]["code"]))
        if e.get("attempts_left"):
            parts.append(_p(ngettext("Try again ({n} attempt left).", "Try again ({n} attempts left).",
                                 e["attempts_left"]).format(n=e["attempts_left"])))
        elif self.expected is not None:
            shown = _mathml(self.expected) if e.get("kind") == "derive" else html.escape(self.expected)
            parts.append("<p>" + html.escape(_("The answer is")) + " " + shown + "</p>")
        return "\n".join(parts)


class Question:
    """One question of the bank, seeded; ``answer(text)`` judges an answer as the quiz does."""

    def __init__(self, exercise: str, seed: int = 0, attempts: int = 2, bank: str | None = None):
        from . import bank as bank_module
        from .features.quiz import attempts_for

        exercises = bank_module.by_id(bank_module.load(bank))
        if exercise not in exercises:
            raise TutorError(_("no exercise {id} in the bank").format(id=exercise), code="notebook.no-exercise")
        self.variant = bank_module.variant(exercises[exercise], seed)
        self.attempts = attempts_for(self.variant, attempts)
        self.used = 0
        self.last: Feedback | None = None

    @property
    def kind(self) -> str:
        return str(self.variant.exercise.kind)

    def __repr__(self) -> str:
        from .features.quiz.render import render_event
        from .features.quiz.views import question_event

        if self.kind == "code":
            return self.variant.prompt
        return render_event(question_event(self.variant, 0, 1))

    def _repr_html_(self) -> str:
        v = self.variant
        parts = [f"<b>{html.escape(v.exercise.title)}</b>", _p(v.prompt)]
        if v.code:
            parts.append(_pre(v.code))
        if self.kind == "code":
            kind = v.kind
            parts.append(_p(_("Define the function in a cell, then: notebook.check({id!r}, your_function)").format(
                id=v.exercise.id)) + _pre(kind.stub(v)))  # type: ignore[attr-defined]
        choices = v.exercise.data.get("choices")
        if choices:
            parts.append("<ol type='a'>" + "".join(f"<li>{html.escape(str(c))}</li>" for c in choices) + "</ol>")
        parts.append(_p(ngettext("Answer with .answer(\"...\"); {n} attempt.",
                                       "Answer with .answer(\"...\"); {n} attempts.",
                              self.attempts).format(n=self.attempts)))
        return "\n".join(parts)

    def answer(self, text: str) -> Feedback:
        """Judge ``text``: unreadable input costs no attempt; before the last attempt, a nudge, not the answer."""
        from . import bank as bank_module
        from .features.quiz import Options, feedback_event

        v = self.variant
        if self.kind == "code":
            raise TutorError(_("a code question is checked with notebook.check({id!r}, your_function)").format(
                id=v.exercise.id), code="notebook.code-question")
        if self.used >= self.attempts:
            assert self.last is not None
            return self.last
        from .foundation.text import typed

        text = typed(str(text))
        judged = bank_module.judge(lambda: v.kind.grade(v, text), v)
        if judged.invalid:
            return Feedback({"event": "invalid", "reason": judged.invalid, "code": judged.code,
                             "message": _("That cost no attempt: try again.")})
        self.used += 1
        final = judged.correct or self.used >= self.attempts
        event = feedback_event(v, str(text), judged, self.used, final, Options(attempts=self.attempts))
        self.last = Feedback({**event, "kind": self.kind})
        return self.last


def question(exercise: str, *, seed: int = 0, attempts: int = 2, bank: str | None = None) -> Question:
    """The exercise ``exercise`` (its id, as ``tutor list`` shows), in the variant ``seed``."""
    whole("seed", seed)
    whole("attempts", attempts, 1)
    return Question(exercise, seed, attempts, bank)


def questions(topic: str, count: int = 3, *, seed: int = 0, bank: str | None = None) -> list[Question]:
    """``count`` questions of ``topic`` (not code questions: those are checked with :func:`check`)."""
    import random

    from . import bank as bank_module

    chosen = [ex for ex in bank_module.load(bank) if ex.topic == topic and ex.kind != "code"]
    if not chosen:
        raise TutorError(_("no questions for topic {topic}").format(topic=topic), code="notebook.no-topic")
    whole("seed", seed)
    whole("count", count, 1)
    rng = random.Random(seed)
    rng.shuffle(chosen)
    return [Question(ex.id, rng.randrange(1_000_000), bank=bank) for ex in chosen[:count]]


def check(exercise: str, function: Callable[..., Any], *, seed: int = 0, bank: str | None = None) -> Feedback:
    """Self-check a code exercise: ``function`` (yours, defined in the notebook) is called on the question's
    inputs and judged as the grader judges it."""
    whole("seed", seed)
    if not callable(function):
        raise TutorError(_("check needs your function itself (its name without brackets), not {what}").format(
            what=type(function).__name__), code="notebook.not-a-function")
    from . import bank as bank_module

    exercises = bank_module.by_id(bank_module.load(bank))
    ex = exercises.get(exercise)
    if ex is None or ex.kind != "code":
        raise TutorError(_("no code exercise {id} in the bank").format(id=exercise), code="notebook.no-exercise")
    v = bank_module.variant(ex, seed)
    kind = v.kind
    judged = kind.corroborated(  # type: ignore[attr-defined]
        v, outcome(function, kind.call_args(v)),  # type: ignore[attr-defined]
        lambda others: [outcome(function, kind.call_args(w)) for w in others])  # type: ignore[attr-defined]
    event = {"event": "feedback", "correct": judged.correct, "explanation": judged.explanation,
             "misconception": judged.misconception, "fix": judged.fix, "attempts_left": 0,
             "expected": judged.expected, "kind": "code"}
    if not judged.correct:
        event["call"] = kind.call_text(v)  # type: ignore[attr-defined]
    return Feedback(event)


class Gradient:
    """``tutor grad`` in a cell: sympy, torch and a finite difference; the steps and the walk if asked."""

    def __init__(self, expression: str, at: dict[str, Any], steps: bool, walk: bool,
                 gradient: Sequence[Any] | None = None):
        from .commands.grad import _computed

        numbers_given({**at, **({"gradient": gradient} if gradient is not None else {})})
        points = [f"{k}={listed(v)}" for k, v in at.items()]
        try:
            self.report, self.derivations, self.walk = _computed(
                expression, points, None if gradient is None else listed(gradient), "float64", steps, walk)
        except TutorError as exc:
            raise in_notebook_words(exc, expression, at) from None

    def __repr__(self) -> str:
        from .commands.grad import render, render_steps, render_walk

        text = render(self.report)
        for d in self.derivations:
            text += "\n\n" + render_steps(d)
        if isinstance(self.walk, dict):          # the walk could not be drawn: why
            text += "\n\n" + _("walk: {reason}").format(reason=self.walk["error"])
        elif self.walk is not None:
            text += "\n\n" + render_walk(self.walk)
        return text

    def _repr_html_(self) -> str:
        from .engines.steps import lines
        from .foundation.term import fmt_values

        r = self.report
        rows = []
        for name, w in r.gradients.items():
            vec = r.point[name].vector
            sym = _mathml(w.symbolic) if w.symbolic else ""
            mark = "✓" if w.agree else "✗"
            rows.append(f"<tr><td>{html.escape(name)}.grad</td><td>{sym}</td><td>{fmt_values(w.sympy, vec)}</td>"
                        f"<td>{fmt_values(w.torch, vec)}</td><td>{fmt_values(w.finite_difference, vec)}</td>"
                        f"<td>{mark}</td></tr>")
        head = "".join(f"<th>{html.escape(h)}</th>" for h in (
            "", _("derivative"), _("sympy"), _("torch autograd"), _("finite difference"), ""))
        title = _("Gradient of {expr}").format(expr=r.expression)
        parts = [f"<b>{html.escape(title)}</b>",
                 f"<table><tr>{head}</tr>{''.join(rows)}</table>"]
        for d in self.derivations:
            parts.append(_pre("\n".join(lines(d))))
        if isinstance(self.walk, dict):
            parts.append(_p(_("walk: {reason}").format(reason=self.walk["error"])))
        elif self.walk is not None:
            from .commands.grad import render_walk

            parts.append(_pre(render_walk(self.walk)))
        return "\n".join(parts)


def gradient(expression: str, *, steps: bool = False, walk: bool = False, gradient: Sequence[Any] | None = None,
             **at: Any) -> Gradient:
    """The gradient of ``expression`` at ``x=2, y=[1, 2]``: sympy = torch = finite differences, side by side.
    ``gradient``: the v of ``y.backward(v)`` where the result is a vector (a list of numbers)."""
    if not at:
        raise TutorError(_("give the point: notebook.gradient(\"x^2\", x=3)"), code="notebook.no-point")
    if not isinstance(expression, str):
        raise TutorError(_("the expression is text: notebook.gradient(\"x^2\", x=3)"), code="notebook.not-text")
    return Gradient(expression, at, steps, walk, gradient)
