"""What graders killed before they could clean up left behind, removed by the next grader."""
from __future__ import annotations

import tempfile
from pathlib import Path

_SWEPT: list[bool] = []


def sweep_stale() -> None:
    """What graders killed before they could clean up left: their launchers' folders and control groups
    (named after the grader's pid: removed only when that process is gone)."""
    import re

    from .cgroups import stale_groups

    if _SWEPT:
        return
    _SWEPT.append(True)
    tmp = Path(tempfile.gettempdir())
    for p in tmp.glob("tutor-stage-*"):
        m = re.match(r"tutor-stage-(\d+)-", p.name)
        if m and not Path(f"/proc/{m.group(1)}").exists():
            try:
                p.rmdir()
            except OSError:
                pass
    for group in stale_groups():
        try:
            group.rmdir()
        except OSError:
            pass
