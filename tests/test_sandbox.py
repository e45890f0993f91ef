"""The grading sandbox against hostile submissions and scripts.

Each attack is one student of a cohort graded once (module-scoped fixtures): what one submission does must not
reach the previous or the next student, the grader's machine, its files, its environment or its report.
The hostile students print what they could reach; the tests assert on the scores, the statuses, the reports'
structure and those markers (never on the tutor's own sentences, which run under a pseudo-translation).
"""
import csv
import io
import json
import os
import re
import secrets
import shutil
import socket
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import pytest

from tutor.features.grading import grade_paths, render, summary_lines

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions" / "code"
SOLUTION = (SOLUTIONS / "zero_before_backward.py").read_text()
STUB = (ROOT / "exercises" / "code" / "zero_before_backward.py").read_text()
TARGET = "zero_before_backward.py"              # descend(x0, lr, steps): 3 tests
VECTOR = "a_mean_square_grad.py"                # mean_square_grad(values): 3 tests
SECRET_ENV = "TUTOR_TEST_GRADER_SECRET"
CLEAR_STATUSES = {"ok", "invalid", "timeout", "crashed", "no-result", "unreadable"}

# what an honest submission computes (each attack below starts from it)
# every pid a job might reach: listed if it may list /proc (it may not, where each job is shown only itself)
PIDS = '''
def _pids():
    import os as _o
    try:
        listed = [p for p in _o.listdir("/proc") if p.isdigit()]
    except OSError:
        listed = []
    return sorted(set(listed) | {str(n) for n in range(1, 100)}, key=int)
'''
HONEST = '''
import torch


def _honest(x0, lr, steps):
    x = torch.tensor(float(x0), requires_grad=True)
    for _ in range(steps):
        if x.grad is not None:
            x.grad.zero_()
        (x ** 2).backward()
        with torch.no_grad():
            x -= lr * x.grad
    return x
'''
# the job's private channel: the one socket among its descriptors
CHANNEL = '''
import os as _os
import socket as _socket


def _channel():
    for fd in _os.listdir("/proc/self/fd"):
        try:
            if _os.readlink("/proc/self/fd/" + fd).startswith("socket:"):
                return int(fd)
        except OSError:
            pass
    raise RuntimeError("no channel")


def _send(data):
    s = _socket.socket(fileno=_os.dup(_channel()))
    try:
        s.sendall(data)
    finally:
        s.close()
'''


def source(template, **values):
    """A submission's text: ``__NAME__`` replaced by repr(value)."""
    for k, v in values.items():
        template = template.replace(f"__{k}__", repr(v))
    assert not re.search(r"__[A-Z]+__", template), template
    return template


def put(root, student, text, name=TARGET):
    folder = root / student
    folder.mkdir(parents=True, exist_ok=True)
    if "coding: latin-1" in text:
        (folder / name).write_bytes(text.encode("latin-1"))
    else:
        (folder / name).write_text(text, newline="")


def listing():
    """What lies in the host's shared temporary folders."""
    out = {}
    for d in ("/tmp", "/dev/shm", "/var/tmp", "/run/lock"):
        try:
            out[d] = set(os.listdir(d))
        except OSError:
            out[d] = set()
    return out


# what other runs on this machine (other people's tests) leave in /tmp meanwhile: a trusted or container job's
# folder (a sandboxed job works in its private /tmp, it never makes one), another process's staging folder
OTHER_RUNS = re.compile(r"^tutor-job-|^tutor-stage-(?P<pid>\d+)-")


def left_on_disk(before, grace=5.0):
    """What appeared in the shared temporary folders since ``before`` and stays (others' runs aside)."""
    deadline = time.monotonic() + grace
    while True:
        left = {}
        for folder, names in listing().items():
            new = set()
            for name in names - before[folder]:
                m = OTHER_RUNS.match(name)
                if m and (m.group("pid") is None or int(m.group("pid")) != os.getpid()):
                    continue
                new.add(name)
            if new:
                left[folder] = new
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.2)


def subreaper(on):
    """This process adopts its orphaned descendants (a sandbox process that escaped its parent stays ours)."""
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(36, int(on), 0, 0, 0)        # PR_SET_CHILD_SUBREAPER


def sandbox_processes():
    """Live processes of this test's sandboxes (bubblewrap, its workers and their jobs: descendants of this
    process), zombies aside; other runs' and the trusted workers of ``tutor check`` and the quiz are not ours."""
    info = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                cmd = fh.read()
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        info[int(pid)] = (fields[0], int(fields[1]), cmd)
    me, found = os.getpid(), {}
    for pid, (state, _ppid, cmd) in info.items():
        if state == "Z" or not cmd:
            continue
        argv0 = os.path.basename(cmd.split(b"\0")[0])
        if not (argv0 == b"bwrap" or (b'"ctrl_fd"' in cmd and b'"mode": "sandbox"' in cmd)):
            continue
        up, seen = pid, set()
        while up in info and up not in seen and up != me:
            seen.add(up)
            up = info[up][1]
        if up == me:
            found[pid] = (state, cmd[:100])
    return found


def wait_for_no_processes(seconds=5.0):
    deadline = time.monotonic() + seconds
    while True:
        left = sandbox_processes()
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.1)


def copy_course(dest):
    """The course (bank and solutions) copied to ``dest``: exercises/ and solutions/ side by side."""
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(ROOT / "exercises", dest / "exercises", ignore=ignore)
    shutil.copytree(ROOT / "solutions", dest / "solutions", ignore=ignore)
    return dest


def by_student(report):
    return {r["student"]: r for r in report.to_json()["results"]}


# --------------------------------------------------------------------------------------------------------------
# cohort 1: what one submission can reach (the previous student, the next one, the host, the grader's files)
# graded with one worker, so that the students run one after the other in name order on the same worker

