"""``tutor learn``: a topic's lesson, its program to change, practice; events as text or JSON lines."""
from __future__ import annotations

from collections.abc import Callable

from ..features.quiz import Store
from ..features.quiz.learn import render, run
from ..foundation.outcome import Outcome
from .quiz import session


def main(*, topic: str | None, read: Callable[[str], str | None], write: Callable[[str], None],
         bank_dir: str | None = None, practice: int = 3, seed: int | None = None, as_json: bool = False,
         color: bool = False, width: int | None = None, store: Store | None = None) -> Outcome:
    """Exit status: 0 the topic done, 1 stopped early (progress saved), 2 invalid input."""
    return session(lambda store, emit: run(topic, read, emit, store, bank_dir, practice, seed), write=write,
                   as_json=as_json, color=color, width=width, store=store, render=render)
