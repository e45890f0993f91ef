"""The worker: a pristine, preloaded process that forks one fresh process per job.

This file is never imported by the tutor.  The parent passes its text (with
:mod:`._job`, which runs inside each job) to ``python -I -S -c``, inside the
sandbox where the tutor package, the bank and the solutions do not exist.

The worker imports torch once and then only forks: it never receives a
submission, an input or a result.  For each job it

* makes a fresh socket pair, forks, and hands one end to the parent (over the
  control socket, as a passed descriptor); the job's own data travels on that
  private channel, straight between the parent and the job;
* in the fork (the *setup* process), moves into new user, mount, pid,
  network, IPC and UTS namespaces, mounts a private size-capped ``/tmp`` and
  ``/dev/shm`` and forks the *job* process, pid 1 of its own pid namespace:
  when it ends, the kernel ends every process it started;
* waits for the job with a wall-clock deadline and tells the parent how it
  ended.

Modes: ``sandbox`` (the above, inside bubblewrap), ``container`` (no
namespaces: the job runs as its own unprivileged uid, for a grader that runs
in a per-submission container) and ``trusted`` (the learner's own code on the
learner's machine: same protocol, no isolation).
"""
import ctypes
import json
import os
import select
import signal
import socket
import sys
import time

MAX_CONTROL = 65536


def preload():
    """What a submission may use, imported once, before any job (the source of the speed)."""
    import math, random, statistics, itertools, functools, collections, fractions, decimal, copy, typing  # noqa
    import dataclasses, numbers, operator, re, string, warnings, io, traceback, textwrap, pprint  # noqa
    if not CONFIG.get("preload", True):
        return
    import numpy
    import torch
    import torch.nn  # noqa
    import torch.nn.functional
    import torch.optim
    defer_dynamo()      # noqa: F821 - defined in _deferred.py: torch.compile's machinery only when a job needs it
    defer_shapes()      # noqa: F821 - and torch's symbolic shapes (sympy)
    torch.set_num_threads(1)
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    repr(w), repr(w.grad), str(torch.zeros(2, 2)), format(w.sum().item(), ".3f")
    numpy.array([1.0]).tolist(), repr(numpy.float64(1.5))


def compact():
    """Before forking jobs: freeze the collector (a job's collection would touch, so copy, every object)
    and back the heap with huge pages where the kernel can (fewer page tables to copy per fork).  A worker
    for a few jobs (``compact`` off: the quiz, ``tutor check``) only freezes: collapsing costs half a
    second, which only many jobs earn back."""
    import gc
    gc.freeze()         # (no collection first: what the imports left as garbage stays, frozen, a few MB)
    if not CONFIG.get("compact", True):
        return
    madvise = LIBC.madvise
    madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    huge = 1 << 21
    try:
        with open("/proc/self/maps") as fh:
            regions = [line.split() for line in fh]
    except OSError:
        return
    for parts in regions:
        if "rw" not in parts[1] or not (len(parts) == 5 or parts[5] == "[heap]"):
            continue
        lo, hi = (int(x, 16) for x in parts[0].split("-"))
        lo, hi = (lo + huge - 1) & ~(huge - 1), hi & ~(huge - 1)
        if hi > lo and madvise(lo, hi - lo, 14) == 0:     # MADV_HUGEPAGE
            madvise(lo, hi - lo, 25)                        # MADV_COLLAPSE (Linux 6.1+; else a no-op)


def warm_up(load=()):
    """What torch sets up lazily on first use (an optimizer's first step, a layer's first call), so that
    every job finds it done.  ``load``: modules deferred so far that a job has loaded itself (torch.compile's
    machinery, which ``torch.func`` needs: over a second; torch's symbolic shapes), for the jobs after."""
    if not CONFIG.get("preload", True):
        return
    import torch
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    for opt in (torch.optim.SGD([w], lr=0.1), torch.optim.SGD([w], lr=0.1, momentum=0.9),
                torch.optim.Adam([w], lr=0.1)):
        opt.zero_grad()
        torch.nn.functional.mse_loss(w * 2, torch.zeros(2)).backward()
        opt.step()
    net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    torch.nn.MSELoss()(net(torch.ones(4, 2)), torch.zeros(4, 1)).backward()
    with torch.no_grad():
        torch.sigmoid(w).tanh().relu().mean()
    torch.autograd.grad((w ** 2).sum(), w)
    (w ** 3).backward(gradient=torch.ones(2))       # a gradient argument: torch's shape checks
    if DYNAMO in load:          # noqa: F821 - _deferred.py
        import torch.func
        torch.func.grad(lambda t: (t ** 2).sum())(w.detach())
    for module in load:
        load_deferred(module)   # noqa: F821 - _deferred.py
    compact()