VICTIM = HONEST + '''
import builtins, os, sys, types

TOKEN = __TOKEN__


def descend(**k):
    builtins.tutor_leak = TOKEN
    torch.tutor_leak = TOKEN
    sys.modules["tutor_leak"] = types.ModuleType("tutor_leak", TOKEN)
    os.environ["TUTOR_LEAK"] = TOKEN
    for folder in ("/tmp", "/dev/shm", "/var/tmp", "/run/lock", "/run"):
        try:
            os.makedirs(folder, exist_ok=True)
            with open(os.path.join(folder, __FILE__), "w") as fh:
                fh.write(TOKEN)
        except OSError:
            pass
    if os.fork() == 0:                          # a child that would outlive the job, holding the secret
        import time
        time.sleep(60)
        os._exit(0)
    return _honest(**k).item()
'''

SPY = PIDS + '''
import builtins, os, sys

PREFIX = "LEAK" + "MARK-"                       # never written whole here: only the victim's text holds it
DONE = []


def _look(where, text, found):
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    i = text.find(PREFIX)
    if i >= 0:
        found.append("FOUND " + where + " " + text[i:i + 40])


def descend(**k):
    if DONE:
        return 0.0
    DONE.append(1)
    found = []
    import torch
    for where, obj in (("builtins", builtins), ("torch", torch)):
        if hasattr(obj, "tutor_leak"):
            found.append("FOUND " + where + " " + str(obj.tutor_leak))
    if "tutor_leak" in sys.modules:
        found.append("FOUND sys.modules " + str(sys.modules["tutor_leak"].__doc__))
    for key, value in os.environ.items():
        _look("environ", key + "=" + value, found)
    for name, module in list(sys.modules.items()):
        for attr, value in list(getattr(module, "__dict__", {}).items()):
            if isinstance(value, str) and value != PREFIX:
                _look("module " + name + "." + attr, value, found)
    import linecache
    for name, entry in list(linecache.cache.items()):
        if len(entry) > 2 and isinstance(entry[2], list):
            _look("linecache " + name, "".join(entry[2]), found)
    for folder in ("/tmp", "/dev/shm", "/var/tmp", "/run/lock", "/run"):     # a few levels, a few files
        for base, dirs, files in os.walk(folder):
            if base.count("/") - folder.count("/") >= 2:
                dirs[:] = []
            for f in files[:100]:
                path = os.path.join(base, f)
                if path == "/tmp/.output":
                    continue
                try:
                    with open(path, "rb") as fh:
                        _look("file " + path, fh.read(1 << 20), found)
                except OSError:
                    pass
    for pid in _pids():
        if pid.isdigit():
            for what in ("environ", "cmdline"):
                try:
                    with open("/proc/%s/%s" % (pid, what), "rb") as fh:
                        _look("proc %s %s" % (pid, what), fh.read(), found)
                except OSError:
                    pass
    print("\\n".join(found + ["SPY-DONE"]))
    return 0.0
'''

DESCRIPTORS = HONEST + PIDS + '''
import json, os

VALUES = []


def _fds():
    out = {}
    for fd in os.listdir("/proc/self/fd"):
        try:
            out[int(fd)] = os.readlink("/proc/self/fd/" + fd)
        except OSError:
            pass
    return out


def descend(**k):
    VALUES.append(_honest(**k).item())
    mine = _fds()
    if len(VALUES) == 1:
        print("FDS " + json.dumps(sorted(mine.items())))
        me = os.readlink("/proc/self")
        for pid in _pids():             # the worker's descriptors (its control socket ...)
            if pid.isdigit() and pid != me:
                try:
                    fds = os.listdir("/proc/%s/fd" % pid)
                except OSError:
                    continue
                for fd in fds:
                    path = "/proc/%s/fd/%s" % (pid, fd)
                    try:
                        print("OTHERFD %s -> %s" % (path, os.readlink(path)))
                    except OSError:
                        pass
                    try:
                        os.close(os.open(path, os.O_RDWR | os.O_NONBLOCK))
                        print("OTHERFD opened " + path)
                    except OSError:
                        pass
    if len(VALUES) == 3:
        # the right answers of this run's calls (every student gets the same calls): a forged result line
        # for whoever reads any descriptor this job could reach but its own channel
        line = (json.dumps({"t": "result", "results": [{"value": v} for v in VALUES]}) + "\\n").encode()
        own = [fd for fd, target in mine.items() if target.startswith("socket:")]
        def spray():
            for fd in range(3, 1024):
                if fd not in own:
                    try:
                        os.write(fd, line)
                    except OSError:
                        pass
        spray()
        if os.fork() == 0:                      # a child that stays, to write into the next jobs' descriptors
            import time
            end = time.time() + 8
            while time.time() < end:
                spray()
                time.sleep(0.05)
            os._exit(0)
    return 0.0
'''

NETWORK = '''
import os, socket

DONE = []


def _try(name, action):
    try:
        action()
        print("NET " + name + " reached")
    except OSError as exc:
        print("NET " + name + " refused " + type(exc).__name__)


def _tcp(host, port):
    s = socket.create_connection((host, port), timeout=1)
    s.close()


def _unix(path):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(1)
    s.connect(path)
    s.close()


def _udp(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(b"tutor-udp", ("127.0.0.1", port))
    s.close()


def descend(**k):
    if not DONE:
        DONE.append(1)
        _try("tcp-host", lambda: _tcp("127.0.0.1", __TCP__))
        _try("udp-host", lambda: _udp(__UDP__))
        for i, path in enumerate(__UNIX__):
            _try("unix-%d" % i, lambda path=path: _unix(path))
        _try("unix-abstract", lambda: _unix(__ABSTRACT__))
        _try("internet", lambda: _tcp("1.1.1.1", 53))
        _try("dns", lambda: socket.getaddrinfo("example.com", 80))
        print("NET-DONE")
    return 0.0
'''

ENVIRONMENT = PIDS + '''
import json, os

DONE = []


def descend(**k):
    if not DONE:
        DONE.append(1)
        print("ENV " + json.dumps(dict(os.environ), sort_keys=True))
        for pid in _pids():
            if pid.isdigit():
                try:
                    with open("/proc/%s/environ" % pid, "rb") as fh:
                        for entry in fh.read().split(b"\\0"):
                            if b"SECRET" in entry or b"TUTOR" in entry:
                                print("PROCENV %s %s" % (pid, entry.decode("utf-8", "replace")))
                except OSError:
                    pass
        print("ENV-DONE")
    return 0.0
'''

