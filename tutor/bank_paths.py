"""Where the bundled exercise bank is, in a checkout or an installed wheel."""
from __future__ import annotations

from pathlib import Path


def bundled_exercises() -> Path:
    """``exercises/`` next to the package in a checkout, else the copy inside the wheel."""
    here = Path(__file__).resolve().parent
    checkout = here.parent / "exercises"
    if checkout.is_dir() and (here.parent / "pyproject.toml").is_file():
        return checkout
    return here / "_exercises"