def fork_job():
    """Fork the job process; in sandbox mode it is pid 1 of a new pid namespace (all it starts dies with it)."""
    if CONFIG["mode"] == "sandbox":
        if LIBC.setns(CONFIG["pidns"], CLONE_NEWPID) != 0 or LIBC.unshare(CLONE_NEWPID) != 0:
            return -1
    return os.fork()


def first_to_go():
    """Where memory runs out, the kernel ends the job, never the worker or the sandbox (the most a
    process may raise its own score to; lowering it again needs a capability the job does not keep)."""
    LIBC.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)      # a non-dumpable process's /proc files are root's
    try:
        write_file("/proc/self/oom_score_adj", "1000")
    except OSError:
        pass
    finally:
        LIBC.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)


def job_process(chan_fd, limits):
    """The forked job process: its namespaces (sandbox mode), then the job; never returns."""
    try:
        die_with_parent()
        close_fds([chan_fd, *(fd for fd, _access in CONFIG.get("landlock_paths", []))])
        first_to_go()
        if CONFIG["mode"] == "sandbox":
            enter_job_namespaces(limits)
        run_job(chan_fd, limits, CONFIG["mode"])     # noqa: F821 - defined in _job.py, sent with this file
    except BaseException:
        if CONFIG.get("debug"):
            import traceback
            traceback.print_exc()
    finally:
        os._exit(122)


def send(ctrl, message, fds=()):
    data = json.dumps(message).encode()
    if fds:
        socket.send_fds(ctrl, [data], list(fds))
    else:
        ctrl.send(data)


def wait_job(ctrl, pid, deadline):
    """exited | timeout | killed (the parent asked) | orphaned (the parent is gone)."""
    pidfd = os.pidfd_open(pid)
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return "timeout"
            ready = select.select([pidfd, ctrl], [], [], left)[0]
            if ctrl in ready:
                msg = ctrl.recv(MAX_CONTROL)
                if not msg:
                    return "orphaned"
                if json.loads(msg).get("op") == "kill":
                    return "killed"
            if pidfd in ready:
                return "exited"
    finally:
        os.close(pidfd)


def start_job(ctrl, limits):
    """Fork a job process (its namespaces made at once); it waits for its job on its end of a fresh socket
    pair.  Returns (pid, our end's descriptor), pid < 0 if it could not start."""
    chan, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    if CONFIG["mode"] != "sandbox":
        job_folder()
    pid = fork_job()
    if pid == 0:
        ctrl.close()
        chan.close()
        job_process(theirs.detach(), limits)
    theirs.close()
    if pid < 0:
        chan.close()
        if CONFIG["mode"] != "sandbox":
            clean_after_job()
        return pid, -1
    return pid, chan.detach()


def stage_next(ctrl, limits):
    """Sandbox mode: the next job's process, forked and set up while the parent reads this job's results
    (it has received nothing; a job asked with other limits, a warm-up or a twin discards it)."""
    if CONFIG["mode"] == "sandbox":
        pid, fd = start_job(ctrl, limits)
        if pid > 0:
            CONFIG["staged"] = (pid, fd, json.dumps(limits, sort_keys=True))


def discard_staged():
    staged = CONFIG.pop("staged", None)
    if staged:
        pid, fd, _key = staged
        os.close(fd)
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
        os.waitpid(pid, 0)


def take_staged(limits):
    """The staged job process if it suits these limits and is still waiting, else None."""
    staged = CONFIG.get("staged")
    if not staged or staged[2] != json.dumps(limits, sort_keys=True):
        discard_staged()
        return None
    if os.waitpid(staged[0], os.WNOHANG)[0]:      # its setup failed: a fresh one shows why
        CONFIG.pop("staged")
        os.close(staged[1])
        return None
    CONFIG.pop("staged")
    return staged[0], staged[1]


def serve_job(ctrl, limits):
    start = time.monotonic()
    pid, fd = take_staged(limits) or start_job(ctrl, limits)
    if pid < 0:
        send(ctrl, {"op": "channel-failed", "errno": ctypes.get_errno()})
        return
    send(ctrl, {"op": "channel"}, [fd])
    os.close(fd)
    status = wait_job(ctrl, pid, start + float(limits["wall"]))
    if status != "exited":
        for kill in ((os.kill,) if CONFIG["mode"] == "sandbox" else (os.killpg, os.kill)):
            try:
                kill(pid, signal.SIGKILL)
            except OSError:
                pass
    _, wstatus = os.waitpid(pid, 0)
    if CONFIG["mode"] == "trusted":
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
    if CONFIG["mode"] != "sandbox":
        clean_after_job()
    if status == "orphaned":
        os._exit(0)
    code = os.WEXITSTATUS(wstatus) if os.WIFEXITED(wstatus) else 128 + os.WTERMSIG(wstatus)
    send(ctrl, {"op": "done", "status": status, "exit": code, "seconds": round(time.monotonic() - start, 3)})
    stage_next(ctrl, limits)


