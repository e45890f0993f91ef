"""What a job sent back, read against a strict schema: every value checked, nothing trusted, nothing raised.

A learner's function returns a finite number or a flat list of finite
numbers (torch tensors and numpy values become those inside the job).
Anything else is described in words for the feedback (a list of True/False
values, a string, a dict, a nested list ...), and every text the job sends
(error messages, what it printed) is cut to size and stripped of control
characters before anyone shows it.
"""
from __future__ import annotations

import math
import re
from typing import Any

from ...foundation.text import clean
from .worker import Run

MAX_VECTOR = 10_000
MAX_ERROR = 300
MAX_PROGRAM_ERROR = 2000      # torch's own messages, compared word for word (one is over 300 characters)
NONFINITE = ("nan", "inf", "-inf")
Outcome = dict[str, Any]


def describe(value: object) -> str | None:
    """None for an acceptable value, else what it is, in words (for "returned ..., not a number")."""
    if isinstance(value, bool):
        return f"{value}"
    if isinstance(value, (int, float)):
        return None if _finite(value) else "a number that is not finite (or too large)"
    if value is None:
        return "None"
    if isinstance(value, list):
        if len(value) > MAX_VECTOR:
            return f"a list of {len(value)} values (too long)"
        if any(isinstance(x, list) for x in value):
            return "a nested list"
        if value and all(isinstance(x, bool) for x in value):
            return "a list of True/False values"
        if any(x is None for x in value):
            return "a list holding None"
        if any(isinstance(x, (dict, str, bool)) or not isinstance(x, (int, float)) for x in value):
            return "a list of values that are not all numbers"
        if not all(_finite(x) for x in value):
            return "a list holding a value that is not finite (or too large)"
        return None
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "a dict"
    return "a value that is not a number"


def _finite(x: float) -> bool:
    try:
        return math.isfinite(x)
    except OverflowError:                 # an int beyond any float
        return False


def _name(text: object) -> str:
    """A type name the job reported, made safe to show."""
    name = re.sub(r"[^A-Za-z0-9_. ]", "", str(text))[:40]
    return name or "an unknown type"


def call_outcome(entry: object) -> Outcome:
    """One call's outcome: {"value": float | [floats]} | {"error": text} | {"unusable": what}; with
    "autograd": how many backward() or autograd.grad() calls on a graph it made, when counted."""
    out = _call_outcome(entry)
    if isinstance(entry, dict) and "autograd" in entry:
        count = entry["autograd"]
        out["autograd"] = count if isinstance(count, int) and not isinstance(count, bool) and count >= 0 else 0
    return out


def _call_outcome(entry: object) -> Outcome:
    if not isinstance(entry, dict):
        return {"unusable": "an unreadable answer"}
    if "error" in entry:
        return {"error": clean(entry["error"], MAX_ERROR)}
    if "refused" in entry:
        what = _name(entry["refused"])
        return {"unusable": f"a value of type {what}"}
    if "nonfinite" in entry:
        return {"unusable": f"{_name(entry['nonfinite'])} (not a finite number)"}
    if "value" not in entry:
        return {"unusable": "an unreadable answer"}
    value = entry["value"]
    why = describe(value)
    if why is not None:
        return {"unusable": why}
    if isinstance(value, list):
        return {"value": [float(x) for x in value]}
    return {"value": float(value)}


def failure(run: Run, wall: float) -> Outcome | None:
    """Why no call can be graded (None when there are results to read)."""
    if run.status == "timeout":
        return {"failure": "timeout", "seconds": wall}
    if run.status == "worker-failed":
        return {"failure": "grader-error"}
    if run.problem == "too-much-output":
        return {"failure": "too-much-output"}
    result = run.result
    if result is None:
        return {"failure": "unreadable" if run.problem else "no-result", "exit": run.exit}
    if "load_error" in result:
        return {"failure": "load", "error": clean(result["load_error"], MAX_ERROR)}
    if "runner_error" in result:
        return {"failure": "no-result", "exit": run.exit}
    return None


def call_outcomes(run: Run, calls: int, wall: float) -> list[Outcome]:
    """Exactly ``calls`` outcomes, whatever the job sent."""
    why = failure(run, wall)
    if why is None:
        results = run.result.get("results") if run.result else None
        if not isinstance(results, list) or len(results) != calls:
            why = {"failure": "unreadable", "exit": run.exit}
        else:
            return [call_outcome(r) for r in results]
    return [dict(why) for _ in range(calls)]


def printed(run: Run, limit: int = 4000) -> str:
    """What the job printed (capped, cleaned), for the feedback."""
    result = run.result
    return clean(result.get("output", ""), limit) if isinstance(result, dict) else ""


def _finite_or_named(values: list[Any]) -> list[float] | None:
    out = []
    for x in values:
        if isinstance(x, str) and x in NONFINITE:
            out.append(float(x))
        elif isinstance(x, (int, float)) and not isinstance(x, bool):
            try:
                out.append(float(x))
            except OverflowError:
                return None
        else:
            return None
    return out


def program_answer(entry: object) -> Outcome:
    """One value a rendered program was asked for, checked: {"kind": number | none | bool | error | graph, ...};
    anything else is {"kind": "unreadable"}."""
    bad: Outcome = {"kind": "unreadable"}
    if not isinstance(entry, dict):
        return bad
    kind = entry.get("kind")
    if kind == "none":
        return {"kind": "none"}
    if kind == "bool":
        flag = entry.get("flag")
        return {"kind": "bool", "flag": flag} if isinstance(flag, bool) else bad
    if kind == "error":
        name, message = entry.get("type"), entry.get("message")
        if not isinstance(name, str) or not isinstance(message, str):
            return bad
        return {"kind": "error", "type": _name(name), "message": clean(message, MAX_PROGRAM_ERROR)}
    if kind == "graph":
        leaf, requires, fn = entry.get("is_leaf"), entry.get("requires_grad"), entry.get("grad_fn")
        if not isinstance(leaf, bool) or not isinstance(requires, bool) or not (fn is None or isinstance(fn, str)):
            return bad
        return {"kind": "graph", "is_leaf": leaf, "requires_grad": requires,
                "grad_fn": None if fn is None else _name(fn)}
    if kind == "number":
        values, vector = entry.get("values"), entry.get("vector")
        if not isinstance(vector, bool) or not isinstance(values, list) or len(values) > MAX_VECTOR \
                or (not vector and len(values) != 1):
            return bad
        floats = _finite_or_named(values)
        return bad if floats is None else {"kind": "number", "values": floats, "vector": vector}
    return bad


def program_answers(run: Run, asks: list[int], wall: float) -> list[list[Outcome]]:
    """Exactly ``asks[i]`` checked values for program i, whatever the job sent (on a failed run, every one is
    {"kind": "unreadable", "failure": why})."""
    why = failure(run, wall)
    results = run.result.get("results") if why is None and run.result else None
    if why is None and (not isinstance(results, list) or len(results) != len(asks)
                        or any(not isinstance(r, list) or len(r) != n for r, n in zip(results, asks))):
        why = {"failure": "unreadable", "exit": run.exit}
    if why is not None or results is None:
        return [[{"kind": "unreadable", "failure": why} for _a in range(n)] for n in asks]
    return [[program_answer(entry) for entry in answers] for answers in results]
