"""Exercise sheets: seeded variants, a separate answer key, personal variants per student.

``tutor sheet`` (wired in :mod:`tutor.cli`) calls :func:`sheet_command`; other
front ends use :func:`make_sheet` and :func:`render`.

* The questions come from :func:`tutor.bank.variant`, the engine the quiz and
  the grader share, so a key's answers are exactly what the quiz marks right.
* Same options and seed, same bytes: no timestamps, no paths, stable order.
* Formats: ``md``, ``html``, ``tex``, ``ipynb``, ``json`` (one module each) and
  ``pdf`` (the ``tex`` output compiled by pdflatex, xelatex or lualatex).
* ``students``: a roster CSV (columns ``id`` and optionally ``name``); each
  student gets the same exercises with personal variants (seeds from sha256 of
  the sheet seed and the student id) and a manifest maps each student to
  their ``(exercise, seed)`` list for the grader.
"""
from __future__ import annotations

import csv
import json
import os
import re
import shutil
from pathlib import Path

from ..errors import USER_ERRORS, TutorError
from ..i18n import _
from .model import Item, Sheet, Wrong, build, choose, item_seed, student_seed

__all__ = ["FORMATS", "Item", "Sheet", "Wrong", "make_sheet", "render", "read_roster", "sheet_command",
           "student_seed", "item_seed", "tex_engine", "compile_pdf", "PdfError", "MANIFEST_FORMAT"]

FORMATS = ("md", "html", "tex", "ipynb", "json", "pdf")
SUFFIXES = {".md": "md", ".markdown": "md", ".html": "html", ".htm": "html", ".tex": "tex", ".ipynb": "ipynb",
            ".json": "json", ".pdf": "pdf"}
EXTENSIONS = {"md": ".md", "html": ".html", "tex": ".tex", "ipynb": ".ipynb", "json": ".json", "pdf": ".pdf"}
TEX_ENGINES = ("pdflatex", "xelatex", "lualatex")
MANIFEST_FORMAT = "tutor-sheet-manifest"
EXIT_OK, EXIT_FAIL, EXIT_INVALID = 0, 1, 2


class PdfError(TutorError):
    """The TeX engine ran but produced no PDF (exit status 1)."""


# ------------------------------------------------------------------ building

def make_sheet(exercises=None, *, directory=None, topics=(), ids=(), kinds=(), count=None, seed: int = 0,
               student: str | None = None, student_name: str | None = None, title: str = "") -> Sheet:
    """A sheet of seeded variants.

    ``exercises`` is a loaded bank (``bank.load(...)``); without it the bank in
    ``directory`` (default: ``TUTOR_EXERCISES`` or the bundled one) is loaded.
    The selection (topics / ids / kinds / count) depends on ``seed`` only; the
    variants depend on ``seed`` or, for a student, on their personal seed.
    """
    from .. import bank

    if exercises is None:
        exercises = bank.load(directory)
    chosen = choose(exercises, topics=topics, ids=ids, kinds=kinds, count=count, seed=seed)
    return build(chosen, seed, student=student, student_name=student_name, title=title)


def _module(fmt: str):
    if fmt == "md":
        from . import markdown as mod
    elif fmt == "html":
        from . import html as mod
    elif fmt in ("tex", "pdf"):
        from . import tex as mod
    elif fmt == "ipynb":
        from . import ipynb as mod
    elif fmt == "json":
        from . import jsonfmt as mod
    else:
        raise TutorError(_("unknown sheet format '{fmt}'; formats: {all}").format(fmt=fmt, all=", ".join(FORMATS)))
    return mod


def render(sheet: Sheet, fmt: str = "md", key: bool = False) -> str:
    """The sheet (or, with ``key=True``, its answer key) as text in ``fmt`` (pdf gives the LaTeX source)."""
    return _module(fmt).render(sheet, key=key)


# ------------------------------------------------------------------ roster