SNOOP = '''
import os, sys

PATHS = __PATHS__
SOLUTION = __SOLUTION__
REPO = __REPO__
DONE = []


def _read(path):
    if os.path.isdir(path):
        return os.listdir(path)
    with open(path, "rb") as fh:
        return fh.read(64)


def descend(**k):
    if not DONE:
        tried = 0
        for path in PATHS:
            for prefix in ("", "/proc/self/root", "/proc/1/root", "/proc/2/root", "/proc/3/root"):
                tried += 1
                try:
                    _read(prefix + path)
                    print("READ " + prefix + path)
                except OSError:
                    pass
        try:
            sys.path.insert(0, REPO)
            import tutor                        # noqa: F401
            print("READ import tutor from " + str(getattr(tutor, "__file__", "?")))
        except ImportError:
            pass
        DONE.append(tried)
        print("SNOOP-DONE %d" % tried)
    for prefix in ("", "/proc/1/root"):
        try:
            with open(prefix + SOLUTION) as fh:
                ns = {}
                exec(fh.read(), ns)
                return ns["descend"](**k)
        except OSError:
            pass
    return 0.0
'''

FAKE_ISOLATION = HONEST + CHANNEL + '''
import json

FAKE = {"mode": "fake-isolation", "checks": {"fake-check": True, "hidden-files": False},
        "problems": ["fake-problem"]}


def descend(**k):
    print("isolation: fake-isolation (fake-check)")
    print(json.dumps({"isolation": FAKE, "mode": "fake-isolation"}))
    _send((json.dumps({"t": "result", "isolation": FAKE, "probe": {"uid": 0}}) + "\\n").encode())
    _send((json.dumps({"op": "done", "isolation": FAKE}) + "\\n").encode())
    return _honest(**k).item()
'''


@pytest.fixture(scope="module")
def leaks(tmp_path_factory):
    token = secrets.token_hex(8)
    base = Path(f"/var/tmp/tutor-test-{token}")             # a course and a submissions folder outside /tmp
    subs = base / "subs"
    course_tmp = copy_course(tmp_path_factory.mktemp("course-tmp"))
    grader_cwd = tmp_path_factory.mktemp("grader-cwd")
    (grader_cwd / "grader-notes.txt").write_text("the grader's own notes\n")
    leak_file = f"tutor-leak-{token}"
    victim_token = "LEAKMARK-" + token
    secret = "grader-secret-" + secrets.token_hex(12)
    unix, unix_paths, sockets = [], [], []
    try:
        course_var = copy_course(base / "course")
        # the host's sockets: TCP and UDP on the loopback, Unix sockets in folders the grader uses, an abstract one
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.bind(("127.0.0.1", 0))
        tcp.listen(8)
        tcp.setblocking(False)
        sockets.append(tcp)
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sockets.append(udp)
        udp.bind(("127.0.0.1", 0))
        udp.setblocking(False)
        unix_paths = [str(grader_cwd / "host.sock"), f"/dev/shm/tutor-test-{token}.sock", str(base / "host.sock")]
        for path in unix_paths:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            unix.append(sock)
            sock.bind(path)
            os.chmod(path, 0o777)
            sock.listen(8)
            sock.setblocking(False)
        abstract_name = f"\0tutor-test-{token}"
        abstract = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sockets.append(abstract)
        abstract.bind(abstract_name)
        abstract.listen(8)
        abstract.setblocking(False)

        import tutor
        from tutor.foundation.paths import bundled_exercises

        package = Path(tutor.__file__).resolve().parent
        site = Path(os.__file__).parent / "site-packages"
        home = Path.home()
        home_files = sorted(str(p) for p in home.iterdir() if p.name != ".pyenv" and p.is_file())[:3]
        paths = [str(SOLUTIONS / TARGET), str(ROOT / "solutions"), str(ROOT / "exercises" / "zeroing.toml"), str(ROOT),
                 str(package / "__init__.py"), str(package), str(bundled_exercises()),
                 *[str(p) for p in site.glob("__editable__*autograd*")],
                 str(course_var / "solutions" / "code" / TARGET), str(course_var / "exercises" / "zeroing.toml"),
                 str(course_tmp / "solutions" / "code" / TARGET), str(course_tmp / "exercises"),
                 str(subs), str(subs / "a1-victim" / TARGET), str(grader_cwd / "grader-notes.txt"), str(grader_cwd),
                 *home_files]
        students = {
            "a1-victim": source(VICTIM, TOKEN=victim_token, FILE=leak_file),
            "a2-spy": SPY,
            "a3-descriptors": DESCRIPTORS,
            "a4-stub": STUB,
            "a5-network": source(NETWORK, TCP=tcp.getsockname()[1], UDP=udp.getsockname()[1], UNIX=unix_paths,
                                 ABSTRACT=abstract_name),
            "a6-environment": ENVIRONMENT,
            "a7-snoop": source(SNOOP, PATHS=paths, SOLUTION=str(SOLUTIONS / TARGET), REPO=str(ROOT)),
            "a8-fake-isolation": FAKE_ISOLATION,
            "a9-honest": SOLUTION,
        }
        for name, text in students.items():
            put(subs, name, text)

        before_files = listing()
        old_cwd = os.getcwd()
        os.environ[SECRET_ENV] = secret
        subreaper(True)
        try:
            os.chdir(grader_cwd)                               # the grader runs from another folder
            report = grade_paths([subs], directory=course_var / "exercises", jobs=1, timeout=10.0)
        finally:
            os.chdir(old_cwd)
            os.environ.pop(SECRET_ENV, None)
        left_procs = wait_for_no_processes()
        subreaper(False)
        left_files = left_on_disk(before_files)
        host = {"tcp": _accepted(tcp), "udp": _received(udp), "unix": [_accepted(sock) for sock in unix],
                "abstract": _accepted(abstract)}
        yield SimpleNamespace(report=report, results=by_student(report), victim_token=victim_token, secret=secret,
                              leak_file=leak_file, paths=paths, host=host, left_files=left_files,
                              left_procs=left_procs)
    finally:
        subreaper(False)
        for sock in sockets + unix:
            sock.close()
        for path in unix_paths:
            if os.path.lexists(path):
                os.unlink(path)
        shutil.rmtree(base, ignore_errors=True)


