"""The commands through click's CliRunner, and the real binary for start-up and hostile input."""
import json
import os
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


COMMANDS = {"check", "equiv", "export", "grad", "grade", "learn", "list", "progress", "quiz", "sheet", "trace"}


LEARNER = {"learn", "quiz", "progress", "grad", "equiv", "list"}
INSTRUCTOR = COMMANDS - LEARNER


def _sections(text):
    """{heading: [first word of each indented line]} of a click help text."""
    out, heading = {}, None
    for line in text.splitlines():
        if line and not line[0].isspace():
            heading = line.rstrip(":")
            out[heading] = []
        elif line.strip() and heading is not None:
            out[heading].append(line.split()[0])
    return out


def test_help_lists_every_command_learners_apart_from_instructors(run_cli):
    from tutor.cli import main

    assert set(main.commands) == COMMANDS          # a command added or removed must be listed here
    r = run_cli("--help")
    assert r.exit_code == 0
    sections = list(_sections(r.stdout).values())
    learn, teach = sections[-2], sections[-1]       # after Usage, the description and the options
    assert set(learn) == LEARNER and set(teach) == INSTRUCTOR
    assert learn[:2] == ["learn", "quiz"]           # where a learner starts


def test_tutor_alone_shows_the_help_and_succeeds(run_cli):
    alone, helped = run_cli(), run_cli("--help")
    assert alone.exit_code == 0 and alone.stdout == helped.stdout
    assert run_cli("nosuch").exit_code == 2


def test_no_color_is_honoured_and_a_flag_wins(monkeypatch):
    from click.testing import CliRunner

    from tutor.cli import base, main

    monkeypatch.setattr(base, "_on_terminal", lambda: True)      # as on a terminal

    def colored(args, env):
        r = CliRunner().invoke(main, args, env=env, color=True)
        return "\x1b[" in r.stdout

    args = ["grad", "x^2", "--at", "x=3"]
    plain = {"NO_COLOR": None, "TERM": "xterm"}                        # (whatever the test run has)
    assert colored(args, plain)
    assert colored(["--color", *args], {"NO_COLOR": "1"})             # an explicit flag wins
    assert not colored(["--no-color", *args], plain)
    assert not colored(args, {"NO_COLOR": "1"})
    assert not colored(args, {"NO_COLOR": "", "TERM": "dumb"})


def test_grad_text(run_cli):
    r = run_cli("grad", "3*a^3 - b^2", "--at", "a=2,3", "--at", "b=6,4", "--gradient", "1,1")
    assert r.exit_code == 0, r.output
    assert "d/da = 9*a^2" in r.output
    assert "[36, 81]" in r.output and "[-12, -8]" in r.output
    assert "\x1b[" not in r.output, "no colours when not on a terminal"


def test_grad_json(run_cli):
    r = run_cli("grad", "3*a^3 - b^2", "--at", "a=2,3", "--at", "b=6,4", "--gradient", "1,1", "--json")
    data = json.loads(r.stdout)
    assert data["agree"] is True
    a = data["gradients"]["a"]
    assert a["sympy"] == a["torch"] == [36.0, 81.0]
    assert a["finite_difference"] == pytest.approx([36, 81])
    assert data["gradients"]["b"]["torch"] == [-12.0, -8.0]


def test_grad_invalid_input_exit_2(run_cli):
    r = run_cli("grad", "x^2", "--at", "x=1,2,3", "--json")
    assert r.exit_code == 2 and r.error_code() == "grad.non-scalar"
    assert "grad can be implicitly created only for scalar outputs" in r.stderr     # torch's words, verbatim
    r = run_cli("grad", "x +", "--at", "x=1", "--json")
    assert r.exit_code == 2 and r.error_code() == "math.incomplete"
    assert len(r.stderr.strip().splitlines()) == 1
    r = run_cli("grad", "x^2", "--at", "x=1", "--dtype", "int8")
    assert r.exit_code == 2


def test_grad_disagreement_exit_1(run_cli):
    r = run_cli("grad", "tanh(x)", "--at", "x=10", "--dtype", "float32", "--json")
    assert r.exit_code == 1
    assert r.json()["gradients"]["x"]["status"] == ["saturated"]


def test_grad_kink_reported(run_cli):
    r = run_cli("grad", "relu(x)", "--at", "x=0", "--json")
    assert r.exit_code == 0
    (kink,) = r.json()["nondifferentiable"]
    assert kink["function"] == "relu" and kink["torch"] == 0.0


@pytest.mark.parametrize("ref,ans,code", [
    ("sin(x)^2 + cos(x)^2", "1", 0),
    ("2x cos(x^2)", "cos(x^2)", 1),
    ("x", "x +", 2),
])
def test_equiv_exit_codes(run_cli, ref, ans, code):
    r = run_cli("equiv", ref, ans)
    assert r.exit_code == code, r.output


def test_equiv_json(run_cli):
    r = run_cli("equiv", "e^x", "exp(x)", "--json")
    data = json.loads(r.stdout)
    assert data["verdict"] == "equivalent" and data["equivalent"] is True


def test_equiv_vars_option(run_cli):
    assert run_cli("equiv", "x", "x + 0 y", "--vars", "x,y").exit_code == 0
    r = run_cli("equiv", "x", "x", "--vars", "x,sin", "--json")
    assert r.exit_code == 2 and r.error_code() == "math.reserved-name"


