"""Grading: code submissions in a sandbox and completed notebooks, with misconception feedback.

* :mod:`.submissions` finds the files, :mod:`.code` grades code in the
  sandbox (:mod:`.sandbox`), :mod:`.notebooks` grades typed answers;
* :mod:`.results` types what comes out, :mod:`.reports` renders it in every format;
* :mod:`.trace` watches a training loop; :mod:`.export` packs the grader for Gradescope.
"""
from __future__ import annotations

from .code import grade_paths
from .notebooks import grade_notebooks
from .reports import FORMATS, atomic_write, render, summary_lines
from .results import GradingReport, SubmissionResult, TestResult

__all__ = ["FORMATS", "GradingReport", "SubmissionResult", "TestResult", "atomic_write", "grade_notebooks",
           "grade_paths", "render", "summary_lines"]
