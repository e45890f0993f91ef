"""``tutor quiz``: run the loop; events go to ``write`` as text or JSON lines."""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ..features.quiz import Options, Store, run
from ..features.quiz.render import render_event
from ..foundation.errors import TutorError
from ..foundation.i18n import _
from ..foundation.outcome import EXIT_INVALID, Outcome
from ..foundation.term import wrap


def main(*, options: Options, read: Callable[[str], str | None], write: Callable[[str], None],
         as_json: bool = False, color: bool = False, store: Store | None = None, width: int | None = None) -> Outcome:
    """Exit status: 0 finished, 1 stopped early (progress saved), 2 invalid options.

    ``width``: the terminal's columns: prose is broken between words to fit (None: as it is)."""
    return session(lambda store, emit: run(options, read, emit, store), write=write, as_json=as_json, color=color,
                   width=width, store=store)


def session(loop: Callable[[Store, Callable[[dict[str, Any]], None]], int], *, write: Callable[[str], None],
            as_json: bool, color: bool, width: int | None, store: Store | None = None,
            render: Callable[[dict[str, Any], bool], str | None] | None = None) -> Outcome:
    """A session's loop (the quiz's, or tutor learn's), its events written as text or JSON lines; ``render``
    shows the loop's own events (None: the quiz renders it)."""
    def emit(event: dict[str, Any]) -> None:
        if as_json:
            write(json.dumps(event, ensure_ascii=False))
            return
        text = render(event, color) if render is not None else None
        write(wrap(text if text is not None else render_event(event, color), width))

    own = store is None
    try:
        store = store or Store()
        return Outcome(exit_code=loop(store, emit))
    except TutorError as exc:
        if as_json:
            write(json.dumps({"event": "error", **exc.to_json()}))
        else:
            write(_("error: {reason}").format(reason=exc.one_line()))
        return Outcome(exit_code=EXIT_INVALID, code=exc.code)
    finally:
        if own and store is not None:
            store.close()
