"""Several workers, one job each at a time; a worker that dies is replaced and the batch goes on."""
from __future__ import annotations

import os
import queue
import secrets
from collections.abc import Sequence
from typing import Any

from .isolation import Isolation, probe
from .worker import MAX_MESSAGES_BYTES, Limits, Run, Worker, WorkerError


def _container_uids(count: int) -> list[int]:
    """A range of a million unprivileged uids for each worker (one uid per job), drawn per batch."""
    base = 1_000_000_000 + secrets.randbelow(1000) * 1_000_000
    return [base + (i * 1_000_000) % 1_000_000_000 for i in range(count)]


class Pool:
    """``size`` workers of one mode, started at once (their torch import runs while the caller works)."""

    def __init__(self, size: int, mode: str = "sandbox", limits: Limits | None = None, warm: bool = False):
        self.mode, self.limits, self.warm = mode, limits or Limits(), warm
        self.uids = _container_uids(size) if mode == "container" else [None] * size
        self.free: queue.Queue[Worker] = queue.Queue()
        self.workers: list[Worker] = []
        try:
            for uid in self.uids:
                self._add(uid)
        except BaseException:
            self.close()
            raise

    def _add(self, uid: int | None) -> Worker:
        w = Worker(self.mode, limits=self.limits, uid=uid, warm=self.warm)
        w.uid = uid  # type: ignore[attr-defined]
        self.workers.append(w)
        self.free.put(w)
        return w

    def grow(self, size: int, warm: bool = False) -> None:
        """At least ``size`` workers; with ``warm``, each loads torch's lazy imports before its next job."""
        if warm:
            self.warm = True
            for w in self.workers:
                w.request_warm()
        extra = _container_uids(size - len(self.workers)) if self.mode == "container" else [None] * (
            size - len(self.workers))
        for uid in extra:
            self._add(uid)

    def probe(self, hidden: Sequence[str | os.PathLike[str]]) -> Isolation:
        w = self.free.get()
        try:
            return probe(w, list(hidden))
        finally:
            self.free.put(w)

    def run(self, job: dict[str, Any], limits: Limits | None = None, max_bytes: int = MAX_MESSAGES_BYTES) -> Run:
        """Run one job; a worker that fails is replaced and the job tried once more on the new one."""
        problem = "no worker is left"
        for _attempt in range(2):
            w = self._take()
            if w is None:
                break
            keep: Worker | None = w
            try:
                return w.run(job, limits, max_bytes)
            except WorkerError as exc:
                problem = str(exc)
                keep = self._replace(w)
            finally:
                if keep is not None:
                    self.free.put(keep)
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
        try:
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