def _accepted(listener):
    try:
        conn, _addr = listener.accept()
        conn.close()
        return True
    except OSError:
        return False


def _received(sock):
    try:
        sock.recv(100)
        return True
    except OSError:
        return False


def test_the_cohort_completes_with_the_honest_students_graded(leaks):
    r = leaks.results
    assert len(r) == 9, sorted(r)
    assert r["a1-victim"]["score"] == 3 and r["a9-honest"]["score"] == 3, (r["a1-victim"], r["a9-honest"])
    assert r["a4-stub"]["score"] == 0 and r["a4-stub"]["tests"][0]["misconception"] == "accumulation.no-zero"


def test_a_submission_cannot_see_what_the_previous_one_left(leaks):
    spy = leaks.results["a2-spy"]
    assert "SPY-DONE" in spy["output"], spy            # it ran, right after the victim, on the same worker
    assert "FOUND" not in spy["output"] and leaks.victim_token not in spy["output"], spy["output"]
    for folder in ("/tmp", "/dev/shm", "/var/tmp", "/run/lock", "/run"):     # nor did the victim reach the host
        assert not os.path.lexists(os.path.join(folder, leaks.leak_file)), folder


def test_no_descriptor_leads_to_another_job_or_the_worker(leaks):
    r = leaks.results
    out = r["a3-descriptors"]["output"]
    line = next(x for x in out.splitlines() if x.startswith("FDS "))
    fds = dict((int(fd), target) for fd, target in json.loads(line[4:]))
    extra = {fd: t for fd, t in fds.items() if fd > 2 and not t.startswith("/proc/")}   # the listing's own fd aside
    assert len(extra) == 1 and next(iter(extra.values())).startswith("socket:"), fds   # its own channel only
    assert "OTHERFD" not in out, out
    # its forged result lines (the right answers) reached nobody: the stub after it still earns nothing
    assert r["a4-stub"]["score"] == 0, r["a4-stub"]
    assert r["a3-descriptors"]["score"] == 0 and r["a9-honest"]["score"] == 3


def test_no_network_and_no_host_socket(leaks):
    out = leaks.results["a5-network"]["output"]
    assert "NET-DONE" in out and " reached" not in out, out
    assert out.count(" refused ") == 5 + len(leaks.host["unix"]), out      # tcp, udp, abstract, internet, dns
    assert leaks.host == {"tcp": False, "udp": False, "unix": [False] * len(leaks.host["unix"]),
                          "abstract": False}


def test_the_graders_environment_is_not_visible(leaks):
    out = leaks.results["a6-environment"]["output"]
    assert "ENV-DONE" in out, out
    assert leaks.secret not in out and SECRET_ENV not in out, out
    env = json.loads(next(x for x in out.splitlines() if x.startswith("ENV "))[4:])
    assert set(env) <= {"HOME", "TMPDIR", "PATH", "LANG", "USER", "LOGNAME"}, env


def test_course_solutions_package_and_submissions_are_not_readable(leaks):
    snoop = leaks.results["a7-snoop"]
    out = snoop["output"]
    assert f"SNOOP-DONE {len(leaks.paths) * 5}" in out, out
    assert [line for line in out.splitlines() if line.startswith("READ")] == [], out
    assert snoop["score"] == 0, snoop                  # it would have run the reference solution had it read it


def test_isolation_is_decided_by_the_parent_and_reported_in_every_format(leaks):
    from tutor.engines.runner.isolation import LABELS
    from tutor.features.grading.reports import isolation_line

    report = leaks.report
    iso = report.isolation
    assert iso["mode"] == "full" and iso["problems"] == [], iso
    assert set(iso["checks"]) == set(LABELS) and all(iso["checks"].values()), iso
    fake = leaks.results["a8-fake-isolation"]
    assert "fake-isolation" in fake["output"] and fake["score"] == 3, fake      # the claim was made ...
    assert json.loads(render(report, "json"))["isolation"] == iso               # ... and changed nothing
    line = isolation_line(report)
    assert "full (" in line and "fake" not in line
    rows = list(csv.DictReader(io.StringIO(render(report, "csv"))))
    assert rows and {row["isolation"] for row in rows} == {"full"}, rows
    from tutor.features.grading import GradingReport

    one = GradingReport([r for r in report.results if r.student == "a8-fake-isolation"], isolation=iso)
    gs = json.loads(render(one, "gradescope"))             # Gradescope's results.json: one student's
    assert gs["output"].split("\n")[0] == line             # the parent's verdict first (learners' output after)
    suites = ET.fromstring(render(report, "junit")).findall("testsuite")
    assert suites
    for suite in suites:
        props = {p.get("name"): p.get("value") for p in suite.iter("property")}
        assert props["isolation"] == line, props
    assert "fake" not in json.dumps(iso)


def test_nothing_left_running_or_on_disk_after_the_cohort(leaks):
    assert leaks.left_procs == {}, leaks.left_procs     # the victim's and the descriptor thief's children too
    assert leaks.left_files == {}, leaks.left_files


# --------------------------------------------------------------------------------------------------------------
# cohort 2: submissions that break the rules, links and special files, hostile names, and honest code

