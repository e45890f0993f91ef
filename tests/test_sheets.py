"""Exercise sheets: keys re-verified through sympy and torch, determinism, variety, formats, rosters."""
import json
import re
from pathlib import Path

import pytest
import sympy

from tutor import bank
from tutor.bank import handouts as ipynb_fmt
from tutor.bank.roster import read_roster
from tutor.commands.sheet import main as sheet_command
from tutor.features import sheets
from tutor.features.sheets import model
from tutor.features.sheets.pdf import compile_pdf, tex_engine
from tutor.foundation.errors import TutorError
from tutor.foundation.paths import bundled_exercises

TEXT_FORMATS = ("md", "html", "tex", "json", "ipynb")
MIXED = ("chain-rule-sin-power", "partials-product-and-exp", "accumulate-three-backward",
         "retain-graph-second-backward-raises", "code-b-linreg-manual", "requires-grad-default")


@pytest.fixture(scope="module")
def exercises():
    return bank.load(bundled_exercises())


@pytest.fixture(scope="module")
def full_sheet(exercises):
    """Every exercise of the bundled bank, once."""
    return sheets.make_sheet(exercises, seed=11)


@pytest.fixture(scope="module")
def full_key(full_sheet):
    return json.loads(sheets.render(full_sheet, "json", key=True))


def _ids_of_kind(exercises, kind):
    return [ex.id for ex in exercises if ex.kind == kind]


# ------------------------------------------------------------------ the key is right

def test_every_bundled_exercise_is_on_the_full_sheet(exercises, full_key):
    assert [q["id"] for q in full_key["questions"]] == [ex.id for ex in exercises]
    assert {q["kind"] for q in full_key["questions"]} == {ex.kind for ex in exercises}


def test_key_answers_are_reverified_through_sympy_and_torch(exercises, full_key):
    """Each answer of the rendered key, recomputed from scratch: sympy's derivative, torch's print."""
    from tutor.bank.answers import parse_prediction
    from tutor.bank.candidates import answers_match
    from tutor.engines.scenario import run_in_torch, same_answer
    from tutor.mathlang import parse

    by_id = {ex.id: ex for ex in exercises}
    for q in full_key["questions"]:
        ex = by_id[q["id"]]
        v = bank.variant(ex, q["seed"])              # the variant, drawn again from the key's seed
        typed = q["answer"]["typed"]
        if q["kind"] == "derive":
            names = set(q["variables"])
            f = parse(q["function"], variables=names).expr
            parts = [p.strip() for p in typed.split(";")]
            assert len(parts) == len(q["wrt"])
            for w, part in zip(q["wrt"], parts):
                x = sympy.Symbol(w, real=True)
                assert sympy.simplify(parse(part, variables=names).expr - sympy.diff(f, x)) == 0, (q["id"], w)
                assert sympy.simplify(v.answer[w] - sympy.diff(f, x)) == 0, (q["id"], w)
        elif q["kind"] in ("predict", "code"):
            torch_says = run_in_torch(v.scenario)
            assert same_answer(v.answer, torch_says, v.scenario.dtype), q["id"]
            assert answers_match(torch_says, parse_prediction(typed)) or torch_says.kind == "error", q["id"]
            if torch_says.kind == "error":
                assert typed.startswith(torch_says.error[0] + ":"), q["id"]
        elif q["kind"] == "concept":
            assert typed == ("true" if v.answer is True else "false" if v.answer is False
                             else chr(ord("a") + v.answer))
        else:                                            # a kind of an instructor's own: its own grader agrees
            assert bank.grade(v, typed).correct, q["id"]


