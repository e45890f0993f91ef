"""Translatable user-facing text.

Every sentence the tutor shows a person goes through ``_()`` (or ``ngettext``)
so that a gettext catalogue (``tutor/locale/<lang>/LC_MESSAGES/tutor.mo``) can
supply a translation; the course notes' readers study in Chinese.  Without a
catalogue the English text is returned unchanged.

``TUTOR_LANG=x-pseudo`` selects a *pseudo-translation*: every letter outside
``{placeholders}`` and ``backticks`` is replaced by an accented look-alike
(``error`` -> ``éŕŕöŕ``).  The test suite runs under it, which proves that no
test depends on the English wording and that placeholders survive
translation.  ``N_()`` marks text for extraction whose translation happens
later, where it is shown.
"""
from __future__ import annotations

import gettext
import os
import re
from pathlib import Path

_DOMAIN = "tutor"
_LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
PSEUDO = "x-pseudo"

_PSEUDO_MAP = str.maketrans("aceinorsuyAEIOUCNRS", "äçéïñöŕšüýÄÉÏÖÜÇÑŔŠ")
_KEEP = re.compile(r"(\{[^{}]*\}|`[^`]*`)")


def pseudo(text: str) -> str:
    """The pseudo-translation of ``text``: letters accented, placeholders and `code` kept."""
    parts = _KEEP.split(text)
    return "".join(p if i % 2 else p.translate(_PSEUDO_MAP) for i, p in enumerate(parts))


class PseudoTranslations(gettext.NullTranslations):
    def gettext(self, message: str) -> str:
        return pseudo(message)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return pseudo(msgid1 if n == 1 else msgid2)


def _load() -> gettext.NullTranslations:
    lang = os.environ.get("TUTOR_LANG")
    if lang == PSEUDO:
        return PseudoTranslations()
    return gettext.translation(_DOMAIN, str(_LOCALE_DIR), languages=[lang] if lang else None, fallback=True)


_translation = _load()


def translating() -> bool:
    """Is a catalogue (a real language) in use, not the English texts or the pseudo-translation?"""
    return isinstance(_translation, gettext.GNUTranslations)


def catalogue(domain: str, localedir: str | Path) -> gettext.NullTranslations:
    """Another gettext domain (a bank's own texts) in the same language as the tutor's messages; a null
    catalogue where there is none (and under the pseudo-translation, which is the tutor's own only)."""
    lang = os.environ.get("TUTOR_LANG")
    if lang == PSEUDO:
        return gettext.NullTranslations()
    return gettext.translation(domain, str(localedir), languages=[lang] if lang else None, fallback=True)


def _(message: str) -> str:
    """Translate ``message`` (a gettext msgid)."""
    return _translation.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translation.ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for extraction; it is translated with ``_()`` where it is shown."""
    return message
