"""tutor grade: reference solutions get full marks, stubs zero, and no trick earns marks."""
import json
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tutor.features.grading import grade_paths, render

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = (ROOT / "solutions" / "code" / "zero_before_backward.py").read_text()
TARGET = "zero_before_backward.py"

TRICKS = {
    "always-equal": "class E(float):\n    def __eq__(self, o): return True\n    def __ne__(self, o): return False\n"
                    "def descend(**k):\n    return E(0.0)\n",
    "tensor-subclass": "import torch\nclass T(torch.Tensor):\n    def __eq__(self, o): return True\n"
                       "    @classmethod\n    def __torch_function__(cls, f, t, a=(), k=None): return True\n"
                       "def descend(**k):\n    return torch.zeros(1).as_subclass(T)\n",
    "patched-allclose": "import torch\ntorch.allclose = lambda *a, **k: True\ntorch.isclose = lambda *a, **k: True\n"
                        "def descend(**k):\n    return 0.0\n",
    "caller-frame": "import sys\ndef descend(**k):\n    f = sys._getframe(1)\n"
                    "    for name, v in f.f_locals.items():\n        if isinstance(v, float): return v\n    return 0.0\n",
    "sys-exit": "import sys\ndef descend(**k):\n    sys.exit(0)\n",
    "os-exit": "import os\ndef descend(**k):\n    os._exit(0)\n",
    "printed-result": "print(json := '{\"score\": 100, \"results\": [{\"value\": 1.0}]}')\n"
                      "def descend(**k):\n    print('{\"status\": \"ok\", \"score\": 3}')\n    return 'correct'\n",
    "pickled": "import pickle\ndef descend(**k):\n    return pickle.dumps(1.0)\n",
    "infinite-loop": "def descend(**k):\n    while True:\n        pass\n",
    "memory-bomb": "def descend(**k):\n    blocks = []\n    while True:\n        blocks.append(bytearray(100 * 1024 * 1024))\n",
    "fork-bomb": "import os\ndef descend(**k):\n    while True:\n        try:\n            os.fork()\n        except OSError:\n"
                 "            pass\n",
    "output-flood": "def descend(**k):\n    while True:\n        print('x' * 100000)\n",
    "read-solutions": f"def descend(**k):\n    src = open({str(ROOT / 'solutions' / 'code' / TARGET)!r}).read()\n"
                      "    ns = {}\n    exec(src, ns)\n    return ns['descend'](**k)\n",
    "write-outside": f"def descend(**k):\n    open({str(ROOT / 'PWNED')!r}, 'w').write('x')\n"
                     "    open('/tmp/tutor-PWNED', 'w').write('x')\n    return 0.0\n",
    "network": "import socket\ndef descend(**k):\n    socket.create_connection(('127.0.0.1', 22), timeout=1)\n"
               "    return 0.0\n",
    "hard-coded": "def descend(**k):\n    return 0.98304\n",
}


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    root = tmp_path_factory.mktemp("cohort")
    for name, src in {"honest": SOLUTION, **TRICKS}.items():
        (root / name).mkdir()
        (root / name / TARGET).write_text(src)
    report = grade_paths([root], jobs=2, timeout=3.0, seed=0)      # fixed: the hard-coded trick is tried
    return {r["student"]: r for r in report.to_json()["results"]}, report


def test_reference_solutions_get_full_marks_and_stubs_zero():
    report = grade_paths([ROOT / "solutions"], jobs=2).to_json()
    assert report["results"] and all(r["score"] == r["max_score"] for r in report["results"]), report
    stubs = grade_paths([ROOT / "exercises" / "code"], jobs=2).to_json()
    assert len(stubs["results"]) == len(report["results"])
    assert all(r["score"] == 0 for r in stubs["results"])
    assert stubs["summary"]["misconceptions"], "the stubs' mistakes are named"


def test_honest_student_unaffected_and_every_trick_earns_nothing(cohort):
    results, report = cohort
    assert results["honest"]["score"] == results["honest"]["max_score"] == 3
    for name in TRICKS:
        assert results[name]["score"] == 0, (name, results[name]["tests"])
    assert len(report.results) == len(TRICKS) + 1       # the batch completed


def test_the_sandbox_leaves_the_machine_alone(cohort):
    results, _report = cohort
    assert not (ROOT / "PWNED").exists() and not Path("/tmp/tutor-PWNED").exists()
    assert "FileNotFoundError" in results["read-solutions"]["tests"][0]["output"]
    assert _report.isolation["mode"] == "full" and not _report.isolation["problems"]
    assert results["infinite-loop"]["status"] == "timeout"
    assert results["os-exit"]["status"] == "no-result"
    if os.geteuid() == 0:     # as root each worker's launcher names its folder after this process
        mine = f"tutor-stage-{os.getpid()}-"
        running = [line for line in os.popen("ps -eo stat=,args=").read().splitlines()
                   if not line.startswith("Z") and mine in line and "ps -eo" not in line]
        assert running == []                             # nothing left running (zombies aside: no code)
        assert not [p for p in os.listdir("/tmp") if p.startswith(mine)]