def test_quiz_verdicts_and_sheet_keys_agree(exercises, full_key):
    """The quiz's grader marks every key answer right, and each wrong answer as its misconception."""
    by_id = {ex.id: ex for ex in exercises}
    for q in full_key["questions"]:
        v = bank.variant(by_id[q["id"]], q["seed"])
        if q["kind"] == "code":
            continue                                     # graded from the function's result, below
        g = bank.grade(v, q["answer"]["typed"])
        assert g.correct and g.invalid is None, (q["id"], q["answer"]["typed"], g)
        for wrong in q["wrong_answers"]:
            if len(q.get("wrt", [])) > 1:
                g = v.kind.grade_partial(v, wrong["answer"], wrong.get("wrt"))
            else:
                g = bank.grade(v, wrong["answer"])
            assert not g.correct, (q["id"], wrong)
            assert wrong["misconception"] in g.matches, (q["id"], wrong, g.matches)


def test_code_keys_agree_with_the_reference_solutions(exercises, full_sheet):
    solutions = Path(bundled_exercises()).parent / "solutions"
    if not solutions.is_dir():
        pytest.skip("no solutions folder next to the bank")
    for item in full_sheet.items:
        if item.kind != "code":
            continue
        code = item.variant.kind
        (result,) = code.run_files(item.exercise, solutions / item.exercise.data["file"],
                                   [code.call_args(item.variant)])
        g = code.grade_result(item.variant, result)
        assert g.correct, (item.id, result, item.answer_text())


def test_wrong_answers_name_the_catalogue_misconception(full_sheet):
    from tutor.bank.misconceptions import CATALOGUE

    seen = 0
    for item in full_sheet.items:
        for w in item.wrong_answers():
            assert w.title == CATALOGUE[w.misconception].title
            assert w.text != item.answer_text()
            seen += 1
    assert seen > 50


# ------------------------------------------------------------------ determinism and variety

@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_same_seed_gives_identical_bytes(exercises, fmt):
    a = sheets.make_sheet(exercises, ids=MIXED, seed=5)
    b = sheets.make_sheet(bank.load(bundled_exercises()), ids=MIXED, seed=5)
    for key in (False, True):
        assert sheets.render(a, fmt, key=key).encode() == sheets.render(b, fmt, key=key).encode()


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_different_seeds_give_different_sheets(exercises, fmt):
    a = sheets.render(sheets.make_sheet(exercises, ids=MIXED, seed=1), fmt)
    b = sheets.render(sheets.make_sheet(exercises, ids=MIXED, seed=2), fmt)
    assert a != b


def test_different_seeds_draw_different_parameters(exercises):
    with_params = [ex.id for ex in exercises if ex.data.get("params")]
    a = sheets.make_sheet(exercises, ids=with_params, seed=1)
    b = sheets.make_sheet(exercises, ids=with_params, seed=2)
    differ = sum(x.variant.params != y.variant.params for x, y in zip(a.items, b.items))
    assert differ >= len(with_params) // 2


def test_selection_by_topic_ids_and_count(exercises):
    s = sheets.make_sheet(exercises, topics=("accumulation",), count=3, seed=4)
    assert len(s.items) == 3 and {i.topic for i in s.items} == {"accumulation"}
    assert [i.id for i in s.items] == [i.id for i in sheets.make_sheet(exercises, topics=("accumulation",),
                                                                       count=3, seed=4).items]
    picks = {tuple(i.id for i in sheets.make_sheet(exercises, count=5, seed=k).items) for k in range(6)}
    assert len(picks) > 1
    s = sheets.make_sheet(exercises, ids=("requires-grad-default", "chain-rule-sin-power"))
    assert [i.id for i in s.items] == ["requires-grad-default", "chain-rule-sin-power"]
    s = sheets.make_sheet(exercises, ids=("chain-rule-sin-power",), count=3, seed=0)
    assert len(s.items) == 3 and len({i.seed for i in s.items}) == 3
    for kwargs, code in [({"topics": ("nope",)}, "bank.unknown-topic"), ({"count": 0}, "sheet.bad-count")]:
        with pytest.raises(TutorError) as info:
            sheets.make_sheet(exercises, **kwargs)
        assert info.value.code == code


# ------------------------------------------------------------------ formats

