"""Assignments: every student a line for every exercise, points as the assignment says, the same totals in
every format, hidden tests, rosters; a bad assignment file is one clear error."""
import csv
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tutor.features.grading import GradingReport, grade_paths, render, summary_lines
from tutor.foundation.errors import TutorError

ROOT = Path(__file__).resolve().parents[1]
HW = ROOT / "tests" / "fixtures" / "assignments" / "hw.toml"
SOLUTIONS = ROOT / "solutions" / "code"
STUBS = ROOT / "exercises" / "code"
FILES = {"code-zero-before-backward": "zero_before_backward.py", "code-b-sgd-zero-grad": "b_sgd_zero_grad.py",
         "vector-code-mean-backward": "a_mean_square_grad.py", "code-b-mean-loss": "b_mean_loss.py"}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("cohort")
    subs = root / "subs"
    # ada: everything right; bo: one file of four; cy: all four plus an exercise outside the assignment;
    # dee: the stubs; eve is on the roster and sent nothing
    for student, files in {"ada": list(FILES.values()), "bo": ["zero_before_backward.py"],
                           "cy": [*FILES.values(), "b_linreg_manual.py"]}.items():
        (subs / student).mkdir(parents=True)
        for f in files:
            (subs / student / f).write_text((SOLUTIONS / f).read_text())
    (subs / "dee").mkdir()
    for f in FILES.values():
        (subs / "dee" / f).write_text((STUBS / f).read_text())
    roster = root / "roster.csv"
    roster.write_text("id,name\nada,Ada Lovelace\nbo,Bo Chen\ncy,Cy Young\ndee,Dee Dee\neve,Eve Ng\n")
    report = grade_paths([subs], assignment=HW, roster=roster, jobs=2)
    return report, root


def _by(report):
    return {(r.student, r.exercise): r for r in report.results}


def test_every_student_has_a_line_for_every_exercise(graded):
    report, _root = graded
    lines = _by(report)
    students = ["ada", "bo", "cy", "dee", "eve"]
    assert sorted(lines) == sorted((s, e) for s in students for e in FILES)
    assert lines[("bo", "code-b-sgd-zero-grad")].status == "not-submitted"
    assert lines[("eve", "code-b-mean-loss")].status == "not-submitted"
    assert "b_sgd_zero_grad.py" in lines[("bo", "code-b-sgd-zero-grad")].tests[0].output   # the name expected
    assert all(e in FILES for _s, e in lines)                       # cy's extra exercise is not counted
    assert any("b_linreg_manual.py" in f for f, _why in report.skipped)


def test_points_weights_and_totals_agree_in_every_format(graded):
    report, _root = graded
    totals = report.summary()["scores"]
    assert totals["ada"] == {"score": 18.5, "max_score": 18.5}
    assert totals["cy"] == totals["ada"]                           # a classmate's extra file changes nothing
    assert totals["bo"] == {"score": 10, "max_score": 18.5}        # one file of four: 10 of 18.5, everywhere
    assert totals["dee"]["score"] == 0 and totals["eve"] == {"score": 0, "max_score": 18.5}
    zero = _by(report)[("ada", "code-zero-before-backward")].tests
    assert [t.max_score for t in zero] == [2.5, 2.5, 5.0]          # weights 1, 1, 2 of 10 points
    assert [t.max_score for t in _by(report)[("ada", "code-b-sgd-zero-grad")].tests] == [1.67, 1.67, 1.66]
    rows = {row["student"]: row for row in csv.DictReader(io.StringIO(render(report, "csv")))}
    assert rows["bo"]["total"] == "10" and rows["bo"]["max"] == "18.5" and rows["ada"]["total"] == "18.5"
    assert rows["bo"]["name"] == "Bo Chen" and rows["eve"]["code-zero-before-backward"] == "0"
    assert list(rows["ada"])[:6] == ["student", "name", *FILES]     # the assignment's order
    data = json.loads(render(report, "json"))
    assert data["summary"]["scores"]["bo"] == {"score": 10, "max_score": 18.5}
    suites = {s.get("name"): s for s in ET.fromstring(render(report, "junit")).findall("testsuite")}
    props = {p.get("name"): p.get("value") for p in suites["bo"].iter("property")}
    assert props["score"] == "10" and props["max_score"] == "18.5"
    assert "bo (Bo Chen): 10/18.5" in summary_lines(report)
    one = GradingReport([r for r in report.results if r.student == "bo"], isolation=report.isolation)
    assert json.loads(render(one, "gradescope"))["score"] == 10