def test_feedback_names_the_misconception(tmp_path):
    stub = (ROOT / "exercises" / "code" / TARGET).read_text()
    (tmp_path / "ana").mkdir()
    (tmp_path / "ana" / TARGET).write_text(stub)
    report = grade_paths([tmp_path]).to_json()
    test = report["results"][0]["tests"][0]
    assert test["misconception"] == "accumulation.no-zero"
    # the fix comes with the explanation, in the question's names: no optimizer here, and no .zero_() that
    # fails while .grad is None
    assert "x.grad.zero_()" in test["output"] and "if x.grad is not None:" in test["output"]
    assert "opt." not in test["output"]
    assert report["summary"]["misconceptions"] == {"accumulation.no-zero": 1}


def test_report_formats(cohort):
    from tutor.features.grading import GradingReport
    from tutor.foundation.errors import TutorError

    _results, report = cohort
    with pytest.raises(TutorError) as info:              # Gradescope's results.json is one student's
        render(report, "gradescope")
    assert info.value.code == "grade.gradescope-students"
    one = GradingReport([r for r in report.results if r.student == "honest"], isolation=report.isolation)
    gs = json.loads(render(one, "gradescope"))
    assert set(gs) == {"score", "output", "tests"} and "full (" in gs["output"] and gs["score"] == 3
    assert all(set(t) == {"name", "score", "max_score", "output", "visibility"} for t in gs["tests"])
    junit = ET.fromstring(render(report, "junit"))
    assert junit.tag == "testsuites" and len(junit.findall("testsuite")) == len(TRICKS) + 1
    csv_text = render(report, "csv").splitlines()
    assert csv_text[0].startswith("student,") and any(line.startswith("honest,") for line in csv_text)


def test_interrupted_batch_resumes_from_the_progress_log(tmp_path):
    sub = tmp_path / "subs"
    (sub / "bo").mkdir(parents=True)
    (sub / "bo" / TARGET).write_text(SOLUTION)
    log = tmp_path / "out.json.progress.jsonl"
    first = grade_paths([sub], progress_file=log)
    assert first.results[0].score == 3 and log.exists()
    # a finished grade is not graded again: mark the logged one and see it come back untouched
    head, line = log.read_text().splitlines()[:2]
    assert "isolation" in json.loads(head)
    rec = json.loads(line)
    rec["result"]["status"] = "from-log"
    log.write_text(head + "\n" + json.dumps(rec) + "\n" + '{"key": "torn')     # a kill mid-write leaves a torn line
    again = grade_paths([sub], progress_file=log)
    assert again.results[0].status == "from-log"


def test_cli_writes_reports_atomically(run_cli, tmp_path):
    out = tmp_path / "r" / "grades.csv"
    r = run_cli("grade", str(ROOT / "solutions"), "--format", "csv", "-o", str(out), "--jobs", "2")
    assert r.exit_code == 0, r.output
    assert out.read_text().startswith("student,")
    assert sorted(p.name for p in out.parent.iterdir()) == ["grades.csv"]      # no temp or progress files left


def _sheet_for_two(run_cli, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name\ns001,Ada\ns002,Lin\n")
    r = run_cli("sheet", "--exercise", "accumulate-three-backward", "--exercise", "chain-rule-sin-power",
                "--seed", "3", "--format", "ipynb", "--students", str(roster), "-o", str(tmp_path / "hw.ipynb"))
    assert r.exit_code == 0, r.output
    return tmp_path / "hw-manifest.json"


def _fill(notebook_path, answers):
    nb = json.loads(notebook_path.read_text())
    i = 0
    for cell in nb["cells"]:
        src = "".join(cell["source"])
        if cell["cell_type"] == "code" and src.startswith("# answer:"):
            first = src.split("\n", 1)[0]
            cell["source"] = [first + "\n", f"answer = {answers[i]!r}\n"]
            i += 1
    notebook_path.write_text(json.dumps(nb))


def test_completed_notebooks_are_graded_on_each_students_own_variant(run_cli, tmp_path):
    from tutor import bank

    manifest = _sheet_for_two(run_cli, tmp_path)
    plan = json.loads(manifest.read_text())["students"]
    exercises = {ex.id: ex for ex in bank.load()}
    # s001 answers right; s002 types the single-backward value (forgot accumulation)
    keys = {}
    for sid in ("s001", "s002"):
        variants = [bank.variant(exercises[q["exercise"]], q["seed"]) for q in plan[sid]["questions"]]
        keys[sid] = variants
    right = [bank.expected_text(v) for v in keys["s001"]]
    right[1] = right[1].replace("∂f/∂x = ", "")
    _fill(tmp_path / "hw-s001.ipynb", right)
    single = [c for c in keys["s002"][0].candidates if c.id == "accumulation.overwrite"][0].answer.text()
    _fill(tmp_path / "hw-s002.ipynb", [single, "cos(x)"])
    r = run_cli("grade", str(tmp_path / "hw-s001.ipynb"), str(tmp_path / "hw-s002.ipynb"), "--manifest",
                str(manifest))
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)
    by = {x["student"]: x for x in report["results"]}
    assert by["s001"]["score"] == 2 and by["s002"]["score"] == 0
    assert by["s002"]["tests"][0]["misconception"] == "accumulation.overwrite"
    assert report["summary"]["misconceptions"]["accumulation.overwrite"] == 1