@pytest.fixture(scope="module")
def mixed(exercises):
    return sheets.make_sheet(exercises, ids=MIXED, seed=9)


def test_markdown_math_and_code(mixed):
    sheet, key = sheets.render(mixed, "md"), sheets.render(mixed, "md", key=True)
    assert "$f{\\left(x \\right)} = \\sin{\\left(" in sheet
    assert "```python\nimport torch" in sheet
    typed = mixed.items[0].typed_answer()
    assert f"`{typed}`" in key and typed not in sheet                  # no answer on the sheet
    from tutor.bank.misconceptions import CATALOGUE

    assert "accumulation.overwrite" in key and CATALOGUE["accumulation.overwrite"].title in key
    assert "accumulation.overwrite" not in sheet


def test_html_is_self_contained_with_mathml(mixed):
    for key in (False, True):
        page = sheets.render(mixed, "html", key=key)
        assert page.startswith("<!DOCTYPE html>")
        assert "<script" not in page.lower() and "http" not in page.lower()
        assert not re.search(r"\b(src|href)\s*=", page, re.I)
        assert "<math" in page and "<mfrac>" in page or "<msup>" in page
        assert "@media print" in page
    assert "<table" in sheets.render(mixed, "html", key=True)


def test_html_is_well_formed_xml_in_the_body(mixed):
    """The generated markup nests properly (parsed as XML, with the doctype dropped)."""
    import xml.etree.ElementTree as ET

    page = sheets.render(mixed, "html", key=True).replace("<!DOCTYPE html>", "")
    page = page.replace('<meta charset="utf-8">', '<meta charset="utf-8"/>').replace(
        'initial-scale=1">', 'initial-scale=1"/>')
    ET.fromstring(page)


def test_tex_is_a_complete_article(mixed):
    from tutor.features.sheets.tex import escape

    for key in (False, True):
        doc = sheets.render(mixed, "tex", key=key)
        assert doc.startswith("\\documentclass") and doc.rstrip().endswith("\\end{document}")
        assert "\\usepackage{amsmath" in doc and "\\begin{tutorcode}" in doc
        for env in ("tutorcode", "enumerate", "itemize", "align*"):
            assert doc.count("\\begin{" + env + "}") == doc.count("\\end{" + env + "}"), env
        outside = re.sub(r"\\begin\{(tutorcode|align\*)\}.*?\\end\{\1\}", "", doc, flags=re.S)
        outside = re.sub(r"(?<!\\)\$.*?(?<!\\)\$", "", outside)         # inline math
        assert "∂" not in outside and not re.search(r"(?<!\\)[#&_%]", outside.split("\\begin{document}")[1])
    assert escape("a_b & 50% #1 {x} ~ ^ \\") == ("a\\_b \\& 50\\% \\#1 \\{x\\} \\textasciitilde{} "
                                                  "\\textasciicircum{} \\textbackslash{}")


def test_json_questions_and_key(mixed):
    sheet = json.loads(sheets.render(mixed, "json"))
    key = json.loads(sheets.render(mixed, "json", key=True))
    assert [q["id"] for q in key["questions"]] == list(MIXED)
    for q in sheet["questions"]:
        assert {"variant", "kind", "topic", "prompt", "code", "choices"} <= set(q)
        assert "answer" not in q and "wrong_answers" not in q and "id" not in q and "seed" not in q
    for q, s in zip(key["questions"], sheet["questions"]):
        assert "answer" in q and "wrong_answers" in q and q["variant"] == s["variant"]
    predict = key["questions"][2]
    assert predict["code"].startswith("import torch") and predict["wrong_answers"][0]["misconception"]


