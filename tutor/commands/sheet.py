"""``tutor sheet``: exercise sheets, answer keys and manifests."""
from __future__ import annotations

from collections.abc import Sequence

from ..features.sheets.pdf import PdfError
from ..features.sheets.write import write_sheets
from ..foundation.errors import TutorError
from ..foundation.i18n import _
from ..foundation.outcome import EXIT_FAIL, EXIT_INVALID, EXIT_OK, Outcome, invalid
from ..foundation.text import clean


def main(*, directory: str | None = None, topics: Sequence[str] = (), ids: Sequence[str] = (),
         kinds: Sequence[str] = (), count: int | None = None, seed: int | None = None, fmt: str | None = None,
         output: str | None = None, answers: str | None = None, students: str | None = None,
         manifest: str | None = None, title: str = "", secret: str | None = None,
         self_check: bool = False) -> Outcome:
    """Exit status: 0 done, 1 the PDF could not be compiled, 2 invalid input (``error: ...`` on stderr).

    Without ``output`` the sheet is the Outcome's stdout; with it, stdout lists the files written.
    """
    notes: list[str] = []
    try:
        done = write_sheets(directory, topics=topics, ids=ids, kinds=kinds, count=count, seed=seed, fmt=fmt,
                            output=output, answers=answers, students=students, manifest=manifest, title=title,
                            secret=secret, notes=notes, self_check=self_check)
    except PdfError as exc:
        failed = invalid(exc, notes=tuple(notes))
        failed.exit_code = EXIT_FAIL
        return failed
    except TutorError as exc:
        return invalid(exc, notes=tuple(notes))
    except OSError as exc:
        reason = f"{exc.filename}: {exc.strerror}" if exc.filename else str(exc)
        return Outcome(stderr="\n".join([*notes, _("error: {reason}").format(reason=reason)]),
                       exit_code=EXIT_INVALID, code="sheet.io")
    stdout = done.text if done.text is not None else "\n".join(done.files)
    return Outcome(stdout=stdout, stderr="\n".join(done.notes), exit_code=EXIT_OK)


def preview_main(*, directory: str | None = None, ids: Sequence[str] = (), as_json: bool = False) -> Outcome:
    """``tutor sheet --preview ID``: how many distinct variants each exercise has. Exit 0, or 2 (unknown id)."""
    import json

    from .. import bank
    from ..features.sheets.preview import preview

    try:
        exercises = bank.by_id(bank.load(directory))
        missing = [i for i in ids if i not in exercises]
        if missing:
            return Outcome(stderr=_("error: no exercise with id {ids}").format(ids=", ".join(missing)),
                           exit_code=EXIT_INVALID, code="sheet.unknown-exercise")
        found = [preview(exercises[i]) for i in ids]
    except TutorError as exc:
        return invalid(exc)
    if as_json:
        return Outcome(stdout=json.dumps([p.to_json() for p in found], indent=2, ensure_ascii=False))
    lines = []
    for p in found:
        lines.append(p.line())
        lines += [f"  - {clean(example, 160, one_line=True)}" for example in p.examples]
    return Outcome(stdout="\n".join(lines), exit_code=EXIT_OK)