def test_hidden_tests_are_shown_after_the_due_date_on_gradescope(graded):
    report, _root = graded
    one = GradingReport([r for r in report.results if r.student == "ada"], isolation=report.isolation)
    tests = json.loads(render(one, "gradescope"))["tests"]
    zero = [t for t in tests if t["name"].startswith("code-zero-before-backward")]
    assert [t["visibility"] for t in zero] == ["visible", "after_due_date", "after_due_date"]
    assert all(t["visibility"] == "visible" for t in tests if not t["name"].startswith("code-zero-before"))


def test_without_an_assignment_the_report_says_what_it_graded(tmp_path):
    (tmp_path / "ada").mkdir()
    (tmp_path / "ada" / "zero_before_backward.py").write_text((SOLUTIONS / "zero_before_backward.py").read_text())
    report = grade_paths([tmp_path], seed=0)
    assert report.assignment is None and report.notes and "code-zero-before-backward" in report.notes[0]
    assert report.notes[0] in summary_lines(report)


BAD = {
    "no-version": ("title = 'x'\n[[exercise]]\nid = 'code-b-mean-loss'\npoints = 1\n", "assignment.format-version"),
    "unknown-key": ("format_version = 1\nduee = 1\n[[exercise]]\nid = 'code-b-mean-loss'\npoints = 1\n",
                    "assignment.unknown-key"),
    "unknown-exercise": ("format_version = 1\n[[exercise]]\nid = 'nope'\npoints = 1\n",
                         "assignment.unknown-exercise"),
    "bad-points": ("format_version = 1\n[[exercise]]\nid = 'code-b-mean-loss'\npoints = -1\n", "assignment.field"),
    "bad-weights": ("format_version = 1\n[[exercise]]\nid = 'code-b-mean-loss'\npoints = 1\nweights = [1, 2]\n",
                    "assignment.field"),
    "twice": ("format_version = 1\n[[exercise]]\nid = 'code-b-mean-loss'\npoints = 1\n"
              "[[exercise]]\nid = 'code-b-mean-loss'\npoints = 2\n", "assignment.duplicate"),
    "item-key": ("format_version = 1\n[[exercise]]\nid = 'code-b-mean-loss'\npoints = 1\npoint = 2\n",
                 "assignment.unknown-key"),
    "not-toml": ("format_version = \n", "assignment.toml"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_bad_assignment_is_one_clear_error(tmp_path, name):
    text, code = BAD[name]
    path = tmp_path / "a.toml"
    path.write_text(text)
    (tmp_path / "ada").mkdir()
    with pytest.raises(TutorError) as info:
        grade_paths([tmp_path / "ada"], assignment=path)
    assert info.value.code == code and str(path) in str(info.value)


def test_the_cli_writes_a_gradebook(run_cli, tmp_path):
    (tmp_path / "subs" / "ada").mkdir(parents=True)
    (tmp_path / "subs" / "ada" / "b_mean_loss.py").write_text((SOLUTIONS / "b_mean_loss.py").read_text())
    out = tmp_path / "grades.csv"
    r = run_cli("grade", str(tmp_path / "subs"), "--assignment", str(HW), "--format", "csv", "-o", str(out))
    assert r.exit_code == 0, r.output
    row = next(csv.DictReader(out.open()))
    assert row["student"] == "ada" and row["code-b-mean-loss"] == "1" and row["total"] == "1"
    assert row["max"] == "18.5"


def test_a_formula_without_autograd_earns_nothing_where_autograd_is_required(tmp_path):
    """numpy's formula for the mean-square gradient (2x/n) is right, but no backward() ran."""
    plan = tmp_path / "a.toml"
    plan.write_text('format_version = 1\ninputs = "fixed"\n[[exercise]]\nid = "vector-code-mean-backward"\n'
                    'points = 3\nautograd = true\n')
    (tmp_path / "subs" / "formula").mkdir(parents=True)
    (tmp_path / "subs" / "formula" / "a_mean_square_grad.py").write_text(
        "import numpy\ndef mean_square_grad(values):\n    x = numpy.array(values, dtype=float)\n"
        "    return (2 * x / len(x)).tolist()\n")
    (tmp_path / "subs" / "honest").mkdir()
    (tmp_path / "subs" / "honest" / "a_mean_square_grad.py").write_text(
        (SOLUTIONS / "a_mean_square_grad.py").read_text())
    totals = grade_paths([tmp_path / "subs"], assignment=plan).summary()["scores"]
    assert totals["honest"]["score"] == 3 and totals["formula"]["score"] == 0, totals


def test_a_batch_resumed_after_the_assignment_changed_is_graded_again(tmp_path):
    """A batch stopped to fix the assignment (more tests) must not keep the grades made with the old one."""
    (tmp_path / "subs" / "ada").mkdir(parents=True)
    (tmp_path / "subs" / "ada" / "a_mean_square_grad.py").write_text((SOLUTIONS / "a_mean_square_grad.py").read_text())
    plan = tmp_path / "a.toml"
    log = tmp_path / "out.json.progress.jsonl"
    plan.write_text('format_version = 1\ninputs = "fixed"\n[[exercise]]\nid = "vector-code-mean-backward"\n'
                    'points = 3\ntests = 3\n')
    first = grade_paths([tmp_path / "subs"], assignment=plan, progress_file=log)
    assert len(first.results[0].tests) == 3 and log.exists()
    plan.write_text(plan.read_text().replace("tests = 3", "tests = 5"))
    again = grade_paths([tmp_path / "subs"], assignment=plan, progress_file=log)
    assert len(again.results[0].tests) == 5 and again.summary()["scores"]["ada"] == {"score": 3, "max_score": 3}
    same = grade_paths([tmp_path / "subs"], assignment=plan, progress_file=log)     # unchanged: resumed as before
    assert len(same.results[0].tests) == 5


def test_a_second_file_for_one_exercise_is_flagged_for_review(tmp_path):
    (tmp_path / "subs" / "u1").mkdir(parents=True)
    (tmp_path / "subs" / "u1" / "a_mean_square_grad.py").write_text((SOLUTIONS / "a_mean_square_grad.py").read_text())
    (tmp_path / "subs" / "u1" / "vector-code-mean-backward.py").write_text(
        (STUBS / "a_mean_square_grad.py").read_text())
    report = grade_paths([tmp_path / "subs"], seed=1)
    (result,) = report.results
    assert result.flags and any("a_mean_square_grad.py" in f or "vector-code-mean-backward.py" in f
                                for f in result.flags)
    assert render(report, "csv").splitlines()[1].endswith(",1")


def test_a_roster_gives_every_student_a_line_without_an_assignment_too(tmp_path):
    (tmp_path / "subs" / "U2").mkdir(parents=True)
    (tmp_path / "subs" / "U2" / "a_mean_square_grad.py").write_text((SOLUTIONS / "a_mean_square_grad.py").read_text())
    roster = tmp_path / "r.csv"
    roster.write_text("id\nu2\nabsent\n")
    report = grade_paths([tmp_path / "subs"], seed=1, roster=roster)
    rows = {row["student"]: row for row in csv.DictReader(io.StringIO(render(report, "csv")))}
    assert set(rows) == {"u2", "absent"}                          # the folder U2 is the roster's u2
    assert rows["u2"]["total"] == "3" and rows["absent"]["total"] == "0"
    assert any("U2" in n and "u2" in n for n in report.notes)
    with pytest.raises(TutorError) as info:
        render(report, "gradescope")
    assert "--roster" in str(info.value)
