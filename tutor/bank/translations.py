"""The bank's own texts in the learner's language, kept as gettext catalogues beside the bank.

An exercise's texts (``title``, ``question``, ``explanation``, each of its
``hints``, ``choices`` and ``why``) and a lesson's (``title``, ``idea``,
``try``) are messages of the domain ``bank`` in the bank's ``locale/`` folder::

    exercises/locale/bank.pot                       # every text, from `pybabel extract`
    exercises/locale/zh_CN/LC_MESSAGES/bank.po      # a translator's file
    exercises/locale/zh_CN/LC_MESSAGES/bank.mo      # compiled (`pybabel compile`), read at run time

Each message's context names where it is used (``accumulate-three-backward|hints``,
``lesson:backward|idea``), so one English sentence in two exercises is two
entries and an exercise is never duplicated.  A text without a translation
stays as written.  The language is the tutor's own (``--lang``, ``TUTOR_LANG``,
the locale).  :func:`extract` is a Babel extraction method (see the bank's
``babel.cfg``); ``tutor check`` proves each catalogue against the bank
(:func:`check_catalogues`): every text translated or reported, placeholders
(``{x0}``, ``{= 2*x0}``) identical.
"""
from __future__ import annotations

import gettext
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..foundation.i18n import _, catalogue

DOMAIN = "bank"
EXERCISE_TEXTS = ("title", "question", "explanation")
EXERCISE_LISTS = ("hints", "choices", "why")
LESSON_TEXTS = ("title", "idea", "try")
PLACEHOLDER = re.compile(r"\{[^{}]*\}")
_CACHE: dict[str, gettext.NullTranslations] = {}


def context(owner: str, field: str) -> str:
    return f"{owner}|{field}"


def lesson_owner(topic: str) -> str:
    return f"lesson:{topic}"


def translator(root: Path) -> gettext.NullTranslations:
    """The bank's catalogue for the tutor's language (read once per bank); a null one where there is none."""
    key = str(root)
    if key not in _CACHE:
        try:
            _CACHE[key] = catalogue(DOMAIN, root / "locale")
        except Exception:          # a damaged .mo (tutor check names it): the bank's texts as written
            _CACHE[key] = gettext.NullTranslations()
    return _CACHE[key]


def translated(item: Mapping[str, Any], owner: str, fields: Iterable[str], lists: Iterable[str],
               tr: gettext.NullTranslations) -> dict[str, Any]:
    """``item`` with its texts in the learner's language (anything not a text, or not translated, as is)."""
    out = dict(item)
    for field in fields:
        if isinstance(item.get(field), str):
            out[field] = tr.pgettext(context(owner, field), item[field])
    for field in lists:
        value = item.get(field)
        if isinstance(value, list):
            out[field] = [tr.pgettext(context(owner, field), t) if isinstance(t, str) else t for t in value]
    return out


def _texts(item: Mapping[str, Any], owner: str, fields: Iterable[str], lists: Iterable[str]) \
        -> Iterator[tuple[str, str]]:
    """(context, text) for each text of one table: its text ``fields``, then each text of its ``lists``."""
    for field in fields:
        if isinstance(item.get(field), str):
            yield context(owner, field), item[field]
    for field in lists:
        for text in item.get(field) or []:
            if isinstance(text, str):
                yield context(owner, field), text


