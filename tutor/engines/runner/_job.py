"""Inside one job: limits, dropped privileges, then the learner's code; plain JSON back on the job's channel.

Sent with :mod:`._worker` (never imported by the tutor).  Everything this
process says is untrusted by the parent, which checks it against a strict
schema: the code here only makes an honest submission's values easy to read
(tensors, numpy scalars and arrays become numbers and lists).
"""
import ctypes
import json
import os
import resource
import signal
import sys
import types

MAX_JOB = 8 << 20
DEFERRED_AT_START = []      # what the worker had not loaded when this job began (see _deferred.py)
OUTPUT_FILE = ".output"


def set_limits(limits, mode):
    mem = int(limits["memory_mb"]) << 20
    try:
        with open("/proc/self/statm") as fh:
            mem += int(fh.read().split()[0]) * resource.getpagesize()
    except OSError:
        pass
    cpu = int(limits["cpu"])
    wanted = [(resource.RLIMIT_CPU, cpu, cpu + 1), (resource.RLIMIT_AS, mem, mem),
              (resource.RLIMIT_FSIZE, int(limits["file_kb"]) << 10, int(limits["file_kb"]) << 10),
              (resource.RLIMIT_NOFILE, int(limits["open_files"]), int(limits["open_files"])),
              (resource.RLIMIT_CORE, 0, 0)]
    if mode != "trusted":     # on the learner's own account the count would include their other programs
        wanted.append((resource.RLIMIT_NPROC, int(limits["processes"]), int(limits["processes"])))
    for res, soft, hard in wanted:
        try:
            resource.setrlimit(res, (soft, hard))
        except (ValueError, OSError):
            if mode != "trusted":
                fail_setup(f"rlimit {res}")   # noqa: F821


def read_job(fd):
    chunks, size = [], 0
    while True:
        data = os.read(fd, 1 << 16)
        if not data:
            break
        size += len(data)
        if size > MAX_JOB:
            os._exit(125)
        chunks.append(data)
    return json.loads(b"".join(chunks).decode("utf-8"))


class Capped:
    """stdout and stderr for the learner's code: the first ``limit`` bytes go to the output file, the rest
    is dropped quietly (printing a lot is not an error; the feedback keeps what fits)."""

    encoding, errors = "utf-8", "replace"

    def __init__(self, limit):
        self.left = limit

    def write(self, text):
        data = str(text).encode("utf-8", "replace")
        if self.left > 0:
            chunk = data[:self.left]
            self.left -= len(chunk)
            try:
                os.write(1, chunk)
            except OSError:
                self.left = 0
        return len(text)

    def flush(self):
        pass

    def isatty(self):
        return False

    def fileno(self):
        return 1

    def writable(self):
        return True


class Channel:
    """The job's half of its private channel: one JSON object per line."""

    def __init__(self, fd):
        self.fd = fd

    def emit(self, message):
        if message.get("t") in ("result", "end"):     # a hint for the worker: load what this job loaded
            message["slow_imports"] = [m for m in DEFERRED_AT_START if real_module(m) is not None]   # noqa: F821
        data = (json.dumps(message, allow_nan=False, default=repr) + "\n").encode("utf-8", "replace")
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view):]


def describe(exc):
    msg = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {msg[:300]}"


def _native(v):
    """torch tensors and numpy values as Python numbers and lists."""
    torch = sys.modules.get("torch")
    numpy = sys.modules.get("numpy")
    if torch is not None and isinstance(v, torch.Tensor):
        return v.detach().cpu().tolist()
    if numpy is not None and isinstance(v, (numpy.ndarray, numpy.generic)):
        return v.tolist()
    return v


def plain(v):
    """A returned value as JSON: numbers and lists of numbers; anything else is named, not converted."""
    v = _native(v)
    if type(v) in (list, tuple):
        v = [_native(x) for x in v[:100001]]          # [tensor(1.), tensor(2.)] and numpy scalars too
    if type(v) is bool or v is None:
        return {"value": v}
    if type(v) in (int, float):
        f = float(v)
        return {"value": f} if f == f and abs(f) != float("inf") else {"nonfinite": repr(f)}
    if type(v) in (list, tuple):
        items = []
        for x in v[:100001]:
            if type(x) in (int, float, bool) or x is None:
                if type(x) is float and (x != x or abs(x) == float("inf")):
                    return {"nonfinite": repr(x)}
                items.append(x)
            else:
                return {"refused": f"list of {type(x).__name__}"}
        return {"value": items}
    return {"refused": type(v).__name__}


