"""PDF sheets: the LaTeX source compiled by pdflatex, xelatex or lualatex, reproducibly.

Text beyond Latin-1 (a student's name in Chinese or Cyrillic, a Chinese
sheet) is compiled by xelatex (else lualatex) with a font that has every one
of its characters, found with fontconfig (``fc-list``), Noto CJK first.
Where no such engine or font is installed, or the engine reports a character
it has no glyph for, the error names the characters: a PDF is never written
with blanks where a name was.
"""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from ...foundation.errors import TutorError
from ...foundation.i18n import _

TEX_ENGINES = ("pdflatex", "xelatex", "lualatex")
UNICODE_ENGINES = ("xelatex", "lualatex")
PREFERRED_FONTS = ("Noto Serif CJK SC", "Noto Sans CJK SC", "DejaVu Serif", "FreeSerif", "Noto Serif",
                   "Liberation Serif")


class PdfError(TutorError):
    """The TeX engine ran but produced no PDF (exit status 1)."""


def _first_on_path(names: tuple[str, ...]) -> str | None:
    return next((found for found in map(shutil.which, names) if found), None)


def tex_engine() -> str | None:
    """The first TeX engine on PATH (pdflatex, xelatex, lualatex), or None."""
    return _first_on_path(TEX_ENGINES)


def no_engine_message() -> str:
    return _("no TeX engine found (looked for {engines} on PATH), so no PDF can be made; install TeX Live "
             "(or MiKTeX), or use --format tex and compile the .tex file yourself").format(
        engines=", ".join(TEX_ENGINES))


def wide_characters(text: str) -> list[str]:
    """The characters of a LaTeX source that pdflatex cannot typeset (beyond Latin-1), each once, in order."""
    return list(dict.fromkeys(ch for ch in text if ord(ch) > 0xFF))


def unicode_engine() -> str | None:
    """The first TeX engine on PATH that reads Unicode text (xelatex, lualatex), or None."""
    return _first_on_path(UNICODE_ENGINES)


def font_for(chars: list[str], mono: bool = False) -> str | None:
    """A font family with a glyph for every character (fontconfig's answer), the preferred ones first;
    ``mono``: a monospaced one (its name says Mono), or None."""
    import subprocess

    fc = shutil.which("fc-list")
    if fc is None or not chars:
        return None
    charset = " ".join(f"{ord(ch):x}" for ch in chars[:500])
    try:
        out = subprocess.run([fc, "--format", "%{family[0]}\n", f":charset={charset}"], capture_output=True,
                             text=True, timeout=30, stdin=subprocess.DEVNULL).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    families = sorted({line.strip() for line in out.splitlines() if line.strip()})
    if mono:
        monos = [f for f in families if "Mono" in f]
        return next((f for f in monos if f.endswith(" SC")), monos[0] if monos else None)
    for name in PREFERRED_FONTS:
        if name in families:
            return name
    plain = [f for f in families if "Mono" not in f and "Symbol" not in f and "Emoji" not in f]
    return (plain or families)[0] if (plain or families) else None


def is_cjk(ch: str) -> bool:
    """A character of the CJK blocks (ideographs, kana, hangul, CJK and full-width punctuation)."""
    o = ord(ch)
    return (0x2E80 <= o <= 0x9FFF or 0xAC00 <= o <= 0xD7AF or 0xF900 <= o <= 0xFAFF or 0xFE30 <= o <= 0xFE4F
            or 0xFF00 <= o <= 0xFFEF or 0x20000 <= o <= 0x3FFFF)


def font_setup(wide: list[str], engine: str) -> str:
    """The macros the preamble reads (``\\tutorfont``, and for xelatex a CJK fallback font for the CJK
    characters when no one font has them all), or a PdfError naming the characters no font has."""
    def family(name: str) -> str:
        return name.replace("\\", "").replace("{", "").replace("}", "")

    single = font_for(wide)
    if single is not None:
        mono = font_for(wide, mono=True)       # code listings (a stub's comments in Chinese) need the glyphs too
        return "\\def\\tutorfont{" + family(single) + "}\n" + (
            "\\def\\tutormonofont{" + family(mono) + "}\n" if mono is not None else "")
    cjk = [ch for ch in wide if is_cjk(ch)]
    rest = [ch for ch in wide if not is_cjk(ch)]
    main = font_for(rest) if rest else None
    fallback = font_for(cjk) if cjk else None
    if (rest and main is None) or not cjk or fallback is None or engine != "xelatex":
        lacking = [ch for ch in wide if font_for([ch]) is None] or wide
        raise PdfError(_("no installed font has every character of the sheet ({chars}); install one "
                         "(Debian: {fonts}), or use {option}").format(chars=_shown(lacking), fonts="fonts-noto-cjk",
                                                                     option="--format html"),
                       code="sheet.tex-glyphs")
    classes = "".join(f'\\XeTeXcharclass"{ord(ch):X}=\\tutorclass ' for ch in cjk)
    out = "\\def\\tutorfallback{" + family(fallback) + "}\n\\def\\tutorfallbackchars{" + classes + "}\n"
    if main is not None:
        out = "\\def\\tutorfont{" + family(main) + "}\n" + out
    return out


def _shown(chars: list[str]) -> str:
    return " ".join(chars[:12]) + (" ..." if len(chars) > 12 else "")


def compile_pdf(tex_source: str, engine: str | None = None, timeout: float = 300) -> bytes:
    """Compile a LaTeX document and return the PDF's bytes (reproducible dates: SOURCE_DATE_EPOCH=0)."""
    import subprocess
    import tempfile

    wide = wide_characters(tex_source)
    if wide:
        engine = engine if engine and Path(engine).name in UNICODE_ENGINES else unicode_engine()
        if engine is None:
            raise PdfError(_("the sheet has characters {plain} cannot typeset ({chars}); install {engines} "
                             "(Debian: {package}) and a font with them ({fonts}), or use {option}").format(
                chars=_shown(wide), plain="pdflatex", engines="xelatex", package="texlive-xetex",
                fonts="fonts-noto-cjk", option="--format html"), code="sheet.tex-glyphs")
        tex_source = font_setup(wide, Path(engine).name) + tex_source
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
        text = proc.stdout.decode("utf-8", "replace")
        if "Missing character: There is no" in text:          # xelatex/lualatex leave a blank and go on
            missing = re.findall(r"Missing character: There is no (.)", text)
            raise PdfError(_("the font has no glyph for {chars}: the PDF would show blanks").format(
                chars=_shown(list(dict.fromkeys(missing))) or "?"), code="sheet.tex-glyphs")
        return pdf.read_bytes()