def exercise_texts(item: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(context, text) for each text of one exercise's table."""
    owner = item.get("id")
    return _texts(item, owner, EXERCISE_TEXTS, EXERCISE_LISTS) if isinstance(owner, str) else iter(())


def lesson_texts(item: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    topic = item.get("topic")
    return _texts(item, lesson_owner(topic), LESSON_TEXTS, ()) if isinstance(topic, str) else iter(())


def texts_of(doc: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """Every text of one bank file (exercises or lessons), in file order."""
    for item in doc.get("exercise") or []:
        if isinstance(item, dict):
            yield from exercise_texts(item)
    for item in doc.get("lesson") or []:
        if isinstance(item, dict):
            yield from lesson_texts(item)


def extract(fileobj: Any, keywords: Any, comment_tags: Any, options: Any) -> Iterator[tuple[int, str, Any, list[str]]]:
    """Babel extraction method for a bank's TOML files (``[tutor.bank.translations.extract: **.toml]``)."""
    from .load import toml_module

    tomllib = toml_module()
    raw = fileobj.read()
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return
    for ctx, message in texts_of(doc):
        line = text[:max(0, text.find(message.splitlines()[0] if message else message))].count("\n") + 1
        yield line, "pgettext", (ctx, message), []


def _stub_parts(source: str) -> list[tuple[str, str, tuple[int, int], tuple[int, int]]] | None:
    """(kind, text, start, end) of a stub's translatable parts: its module docstring (the whole string
    token), then each comment (its text after ``#``); None where it is not Python."""
    import ast
    import io
    import tokenize

    try:
        tree = ast.parse(source)
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (SyntaxError, tokenize.TokenError):
        return None
    doc = ast.get_docstring(tree, clean=False)
    parts = []
    for tok in tokens:
        if tok.type == tokenize.COMMENT:
            text = tok.string[1:].strip()
            if text and not text.startswith(("!", "noqa", "type:")):
                parts.append(("comment", text, tok.start, tok.end))
        elif doc and tok.type == tokenize.STRING and tok.string.startswith('"""') and \
                tok.start == (tree.body[0].lineno, tree.body[0].col_offset):
            parts.append(("docstring", doc, tok.start, tok.end))
    return parts


def stub_texts(source: str) -> list[tuple[str, str]]:
    """(kind, text) of a stub a learner edits: its module docstring and each comment's text."""
    return [(kind, text) for kind, text, _start, _end in _stub_parts(source) or []]


def stub_context(rel: str, kind: str) -> str:
    return context(f"stub:{rel}", kind)


def translated_stub(source: str, rel: str, tr: gettext.NullTranslations) -> str:
    """The stub with its docstring and comments in the learner's language (its code as it is)."""
    edits: list[tuple[tuple[int, int], tuple[int, int], str]] = []
    for kind, text, start, end in _stub_parts(source) or []:
        said = tr.pgettext(stub_context(rel, kind), text)
        if said == text:
            continue
        if kind == "comment" and "\n" not in said:
            edits.append((start, end, "# " + said))
        elif kind == "docstring" and '"""' not in said and "\\" not in said:
            edits.append((start, end, '"""' + said + '"""'))
    if not edits:
        return source
    lines = source.splitlines(keepends=True)
    for (r0, c0), (r1, c1), text in reversed(edits):
        head, tail = lines[r0 - 1][:c0], lines[r1 - 1][c1:]
        lines[r0 - 1:r1] = [head + text + tail]
    out = "".join(lines)
    try:
        compile(out, rel, "exec", dont_inherit=True)
    except SyntaxError:
        return source             # (tutor check names such a translation; the learner gets the stub as written)
    return out


def stub_text(root: Path, rel: str) -> str:
    """A code exercise's stub, as the learner gets it: in their language where the bank translates it."""
    source = (root / rel).read_text(encoding="utf-8")
    return translated_stub(source, rel, translator(root))


def extract_stub(fileobj: Any, keywords: Any, comment_tags: Any, options: Any) -> Iterator[tuple[Any, ...]]:
    """Babel extraction method for a bank's stubs (``[tutor.bank.translations.extract_stub: code/**.py]``): the
    context names the file relative to the bank (the folder of its babel.cfg)."""
    raw = fileobj.read()
    source = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    path = Path(getattr(fileobj, "name", "stub.py")).resolve()
    root = next((p for p in path.parents if (p / "babel.cfg").is_file()), path.parent)
    rel = path.relative_to(root).as_posix()
    for kind, text in stub_texts(source):
        yield 1, "pgettext", (stub_context(rel, kind), text), []


def _stubs(root: Path) -> list[tuple[str, str]]:
    """(path in the bank, source) of every stub under the bank's ``code/`` folder."""
    folder = root / "code"
    return [(path.relative_to(root).as_posix(), path.read_text(encoding="utf-8"))
            for path in (sorted(folder.rglob("*.py")) if folder.is_dir() else []) if "__pycache__" not in path.parts]


def bank_stub_texts(root: Path, stubs: list[tuple[str, str]] | None = None) -> list[tuple[str, str]]:
    """(context, text) of every stub under the bank's ``code/`` folder (``stubs``: read already)."""
    return [(stub_context(rel, kind), text) for rel, source in (_stubs(root) if stubs is None else stubs)
            for kind, text in stub_texts(source)]


@dataclass
class CatalogueReport:
    language: str
    translated: int
    untranslated: list[str]          # contexts of texts without a translation
    problems: list[str]              # a placeholder lost or added


def check_catalogues(root: Path, docs: Iterable[Mapping[str, Any]]) -> list[CatalogueReport]:
    """Every language the bank has a catalogue for, against every text of ``docs``."""
    stubs = _stubs(root)
    texts = [pair for doc in docs for pair in texts_of(doc)] + bank_stub_texts(root, stubs)
    reports = []
    folder = root / "locale"
    for mo in sorted(folder.glob(f"*/LC_MESSAGES/{DOMAIN}.mo")) if folder.is_dir() else []:
        language = mo.parent.parent.name
        report = CatalogueReport(language, 0, [], [])
        try:
            with open(mo, "rb") as fh:
                tr = gettext.GNUTranslations(fh)
        except Exception as exc:         # not a catalogue gettext can read: said, never a crash
            report.problems.append(_("{file} cannot be read as a compiled catalogue ({why}): compile it again with "
                                     "{command}").format(file=mo, why=type(exc).__name__,
                                                         command=f"pybabel compile -d {folder} -D {DOMAIN}"))
            reports.append(report)
            continue
        for ctx, message in texts:
            found = tr.pgettext(ctx, message)
            if found == message and not _known(tr, ctx, message):
                report.untranslated.append(ctx)
                continue
            report.translated += 1
            if sorted(PLACEHOLDER.findall(found)) != sorted(PLACEHOLDER.findall(message)):
                report.problems.append(_("{language}, {where}: the placeholders differ ({english} in English, "
                                         "{theirs} in the translation)").format(
                    language=language, where=ctx, english=" ".join(PLACEHOLDER.findall(message)) or "-",
                    theirs=" ".join(PLACEHOLDER.findall(found)) or "-"))
        for rel, source in stubs:
            shown = translated_stub(source, rel, tr)
            if shown == source and any(tr.pgettext(stub_context(rel, k), t) != t for k, t in stub_texts(source)):
                report.problems.append(_("{language}, {file}: the translated stub is not valid Python (a comment "
                                         "on two lines, or quotes in the docstring); the learner gets it in "
                                         "English").format(language=language, file=rel))
        reports.append(report)
    return reports


def _known(tr: gettext.GNUTranslations, ctx: str, message: str) -> bool:
    """Is the message in the catalogue (translated as itself: a formula, a torch message kept verbatim)?"""
    return f"{ctx}\x04{message}" in getattr(tr, "_catalog", {})


__all__ = ["DOMAIN", "CatalogueReport", "bank_stub_texts", "check_catalogues", "exercise_texts", "extract",
           "extract_stub", "lesson_texts", "stub_text", "stub_texts", "translated", "translated_stub", "translator",
           "texts_of"]
