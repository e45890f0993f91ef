"""``tutor progress``: mastery per topic from the saved answers."""
from __future__ import annotations

import json

from ..features.quiz.render import render_progress
from ..features.quiz.store import Store, default_path, erase
from ..foundation.errors import TutorError
from ..foundation.i18n import _
from ..foundation.outcome import Outcome, invalid


def main(*, as_json: bool = False, reset: bool = False, color: bool = False, directory: str | None = None) -> Outcome:
    """Exit status: 0 shown or erased, 2 the database cannot be used (``--reset`` erases it all the same)."""
    if reset:
        path = default_path()
        try:
            erase(path)
        except OSError as exc:
            return invalid(TutorError(f"{path}: {exc.strerror}", code="progress.unusable"), as_json)
        return Outcome(stdout=_("Progress erased ({path}).").format(path=path))
    try:
        store = Store()
    except TutorError as exc:
        return invalid(exc, as_json)
    from .. import bank

    try:
        exercises = bank.load(directory)
    except TutorError:
        exercises = None            # (a broken bundled bank: the topics seen so far, as saved)
    try:
        mastery, boxes = store.mastery(exercises), store.boxes()
    finally:
        store.close()
    if as_json:
        return Outcome(stdout=json.dumps({"topics": mastery, "exercises": boxes, "database": str(store.path)},
                                         indent=2))
    return Outcome(stdout=render_progress(mastery, boxes, color))
