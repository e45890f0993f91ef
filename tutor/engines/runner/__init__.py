"""Running learner code: pristine preloaded workers, one fresh process per job, one protocol for all.

``tutor grade`` and ``tutor trace`` run jobs in the sandbox (bubblewrap with
an allow-listed filesystem, every namespace, no capabilities, a syscall
filter); ``tutor check`` and the quiz's ``check`` run the learner's own or
the bank's trusted code through the same workers without isolation.

* :mod:`.worker`: the parent's side of one worker (:class:`Worker`, :class:`Run`, :class:`Limits`);
* :mod:`.pool`: several workers for a batch;
* :mod:`.programs`: trusted code in the shared worker: the tutor's rendered programs (many to a job) and
  the learner's or the bank's code files;
* :mod:`.protocol`: what a job sent back, read against a strict schema;
* :mod:`.isolation`: the probe that decides which protections hold;
* :mod:`.sandbox`: bubblewrap's allow-list; :mod:`.seccomp`: the syscall filter;
* ``_worker.py`` and ``_job.py``: the code that runs inside (never imported by the tutor).
"""
from __future__ import annotations

from .isolation import Isolation, probe
from .pool import Pool
from .shared import prestart, shared_worker
from .worker import Limits, Run, Worker, WorkerError

__all__ = ["Isolation", "Limits", "Pool", "Run", "Worker", "WorkerError", "prestart", "probe", "shared_worker"]
