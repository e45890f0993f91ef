"""Confining a job before the learner's code runs: no capabilities, a syscall filter, and (sandbox mode) no
other process's entries in /proc.

Sent with :mod:`._job` and :mod:`._worker` (never imported by the tutor).
"""
import ctypes
import os

PR_SET_NO_NEW_PRIVS, PR_CAPBSET_DROP, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 38, 24, 47, 4
PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def drop_capabilities():
    """No capability left, none to regain: the bounding set emptied, no new privileges, a syscall filter."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in range(64):
        libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)
    libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        fail_setup("no_new_privs")   # noqa: F821 - defined in _worker.py
    header, data = _CapHeader(0x20080522, 0), (_CapData * 2)()
    if libc.capset(ctypes.byref(header), ctypes.byref(data)) != 0:
        fail_setup("capset")   # noqa: F821


def install_seccomp():
    libc = ctypes.CDLL(None, use_errno=True)
    program = CONFIG.get("seccomp")   # noqa: F821 - the worker's configuration
    if program:
        raw = bytes.fromhex(program)
        buf = ctypes.create_string_buffer(raw, len(raw))

        class _Prog(ctypes.Structure):
            _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

        prog = _Prog(len(raw) // 8, ctypes.cast(buf, ctypes.c_void_p))
        if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
            fail_setup("seccomp")   # noqa: F821


LANDLOCK_READ = 1 | 4 | 8           # LANDLOCK_ACCESS_FS_EXECUTE | READ_FILE | READ_DIR
LANDLOCK_WRITE = 2                  # LANDLOCK_ACCESS_FS_WRITE_FILE
SYS_LANDLOCK = {"x86_64": (444, 445, 446), "aarch64": (444, 445, 446)}


def landlock_abi():
    """The kernel's Landlock ABI version (0: none, or not allowed here)."""
    numbers = SYS_LANDLOCK.get(os.uname().machine)
    if numbers is None:
        return 0
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    version = libc.syscall(numbers[0], None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    return max(0, int(version))


def landlock_paths():
    """Once, in the worker: what every job may read and run, opened as paths (each job keeps these
    descriptors only until its rule set is made): every top-level folder but /proc and /tmp (each job's
    own, opened by the job), and every entry of /proc that belongs to no process."""
    out = []
    names = ["/" + n for n in os.listdir("/") if n not in ("proc", "tmp")]
    names += ["/proc/" + n for n in os.listdir("/proc") if not n.isdigit()
              and not os.path.islink("/proc/" + n)]      # /proc/net, /proc/mounts ...: links into the worker's own
    for path in names:
        try:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            continue
        out.append((fd, os.path.isdir(path) and not os.path.islink(path)))
    return out


def hide_other_processes():
    """Sandbox mode: the job may read (and run) everything it could before, except other processes' entries
    in /proc: those of the worker, of a job running beside it, of the job staged after it (a Landlock
    rule set; /proc is bubblewrap's, for the worker's whole pid namespace, and a fresh one cannot be
    mounted under it).  It writes only under its /tmp, /dev (its /dev/shm, /dev/null) and its own /proc
    entry: not into bubblewrap's (/proc/1/oom_score_adj, autogroup ...), which the mounts leave writable."""
    create, add, restrict = SYS_LANDLOCK[os.uname().machine]
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long

    class _Attr(ctypes.Structure):
        _fields_ = [("handled_access_fs", ctypes.c_uint64)]

    class _Beneath(ctypes.Structure):
        _pack_ = 1
        _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]

    attr = _Attr(LANDLOCK_READ | LANDLOCK_WRITE)
    ruleset = libc.syscall(create, ctypes.byref(attr), ctypes.c_size_t(ctypes.sizeof(attr)), ctypes.c_uint32(0))
    if ruleset < 0:
        fail_setup("landlock")   # noqa: F821
    own = [os.open(p, os.O_PATH | os.O_CLOEXEC) for p in ("/proc/" + os.readlink("/proc/self"), "/tmp")]
    if os.path.isdir("/dev/shm"):
        own.append(os.open("/dev/shm", os.O_PATH | os.O_CLOEXEC))
    writable = {os.readlink(f"/proc/self/fd/{fd}") for fd in own} | {"/dev"}
    for fd, is_dir in [*CONFIG.get("landlock_paths", []), *((fd, True) for fd in own)]:   # noqa: F821
        access = LANDLOCK_READ if is_dir else (LANDLOCK_READ & ~8)
        try:
            if os.readlink(f"/proc/self/fd/{fd}") in writable:
                access |= LANDLOCK_WRITE
        except OSError:
            pass
        rule = _Beneath(access, fd)
        if libc.syscall(add, ctypes.c_int(ruleset), ctypes.c_int(1), ctypes.byref(rule), ctypes.c_uint32(0)) != 0:
            fail_setup("landlock rule")   # noqa: F821
        os.close(fd)
    if libc.syscall(restrict, ctypes.c_int(ruleset), ctypes.c_uint32(0)) != 0:
        fail_setup("landlock restrict")   # noqa: F821
    os.close(ruleset)
