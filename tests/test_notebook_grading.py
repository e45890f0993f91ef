"""Notebooks graded whole: code cells in the sandbox, the maximum from the manifest, the student from the
manifest and the notebook's metadata (never the file name), every doubt flagged, no notebook stopping the batch."""
import json
import os
import shutil
from pathlib import Path

import pytest

from tutor import bank
from tutor.bank import handouts

IDS = ("accumulate-three-backward", "chain-rule-sin-power", "code-b-linreg-manual")


@pytest.fixture(scope="module")
def sheet(tmp_path_factory):
    """Three students' notebooks (a predict, a derive and a code question) and the keys; the manifest
    (made once: the tests grade copies)."""
    from click.testing import CliRunner

    from tutor.cli import main

    tmp_path = tmp_path_factory.mktemp("sheet")
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name\ns001,Ada\ns002,Lin\ns003,Grace\n")
    out = tmp_path / "made"
    args = ["sheet", "--seed", "5", "--format", "ipynb", "--students", str(roster), "-o", str(out) + "/"]
    for ex_id in IDS:
        args += ["--exercise", ex_id]
    r = CliRunner().invoke(main, args, env={"TUTOR_SHEET_SECRET": "s3cret"}, catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return out, out / "sheet-manifest.json"


def _plan(manifest, sid):
    return json.loads(manifest.read_text())["students"][sid]


def _handed_in(src, dest):
    """A notebook as a student hands it in (a key copied by a student loses its key mark)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    if Path(src).suffix != ".ipynb":
        dest.write_bytes(Path(src).read_bytes())
        return dest
    nb = json.loads(Path(src).read_text())
    nb["metadata"]["tutor"]["key"] = False
    dest.write_text(json.dumps(nb))
    return dest


def _grade(run_cli, manifest, *paths, fmt="json"):
    r = run_cli("grade", *map(str, paths), "--manifest", str(manifest), "--format", fmt, timeout=600)
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout) if fmt == "json" else r.stdout


def _by_student(report):
    return {x["student"]: x for x in report["results"]}


def _edit(path, change):
    nb = json.loads(path.read_text())
    change(nb)
    path.write_text(json.dumps(nb))


def _answer_cells(nb):
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def test_a_perfect_notebook_scores_every_question_code_cells_included(run_cli, sheet, tmp_path):
    """The key notebook (the reference solution in its code cell) scores 3/3: code is run, not counted 0."""
    made, manifest = sheet
    key = _handed_in(made / "sheet-s001-key.ipynb", tmp_path / "lms" / "Ada homework final (1).ipynb")
    report = _grade(run_cli, manifest, key)
    ada = _by_student(report)["s001"]          # the metadata names s001: the LMS's file name does not matter
    assert ada["max_score"] == 3 and ada["score"] == 3, ada
    code_tests = [t for t in ada["tests"] if "code-b-linreg-manual" in t["name"]]
    assert len(code_tests) == 3 and round(sum(t["max_score"] for t in code_tests), 2) == 1
    # the first run is the student's own variant, the one the sheet showed
    own = bank.variant(bank.find(bank.load(), "code-b-linreg-manual"),
                       next(q["seed"] for q in _plan(manifest, "s001")["questions"]
                            if q["exercise"] == "code-b-linreg-manual"))
    assert all(f"{k}=" in code_tests[0]["name"] for k in own.kind.call_args(own))


def test_the_stub_left_unfinished_scores_nothing_on_the_code_question(run_cli, sheet, tmp_path):
    made, manifest = sheet
    nb = _handed_in(made / "sheet-s002.ipynb", tmp_path / "lms" / "s002.ipynb")
    report = _grade(run_cli, manifest, nb)
    lin = _by_student(report)["s002"]
    assert lin["max_score"] == 3 and lin["score"] == 0
    assert "review" in lin["status"] or lin["flags"]          # two answers left empty are flagged


def test_deleted_or_repeated_answer_cells_never_change_the_maximum(run_cli, sheet, tmp_path):
    made, manifest = sheet
    plan = _plan(manifest, "s001")["questions"]
    predict = bank.variant(bank.find(bank.load(), plan[0]["exercise"]), plan[0]["seed"])
    right = bank.expected_text(predict)

    def repeat_one_answer(nb):
        cells = _answer_cells(nb)
        cells[0]["source"] = [cells[0]["source"][0], f"answer = {right!r}\n"]
        # the known answer pasted into every other answer cell, keeping question 1's marker
        for c in cells[1:]:
            c["source"] = list(cells[0]["source"])

    def delete_the_markers(nb):
        cells = _answer_cells(nb)
        cells[0]["source"] = [f"answer = {right!r}\n"]          # the marker line removed: found by the cell's id
        nb["cells"] = [c for c in nb["cells"] if c is not cells[1] and c is not cells[2]]   # two cells deleted

    first = _handed_in(made / "sheet-s001.ipynb", tmp_path / "a" / "s001.ipynb")
    _edit(first, repeat_one_answer)
    second = _handed_in(made / "sheet-s001.ipynb", tmp_path / "b" / "s001.ipynb")
    _edit(second, delete_the_markers)
    for path in (first, second):
        got = _by_student(_grade(run_cli, manifest, path))["s001"]
        assert got["max_score"] == 3 and got["score"] == 1, got
        assert got["flags"], got


def test_the_student_comes_from_the_metadata_and_variants_not_from_the_file_name(run_cli, sheet, tmp_path):
    made, manifest = sheet
    # s002's notebook, handed in under s003's id: graded as s002, and flagged
    renamed = _handed_in(made / "sheet-s002-key.ipynb", tmp_path / "lms" / "s003.ipynb")
    report = _grade(run_cli, manifest, renamed)
    assert set(_by_student(report)) == {"s002"}
    assert any("s003" in f for f in _by_student(report)["s002"]["flags"])


def test_metadata_naming_another_student_than_the_variants_is_flagged(run_cli, sheet, tmp_path):
    made, manifest = sheet
    copied = _handed_in(made / "sheet-s001-key.ipynb", tmp_path / "lms" / "mine.ipynb")

    def claim_s003(nb):
        nb["metadata"]["tutor"]["sheet"]["student"] = "s003"

    _edit(copied, claim_s003)
    got = _by_student(_grade(run_cli, manifest, copied))["s003"]
    assert any("s001" in f for f in got["flags"])
    assert got["score"] < 3        # graded on s003's own variants, which s001's answers do not fit


def test_two_notebooks_of_one_student_and_a_notebook_of_nobody_are_listed(run_cli, sheet, tmp_path):
    made, manifest = sheet
    a = _handed_in(made / "sheet-s001-key.ipynb", tmp_path / "lms" / "a.ipynb")
    b = _handed_in(made / "sheet-s001.ipynb", tmp_path / "lms" / "b.ipynb")
    stray = _handed_in(made / "sheet-s001.ipynb", tmp_path / "lms" / "stray.ipynb")

    def nobody(nb):
        nb["metadata"]["tutor"]["sheet"]["student"] = "x999"
        for c in _answer_cells(nb):
            c["source"] = ["answer = '1'\n"]
            c["metadata"] = {}
            c.pop("id", None)

    _edit(stray, nobody)
    report = _grade(run_cli, manifest, a, b, stray)
    assert [r["student"] for r in report["results"]] == ["s001"]
    skipped = {os.path.basename(s["file"]): s["reason"] for s in report["skipped"]}
    assert set(skipped) == {"b.ipynb", "stray.ipynb"}


def test_code_files_and_notebooks_are_told_apart_file_by_file(run_cli, sheet, tmp_path):
    made, manifest = sheet
    folder = tmp_path / "subs"
    _handed_in(made / "sheet-s001-key.ipynb", folder / "s001" / "homework.ipynb")
    _handed_in(Path(__file__).resolve().parents[1] / "solutions" / "code" / "b_linreg_manual.py",
               folder / "s002" / "b_linreg_manual.py")
    report = _grade(run_cli, manifest, folder)
    by = {(r["student"], r["exercise"]): r for r in report["results"]}
    assert by[("s001", "sheet")]["score"] == 3
    assert by[("s002", "code-b-linreg-manual")]["score"] == by[("s002", "code-b-linreg-manual")]["max_score"]


@pytest.mark.parametrize("content", [
    b"{not json", b"[1, 2, 3]", b'{"cells": 7}', b"\xff\xfe\x00junk", b"[" * 100000 + b"]" * 100000,
    b'{"cells": [{"cell_type": "code", "source": 42}, 7, null]}',
], ids=["broken", "list", "cells-not-list", "not-utf8", "deep", "odd-cells"])
def test_one_malformed_notebook_never_stops_the_batch(run_cli, sheet, tmp_path, content):
    made, manifest = sheet
    good = _handed_in(made / "sheet-s001-key.ipynb", tmp_path / "lms" / "good.ipynb")
    bad = tmp_path / "lms" / "bad.ipynb"
    bad.write_bytes(content)
    report = _grade(run_cli, manifest, good, bad)
    assert _by_student(report)["s001"]["score"] == 3, _by_student(report)["s001"]
    assert any(os.path.basename(s["file"]) == "bad.ipynb" for s in report["skipped"]) or \
        any(r["file"].endswith("bad.ipynb") for r in report["results"])


def test_links_folders_and_fifos_named_like_notebooks_are_listed_not_followed(run_cli, sheet, tmp_path):
    made, manifest = sheet
    lms = tmp_path / "lms"
    _handed_in(made / "sheet-s001-key.ipynb", lms / "good.ipynb")
    (lms / "link.ipynb").symlink_to(made / "sheet-s002-key.ipynb")
    (lms / "dir.ipynb").mkdir()
    os.mkfifo(lms / "fifo.ipynb")
    report = _grade(run_cli, manifest, lms)
    assert set(_by_student(report)) == {"s001"}
    skipped = {os.path.basename(s["file"]) for s in report["skipped"]}
    assert {"link.ipynb", "fifo.ipynb"} <= skipped


def test_an_answer_that_is_not_typed_text_goes_to_review(run_cli, sheet, tmp_path):
    made, manifest = sheet
    nb = _handed_in(made / "sheet-s001.ipynb", tmp_path / "lms" / "s001.ipynb")

    def expression(nb):
        c = _answer_cells(nb)[1]
        c["source"] = [c["source"][0], "answer = 2 * x * cos(x ** 2)\n"]

    _edit(nb, expression)
    got = _by_student(_grade(run_cli, manifest, nb))["s001"]
    assert got["max_score"] == 3
    assert any("question 2" in f.lower() or "2" in f for f in got["flags"])


def test_a_code_cell_may_keep_notebook_commands(run_cli, sheet, tmp_path):
    made, manifest = sheet
    nb = _handed_in(made / "sheet-s001-key.ipynb", tmp_path / "lms" / "s001.ipynb")

    def magic(nb):
        c = _answer_cells(nb)[2]
        src = "".join(c["source"]).split("\n")
        c["source"] = "\n".join([src[0], "%matplotlib inline", "!pip list", *src[1:]])

    _edit(nb, magic)
    assert _by_student(_grade(run_cli, manifest, nb))["s001"]["score"] == 3


def test_notebooks_without_the_manifest_are_refused_with_a_reason(run_cli, sheet, tmp_path):
    made, _manifest = sheet
    r = run_cli("grade", str(made / "sheet-s001-key.ipynb"))
    assert r.exit_code == 2 and "--manifest" in r.stderr


def test_the_marker_helpers_round_trip():
    assert handouts.MARKER.match(handouts.marker("ABCDEFGH", 3)).group("token") == "ABCDEFGH"


# ---------------------------------------------------------------- red team, round 1


def _set_answer(path, index, *lines):
    def change(nb):
        c = _answer_cells(nb)[index]
        first = "".join(c["source"]).split("\n")[0]
        c["source"] = "\n".join([first, *lines])
    _edit(path, change)


def _at_return(nb, change):
    """Edit the code question's cell (the third answer cell) at its return line: change(lines, index)."""
    c = _answer_cells(nb)[2]
    src = "".join(c["source"]).rstrip("\n").split("\n")
    change(src, next(i for i, line in enumerate(src) if line.strip().startswith("return")))
    c["source"] = "\n".join(src)


def test_an_answer_that_takes_for_ever_to_judge_costs_only_that_question(run_cli, sheet, tmp_path):
    made, manifest = sheet
    slow = _handed_in(made / "sheet-s001.ipynb", tmp_path / "lms" / "s001.ipynb")
    _set_answer(slow, 1, 'answer = "exp(exp(exp(exp(exp(x)))))"')
    fine = _handed_in(made / "sheet-s002-key.ipynb", tmp_path / "lms" / "s002.ipynb")
    r = run_cli("grade", str(slow), str(fine), "--manifest", str(manifest), "--timeout", "4", timeout=300)
    assert r.exit_code == 0, r.output
    by = _by_student(json.loads(r.stdout))
    assert by["s002"]["score"] == 3
    assert by["s001"]["tests"][1]["score"] == 0 and any("question 2" in f.lower() or "2" in f
                                                        for f in by["s001"]["flags"])


def test_a_marker_with_a_huge_number_is_not_an_answer_and_stops_nothing(run_cli, sheet, tmp_path):
    made, manifest = sheet
    nb = _handed_in(made / "sheet-s001-key.ipynb", tmp_path / "lms" / "s001.ipynb")

    def huge(nb):
        c = _answer_cells(nb)[0]
        src = "".join(c["source"]).split("\n")
        c["source"] = "\n".join([src[0].rsplit("=", 1)[0] + "=" + "9" * 5000, *src[1:]])
        c["metadata"] = {}
        c.pop("id", None)

    _edit(nb, huge)
    got = _by_student(_grade(run_cli, manifest, nb))["s001"]
    assert got["max_score"] == 3 and got["score"] == 2 and got["flags"]


def test_a_line_that_starts_with_percent_inside_an_expression_is_python(run_cli, sheet, tmp_path):
    made, manifest = sheet
    nb = _handed_in(made / "sheet-s001-key.ipynb", tmp_path / "lms" / "s001.ipynb")

    def continued(src, ret):
        src[ret:ret] = ["    msg = ('a is %.3f'", "           % a.item())"]

    _edit(nb, lambda nb: _at_return(nb, continued))
    assert _by_student(_grade(run_cli, manifest, nb))["s001"]["score"] == 3


def test_a_cell_that_needs_another_cell_is_flagged(run_cli, sheet, tmp_path):
    made, manifest = sheet
    nb = _handed_in(made / "sheet-s001-key.ipynb", tmp_path / "lms" / "s001.ipynb")

    def helper_elsewhere(src, ret):
        src[ret] = "    return helper(a)"

    _edit(nb, lambda nb: _at_return(nb, helper_elsewhere))
    got = _by_student(_grade(run_cli, manifest, nb))["s001"]
    assert got["score"] == 2 and any("3" in f for f in got["flags"])


def test_answer_keys_in_the_folder_are_not_graded_as_work(run_cli, sheet):
    made, manifest = sheet
    report = _grade(run_cli, manifest, made)
    assert all(r["score"] == 0 for r in report["results"])              # the blank sheets, not the keys
    assert sum(1 for s in report["skipped"] if "key" in os.path.basename(s["file"])) == 3


def test_literal_answers_are_read_as_typed(tmp_path):
    from tutor.features.grading.cells import typed_answer

    assert typed_answer("answer = None") == ("None", None)
    assert typed_answer("answer = -2.5") == ("-2.5", None)
    assert typed_answer("answer = [0.5, 1]") == ("[0.5, 1]", None)
    assert typed_answer('answer: str = "26"') == ("26", None)
    text, why = typed_answer("answer = x.grad")
    assert text is None and why


def test_a_sheet_without_a_roster_names_students_after_their_folders(run_cli, tmp_path):
    r = run_cli("sheet", "--exercise", "chain-rule-sin-power", "--seed", "2", "--format", "ipynb",
                "-o", str(tmp_path / "hw.ipynb"), "--manifest", str(tmp_path / "m.json"))
    assert r.exit_code == 0, r.output
    for who in ("ada", "bob"):
        _handed_in(tmp_path / "hw-key.ipynb", tmp_path / "subs" / who / "hw.ipynb")
    report = _grade(run_cli, tmp_path / "m.json", tmp_path / "subs")
    assert sorted(r["student"] for r in report["results"]) == ["ada", "bob"]


def test_file_names_with_email_ids_and_copy_numbers(run_cli, tmp_path):
    roster = tmp_path / "r.csv"
    roster.write_text("id\nada.l@uni.edu\nbob.b@uni.edu\n1\n2\n")
    r = run_cli("sheet", "--exercise", "chain-rule-sin-power", "--seed", "2", "--format", "ipynb",
                "--students", str(roster), "-o", str(tmp_path / "made") + "/")
    assert r.exit_code == 0, r.output
    made = tmp_path / "made"
    ada = _handed_in(made / "sheet-ada.l_uni.edu.ipynb", tmp_path / "lms" / "bob.b@uni.edu" / "hw.ipynb")
    one = _handed_in(made / "sheet-1.ipynb", tmp_path / "lms2" / "Ada homework final (2).ipynb")
    report = _grade(run_cli, made / "sheet-manifest.json", ada, one)
    by = _by_student(report)
    assert any("bob.b@uni.edu" in f for f in by["ada.l@uni.edu"]["flags"])
    assert not any("2" in f and "points" in f for f in by["1"]["flags"]) and \
        not any("file name" in f for f in by["1"]["flags"] if "2" in f)


def test_roster_sheets_are_drawn_under_a_secret_even_without_one(run_cli, tmp_path, monkeypatch):
    from tutor.features.sheets import model

    monkeypatch.setenv("TUTOR_DATA", str(tmp_path / "data"))
    roster = tmp_path / "r.csv"
    roster.write_text("id\ns1\n")
    r = run_cli("sheet", "--exercise", "chain-rule-sin-power", "--seed", "2", "--format", "json",
                "--students", str(roster), "-o", str(tmp_path / "made") + "/")
    assert r.exit_code == 0, r.output
    secret = tmp_path / "data" / "sheet-secret"
    assert secret.is_file() and (secret.stat().st_mode & 0o777) == 0o600
    manifest = json.loads((tmp_path / "made" / "sheet-manifest.json").read_text())
    assert manifest["variants_from"] == "local-secret"
    q = manifest["students"]["s1"]["questions"][0]
    assert model.variant_token(q["exercise"], q["seed"], None) != q["variant"]     # not from public hashes
    assert secret.read_text().strip() not in "".join(p.read_text() for p in (tmp_path / "made").iterdir())


def test_a_manifest_with_a_bom_is_read_and_a_damaged_one_explained(run_cli, sheet, tmp_path):
    made, manifest = sheet
    bom = tmp_path / "bom.json"
    bom.write_bytes(b"\xef\xbb\xbf" + manifest.read_bytes())
    nb = _handed_in(made / "sheet-s001-key.ipynb", tmp_path / "lms" / "s001.ipynb")
    assert _by_student(_grade(run_cli, bom, nb))["s001"]["score"] == 3
    damaged = tmp_path / "damaged.json"
    data = json.loads(manifest.read_text())
    data["students"] = [1, 2]
    damaged.write_text(json.dumps(data))
    r = run_cli("grade", str(nb), "--manifest", str(damaged))
    assert r.exit_code == 2 and "Traceback" not in r.stderr and r.stderr.count("\n") <= 2


# ---------------------------------------------------------------- red team, round 2


def _judges():
    import subprocess

    out = subprocess.run(["pgrep", "-f", "grading.judge import serve"], capture_output=True, text=True).stdout
    return set(out.split())


def test_the_judge_reads_nothing_from_the_current_folder_and_leaves_nothing_behind(sheet, tmp_path, monkeypatch):
    from tutor.features.grading import grade_paths

    made, manifest = sheet
    nb = _handed_in(made / "sheet-s001-key.ipynb", tmp_path / "lms" / "s001.ipynb")
    _set_answer(nb, 1, 'answer = "x*(6*x-4)+1"')          # a wrong derive answer: the prover is forked too
    trap = tmp_path / "cwd"
    trap.mkdir()
    marker = tmp_path / "ran"
    for name in ("json", "sympy", "tutor"):
        (trap / f"{name}.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    monkeypatch.chdir(trap)
    before = _judges()
    report = grade_paths([], notebooks=[nb], manifest=manifest)
    assert report.results[0].max_score == 3 and not marker.exists()
    import time

    time.sleep(1)
    assert _judges() - before == set()


def test_folders_that_differ_only_in_capitals_are_never_merged(tmp_path):
    from tutor.features.grading import grade_paths, render

    root = Path(__file__).resolve().parents[1]
    for folder, source in (("ada", root / "exercises" / "code" / "a_mean_square_grad.py"),
                           ("Ada", root / "solutions" / "code" / "a_mean_square_grad.py")):
        (tmp_path / "subs" / folder).mkdir(parents=True)
        (tmp_path / "subs" / folder / "a_mean_square_grad.py").write_text(source.read_text())
    roster = tmp_path / "r.csv"
    roster.write_text("id\nada\n")
    report = grade_paths([tmp_path / "subs"], seed=1, roster=roster)
    students = [r.student for r in report.results]
    assert sorted(students) == ["Ada", "ada"] and any(r.flags for r in report.results if r.student == "Ada")
    assert "Ada" in render(report, "csv")


def test_a_line_break_inside_a_quoted_roster_name_is_part_of_the_name(tmp_path):
    from tutor.bank.roster import read_roster

    roster = tmp_path / "r.csv"
    roster.write_text('id,name\ns1,"Ada\x0cs2"\ns3,"Lin\u2028s4"\n', encoding="utf-8")
    assert [sid for sid, _name in read_roster(roster)] == ["s1", "s3"]


def test_the_account_sheet_secret_is_refused_when_it_is_not_yours_alone(tmp_path, monkeypatch):
    import os

    from tutor.features.sheets.write import local_secret
    from tutor.foundation.errors import TutorError

    monkeypatch.setenv("TUTOR_DATA", str(tmp_path / "data"))
    text, path = local_secret()
    assert len(text) >= 32 and (path.stat().st_mode & 0o777) == 0o600 and local_secret()[0] == text
    path.chmod(0o644)
    with pytest.raises(TutorError):
        local_secret()
    path.unlink()
    planted = tmp_path / "planted"
    planted.write_text("attacker-knows-this-secret\n")
    planted.chmod(0o600)
    os.symlink(planted, path)
    with pytest.raises(TutorError):
        local_secret()


def test_a_bank_given_by_a_relative_path_reaches_the_judge(sheet, tmp_path, monkeypatch):
    """The judge runs in / : the bank's path it is given must not depend on the grader's folder."""
    from tutor.features.grading import grade_paths

    made, manifest = sheet
    root = Path(__file__).resolve().parents[1]
    shutil.copytree(root / "exercises", tmp_path / "mybank")
    nb = _handed_in(made / "sheet-s001-key.ipynb", tmp_path / "lms" / "s001.ipynb")
    monkeypatch.chdir(tmp_path)
    report = grade_paths([], notebooks=[nb], manifest=manifest, directory="mybank")
    assert report.results[0].score == 3, report.results[0].to_json()
