"""Writing sheets, keys and manifests (``tutor sheet``): one sheet, or one personal variant per student.

* without ``output``: the sheet is returned as text; the key is written to
  ``answers`` if given (else not made, and a note says so);
* with ``output``: the sheet is written there and the key to ``answers``
  (default ``<stem>-key<suffix>``);
* ``students`` (a roster CSV) needs ``output`` (a file name pattern or a
  directory): ``<stem>-<id><suffix>`` and ``<stem>-<id>-key<suffix>`` per
  student (or ``<answers stem>-<id><suffix>`` when ``answers`` is given),
  plus the manifest (``manifest`` or ``<stem>-manifest.json``);
* ``manifest`` without a roster records the one sheet's (exercise, seed, token) list;
* the variant seeds and tokens derive from ``secret`` (never written anywhere);
  without one, sheets for a roster or with a manifest (sheets to be marked)
  use this account's own secret (:func:`local_secret`), and a practice sheet
  derives from the seed alone (the seed stays in the key, never on a sheet);
* the format comes from ``fmt`` or the output's suffix (default md); an
  output ending in .pdf compiles the LaTeX;
* ``seed`` None picks one at random and a note reports it.
"""
from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...bank import Exercise
from ...bank.handouts import MANIFEST_FORMAT, MANIFEST_VERSION
from ...bank.roster import read_roster, safe_name
from ...foundation.errors import TutorError
from ...foundation.i18n import _, ngettext
from ...foundation.text import clean_name
from . import FORMATS, render
from .model import Sheet, build, choose
from .pdf import PdfError, compile_pdf, no_engine_message, tex_engine
from .preview import shared_variants

SUFFIXES = {".md": "md", ".markdown": "md", ".html": "html", ".htm": "html", ".tex": "tex", ".ipynb": "ipynb",
            ".json": "json", ".pdf": "pdf"}
EXTENSIONS = {"md": ".md", "html": ".html", "tex": ".tex", "ipynb": ".ipynb", "json": ".json", "pdf": ".pdf"}


@dataclass
class Written:
    """What was made: the sheet's text (when it went nowhere else), the files written, notes for stderr."""

    text: str | None = None
    files: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class _Job:
    fmt: str
    engine: str | None
    seed: int
    chosen: list[Exercise]
    title: str
    secret: str | None = None
    origin: str = "seed"        # what the variants derive from: secret, local-secret or seed
    self_check: bool = False    # ipynb: a cell after each answer checking it with the tutor

    def manifest_head(self) -> dict[str, Any]:
        return {"format": MANIFEST_FORMAT, "version": MANIFEST_VERSION, "seed": self.seed, "sheet_format": self.fmt,
                "variants_from": self.origin}


def write_sheets(directory: str | Path | None = None, *, topics: Sequence[str] = (), ids: Sequence[str] = (),
                 kinds: Sequence[str] = (), count: int | None = None, seed: int | None = None,
                 fmt: str | None = None, output: str | None = None, answers: str | None = None,
                 students: str | None = None, manifest: str | None = None, title: str = "",
                 secret: str | None = None, notes: list[str] | None = None, self_check: bool = False) -> Written:
    """Make the sheets and keys; raises TutorError (PdfError when TeX fails).  ``notes`` collects what to say.

    ``secret``: the instructor's secret the variants and tokens derive from (the same options, seed and
    secret give the same bytes); without one they derive from the seed alone.
    """
    from ... import bank

    notes = notes if notes is not None else []
    fmt = _resolve_format(fmt, output)
    engine = None
    if fmt == "pdf":
        if output is None:
            raise TutorError(_("a PDF cannot go to the terminal: pass -o FILE.pdf"), code="sheet.pdf-to-terminal")
        engine = tex_engine()
        if engine is None:
            raise TutorError(no_engine_message(), code="sheet.no-tex")
    if seed is None:
        import random

        seed = random.SystemRandom().randrange(1_000_000)
        notes.append(_("seed {seed} (pass --seed {seed} to make the same sheet again)").format(seed=seed))
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise TutorError(_("the seed must be a whole number >= 0, got {seed!r}").format(seed=seed),
                         code="sheet.bad-seed")
    if secret is not None and not secret.strip():
        raise TutorError(_("the secret must not be empty"), code="sheet.bad-secret")
    if self_check and fmt != "ipynb":
        raise TutorError(_("{option} adds cells to a notebook: use --format ipynb").format(option="--self-check"),
                         code="sheet.self-check-format")
    if self_check and (secret is not None or students is not None or manifest is not None):
        raise TutorError(_("{option} is for practice sheets: its cells name each question's variant, which a "
                           "marked sheet (--secret, --students, --manifest) keeps hidden").format(
                               option="--self-check"), code="sheet.self-check-marked")
    chosen = choose(bank.load(directory), topics=topics, ids=ids, kinds=kinds, count=count, seed=seed)
    origin = "secret" if secret is not None else "seed"
    roster = read_roster(students) if students is not None else None
    where = None
    if secret is None and (students is not None or manifest is not None):
        # sheets that will be marked: never from the seed alone, whose tokens a student can search through
        secret, where = local_secret()
        origin = "local-secret"
    job = _Job(fmt, engine, seed, chosen, title, secret, origin, self_check)
    if roster is None:
        done = _one_sheet(job, output, answers, manifest, notes)
    else:
        done = _per_student(job, roster, output, answers, manifest, notes)
    if where is not None:
        notes.append(_("the variants derive from the secret kept in {path} (made for you; to make these sheets "
                       "again on another machine, copy it, or pass {option})").format(path=where, option="--secret"))
    return done


