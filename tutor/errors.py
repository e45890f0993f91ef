"""Errors a person can fix: shown as one clear line, never as a traceback."""
from __future__ import annotations

from .mathlang import MathError


class TutorError(Exception):
    """Invalid input or a request the tool cannot carry out (exit status 2)."""

    def __init__(self, message: str, detail: str | None = None):
        super().__init__(message)
        self.message = message
        self.detail = detail

    def one_line(self) -> str:
        return self.message

    def caret(self) -> str:
        return self.message if not self.detail else f"{self.message}\n{self.detail}"


USER_ERRORS = (TutorError, MathError)
