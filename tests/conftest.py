import json
import os
import subprocess
import sys
from dataclasses import dataclass

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

# The suite runs under a pseudo-translation (every letter of the tutor's own texts accented, placeholders
# kept): no test may depend on the English wording, and every placeholder must survive translation.
# `pytest --english` runs it in English.
if "--english" not in sys.argv:
    os.environ["TUTOR_LANG"] = "x-pseudo"
# the tutor's data folder (progress, an instructor's sheet secret) is the test run's own, never the user's
if "TUTOR_DATA" not in os.environ:
    import atexit
    import shutil
    import tempfile

    os.environ["TUTOR_DATA"] = tempfile.mkdtemp(prefix="tutor-test-data-")
    atexit.register(shutil.rmtree, os.environ["TUTOR_DATA"], True)


def pytest_addoption(parser):
    parser.addoption("--english", action="store_true", help="run without the pseudo-translation")
    parser.addoption("--update-goldens", action="store_true", help="rewrite the golden files from this run")


@dataclass
class Run:
    """What a command did: its exit status and both output streams."""

    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def json(self):
        return json.loads(self.stdout)

    def error_code(self):
        """The machine-readable code of a --json error ({"error", "code"} on stdout)."""
        return self.json().get("code")


@pytest.fixture
def run_cli():
    """Run ``tutor ARGS...``: in-process through click's CliRunner, or ``binary=True`` as a real process.

    ``input`` is fed to stdin; ``env`` adds environment variables.
    """
    from click.testing import CliRunner

    from tutor.cli import main

    def run(*args, input=None, env=None, binary=False, timeout=120):
        if binary:
            p = subprocess.run([sys.executable, "-m", "tutor", *args], input=input, capture_output=True, text=True,
                               cwd=ROOT, env=dict(os.environ, PYTHONPATH=ROOT, **(env or {})), timeout=timeout)
            return Run(p.returncode, p.stdout, p.stderr)
        r = CliRunner().invoke(main, list(args), input=input, env=env, catch_exceptions=False)
        return Run(r.exit_code, r.stdout, r.stderr)

    return run
