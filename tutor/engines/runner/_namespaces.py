"""Namespaces and mounts for the worker and its jobs (Linux system calls through ctypes).

Sent with ``_job.py`` and ``_worker.py`` (never imported by the tutor): the
worker becomes pid 1 of a pid namespace its own user namespace owns; each job
gets new user, mount, network, IPC and UTS namespaces, a private size-capped
``/tmp`` and ``/dev/shm``, and every other mount read-only.
"""
import ctypes
import os
import signal

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_BIND, MS_REC, MS_PRIVATE = 2, 4, 8, 4096, 16384, 1 << 18
MNT_DETACH = 2
SYS_USER = "/proc/sys/user"
PR_SET_PDEATHSIG, PR_SET_DUMPABLE = 1, 4
MS_REMOUNT, MS_RDONLY = 32, 1
LIBC = ctypes.CDLL(None, use_errno=True)
CONFIG = {}


def fail_setup(why):
    """The setup of a job failed: the job process never starts (exit status 121)."""
    try:
        os.write(2, f"setup: {why} (errno {ctypes.get_errno()})\n".encode())
    finally:
        os._exit(121)


def die_with_parent():
    LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def close_fds(keep):
    """Close every descriptor but ``keep`` (and 0, 1, 2): ranges between them, one close_range each."""
    low = 0
    for fd in sorted(set(keep) | {0, 1, 2}):
        if fd > low:
            os.closerange(low, fd)
        low = max(low, fd + 1)
    os.closerange(low, 0x7FFFFFFF)


def write_file(path, text):
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def mount(source, target, fstype, flags, data):
    def enc(s):
        return (s.encode() if isinstance(s, str) else s)
    return LIBC.mount(enc(source), enc(target), enc(fstype), flags, enc(data))


def private_mounts(limits):
    """A private /tmp and /dev/shm for this job (its own mount namespace; what lies under /tmp and
    must stay visible, the Python installation of a venv in /tmp say, is bound back)."""
    if mount(None, "/", None, MS_REC | MS_PRIVATE, None) != 0:
        fail_setup("cannot make the mounts private")
    keep = [p for p in CONFIG.get("keep_under_tmp", []) if os.path.exists(p)]
    stage = "/run/tutor-stage"
    if keep:
        if mount("tmpfs", stage, "tmpfs", MS_NOSUID | MS_NODEV, "size=4k,mode=700") != 0:
            fail_setup("cannot stage")
        for i, path in enumerate(keep):
            if os.path.isdir(path) and not os.path.islink(path):
                os.mkdir(f"{stage}/{i}")
            else:
                open(f"{stage}/{i}", "w").close()
            if mount(path, f"{stage}/{i}", None, MS_BIND | MS_REC, None) != 0:
                fail_setup("cannot stage " + path)
    size = f"size={int(limits['tmp_kb'])}k,nr_inodes={int(limits['tmp_inodes'])},mode=700"
    if mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, size) != 0:
        fail_setup("cannot mount a private /tmp")
    if os.path.isdir("/dev/shm") and mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                                           f"size={int(limits['shm_kb'])}k,nr_inodes=64,mode=700") != 0:
        fail_setup("cannot mount a private /dev/shm")
    for i, path in enumerate(keep):
        if os.path.isdir(f"{stage}/{i}"):
            os.makedirs(path, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            open(path, "a").close()
        if mount(f"{stage}/{i}", path, None, MS_BIND | MS_REC, None) != 0:
            fail_setup("cannot bind back " + path)
        # its top is a folder of the worker's /tmp (bubblewrap made it to hold the read-only binds below):
        # read-only too, so that nothing written there reaches a later job
        if mount(None, path, None, MS_REMOUNT | MS_BIND | readonly_flags(path), None) != 0:
            fail_setup("read-only " + path)
    if keep:
        LIBC.umount2(stage.encode(), MNT_DETACH)


def readonly_elsewhere():
    """Every mount but /tmp, /dev/shm and /proc read-only (bubblewrap's /dev is writable): None, or what
    failed.  The worker does this once in its own mount namespace; each job's copy of it keeps every mount
    locked read-only (a mount namespace copied into a less privileged user namespace)."""
    try:
        with open("/proc/self/mountinfo") as fh:
            points = [line.split()[4] for line in fh]
    except OSError:
        return "mountinfo"
    for point in points:
        if point in ("/tmp", "/dev/shm", "/proc") or point.startswith("/proc/"):
            continue
        try:
            if os.statvfs(point).f_flag & 1:       # ST_RDONLY already
                continue
            flags = readonly_flags(point)
        except OSError:
            continue
        if mount(None, point, None, MS_REMOUNT | MS_BIND | flags, None) != 0:
            return "read-only " + point
    return None


def write_maps():
    """Map our own uid and gid in a new user namespace (a non-dumpable process may not write its own maps
    when the grader is not root: dumpable for the few writes, then not again)."""
    LIBC.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)
    uid, gid = os.getuid(), os.getgid()
    write_file("/proc/self/setgroups", "deny")
    write_file("/proc/self/uid_map", f"{uid} {uid} 1")
    write_file("/proc/self/gid_map", f"{gid} {gid} 1")
    LIBC.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)