def output_text(limit):
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:
        pass
    try:
        with open(OUTPUT_FILE, "rb") as fh:
            return fh.read(limit).decode("utf-8", "replace")
    except OSError:
        return ""


def load_module(source, filename):
    """The submission as a module named ``submission`` (dataclasses, pickle and inspect work on it)."""
    path = os.path.join(os.getcwd(), filename)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(source)
    module = types.ModuleType("submission")
    module.__file__ = path
    sys.modules["submission"] = module
    exec(compile(source, path, "exec"), module.__dict__)
    return module


def do_call(job, channel, limits):
    try:
        module = load_module(job["source"], job.get("filename") or "submission.py")
        fn = getattr(module, job["function"], None)
        if not callable(fn):
            raise AttributeError("no function {!r} in the file".format(job["function"]))
    except BaseException as exc:
        channel.emit({"t": "result", "load_error": describe(exc), "output": output_text(limits["output_bytes"])})
        return
    counted = count_autograd() if job.get("autograd") else None
    results = []
    for args in job["calls"]:
        before = counted[0] if counted else 0
        try:
            results.append(plain(fn(**args)))
        except BaseException as exc:
            results.append({"error": describe(exc)})
        if counted is not None:
            results[-1]["autograd"] = counted[0] - before
    channel.emit({"t": "result", "results": results, "output": output_text(limits["output_bytes"])})


def count_autograd():
    """Count the calls of backward() and torch.autograd.grad() on a tensor that has a graph (an assignment
    may require that the gradient comes from autograd, not from a formula)."""
    import torch

    counter = [0]

    def graphed(tensors):
        roots = [tensors] if isinstance(tensors, torch.Tensor) else list(tensors or ())
        return any(getattr(r, "grad_fn", None) is not None for r in roots)

    def wrap(orig):
        def counting(tensors, *args, **kwargs):
            if graphed(tensors):
                counter[0] += 1
            return orig(tensors, *args, **kwargs)
        return counting
    torch.autograd.backward = wrap(torch.autograd.backward)
    torch.autograd.grad = wrap(torch.autograd.grad)
    return counter


def _number(x):
    """A float as JSON allows it: non-finite values by name."""
    return x if x == x and abs(x) != float("inf") else repr(x)


def read_asked(namespace, ask):
    """The asked value of a program: a tensor's value or .grad (one element with index), is_leaf, requires_grad,
    or its place in the graph (is_leaf, requires_grad and the class name of its grad_fn; none: no such tensor)."""
    if ask["attr"] == "graph":
        t = namespace.get(ask["name"])
        if not hasattr(t, "is_leaf"):
            return {"kind": "none"}
        fn = getattr(t, "grad_fn", None)
        return {"kind": "graph", "is_leaf": bool(t.is_leaf), "requires_grad": bool(t.requires_grad),
                "grad_fn": None if fn is None else type(fn).__name__}
    t = namespace[ask["name"]]
    if ask["attr"] in ("is_leaf", "requires_grad"):
        return {"kind": "bool", "flag": bool(getattr(t, ask["attr"]))}
    value = t.grad if ask["attr"] == "grad" else t
    if value is None:
        return {"kind": "none"}
    value = value.detach()
    if ask.get("index") is not None:
        value = value[ask["index"]]
    return {"kind": "number", "values": [_number(float(x)) for x in value.reshape(-1).tolist()],
            "vector": value.dim() > 0}


def do_programs(job, channel, limits):
    """Programs the tutor rendered (``tutor check``), one after another: the values each one is asked for,
    or the exception it raised (type and first line) for every one of them."""
    import contextlib
    import io
    import math
    import warnings

    import torch
    results = []
    for program in job["programs"]:
        namespace = {"torch": torch, "math": math, "__name__": "__scenario__"}
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                with contextlib.redirect_stdout(io.StringIO()):
                    exec(compile(program["source"], "<scenario>", "exec"), namespace)
                    answers = [read_asked(namespace, ask) for ask in program["asks"]]
        except Exception as exc:     # the program's own error is its answer (the graph: as it stood then)
            text = str(exc).splitlines()[0] if str(exc) else ""
            answers = [read_asked(namespace, ask) if ask["attr"] == "graph" else
                       {"kind": "error", "type": type(exc).__name__, "message": text} for ask in program["asks"]]
        finally:
            torch.set_grad_enabled(True)
        results.append(answers)
    channel.emit({"t": "result", "results": results, "output": output_text(limits["output_bytes"])})