def _one_sheet(job: _Job, output: str | None, answers: str | None, manifest: str | None,
               notes: list[str]) -> Written:
    sheet = build(job.chosen, job.seed, title=job.title, secret=job.secret)
    done = Written(notes=notes)
    if output is None:
        sheet.self_check = job.self_check
        done.text = render(sheet, job.fmt)
        if answers is not None:
            _write(Path(answers), _payload(sheet, job, True))
            notes.append(_("answer key written to {path}").format(path=answers))
        else:
            notes.append(_("no answer key written: pass {option} FILE").format(option="--answers"))
    else:
        out = _output_path(output, EXTENSIONS[job.fmt])
        key_path = Path(answers) if answers is not None else _key_path(out)
        if key_path.resolve() == out.resolve():
            raise TutorError(_("the sheet and its answer key cannot be the same file"), code="sheet.key-is-sheet")
        _write(out, _payload(sheet, job, False))
        _write(key_path, _payload(sheet, job, True))
        done.files += [_("sheet: {path}").format(path=out), _("answer key: {path}").format(path=key_path)]
    if manifest is not None:
        mpath = Path(manifest)
        _write_manifest(mpath, {**job.manifest_head(), "questions": sheet.manifest_entry(), "students": {},
                                "variants": _variants([sheet])})
        done.files.append(_("manifest: {path}").format(path=mpath))
    if done.text is None:
        done.files.append(_("{n} questions, seed {seed}").format(n=len(sheet.items), seed=job.seed))
    else:
        notes += done.files
        done.files = []
    return done


def _per_student(job: _Job, roster: list[tuple[str, str | None]], output: str | None, answers: str | None,
                 manifest: str | None, notes: list[str]) -> Written:
    if output is None:
        raise TutorError(_("--students needs -o FILE (or a directory): one sheet per student is written "
                           "next to it"), code="sheet.students-need-output")
    ext = EXTENSIONS[job.fmt]
    base = _output_path(output, ext)
    safe_ids: dict[str, str] = {}
    for sid, _name in roster:
        safe = safe_name(sid)
        if safe in safe_ids:
            raise TutorError(_("student ids '{a}' and '{b}' give the same file name; make them "
                               "differ in letters or digits").format(a=safe_ids[safe], b=sid),
                             code="sheet.student-file-clash")
        safe_ids[safe] = sid
    mpath = Path(manifest) if manifest is not None else base.with_name(f"{base.stem}-manifest.json")
    entries: dict[str, dict[str, Any]] = {}
    made: list[Sheet] = []
    failed: list[str] = []
    for sid, name in roster:
        safe = safe_name(sid)
        sheet = build(job.chosen, job.seed, student=sid, student_name=name, title=job.title, secret=job.secret)
        made.append(sheet)
        spath = base.with_name(f"{base.stem}-{safe}{base.suffix}")
        if answers is not None:
            a = Path(answers)
            kpath = a.with_name(f"{a.stem}-{safe}{a.suffix or ext}")
        else:
            kpath = base.with_name(f"{base.stem}-{safe}-key{base.suffix}")
        entries[sid] = {"name": name, "seed": sheet.variant_seed, "sheet": _rel(spath, mpath.parent),
                        "answers": _rel(kpath, mpath.parent), "questions": sheet.manifest_entry()}
        try:                      # one student's PDF that cannot be made never costs the others theirs
            _write(spath, _payload(sheet, job, False))
            _write(kpath, _payload(sheet, job, True))
        except PdfError as exc:
            entries[sid].update(sheet=None, answers=None, error=exc.one_line())
            failed.append(_("{student}: {why}").format(student=clean_name(sid + (f" ({name})" if name else "")),
                                                       why=exc.one_line()))
    _write_manifest(mpath, {**job.manifest_head(), "exercises": [ex.id for ex in job.chosen], "students": entries,
                            "variants": _variants(made)})
    if failed:
        notes.append(_("manifest: {path}").format(path=mpath))
        raise PdfError(ngettext("no PDF for {n} student (the others' sheets and the manifest are written):\n{list}",
                                "no PDF for {n} students (the others' sheets and the manifest are written):\n{list}",
                                len(failed)).format(n=len(failed), list="\n".join(failed)),
                       code="sheet.tex-failed")
    for number, ex_id, distinct, count in shared_variants([sheet.items for sheet in made]):
        notes.append(_("warning: question {n} ({id}) has {k} distinct variants for {m} students, so some share one "
                       "({command} shows how many it can have)").format(
            n=number, id=ex_id, k=distinct, m=count, command=f"tutor sheet --preview {ex_id}"))
    first = base.with_name(f"{base.stem}-{safe_name(roster[0][0])}{base.suffix}").name if roster else ""
    files = [_("{n} students: a sheet and an answer key each, in {folder} ({first} ...)").format(
        n=len(roster), folder=base.parent, first=first),
             _("manifest: {path}").format(path=mpath),
             _("{n} questions, seed {seed}").format(n=len(job.chosen), seed=job.seed)]
    return Written(files=files, notes=notes)


