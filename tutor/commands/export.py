"""``tutor export gradescope``: the autograder zip."""
from __future__ import annotations

from ..features.grading.export import build_autograder
from ..foundation.errors import TutorError
from ..foundation.i18n import _
from ..foundation.outcome import Outcome, invalid


def gradescope(*, output: str = "autograder.zip", directory: str | None = None, timeout: float = 20.0,
               assignment: str | None = None) -> Outcome:
    """Exit status: 0 written, 2 the bank or the assignment is invalid."""
    from pathlib import Path

    try:
        if Path(output).is_dir():
            raise TutorError(_("{path} is a folder; -o takes a file name").format(path=output),
                             code="export.output-is-folder")
        exercises = build_autograder(output, directory, timeout=timeout, assignment=assignment)
    except TutorError as exc:
        return invalid(exc)
    except OSError as exc:
        return invalid(TutorError(f"{exc.filename}: {exc.strerror}", code="export.io"))
    code = sum(1 for ex in exercises if ex.handler.runs_code)
    return Outcome(stdout=_("wrote {path}: setup.sh, run_autograder, requirements.txt, the assignment, the tutor "
                            "package and {n} exercises ({code} code). Upload it as the autograder of a Gradescope "
                            "programming assignment; students submit the files the assignment names.").format(
        path=output, n=len(exercises), code=code))
