"""The probe: the tutor's own code, run as a submission is, reporting what a job can reach.

Sent with ``_job.py`` (never imported by the tutor); the parent decides from
its report (:mod:`.isolation`).
"""
import ctypes
import os
import resource


def _try(action):
    try:
        result = action()
        return "ok" if result is None else {"entries": result}
    except OSError as exc:
        import errno
        return errno.errorcode.get(exc.errno or 0, "error")
    except Exception as exc:
        return type(exc).__name__


def do_probe(job, channel, limits):
    """Trusted code, run exactly as a submission is, reporting what it can reach (the parent decides)."""
    import socket

    def listing(path):
        if os.path.isdir(path):
            return sorted(os.listdir(path))[:500]
        with open(path, "rb") as fh:
            fh.read(1)
        return None

    def create(folder):
        """A file, a folder, a link or a pipe made in ``folder``: any one of them is a write (a rule on writes
        alone, such as a Landlock set that handles only them, would let the others through)."""
        base = os.path.join(folder, job["token"])
        refused = []
        for suffix, make in (("", lambda p: os.close(os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))),
                             (".d", os.mkdir), (".l", lambda p: os.symlink("/", p)), (".p", os.mkfifo)):
            try:
                make(base + suffix)
            except OSError as exc:
                refused.append(exc)
                continue
            return None
        raise refused[0]

    def tcp(port):
        s = socket.create_connection(("127.0.0.1", port), timeout=1)
        s.close()

    def unix(path):
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(1)
        s.connect(path)
        s.close()

    def new_userns():
        pid = os.fork()
        if pid == 0:
            libc = ctypes.CDLL(None, use_errno=True)
            os._exit(0 if libc.unshare(0x10000000) == 0 else 1)
        _, status = os.waitpid(pid, 0)
        if os.WEXITSTATUS(status) != 0:
            raise PermissionError(1, "refused")

    def _processes():
        try:
            return sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
        except OSError:
            return []

    mounts = []
    try:
        with open("/proc/self/mountinfo") as fh:
            mounts = sorted({line.split()[4] for line in fh})
    except OSError:
        pass
    status = {}
    try:
        with open("/proc/self/status") as fh:
            status = dict(line.rstrip("\n").split(":\t", 1) for line in fh if ":\t" in line)
    except OSError:
        pass
    obs = {
        "pid": os.getpid(), "uid": os.getuid(), "gid": os.getgid(),
        "processes": _processes(),
        "other_process_entries": _try(lambda: open("/proc/1/status").close()),
        "environment": sorted(os.environ),
        "fds": sorted(int(fd) for fd in os.listdir("/proc/self/fd")),
        "read": {p: _try(lambda p=p: listing(p)) for p in job.get("read", [])},
        "create": {p: _try(lambda p=p: create(p)) for p in job.get("create", [])},
        "writable_mounts": [m for m in mounts if m not in ("/proc",) and _try(lambda m=m: create(m)) == "ok"],
        "found": [p for p in job.get("look_for", []) if os.path.exists(p)],
        "needed": {p: _try(lambda p=p: listing(p)) for p in job.get("needed", [])},
        "tcp": {str(port): _try(lambda port=port: tcp(port)) for port in job.get("tcp", [])},
        "unix": {p: _try(lambda p=p: unix(p)) for p in job.get("unix", [])},
        "new_user_namespace": _try(new_userns),
        "socket_families": {str(f): _try(lambda f=f: socket.socket(f, socket.SOCK_STREAM).close())
                            for f in (40, 17, 44, 5)},     # AF_VSOCK, AF_PACKET, AF_XDP, AF_APPLETALK
        "kernel_settings": {p: _try(lambda p=p: os.close(os.open(p, os.O_WRONLY)))
                            for p in ("/proc/sys/kernel/core_pattern", "/proc/sys/vm/drop_caches",
                                      "/proc/sysrq-trigger")},
        "capabilities": status.get("CapEff", "?").strip(),
        "no_new_privs": status.get("NoNewPrivs", "?").strip(),
        "seccomp": status.get("Seccomp", "?").strip(),
        "limits": {name: resource.getrlimit(getattr(resource, name))[0]
                   for name in ("RLIMIT_AS", "RLIMIT_CPU", "RLIMIT_NPROC", "RLIMIT_FSIZE", "RLIMIT_NOFILE")},
        "hostname": os.uname().nodename,
    }
    channel.emit({"t": "result", "probe": obs})
