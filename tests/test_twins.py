"""Workers forked from one warm worker (twins) and job processes made ahead of their job (staged).

A batch with ``--jobs 2`` imports torch once: the second worker is a fork of the first. These tests hold
the twins to what separate workers gave: two students whose jobs run at the same moment, one on each
worker, cannot reach each other; one's bomb costs the other nothing; a twin that dies is replaced; closing
the pool leaves no process, no control group and no staged job behind.
"""
from __future__ import annotations

import os
import secrets
import signal
import time
from pathlib import Path

import pytest

from tutor.engines.runner.pool import Pool
from tutor.engines.runner.twin import Twin
from tutor.engines.runner.worker import Limits
from tutor.features.grading import grade_paths

ROOT = Path(__file__).resolve().parents[1]
TARGET = "zero_before_backward.py"                 # descend(x0, lr, steps): 3 tests
SOLUTION = (ROOT / "solutions" / "code" / TARGET).read_text()

# holds its mark everywhere a neighbour could look, for as long as the neighbour looks, then answers honestly
VICTIM = SOLUTION.replace("def descend(", "def _honest(", 1) + '''
import os, socket, time

MARK = "VICTIMMARK-" + "@TOKEN@"
KEEP = []


def descend(**k):
    if KEEP:
        return _honest(**k)
    os.environ["VICTIM"] = MARK
    with open("/tmp/victim.txt", "w") as fh:
        fh.write(MARK)
    with open("/dev/shm/victim.txt", "w") as fh:
        fh.write(MARK)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind("\\0" + MARK)
    s.listen(4)
    KEEP.extend([s, MARK.encode() * 100])
    time.sleep(0.7)
    return _honest(**k)
'''

# looks at everything it can see while the victim runs on the other worker, and tries to end it
SPY = SOLUTION.replace("def descend(", "def _honest(", 1) + '''
import os, signal, socket, time


NEEDLE = ("VICTIM" + "MARK-").encode()     # not in this file's own text


def _scan(found):
    try:
        me = os.readlink("/proc/self")
    except OSError:
        me = ""
    try:
        listed = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        listed = []
    for pid in sorted(set(listed) | {str(n) for n in range(1, 64)}):     # listed, or guessed
        if pid == me:
            continue
        for what in ("environ", "cmdline", "net/unix", "maps"):
            try:
                with open("/proc/%s/%s" % (pid, what), "rb") as fh:
                    if NEEDLE in fh.read():
                        found.add("proc %s %s" % (pid, what))
            except OSError:
                pass
        if pid != "1":                         # 1: itself, in its own pid namespace
            try:
                os.kill(int(pid), signal.SIGKILL)
                found.add("killed " + pid)
            except OSError:
                pass
    for folder in ("/tmp", "/dev/shm", "/var/tmp"):
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            try:
                with open(os.path.join(folder, name), "rb") as fh:
                    if NEEDLE in fh.read():
                        found.add("file " + folder + "/" + name)
            except OSError:
                pass
    try:
        with open("/proc/net/unix") as fh:
            for line in fh:
                if NEEDLE.decode() in line:
                    found.add("socket " + line.split()[-1])
                    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    c.connect("\\0" + line.split()[-1].lstrip("@"))
                    found.add("connected")
    except OSError:
        pass


def descend(**k):
    found = set()
    end = time.monotonic() + 0.9
    while time.monotonic() < end:
        _scan(found)
        time.sleep(0.02)
    print("FOUND " + " | ".join(sorted(found)) if found else "NOTHING")
    return _honest(**k)
'''

BOMB = '''
import os, time
def descend(**k):
    block = []
    pids = 0
    try:
        while True:
            if os.fork() == 0:
                time.sleep(30)
                os._exit(0)
            pids += 1
    except OSError:
        pass
    try:
        while True:
            block.append(bytearray(64 << 20))
    except MemoryError:
        pass
    time.sleep(30)
'''


def _batch(tmp_path: Path, students: dict[str, str]) -> dict[str, dict]:
    for name, text in students.items():
        (tmp_path / "subs" / name).mkdir(parents=True)
        (tmp_path / "subs" / name / TARGET).write_text(text)
    report = grade_paths([tmp_path / "subs"], jobs=2, timeout=6.0)
    return {r["student"]: r for r in report.to_json()["results"]}


def test_two_students_at_the_same_moment_on_two_workers_cannot_reach_each_other(tmp_path):
    token = secrets.token_hex(6)
    r = _batch(tmp_path, {"a-victim": VICTIM.replace("@TOKEN@", token), "b-spy": SPY})
    assert r["a-victim"]["score"] == 3 and r["a-victim"]["status"] == "ok", r["a-victim"]
    spy = r["b-spy"]
    assert spy["score"] == 3 and "NOTHING" in spy["output"], spy["output"]
    assert token not in spy["output"]


def test_a_bomb_on_one_worker_costs_the_student_on_the_other_nothing(tmp_path):
    r = _batch(tmp_path, {"a-bomb": BOMB, "b-honest": SOLUTION, "c-honest": SOLUTION})
    assert r["a-bomb"]["score"] == 0
    for name in ("b-honest", "c-honest"):
        assert r[name]["score"] == 3 and r[name]["status"] == "ok", r[name]


def _processes_of(uid: int) -> list[int]:
    out = []
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/status") as fh:
                if any(line.startswith("Uid:") and line.split()[1] == str(uid) for line in fh):
                    out.append(int(pid))
        except (OSError, ValueError):
            continue
    return out