def test_ipynb_is_a_valid_nbformat_4_notebook(mixed):
    for key in (False, True):
        nb = json.loads(sheets.render(mixed, "ipynb", key=key))
        assert nb["nbformat"] == 4 and nb["nbformat_minor"] >= 5
        assert "kernelspec" in nb["metadata"]
        ids = [c["id"] for c in nb["cells"]]
        assert len(ids) == len(set(ids)) and all(re.fullmatch(r"[A-Za-z0-9_-]{1,64}", i) for i in ids)
        for c in nb["cells"]:
            assert c["cell_type"] in ("markdown", "code") and isinstance(c["metadata"], dict)
            assert isinstance(c["source"], list) and all(isinstance(s, str) for s in c["source"])
            if c["cell_type"] == "code":
                assert c["outputs"] == [] and c["execution_count"] is None
        answers = [c for c in nb["cells"] if c["cell_type"] == "code"]
        assert len(answers) == len(MIXED)
        for c, item in zip(answers, mixed.items):
            assert c["source"][0].startswith(f"# answer: variant={item.token} question={item.number}")
        import nbformat  # a test dependency: validation is never skipped

        nbformat.validate(nbformat.reads(json.dumps(nb), as_version=4))


def test_a_completed_notebook_reads_back_and_grades(mixed):
    """The key notebook is a completed sheet: its answer cells grade as right."""
    got = ipynb_fmt.read_answers(sheets.render(mixed, "ipynb", key=True))
    assert [a["token"] for a in got] == [i.token for i in mixed.items]
    for a, item in zip(got, mixed.items):
        if item.kind == "code":
            assert a["answer"] is None and "def fit" in a["source"]
        else:
            assert bank.grade(item.variant, a["answer"]).correct
    blank = ipynb_fmt.read_answers(sheets.render(mixed, "ipynb"))
    assert all(a["answer"] in ("", None) for a in blank)


# ------------------------------------------------------------------ command, roster, pdf

def mixed_answer_label():
    """The key's label for an answer, in the language the tests run in."""
    from tutor.foundation.i18n import _

    return _("Answer:")


def test_command_writes_sheet_and_separate_key(tmp_path):
    out = tmp_path / "week1.md"
    r = sheet_command(ids=MIXED, seed=3, output=str(out), secret="s3cret")
    assert r.exit_code == 0, r.stderr
    key = tmp_path / "week1-key.md"
    assert out.is_file() and key.is_file()
    answer = mixed_answer_label()
    assert answer in key.read_text() and answer not in out.read_text()
    first = out.read_bytes()
    r = sheet_command(ids=MIXED, seed=3, output=str(out), answers=str(tmp_path / "k.md"), secret="s3cret")
    assert r.exit_code == 0 and out.read_bytes() == first
    r = sheet_command(ids=MIXED, seed=3, fmt="json")
    assert r.exit_code == 0 and json.loads(r.stdout)["questions"][0]["kind"] == "derive"
    assert "--answers" in r.stderr                                       # a note: no key was written


def test_command_errors_are_one_line_with_exit_2(tmp_path):
    for kwargs, code in [({"topics": ("nope",)}, "bank.unknown-topic"),
                         ({"output": str(tmp_path / "x.docx")}, "sheet.bad-format"),
                         ({"fmt": "rtf"}, "sheet.bad-format"),
                         ({"students": str(tmp_path / "missing.csv"), "output": str(tmp_path / "s.md")},
                          "roster.unreadable")]:
        r = sheet_command(seed=1, **kwargs)
        assert (r.exit_code, r.code) == (2, code)
        assert len(r.stderr.splitlines()) == 1