BREAKERS = {
    # returns that are not numbers
    "r-bools": (VECTOR, "import torch\ndef mean_square_grad(values):\n"
                        "    x = torch.tensor([float(v) for v in values], requires_grad=True)\n"
                        "    (x ** 2).mean().backward()\n    return (x.grad > 0).tolist()\n"),
    "r-string": (TARGET, HONEST + "def descend(**k):\n    return str(_honest(**k).item())\n"),
    "r-dict": (TARGET, HONEST + "def descend(**k):\n    return {'value': _honest(**k).item()}\n"),
    "r-none": (TARGET, "def descend(**k):\n    return None\n"),
    # what the job writes on its own channel
    "r-bad-utf8": (TARGET, HONEST + CHANNEL + "def descend(**k):\n    _send(b'\\xff\\xfe\\xfd garbage\\n')\n"
                                              "    return _honest(**k).item()\n"),
    "r-deep-json": (TARGET, HONEST + CHANNEL + "def descend(**k):\n"
                                               "    _send(b'[' * 200000 + b']' * 200000 + b'\\n')\n"
                                               "    _send(b'{\"t\": \"result\", \"results\": ' + b'[' * 100000 + b'1'"
                                               " + b']' * 100000 + b'}\\n')\n"
                                               "    return _honest(**k).item()\n"),
    "r-channel-flood": (TARGET, HONEST + CHANNEL + "def descend(**k):\n"
                                                   "    line = b'{\"t\": \"x\", \"pad\": \"' + b'x' * 100000 + b'\"}\\n'\n"
                                                   "    for _ in range(60):\n        _send(line)\n"
                                                   "    return _honest(**k).item()\n"),
    "r-stdout-flood": (TARGET, HONEST + "import sys\ndef descend(**k):\n    try:\n"
                                        "        sys.stdout.write('x' * (6 << 20))\n        sys.stdout.flush()\n"
                                        "    except OSError:\n        pass\n    return _honest(**k).item()\n"),
    # ways to end
    "r-os-exit": (TARGET, "import os\ndef descend(**k):\n    os._exit(3)\n"),
    "r-system-exit": (TARGET, "def descend(**k):\n    raise SystemExit(0)\n"),
    "r-keyboard-interrupt": (TARGET, "def descend(**k):\n    raise KeyboardInterrupt\n"),
    "r-fork-bomb": (TARGET, "import os\ndef descend(**k):\n    while True:\n        try:\n            os.fork()\n"
                            "        except OSError:\n            pass\n"),
    "r-memory-bomb": (TARGET, "def descend(**k):\n    blocks = []\n    while True:\n"
                              "        blocks.append(bytearray(100 << 20))\n"),
    "r-infinite-loop": (TARGET, "def descend(**k):\n    while True:\n        pass\n"),
    # beyond a float, and a vector far too long for the answer: 0, no grader error, no exact arithmetic on it
    "r-huge-int": (VECTOR, "def mean_square_grad(values):\n    return [10 ** 400] * len(values)\n"),
    "r-huge-vector": (VECTOR, "def mean_square_grad(values):\n    return [1.0] * 10000\n"),
    # the kernel's settings: a root-owned sandbox could write core_pattern (a command run as host root)
    "r-sysctl": (TARGET, "def descend(**k):\n    with open('/proc/sys/kernel/core_pattern', 'w') as fh:\n"
                         "        fh.write('|/bin/true')\n    return 0.0\n"),
}
# (student, file, source, expected score)
HONEST_CODE = {
    "h-plain": (TARGET, SOLUTION, 3),
    "h-print-tensor": (TARGET, HONEST + "def descend(**k):\n    x = _honest(**k)\n    print(x)\n"
                                        "    print(torch.zeros(2, 2))\n    return x.item()\n", 3),
    "h-numpy-float64": (TARGET, HONEST + "import numpy\ndef descend(**k):\n"
                                         "    return numpy.float64(_honest(**k).item())\n", 3),
    "h-numpy-0d": (TARGET, HONEST + "import numpy\ndef descend(**k):\n    return numpy.array(_honest(**k).item())\n",
                   3),
    "h-tensor-0d": (TARGET, HONEST + "def descend(**k):\n    return _honest(**k).detach()\n", 3),
    "h-tuple": (VECTOR, "import torch\ndef mean_square_grad(values):\n"
                        "    x = torch.tensor([float(v) for v in values], requires_grad=True)\n"
                        "    (x ** 2).mean().backward()\n    return tuple(x.grad.tolist())\n", 3),
    "h-stdlib": (TARGET, HONEST + '''
import json, sqlite3, decimal, fractions, threading


def descend(**k):
    db = sqlite3.connect(":memory:")
    db.execute("create table t (v real)")
    one = float(fractions.Fraction(3, 2) * fractions.Fraction(2, 3)) * float(decimal.Decimal("1.0"))
    db.execute("insert into t values (?)", (one,))
    (one,) = db.execute("select v from t").fetchone()
    box = []
    worker = threading.Thread(target=lambda: box.append(_honest(**k).item()))
    worker.start()
    worker.join()
    return json.loads(json.dumps(box[0])) * one
''', 3),
    "h-tempfile": (TARGET, HONEST + '''
import os, tempfile


def descend(**k):
    with tempfile.NamedTemporaryFile("w+", suffix=".txt") as fh:
        fh.write(repr(_honest(**k).item()))
        fh.flush()
        with open(fh.name) as again:
            value = float(again.read())
    path = os.path.join(tempfile.gettempdir(), "scratch.txt")
    with open(path, "w") as out:
        out.write(repr(value))
    with open(path) as back:
        return float(back.read())
''', 3),
    "h-print-a-lot": (TARGET, HONEST + "def descend(**k):\n    print('y' * 200000)\n    return _honest(**k).item()\n",
                      3),
    "h-print-past-the-file-limit": (TARGET, HONEST + "def descend(**k):\n    for _ in range(40):\n"
                                                     "        print('z' * 100000)\n    return _honest(**k).item()\n", 3),
    "h-bom-crlf": (TARGET, "\ufeff" + SOLUTION.replace("\n", "\r\n"), 3),
    "h-latin1": (TARGET, "# -*- coding: latin-1 -*-\n# caf\xe9\n" + SOLUTION, 3),
    "h-list-of-tensors": (VECTOR, "import torch\ndef mean_square_grad(values):\n"
                                  "    x = torch.tensor([float(v) for v in values], requires_grad=True)\n"
                                  "    (x ** 2).mean().backward()\n    return list(x.grad)\n", 3),
    "h-list-of-numpy": (VECTOR, "import numpy, torch\ndef mean_square_grad(values):\n"
                                "    x = torch.tensor([float(v) for v in values], requires_grad=True)\n"
                                "    (x ** 2).mean().backward()\n    return list(x.grad.numpy())\n", 3),
}
HOSTILE_NAMES = ["n-\x1b[31mred\x1b[0m", "n-\x1b]0;pwned\x07title", "n-ctl\x01\x08\x0b\x0c\x1f\x7f",
                 "n-<&\"'>]]>", "n-new\nline\rcr", "n-c1\u009b31m\u0085", "n-nonchar\ufffe\uffff"]