def serve_twin(ctrl, fds):
    """Sandbox mode: a second worker forked from this warm one, answering on the control socket it was
    sent (one torch import and one warm-up serve every core).  It shares this worker's namespaces and dies
    with it; each of its jobs is forked exactly as this worker's are.  Only where each job sees no other
    process in /proc (Landlock): the jobs of both run at the same time under one /proc."""
    if CONFIG["mode"] != "sandbox" or not CONFIG.get("landlock") or len(fds) != 1:
        for fd in fds:
            os.close(fd)
        send(ctrl, {"op": "twin-failed"})
        return
    discard_staged()
    pid = -1
    if LIBC.setns(CONFIG["pidns"], CLONE_NEWPID) == 0:   # the worker's own pid namespace, not the last job's
        try:
            pid = os.fork()
        except OSError:
            pid = -1
    if pid == 0:
        try:
            ctrl.close()
            die_with_parent()
            twin = socket.socket(fileno=fds[0])
            close_fds([twin.fileno(), CONFIG["pidns"], *(fd for fd, _access in CONFIG.get("landlock_paths", []))])
            CONFIG["twins"] = []
            send(twin, {"op": "ready", "pid": os.getpid(), "python": sys.version.split()[0], "error": None,
                        "twin": True})
            serve(twin)
        finally:
            os._exit(0)
    os.close(fds[0])
    if pid > 0:
        CONFIG.setdefault("twins", []).append(pid)
    send(ctrl, {"op": "twin", "ok": pid > 0})


def reap_twins():
    """Twins that ended (closed by the parent): no zombie left for the batch's length."""
    for pid in list(CONFIG.get("twins", [])):
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done = pid
        if done:
            CONFIG["twins"].remove(pid)


def serve(ctrl):
    """Answer the parent until it says exit or goes away."""
    while True:
        msg, fds, _flags, _addr = socket.recv_fds(ctrl, MAX_CONTROL, 1)
        if not msg:
            break
        request = json.loads(msg)
        if request.get("op") == "twin":
            serve_twin(ctrl, fds)
            continue
        for fd in fds:
            os.close(fd)
        if request.get("op") == "job":
            serve_job(ctrl, request["limits"])
        elif request.get("op") == "warm":
            discard_staged()
            asked = request.get("load")
            load = [m for m in deferred_now() if isinstance(asked, list) and m in asked]     # noqa: F821
            if not CONFIG.get("warm") or load:
                CONFIG["warm"] = True
                try:
                    warm_up(load)
                except BaseException:
                    pass
            send(ctrl, {"op": "warmed"})
        elif request.get("op") == "exit":
            break
        reap_twins()


def main():
    CONFIG.update(json.loads(sys.argv[1]))
    die_with_parent()
    sys.path[:0] = CONFIG.get("path", [])
    ctrl = socket.socket(fileno=CONFIG["ctrl_fd"])
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1) if CONFIG.get("debug") else (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)
    close_fds([ctrl.fileno()])
    error = None
    try:
        if CONFIG["mode"] == "sandbox":
            enter_worker_namespaces()
            CONFIG["landlock_abi"] = landlock_abi()      # noqa: F821
            CONFIG["landlock"] = CONFIG["landlock_abi"] >= 1      # each job then sees only itself in /proc
            if CONFIG["landlock"]:
                CONFIG["landlock_paths"] = landlock_paths()      # noqa: F821
        LIBC.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)      # no job may read this process's memory or descriptors
        prepare_confinement()      # noqa: F821 - defined in _confine.py
        preload()
        if CONFIG.get("warm"):               # a batch: every job will start with what torch loads lazily
            warm_up()
    except BaseException as exc:                 # an installation that cannot import torch is reported
        error = "{}: {}".format(type(exc).__name__, str(exc).splitlines()[0] if str(exc) else "")
    import threading
    send(ctrl, {"op": "ready", "pid": os.getpid(), "python": sys.version.split()[0], "error": error,
                "threads": threading.active_count(), "landlock": bool(CONFIG.get("landlock"))})
    serve(ctrl)
    os._exit(0)


if __name__ == "__main__":
    main()