def enter_worker_namespaces():
    """Sandbox mode, once: the worker becomes pid 1 of a pid namespace its own user namespace owns, so
    that it may give each job a fresh pid namespace (setns back to its own, unshare, fork)."""
    if LIBC.unshare(CLONE_NEWUSER) != 0:
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWUSER)")
    write_maps()
    # a mount namespace of the worker's own, made read-only once for every job (each job copies it)
    if LIBC.unshare(CLONE_NEWNS) != 0 or mount(None, "/", None, MS_REC | MS_PRIVATE, None) != 0:
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNS)")
    why = readonly_elsewhere() or readonly_kernel_settings()
    if why:
        raise OSError(ctypes.get_errno(), why)
    if LIBC.unshare(CLONE_NEWPID) != 0:
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWPID)")
    pid = os.fork()
    if pid:                                # the outer process only waits: the worker is its child
        while True:
            try:
                _, status = os.waitpid(pid, 0)
                break
            except InterruptedError:
                continue
        os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)
    die_with_parent()
    CONFIG["pidns"] = os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)


# statvfs flag -> mount flag that a remount must keep (a locked mount refuses to lose them): nosuid, nodev,
# noexec, noatime, nodiratime, relatime (4096 as written before: MS_BIND, already in every remount here)
KEPT_FLAGS = {2: MS_NOSUID, 4: MS_NODEV, 8: MS_NOEXEC, 1024: 1024, 2048: 2048, 4096: 4096}


def readonly_flags(path):
    """The remount flags that make ``path``'s mount read-only and keep what it has (:data:`KEPT_FLAGS`)."""
    flags = os.statvfs(path).f_flag
    keep = MS_RDONLY
    for st, ms in KEPT_FLAGS.items():
        if flags & st:
            keep |= ms
    return keep


def readonly_kernel_settings():
    """/proc/sys and its kin read-only in every job's view, whoever the host thinks the job is: None, or
    what failed (done once, in the worker's mount namespace).  /proc/sys/user stays a writable mount of
    its own: each job sets its own user namespace's limits there, then makes it read-only."""
    if os.path.isdir(SYS_USER) and mount(SYS_USER, SYS_USER, None, MS_BIND, None) != 0:
        return "bind " + SYS_USER
    for path in ("/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus", "/proc/fs"):
        if not os.path.exists(path):
            continue
        if mount(path, path, None, MS_BIND | MS_REC, None) != 0:
            return "bind " + path
        if mount(None, path, None, MS_REMOUNT | MS_BIND | readonly_flags(path), None) != 0:
            return "read-only " + path
    return None


def enter_job_namespaces(limits):
    """The job's own user, mount, network, IPC and UTS namespaces (its pid namespace came with the fork);
    its mounts are the worker's, read-only, but for its private /tmp and /dev/shm."""
    if LIBC.unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS) != 0:
        fail_setup("unshare")
    write_maps()
    private_mounts(limits)
    try:                     # no further user namespaces below this one (what bwrap's --disable-userns does)
        write_file(SYS_USER + "/max_user_namespaces", "0")
    except OSError:
        pass
    if os.path.isdir(SYS_USER) and mount(None, SYS_USER, None, MS_REMOUNT | MS_BIND | readonly_flags(SYS_USER),
                                         None) != 0:
        fail_setup("read-only " + SYS_USER)
    LIBC.sethostname(b"sandbox", 7)