HOSTILE = [
    '__import__("os").system("touch /tmp/tutor-pwned")',
    "().__class__.__bases__[0].__subclasses__()",
    "x.__class__",
    "9**9**9",
    "factorial(10**8)",
    "(9**99)**99",
    "x" * 100_000,
    "(" * 5000 + "x" + ")" * 5000,
    "-" * 50_000 + "x",
    "lambda: 0",
    "open('/etc/passwd')",
    "eval('1')",
    "[x for x in range(10**9)]",
    "exp(exp(exp(10)))",
    "(x+1)^1000000",
]


@pytest.mark.parametrize("text", HOSTILE, ids=lambda t: t[:24])
def test_hostile_input_refused_quickly(run_cli, text):
    start = time.monotonic()
    r = run_cli("equiv", "x", text, "--json", binary=True)
    elapsed = time.monotonic() - start
    assert r.exit_code == 2, (r.stdout, r.stderr)
    assert len(r.stderr.strip().splitlines()) == 1
    assert r.error_code().startswith("math.")
    assert elapsed < 3.0, f"took {elapsed:.2f}s"
    assert not os.path.exists("/tmp/tutor-pwned")


def test_hostile_input_in_grad_too(run_cli):
    r = run_cli("grad", "9**9**9 * x", "--at", "x=1", binary=True)
    assert r.exit_code == 2
    r = run_cli("grad", "x", "--at", "x=__import__('os')", binary=True)
    assert r.exit_code == 2


def test_help_imports_neither_torch_nor_sympy():
    code = (
        "import sys\n"
        "from tutor.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "for cmd in (['grad', '--help'], ['equiv', '--help']):\n"
        "    try:\n        main(cmd)\n    except SystemExit:\n        pass\n"
        "print('torch' in sys.modules, 'sympy' in sys.modules, 'numpy' in sys.modules)\n"
        "assert 'tutor.mathlang.parser' not in sys.modules\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env=dict(os.environ, PYTHONPATH=ROOT), timeout=60)
    assert out.stdout.strip().splitlines()[-1] == "False False False"


def test_math_starting_with_minus_is_an_argument(run_cli):
    assert run_cli("equiv", "-sin(x)", "-sin(x)").exit_code == 0
    assert run_cli("equiv", "-sin(x)", "sin(x)").exit_code == 1
    r = run_cli("grad", "-x^2", "--at", "x=-3", "--json")
    assert json.loads(r.stdout)["gradients"]["x"]["torch"] == [6.0]


def test_sheet_command_writes_sheet_and_key(run_cli, tmp_path):
    out = tmp_path / "sheet.md"
    r = run_cli("sheet", "--topic", "accumulation", "--count", "2", "--seed", "3", "-o", str(out))
    assert r.exit_code == 0, r.output
    key = tmp_path / "sheet-key.md"
    assert out.exists() and key.exists()
    again = tmp_path / "again.md"
    run_cli("sheet", "--topic", "accumulation", "--count", "2", "--seed", "3", "-o", str(again))
    assert again.read_bytes() == out.read_bytes()
    from tutor.commands.sheet import main as sheet

    done = sheet(count=1, seed=1, fmt="pdf", output=str(tmp_path / "s.pdf"))
    assert done.exit_code == 0 or (done.exit_code == 2 and done.code == "sheet.no-tex")


def test_columns_line_up_in_chinese():
    """Wide characters take two columns: the witnesses' values start in one column in any language."""
    from tutor.foundation.term import display_width, pad

    assert display_width("有限差分") == 8 and display_width("sympy") == 5
    labels = ["符号式", "sympy", "torch 自动求导", "有限差分"]
    width = max(display_width(s) for s in labels) + 2
    assert {display_width(pad(s, width)) for s in labels} == {width}


def test_a_group_within_tutor_lists_its_commands_plainly(run_cli):
    """tutor export --help: its one command, without the learner's and instructor's sections of tutor --help."""
    from tutor.foundation.i18n import _

    r = run_cli("export", "--help")
    assert r.exit_code == 0 and "gradescope" in r.stdout
    assert _("Commands for learners") not in r.stdout and _("Commands for instructors") not in r.stdout


def test_a_code_check_with_nothing_to_judge_is_not_called_unreadable():
    """An unedited stub was understood: "not checked", never "I could not read that"."""
    from tutor.features.quiz.render import render_event
    from tutor.foundation.i18n import _

    unread = _("I could not read that: {reason}").format(reason="r")
    for code, expected in (("quiz.code-unedited", _("Not checked: {reason}")), ("math.syntax", unread)):
        shown = render_event({"event": "invalid", "reason": "r", "code": code, "message": ""})
        assert shown.startswith(expected.format(reason="r")), (code, shown)


def test_no_space_after_a_chinese_full_stop(monkeypatch):
    import tutor.features.quiz.render as render

    monkeypatch.setattr(render, "_", lambda m: "✓ 正确。" if m == "✓ Right." else m)
    shown = render.render_event({"event": "feedback", "correct": True, "explanation": "说明"})
    assert shown == "✓ 正确。说明"
    monkeypatch.setattr(render, "_", lambda m: m)
    assert render.render_event({"event": "feedback", "correct": True, "explanation": "Why."}) == "✓ Right. Why."
