"""The parent's side of a worker: start it, hand it jobs, read what comes back without trusting it.

A :class:`Worker` is one pristine preloaded process (see ``_worker.py``).
:meth:`Worker.run` asks it for a fresh job process, receives that job's
private channel, writes the job there, and reads the job's messages with a
byte cap and a deadline; the worker separately says how the job ended.
Nothing the job writes can raise here: malformed, oversized or hostile
output is a :class:`Run` with a ``problem``.
"""
from __future__ import annotations

import json
import os
import secrets
import select
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

MAX_MESSAGES_BYTES = 2 << 20       # everything one job may send back
MAX_LINE_BYTES = 1 << 20
MAX_MESSAGES = 50_000
MODES = ("sandbox", "container", "trusted")
DEFERRED = ("torch._dynamo", "torch.fx.experimental.symbolic_shapes")   # loaded in a worker once a job needs them
SANDBOX_HOST_UID_BASE = 2_000_000_000           # far above the uids of people and of containers' ranges
DEBUG = bool(os.environ.get("TUTOR_RUNNER_DEBUG"))     # the worker's errors on this process's stderr


@dataclass(frozen=True)
class Limits:
    wall: float = 10.0          # seconds per job
    cpu: int = 10               # CPU seconds
    memory_mb: int = 1024       # address space above what the preloaded worker maps
    processes: int = 32         # threads count too
    file_kb: int = 1024         # the largest file a job may write
    open_files: int = 64
    tmp_kb: int = 16 * 1024     # its private /tmp
    tmp_inodes: int = 1024
    shm_kb: int = 4 * 1024      # its private /dev/shm
    output_bytes: int = 16 * 1024   # of what it prints, kept for the feedback

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Run:
    """How one job went: ``status`` ok | timeout | crashed | no-result | invalid | worker-failed."""

    status: str
    messages: list[dict[str, Any]] = field(default_factory=list)
    problem: str | None = None      # why the messages could not all be read
    exit: int | None = None
    seconds: float = 0.0

    @property
    def result(self) -> dict[str, Any] | None:
        """The last message of type ``result`` (or ``end``), if any."""
        for m in reversed(self.messages):
            if m.get("t") in ("result", "end"):
                return dict(m)
        return None


class WorkerError(Exception):
    """The worker could not start or died (never a job's fault)."""


# the worker's program: these files, one after another, as one script (never imported by the tutor)
PARTS = ("_namespaces.py", "_confine.py", "_deferred.py", "_job.py", "_probe.py", "_container.py", "_worker.py")


def _source() -> str:
    here = Path(__file__).with_name
    return "\n".join(here(name).read_text(encoding="utf-8") for name in PARTS)


def worker_config(mode: str, *, ctrl_fd: int, uid: int | None = None, preload: bool = True, warm: bool = False,
                  seccomp: str | None = None, keep_under_tmp: tuple[str, ...] = (), compact: bool = True) \
        -> dict[str, Any]:
    from .sandbox import site_dirs

    return {"mode": mode, "ctrl_fd": ctrl_fd, "path": site_dirs(), "debug": DEBUG, "uid": uid, "preload": preload,
            "warm": warm, "seccomp": seccomp, "keep_under_tmp": list(keep_under_tmp), "compact": compact}


