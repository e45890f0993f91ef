"""The roster of a class: a CSV with a header row, ``id`` required and ``name`` optional."""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from ..foundation.errors import TutorError
from ..foundation.i18n import _


def read_roster(path: str | Path) -> list[tuple[str, str | None]]:
    """(id, name) pairs from a CSV with a header row: ``id`` required, ``name`` optional."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise TutorError(_("cannot read the roster {path}: {reason}").format(path=path, reason=exc.strerror or exc),
                         code="roster.unreadable") from None
    except UnicodeDecodeError:
        raise TutorError(_("{path}: the roster must be UTF-8 text").format(path=path), code="roster.encoding") from None
    reader = csv.reader(io.StringIO(text, newline=""))      # a line break inside a quoted name stays in it
    header = next(reader, None)
    if not header:
        raise TutorError(_("{path}: the roster is empty (expected a header row with an 'id' column)").format(
            path=path), code="roster.empty")
    columns = [h.strip().lower() for h in header]
    if "id" not in columns:
        raise TutorError(_("{path}: the roster needs an 'id' column (found: {cols})").format(
            path=path, cols=", ".join(h.strip() for h in header) or "-"), code="roster.no-id")
    i_id = columns.index("id")
    i_name = columns.index("name") if "name" in columns else None
    out: list[tuple[str, str | None]] = []
    seen: dict[str, int] = {}
    for line_no, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        sid = row[i_id].strip() if i_id < len(row) else ""
        if not sid:
            raise TutorError(_("{path}, line {line}: empty student id").format(path=path, line=line_no),
                             code="roster.empty-id")
        if sid in seen:
            raise TutorError(_("{path}, line {line}: student id '{id}' already on line {other}").format(
                path=path, line=line_no, id=sid, other=seen[sid]), code="roster.duplicate-id")
        seen[sid] = line_no
        name = row[i_name].strip() if i_name is not None and i_name < len(row) else ""
        out.append((sid, name or None))
    if not out:
        raise TutorError(_("{path}: the roster lists no students").format(path=path), code="roster.empty")
    return out


def safe_name(student_id: str) -> str:
    """The student id as a file-name part."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", student_id).strip(".") or "_"