def test_roster_gives_personal_variants_and_a_manifest(tmp_path, exercises):
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name\ns001,Ada Lovelace\ns002,Alan Turing\ns/003,Grace Hopper\n", encoding="utf-8")
    with_params = tuple(ex.id for ex in exercises if ex.data.get("params") and ex.kind != "code")[:6]
    r = sheet_command(ids=with_params, seed=8, fmt="ipynb", output=str(tmp_path / "hw") + "/",
                      students=str(roster), secret="s3cret")
    assert r.exit_code == 0, r.stderr
    hw = tmp_path / "hw"
    files = sorted(p.name for p in hw.iterdir())
    for sid in ("s001", "s002", "s_003"):
        assert f"sheet-{sid}.ipynb" in files and f"sheet-{sid}-key.ipynb" in files
    manifest = json.loads((hw / "sheet-manifest.json").read_text())
    assert manifest["seed"] == 8 and set(manifest["students"]) == {"s001", "s002", "s/003"}
    variants = set()
    for sid, entry in manifest["students"].items():
        assert entry["seed"] == model.student_seed(8, sid, "s3cret")
        assert [q["exercise"] for q in entry["questions"]] == list(with_params)
        variants.add(tuple(q["seed"] for q in entry["questions"]))
        # the grader: the student's notebook names the manifest's variants by their tokens
        answers = ipynb_fmt.read_answers(hw / entry["sheet"])
        assert [a["token"] for a in answers] == [q["variant"] for q in entry["questions"]]
        mapping = ipynb_fmt.variants_of(manifest)
        assert [(mapping[a["token"]]["exercise"], mapping[a["token"]]["seed"]) for a in answers] == \
            [(q["exercise"], q["seed"]) for q in entry["questions"]]
        # the student's key holds the right answers for their own variants
        key = ipynb_fmt.read_answers(hw / entry["answers"])
        by_id = {ex.id: ex for ex in exercises}
        for a in key:
            v = mapping[a["token"]]
            assert bank.grade(bank.variant(by_id[v["exercise"]], v["seed"]), a["answer"]).correct
    assert len(variants) == 3
    sheets_text = {(hw / e["sheet"]).read_text() for e in manifest["students"].values()}
    assert len(sheets_text) == 3
    # reproducible: the same command gives the same files
    before = {p.name: p.read_bytes() for p in hw.iterdir()}
    sheet_command(ids=with_params, seed=8, fmt="ipynb", output=str(hw) + "/", students=str(roster), secret="s3cret")
    assert {p.name: p.read_bytes() for p in hw.iterdir()} == before


