"""Translatable user-facing text.

Every sentence the tutor shows a person goes through ``_()`` so that a
gettext catalogue (``tutor/locale/<lang>/LC_MESSAGES/tutor.mo``) can supply a
translation later; the course notes' readers study in Chinese.  Without a
catalogue the English text is returned unchanged.
"""
from __future__ import annotations

import gettext
import os

_DOMAIN = "tutor"
_LOCALE_DIR = os.path.join(os.path.dirname(__file__), "locale")
_translation = gettext.translation(_DOMAIN, _LOCALE_DIR, fallback=True)


def _(message: str) -> str:
    """Translate ``message`` (a gettext msgid)."""
    return _translation.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translation.ngettext(singular, plural, n)
