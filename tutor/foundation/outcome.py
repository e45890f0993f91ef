"""What a command returns: text for stdout and stderr, an exit status, and the error code if it failed."""
from __future__ import annotations

import json
from dataclasses import dataclass

from .errors import TutorError
from .i18n import _

EXIT_OK = 0
EXIT_FAIL = 1            # the command ran and found a problem (disagreement, not equivalent, bad bank ...)
EXIT_INVALID = 2         # invalid input: nothing was done
EXIT_UNDECIDED = 3       # tutor equiv could not decide
EXIT_INTERRUPTED = 130   # Ctrl-C


@dataclass
class Outcome:
    stdout: str = ""
    stderr: str = ""
    exit_code: int = EXIT_OK
    code: str | None = None      # the machine-readable error code when the command failed on invalid input


def invalid(exc: TutorError, as_json: bool = False, notes: tuple[str, ...] = ()) -> Outcome:
    """Exit status 2 with ``error: ...`` on stderr (and ``{"error", "code"}`` on stdout with --json)."""
    reason = exc.one_line()
    out = json.dumps(exc.to_json(), ensure_ascii=False) if as_json else ""
    err = "\n".join([*notes, _("error: {reason}").format(reason=reason)])
    return Outcome(stdout=out, stderr=err, exit_code=EXIT_INVALID, code=exc.code)
