"""Exercise sheets: seeded variants, a separate answer key, personal variants per student.

* The questions come from :func:`tutor.bank.variant`, the engine the quiz and
  the grader share, so a key's answers are exactly what the quiz marks right.
* Same options and seed, same bytes: no timestamps, no paths, stable order.
* Formats: ``md``, ``html``, ``tex``, ``ipynb``, ``json`` (one module each,
  rendering the kinds' format-neutral blocks) and ``pdf`` (the ``tex`` output
  compiled by pdflatex, xelatex or lualatex).
* ``students``: a roster CSV; each student gets the same exercises with
  personal variants and a manifest maps each student to their
  ``(exercise, seed)`` list for the grader (:mod:`.write`).
"""
from __future__ import annotations

from pathlib import Path
from types import ModuleType

from ...bank import Exercise
from ...foundation.errors import TutorError
from ...foundation.i18n import _
from .model import Item, Sheet, Wrong, build, choose, item_seed, student_seed

__all__ = ["FORMATS", "Item", "Sheet", "Wrong", "build", "choose", "item_seed", "make_sheet", "render",
           "student_seed"]

FORMATS = ("md", "html", "tex", "ipynb", "json", "pdf")
_MODULES = {"md": "markdown", "html": "html", "tex": "tex", "pdf": "tex", "ipynb": "ipynb", "json": "jsonfmt"}


def make_sheet(exercises: list[Exercise] | None = None, *, directory: str | Path | None = None,
               topics: tuple[str, ...] = (), ids: tuple[str, ...] = (), kinds: tuple[str, ...] = (),
               count: int | None = None, seed: int = 0, student: str | None = None,
               student_name: str | None = None, title: str = "") -> Sheet:
    """A sheet of seeded variants.

    ``exercises`` is a loaded bank (``bank.load(...)``); without it the bank in
    ``directory`` (default: ``TUTOR_EXERCISES`` or the bundled one) is loaded.
    The selection (topics / ids / kinds / count) depends on ``seed`` only; the
    variants depend on ``seed`` or, for a student, on their personal seed.
    """
    from ... import bank

    if exercises is None:
        exercises = bank.load(directory)
    chosen = choose(exercises, topics=topics, ids=ids, kinds=kinds, count=count, seed=seed)
    return build(chosen, seed, student=student, student_name=student_name, title=title)


def renderer(fmt: str) -> ModuleType:
    """The module that renders ``fmt`` (pdf: the LaTeX one)."""
    import importlib

    module = _MODULES.get(fmt)
    if module is None:
        raise TutorError(_("unknown sheet format '{fmt}'; formats: {all}").format(fmt=fmt, all=", ".join(FORMATS)),
                         code="sheet.bad-format")
    return importlib.import_module(f"{__name__}.{module}")


def render(sheet: Sheet, fmt: str = "md", key: bool = False) -> str:
    """The sheet (or, with ``key=True``, its answer key) as text in ``fmt`` (pdf gives the LaTeX source)."""
    return str(renderer(fmt).render(sheet, key=key))