def test_roster_errors(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("name\nAda\n", encoding="utf-8")
    with pytest.raises(TutorError) as info:
        read_roster(bad)
    assert info.value.code == "roster.no-id"
    dup = tmp_path / "dup.csv"
    dup.write_text("id\na\na\n", encoding="utf-8")
    with pytest.raises(TutorError) as info:
        read_roster(dup)
    assert info.value.code == "roster.duplicate-id" and "'a'" in info.value.message
    ok = tmp_path / "ok.csv"
    ok.write_text("\ufeffID\n  x1 \n\nx2\n", encoding="utf-8")
    assert read_roster(ok) == [("x1", None), ("x2", None)]
    r = sheet_command(seed=1, students=str(ok))
    assert (r.exit_code, r.code) == (2, "sheet.students-need-output")


def test_pdf_without_a_tex_engine_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    r = sheet_command(ids=MIXED, seed=1, output=str(tmp_path / "s.pdf"))
    assert (r.exit_code, r.code) == (2, "sheet.no-tex")
    assert "pdflatex" in r.stderr
    assert not (tmp_path / "s.pdf").exists()


def test_pdf_is_compiled_by_the_engine_on_path(tmp_path, run_cli):
    """A stand-in pdflatex proves the plumbing: .tex in, .pdf out, for the sheet and the key.

    In English, from a fresh process: the pseudo-translation's accents are beyond Latin-1 (a sheet with
    them needs xelatex and a font; that path has its own tests)."""
    import os
    import shutil
    import sys

    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = bindir / "pdflatex"
    fake.write_text(f"#!{sys.executable}\nimport sys, pathlib\n"
                    "tex = pathlib.Path(sys.argv[-1]).read_text(encoding='utf-8')\n"
                    "assert tex.startswith('\\\\documentclass')\n"
                    "pathlib.Path('sheet.pdf').write_bytes(b'%PDF-1.4 fake ' + str(len(tex)).encode())\n")
    fake.chmod(0o755)
    path = str(bindir) + os.pathsep + os.environ.get("PATH", "")
    if shutil.which("pdflatex", path=path) != str(fake):
        pytest.skip("cannot put a stand-in pdflatex first on PATH")
    ids = [a for i in MIXED for a in ("--exercise", i)]
    r = run_cli("--lang", "en", "sheet", *ids, "--seed", "1", "-o", str(tmp_path / "s.pdf"), binary=True,
                env={"PATH": path})
    assert r.exit_code == 0, r.stderr
    assert (tmp_path / "s.pdf").read_bytes().startswith(b"%PDF")
    assert (tmp_path / "s-key.pdf").read_bytes().startswith(b"%PDF")


@pytest.mark.skipif(tex_engine() is None, reason="no TeX engine installed")
def test_real_tex_engine_compiles_the_sheet_and_key(mixed):
    for key in (False, True):
        assert compile_pdf(sheets.render(mixed, "tex", key=key)).startswith(b"%PDF")


def _unicode_pdf_ready():
    from tutor.features.sheets.pdf import font_for, unicode_engine

    return unicode_engine() is not None and font_for(["李", "И"]) is not None


@pytest.mark.skipif(not _unicode_pdf_ready(), reason="needs xelatex or lualatex and a CJK font (fonts-noto-cjk)")
def test_a_pdf_for_every_name_and_a_clear_message_for_the_one_that_cannot_be_made(tmp_path):
    """CJK and Cyrillic names get their PDFs; a name no installed font can write is named in the error,
    and every other student's PDF and the manifest are still written."""
    import shutil
    import subprocess

    roster = tmp_path / "r.csv"
    roster.write_text("id,name\ns1,Ada\ns2,李华\ns3,Иван Петров\ns4,Scribe \U00013000\n", encoding="utf-8")
    r = sheet_command(ids=("chain-rule-sin-power",), seed=1, fmt="pdf", output=str(tmp_path / "hw") + "/",
                      students=str(roster))
    assert r.exit_code == 1 and "s4" in r.stderr and "\U00013000" in r.stderr, r.stderr
    manifest = json.loads((tmp_path / "hw" / "sheet-manifest.json").read_text(encoding="utf-8"))
    assert manifest["students"]["s4"]["sheet"] is None and manifest["students"]["s4"]["error"]
    for sid, name in (("s1", "Ada"), ("s2", "李华"), ("s3", "Иван Петров")):
        pdf = tmp_path / "hw" / f"sheet-{sid}.pdf"
        assert pdf.read_bytes().startswith(b"%PDF") and (tmp_path / "hw" / f"sheet-{sid}-key.pdf").is_file()
        if shutil.which("pdftotext"):
            text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
            assert name in text, (sid, text[:200])
    assert not (tmp_path / "hw" / "sheet-s4.pdf").exists()


@pytest.mark.skipif(not _unicode_pdf_ready(), reason="needs xelatex or lualatex and a CJK font (fonts-noto-cjk)")
def test_a_chinese_sheet_and_key_compile_to_pdf(tmp_path, run_cli):
    """tutor --lang zh sheet --format pdf: the bank's texts and the tutor's words in Chinese, typeset by the
    Unicode engine with a CJK font (the text read back from the PDF where pdftotext is installed)."""
    import shutil
    import subprocess

    r = run_cli("--lang", "zh", "sheet", "--exercise", "chain-rule-sin-power", "--exercise",
                "accumulate-three-backward", "--seed", "7", "-o", str(tmp_path / "zh.pdf"), binary=True)
    assert r.exit_code == 0, r.stderr
    for name in ("zh.pdf", "zh-key.pdf"):
        pdf = tmp_path / name
        assert pdf.read_bytes().startswith(b"%PDF")
        if shutil.which("pdftotext"):
            text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
            assert "练习卷" in text and "链式法则" in text and "backward" in text, text[:300]
    # a code question: its stub's Chinese comments typeset in the code listing, in order
    r = run_cli("--lang", "zh", "sheet", "--exercise", "code-backward-call-it", "--seed", "1", "-o",
                str(tmp_path / "code.pdf"), binary=True)
    assert r.exit_code == 0, r.stderr
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(tmp_path / "code.pdf"), "-"], capture_output=True, text=True).stdout
        assert "TODO" in text and "均方误差" in text, text[:400]


