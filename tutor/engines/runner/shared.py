"""One trusted worker per process, started on first need: the quiz's and ``tutor check``'s code runs.

The learner's own file (the quiz) and the bank's stubs and solutions (``tutor
check``) are not hostile, so they skip the isolation, but they run exactly as
a submission does: in a fresh process forked from a preloaded worker, through
the same protocol.  Only the first run pays for importing torch;
:func:`prestart` starts that import early (when a code question is shown).
"""
from __future__ import annotations

import atexit
import threading

from .worker import Worker

_lock = threading.Lock()
_worker: Worker | None = None


def shared_worker(warm: bool = False) -> Worker:
    """The process's trusted worker (a dead one is replaced); ``warm``: it loads what torch imports lazily
    (an optimizer's step) before its first job."""
    global _worker
    with _lock:
        if _worker is None or not _worker.alive:
            if _worker is not None:
                _worker.close()
            _worker = Worker("trusted", warm=warm, compact=False)       # a few jobs: not worth compacting
            atexit.register(close_shared)
        elif warm:
            with _worker.lock:
                _worker.request_warm()
        return _worker


def prestart(warm: bool = False) -> None:
    """Start the worker now, so that its torch import overlaps with the learner's reading (or ``tutor
    check``'s sympy work)."""
    shared_worker(warm)


def close_shared() -> None:
    global _worker
    with _lock:
        if _worker is not None:
            _worker.close()
            _worker = None
