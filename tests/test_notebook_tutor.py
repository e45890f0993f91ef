"""The tutor in Jupyter: a generated notebook executed headless (nbclient): a question asked and answered, a
code exercise self-checked, a gradient shown with its steps and walk."""
import os

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _html(cell):
    return "\n".join(o.get("data", {}).get("text/html", "") for o in cell.outputs if o.output_type in (
        "execute_result", "display_data"))


def test_a_notebook_asks_checks_and_shows_a_gradient(tmp_path):
    solution = os.path.join(ROOT, "solutions", "code", "zero_before_backward.py")
    cells = [
        "from tutor import notebook",
        'q = notebook.question("accumulate-three-backward", seed=1)\nq',
        'first = q.answer("4.75")\nassert not first.correct and first.expected is None\nfirst',
        'last = q.answer("3 * (2*3 + 1.75)")\nassert last.correct\nlast',
        f"exec(open({solution!r}).read())\n"
        "from tutor import bank\n"
        'fn = [e for e in bank.load() if e.id == "code-zero-before-backward"][0].data["function"]\n'
        'checked = notebook.check("code-zero-before-backward", globals()[fn])\nassert checked.correct\nchecked',
        'wrong = notebook.check("code-zero-before-backward", lambda **kw: 0.0)\nassert not wrong.correct\nwrong',
        'notebook.gradient("x^2 sin(x)", x=2, steps=True, walk=True)',
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    env_data = tmp_path / "data"
    nbclient.NotebookClient(nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}},
                            ).execute(env={**os.environ, "TUTOR_DATA": str(env_data), "PYTHONPATH": ROOT})
    html = [_html(c) for c in nb.cells]
    assert "print(x.grad)" in html[1]                                   # the question's program
    assert "color:#b00" in html[2] and "(1 " in html[2]                  # a nudge, one attempt left
    assert "23.25" not in html[2] and "23.25" in html[3]                # the answer only after the last attempt
    assert "color:green" in html[4] and "color:#b00" in html[5]
    assert "<math" in html[6] and "SinBackward0" in html[6] and "MulBackward0" in html[6]


def test_a_practice_sheet_checks_itself_in_the_notebook(run_cli, tmp_path):
    sheet = tmp_path / "practice.ipynb"
    r = run_cli("sheet", "--exercise", "accumulate-three-backward", "--exercise", "code-zero-before-backward",
                "--seed", "3", "--format", "ipynb", "-o", str(sheet), "--self-check")
    assert r.exit_code == 0, r.stderr
    key = tmp_path / "practice-key.ipynb"
    results = {}
    for path in (sheet, key):
        nb = nbformat.read(str(path), as_version=4)
        assert sum(c.cell_type == "code" and c.source.startswith("#") and "notebook." in c.source
                   for c in nb.cells) == 2
        nbclient.NotebookClient(nb, timeout=180, kernel_name="python3",
                                resources={"metadata": {"path": str(tmp_path)}}).execute(
            env={**os.environ, "TUTOR_DATA": str(tmp_path / "data"), "PYTHONPATH": ROOT})
        results[path.name] = [_html(c) for c in nb.cells if c.cell_type == "code" and "notebook." in c.source]
    assert all("color:green" in h for h in results["practice-key.ipynb"])       # the key's answers check right
    assert not any("color:green" in h for h in results["practice.ipynb"])       # the blank sheet does not
    marked = run_cli("sheet", "--exercise", "accumulate-three-backward", "--format", "ipynb", "--secret", "s",
                     "--self-check")
    assert marked.exit_code == 2


def test_notebook_check_judges_only_numbers_and_stops_a_hang(monkeypatch):
    import time

    from tutor import notebook, notebook_support

    monkeypatch.setattr(notebook_support, "CHECK_SECONDS", 1)
    assert not notebook.check("code-zero-before-backward", lambda **kw: "0.15552").correct
    start = time.monotonic()
    hung = notebook.check("code-zero-before-backward", lambda **kw: time.sleep(60))
    assert not hung.correct and time.monotonic() - start < 10


@pytest.mark.parametrize("call,code", [
    (lambda nb: nb.gradient("x^2", y=2), "grad.no-value"),
    (lambda nb: nb.gradient("sum(x^2)", x=[1, 2], steps=True), "grad.steps-vector"),
    (lambda nb: nb.gradient("x^2", x=[1, 2]), "grad.non-scalar"),
    (lambda nb: nb.gradient("x^2", x=[1, 2], gradient=[1, 2, 3]), "grad.gradient-shape"),
    (lambda nb: nb.gradient("x^2", x=float("inf")), "notebook.not-finite"),
    (lambda nb: nb.gradient("x^2", x="abc"), "math.unknown-name"),
])
def test_a_notebook_error_names_the_notebooks_arguments_never_the_command_lines_options(call, code):
    from tutor import notebook
    from tutor.foundation.errors import TutorError

    with pytest.raises(TutorError) as caught:
        call(notebook)
    assert caught.value.code == code
    assert "--" not in caught.value.one_line(), caught.value.one_line()


def test_a_vector_result_takes_the_gradient_argument():
    from tutor import notebook

    g = notebook.gradient("x^2 y", x=[1, 2], y=3, gradient=[1, 0.5], walk=True)
    assert g.report.agree and g.walk.checked and g.walk.weights == [1, 0.5]


@pytest.mark.parametrize("call", [
    lambda nb: nb.check("code-zero-before-backward", lambda **k: 1, seed="abc"),
    lambda nb: nb.question("accumulate-three-backward", seed=None),
    lambda nb: nb.questions("zeroing", count=0),
    lambda nb: nb.check("code-zero-before-backward", 5),
    lambda nb: nb.gradient(3, x=2),
    lambda nb: nb.gradient("x^2", x=[1, 2], gradient=[None, 1]),
    lambda nb: nb.gradient("x^2", x=[1, 2], gradient=[float("nan"), 1]),
])
def test_a_notebook_call_with_a_wrong_argument_gets_a_clear_error(call):
    from tutor import notebook
    from tutor.foundation.errors import TutorError

    with pytest.raises(TutorError) as caught:
        call(notebook)
    assert "--" not in caught.value.one_line()