class Worker:
    """One preloaded worker process; one job at a time (a lock serialises callers)."""

    def __init__(self, mode: str = "sandbox", *, limits: Limits | None = None, uid: int | None = None,
                 preload: bool = True, warm: bool = False, start_timeout: float = 120.0, compact: bool = True):
        """``warm``: set up what torch sets up on first use (an optimizer's first step) before the first job,
        worth it for a batch.  torch.compile's machinery (``torch._dynamo``: over a second) and torch's
        symbolic shapes (sympy) are loaded only once a job has needed them (``torch.func``, a symbolic
        size): the worker loads them then, for the jobs after.
        ``compact``: then collect and back the heap with huge pages (cheaper forks: worth it for many jobs;
        otherwise the collector is only frozen)."""
        if mode not in MODES:
            raise ValueError(mode)
        self.mode, self.limits, self.start_timeout = mode, limits or Limits(), start_timeout
        self.lock = threading.Lock()
        self.ready: dict[str, Any] | None = None
        self.stage: str | None = None            # root only: the (empty) folder the launcher mounts over
        self.warmed = warm
        self.loaded: set[str] = set()       # deferred modules it was asked to load (a job loaded them itself)
        self.pending_warm = False
        self.compact = compact
        self.ctrl, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        from .cgroups import Cap

        # the whole job, children included, capped where control groups can be made (root)
        self.cap = Cap((self.limits.memory_mb + 1536) << 20, self.limits.processes + 64) if mode != "trusted" \
            else None
        try:
            self.proc = self._spawn(theirs, uid, preload, warm)
            if self.cap is not None and mode == "container":
                self.cap.attach(self.proc.pid)
        finally:
            theirs.close()

    def _spawn(self, theirs: socket.socket, uid: int | None, preload: bool, warm: bool) -> subprocess.Popen[bytes]:
        from .sandbox import ENVIRONMENT, bwrap_argv, filesystem, find_bwrap
        from .seccomp import program_hex

        keep: tuple[str, ...] = ()
        seccomp = None
        if self.mode == "sandbox":
            _fs, keep = filesystem()
        if self.mode != "trusted":
            seccomp = program_hex()
        fd = theirs.fileno()
        config = worker_config(self.mode, ctrl_fd=fd, uid=uid, preload=preload, warm=warm, seccomp=seccomp,
                               keep_under_tmp=keep, compact=self.compact)
        python = [sys.executable, "-I", "-S", "-c", _source(), json.dumps(config)]
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "OMP_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1",
               "GLIBC_TUNABLES": ENVIRONMENT["GLIBC_TUNABLES"]}
        stderr = None if DEBUG else subprocess.PIPE
        if self.mode != "sandbox":
            return subprocess.Popen(python, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
                                    env=env, pass_fds=(fd,), close_fds=True)
        bwrap = find_bwrap()
        if bwrap is None:
            raise WorkerError("bubblewrap (bwrap) is not installed")
        if os.geteuid() != 0:
            argv, _sources = bwrap_argv(bwrap, python)
            return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
                                    env=env, pass_fds=(fd,), close_fds=True)
        # As root, the sandbox still runs as an unprivileged user of its own on the host: a process owned by
        # the host's root, even without capabilities and in its own namespaces, may write kernel settings.
        from .leftovers import sweep_stale
        from .sandbox import LAUNCHER

        sweep_stale()
        self.stage = tempfile.mkdtemp(prefix=f"tutor-stage-{os.getpid()}-")
        uid = SANDBOX_HOST_UID_BASE + secrets.randbelow(100_000_000)
        argv, sources = bwrap_argv(bwrap, python, self.stage)
        launch = {"stage": self.stage, "sources": sources, "uid": uid, "argv": argv,
                  "cgroups": self.cap.procs_files() if self.cap is not None else []}
        return subprocess.Popen([sys.executable, "-I", "-S", "-c", LAUNCHER, json.dumps(launch)],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr, env=env,
                                pass_fds=(fd,), close_fds=True)

    # ---- control messages
    def _recv(self, timeout: float) -> tuple[dict[str, Any] | None, list[int]]:
        ready = select.select([self.ctrl], [], [], max(0.0, timeout))[0]
        if not ready:
            return None, []
        data, fds, _flags, _addr = socket.recv_fds(self.ctrl, 65536, 4)
        return control_message(data), fds

    def request_warm(self, load: Collection[str] = ()) -> None:
        """Ask the worker to set up what torch sets up lazily now, and to load the modules of ``load`` (of
        :data:`DEFERRED`) too (the answer is read before the next job)."""
        new = {m for m in DEFERRED if m in load} - self.loaded
        if not self.warmed or new:
            self.warmed = self.pending_warm = True
            self.loaded |= new
            try:
                self.ctrl.send(json.dumps({"op": "warm", "load": sorted(new)}).encode())
            except OSError:
                self.pending_warm = False

    def _await_warm(self) -> None:
        if self.pending_warm:
            self.pending_warm = False
            msg, _fds = self._recv(self.start_timeout)
            if msg is None or msg.get("op") != "warmed":
                raise WorkerError(self._death_note() or "the worker did not warm up")

    def wait_ready(self) -> dict[str, Any]:
        if self.ready is None:
            msg, _fds = self._recv(self.start_timeout)
            if msg is None or msg.get("op") != "ready":
                raise WorkerError(self._death_note() or "the worker did not start")
            if msg.get("error"):
                raise WorkerError(str(msg["error"]))
            self.ready = msg
        return self.ready

    def _death_note(self) -> str:
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            _out, err = self.proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            return ""
        return (err or b"").decode("utf-8", "replace").strip().splitlines()[-1:][0] if err else ""

    def host_uid(self) -> int | None:
        """The uid the host sees the worker's process run as (the sandbox's, not the grader's)."""
        try:
            with open(f"/proc/{self.proc.pid}/status") as fh:
                return int(next(line.split()[1] for line in fh if line.startswith("Uid:")))
        except (OSError, StopIteration, ValueError):
            return None

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def twin(self) -> Worker:
        """Sandbox mode: a second worker forked from this one once it is ready (and warm, if asked): no second
        torch import.  It has its own control socket, its own jobs and, as root, its own control group; it
        dies with this worker."""
        if self.mode != "sandbox":
            raise ValueError("twins are for the sandbox mode")
        if not self.wait_ready().get("landlock"):
            raise WorkerError("no twin where a job could see the other worker's jobs (no Landlock)")
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            mine.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)     # the twin's pid, as the host sees it
            with self.lock:
                self.wait_ready()
                self._await_warm()
                try:
                    socket.send_fds(self.ctrl, [b'{"op": "twin"}'], [theirs.fileno()])
                    theirs.close()
                    msg, _fds = self._recv(30.0)
                except OSError as exc:
                    raise WorkerError(str(exc)) from exc
                if msg is None or msg.get("op") != "twin" or not msg.get("ok"):
                    raise WorkerError(self._death_note() or "the worker could not fork a twin")
            from .twin import Twin

            return Twin(self, mine)
        except BaseException:
            theirs.close()
            mine.close()
            raise

    # ---- jobs
    def run(self, job: dict[str, Any], limits: Limits | None = None, max_bytes: int = MAX_MESSAGES_BYTES) -> Run:
        """One job in a fresh process: its messages (at most ``max_bytes``) and how it ended."""
        limits = limits or self.limits
        with self.lock:
            self.wait_ready()
            self._await_warm()
            try:
                self.ctrl.send(json.dumps({"op": "job", "limits": limits.to_json()}).encode())
                msg, fds = self._recv(30.0)
            except OSError as exc:
                raise WorkerError(str(exc)) from exc
            if msg is None or msg.get("op") != "channel" or len(fds) != 1:
                if msg is not None and msg.get("op") == "channel-failed":
                    raise WorkerError("the worker could not start a job (errno {})".format(msg.get("errno")))
                for fd in fds:
                    os.close(fd)
                raise WorkerError(self._death_note() or "the worker stopped answering")
            chan = socket.socket(fileno=fds[0])
            try:
                run = self._converse(chan, job, limits, max_bytes)
            finally:
                chan.close()
            done, _fds = self._recv(limits.wall + 30.0)
            if done is None or done.get("op") != "done":
                raise WorkerError(self._death_note() or "the worker lost a job")
            result = run.result
            slow = result.get("slow_imports") if result is not None else None
            if isinstance(slow, list) and slow:
                self.request_warm(load=[m for m in slow if isinstance(m, str)])     # the next jobs find them loaded
        return _finish(run, done)

    def _converse(self, chan: socket.socket, job: dict[str, Any], limits: Limits, max_bytes: int) -> Run:
        deadline = time.monotonic() + limits.wall + 2.0
        payload = json.dumps(job).encode()
        try:
            chan.settimeout(max(0.1, limits.wall))
            chan.sendall(payload)
            chan.shutdown(socket.SHUT_WR)
        except OSError:
            pass                                     # the job died before reading: its status says why
        chan.setblocking(False)
        buf, size, problem = b"", 0, None
        messages: list[dict[str, Any]] = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([chan], [], [], left)[0]:
                break
            try:
                data = chan.recv(1 << 16)
            except BlockingIOError:
                continue
            except OSError:
                break
            if not data:
                break
            size += len(data)
            if size > max_bytes:
                problem = "too-much-output"
                self._kill()
                break
            buf += data
            *lines, buf = buf.split(b"\n")
            for line in lines:
                problem = _parse_line(line, messages) or problem      # a bad line does not hide later ones
            if len(buf) > MAX_LINE_BYTES or len(messages) > MAX_MESSAGES:
                problem = problem or "too-much-output"
                self._kill()
                break
        if buf.strip() and problem != "too-much-output":
            problem = _parse_line(buf, messages) or problem
        return Run("ok", messages, problem)

    def _kill(self) -> None:
        try:
            self.ctrl.send(b'{"op": "kill"}')
        except OSError:
            pass

    def close(self) -> None:
        """Ask the worker to exit (a worker still loading torch, never asked anything, is ended at once)."""
        try:
            self.ctrl.send(b'{"op": "exit"}')
        except OSError:
            pass
        try:
            self.proc.wait(timeout=2 if self.ready is not None else 0)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stderr:
            self.proc.stderr.close()
        self.ctrl.close()
        if self.stage:
            try:
                os.rmdir(self.stage)
            except OSError:
                pass
        if self.cap is not None:
            self.cap.remove()

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def control_message(data: bytes) -> dict[str, Any] | None:
    """One message from a worker's control socket (a JSON object), or None."""
    try:
        msg = json.loads(data) if data else None
    except ValueError:
        return None
    return msg if isinstance(msg, dict) else None


def _parse_line(line: bytes, messages: list[dict[str, Any]]) -> str | None:
    """One message, or why it is unreadable (the job's problem, never an exception here)."""
    try:
        msg = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, RecursionError, ValueError):
        return "unreadable-output"
    if not isinstance(msg, dict):
        return "unreadable-output"
    messages.append(msg)
    return None


def _finish(run: Run, done: dict[str, Any]) -> Run:
    status = str(done.get("status"))
    code = done.get("exit") if isinstance(done.get("exit"), int) else None
    seconds = float(done["seconds"]) if isinstance(done.get("seconds"), (int, float)) else 0.0
    if status == "timeout":
        return replace(run, status="timeout", exit=code, seconds=seconds)
    if status == "killed":
        return replace(run, status="invalid", exit=code, seconds=seconds, problem=run.problem or "too-much-output")
    if code is not None and code >= 120 and code < 128 and run.result is None:
        return replace(run, status="worker-failed", exit=code, seconds=seconds)
    if run.result is None:
        return replace(run, status="crashed" if code else "no-result", exit=code, seconds=seconds)
    return replace(run, exit=code, seconds=seconds, status="invalid" if run.problem else "ok")
