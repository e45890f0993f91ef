"""``tutor progress``: mastery per topic from the saved answers."""
from __future__ import annotations

import json

from ..features.quiz.render import render_progress
from ..features.quiz.store import Store, erase
from ..foundation.i18n import _
from ..foundation.outcome import Outcome


def main(*, as_json: bool = False, reset: bool = False, color: bool = False) -> Outcome:
    store = Store()
    path = store.path
    try:
        if reset:
            store.close()
            erase(path)
            return Outcome(stdout=_("Progress erased ({path}).").format(path=path))
        mastery, boxes = store.mastery(), store.boxes()
    finally:
        store.close()
    if as_json:
        return Outcome(stdout=json.dumps({"topics": mastery, "exercises": boxes, "database": str(path)}, indent=2))
    return Outcome(stdout=render_progress(mastery, boxes, color))
