import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


@pytest.fixture
def run_cli():
    """Invoke the click CLI in-process (CliRunner); returns the Result."""
    from click.testing import CliRunner

    from tutor.cli import main

    def run(*args):
        return CliRunner().invoke(main, list(args), catch_exceptions=False)

    return run