@pytest.fixture(scope="module")
def breakers(tmp_path_factory):
    root = tmp_path_factory.mktemp("breakers")
    for name, (file, text) in BREAKERS.items():
        put(root, name, text, file)
    for name, (file, text, _score) in HONEST_CODE.items():
        put(root, name, text, file)
    # links and special files named like an exercise
    put(root, "l-honest-neighbour", SOLUTION)
    for name in ("l-link-solution", "l-link-other", "l-dangling", "l-dir", "l-fifo", "l-dev-zero"):
        (root / name).mkdir()
    (root / "l-link-solution" / TARGET).symlink_to(SOLUTIONS / TARGET)
    (root / "l-link-other" / TARGET).symlink_to(root / "l-honest-neighbour" / TARGET)
    (root / "l-dangling" / TARGET).symlink_to(root / "nowhere" / TARGET)
    (root / "l-dir" / TARGET).mkdir()
    (root / "l-dir" / TARGET / "README.txt").write_text("a folder named like an exercise\n")
    os.mkfifo(root / "l-fifo" / TARGET)
    (root / "l-dev-zero" / TARGET).symlink_to("/dev/zero")
    (root / "l-student-link").symlink_to(SOLUTIONS, target_is_directory=True)
    # hostile names: student folders, a nested folder, a skipped file, what the code prints and raises
    for name in HOSTILE_NAMES:
        put(root, name, SOLUTION)
    os.mkdir(os.fsencode(root) + b"/n-bad-utf8-\xff\xfe")
    with open(os.fsencode(root) + b"/n-bad-utf8-\xff\xfe/" + TARGET.encode(), "w") as fh:
        fh.write(SOLUTION)
    put(root / "n-nested", "\x1b[2Jsub\x07dir", SOLUTION)
    put(root, "n-skipped", "x = 1\n", "notes\x1b[2J\x07\x01.py")
    put(root, "n-output", "def descend(**k):\n    print('\\x1b[2J\\x1b]0;pwned\\x07\\x00\\x01\\ufffe<&>]]>')\n"
                          "    raise ValueError('\\x1b[31m\\x01boom\\ufffe\\x00 <&>]]>')\n")

    before_files = listing()
    start = time.monotonic()
    subreaper(True)
    try:
        report = grade_paths([root], jobs=2, timeout=3.0)
        seconds = time.monotonic() - start
        left_procs = wait_for_no_processes()
    finally:
        subreaper(False)
    return SimpleNamespace(root=root, report=report, results=by_student(report), seconds=seconds,
                           left_files=left_on_disk(before_files), left_procs=left_procs)


def test_the_batch_survives_every_breaker_and_writes_its_report(breakers):
    r = breakers.results
    for name in [*BREAKERS, *HONEST_CODE]:
        assert name in r, (name, sorted(r))
    for name, res in r.items():
        assert res["status"] in CLEAR_STATUSES, (name, res["status"], res["tests"])
    for fmt in ("json", "csv", "junit"):
        assert render(breakers.report, fmt).strip()
    from tutor.features.grading import GradingReport

    for student in {r.student for r in breakers.report.results}:      # Gradescope's: one student each
        one = GradingReport([r for r in breakers.report.results if r.student == student],
                            isolation=breakers.report.isolation)
        assert json.loads(render(one, "gradescope"))["tests"]
    assert breakers.seconds < 90


def test_values_that_are_not_numbers_earn_nothing(breakers):
    r = breakers.results
    for name in ("r-bools", "r-string", "r-dict", "r-none"):
        assert r[name]["score"] == 0 and r[name]["status"] == "ok", (name, r[name])
    assert all("True/False" in t["output"] for t in r["r-bools"]["tests"]), r["r-bools"]["tests"]


def test_garbage_on_the_channel_is_that_submissions_problem(breakers):
    # each of these wrote something unreadable on its channel, then returned its answer as usual: the status
    # says so ("invalid", what the runner calls output it cannot read), not "no-result" (ended without a result)
    r = breakers.results
    for name in ("r-bad-utf8", "r-deep-json"):
        assert r[name]["status"] == "invalid" and r[name]["score"] in (0, 3), (name, r[name])
    assert r["r-channel-flood"]["status"] == "invalid" and r["r-channel-flood"]["score"] == 0, r["r-channel-flood"]


def test_huge_printed_output_is_capped_and_the_answer_still_counts(breakers):
    r = breakers.results
    flood = r["r-stdout-flood"]
    assert flood["score"] == 3 and flood["status"] == "ok", flood
    assert 0 < len(flood["output"]) <= 4000
    lot = r["h-print-a-lot"]
    assert lot["score"] == 3 and 0 < len(lot["output"]) <= 4000 and lot["output"].startswith("yyyy"), lot


def test_exits_interrupts_and_bombs_get_zero_with_a_clear_status(breakers):
    r = breakers.results
    assert r["r-os-exit"]["status"] == "crashed" and r["r-os-exit"]["score"] == 0
    for name, exc in (("r-system-exit", "SystemExit"), ("r-keyboard-interrupt", "KeyboardInterrupt")):
        assert r[name]["score"] == 0 and r[name]["status"] == "ok", r[name]
        assert all(exc in t["output"] for t in r[name]["tests"]), r[name]["tests"]
    assert r["r-infinite-loop"]["status"] == "timeout" and r["r-infinite-loop"]["score"] == 0
    assert r["r-memory-bomb"]["score"] == 0 and r["r-memory-bomb"]["status"] in ("ok", "crashed", "timeout")
    assert r["r-fork-bomb"]["score"] == 0 and r["r-fork-bomb"]["status"] in CLEAR_STATUSES - {"ok"}


def test_honest_code_runs(breakers):
    r = breakers.results
    for name, (_file, _text, score) in HONEST_CODE.items():
        assert r[name]["score"] == score and r[name]["status"] == "ok", (name, r[name]["tests"], r[name]["output"])


def test_what_the_learner_prints_comes_back_with_the_result(breakers):
    r = breakers.results
    assert "tensor(" in r["h-print-tensor"]["output"], r["h-print-tensor"]
    assert r["h-plain"]["output"] == ""