JOB = {"mode": "call", "source": "import os\ndef f(x):\n    return x * 2\n", "function": "f", "calls": [{"x": 2}],
       "filename": "f.py", "autograd": False}


def test_a_pool_of_two_is_one_worker_and_its_twin_and_closing_it_leaves_nothing():
    pool = Pool(1)
    pool.grow(2)
    try:
        for _ in range(3):
            assert pool.run(JOB).result["results"] == [{"value": 4}]
        origin, twin = pool.workers
        assert isinstance(twin, Twin) and not isinstance(origin, Twin)
        assert twin.run(JOB).result["results"] == [{"value": 4}]
        assert twin.run(JOB, Limits(wall=5.0, tmp_kb=2048)).status == "ok"      # other limits: a fresh job process
        uid = origin.host_uid()
        groups = [d for w in pool.workers if w.cap is not None for d in w.cap.dirs]
        if os.geteuid() == 0:
            assert uid is not None and uid != 0
            assert twin.cap is not None and set(twin.cap.dirs).isdisjoint(origin.cap.dirs)   # its own groups
    finally:
        pool.close()
    deadline = time.monotonic() + 5
    while uid is not None and _processes_of(uid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if uid is not None and os.geteuid() == 0:
        assert _processes_of(uid) == []             # workers, twin, staged job processes: all gone
    assert not any(d.exists() for d in groups)


def test_a_twin_that_dies_is_replaced_and_the_batch_goes_on():
    pool = Pool(1)
    pool.grow(2)
    try:
        assert pool.run(JOB).status == "ok"
        twin = next(w for w in pool.workers if isinstance(w, Twin))
        assert twin.pidfd is not None
        signal.pidfd_send_signal(twin.pidfd, signal.SIGKILL)
        results = [pool.run(JOB) for _ in range(6)]
        assert all(r.status == "ok" and r.result["results"] == [{"value": 4}] for r in results), results
        assert len(pool.workers) == 2 and twin not in pool.workers
    finally:
        pool.close()


@pytest.mark.skipif(os.geteuid() != 0, reason="the worker's host process is the launcher's child only as root")
def test_when_the_first_worker_dies_its_twin_dies_with_it_and_both_are_replaced():
    pool = Pool(1)
    pool.grow(2)
    try:
        assert pool.run(JOB).status == "ok"
        origin = next(w for w in pool.workers if not isinstance(w, Twin))
        twin = next(w for w in pool.workers if isinstance(w, Twin))
        origin.proc.kill()
        origin.proc.wait()
        deadline = time.monotonic() + 5
        while twin.alive and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not twin.alive
        results = [pool.run(JOB) for _ in range(4)]
        assert all(r.status == "ok" for r in results), results
    finally:
        pool.close()


CONFINED = '''
import os
def f(x):
    out = []
    for path in ("/proc/1/oom_score_adj", "/proc/1/autogroup"):
        try:
            with open(path, "w") as fh:
                fh.write("19")
            out.append(1)
        except OSError:
            out.append(0)
    try:
        os.setsid()
        out.append(1)
    except OSError:
        out.append(0)
    with open("/tmp/mine.txt", "w") as fh:
        fh.write("ok")
    out.append(int(open("/proc/self/oom_score_adj").read()))
    return out
'''


def test_a_job_cannot_renice_or_expose_the_sandbox_and_is_the_first_to_go_when_memory_runs_out():
    # the red team's finds: bubblewrap's pid 1 writable through /proc (oom_score_adj, autogroup), thirty new
    # sessions taking thirty shares of the CPU from the job beside it
    pool = Pool(1)
    try:
        run = pool.run({**JOB, "source": CONFINED})
        assert run.result["results"] == [{"value": [0, 0, 0, 1000]}], run
    finally:
        pool.close()


LOCKED = '''
import ctypes, errno, os
def f(x):
    def refused(action):
        try:
            action()
            return 0
        except OSError as exc:
            return 1 if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS) else 0
    ctypes.CDLL(None).prctl(4, 1, 0, 0, 0)                  # dumpable again: its /proc files its own
    out = [refused(lambda: open("/proc/self/oom_score_adj", "w").write("0")),
           int(open("/proc/self/oom_score_adj").read()),
           refused(lambda: os.close(os.open("/dev/ptmx", os.O_RDWR))),      # a terminal another job could open
           refused(lambda: os.mkdir("/dev/made-by-a-job")),
           refused(lambda: os.symlink("/", "/etc/made-by-a-job")),
           refused(lambda: os.mkfifo("/usr/made-by-a-job"))]
    open("/dev/null", "w").write("honest")                    # what honest code does still works
    os.mkdir("/tmp/d")
    open("/tmp/d/a.txt", "w").write("x")
    os.rename("/tmp/d/a.txt", "/tmp/b.txt")
    open("/dev/shm/s", "wb").write(b"x")
    return out
'''


def test_a_job_cannot_undo_being_first_to_go_share_a_terminal_or_make_files_outside_its_own_folders():
    # the red team's finds (2026-12-07): a job made itself dumpable and wrote oom_score_adj back to 0 (the
    # worker was then the one killed when memory ran out); two jobs side by side talked through /dev/pts;
    # folders, links and pipes are writes too (Landlock handled only reads and writes of files)
    pool = Pool(1)
    try:
        run = pool.run({**JOB, "source": LOCKED})
        assert run.result["results"] == [{"value": [1, 1000, 1, 1, 1, 1]}], run
    finally:
        pool.close()
