"""Which protections are in force, decided by the parent: a probe job, run exactly as a submission is.

The probe is the tutor's own code.  It tries to read what must stay hidden
(the bank, the solutions, the package, the grader's folders, a canary the
parent has just written), to write outside its private ``/tmp``, to reach
a socket the parent listens on, to make a user namespace, and reports its
uid, capabilities, environment, descriptors and limits.  A second probe job
looks for what the first left behind.  The parent checks on its side that
nothing reached the host, and decides.  The submission never gets a say.
"""
from __future__ import annotations

import os
import secrets
import shutil
import socket
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...foundation.i18n import N_, _
from .worker import Worker

EXPECTED_ENV = {"HOME", "LANG", "PATH", "TMPDIR", "USER", "LOGNAME"}
# every protection the probe checks: a stable id, and its name for people
LABELS = {
    "hidden-files": N_("hidden files"),
    "not-root": N_("not root"),
    "no-capabilities": N_("no capabilities"),
    "no-new-privileges": N_("no new privileges"),
    "syscall-filter": N_("syscall filter"),
    "clean-environment": N_("clean environment"),
    "no-other-descriptors": N_("no other descriptors"),
    "limits": N_("limits"),
    "python-readable": N_("Python and torch readable"),
    "no-kernel-settings": N_("no kernel settings"),
    "no-other-sockets": N_("no sockets beyond the network namespace (vsock ...)"),
    "unprivileged-on-host": N_("an unprivileged user on the host"),
    "no-writing-outside-tmp": N_("no writing outside its /tmp"),
    "nothing-left": N_("nothing left for the next job"),
    "no-network": N_("no network"),
    "no-host-sockets": N_("no host sockets"),
    "own-pid-namespace": N_("own pid namespace"),
    "no-user-namespaces": N_("no user namespaces"),
    "no-other-processes": N_("no other process in /proc"),
}

HIDDEN = ("ENOENT", "EACCES", "EPERM")


@dataclass
class Isolation:
    """``mode``: full | container | none; ``checks``: each protection and whether it held."""

    mode: str
    checks: dict[str, bool] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    memory_cap: bool = False         # one cap for a job and its children (control groups), not only per process

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        return describe(self.to_json())

    def to_json(self) -> dict[str, Any]:
        return {"mode": self.mode, "checks": dict(self.checks), "problems": list(self.problems),
                "memory_cap": self.memory_cap}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Isolation:
        return cls(str(data.get("mode", "none")), dict(data.get("checks", {})), list(data.get("problems", [])),
                   bool(data.get("memory_cap")))


def describe(isolation: dict[str, Any]) -> str:
    """The protections in force, in words: "full (hidden files, no network, ...)"."""
    held = [_(LABELS.get(k, k)) for k, v in (isolation.get("checks") or {}).items() if v]
    missing = [_(LABELS.get(k, k)) for k in isolation.get("problems") or []]
    text = f"{isolation.get('mode', 'none')} ({', '.join(held)})" if held else str(isolation.get("mode", "none"))
    if missing:
        text += "; " + _("not in force: {what}").format(what=", ".join(missing))
    return text


def made(folder: Path, token: str) -> list[Path]:
    """What the probe may have made in ``folder``, where the host sees it: a file, a folder, a link, a pipe
    (the suffixes ``_probe.create`` gives them)."""
    return [folder / (token + suffix) for suffix in ("", ".d", ".l", ".p")]


def probe(worker: Worker, hidden: list[str | os.PathLike[str]]) -> Isolation:
    """Run the probe on ``worker`` (sandbox or container mode) and decide what held."""
    canary = Path(tempfile.mkdtemp(prefix="tutor-probe-"))
    token = "tutor-probe-" + secrets.token_hex(8)
    os.chmod(canary, 0o755)
    (canary / "canary.txt").write_text("not for submissions\n")
    os.chmod(canary / "canary.txt", 0o644)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    listener.setblocking(False)
    unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    unix_path = str(canary / "s")
    unix.bind(unix_path)
    os.chmod(unix_path, 0o777)
    unix.listen(4)
    unix.setblocking(False)
    hidden_paths = sorted({os.path.abspath(p) for p in hidden if p and os.path.exists(p)})
    if worker.mode == "sandbox":           # in a container the job may read what everyone may read
        hidden_paths.append(str(canary / "canary.txt"))
    try:
        first = worker.run({"mode": "probe", "token": token, "read": hidden_paths,
                            "create": ["/tmp", "/dev/shm", str(canary)], "tcp": [listener.getsockname()[1]],
                            "unix": [unix_path], "needed": needed_paths()})
        second = worker.run({"mode": "probe", "token": token + "-2",
                             "look_for": [f"/tmp/{token}", f"/dev/shm/{token}"]})
        host = {"tcp": _accepted(listener), "unix": _accepted(unix), "uid": worker.host_uid(),
                "files": [p for p in made(canary, token) + made(Path("/tmp"), token) + made(Path("/dev/shm"), token)
                          if os.path.lexists(p)]}
    finally:
        listener.close()
        unix.close()
        shutil.rmtree(canary, ignore_errors=True)
        for leftover in made(Path("/tmp"), token) + made(Path("/dev/shm"), token):
            if leftover.is_dir() and not leftover.is_symlink():
                leftover.rmdir()
            elif os.path.lexists(leftover):
                leftover.unlink()
    a = (first.result or {}).get("probe")
    b = (second.result or {}).get("probe")
    if not isinstance(a, dict) or not isinstance(b, dict):
        return Isolation("none", {}, [f"the probe did not run ({first.status}, {second.status})"])
    from .sandbox import visible_paths

    landlock = bool((worker.ready or {}).get("landlock"))
    verdict = decide(worker.mode, a, b, host, visible_paths() if worker.mode == "sandbox" else (), landlock)
    verdict.memory_cap = worker.cap is not None and worker.cap.memory
    return verdict


