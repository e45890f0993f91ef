"""Grading: code submissions in a sandbox and completed notebooks, with misconception feedback.

* :mod:`.submissions` finds the files, :mod:`.sandbox_pool` starts the sandbox's
  workers, :mod:`.references` draws the exact references, :mod:`.code` grades code in
  the sandbox, :mod:`.notebooks` grades completed notebook
  sheets whole against their manifest (typed answers, and code cells in the sandbox);
* :mod:`.results` types what comes out, :mod:`.reports` renders it in every format;
* :mod:`.trace` watches a training loop; :mod:`.export` packs the grader for Gradescope.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .code import grade_paths
    from .reports import FORMATS, atomic_write, render, summary_lines
    from .results import GradingReport, SubmissionResult, TestResult

# loaded on first use: `tutor grade` starts the sandbox (.sandbox_pool) before the grader, the bank and sympy load
_WHERE = {"grade_paths": "code", "FORMATS": "reports", "atomic_write": "reports", "render": "reports",
          "summary_lines": "reports", "GradingReport": "results", "SubmissionResult": "results",
          "TestResult": "results"}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    globals()[name] = value
    return value


__all__ = ["FORMATS", "GradingReport", "SubmissionResult", "TestResult", "atomic_write", "grade_paths", "render",
           "summary_lines"]
