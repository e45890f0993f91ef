"""Several workers, one job each at a time; a worker that dies is replaced and the batch goes on."""
from __future__ import annotations

import os
import queue
import secrets
import threading
from collections.abc import Sequence
from typing import Any

from .isolation import Isolation, probe
from .twin import Twin
from .worker import MAX_MESSAGES_BYTES, Limits, Run, Worker, WorkerError


def _container_uids(count: int) -> list[int]:
    """A range of a million unprivileged uids for each worker (one uid per job), drawn per batch."""
    base = 1_000_000_000 + secrets.randbelow(1000) * 1_000_000
    return [base + (i * 1_000_000) % 1_000_000_000 for i in range(count)]


class Pool:
    """``size`` workers of one mode, started at once (their torch import runs while the caller works).

    In sandbox mode the workers after the first are its twins (:meth:`Worker.twin`), forked from it when
    it is ready: the machine imports torch once, not once per core."""

    def __init__(self, size: int, mode: str = "sandbox", limits: Limits | None = None, warm: bool = False):
        self.mode, self.limits, self.warm = mode, limits or Limits(), warm
        self.uids = _container_uids(size) if mode == "container" else [None] * size
        self.free: queue.Queue[Worker] = queue.Queue()
        self.workers: list[Worker] = []
        self.twins = 0                  # twins still to fork (sandbox mode)
        self.twin_lock = threading.Lock()
        try:
            self._add(self.uids[0])
            self._more(self.uids[1:])
        except BaseException:
            self.close()
            raise

    def _add(self, uid: int | None) -> Worker:
        w = Worker(self.mode, limits=self.limits, uid=uid, warm=self.warm)
        w.uid = uid  # type: ignore[attr-defined]
        self.workers.append(w)
        self.free.put(w)
        return w

    def _more(self, uids: Sequence[int | None]) -> None:
        if self.mode == "sandbox":
            self.twins += len(uids)
        else:
            for uid in uids:
                self._add(uid)

    @property
    def size(self) -> int:
        """How many jobs may run at once (twins still to fork included)."""
        return len(self.workers) + self.twins

    def grow(self, size: int, warm: bool = False) -> None:
        """At least ``size`` workers; with ``warm``, each loads torch's lazy imports before its next job."""
        if warm:
            self.warm = True
            for w in self.workers:
                w.request_warm()
        missing = size - self.size
        if missing > 0:
            self._more(_container_uids(missing) if self.mode == "container" else [None] * missing)

    def _origin(self) -> Worker | None:
        """The live worker twins are forked from (a twin is never forked from a twin)."""
        return next((w for w in self.workers if not isinstance(w, Twin) and w.alive), None)

    def _fork_twins(self) -> None:
        """The twins asked for, forked from the first worker once it is ready (and warm); a twin that will
        not fork is a fresh worker instead."""
        if not self.twins:
            return
        with self.twin_lock:
            while self.twins:
                self.twins -= 1
                origin = self._origin()
                try:
                    if origin is None:
                        raise WorkerError("no worker to fork")
                    twin: Worker = origin.twin()
                except WorkerError:
                    twin = Worker(self.mode, limits=self.limits, warm=self.warm)
                twin.uid = None  # type: ignore[attr-defined]
                self.workers.append(twin)
                self.free.put(twin)

    def probe(self, hidden: Sequence[str | os.PathLike[str]]) -> Isolation:
        self._fork_twins()
        w = self.free.get()
        try:
            return probe(w, list(hidden))
        finally:
            self.free.put(w)

    def run(self, job: dict[str, Any], limits: Limits | None = None, max_bytes: int = MAX_MESSAGES_BYTES) -> Run:
        """Run one job; a worker that fails is replaced and the job tried once more on its replacement (a
        twin dies with the worker it was forked from: the other worker may be gone too)."""
        problem = "no worker is left"
        self._fork_twins()
        w = self._take()
        for _attempt in range(2):
            if w is None:
                break
            try:
                run = w.run(job, limits, max_bytes)
            except WorkerError as exc:
                problem = str(exc)
                w = self._replace(w)
                continue
            self.free.put(w)
            return run
        if w is not None:
            self.free.put(w)
        return Run("worker-failed", problem=problem)

    def _take(self) -> Worker | None:
        while self.workers:
            try:
                return self.free.get(timeout=1.0)
            except queue.Empty:
                continue
        return None

    def _replace(self, old: Worker) -> Worker | None:
        """A fresh worker for one that died (None if none will start: the pool shrinks)."""
        old.close()
        if old in self.workers:
            self.workers.remove(old)
        origin = self._origin() if isinstance(old, Twin) else None
        try:
            if origin is not None:
                try:
                    new: Worker = origin.twin()
                except WorkerError:
                    origin = None
            if origin is None:
                new = Worker(self.mode, limits=self.limits, uid=getattr(old, "uid", None), warm=self.warm)
            new.uid = getattr(old, "uid", None)  # type: ignore[attr-defined]
            new.wait_ready()
        except WorkerError:
            return None
        self.workers.append(new)
        return new

    def wait_ready(self) -> None:
        for w in list(self.workers):
            w.wait_ready()

    def close(self) -> None:
        for w in self.workers:
            try:
                w.close()
            except OSError:
                pass
        self.workers = []

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