def local_secret() -> tuple[str, Path]:
    """This account's sheet secret and where it is kept: made once (written whole, then linked into place,
    so a concurrent run reads it whole or makes it), a file of this account's own, readable by it only,
    never through a link."""
    import secrets
    import stat
    import tempfile

    from ...foundation.paths import data_dir

    path = data_dir() / "sheet-secret"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not os.path.lexists(path):
        fd, tmp = tempfile.mkstemp(prefix=".sheet-secret-", dir=path.parent)     # mode 0600
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(secrets.token_hex(32) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            try:
                os.link(tmp, path)                    # fails if another run made it first: theirs is kept
            except FileExistsError:
                pass
        finally:
            os.unlink(tmp)

    def bad(why: str) -> TutorError:
        return TutorError(_("the sheet secret {path} cannot be used: {why}; pass {option} (or set {variable})")
                          .format(path=path, why=why, option="--secret", variable="TUTOR_SHEET_SECRET"),
                          code="sheet.bad-secret")

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise bad(_("a link, not a file") if os.path.islink(path) else (exc.strerror or str(exc))) from None
    with os.fdopen(fd, "rb") as secret_file:
        info = os.fstat(secret_file.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o077:
            raise bad(_("it must be a file of yours that only you can read (chmod 600)"))
        raw = secret_file.read(4096)
    try:
        text = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise bad(_("it is not text")) from None
    if len(text) < 16:
        raise bad(_("it is shorter than 16 characters"))
    return text, path


def _variants(made: list[Sheet]) -> dict[str, dict[str, Any]]:
    """The manifest's token -> variant map, sorted by token."""
    found: dict[str, dict[str, Any]] = {}
    for it in (it for sheet in made for it in sheet.items):
        entry = {"exercise": it.id, "seed": it.seed}
        if found.setdefault(it.token, entry) != entry:        # 40 bits: never seen, but never silent either
            raise TutorError(_("two variants share the token {token}: pass another seed").format(token=it.token),
                             code="sheet.token-clash")
    return dict(sorted(found.items()))


def _payload(sheet: Sheet, job: _Job, key: bool) -> bytes:
    sheet.self_check = job.self_check
    text = render(sheet, job.fmt, key=key)
    if job.fmt == "pdf":
        return compile_pdf(text, job.engine)
    return text.encode("utf-8")


def _write(path: Path, data: bytes) -> None:
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _write_manifest(path: Path, data: dict[str, Any]) -> None:
    _write(path, (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))


def _resolve_format(fmt: str | None, output: str | None) -> str:
    suffix = Path(output).suffix.lower() if output and not _is_dir(output) else ""
    if output and suffix == ".pdf" and fmt in (None, "tex", "pdf"):
        return "pdf"
    if fmt is not None:
        fmt = fmt.lower()
        if fmt not in FORMATS:
            raise TutorError(_("unknown sheet format '{fmt}'; formats: {all}").format(fmt=fmt, all=", ".join(FORMATS)),
                             code="sheet.bad-format")
        if suffix == ".pdf" and fmt != "pdf":
            raise TutorError(_("cannot write the {fmt} format to a .pdf file").format(fmt=fmt),
                             code="sheet.bad-format")
        return fmt
    if not suffix:
        return "md"
    if suffix not in SUFFIXES:
        raise TutorError(_("cannot tell the format from '{name}'; pass --format ({all})").format(
            name=Path(output or "").name, all=", ".join(FORMATS)), code="sheet.bad-format")
    return SUFFIXES[suffix]


def _is_dir(output: str) -> bool:
    return str(output).endswith(("/", os.sep)) or Path(output).is_dir()


def _output_path(output: str, ext: str) -> Path:
    """-o as given; a directory gets sheet<ext> inside, a name without suffix gets <ext>."""
    path = Path(output)
    if _is_dir(output):
        return path / f"sheet{ext}"
    return path if path.suffix else path.with_name(path.name + ext)


def _key_path(sheet_path: Path) -> Path:
    return sheet_path.with_name(f"{sheet_path.stem}-key{sheet_path.suffix}")


def _rel(path: Path, start: Path) -> str:
    try:
        return os.path.relpath(path, start).replace(os.sep, "/")
    except ValueError:          # another drive (Windows)
        return str(path)
