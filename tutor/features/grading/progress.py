"""The progress log of a batch: finished grades appended and fsynced as they come, read back to resume.

The first line records how the batch was graded (isolation, the inputs' policy and seed, the limits, a hash
of the exercises and of the manifest); a batch graded otherwise does not trust it: the log is set aside and
everything is graded again.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...bank import Exercise
from .results import SubmissionResult

if TYPE_CHECKING:
    from .code import Inputs


def append(log: Any, record: dict[str, Any]) -> None:
    log.write(json.dumps(record) + "\n")
    log.flush()
    os.fsync(log.fileno())


def settings_of(inputs: Inputs, timeout: float, exercises: Sequence[Exercise],
              manifest_digest: str | None = None, plan: Any = None) -> dict[str, Any]:
    """What a resumed batch must share with the interrupted one for its grades to stand: the inputs (for a
    secret, a keyed fingerprint of it, never the secret), the limits, the exercises, the manifest, and what
    the assignment runs (tests per exercise, autograd; points and visibility are applied afterwards)."""
    bank_hash = hashlib.sha256(json.dumps(sorted((e.id, e.data) for e in {e.id: e for e in exercises}.values()),
                                          sort_keys=True, default=str).encode()).hexdigest()[:16]
    secret = hmac.new(inputs.secret, b"tutor-progress-log", hashlib.sha256).hexdigest()[:16] \
        if inputs.policy == "per-student" else None
    runs = sorted([i.exercise, i.tests, i.autograd] for i in plan.items) if plan is not None else None
    out = {"inputs": inputs.policy, "seed": inputs.seed if inputs.policy == "fixed" else None, "secret": secret,
           "timeout": timeout, "exercises": bank_hash, "assignment": runs}
    if manifest_digest is not None:
        out["manifest"] = manifest_digest   # (the manifest is read once, by the notebook grader)
    return out


def resumed(progress_file: Path | None, settings: dict[str, Any],
             inputs: Inputs) -> tuple[dict[str, Any] | None, dict[str, SubmissionResult], Inputs]:
    """The isolation and the grades an interrupted batch already wrote to its progress log, when it was
    graded the same way (same inputs, limits and exercises; a per-run batch resumes with its own seed);
    otherwise the log is set aside and everything is graded again."""
    done: dict[str, SubmissionResult] = {}
    isolation = None
    if not (progress_file and Path(progress_file).is_file()):
        return isolation, done, inputs
    lines = Path(progress_file).read_text(encoding="utf-8", errors="replace").splitlines()
    try:
        head = json.loads(lines[0]) if lines else {}
    except ValueError:
        head = {}
    if not isinstance(head, dict) or head.get("settings") != settings:
        os.replace(progress_file, str(progress_file) + ".old")      # kept, not trusted: graded again
        return isolation, done, inputs
    isolation = head.get("isolation")
    if inputs.policy == "per-run" and isinstance(head.get("run_seed"), int):
        inputs = type(inputs)("per-run", seed=head["run_seed"])
    for line in lines[1:]:
        try:
            rec = json.loads(line)
            done[rec["key"]] = SubmissionResult.from_json(rec["result"])
        except (ValueError, KeyError, TypeError, AttributeError):
            continue               # a torn last line from a kill: that submission runs again
    return isolation, done, inputs
