"""``tutor learn``: a topic's lesson, its program to change, practice; events as text or JSON lines."""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ..features.quiz import Store
from ..features.quiz.learn import render, run
from ..features.quiz.render import render_event
from ..foundation.errors import TutorError
from ..foundation.i18n import _
from ..foundation.outcome import EXIT_INVALID, Outcome
from ..foundation.term import wrap


def main(*, topic: str | None, read: Callable[[str], str | None], write: Callable[[str], None],
         bank_dir: str | None = None, practice: int = 3, seed: int | None = None, as_json: bool = False,
         color: bool = False, width: int | None = None, store: Store | None = None) -> Outcome:
    """Exit status: 0 the topic done, 1 stopped early (progress saved), 2 invalid input."""
    def emit(event: dict[str, Any]) -> None:
        if as_json:
            write(json.dumps(event, ensure_ascii=False))
            return
        text = render(event, color)
        write(wrap(text if text is not None else render_event(event, color), width))

    own = store is None
    try:
        store = store or Store()
        return Outcome(exit_code=run(topic, read, emit, store, bank_dir, practice, seed))
    except TutorError as exc:
        if as_json:
            write(json.dumps({"event": "error", **exc.to_json()}))
        else:
            write(_("error: {reason}").format(reason=exc.one_line()))
        return Outcome(exit_code=EXIT_INVALID, code=exc.code)
    finally:
        if own and store is not None:
            store.close()