def read_roster(path) -> list[tuple[str, str | None]]:
    """(id, name) pairs from a CSV with a header row: ``id`` required, ``name`` optional."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise TutorError(_("cannot read the roster {path}: {reason}").format(path=path, reason=exc.strerror or exc))
    except UnicodeDecodeError:
        raise TutorError(_("{path}: the roster must be UTF-8 text").format(path=path)) from None
    reader = csv.reader(text.splitlines())
    header = next(reader, None)
    if not header:
        raise TutorError(_("{path}: the roster is empty (expected a header row with an 'id' column)").format(
            path=path))
    columns = [h.strip().lower() for h in header]
    if "id" not in columns:
        raise TutorError(_("{path}: the roster needs an 'id' column (found: {cols})").format(
            path=path, cols=", ".join(h.strip() for h in header) or "-"))
    i_id = columns.index("id")
    i_name = columns.index("name") if "name" in columns else None
    out, seen = [], {}
    for line_no, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        sid = row[i_id].strip() if i_id < len(row) else ""
        if not sid:
            raise TutorError(_("{path}, line {line}: empty student id").format(path=path, line=line_no))
        if sid in seen:
            raise TutorError(_("{path}, line {line}: student id '{id}' already on line {other}").format(
                path=path, line=line_no, id=sid, other=seen[sid]))
        seen[sid] = line_no
        name = row[i_name].strip() if i_name is not None and i_name < len(row) else ""
        out.append((sid, name or None))
    if not out:
        raise TutorError(_("{path}: the roster lists no students").format(path=path))
    return out


def _safe(student_id: str) -> str:
    """The student id as a file-name part."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", student_id).strip(".") or "_"


# ------------------------------------------------------------------ pdf

def tex_engine() -> str | None:
    """The first TeX engine on PATH (pdflatex, xelatex, lualatex), or None."""
    for name in TEX_ENGINES:
        found = shutil.which(name)
        if found:
            return found
    return None


def no_engine_message() -> str:
    return _("no TeX engine found (looked for {engines} on PATH), so no PDF can be made; install TeX Live "
             "(or MiKTeX), or use --format tex and compile the .tex file yourself").format(
        engines=", ".join(TEX_ENGINES))


def compile_pdf(tex_source: str, engine: str | None = None, timeout: float = 300) -> bytes:
    """Compile a LaTeX document and return the PDF's bytes (reproducible dates: SOURCE_DATE_EPOCH=0)."""
    import subprocess
    import tempfile

    engine = engine or tex_engine()
    if engine is None:
        raise TutorError(no_engine_message())
    env = dict(os.environ, SOURCE_DATE_EPOCH="0", FORCE_SOURCE_DATE="1")
    with tempfile.TemporaryDirectory(prefix="tutor-sheet-") as tmp:
        (Path(tmp) / "sheet.tex").write_bytes(tex_source.encode("utf-8"))
        cmd = [engine, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "sheet.tex"]
        try:
            proc = subprocess.run(cmd, cwd=tmp, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                                  timeout=timeout)
        except subprocess.TimeoutExpired:
            raise PdfError(_("{engine} did not finish within {s:.0f} s").format(
                engine=Path(engine).name, s=timeout)) from None
        except OSError as exc:
            raise PdfError(_("cannot run {engine}: {reason}").format(engine=engine, reason=exc)) from None
        pdf = Path(tmp) / "sheet.pdf"
        if proc.returncode != 0 or not pdf.is_file():
            log = proc.stdout.decode("utf-8", "replace").splitlines()
            errors = [line for line in log if line.startswith("!")][:3] or log[-5:]
            raise PdfError(_("{engine} could not compile the sheet: {reason}").format(
                engine=Path(engine).name, reason=" / ".join(errors) or _("exit status {n}").format(
                    n=proc.returncode)))
        return pdf.read_bytes()


# ------------------------------------------------------------------ command

