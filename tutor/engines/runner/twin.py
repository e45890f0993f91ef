"""A worker forked from a warm one: one torch import serves every core (see :meth:`.worker.Worker.twin`)."""
from __future__ import annotations

import os
import select
import signal
import socket
import threading
from typing import Any

from .worker import Worker, WorkerError, control_message


class Twin(Worker):
    """A worker forked from a warm one (see :meth:`Worker.twin`): the same protocol on its own socket."""

    def __init__(self, origin: Worker, ctrl: socket.socket):
        self.mode, self.limits, self.start_timeout = origin.mode, origin.limits, origin.start_timeout
        self.origin = origin
        self.lock = threading.Lock()
        self.ready = None
        self.stage = None
        self.warmed, self.pending_warm, self.compact = origin.warmed, False, origin.compact
        self.loaded = set(origin.loaded)
        self.ctrl = ctrl
        self.cap = None
        self.pidfd: int | None = None
        msg, pid = self._recv_ready(origin.start_timeout)
        ctrl.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 0)     # passed descriptors only, from now on
        if msg is None or msg.get("op") != "ready" or pid is None:
            self.close()
            raise WorkerError("the worker's twin did not start")
        self.ready = msg
        try:
            self.pidfd = os.pidfd_open(pid)
        except OSError as exc:
            self.close()
            raise WorkerError(f"the worker's twin is gone: {exc}") from exc
        if origin.cap is not None:          # root: a control group of its own (a job's memory and processes)
            from .cgroups import Cap

            self.cap = Cap((self.limits.memory_mb + 1536) << 20, self.limits.processes + 64)
            self.cap.attach(pid)

    def _recv_ready(self, timeout: float) -> tuple[dict[str, Any] | None, int | None]:
        """The twin's first message and its pid as the kernel gives it (never what the message says)."""
        import struct

        if not select.select([self.ctrl], [], [], timeout)[0]:
            return None, None
        size = struct.calcsize("3i")
        data, ancillary, _flags, _addr = self.ctrl.recvmsg(65536, socket.CMSG_SPACE(size))
        pid = None
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS and len(payload) >= size:
                pid = struct.unpack("3i", payload[:size])[0]
        return control_message(data), pid

    def _death_note(self) -> str:
        self._end()
        return self.origin._death_note() if not self.origin.alive else ""

    def _end(self) -> None:
        if self.pidfd is not None:
            try:
                signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
            except OSError:
                pass

    def host_uid(self) -> int | None:
        return self.origin.host_uid()

    @property
    def alive(self) -> bool:
        if self.pidfd is None or not self.origin.alive:
            return False
        return not select.select([self.pidfd], [], [], 0)[0]

    def close(self) -> None:
        try:
            self.ctrl.send(b'{"op": "exit"}')
        except OSError:
            pass
        if self.pidfd is not None:
            if not select.select([self.pidfd], [], [], 2.0)[0]:
                self._end()
                select.select([self.pidfd], [], [], 2.0)
            os.close(self.pidfd)
            self.pidfd = None
        self.ctrl.close()
        if self.cap is not None:
            self.cap.remove()
