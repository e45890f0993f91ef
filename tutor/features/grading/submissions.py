"""Finding submissions without trusting the folder: regular files only, links never followed, sizes capped.

A submission is a ``.py`` file named after a code exercise (its id or its
stub's name), alone or in one folder per student.  Links, FIFOs, devices and
folders named like an exercise are skipped with the reason; a file is opened
without following links and read up to a cap; each student has at most one
file per exercise (the shallowest, the others listed as skipped) and at most
:data:`MAX_FILES_PER_STUDENT` files looked at.
"""
from __future__ import annotations

import hashlib
import os
import stat
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...bank import Exercise
from ...foundation.errors import TutorError
from ...foundation.i18n import _
from ...foundation.text import clean_name

MAX_SOURCE_BYTES = 256 * 1024
MAX_FILES_PER_STUDENT = 200
MAX_ENTRIES = 20_000          # looked at per student folder (the rest is reported, not silently dropped)
MAX_STUDENTS = 100_000        # entries directly in a submissions folder
MAX_DEPTH = 12


class Unreadable(Exception):
    """A submission that is not a regular file, or too large: its reason, for the report."""


def read_source(path: Path, limit: int = MAX_SOURCE_BYTES) -> bytes:
    """The file's bytes: opened without following a link, only if it is a regular file, up to ``limit``."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        if os.path.islink(path):
            raise Unreadable(_("a link, not a file")) from None
        raise Unreadable(exc.strerror or str(exc)) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Unreadable(_("not a regular file"))
        if info.st_nlink > 1:
            raise Unreadable(_("a file with several names (a hard link)"))
        if info.st_size > limit:
            raise Unreadable(_("larger than {kb} KB").format(kb=limit // 1024))
        chunks, size = [], 0
        while size <= limit:
            data = os.read(fd, 65536)
            if not data:
                break
            chunks.append(data)
            size += len(data)
        if size > limit:
            raise Unreadable(_("larger than {kb} KB").format(kb=limit // 1024))
        return b"".join(chunks)
    finally:
        os.close(fd)


@dataclass
class Submission:
    student: str
    exercise: str
    path: Path
    source: bytes = b""
    problem: str | None = None          # why the file cannot be graded (not a regular file, too large)
    flags: list[str] = field(default_factory=list)      # what to look at by hand (a second file ...)

    @property
    def key(self) -> str:
        """Identifies this submission in the progress log: student, exercise and the file's content."""
        return f"{self.student}|{self.exercise}|{hashlib.sha256(self.source).hexdigest()[:16]}"


@dataclass
class Found:
    submissions: list[Submission] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)      # (file, reason)


def walk(root: Path, cap: int = MAX_ENTRIES, truncated: list[Path] | None = None) \
        -> Iterator[tuple[Path, os.DirEntry[str] | None]]:
    """Every file-like entry under ``root`` (links yielded, never followed), depth and count capped; when the
    cap stops the walk, ``root`` is appended to ``truncated``."""
    queue = deque([(root, 0)])            # breadth first: the shallowest file of a name comes first
    seen = 0
    while queue:
        folder, depth = queue.popleft()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            seen += 1
            if seen > cap:
                if truncated is not None:
                    truncated.append(root)
                return
            path = Path(entry.path)
            if entry.is_dir(follow_symlinks=False):
                if entry.name not in ("__pycache__", ".ipynb_checkpoints", ".git") and depth < MAX_DEPTH:
                    queue.append((path, depth + 1))
                continue
            yield path, entry


