"""Run a learner's code exercise in a separate Python process and read back plain numbers.

The child imports the file, calls the named function with keyword arguments
chosen by the parent and writes the result as JSON numbers on a private pipe
(a file descriptor the parent passes), never pickle.  Its exit code and printed output decide
nothing.  (The sandboxed grader of ``tutor grade`` builds on this.)
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

RUNNER = r'''
import importlib.util, json, math, os, sys
req = json.loads(sys.stdin.read())
out = os.fdopen(req["fd"], "w")
def plain(v):
    try:
        import torch
        if isinstance(v, torch.Tensor):
            v = v.detach().tolist()
    except ImportError:
        pass
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    raise TypeError("the function returned %s, not numbers" % type(v).__name__)
results = []
try:
    spec = importlib.util.spec_from_file_location("submission", req["path"])
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    fn = getattr(mod, req["function"])
except BaseException as exc:
    out.write(json.dumps({"load_error": "%s: %s" % (type(exc).__name__, str(exc).splitlines()[0] if str(exc) else "")}))
    out.flush(); os._exit(0)
for args in req["calls"]:
    try:
        results.append({"value": plain(fn(**args))})
    except BaseException as exc:
        results.append({"error": "%s: %s" % (type(exc).__name__, str(exc).splitlines()[0] if str(exc) else "")})
out.write(json.dumps({"results": results}))
out.flush()
os._exit(0)
'''


def run_function(path: str | Path, function: str, calls: list[dict[str, Any]],
                 timeout: float = 60.0) -> list[dict[str, Any]]:
    """[{"value": ...} | {"error": "..."}] per call.

    If the run fails as a whole, every entry is ``{"failure": why, ...}``: ``timeout`` (with ``seconds``),
    ``load`` (with ``error``, the file's own exception) or ``no-result``.
    """
    read_fd, write_fd = os.pipe()
    request = json.dumps({"path": str(path), "function": function, "calls": calls, "fd": write_fd})
    try:
        proc = subprocess.Popen([sys.executable, "-I", "-c", RUNNER], stdin=subprocess.PIPE,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                pass_fds=(write_fd,))
    finally:
        os.close(write_fd)
    failure: dict[str, Any] | None = None
    try:
        proc.communicate(request.encode(), timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        failure = {"failure": "timeout", "seconds": timeout}
    with os.fdopen(read_fd, "rb") as fh:
        raw = fh.read(1_000_000)
    if failure is None:
        try:
            data = json.loads(raw.decode() or "{}")
        except ValueError:
            data = {}
        if "load_error" in data:
            failure = {"failure": "load", "error": data["load_error"]}
        elif isinstance(data.get("results"), list) and len(data["results"]) == len(calls):
            results: list[dict[str, Any]] = data["results"]
            return results
        else:
            failure = {"failure": "no-result"}
    return [dict(failure or {}) for _c in calls]
