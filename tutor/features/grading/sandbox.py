"""Run untrusted submissions: forked from a preloaded zygote, isolated, limited.

The grader (trusted) never runs student code in its own process.  A *zygote*
is a separate ``python -I`` process that imports torch and the modules
students may use, then serves jobs: for each it forks a child which

* moves into new mount and network namespaces where the OS allows it (no
  network; the grader's folders, the solutions and the reference notes are
  hidden under empty tmpfs mounts; ``/tmp`` is a private tmpfs),
* writes the submission into a private working folder,
* sets CPU, memory, process-count, file-size and open-file limits,
* drops to an unprivileged uid of its own (so the process limit holds and
  everything it started can be killed at the end),
* imports the submission, calls the function once per input set and writes
  plain JSON numbers to a pipe.

The zygote holds no reference answer: the grader keeps those.  Forking from
it costs milliseconds instead of the seconds a fresh interpreter needs to
import torch.  The child's exit code and printed output decide nothing.
"""
from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

MAX_RESULT_BYTES = 1_000_000
MAX_OUTPUT_BYTES = 64 * 1024


@dataclass
class Limits:
    wall: float = 10.0          # seconds per submission
    cpu: int = 10               # CPU seconds
    memory_mb: int = 1024       # address space above what the zygote already maps
    processes: int = 16
    file_bytes: int = 1 << 20
    open_files: int = 64


