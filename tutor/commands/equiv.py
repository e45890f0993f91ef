"""``tutor equiv``: is ANSWER equal to REFERENCE for every real value?"""
from __future__ import annotations

import json

from ..foundation.errors import TutorError
from ..foundation.i18n import _
from ..foundation.outcome import Outcome, invalid
from ..foundation.term import style


def main(*, reference: str, answer: str, variables: str | None = None, timeout: float = 3.0,
         as_json: bool = False, color: bool = False) -> Outcome:
    """Exit status: 0 equivalent, 1 not equivalent, 2 invalid input, 3 undecided."""
    from ..engines.equivalence import EQUIVALENT, NOT_EQUIVALENT, check
    from ..foundation.text import typed

    reference, answer = typed(reference), typed(answer)         # full-width input read as meant
    names = None if variables is None else typed(variables).split(",")
    try:
        verdict = check(reference, answer, names, timeout=timeout)
    except TutorError as exc:
        return invalid(exc, as_json)
    if as_json:
        return Outcome(stdout=json.dumps(verdict.to_json()), exit_code=verdict.exit_code)
    word = {EQUIVALENT: (_("equivalent"), "green"), NOT_EQUIVALENT: (_("not equivalent"), "red")}.get(
        verdict.verdict, (_("undecided"), "yellow"))
    text = _("{verdict}: {reason}").format(verdict=style(word[0], word[1], "bold", enabled=color),
                                          reason=verdict.reason)
    return Outcome(stdout=text, exit_code=verdict.exit_code)