def test_a_name_beyond_latin_without_a_unicode_engine_names_the_student(tmp_path, monkeypatch):
    from tutor.features.sheets import pdf

    monkeypatch.setattr(pdf, "unicode_engine", lambda: None)
    calls = []
    monkeypatch.setattr(pdf, "tex_engine", lambda: "/bin/true")

    import tutor.features.sheets.write as write

    monkeypatch.setattr(write, "tex_engine", lambda: "/bin/true")     # (imported by name there)

    def fake_compile(tex, engine=None, timeout=300, _real=pdf.compile_pdf):
        if pdf.wide_characters(tex):
            return _real(tex, engine, timeout)           # raises: no engine for these characters
        calls.append(engine)
        return b"%PDF-1.4 stand-in"

    monkeypatch.setattr(write, "compile_pdf", fake_compile)
    roster = tmp_path / "r.csv"
    roster.write_text("id,name\ns1,Ada\ns2,李华\n", encoding="utf-8")
    r = sheet_command(ids=("chain-rule-sin-power",), seed=1, fmt="pdf", output=str(tmp_path / "hw") + "/",
                      students=str(roster))
    assert r.exit_code == 1 and "s2 (李华)" in r.stderr and "xelatex" in r.stderr
    assert not (tmp_path / "hw" / "sheet-s2.pdf").exists() and (tmp_path / "hw" / "sheet-manifest.json").is_file()
    if "s1 (Ada)" not in r.stderr:       # (under the pseudo-translation every sheet has characters beyond Latin-1)
        assert (tmp_path / "hw" / "sheet-s1.pdf").is_file() and calls


@pytest.mark.parametrize("fmt", ["md", "html", "tex", "ipynb", "json"])
def test_a_students_sheet_shows_neither_exercise_ids_nor_seeds(mixed, fmt):
    """From an id and a seed the key is drawn again with the public package: a sheet shows tokens only."""
    sheet, key = sheets.render(mixed, fmt), sheets.render(mixed, fmt, key=True)
    for item in mixed.items:
        assert item.token and item.token in sheet and item.token in key
        assert item.id not in sheet, (fmt, item.id)
        assert item.id in key
        assert not re.search(rf"(?<![0-9]){item.seed}(?![0-9])", sheet), (fmt, item.seed)
    assert not re.search(r"\bseed\b", sheet, re.IGNORECASE)


def test_a_secret_changes_variants_and_tokens_and_is_never_written(exercises, tmp_path):
    plain = sheets.make_sheet(exercises, ids=MIXED, seed=9)
    a = model.build([i.exercise for i in plain.items], 9, student="s1", secret="one")
    b = model.build([i.exercise for i in plain.items], 9, student="s1", secret="two")
    again = model.build([i.exercise for i in plain.items], 9, student="s1", secret="one")
    assert [i.token for i in a.items] == [i.token for i in again.items]
    assert [i.token for i in a.items] != [i.token for i in b.items]
    assert [i.seed for i in a.items] != [i.seed for i in b.items]
    roster = tmp_path / "r.csv"
    roster.write_text("id\ns1\ns2\n")
    r = sheet_command(ids=MIXED, seed=9, fmt="json", output=str(tmp_path / "hw") + "/", students=str(roster),
                      secret="a-very-private-secret")
    assert r.exit_code == 0, r.stderr
    for f in (tmp_path / "hw").iterdir():
        assert "a-very-private-secret" not in f.read_text()