def do_trace(job, channel, limits):
    """A whole script as __main__, under the tracer: each event leaves the process as it happens."""
    tracer = {"__name__": "tutor_tracer"}
    exec(compile(job["tracer"], "tracer", "exec"), tracer)
    tracer["install"](dict(job.get("options", {})), channel.emit)
    error, namespace = None, {}
    try:
        path = os.path.join(os.getcwd(), job.get("filename") or "script.py")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(job["source"])
        namespace = {"__name__": "__main__", "__file__": path}
        exec(compile(job["source"], path, "exec"), namespace)
    except SystemExit as exc:
        if exc.code not in (None, 0):
            error = describe(exc)
    except BaseException as exc:
        error = describe(exc)
    end = {"t": "end", "script_error": error}
    try:
        end.update(tracer["finish"](namespace))
    except BaseException as exc:
        end["trace_error"] = describe(exc)
    end["output"] = output_text(limits["output_bytes"])
    end["k"] = job.get("options", {}).get("token", "")   # sent by the runner itself, whatever the script replaced
    channel.emit(end)


def settle_torch():
    """torch remakes its autograd engine in a forked process at its first use there, "with the GIL held";
    but a thread of the job may reach it without (saving a tensor for backward), and two threads remaking
    it at once crash the job (SIGSEGV: measured in about one job in a hundred where two threads run
    backward, one fork in seven outside the sandbox).  The job makes it now, while it is the only thread."""
    torch = sys.modules.get("torch")
    if torch is not None:
        try:
            torch.autograd.Variable._execution_engine.is_checkpoint_valid()
        except Exception:
            pass


def run_job(chan_fd, limits, mode):
    """The job process: pid 1 of its own namespaces (sandbox mode), or its own uid (container mode)."""
    die_with_parent()   # noqa: F821
    os.setsid()
    settle_torch()
    DEFERRED_AT_START[:] = deferred_now()   # noqa: F821 - _deferred.py
    # (a fresh /proc cannot be mounted under bubblewrap's, whose covered parts make it "too revealing";
    # the job still sees only its worker's pid namespace: the worker, its own processes, no one else's)
    job = read_job(chan_fd)
    work = CONFIG.get("work") or "/tmp"   # noqa: F821 - the worker made it (and removes it) outside the sandbox
    if mode == "container":
        uid = CONFIG["job_uid"]   # noqa: F821 - a uid of this job's own
        # its own System V IPC where the container allows it (what it made dies with it); else removed after
        ctypes.CDLL(None, use_errno=True).unshare(0x08000000)
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
        ctypes.CDLL(None).prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    os.chdir(work)
    os.environ.clear()
    os.environ.update({"HOME": work, "TMPDIR": work, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8",
                       "USER": "learner", "LOGNAME": "learner"})
    out = os.open(OUTPUT_FILE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o600)
    os.dup2(out, 1)
    os.dup2(out, 2)
    os.close(out)
    sys.stdout = sys.stderr = Capped(int(limits["output_bytes"]) * 4)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)      # a file over the size limit fails to grow, it does not kill
    if mode == "sandbox" and CONFIG.get("landlock"):   # noqa: F821 - before the limit on open files
        hide_other_processes()   # noqa: F821
    set_limits(limits, mode)
    if mode == "sandbox":
        drop_capabilities()
    if mode != "trusted":
        install_seccomp()
    channel = Channel(chan_fd)
    kind = job.get("mode", "call")
    try:
        {"call": do_call, "trace": do_trace, "probe": do_probe, "programs": do_programs}[kind](job, channel, limits)
    except BaseException as exc:
        try:
            channel.emit({"t": "result", "runner_error": describe(exc)})
        except BaseException:
            pass
    os._exit(0)
