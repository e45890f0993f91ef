"""Grading: code submissions in a sandbox and completed notebooks, with misconception feedback.

* :mod:`.submissions` finds the files, :mod:`.code` grades code in the
  sandbox (:mod:`.sandbox`), :mod:`.notebooks` grades completed notebook
  sheets whole against their manifest (typed answers, and code cells in the sandbox);
* :mod:`.results` types what comes out, :mod:`.reports` renders it in every format;
* :mod:`.trace` watches a training loop; :mod:`.export` packs the grader for Gradescope.
"""
from __future__ import annotations

from .code import grade_paths
from .reports import FORMATS, atomic_write, render, summary_lines
from .results import GradingReport, SubmissionResult, TestResult

__all__ = ["FORMATS", "GradingReport", "SubmissionResult", "TestResult", "atomic_write", "grade_paths", "render",
           "summary_lines"]
