"""The docs that are read off the code cannot drift from it (datasette's habit).

``docs/generate.py`` writes the CLI reference and the README's command table
from the click commands, the function list from the function table, and the
step reference and misconception lists from the step classes and exercise
kinds.  This test fails when any of them is out of date, and when the
generator itself would miss a command or a function.
"""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_generated_docs_are_up_to_date():
    env = {k: v for k, v in os.environ.items() if k != "TUTOR_LANG"}
    p = subprocess.run([sys.executable, str(ROOT / "docs" / "generate.py"), "--check"], capture_output=True,
                       text=True, cwd=ROOT, env=env, timeout=120)
    assert p.returncode == 0, p.stderr


def test_every_command_option_and_function_is_documented():
    from tutor.cli import main
    from tutor.mathlang.functions import ALIASES, FUNCTIONS

    reference = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name, cmd in main.commands.items():
        assert f"## tutor {name}" in reference
        assert f"`tutor {name}" in readme
        for param in getattr(cmd, "params", []):
            for opt in getattr(param, "opts", []):
                if opt.startswith("--"):
                    assert opt in reference, (name, opt)
    language = (ROOT / "docs" / "math-language.md").read_text(encoding="utf-8")
    for fn in [*FUNCTIONS, *ALIASES]:
        assert f"`{fn}" in language and f"`{fn}" in readme, fn


def test_help_lists_the_functions_of_the_table(run_cli):
    from tutor.mathlang.functions import FUNCTIONS

    text = " ".join(run_cli("grad", "--help").stdout.split())
    for fn in FUNCTIONS:
        assert fn in text, fn