def test_a_notebook_cannot_choose_its_own_variant(run_cli, tmp_path):
    from tutor import bank

    manifest = _sheet_for_two(run_cli, tmp_path)
    ex = bank.find(bank.load(), "accumulate-three-backward")
    plan = json.loads(manifest.read_text())["students"]["s001"]["questions"]
    own = bank.expected_text(bank.variant(ex, plan[0]["seed"]))
    # the learner replaces the marker (an opaque token) by one naming the exercise and a seed whose answer
    # differs, as notebooks made before tokens did, and answers that variant
    fake_seed = next(seed for seed in range(100) if bank.expected_text(bank.variant(ex, seed)) != own)
    fake_answer = bank.expected_text(bank.variant(ex, fake_seed))
    nb_path = tmp_path / "hw-s001.ipynb"
    nb = json.loads(nb_path.read_text())
    for cell in nb["cells"]:
        src = "".join(cell["source"])
        if cell["cell_type"] == "code" and re.match(r"# answer: .*question=1$", src.split("\n")[0]):
            first = f"# answer: accumulate-three-backward seed={fake_seed} question=1"
            cell["source"] = [first + "\n", f"answer = {fake_answer!r}\n"]
    nb_path.write_text(json.dumps(nb))
    r = run_cli("grade", str(nb_path), "--manifest", str(manifest))
    test = json.loads(r.stdout)["results"][0]["tests"][0]
    assert test["score"] == 0 and own in test["output"]      # graded on the manifest's own variant


def test_the_export_needs_an_assignment(run_cli, tmp_path):
    r = run_cli("export", "gradescope", "-o", str(tmp_path / "autograder.zip"))
    assert r.exit_code == 2 and not (tmp_path / "autograder.zip").exists()


@pytest.mark.parametrize("bwrap", ["", "/bin/false"])
def test_without_a_sandbox_nothing_is_graded_and_the_batch_says_why(run_cli, tmp_path, monkeypatch, bwrap):
    """No bubblewrap, or one that cannot make namespaces: one batch-level error, never a 0 for everyone."""
    from tutor.foundation.errors import TutorError

    sub = tmp_path / "subs" / "ada"
    sub.mkdir(parents=True)
    (sub / TARGET).write_text(SOLUTION)
    monkeypatch.setenv("TUTOR_BWRAP", bwrap)
    with pytest.raises(TutorError) as info:
        grade_paths([tmp_path / "subs"])
    assert info.value.code in ("grade.no-sandbox", "grade.isolation")
    out = tmp_path / "report.json"
    r = run_cli("grade", str(tmp_path / "subs"), "-o", str(out), env={"TUTOR_BWRAP": bwrap})
    assert r.exit_code == 2 and not out.exists() and r.stdout == ""


def test_container_isolation_needs_root(monkeypatch, tmp_path):
    from tutor.foundation.errors import TutorError

    (tmp_path / "ada").mkdir()
    (tmp_path / "ada" / TARGET).write_text(SOLUTION)
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(TutorError) as info:
        grade_paths([tmp_path], isolation="container")
    assert info.value.code == "grade.container-needs-root"


def _inputs_of(report):
    return {(r.student, r.exercise): tuple(t.name for t in r.tests) for r in report.results}