def discover(paths: Iterable[str | Path], exercises: Sequence[Exercise], only: str | None = None) -> Found:
    """Submissions (student, exercise, source) under ``paths``, and what was skipped, with why."""
    by_name: dict[str, Exercise] = {}
    for e in exercises:
        if e.handler.runs_code:
            by_name[e.id] = e
            by_name[Path(e.data["file"]).stem] = e
    if only is not None and only not in by_name:
        raise TutorError(_("no code exercise with id '{id}'").format(id=only), code="grade.unknown-exercise")
    found = Found()
    chosen: dict[tuple[str, str], Submission] = {}
    per_student: dict[str, int] = {}
    for raw in paths:
        root = Path(raw)
        if not os.path.lexists(root):
            raise TutorError(_("no such file or folder: {path}").format(path=clean_name(raw)),
                             code="grade.missing-path")
        single = not root.is_dir()
        truncated: list[Path] = []
        for f, _entry in [(root, None)] if single else _student_files(root, truncated):
            if f.suffix != ".py":
                continue
            ex = by_name[only] if only is not None else by_name.get(f.stem)
            if single:
                student = f.stem if only is not None else (f.parent.name or "submission")
            else:
                rel = f.parent.relative_to(root)
                student = rel.parts[0] if rel.parts else root.resolve().name
            if ex is None:
                found.skipped.append((clean_name(f, 300), _("matches no code exercise")))
                continue
            per_student[student] = per_student.get(student, 0) + 1
            if per_student[student] > MAX_FILES_PER_STUDENT:
                found.skipped.append((clean_name(f, 300), _("more than {n} files from one student").format(
                    n=MAX_FILES_PER_STUDENT)))
                continue
            key = (student, ex.id)
            if key in chosen:
                why = _("a second file for {exercise} from {student}; graded: {kept}").format(
                    exercise=ex.id, student=clean_name(student), kept=clean_name(chosen[key].path, 300))
                found.skipped.append((clean_name(f, 300), why))
                chosen[key].flags.append(_("another file for the same exercise was not graded: {file}").format(
                    file=clean_name(f, 300)))
                continue
            try:
                source = read_source(f)
            except Unreadable as exc:
                chosen[key] = Submission(student, ex.id, f, b"", str(exc))
                continue
            chosen[key] = Submission(student, ex.id, f, source)
        for folder in truncated:
            found.skipped.append((clean_name(folder, 300), _("more than {n} entries: the rest was not looked at")
                                  .format(n=MAX_ENTRIES)))
    found.submissions = list(chosen.values())
    display_names(found.submissions)
    return found


def _student_files(root: Path, truncated: list[Path]) -> Iterator[tuple[Path, os.DirEntry[str] | None]]:
    """The files of a submissions folder: its own, then each student folder's, each folder capped apart
    (one student's thousands of files never hide another's)."""
    try:
        with os.scandir(root) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        raise TutorError(_("cannot read {path}: {why}").format(path=clean_name(root), why=exc.strerror),
                         code="grade.unreadable-path") from None
    if len(entries) > MAX_STUDENTS:
        raise TutorError(_("{path} holds more than {n} entries: grade it in parts").format(
            path=clean_name(root), n=MAX_STUDENTS), code="grade.too-many")
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            if entry.name not in ("__pycache__", ".ipynb_checkpoints", ".git"):
                yield from walk(Path(entry.path), MAX_ENTRIES, truncated)
        else:
            yield Path(entry.path), entry


def display_names(subs: list[Submission]) -> None:
    """Each student's name as reports show it: cleaned of control characters, and never the same for two
    different folders (" alice" and "alice", or two names differing only in escape codes, both get a tag)."""
    shown: dict[str, set[str]] = {}
    for sub in subs:
        shown.setdefault(clean_name(sub.student, 80) or "submission", set()).add(sub.student)
    for sub in subs:
        name = clean_name(sub.student, 80) or "submission"
        if len(shown[name]) > 1:
            name += " [" + hashlib.sha256(sub.student.encode("utf-8", "surrogateescape")).hexdigest()[:6] + "]"
        sub.student = name


def restrict(found: Found, plan: Any) -> Found:
    """Only the assignment's exercises; the other files are listed as skipped, with why."""
    keep = {i.exercise for i in plan.items}
    out = Found([s for s in found.submissions if s.exercise in keep], list(found.skipped))
    out.skipped += [(clean_name(s.path, 300), _("{exercise} is not part of the assignment").format(
        exercise=s.exercise)) for s in found.submissions if s.exercise not in keep]
    return out