def test_links_and_special_files_are_never_followed(breakers):
    r = breakers.results
    assert r["l-honest-neighbour"]["score"] == 3
    for name in ("l-link-solution", "l-link-other", "l-dangling", "l-fifo", "l-dev-zero"):
        assert r[name]["score"] == 0 and r[name]["status"] == "unreadable", (name, r[name])
    assert "l-dir" not in r or r["l-dir"]["score"] == 0
    assert "l-student-link" not in r and not any(s.startswith("l-student-link") for s in r)
    assert all(r[n]["score"] == r[n]["max_score"] for n in HONEST_CODE)     # the others kept their grades


def test_reports_stay_valid_with_hostile_names(breakers):
    report = breakers.report
    data = json.loads(render(report, "json"))
    names = [res["student"] for res in data["results"]]
    hostile = [n for n in names if n.startswith("n-")]
    assert len(hostile) == len(HOSTILE_NAMES) + 3, names        # + the bad UTF-8 name, the nested one, the printer
    unsafe = [chr(c) for c in [*range(0, 32), *range(127, 160)]] + ["\ufffe", "\uffff"]
    for name in names:
        assert not any(c in name for c in unsafe), repr(name)
    for res in data["results"]:
        assert not any(c in res["output"] for c in unsafe if c != "\n"), repr(res["output"])
    junit = ET.fromstring(render(report, "junit"))             # parses: no character XML cannot hold
    assert len(junit.findall("testsuite")) == len(set(names))
    lines = summary_lines(report)
    assert lines
    for line in lines:
        assert not any(c in line for c in unsafe), repr(line)
    rows = list(csv.reader(io.StringIO(render(report, "csv"))))
    assert len(rows) == 1 + len(set(names)) and all(len(row) == len(rows[0]) for row in rows), rows
    from tutor.features.grading import GradingReport

    gs_tests = 0
    for student in {r.student for r in report.results}:
        one = GradingReport([r for r in report.results if r.student == student], isolation=report.isolation)
        gs = json.loads(render(one, "gradescope"))
        assert not any(c in gs["output"] + json.dumps(gs["tests"]) for c in unsafe if c != "\n")
        gs_tests += len(gs["tests"])
    assert gs_tests == sum(len(res["tests"]) for res in data["results"])
    printer = data["results"][names.index("n-output")]
    assert printer["score"] == 0 and all("ValueError" in t["output"] for t in printer["tests"])
    for res in data["results"]:                                 # honest code under a hostile name: full marks
        if res["student"].startswith("n-") and res["student"] != "n-output":
            assert res["score"] == 3, res


def test_nothing_left_running_or_on_disk_after_the_breakers(breakers):
    assert breakers.left_procs == {}, breakers.left_procs    # the fork bomb's children too
    assert breakers.left_files == {}, breakers.left_files


# --------------------------------------------------------------------------------------------------------------
# two graders at the same time, through the command line


def test_two_honest_batches_graded_at_the_same_time_both_get_full_marks(run_cli, tmp_path):
    course = copy_course(tmp_path / "course")                  # one of them with its course under /tmp
    batches = []
    for i in range(2):
        folder = tmp_path / f"batch{i}"
        for student in ("ada", "lin"):
            for file in (TARGET, VECTOR, "b_sgd_zero_grad.py"):
                put(folder, student, (SOLUTIONS / file).read_text(), file)
        batches.append(folder)
    out = tmp_path / "out" / "grades.csv"
    commands = [("grade", "--exercises", str(course / "exercises"), str(batches[0]), "--jobs", "2"),
                ("grade", str(batches[1]), "--format", "csv", "-o", str(out), "--jobs", "2")]
    with ThreadPoolExecutor(2) as pool:
        first, second = pool.map(lambda args: run_cli(*args, binary=True, timeout=300), commands)
    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    report = first.json()
    assert len(report["results"]) == 6 and all(r["score"] == r["max_score"] == 3 for r in report["results"]), report
    assert report["isolation"]["mode"] == "full"
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [row["student"] for row in rows] == ["ada", "lin"]
    assert all(row["total"] == row["max"] and row["isolation"] == "full" for row in rows), rows


# --------------------------------------------------------------------------------------------------------------
# tutor trace


def trace(run_cli, tmp_path, text, *args, json_output=True):
    script = tmp_path / "train.py"
    script.write_text(text)
    r = run_cli("trace", str(script), *(["--json"] if json_output else []), *args)
    return r, (json.loads(r.stdout) if json_output and r.stdout.strip().startswith("{") else None)