ZYGOTE = r'''
import ctypes, json, os, resource, select, signal, sys, time
# modules a submission may use: imported now, before any privilege is dropped
import math, random, statistics, itertools, functools, collections, fractions, decimal, copy, typing
import dataclasses, numbers, operator, re, string, warnings
import numpy
import torch, torch.nn, torch.nn.functional, torch.optim
torch.set_num_threads(1)
for _m in ("torch.optim.sgd", "torch.optim.adam", "torch.autograd", "torch.autograd.functional"):
    try:
        __import__(_m)
    except Exception:
        pass
# warm up what torch imports lazily on first use (optimizer steps load torch._dynamo, ...):
# once privileges are dropped the child can no longer read the installation
try:
    _w = torch.tensor([1.0, 2.0], requires_grad=True)
    for _opt in (torch.optim.SGD([_w], lr=0.1), torch.optim.SGD([_w], lr=0.1, momentum=0.9),
                 torch.optim.Adam([_w], lr=0.1)):
        _opt.zero_grad()
        torch.nn.functional.mse_loss(_w * 2, torch.zeros(2)).backward()
        _opt.step()
    _lin = torch.nn.Linear(2, 1)
    _lin(torch.ones(2)).sum().backward()
    with torch.no_grad():
        torch.sigmoid(_w).tanh().relu().mean()
    torch.autograd.grad((_w ** 2).sum(), _w)
    del _w, _opt, _lin
except Exception:
    pass

CONFIG = json.loads(sys.argv[1])
LIBC = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNS, CLONE_NEWNET = 0x00020000, 0x40000000
MS_REC, MS_PRIVATE = 16384, 1 << 18
SANDBOX_UID = CONFIG["uid"]
out = os.fdopen(os.dup(1), "w")
os.dup2(os.open(os.devnull, os.O_RDWR), 1)   # nothing a child prints reaches the grader's channel


def plain(v):
    if isinstance(v, torch.Tensor):
        v = v.detach().tolist()
    if type(v) is bool:
        return v
    if type(v) in (int, float):
        return float(v)
    if type(v) in (list, tuple):
        return [plain(x) for x in v]
    raise TypeError("the function returned %s, not numbers" % type(v).__name__)


def isolate(job, limits):
    isolation = []
    if LIBC.unshare(CLONE_NEWNS | CLONE_NEWNET) == 0:
        isolation.append("network")
        if LIBC.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) == 0:
            ok = LIBC.mount(b"tmpfs", b"/tmp", b"tmpfs", 0, b"size=16m,mode=1777") == 0
            hidden = 0
            for path in CONFIG["hide"]:
                if os.path.isdir(path):
                    hidden += LIBC.mount(b"tmpfs", path.encode(), b"tmpfs", 0, b"size=1k,mode=755") == 0
            if ok and hidden == len([p for p in CONFIG["hide"] if os.path.isdir(p)]):
                isolation.append("filesystem")
    work = "/tmp/sandbox-%d" % os.getpid()
    os.makedirs(work, mode=0o700)
    path = os.path.join(work, "submission.py")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(job["source"])
    os.chown(work, SANDBOX_UID, SANDBOX_UID)
    os.chown(path, SANDBOX_UID, SANDBOX_UID)
    os.chdir(work)
    mem = limits["memory_mb"] * 1024 * 1024
    try:
        with open("/proc/self/statm") as fh:
            mem += int(fh.read().split()[0]) * resource.getpagesize()
    except OSError:
        pass
    for res, value in ((resource.RLIMIT_CPU, limits["cpu"]), (resource.RLIMIT_AS, mem),
                       (resource.RLIMIT_NPROC, limits["processes"]), (resource.RLIMIT_FSIZE, limits["file_bytes"]),
                       (resource.RLIMIT_NOFILE, limits["open_files"]), (resource.RLIMIT_CORE, 0)):
        try:
            resource.setrlimit(res, (value, value))
        except (ValueError, OSError):
            pass
    try:
        os.setgroups([])
        os.setgid(SANDBOX_UID)
        os.setuid(SANDBOX_UID)
        isolation.append("user")
    except OSError:
        pass
    return path, isolation


def child(job, wfd):
    os.setpgid(0, 0)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    path, isolation = isolate(job, CONFIG["limits"])
    log = os.open("output.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(log, 1)
    os.dup2(log, 2)
    sys.stdout = os.fdopen(1, "w", buffering=1)
    sys.stderr = os.fdopen(2, "w", buffering=1)
    results = []
    report = {"isolation": isolation}
    if job.get("mode") == "trace":
        # a whole training script, run as __main__ under the instrumentation the parent sent
        tracer = {"__name__": "tutor_tracer"}
        namespace = {}
        try:
            exec(compile(job["tracer"], "tracer", "exec"), tracer)
            tracer["install"](job.get("options", {}))
            namespace = {"__name__": "__main__", "__file__": path}
            exec(compile(job["source"], "script.py", "exec"), namespace)
        except BaseException as exc:
            msg = str(exc).splitlines()[0] if str(exc) else ""
            report["script_error"] = "%s: %s" % (type(exc).__name__, msg[:300])
        try:
            report["trace"] = tracer["finish"](namespace)
        except BaseException as exc:
            report["trace_error"] = repr(exc)[:300]
        data = json.dumps(report).encode()
        os.write(wfd, data[:CONFIG["max_result"]])
        os._exit(0)
    try:
        namespace = {"__name__": "submission", "__file__": path}
        code = compile(job["source"], "submission.py", "exec")
        exec(code, namespace)
        fn = namespace.get(job["function"])
        if not callable(fn):
            raise AttributeError("no function %r in the submission" % job["function"])
        for args in job["calls"]:
            try:
                results.append({"value": plain(fn(**args))})
            except BaseException as exc:  # noqa - the student's error is data
                if isinstance(exc, SystemExit):
                    raise
                msg = str(exc).splitlines()[0] if str(exc) else ""
                results.append({"error": "%s: %s" % (type(exc).__name__, msg[:300])})
        report["results"] = results
    except BaseException as exc:
        msg = str(exc).splitlines()[0] if str(exc) else ""
        report["load_error"] = "%s: %s" % (type(exc).__name__, msg[:300])
    try:
        sys.stdout.flush(); sys.stderr.flush()
        with open("output.txt", "rb") as fh:
            report["output"] = fh.read(CONFIG["max_output"]).decode("utf-8", "replace")
    except Exception:
        pass
    data = json.dumps(report).encode()
    os.write(wfd, data[:CONFIG["max_result"]])
    os._exit(0)


def killall():
    """Kill every process of the sandbox uid (fork bombs included)."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setgid(SANDBOX_UID); os.setuid(SANDBOX_UID)
            os.kill(-1, signal.SIGKILL)
        except OSError:
            pass
        os._exit(0)
    os.waitpid(pid, 0)


for line in sys.stdin:
    job = json.loads(line)
    rfd, wfd = os.pipe()
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        os.close(rfd)
        try:
            child(job, wfd)
        finally:
            os._exit(1)
    os.close(wfd)
    chunks, size, status = [], 0, "ok"
    deadline = start + CONFIG["limits"]["wall"]
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            status = "timeout"
            break
        ready, _, _ = select.select([rfd], [], [], left)
        if not ready:
            continue
        data = os.read(rfd, 65536)
        if not data:
            break
        size += len(data)
        if size <= CONFIG["max_result"]:
            chunks.append(data)
    os.close(rfd)
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass
    killall()
    _, wstatus = os.waitpid(pid, 0)
    raw = b"".join(chunks)
    try:
        report = json.loads(raw.decode()) if raw else {}
        if not isinstance(report, dict):
            report = {}
    except ValueError:
        report = {}
    if status == "ok" and not raw:
        status = "no-result"
    report["status"] = status
    report["seconds"] = round(time.monotonic() - start, 3)
    report["signal"] = os.WTERMSIG(wstatus) if os.WIFSIGNALED(wstatus) else None
    out.write(json.dumps(report) + "\n")
    out.flush()
'''


