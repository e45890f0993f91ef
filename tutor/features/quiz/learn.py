"""``tutor learn``: the course topic by topic: the lesson, a program to change, practice, what comes next.

Like the quiz, the loop reads through ``read(prompt)`` and reports *events*
through ``emit(event)``: ``lesson`` (the idea and the program at its defaults,
what it prints exactly and in torch), ``demo`` (the program again after the
learner changed a parameter), ``invalid``, ``help``, then the quiz's own
events for the practice questions, and ``next`` (the topic that follows).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...bank.lessons import Demo, Lesson, demo, load_lessons, set_param
from ...bank.topics import TOPICS
from ...foundation.errors import TutorError
from ...foundation.i18n import _
from ...foundation.text import typed
from . import Options, Store
from . import run as run_quiz

Read = Callable[[str], "str | None"]
Emit = Callable[[dict[str, Any]], None]
GO_ON = ("", "next", "n", "practice", "p", "go", "ok")
QUIT = ("quit", "q", "exit")


def choose_topic(lessons: dict[str, Lesson], done: set[str]) -> str:
    """Where the learner is: the first topic, in the course's order, whose lesson is not done yet (then the
    first again: the course goes round)."""
    ordered = [t for t in TOPICS if t in lessons]
    if not ordered:
        raise TutorError(_("this bank has no lessons (a lessons/ folder beside the exercises)"),
                         code="learn.no-lessons")
    return next((t for t in ordered if t not in done), ordered[0])


def following(topic: str, lessons: dict[str, Lesson]) -> str | None:
    ordered = [t for t in TOPICS if t in lessons]
    i = ordered.index(topic)
    return ordered[i + 1] if i + 1 < len(ordered) else None


def _number(value: Any) -> str:
    """A parameter as the learner typed it: 0.15, not 3/20 (exact values keep their own form: pi/4)."""
    from ...foundation.term import fmt_number

    shown = fmt_number(float(value))
    return shown if sympy_equal(value, shown) else str(value)


def sympy_equal(value: Any, text: str) -> bool:
    from ...mathlang.parser import parse_number

    try:
        return bool(parse_number(text) == value)
    except TutorError:
        return False


def demo_event(kind: str, lesson: Lesson, shown: Demo) -> dict[str, Any]:
    return {"event": kind, "topic": lesson.topic, "params": {k: _number(v) for k, v in shown.params.items()},
            "program": shown.program, "ask": shown.ask, "exact": shown.exact.text(), "torch": shown.torch.text(),
            "printed": shown.printed, "agree": shown.agree}


def run(topic: str | None, read: Read, emit: Emit, store: Store, bank_dir: str | None = None,
        practice: int = 3, seed: int | None = None) -> int:
    """One topic: 0 done (the lesson marked done), 1 stopped early."""
    lessons = load_lessons(bank_dir)
    topic = topic or choose_topic(lessons, store.lessons_done())
    lesson = lessons.get(topic)
    if lesson is None:
        raise TutorError(_("no lesson for {topic} in this bank").format(topic=topic), code="learn.no-lesson")
    params = lesson.defaults()
    ordered = [t for t in TOPICS if t in lessons]
    emit({**demo_event("lesson", lesson, demo(lesson, params)), "title": lesson.title,
          "topic_title": _(TOPICS[topic]), "number": ordered.index(topic) + 1, "of": len(ordered),
          "idea": lesson.idea_text(params), "try": lesson.try_text,
          "ranges": {n: [_number(p["min"]), _number(p["max"])] for n, p in lesson.params.items()}})
    while True:
        text = read(_("change> "))
        if text is None or text.strip().lower() in QUIT:
            return 1
        text = typed(text).strip()
        if text.lower() in GO_ON:
            break
        if text.lower() in ("help", "?", "h"):
            emit({"event": "help", "text": _("Type NAME=VALUE to change a value of the program ({names}) and see "
                                             "what sympy and torch give now; Enter for the practice questions; "
                                             "quit to stop.").format(names=", ".join(lesson.params) or "-")})
            continue
        try:
            params = set_param(lesson, params, text)
        except TutorError as exc:
            emit({"event": "invalid", "reason": exc.one_line(), "code": exc.code,
                  "message": _("Type NAME=VALUE, or press Enter to practise.")})
            continue
        emit(demo_event("demo", lesson, demo(lesson, params)))
    if practice > 0:
        status = run_quiz(Options(topics=(topic,), count=practice, seed=seed, fresh=True, bank_dir=bank_dir),
                          read, emit, store)
        if status != 0:
            return status
    store.lesson_done(topic)
    emit({"event": "next", "done": topic, "topic": following(topic, lessons)})
    return 0


def render(event: dict[str, Any], color: bool = False) -> str | None:
    """The lesson's own events as text (None: a quiz event, rendered by the quiz)."""
    from ...foundation.term import highlight, style

    kind = event["event"]
    if kind in ("lesson", "demo"):
        lines = []
        if kind == "lesson":
            head = _("Lesson {number}/{of}: {title}").format(**event)
            lines += ["", style(head, "bold", enabled=color), style(event["topic_title"], "dim", enabled=color), "",
                      event["idea"], ""]
        else:
            lines.append(_("With {values}:").format(values=", ".join(f"{k} = {v}" for k, v in
                                                                      event["params"].items())))
        lines += ["    " + ln for ln in highlight(event["program"].rstrip(), color).splitlines()]
        mark = style("✓", "green", enabled=color) if event["agree"] else style("✗", "red", enabled=color)
        lines.append(_("  sympy computes {ask} = {exact} exactly; torch gives {torch} {mark}").format(
            ask=event["ask"], exact=event["exact"], torch=event["torch"], mark=mark))
        if event.get("printed"):
            lines.append("  " + _("the program prints: {printed}").format(printed=event["printed"]))
        if kind == "lesson":
            if event.get("try"):
                lines.append(style(_("Try it: {text}").format(text=event["try"]), "cyan", enabled=color))
            ranges = ", ".join(f"{n} = {lo}..{hi}" for n, (lo, hi) in event["ranges"].items())
            if ranges:
                lines.append(style(_("  (type NAME=VALUE: {ranges}; Enter to practise, quit to stop)").format(
                    ranges=ranges), "dim", enabled=color))
        return "\n".join(lines)
    if kind == "next":
        if event["topic"] is None:
            return style(_("That was the last topic of the course. tutor quiz reviews what is due; tutor progress "
                           "shows where you stand."), "bold", enabled=color)
        return style(_("Next: {title}. Run tutor learn to continue (or tutor learn {topic}).").format(
            title=_(TOPICS[event["topic"]]), topic=event["topic"]), "bold", enabled=color)
    return None
