"""PDF sheets: the LaTeX source compiled by pdflatex, xelatex or lualatex, reproducibly."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from ...foundation.errors import TutorError
from ...foundation.i18n import _

TEX_ENGINES = ("pdflatex", "xelatex", "lualatex")


class PdfError(TutorError):
    """The TeX engine ran but produced no PDF (exit status 1)."""


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
        raise TutorError(no_engine_message(), code="sheet.no-tex")
    env = dict(os.environ, SOURCE_DATE_EPOCH="0", FORCE_SOURCE_DATE="1")
    with tempfile.TemporaryDirectory(prefix="tutor-sheet-") as tmp:
        (Path(tmp) / "sheet.tex").write_bytes(tex_source.encode("utf-8"))
        cmd = [engine, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "sheet.tex"]
        try:
            proc = subprocess.run(cmd, cwd=tmp, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                                  timeout=timeout)
        except subprocess.TimeoutExpired:
            raise PdfError(_("{engine} did not finish within {s:.0f} s").format(
                engine=Path(engine).name, s=timeout), code="sheet.tex-timeout") from None
        except OSError as exc:
            raise PdfError(_("cannot run {engine}: {reason}").format(engine=engine, reason=exc),
                           code="sheet.tex-failed") from None
        pdf = Path(tmp) / "sheet.pdf"
        if proc.returncode != 0 or not pdf.is_file():
            log = proc.stdout.decode("utf-8", "replace").splitlines()
            errors = [line for line in log if line.startswith("!")][:3] or log[-5:]
            raise PdfError(_("{engine} could not compile the sheet: {reason}").format(
                engine=Path(engine).name, reason=" / ".join(errors) or _("exit status {n}").format(
                    n=proc.returncode)), code="sheet.tex-failed")
        return pdf.read_bytes()