def test_inputs_are_drawn_per_run_per_student_with_a_secret_or_fixed_with_a_seed(tmp_path):
    """Nothing to look up before the run: a fresh draw per run by default; per student with a secret."""
    for student in ("ana", "ben"):
        (tmp_path / student).mkdir()
        (tmp_path / student / TARGET).write_text(SOLUTION)
    runs = [grade_paths([tmp_path]) for _ in range(3)]
    assert all(r.inputs == {"policy": "per-run"} for r in runs)
    assert all(res.score == res.max_score for r in runs for res in r.results)
    assert len({tuple(sorted(_inputs_of(r).items())) for r in runs}) > 1       # not the same inputs every run
    fixed = [grade_paths([tmp_path], seed=7) for _ in range(2)]
    assert _inputs_of(fixed[0]) == _inputs_of(fixed[1]) and fixed[0].inputs == {"policy": "fixed", "seed": 7}
    secret = "s3cr3t-for-the-test"
    a, b = grade_paths([tmp_path], secret=secret), grade_paths([tmp_path], secret=secret)
    assert _inputs_of(a) == _inputs_of(b) and a.inputs == {"policy": "per-student"}
    assert _inputs_of(a)[("ana", "code-zero-before-backward")] != _inputs_of(a)[("ben", "code-zero-before-backward")]
    assert all(res.score == res.max_score for res in a.results)
    for fmt in ("json", "csv", "junit"):
        assert secret not in render(a, fmt)


FORMATS_ALL = ("json", "csv", "gradescope", "junit")


def test_a_log_from_a_batch_graded_otherwise_is_set_aside(tmp_path):
    sub = tmp_path / "subs" / "bo"
    sub.mkdir(parents=True)
    (sub / TARGET).write_text(SOLUTION)
    log = tmp_path / "out.json.progress.jsonl"
    grade_paths([tmp_path / "subs"], seed=1, progress_file=log)
    head, line = log.read_text().splitlines()[:2]
    rec = json.loads(line)
    rec["result"]["status"] = "from-log"
    log.write_text(head + "\n" + json.dumps(rec) + "\n")
    assert grade_paths([tmp_path / "subs"], seed=2, progress_file=log).results[0].status == "ok"   # regraded
    assert (tmp_path / "out.json.progress.jsonl.old").exists()


def test_one_students_thousands_of_files_never_hide_another(tmp_path, monkeypatch):
    import tutor.features.grading.submissions as submissions

    monkeypatch.setattr(submissions, "MAX_ENTRIES", 50)
    (tmp_path / "aaron").mkdir()
    for i in range(200):
        (tmp_path / "aaron" / f"f{i:03d}.txt").write_text("")
    for student in ("bob", "zoe"):
        (tmp_path / student).mkdir()
        (tmp_path / student / TARGET).write_text(SOLUTION)
    found = submissions.discover([tmp_path], __import__("tutor").bank.load())
    assert sorted(s.student for s in found.submissions) == ["bob", "zoe"]
    assert any("aaron" in f for f, _why in found.skipped)


def test_references_are_drawn_once_in_the_order_submissions_are_graded(monkeypatch):
    """The references thread and the graders share each exercise's draw (never drawn twice, whoever asks
    first), and the batch is graded exercise by exercise so that the first drawn serves first."""
    import threading
    import time

    from tutor import bank
    from tutor.features.grading import references
    from tutor.features.grading.references import References, cases_and_calls, exercise_major
    from tutor.features.grading.submissions import Submission

    exercises = [e for e in bank.load(None) if e.handler.runs_code][:3]
    drawn: list[tuple[str, int]] = []
    real = references.bank.variant

    def slow_variant(ex, seed, *args, **kwargs):
        drawn.append((ex.id, seed))
        time.sleep(0.05)                   # long enough for the graders below to ask while it draws
        return real(ex, seed, *args, **kwargs)

    monkeypatch.setattr(references.bank, "variant", slow_variant)
    seed = 987_654
    refs = References([(ex, seed, 2) for ex in exercises])
    got: dict[str, list] = {}
    askers = [threading.Thread(target=lambda ex=ex: got.setdefault(ex.id, cases_and_calls(ex, seed, 2)[0]))
              for ex in reversed(exercises)]
    for t in askers:
        t.start()
    for t in askers:
        t.join()
    refs.close()
    assert sorted(drawn) == sorted({(ex.id, seed * 1000 + i) for ex in exercises for i in range(2)})
    assert len(drawn) == len(set(drawn)) == 2 * len(exercises)            # each variant drawn exactly once
    assert all(got[ex.id] is cases_and_calls(ex, seed, 2)[0] for ex in exercises)   # one shared draw per exercise

    subs = [Submission(student, ex.id, Path(f"{student}/{ex.id}.py"))
            for student in ("ann", "bob") for ex in exercises]
    order = exercise_major(subs)
    assert [(s.exercise, s.student) for s in order] == [(ex.id, st) for ex in exercises for st in ("ann", "bob")]


def test_closing_a_pool_whose_worker_is_still_starting_is_immediate():
    """A batch that turns out to have nothing to run (or fails early) does not wait for torch to load."""
    import time

    from tutor.features.grading.sandbox_pool import start_pool

    pool = start_pool(1, "full", 10.0)
    start = time.monotonic()
    pool.close()
    assert time.monotonic() - start < 1.0