def _payload(sheet: Sheet, fmt: str, key: bool, engine: str | None) -> bytes:
    text = render(sheet, fmt, key=key)
    if fmt == "pdf":
        return compile_pdf(text, engine)
    return text.encode("utf-8")


def _write(path: Path, data: bytes) -> None:
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _resolve_format(fmt: str | None, output) -> str:
    suffix = Path(output).suffix.lower() if output and not _is_dir(output) else ""
    if output and suffix == ".pdf" and fmt in (None, "tex", "pdf"):
        return "pdf"
    if fmt is not None:
        fmt = fmt.lower()
        if fmt not in FORMATS:
            raise TutorError(_("unknown sheet format '{fmt}'; formats: {all}").format(fmt=fmt,
                                                                                   all=", ".join(FORMATS)))
        if suffix == ".pdf" and fmt != "pdf":
            raise TutorError(_("cannot write the {fmt} format to a .pdf file").format(fmt=fmt))
        return fmt
    if not suffix:
        return "md"
    if suffix not in SUFFIXES:
        raise TutorError(_("cannot tell the format from '{name}'; pass --format ({all})").format(
            name=Path(output).name, all=", ".join(FORMATS)))
    return SUFFIXES[suffix]


def _is_dir(output) -> bool:
    return str(output).endswith(("/", os.sep)) or Path(output).is_dir()


def _output_path(output, ext: str) -> Path:
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


