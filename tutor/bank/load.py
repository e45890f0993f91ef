"""Loading a bank: TOML files, the fields every exercise has, then each kind's own fields.

The format is documented for instructors in ``docs/exercise-format.md``.
Every load error names the file, the exercise and the field.
"""
from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NoReturn

from ..foundation.errors import BankError, TutorError
from ..foundation.i18n import _, ngettext
from ..foundation.paths import default_bank_dir
from .kinds import KINDS
from .misconceptions import CATALOGUE
from .model import Exercise
from .params import check_params
from .topics import TOPICS

FORMAT_VERSION = 1
ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
COMMON_FIELDS = ("id", "title", "topic", "kind", "hints", "explanation", "params", "misconceptions", "question")


def load(directory: str | Path | None = None) -> list[Exercise]:
    """Every exercise in the bank's TOML files (sorted by file, then order in the file)."""
    root = Path(directory) if directory else default_bank_dir()
    if not root.is_dir():
        raise TutorError(_("no exercise bank at {path}").format(path=root), code="bank.missing")
    files = sorted(f for f in root.rglob("*.toml") if f.relative_to(root).parts[0] != "lessons")   # (lessons.py)
    if not files:
        raise TutorError(_("no exercise files (*.toml) in {path}").format(path=root), code="bank.empty")
    from .translations import EXERCISE_LISTS, EXERCISE_TEXTS, translated, translator

    tr = translator(root)                   # the bank's texts in the learner's language, where it has them
    exercises: list[Exercise] = []
    seen: dict[str, Path] = {}
    for path in files:
        for item in _items(path):
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                item = translated(item, item["id"], EXERCISE_TEXTS, EXERCISE_LISTS, tr)
            ex = _validate(item, path, root)
            if ex.id in seen:
                raise BankError(path, _("duplicate id (also in {other})").format(other=seen[ex.id]),
                                exercise=ex.id, field_name="id", code="bank.duplicate-id")
            seen[ex.id] = path
            exercises.append(ex)
    return exercises


def toml_module() -> Any:
    """The standard library's TOML reader (tomli on Python 3.10)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:                               # Python 3.10
        import tomli as tomllib
    return tomllib


def read_toml(path: Path) -> dict[str, Any]:
    """A bank file's TOML (exercises or lessons); a BankError naming the file where it cannot be read."""
    tomllib = toml_module()
    try:
        with open(path, "rb") as fh:
            doc: dict[str, Any] = tomllib.load(fh)
            return doc
    except tomllib.TOMLDecodeError as exc:
        raise BankError(path, _("not valid TOML: {reason}").format(reason=exc), code="bank.toml") from None
    except OSError as exc:
        raise BankError(path, str(exc), code="bank.unreadable") from None


def _items(path: Path) -> list[Any]:
    doc = read_toml(path)
    version = doc.get("format_version")
    if version != FORMAT_VERSION:
        raise BankError(path, _("format_version must be {v} (got {got!r})").format(v=FORMAT_VERSION, got=version),
                        field_name="format_version", code="bank.format-version")
    items = doc.get("exercise")
    if not isinstance(items, list) or not items:
        raise BankError(path, _("expected one or more [[exercise]] tables"), field_name="exercise",
                        code="bank.field")
    unknown_top = set(doc) - {"format_version", "exercise"}
    if unknown_top:
        raise BankError(path, ngettext("unknown top-level key: {keys}", "unknown top-level keys: {keys}",
                                       len(unknown_top)).format(keys=", ".join(sorted(unknown_top))),
                        code="bank.unknown-key")
    return items


def _validate(item: object, path: Path, root: Path) -> Exercise:
    if not isinstance(item, dict):
        raise BankError(path, _("each [[exercise]] must be a table"), code="bank.field")
    ex_id = item.get("id")

    def fail(field_name: str, reason: str, code: str = "bank.field") -> NoReturn:
        raise BankError(path, reason, exercise=ex_id if isinstance(ex_id, str) else None, field_name=field_name,
                        code=code)

    if not isinstance(ex_id, str) or not ID_RE.match(ex_id):
        fail("id", _("must be kebab-case (lowercase letters, digits and single hyphens), got {got!r}").format(
            got=ex_id), "bank.bad-id")
    for name in ("title", "explanation"):
        if not isinstance(item.get(name), str) or not item[name].strip():
            fail(name, _("must be non-empty text"), "bank.missing-text")
    kind_name = item.get("kind")
    if not isinstance(kind_name, str) or kind_name not in KINDS:
        fail("kind", _("must be one of {kinds}, got {got!r}").format(kinds=", ".join(KINDS), got=kind_name),
             "bank.unknown-kind")
    kind = KINDS[kind_name]
    topic = item.get("topic")
    if not isinstance(topic, str) or topic not in TOPICS:
        fail("topic", _("must be one of {topics}, got {got!r}").format(topics=", ".join(TOPICS), got=topic),
             "bank.unknown-topic")
    hints = item.get("hints")
    if not isinstance(hints, list) or not hints or not all(isinstance(h, str) and h.strip() for h in hints):
        fail("hints", _("must be a non-empty list of non-empty texts"), "bank.bad-hints")
    if "question" in item and (not isinstance(item["question"], str) or not item["question"].strip()):
        fail("question", _("must be non-empty text"), "bank.missing-text")
    unknown = set(item) - set(COMMON_FIELDS) - set(kind.fields)
    if unknown:
        fail(sorted(unknown)[0], _("unknown field for a {kind} exercise").format(kind=kind_name), "bank.unknown-field")
    check_params(item.get("params", {}), fail)
    _check_misconceptions(item.get("misconceptions"), kind_name, kind.misconceptions, fail)
    kind.validate(item, root, fail)
    return Exercise(ex_id, item["title"].strip(), topic, kind_name, list(hints), item["explanation"].strip(),
                    item, Path(path), Path(root))


def _check_misconceptions(mis: object, kind: str, allowed: tuple[str, ...], fail: Any) -> None:
    if mis is None:
        return
    if not isinstance(mis, list) or not all(isinstance(m, str) for m in mis):
        fail("misconceptions", _("must be a list of misconception ids"), "bank.bad-misconceptions")
        return
    for m in mis:
        if m not in CATALOGUE:
            fail("misconceptions", _("unknown misconception id '{id}'").format(id=m), "bank.unknown-misconception")
        if m not in allowed:
            fail("misconceptions", _("'{id}' cannot be detected in a {kind} exercise (it can: {ids})").format(
                id=m, kind=kind, ids=", ".join(allowed) or "-"), "bank.misconception-kind")


def find(exercises: Iterable[Exercise], ex_id: str) -> Exercise:
    for ex in exercises:
        if ex.id == ex_id:
            return ex
    raise TutorError(_("no exercise with id '{id}'").format(id=ex_id), code="bank.unknown-exercise")


def select(exercises: list[Exercise], topics: Iterable[str] = (), kinds: Iterable[str] = (),
           ids: Iterable[str] = ()) -> list[Exercise]:
    topics, kinds, ids = tuple(topics), tuple(kinds), tuple(ids)
    for t in topics:
        if t not in TOPICS:
            raise TutorError(_("unknown topic '{t}'; topics: {all}").format(t=t, all=", ".join(TOPICS)),
                             code="bank.unknown-topic")
    for i in ids:
        find(exercises, i)
    return [ex for ex in exercises if (not topics or ex.topic in topics) and (not kinds or ex.kind in kinds)
            and (not ids or ex.id in ids)]


def by_id(exercises: Iterable[Exercise]) -> Mapping[str, Exercise]:
    return {ex.id: ex for ex in exercises}
