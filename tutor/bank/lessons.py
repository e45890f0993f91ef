"""Lessons: one per topic, in the bank's ``lessons/`` folder (TOML, like the exercises).

A lesson is the idea in a few sentences, then a program the learner can
change: a scenario written as predict exercises write theirs, with
parameters that have a default and a range.  The tutor shows the program,
what it prints computed exactly (the sympy simulation) and what torch prints
(the same program run), side by side; the learner changes a parameter and
sees both again.  ``tutor check`` and the tests prove every lesson's program
(sympy = torch) at its defaults and at the ends of its ranges.

The format::

    format_version = 1

    [[lesson]]
    topic = "accumulation"
    title = "backward() adds into .grad"
    idea = "..."                       # a few sentences; {x0}, {= 2*x0} as in explanations
    try = "Change k: ..."              # what to change, and what to look for (optional)

    [lesson.params]
    x0 = { default = 3, min = -10, max = 10 }
    k = { default = 3, min = 0, max = 8 }

    [lesson.scenario]                  # as in a predict exercise
    ...
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..foundation.errors import BankError, TutorError
from ..foundation.i18n import _
from ..foundation.paths import default_bank_dir
from .topics import TOPICS

FIELDS = ("topic", "title", "idea", "try", "params", "scenario")
PARAM_FIELDS = ("default", "min", "max")


@dataclass(frozen=True)
class Lesson:
    topic: str
    title: str
    idea: str
    try_text: str
    params: dict[str, dict[str, Any]]      # name -> {default, min, max} (exact numbers)
    scenario: dict[str, Any]
    path: Path

    def defaults(self) -> dict[str, Any]:
        return {name: p["default"] for name, p in self.params.items()}

    def idea_text(self, params: dict[str, Any]) -> str:
        from .explanations import render

        return render(self.idea, params)


@dataclass(frozen=True)
class Demo:
    """The lesson's program at some parameter values: what it prints, exactly and in torch."""

    params: dict[str, Any]
    program: str
    ask: str
    exact: Any            # Answer (the simulation)
    torch: Any            # Answer (torch ran it)
    agree: bool
    printed: str = ""     # what the program prints when torch runs it, as the learner would see it


def lessons_dir(bank: str | Path | None = None) -> Path:
    return (Path(bank) if bank else default_bank_dir()) / "lessons"


def load_lessons(bank: str | Path | None = None) -> dict[str, Lesson]:
    """Every lesson of the bank, by topic (empty where the bank has none)."""
    folder = lessons_dir(bank)
    from .translations import LESSON_TEXTS, lesson_owner, translated, translator

    tr = translator(folder.parent)          # the bank's catalogue holds its lessons' texts too
    found: dict[str, Lesson] = {}
    for path in sorted(folder.glob("*.toml")) if folder.is_dir() else []:
        for item in _items(path):
            if isinstance(item, dict) and isinstance(item.get("topic"), str):
                item = translated(item, lesson_owner(item["topic"]), LESSON_TEXTS, (), tr)
            lesson = _validate(item, path)
            if lesson.topic in found:
                raise BankError(path, _("a second lesson for topic {topic} (also in {other})").format(
                    topic=lesson.topic, other=found[lesson.topic].path), field_name="topic",
                    code="lesson.duplicate")
            found[lesson.topic] = lesson
    return found


def _items(path: Path) -> list[Any]:
    from .load import read_toml

    doc = read_toml(path)
    unknown = set(doc) - {"format_version", "lesson"}
    if doc.get("format_version") != 1 or unknown or not isinstance(doc.get("lesson"), list):
        raise BankError(path, _("expected format_version = 1 and one or more [[lesson]] tables"),
                        code="lesson.format")
    return list(doc["lesson"])