def needed_paths() -> list[str]:
    """What honest code must be able to read: the standard library, torch and numpy (imported lazily,
    as printing a tensor does)."""
    import sysconfig

    from .sandbox import package_paths

    out = [os.path.join(sysconfig.get_paths()["stdlib"], "json", "__init__.py")]
    for p in package_paths():
        if p.name in ("torch", "numpy") and (p / "__init__.py").is_file():
            out.append(str(p / "__init__.py"))
    return out


def _accepted(listener: socket.socket) -> bool:
    try:
        conn, _addr = listener.accept()
        conn.close()
        return True
    except (BlockingIOError, OSError):
        return False


def _hidden(path: str, state: object, visible: tuple[str, ...]) -> bool:
    """Is ``path`` out of reach?  Absent or unreadable; or a folder that shows nothing of the host's but
    the way to what the sandbox exposes on purpose (the home folder holding the Python installation), or
    only what the job made itself (its private /tmp)."""
    if state in HIDDEN:
        return True
    if not isinstance(state, dict) or not isinstance(state.get("entries"), list):
        return False
    for name in state["entries"]:
        inner = os.path.join(path, str(name))
        on_purpose = any(v == inner or v.startswith(inner + os.sep) for v in visible)
        if os.path.lexists(inner) and not on_purpose:
            return False
    return True


def decide(mode: str, a: dict[str, Any], b: dict[str, Any], host: dict[str, Any],
           visible: tuple[str, ...] = (), landlock: bool = False) -> Isolation:
    """What held, from the probe's two reports and the host's side (``visible``: what the sandbox
    exposes on purpose; ``landlock``: the worker hides other processes' /proc entries from each job, as it
    must where two workers' jobs share one /proc)."""
    reads = a.get("read", {})
    creates = a.get("create", {})
    checks: dict[str, bool] = {
        "hidden-files": bool(reads) and all(_hidden(p, v, visible) for p, v in reads.items()),
        "not-root": a.get("uid") != 0,
        "no-capabilities": str(a.get("capabilities", "")).strip("0") == "",
        "no-new-privileges": a.get("no_new_privs") == "1",
        "syscall-filter": a.get("seccomp") == "2",
        "clean-environment": set(a.get("environment", [])) <= EXPECTED_ENV,
        "no-other-descriptors": len(a.get("fds", [])) <= 5,
        "limits": all(isinstance(v, int) and v > 0 for v in a.get("limits", {}).values()),
        "python-readable": bool(a.get("needed")) and all(v == "ok" for v in a["needed"].values()),
    }
    if mode == "sandbox":
        tcp, unix = a.get("tcp", {}), a.get("unix", {})
        checks.update({
            "no-writing-outside-tmp": bool(
                not host["files"] and creates.get("/tmp") == "ok"
                and all(v != "ok" for k, v in creates.items() if k not in ("/tmp", "/dev/shm"))
                and set(a.get("writable_mounts", [])) <= {"/tmp", "/dev/shm"}),
            "nothing-left": not b.get("found"),
            "no-network": bool(not host["tcp"] and tcp and all(v != "ok" for v in tcp.values())),
            "no-host-sockets": bool(not host["unix"] and unix and all(v != "ok" for v in unix.values())),
            "own-pid-namespace": a.get("pid") == 1,
            "no-user-namespaces": a.get("new_user_namespace") != "ok",
            "no-other-sockets": bool(a.get("socket_families"))
            and all(v != "ok" for v in a["socket_families"].values()),
            "no-kernel-settings": bool(a.get("kernel_settings"))
            and all(v != "ok" for v in a["kernel_settings"].values()),
            "unprivileged-on-host": host.get("uid") not in (None, 0),
        })
        if landlock:
            checks["no-other-processes"] = a.get("other_process_entries") in HIDDEN
    problems = [name for name, held in checks.items() if not held]
    return Isolation("full" if mode == "sandbox" else mode, checks, problems)