def sheet_command(directory=None, topics=(), ids=(), count: int | None = None, seed: int | None = None,
                  fmt: str | None = None, output=None, answers=None, students=None, manifest=None,
                  kinds=(), title: str = ""):
    """``tutor sheet``: returns a :class:`tutor.commands.Outcome` (stdout, stderr, exit_code).

    * without ``output``: the sheet is the Outcome's stdout; the key is written
      to ``answers`` if given (else not made, and stderr says so);
    * with ``output``: the sheet is written there and the key to ``answers``
      (default ``<stem>-key<suffix>``); stdout lists the files written;
    * ``students`` (a roster CSV) needs ``output`` (a file name pattern or a
      directory): ``<stem>-<id><suffix>`` and ``<stem>-<id>-key<suffix>`` per
      student (or ``<answers stem>-<id><suffix>`` when ``answers`` is given),
      plus the manifest (``manifest`` or ``<stem>-manifest.json``);
    * ``manifest`` without a roster records the one sheet's (exercise, seed) list;
    * the format comes from ``fmt`` or the output's suffix (default md); an
      output ending in .pdf compiles the LaTeX (exit 2 with a clear message
      when no TeX engine is installed, 1 when compiling fails);
    * ``seed`` None picks one at random and reports it on stderr.

    Exit status: 0 done, 1 the PDF could not be compiled, 2 invalid input (``error: ...`` on stderr).
    """
    from ..commands import Outcome

    notes: list[str] = []
    try:
        fmt = _resolve_format(fmt, output)
        engine = None
        if fmt == "pdf":
            if output is None:
                raise TutorError(_("a PDF cannot go to the terminal: pass -o FILE.pdf"))
            engine = tex_engine()
            if engine is None:
                raise TutorError(no_engine_message())
        if seed is None:
            import random

            seed = random.SystemRandom().randrange(1_000_000)
            notes.append(_("seed {seed} (pass --seed {seed} to make the same sheet again)").format(seed=seed))
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise TutorError(_("the seed must be a whole number >= 0, got {seed!r}").format(seed=seed))
        ext = EXTENSIONS[fmt]
        from .. import bank

        exercises = bank.load(directory)
        chosen = choose(exercises, topics=topics, ids=ids, kinds=kinds, count=count, seed=seed)
        written: list[str] = []

        if students is None:
            sheet = build(chosen, seed, title=title)
            if output is None:
                stdout = render(sheet, fmt)
                if answers is not None:
                    _write(Path(answers), _payload(sheet, fmt, True, engine))
                    notes.append(_("answer key written to {path}").format(path=answers))
                else:
                    notes.append(_("no answer key written: pass --answers FILE"))
            else:
                out = _output_path(output, ext)
                key_path = Path(answers) if answers is not None else _key_path(out)
                if key_path.resolve() == out.resolve():
                    raise TutorError(_("the sheet and its answer key cannot be the same file"))
                _write(out, _payload(sheet, fmt, False, engine))
                _write(key_path, _payload(sheet, fmt, True, engine))
                written += [_("sheet: {path}").format(path=out), _("answer key: {path}").format(path=key_path)]
                stdout = None
            if manifest is not None:
                mpath = Path(manifest)
                data = {"format": MANIFEST_FORMAT, "version": 1, "seed": seed, "sheet_format": fmt,
                        "questions": sheet.manifest_entry(), "students": {}}
                _write(mpath, (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
                written.append(_("manifest: {path}").format(path=mpath))
            if stdout is None:
                stdout = "\n".join(written + [_("{n} questions, seed {seed}").format(n=len(sheet.items),
                                                                                    seed=seed)])
            elif written:
                notes += written
            return Outcome(stdout=stdout, stderr="\n".join(notes), exit_code=EXIT_OK)

        # ---- one personal variant per student
        roster = read_roster(students)
        if output is None:
            raise TutorError(_("--students needs -o FILE (or a directory): one sheet per student is written "
                               "next to it"))
        base = _output_path(output, ext)
        safe_ids: dict[str, str] = {}
        for sid, _name in roster:
            safe = _safe(sid)
            if safe in safe_ids:
                raise TutorError(_("student ids '{a}' and '{b}' give the same file name; make them "
                                   "differ in letters or digits").format(a=safe_ids[safe], b=sid))
            safe_ids[safe] = sid
        mpath = Path(manifest) if manifest is not None else base.with_name(f"{base.stem}-manifest.json")
        entries = {}
        for sid, name in roster:
            safe = _safe(sid)
            sheet = build(chosen, seed, student=sid, student_name=name, title=title)
            spath = base.with_name(f"{base.stem}-{safe}{base.suffix}")
            if answers is not None:
                a = Path(answers)
                kpath = a.with_name(f"{a.stem}-{safe}{a.suffix or ext}")
            else:
                kpath = base.with_name(f"{base.stem}-{safe}-key{base.suffix}")
            _write(spath, _payload(sheet, fmt, False, engine))
            _write(kpath, _payload(sheet, fmt, True, engine))
            entries[sid] = {"name": name, "seed": sheet.variant_seed, "sheet": _rel(spath, mpath.parent),
                            "answers": _rel(kpath, mpath.parent), "questions": sheet.manifest_entry()}
        data = {"format": MANIFEST_FORMAT, "version": 1, "seed": seed, "sheet_format": fmt,
                "exercises": [ex.id for ex in chosen], "students": entries}
        _write(mpath, (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
        lines = [_("{n} students: a sheet and an answer key each, next to {path}").format(n=len(roster),
                                                                                        path=base),
                 _("manifest: {path}").format(path=mpath),
                 _("{n} questions, seed {seed}").format(n=len(chosen), seed=seed)]
        return Outcome(stdout="\n".join(lines), stderr="\n".join(notes), exit_code=EXIT_OK)
    except PdfError as exc:
        return Outcome(stderr="\n".join(notes + [_("error: {reason}").format(reason=exc.one_line())]),
                       exit_code=EXIT_FAIL)
    except USER_ERRORS as exc:
        return Outcome(stderr="\n".join(notes + [_("error: {reason}").format(reason=exc.one_line())]),
                       exit_code=EXIT_INVALID)
    except OSError as exc:
        return Outcome(stderr="\n".join(notes + [_("error: {reason}").format(
            reason=f"{exc.filename}: {exc.strerror}" if exc.filename else str(exc))]), exit_code=EXIT_INVALID)
