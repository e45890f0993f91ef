"""Where things live: the bundled exercise bank and the learner's data folder."""
from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "autograd-tutor"


def bundled_exercises() -> Path:
    """``exercises/`` next to the package in a checkout, else the copy inside the wheel."""
    package = Path(__file__).resolve().parent.parent
    checkout = package.parent / "exercises"
    if checkout.is_dir() and (package.parent / "pyproject.toml").is_file():
        return checkout
    return package / "_exercises"


def default_bank_dir() -> Path:
    """``TUTOR_EXERCISES`` if set, else the bundled bank."""
    env = os.environ.get("TUTOR_EXERCISES")
    return Path(env) if env else bundled_exercises()


def data_dir() -> Path:
    """The learner's data folder: ``TUTOR_DATA`` if set, else the platform's user data folder.

    Linux ``$XDG_DATA_HOME/autograd-tutor`` (``~/.local/share/autograd-tutor``),
    macOS ``~/Library/Application Support/autograd-tutor``, Windows
    ``%APPDATA%\\autograd-tutor`` (platformdirs).
    """
    env = os.environ.get("TUTOR_DATA")
    if env:
        return Path(env)
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False, roaming=True)


def solutions_dir(bank_dir: str | Path, explicit: str | Path | None = None) -> Path | None:
    """Where a bank's reference solutions are: ``explicit``, else ``../solutions`` next to the bank if it exists."""
    if explicit:
        return Path(explicit)
    candidate = Path(bank_dir).resolve().parent / "solutions"
    return candidate if candidate.is_dir() else None
