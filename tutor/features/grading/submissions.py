"""Finding submissions: files named after code exercises, alone or in one folder per student."""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ...bank import Exercise
from ...foundation.errors import TutorError
from ...foundation.i18n import _


@dataclass
class Submission:
    student: str
    exercise: str
    path: Path

    @property
    def key(self) -> str:
        """Identifies this submission in the progress log: student, exercise and the file's content."""
        data = self.path.read_bytes()
        return f"{self.student}|{self.exercise}|{hashlib.sha256(data).hexdigest()[:16]}"


def discover(paths: Iterable[str | Path], exercises: Sequence[Exercise],
             only: str | None = None) -> tuple[list[Submission], list[str]]:
    """Submissions (student, exercise, file) under ``paths``, and files that match no exercise."""
    by_name: dict[str, Exercise] = {}
    for ex in exercises:
        if ex.handler.runs_code:
            by_name[ex.id] = ex
            by_name[Path(ex.data["file"]).stem] = ex
    if only is not None and only not in by_name:
        raise TutorError(_("no code exercise with id '{id}'").format(id=only), code="grade.unknown-exercise")
    found: list[Submission] = []
    unknown: list[str] = []
    for raw in paths:
        root = Path(raw)
        if not root.exists():
            raise TutorError(_("no such file or folder: {path}").format(path=raw), code="grade.missing-path")
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)
        for f in files:
            found_ex = by_name[only] if only is not None else by_name.get(f.stem)
            if found_ex is None:
                unknown.append(str(f))
                continue
            if root.is_file():
                student = f.stem if only is not None else (f.parent.name or "submission")
            else:
                rel = f.parent.relative_to(root)
                student = rel.parts[0] if rel.parts else root.resolve().name
            found.append(Submission(student, found_ex.id, f))
    return found, unknown