class Zygote:
    """One preloaded process that forks a sandboxed child per job (one job at a time)."""

    def __init__(self, hide: Sequence[str] = (), limits: Limits | None = None, uid: int = 61000):
        self.limits = limits or Limits()
        self.hide, self.uid = hide, uid
        config = {"hide": sorted(set(str(h) for h in hide)), "uid": uid,
                  "limits": self.limits.__dict__, "max_result": MAX_RESULT_BYTES, "max_output": MAX_OUTPUT_BYTES}
        self.proc: subprocess.Popen[str] = subprocess.Popen([sys.executable, "-I", "-c", ZYGOTE, json.dumps(config)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True, bufsize=1)
        self.lock = threading.Lock()

    def run(self, source: str, function: str, calls: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        """{"status": ok|timeout|no-result|crashed, "results": [...], "output": "...", "isolation": [...]}"""
        job = json.dumps({"source": source, "function": function, "calls": calls, **extra})
        with self.lock:
            try:
                assert self.proc.stdin is not None and self.proc.stdout is not None
                self.proc.stdin.write(job + "\n")
                self.proc.stdin.flush()
                fd = self.proc.stdout.fileno()
                ready, _, _ = select.select([fd], [], [], self.limits.wall + 30)
                line = self.proc.stdout.readline() if ready else ""
            except (BrokenPipeError, OSError):
                line = ""
        if not line:
            self.close()
            return {"status": "crashed"}
        try:
            report = json.loads(line)
        except ValueError:
            return {"status": "crashed"}
        return report if isinstance(report, dict) else {"status": "crashed"}

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def default_hidden(*paths: str | os.PathLike[str]) -> list[str]:
    """Top-level folders holding the grader's files (repository, solutions, reference, cwd)."""
    system = {"/", "/usr", "/lib", "/lib64", "/bin", "/sbin", "/etc", "/proc", "/sys", "/dev", "/tmp", "/run",
              "/var", "/boot"}
    out = set()
    here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    for p in (*paths, os.getcwd(), here, os.path.expanduser("~")):
        if not p:
            continue
        p = os.path.abspath(str(p))
        parts = p.split(os.sep)
        top = os.sep + parts[1] if len(parts) > 1 and parts[1] else os.sep
        if top not in system:
            out.add(top)
    return sorted(out)
