"""``tutor check``: validate and verify a bank; exit 1 with file and reason on any failure."""
from __future__ import annotations

import json

from ..features.check import Progress, check_bank
from ..foundation.i18n import _, ngettext
from ..foundation.outcome import EXIT_FAIL, EXIT_OK, Outcome
from ..foundation.term import style


def main(*, directory: str | None = None, seeds: int = 5, solutions: str | None = None, as_json: bool = False,
         color: bool = False, progress: Progress | None = None) -> Outcome:
    report = check_bank(directory, seeds=seeds, solutions=solutions, progress=progress)
    code = EXIT_OK if report.ok else EXIT_FAIL
    if as_json:
        return Outcome(stdout=json.dumps(report.to_json(), indent=2), exit_code=code)
    lines = [style("✗ ", "red", enabled=color) + p.line() for p in report.problems]
    lines += [style("! ", "yellow", enabled=color) + note for note in report.notes]
    rate = report.variants / report.seconds if report.seconds else 0.0
    summary = _("{n} exercises, {v} variants verified in {s:.1f} s ({r:.1f} variants/s)").format(
        n=report.exercises, v=report.variants, s=report.seconds, r=rate)
    if report.ok:
        lines.append(style("✓ ", "green", enabled=color) + summary)
    else:
        count = len(report.problems)
        lines.append(style(ngettext("{p} problem; ", "{p} problems; ", count).format(p=count), "red", enabled=color)
                     + summary)
    return Outcome(stdout="\n".join(lines), exit_code=code)
