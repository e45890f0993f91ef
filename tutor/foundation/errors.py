"""Errors a person can fix: shown as one clear line, never as a traceback.

Every error carries a stable, machine-readable ``code`` (``math.unknown-function``,
``bank.field``, ``grad.no-value`` ...) that tests, ``--json`` output and other
front ends use, so nothing depends on the English (or translated) wording.
"""
from __future__ import annotations

from typing import Any


class TutorError(Exception):
    """Invalid input or a request the tool cannot carry out (exit status 2).

    ``code``: a stable dotted id; ``detail``: an optional second part (a caret
    line); ``offset``: the character offset in the text the person typed, where
    there is one; ``data``: facts a front end may say in its own words (a
    notebook names its arguments where the command line names its options).
    """

    def __init__(self, message: str, *, code: str, detail: str | None = None, offset: int | None = None,
                 data: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.detail = detail
        self.offset = offset
        self.data = data or {}

    def one_line(self) -> str:
        return self.message

    def caret(self) -> str:
        return self.message if not self.detail else f"{self.message}\n{self.detail}"

    def __str__(self) -> str:
        return self.one_line()

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {"error": self.one_line(), "code": self.code}
        if self.offset is not None:
            data["offset"] = self.offset
        return data


class MathError(TutorError):
    """Input that is not (safe) math.  ``position`` indexes the original text."""

    def __init__(self, reason: str, text: str = "", position: int | None = None, *, code: str):
        super().__init__(reason, code=code, offset=position)
        self.reason = reason
        self.text = text
        self.position = position

    def one_line(self) -> str:
        from .i18n import _

        if self.position is None:
            return self.reason
        return _("{reason} (at character {pos})").format(reason=self.reason, pos=self.position + 1)

    def caret(self) -> str:
        """The reason, the text and a caret under the offending character."""
        if self.position is None or not self.text or len(self.text) > 200:
            return self.one_line()
        shown = self.text.replace("\n", " ").replace("\t", " ")
        return f"{self.reason}\n  {shown}\n  {' ' * self.position}^"

    def with_reason(self, reason: str) -> MathError:
        """The same error (code, text, position) with a new reason, e.g. prefixed with the field."""
        return MathError(reason, self.text, self.position, code=self.code)


class BankError(TutorError):
    """A bank file that does not follow the format (file, exercise, field, reason)."""

    def __init__(self, path: object, reason: str, exercise: str | None = None, field_name: str | None = None,
                 *, code: str = "bank.invalid"):
        from .i18n import _

        if exercise and field_name:
            where = _("{path}: exercise '{exercise}', field '{field}'")
        elif exercise:
            where = _("{path}: exercise '{exercise}'")
        elif field_name:
            where = _("{path}, field '{field}'")
        else:
            where = "{path}"
        where = where.format(path=path, exercise=exercise, field=field_name)
        super().__init__(f"{where}: {reason}", code=code)
        self.path = str(path)
        self.exercise = exercise
        self.field = field_name
        self.reason = reason