def _validate(item: object, path: Path) -> Lesson:
    from ..mathlang.parser import parse_number

    def fail(field: str, reason: str) -> None:
        raise BankError(path, reason, field_name=field, code="lesson.field")

    if not isinstance(item, dict):
        fail("lesson", _("each [[lesson]] must be a table"))
    assert isinstance(item, dict)
    unknown = sorted(set(item) - set(FIELDS))
    if unknown:
        fail(unknown[0], _("unknown key; a lesson has {keys}").format(keys=", ".join(FIELDS)))
    topic = item.get("topic")
    if topic not in TOPICS:
        fail("topic", _("one of {topics}").format(topics=", ".join(TOPICS)))
    for key in ("title", "idea"):
        if not isinstance(item.get(key), str) or not item[key].strip():
            fail(key, _("must be a non-empty string"))
    params: dict[str, dict[str, Any]] = {}
    for name, spec in (item.get("params") or {}).items():
        if not isinstance(spec, dict) or not set(PARAM_FIELDS) <= set(spec) <= {*PARAM_FIELDS, "whole"}:
            fail(f"params.{name}", _("must be {table}, and {setting} for a count").format(
                table="{ default = ..., min = ..., max = ... }", setting="whole = true"))
        try:
            values: dict[str, Any] = {k: parse_number(str(spec[k])) for k in PARAM_FIELDS}
        except TutorError as exc:
            fail(f"params.{name}", exc.one_line())
        if not values["min"] <= values["default"] <= values["max"]:
            fail(f"params.{name}", _("needs min <= default <= max"))
        whole = spec.get("whole", False)
        if not isinstance(whole, bool):
            fail(f"params.{name}.whole", _("must be true or false"))
        if whole and not all(values[k].is_Integer for k in PARAM_FIELDS):
            fail(f"params.{name}", _("a whole parameter needs whole numbers for default, min and max"))
        values["whole"] = whole
        params[name] = values
    if not isinstance(item.get("scenario"), dict):
        fail("scenario", _("must be a table, as in a predict exercise"))
    lesson = Lesson(str(topic), item["title"], item["idea"], str(item.get("try", "")), params,
                    item["scenario"], path)
    from sympy import Rational

    from ..engines.scenario import build

    try:
        build(lesson.scenario, lesson.defaults(), where=f"lesson {topic}.scenario")
    except TutorError as exc:
        raise BankError(path, exc.one_line(), field_name="scenario", code="lesson.scenario") from None
    for name, spec in params.items():        # a count (a loop's) must say so: the learner may type 2.5 otherwise
        if spec["whole"] or spec["min"] == spec["max"]:
            continue
        half = spec["default"] + Rational(1, 2)
        half = half if half <= spec["max"] else spec["default"] - Rational(1, 2)
        try:
            build(lesson.scenario, {**lesson.defaults(), name: half}, where=f"lesson {topic}.scenario")
        except TutorError:
            fail(f"params.{name}", _("the program needs a whole number here (a count): add {setting}").format(
                setting="whole = true"))
    return lesson


def set_param(lesson: Lesson, params: dict[str, Any], text: str) -> dict[str, Any]:
    """``k=4`` typed by the learner: the parameters with it changed (a TutorError saying why not)."""
    from ..mathlang.parser import parse_number

    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or name not in lesson.params:
        raise TutorError(_("type NAME=VALUE with one of {names}").format(names=", ".join(lesson.params) or "-"),
                         code="learn.bad-param")
    number = parse_number(value)
    spec = lesson.params[name]
    if not spec["min"] <= number <= spec["max"]:
        raise TutorError(_("{name} goes from {lo} to {hi} here").format(name=name, lo=spec["min"], hi=spec["max"]),
                         code="learn.out-of-range")
    if spec["whole"] and not number.is_Integer:
        raise TutorError(_("{name} counts something: a whole number").format(name=name), code="learn.not-whole")
    return {**params, name: number}


def demo(lesson: Lesson, params: dict[str, Any]) -> Demo:
    """The program at ``params``: rendered, simulated exactly, run in torch (our own generated code)."""
    from ..engines.scenario import build, render, run_in_torch, same_answer, simulate

    scenario = build(lesson.scenario, params, where=f"lesson {lesson.topic}.scenario")
    exact = simulate(scenario).answer
    got = run_in_torch(scenario)
    program = render(scenario)
    return Demo(dict(params), program, str(scenario.ask), exact, got, same_answer(exact, got, scenario.dtype),
                _printed(program))


def _printed(program: str) -> str:
    """What the rendered program prints (our own generated code, run here as torch runs it: the line torch
    shows, ``tensor(14.2500)``, or the error it raises)."""
    import contextlib
    import io
    import math
    import warnings

    import torch

    out = io.StringIO()
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(out):
            warnings.simplefilter("ignore")
            exec(compile(program, "<lesson>", "exec"), {"torch": torch, "math": math})  # noqa: S102 - generated
    except Exception as exc:  # the program's own error is what it shows
        return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    finally:
        torch.set_grad_enabled(True)
    return out.getvalue().strip()
