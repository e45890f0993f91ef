"""Container mode, outside any sandbox: each job a fresh folder and a uid of its own, and after it, what
that uid left removed (processes, files in the folders everyone may write, System V IPC).

Sent with :mod:`._worker` (never imported by the tutor).
"""
import ctypes
import os
import signal
import time


def job_folder():
    """Outside the sandbox (container and trusted modes): a fresh working folder for the next job, and in
    container mode a uid of its own (nothing of one job is left for the next to find)."""
    import tempfile
    CONFIG["jobs"] = CONFIG.get("jobs", 0) + 1
    CONFIG["work"] = tempfile.mkdtemp(prefix="tutor-job-")
    if CONFIG["mode"] == "container":
        CONFIG["job_uid"] = CONFIG["uid"] + CONFIG["jobs"] % 1_000_000
        os.chown(CONFIG["work"], CONFIG["job_uid"], CONFIG["job_uid"])


def clean_after_job():
    """Remove the job's folder; in container mode end its uid's processes and remove what it left in
    the folders everyone may write."""
    import shutil
    if CONFIG["mode"] == "container":
        uid = CONFIG["job_uid"]
        kill_uid(uid)
        for shared in ("/tmp", "/var/tmp", "/dev/shm", "/run/lock"):
            remove_owned(shared, uid, 3)
        remove_ipc(uid)
    shutil.rmtree(CONFIG.pop("work"), ignore_errors=True)


def remove_ipc(uid):
    """System V shared memory, semaphores and message queues the job's uid left (IPC_RMID)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for kind, call in (("shm", libc.shmctl), ("sem", libc.semctl), ("msg", libc.msgctl)):
        try:
            with open("/proc/sysvipc/" + kind) as fh:
                lines = fh.read().splitlines()
        except OSError:
            continue
        head = lines[0].split() if lines else []
        for line in lines[1:]:
            row = dict(zip(head, line.split()))
            if row.get("uid") == str(uid) or row.get("cuid") == str(uid):
                if kind == "sem":
                    call(int(row["semid"]), 0, 0, None)          # IPC_RMID = 0
                else:
                    call(int(row["shmid" if kind == "shm" else "msqid"]), 0, None)


def remove_owned(folder, uid, depth):
    """Everything owned by ``uid`` under ``folder`` (links not followed)."""
    import shutil
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if info.st_uid == uid:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                try:
                    os.unlink(entry.path)
                except OSError:
                    pass
        elif depth > 1 and entry.is_dir(follow_symlinks=False):
            remove_owned(entry.path, uid, depth - 1)


def kill_uid(uid):
    """Container mode: end every process of the job's uid (nothing else runs as it)."""
    for _round in range(100):
        found = False
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open(f"/proc/{name}/status") as fh:
                    owner = [line.split()[1:3] for line in fh if line.startswith("Uid:")][0]
            except (OSError, IndexError):
                continue
            if str(uid) in owner:
                found = True
                try:
                    os.kill(int(name), signal.SIGKILL)
                except OSError:
                    pass
        if not found:
            return
        time.sleep(0.01)
