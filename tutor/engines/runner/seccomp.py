"""A seccomp filter for the job process: the kernel interfaces honest code never needs, refused.

Beside the namespaces, bubblewrap's allow-list and the dropped capabilities,
this shrinks what a submission can ask of the kernel: no tracing or reading
other processes (``ptrace``, ``process_vm_readv``, ``pidfd_getfd``), no new
namespaces or mounts, no keyrings, BPF, perf, io_uring or userfaultfd, no
module or reboot calls, no ``setsid`` (each new session is a scheduling group of its own: thirty of them
would take thirty shares of the CPU from the job beside it), no ``TIOCSTI`` (typing into a terminal), and no
socket family beyond local and internet ones (``AF_VSOCK`` reaches a VM's
hypervisor whatever the network namespace).  The
program is classic BPF, built here and installed by the job process itself
(``prctl(PR_SET_SECCOMP)``) after its namespaces are set up.  On an
architecture not listed the job runs without it (and the isolation report
says so).
"""
from __future__ import annotations

import platform
import struct

ALLOW = 0x7FFF0000
ERRNO = 0x00050000
EPERM, ENOSYS = 1, 38
LD_ABS, JEQ, JGE, JSET, RET = 0x20, 0x15, 0x35, 0x45, 0x06
NS_FLAGS = 0x7E020080                  # CLONE_NEW{NS,CGROUP,UTS,IPC,USER,PID,NET,TIME}
TIOCSTI, TIOCLINUX = 0x5412, 0x541C
PERSONALITY_OK = (0, 8, 0xFFFFFFFF)    # PER_LINUX, PER_LINUX32, the query
# socket families a job may use: local ones and the internet ones (its own network namespace has only
# loopback); AF_VSOCK and the like reach past network namespaces, to the hypervisor of a VM
FAMILIES = (1, 2, 10, 16)              # AF_UNIX, AF_INET, AF_INET6, AF_NETLINK
EAFNOSUPPORT = 97

DENIED = ("ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd", "keyctl", "add_key",
          "request_key", "bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter",
          "io_uring_register", "mount", "umount2", "pivot_root", "chroot", "unshare", "setns", "fsopen",
          "fsconfig", "fsmount", "move_mount", "open_tree", "fspick", "mount_setattr", "kexec_load",
          "kexec_file_load", "init_module", "finit_module", "delete_module", "reboot", "swapon", "swapoff",
          "acct", "open_by_handle_at", "name_to_handle_at", "quotactl", "syslog", "lookup_dcookie", "vhangup",
          "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "setsid")

ARCHES = {
    "x86_64": (0xC000003E, {
        "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311, "kcmp": 312, "pidfd_getfd": 438,
        "keyctl": 250, "add_key": 248, "request_key": 249, "bpf": 321, "perf_event_open": 298,
        "userfaultfd": 323, "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
        "mount": 165, "umount2": 166, "pivot_root": 155, "chroot": 161, "unshare": 272, "setns": 308,
        "fsopen": 430, "fsconfig": 431, "fsmount": 432, "move_mount": 429, "open_tree": 428, "fspick": 433,
        "mount_setattr": 442, "kexec_load": 246, "kexec_file_load": 320, "init_module": 175,
        "finit_module": 313, "delete_module": 176, "reboot": 169, "swapon": 167, "swapoff": 168, "acct": 163,
        "open_by_handle_at": 304, "name_to_handle_at": 303, "quotactl": 179, "syslog": 103,
        "lookup_dcookie": 212, "vhangup": 153, "settimeofday": 164, "clock_settime": 227,
        "clock_adjtime": 305, "adjtimex": 159, "setsid": 112,
        "clone": 56, "clone3": 435, "ioctl": 16, "personality": 135, "socket": 41, "socketpair": 53}),
    "aarch64": (0xC00000B7, {
        "ptrace": 117, "process_vm_readv": 270, "process_vm_writev": 271, "kcmp": 272, "pidfd_getfd": 438,
        "keyctl": 219, "add_key": 217, "request_key": 218, "bpf": 280, "perf_event_open": 241,
        "userfaultfd": 282, "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
        "mount": 40, "umount2": 39, "pivot_root": 41, "chroot": 51, "unshare": 97, "setns": 268,
        "fsopen": 430, "fsconfig": 431, "fsmount": 432, "move_mount": 429, "open_tree": 428, "fspick": 433,
        "mount_setattr": 442, "kexec_load": 104, "kexec_file_load": 294, "init_module": 105,
        "finit_module": 273, "delete_module": 106, "reboot": 142, "swapon": 224, "swapoff": 225, "acct": 89,
        "open_by_handle_at": 265, "name_to_handle_at": 264, "quotactl": 60, "syslog": 116,
        "lookup_dcookie": 18, "vhangup": 58, "settimeofday": 170, "clock_settime": 112,
        "clock_adjtime": 266, "adjtimex": 171, "setsid": 157,
        "clone": 220, "clone3": 435, "ioctl": 29, "personality": 92, "socket": 198, "socketpair": 199}),
}
ARCHES["amd64"] = ARCHES["x86_64"]
ARCHES["arm64"] = ARCHES["aarch64"]


def _ins(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("<HBBI", code, jt, jf, k & 0xFFFFFFFF)


def program(machine: str | None = None) -> bytes | None:
    """The filter for this machine's architecture (None where the numbers are not known here)."""
    arch = ARCHES.get((machine or platform.machine()).lower())
    if arch is None:
        return None
    audit, nr = arch
    deny = _ins(RET, ERRNO | EPERM)
    out = [_ins(LD_ABS, 4), _ins(JEQ, audit, 1, 0), deny,      # another ABI (i386 on x86_64): refused
           _ins(LD_ABS, 0)]
    if audit == 0xC000003E:
        out += [_ins(JGE, 0x40000000, 0, 1), deny]               # the x32 ABI: refused
    for name in DENIED:
        out += [_ins(JEQ, nr[name], 0, 1), deny]
    out += [_ins(JEQ, nr["clone3"], 0, 1), _ins(RET, ERRNO | ENOSYS)]   # the C library falls back to clone
    out += [_ins(JEQ, nr["socket"], 1, 0), _ins(JEQ, nr["socketpair"], 0, 2 + 2 * len(FAMILIES)), _ins(LD_ABS, 16)]
    for family in FAMILIES:
        out += [_ins(JEQ, family, 0, 1), _ins(RET, ALLOW)]
    out += [_ins(RET, ERRNO | EAFNOSUPPORT)]
    # clone with a namespace flag; ioctl TIOCSTI/TIOCLINUX; personality other than the usual ones
    out += [_ins(JEQ, nr["clone"], 0, 4), _ins(LD_ABS, 16), _ins(JSET, NS_FLAGS, 0, 1), deny, _ins(RET, ALLOW)]
    out += [_ins(JEQ, nr["ioctl"], 0, 5), _ins(LD_ABS, 24), _ins(JEQ, TIOCSTI, 1, 0),
            _ins(JEQ, TIOCLINUX, 0, 1), deny, _ins(RET, ALLOW)]
    out += [_ins(JEQ, nr["personality"], 0, 1 + 2 * len(PERSONALITY_OK) + 1), _ins(LD_ABS, 16)]
    for value in PERSONALITY_OK:
        out += [_ins(JEQ, value, 0, 1), _ins(RET, ALLOW)]
    out += [deny, _ins(RET, ALLOW)]
    return b"".join(out)


def program_hex() -> str | None:
    prog = program()
    return prog.hex() if prog else None