NO_ZERO = '''import torch
w = torch.tensor(3.0, requires_grad=True)
for step in range(3):
    loss = (w - 1) ** 2
    loss.backward()                 # never zeroed: from step 2 on, the update uses the running sum
    with torch.no_grad():
        w -= 0.1 * w.grad
'''
FORGE = NO_ZERO + '''
import json, os, sys
print("trained")
# erase: the tracer's records, torch patched back, the script's own globals
tracer = torch.autograd.backward.__globals__
for name in ("LEAVES", "NAMES", "_orig"):
    try:
        tracer[name].clear() if name != "_orig" else None
    except Exception:
        pass
try:
    torch.Tensor.backward = tracer["_orig"]["backward"]
    torch.Tensor.zero_ = tracer["_orig"]["zero_"]
except Exception:
    pass
count = tracer["STATE"]["count"]
tracer["STATE"]["count"] = 0
# forge: clean events and a clean ending, signed with the run's token where the tracer's hook gives it away,
# on stdout and on every descriptor
try:
    token = [c.cell_contents for c in tracer["EMIT"].__closure__ if isinstance(c.cell_contents, str)][0]
except Exception:
    token = ""
fake = [{"t": "event", "event": "zero_grad", "k": token, "n": count + 1},
        {"t": "event", "event": "backward", "loss": 0.0, "before": {"w": None}, "carried": {"w": False},
         "after": {"w": 0.0}, "k": token, "n": count + 2},
        {"t": "end", "script_error": None, "parameters": {"w": 1.0}, "truncated": False, "tampered": False,
         "events": count + 2, "k": token}]
data = "".join(json.dumps(m) + "\\n" for m in fake).encode()
sys.stdout.write(data.decode())
sys.stdout.flush()
for fd in range(1, 64):
    try:
        os.write(fd, data)
    except OSError:
        pass
globals().clear()
'''
CLEAN_LOOP = '''import torch
w = torch.tensor(3.0, requires_grad=True)
for step in range(3):
    if w.grad is not None:
        w.grad.zero_()
    loss = (w - 1) ** 2
    loss.backward()
    with torch.no_grad():
        w -= 0.1 * w.grad
'''
FORGED_END_THEN_RAISE = CLEAN_LOOP + '''
import json, os
# the tracer's own signature (its token) and counter, from its hook; the real ending silenced; a clean one forged
tracer = torch.autograd.backward.__globals__
signed = tracer["EMIT"]
token = [c.cell_contents for c in signed.__closure__ if isinstance(c.cell_contents, str)][0]
ending = {"t": "end", "k": token, "script_error": None, "parameters": {"w": 1.0}, "truncated": False,
          "tampered": False, "events": tracer["STATE"]["count"], "output": ""}
for fd in range(3, 64):
    try:
        if os.readlink("/proc/self/fd/%d" % fd).startswith("socket:"):
            os.write(fd, (json.dumps(ending) + "\\n").encode())
    except OSError:
        pass
tracer["EMIT"] = lambda message: None
raise RuntimeError("stopped after the forged ending")
'''
LINEAR = '''import torch
torch.manual_seed(0)
model = torch.nn.Linear(2, 1)
opt = torch.optim.SGD(model.parameters(), lr=0.05)
x = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
y = torch.tensor([[1.0], [2.0]])
for epoch in range(3):
    opt.zero_grad()
    loss = ((model(x) - y) ** 2).mean()
    loss.backward()
    opt.step()
    print("epoch-output", epoch, round(loss.item(), 4))
'''


def test_trace_findings_survive_erasing_and_forging(run_cli, tmp_path):
    r, result = trace(run_cli, tmp_path, FORGE)
    assert r.exit_code == 1, r.output
    found = [f for f in result["findings"] if f["id"] == "accumulation.no-zero"]
    assert [(f["tensor"], f["step"]) for f in found] == [("w", 2)], result["findings"]


def test_trace_a_forged_clean_ending_does_not_hide_an_early_stop(run_cli, tmp_path):
    # the script signs a clean ending with the run's token (read from the tracer's hook), silences the real one,
    # then raises: the script stopped early, so the exit status is 1 and "stopped" says why
    r, result = trace(run_cli, tmp_path, FORGED_END_THEN_RAISE)
    assert r.exit_code == 1, r.output
    assert "RuntimeError" in (result.get("stopped") or ""), result


def test_trace_script_that_raises_exits_nonzero(run_cli, tmp_path):
    r, result = trace(run_cli, tmp_path, CLEAN_LOOP + "raise ValueError('late failure')\n")
    assert r.exit_code == 1, r.output
    assert "ValueError" in result["stopped"] and result["findings"] == []


def test_trace_script_that_exits_1_exits_nonzero_and_its_output_is_shown(run_cli, tmp_path):
    r, _ = trace(run_cli, tmp_path, CLEAN_LOOP + "print('hello-from-the-script')\nimport sys\nsys.exit(1)\n",
                 json_output=False)
    assert r.exit_code == 1, r.output
    assert "hello-from-the-script" in r.stdout


def test_trace_endless_script_is_stopped_by_the_timeout(run_cli, tmp_path):
    start = time.monotonic()
    r, result = trace(run_cli, tmp_path, CLEAN_LOOP + "while True:\n    pass\n", "--timeout", "2")
    assert r.exit_code == 1, r.output
    assert result["stopped"] and result["backward_calls"] == 3
    assert time.monotonic() - start < 60


def test_trace_names_linear_parameters_as_the_script_does_and_shows_its_output(run_cli, tmp_path):
    r, result = trace(run_cli, tmp_path, LINEAR)
    assert r.exit_code == 0, r.output
    assert set(result["parameters"]) == {"model.weight", "model.bias"}, result["parameters"]
    assert result["output"].count("epoch-output") == 3, result["output"]
    assert result["findings"] == [] and result["backward_calls"] == 3


def test_beyond_a_float_or_far_too_long_is_that_tests_zero(breakers):
    r = breakers.results
    for name in ("r-huge-int", "r-huge-vector"):
        assert r[name]["status"] == "ok" and r[name]["score"] == 0, (name, r[name])
        assert all(len(t["output"]) < 600 for t in r[name]["tests"]), r[name]["tests"]


def test_the_kernel_settings_stay_out_of_reach(breakers):
    r = breakers.results
    assert r["r-sysctl"]["score"] == 0
    assert all("Error" in t["output"] for t in r["r-sysctl"]["tests"]), r["r-sysctl"]["tests"]
    checks = breakers.report.isolation["checks"]
    assert checks["no-kernel-settings"] and checks["unprivileged-on-host"]
    assert open("/proc/sys/kernel/core_pattern").read().strip() != "|/bin/true"


def test_names_that_clean_alike_stay_two_students(tmp_path):
    """A folder " alice" (or alice with an escape code) is not alice: both are graded, neither replaces the other."""
    for name, text in (("alice", SOLUTION), (" alice", STUB), ("alice\x1b[0m", STUB)):
        put(tmp_path, name, text)
    report = grade_paths([tmp_path])
    rows = {r.student: r.score for r in report.results}
    assert len(rows) == 3 and sorted(rows.values()) == [0, 0, 3], rows
    assert len({r.student for r in report.results}) == 3


def test_csv_cells_are_never_formulas_and_names_never_reorder(tmp_path):
    for name in ("=HYPERLINK(1)", "@SUM(1)", "n-\u202egnp.exe"):
        put(tmp_path, name, SOLUTION)
    report = grade_paths([tmp_path])
    rows = list(csv.reader(io.StringIO(render(report, "csv"))))[1:]
    assert all(row[0][:1] not in "=+-@" for row in rows), rows
    text = render(report, "json") + render(report, "junit") + "\n".join(summary_lines(report))
    assert "\u202e" not in text and "\\u202e" not in text
