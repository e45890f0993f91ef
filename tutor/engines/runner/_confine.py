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
    prctl = LIBC.prctl   # noqa: F821 - defined in _namespaces.py
    for cap in range(CONFIG.get("cap_last", 63) + 1):   # noqa: F821 - the kernel's last capability
        prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    if prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        fail_setup("no_new_privs")   # noqa: F821 - defined in _worker.py
    header, data = _CapHeader(0x20080522, 0), (_CapData * 2)()
    if LIBC.capset(ctypes.byref(header), ctypes.byref(data)) != 0:   # noqa: F821
        fail_setup("capset")   # noqa: F821


class _SeccompProg(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def prepare_confinement():
    """Once, in the worker: the syscall filter as the kernel takes it, and the last capability to drop
    (every job inherits both: a job only installs and drops)."""
    program = CONFIG.get("seccomp")   # noqa: F821 - the worker's configuration
    if program:
        raw = bytes.fromhex(program)
        buf = ctypes.create_string_buffer(raw, len(raw))
        CONFIG["seccomp_prog"] = (buf, _SeccompProg(len(raw) // 8, ctypes.cast(buf, ctypes.c_void_p)))   # noqa: F821
    try:
        with open("/proc/sys/kernel/cap_last_cap") as fh:
            CONFIG["cap_last"] = min(63, int(fh.read()))   # noqa: F821
    except (OSError, ValueError):
        pass


def install_seccomp():
    if CONFIG.get("seccomp") and "seccomp_prog" not in CONFIG:   # noqa: F821
        prepare_confinement()
    if CONFIG.get("seccomp"):   # noqa: F821
        _buf, prog = CONFIG["seccomp_prog"]   # noqa: F821
        if LIBC.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:   # noqa: F821
            fail_setup("seccomp")   # noqa: F821


LANDLOCK_READ = 1 | 4 | 8           # LANDLOCK_ACCESS_FS_EXECUTE | READ_FILE | READ_DIR
LANDLOCK_WRITE = 2                  # LANDLOCK_ACCESS_FS_WRITE_FILE
LANDLOCK_MAKE = 0x1FF0              # REMOVE_DIR, REMOVE_FILE, MAKE_CHAR, _DIR, _REG, _SOCK, _FIFO, _BLOCK, _SYM
LANDLOCK_REFER, LANDLOCK_TRUNCATE = 1 << 13, 1 << 14    # ABI 2 (links, renames across folders), ABI 3


def landlock_handled(abi):
    """Every filesystem right this kernel's Landlock knows: what a rule does not give is refused (making,
    removing, linking, truncating too, not only reading and writing)."""
    return LANDLOCK_READ | LANDLOCK_WRITE | LANDLOCK_MAKE | (LANDLOCK_REFER if abi >= 2 else 0) | (
        LANDLOCK_TRUNCATE if abi >= 3 else 0)
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
    descriptors only until its rule set is made), each with the access its rule gives: every top-level
    folder but /proc and /tmp (each job's own, opened by the job), and every entry of /proc that belongs
    to no process, to read; /dev/null to write too (not the rest of /dev: no pseudo-terminal shared
    with a job beside it)."""
    out = []
    names = ["/" + n for n in os.listdir("/") if n not in ("proc", "tmp")]
    names += ["/proc/" + n for n in os.listdir("/proc") if not n.isdigit()
              and not os.path.islink("/proc/" + n)]      # /proc/net, /proc/mounts ...: links into the worker's own
    for path in names:
        try:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            continue
        is_dir = os.path.isdir(path) and not os.path.islink(path)
        out.append((fd, LANDLOCK_READ if is_dir else LANDLOCK_READ & ~8))
    if os.path.exists("/dev/null"):
        out.append((os.open("/dev/null", os.O_PATH | os.O_CLOEXEC), 4 | LANDLOCK_WRITE | LANDLOCK_TRUNCATE))
    return out


class _LandlockAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64)]


class _LandlockBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def hide_other_processes():
    """Sandbox mode: the job may read (and run) everything it could before, except other processes' entries
    in /proc: those of the worker, of a job running beside it, of the job staged after it (a Landlock
    rule set; /proc is bubblewrap's, for the worker's whole pid namespace, and a fresh one cannot be
    mounted under it).  It makes, writes and removes files only under its own /tmp and /dev/shm (and
    writes /dev/null); its own /proc entry it reads only: it cannot lower the oom_score_adj that makes it
    the first to go (nor write bubblewrap's /proc/1/..., which the mounts leave writable)."""
    create, add, restrict = SYS_LANDLOCK[os.uname().machine]
    syscall = LIBC.syscall   # noqa: F821 - defined in _namespaces.py
    syscall.restype = ctypes.c_long
    handled = landlock_handled(CONFIG.get("landlock_abi", 1))   # noqa: F821
    attr = _LandlockAttr(handled)
    ruleset = syscall(create, ctypes.byref(attr), ctypes.c_size_t(ctypes.sizeof(attr)), ctypes.c_uint32(0))
    if ruleset < 0:
        fail_setup("landlock")   # noqa: F821
    own = [("/proc/" + os.readlink("/proc/self"), LANDLOCK_READ), ("/tmp", handled),
           *((("/dev/shm", handled),) if os.path.isdir("/dev/shm") else ())]
    rules = [*((fd, access & handled) for fd, access in CONFIG.get("landlock_paths", [])),   # noqa: F821
             *((os.open(p, os.O_PATH | os.O_CLOEXEC), access) for p, access in own)]
    rule = _LandlockBeneath()
    for fd, access in rules:
        rule.allowed_access, rule.parent_fd = access, fd
        if syscall(add, ctypes.c_int(ruleset), ctypes.c_int(1), ctypes.byref(rule), ctypes.c_uint32(0)) != 0:
            fail_setup("landlock rule")   # noqa: F821
    if syscall(restrict, ctypes.c_int(ruleset), ctypes.c_uint32(0)) != 0:
        fail_setup("landlock restrict")   # noqa: F821
    for fd, _access in rules:        # the rules' descriptors: none of them is kept
        os.close(fd)
    os.close(ruleset)
