"""Run one computation in a forked child with a deadline and a memory cap (what a person typed can ask
for a value with a billion digits: the answer is then a clear error, never a hang or an exhausted machine)."""
from __future__ import annotations

import os
import pickle
import resource
import select
import signal
from collections.abc import Callable
from typing import Any

from .errors import TutorError
from .i18n import _

MEMORY_BYTES = 1536 << 20          # above what the process already maps


class Overrun(TutorError):
    """The computation passed its time or memory budget."""


def bounded(work: Callable[[], Any], seconds: float, what: str, advice: str | None = None) -> Any:
    """``work()``'s result, computed in a fork; its TutorError raised here; past ``seconds`` or the memory
    cap an :class:`Overrun` naming ``what`` (and ``advice``, what to do instead, where the default one, a
    smaller point, is not it)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:                                    # pragma: no cover - the child
        try:
            os.close(read)
            _cap_memory()
            try:
                payload = ("ok", work())
            except TutorError as exc:
                payload = ("error", (exc.message, exc.code, exc.detail, exc.offset, exc.data))
            except MemoryError:
                payload = ("memory", None)
            except Exception as exc:                # a bug of the tutor's: said plainly, not lost
                payload = ("crash", f"{type(exc).__name__}: {exc}"[:500])
            data = pickle.dumps(payload)
            with os.fdopen(write, "wb") as fh:
                fh.write(data)
        finally:
            os._exit(0)
    os.close(write)
    chunks: list[bytes] = []
    deadline = _now() + seconds
    try:
        while True:
            left = deadline - _now()
            if left <= 0 or not select.select([read], [], [], left)[0]:
                cpu = _cpu_seconds(pid)
                if cpu is not None and cpu < seconds / 2:      # it hardly ran: others had the processors
                    raise Overrun(_("{what} did not finish within {s:.0f} s, but it got only {cpu:.1f} s of "
                                    "processor time: the machine is busy; try again").format(
                        what=what, s=seconds, cpu=cpu), code="limits.busy")
                if advice is not None:
                    raise Overrun(_("{what} did not finish within {s:.0f} s: {advice}").format(
                        what=what, s=seconds, advice=advice), code="limits.time")
                raise Overrun(_("{what} did not finish within {s:.0f} s (its values are probably too large to "
                                "compute): try a smaller point or a simpler expression").format(what=what, s=seconds),
                              code="limits.time")
            data = os.read(read, 1 << 20)
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(read)
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
        os.waitpid(pid, 0)
    if not chunks:
        raise Overrun(_("{what} needed more memory than allowed (its values are too large)").format(what=what),
                      code="limits.memory")
    kind, value = pickle.loads(b"".join(chunks))
    if kind == "error":
        message, code, detail, offset, data = value
        raise TutorError(message, code=code, detail=detail, offset=offset, data=data)
    if kind == "memory":
        raise Overrun(_("{what} needed more memory than allowed (its values are too large)").format(what=what),
                      code="limits.memory")
    if kind == "crash":
        raise TutorError(_("{what} failed inside the tutor ({error}); please report it").format(
            what=what, error=value), code="internal.error")
    return value


def _cpu_seconds(pid: int) -> float | None:
    """The processor time a running child has used (Linux /proc), None where it cannot be read."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _now() -> float:
    import time

    return time.monotonic()


def _cap_memory() -> None:
    try:
        with open("/proc/self/statm") as fh:
            mapped = int(fh.read().split()[0]) * resource.getpagesize()
        limit = mapped + MEMORY_BYTES
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (OSError, ValueError):
        pass
