"""A memory and process cap per worker (so per running job), where the grader may make control groups.

Limits set with ``setrlimit`` hold per process: a job that forks could hold
that much memory in each child.  Where the grader runs as root, each worker is
placed in a control group of its own (cgroup v1 ``memory`` and ``pids``
hierarchies, or v2 where the memory controller can be enabled), capping the
whole job, children included.  Elsewhere (an ordinary user without a
delegated cgroup) the per-process limits and the process limit remain; the
report says which holds.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")


def _v2_mount() -> Path | None:
    try:
        with open("/proc/self/mountinfo") as fh:
            for line in fh:
                parts = line.split()
                if "cgroup2" in parts[parts.index("-") + 1:][:1]:
                    return Path(parts[4])
    except (OSError, ValueError):
        pass
    return None


def _write(path: Path, text: str) -> bool:
    try:
        path.write_text(text)
        return True
    except OSError:
        return False


class Cap:
    """Control groups for one worker: ``attach(pid)`` moves a process in, ``remove()`` cleans up."""

    def __init__(self, memory_bytes: int, processes: int):
        self.dirs: list[Path] = []
        if os.geteuid() != 0:
            return
        name = f"tutor-{os.getpid()}-{secrets.token_hex(4)}"
        try:
            lines = Path("/proc/self/cgroup").read_text().splitlines()
        except OSError:
            return
        for line in lines:
            hid, controllers, path = line.split(":", 2)
            if hid == "0":
                self._v2(path, name, memory_bytes, processes)
                continue
            for ctrl in controllers.split(","):
                if ctrl not in ("memory", "pids"):
                    continue
                d = ROOT / ctrl / path.lstrip("/") / name
                try:
                    d.mkdir()
                except OSError:
                    continue
                ok = _write(d / "memory.limit_in_bytes", str(memory_bytes)) if ctrl == "memory" else _write(
                    d / "pids.max", str(processes))
                if ok:
                    self.dirs.append(d)
                else:
                    d.rmdir()

    def _v2(self, path: str, name: str, memory_bytes: int, processes: int) -> None:
        mount = _v2_mount()
        if mount is None or any(d.name == name for d in self.dirs):
            return
        parent = mount / path.lstrip("/")
        if "memory" not in (parent / "cgroup.controllers").read_text() if (parent / "cgroup.controllers").exists() \
                else True:
            return
        _write(parent / "cgroup.subtree_control", "+memory +pids")
        d = parent / name
        try:
            d.mkdir()
        except OSError:
            return
        if _write(d / "memory.max", str(memory_bytes)):
            _write(d / "pids.max", str(processes))
            self.dirs.append(d)
        else:
            d.rmdir()

    @property
    def memory(self) -> bool:
        return any((d / "memory.limit_in_bytes").exists() or (d / "memory.max").exists() for d in self.dirs)

    def attach(self, pid: int) -> None:
        for d in self.dirs:
            _write(d / "cgroup.procs", str(pid))

    def procs_files(self) -> list[str]:
        return [str(d / "cgroup.procs") for d in self.dirs]

    def remove(self) -> None:
        """Remove the groups (their last processes may still be exiting: tried for up to a second)."""
        import time

        for d in self.dirs:
            for _attempt in range(20):
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.05)
        self.dirs = []


def stale_groups() -> list[Path]:
    """Control groups of graders that are gone (``tutor-<pid>-...`` whose pid no longer runs)."""
    import re

    out = []
    for pattern in ("*/**/tutor-*", "tutor-*"):
        try:
            found = list(ROOT.glob(pattern))
        except OSError:
            continue
        for d in found:
            m = re.match(r"tutor-(\d+)-", d.name)
            if m and d.is_dir() and not Path(f"/proc/{m.group(1)}").exists():
                out.append(d)
    return out
