"""Typed answers judged where a hostile one can cost only itself: a child process, a time limit, a size cap.

Judging a typed answer is sympy work on text a student chose: ``exp(exp(exp(exp(exp(x)))))`` makes a
numerical check run for ever.  The grader therefore never judges in its own process: a judge process
(the tutor's own code, reading the bank once) judges one answer at a time, and is killed and started
afresh when an answer takes longer than the limit.  That answer earns nothing and goes to review; the
batch goes on.  Messages are JSON lines on the child's standard input and output.
"""
from __future__ import annotations

import dataclasses
import json
import os
import select
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from ...bank import Judgement
from ...foundation.i18n import _

MAX_TYPED = 2000            # characters of a typed answer worth judging
START_TIMEOUT = 120.0       # the judge's own start (imports, the bank read)
MEMORY = 2 << 30            # bytes of address space the judge may use


class Overrun(Exception):
    """The answer could not be judged within the limits: its reason, for the report."""


class Judge:
    """A judge process for one batch (thread-safe: one answer at a time)."""

    def __init__(self, directory: str | Path | None, timeout: float = 10.0) -> None:
        self.directory = str(Path(directory).resolve()) if directory is not None else None   # it runs in /
        self.timeout = timeout
        self.proc: subprocess.Popen[bytes] | None = None
        self.lock = threading.Lock()

    def __call__(self, exercise: str, seed: int, typed: str) -> Judgement:
        if len(typed) > MAX_TYPED:
            raise Overrun(_("the answer is longer than {n} characters").format(n=MAX_TYPED))
        with self.lock:
            if self.proc is None or self.proc.poll() is not None:
                self._start()
            reply = self._ask({"exercise": exercise, "seed": seed, "typed": typed}, self.timeout)
        if reply.get("error"):
            raise Overrun(_("the answer could not be judged: {why}").format(why=str(reply["error"])[:200]))
        return Judgement(**reply["judgement"])

    def _start(self) -> None:
        import tutor

        # -I: nothing from the current folder (a student's download folder may hold a json.py) or the user's
        # site; the tutor itself from where this one was imported; its own session, so that closing it ends
        # the prover it forks too
        home = str(Path(tutor.__file__).resolve().parent.parent)
        code = f"import sys; sys.path.insert(0, {home!r}); from tutor.features.grading.judge import serve; serve()"
        env = {k: v for k, v in os.environ.items() if len(k) + len(v) < 32768}    # what it needs, never a giant
        self.proc = subprocess.Popen([sys.executable, "-I", "-c", code, self.directory or "", str(os.getpid())],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     close_fds=True, env=env, cwd="/", start_new_session=True)
        self._ask(None, START_TIMEOUT)

    def _ask(self, job: dict[str, Any] | None, timeout: float) -> dict[str, Any]:
        proc = self.proc
        assert proc is not None and proc.stdin is not None and proc.stdout is not None
        try:
            if job is not None:
                proc.stdin.write(json.dumps(job).encode("utf-8") + b"\n")
                proc.stdin.flush()
            deadline = time.monotonic() + timeout
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([proc.stdout], [], [], left)[0]:
                    self.close()
                    raise Overrun(_("judging the answer took longer than {s:.0f} s").format(s=timeout))
                line = proc.stdout.readline()
                if not line:
                    self.close()
                    raise Overrun(_("the judge stopped while judging the answer"))
                return dict(json.loads(line))
        except (BrokenPipeError, OSError, ValueError):
            self.close()
            raise Overrun(_("the judge stopped while judging the answer")) from None

    def close(self) -> None:
        """End the judge and everything it started (its prover): the whole process group."""
        if self.proc is not None:
            import signal

            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
            try:
                self.proc.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                pass
            self.proc = None


def _die_with(parent: int) -> None:  # pragma: no cover - runs in the judge and its prover
    """Be killed when the grader dies (Linux), whatever kills it; a grader already gone: exit now."""
    import ctypes
    import signal

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)       # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:
        os._exit(0)


def serve() -> None:  # pragma: no cover - runs in the judge process
    """The judge process: read the bank once, then judge one JSON line at a time."""
    import resource

    try:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
    except (ValueError, OSError):
        pass
    if len(sys.argv) > 2 and sys.argv[2].isdigit():
        _die_with(int(sys.argv[2]))
        judge = os.getpid()
        os.register_at_fork(after_in_child=lambda: _die_with(judge))      # the prover dies with the judge
    from ... import bank

    directory = sys.argv[1] if len(sys.argv) > 1 and sys.argv[1] else None
    exercises = bank.by_id(bank.load(directory))
    out = os.fdopen(1, "w", encoding="utf-8", buffering=1)
    out.write(json.dumps({"ready": True}) + "\n")
    for line in sys.stdin:
        try:
            job = json.loads(line)
            v = bank.variant(exercises[job["exercise"]], int(job["seed"]))
            reply: dict[str, Any] = {"judgement": dataclasses.asdict(bank.grade(v, str(job["typed"])))}
        except BaseException as exc:            # noqa: BLE001 - whatever it is, it is this answer's reason
            reply = {"error": f"{type(exc).__name__}: {exc}"[:300]}
        out.write(json.dumps(reply) + "\n")
