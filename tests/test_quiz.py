"""The quiz loop: scripted sessions through the CLI, saved progress, kill and resume."""
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BANK = os.path.join(ROOT, "tests", "fixtures", "quiz", "exercises")


@pytest.fixture
def data(tmp_path, monkeypatch):
    monkeypatch.setenv("TUTOR_DATA", str(tmp_path / "data"))
    return tmp_path / "data"


def quiz(run_cli, *args, input_text):
    return run_cli("--exercises", BANK, "quiz", *args, input=input_text)


def events(result):
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def test_accumulation_single_backward_value_gets_the_accumulation_explanation(run_cli, data):
    # x**2 - 1.25x at 3: one backward gives 4.75; three give 14.25
    r = quiz(run_cli, "--exercise", "acc-k-backward", "--json", input_text="4.75\n4.75\n")
    evs = events(r)
    fb = [e for e in evs if e["event"] == "feedback"]
    assert fb[0]["correct"] is False and fb[0]["misconception"] == "accumulation.overwrite"
    # before the last attempt nothing gives the answer away (ISSUE 12): the belief in words, a hint
    assert "14.25" not in json.dumps(fb[0]) and "table" not in fb[0] and "expected" not in fb[0]
    assert fb[1]["misconception"] == "accumulation.overwrite" and "3 × 4.75 = 14.25" in fb[1]["explanation"]
    assert fb[1]["table"]["rows"] == [[1, "4.75", "4.75"], [2, "9.5", "4.75"], [3, "14.25", "4.75"]]
    assert evs[-1]["event"] == "summary" and r.exit_code == 0


def test_text_mode_shows_table_and_fix(run_cli, data):
    r = quiz(run_cli, "--exercise", "acc-k-backward", input_text="4.75\n4.75\n")
    out = r.stdout
    assert "y.backward()" in out and "print(x.grad)" in out
    assert "✗ " in out and "+     x.grad = None" in out            # the fix: the program's own lines, changed
    rows = [line.split() for line in out.splitlines() if re.match(r"\s+[123]\s+\S+\s+4\.75\s*$", line)]
    assert rows == [["1", "4.75", "4.75"], ["2", "9.5", "4.75"], ["3", "14.25", "4.75"]]     # the .grad table
    assert "\x1b[" not in out


def test_zero_after_backward_with_moved_parameters_gets_the_zeroing_explanation(run_cli, data):
    # the learner expects gradient descent to move x: 3 * (1 - 2*0.25)^4 = 0.1875
    r = quiz(run_cli, "--exercise", "zero-after-backward", "--json", input_text="0.1875\n0.1875\n")
    fb = [e for e in events(r) if e["event"] == "feedback"]
    assert fb[0]["misconception"] == "zeroing.placement" and "fix" not in fb[0]
    assert " 3" in fb[1]["explanation"]                                            # x's value
    fix = fb[1]["fix"].splitlines()                # the program that prints the learner's answer, as a diff
    assert "0.1875" in fix[0] and any(line.startswith("+") and "x.grad" in line for line in fix[1:])


@pytest.mark.parametrize("answer", ["2x cos(x^2)", "cos(x^2)*2*x", "2 x cos(x²)", "x cos(x^2) + x cos(x^2)"])
def test_correct_derivative_in_any_equivalent_form(run_cli, data, answer):
    r = quiz(run_cli, "--exercise", "chain-cos-square", "--json", input_text=answer + "\n")
    fb = [e for e in events(r) if e["event"] == "feedback"]
    assert fb[0]["correct"] is True


@pytest.mark.parametrize("answer", ["14.25", "3*4.75", "tensor(14.2500)", "57/4"])
def test_correct_prediction_in_any_form(run_cli, data, answer):
    r = quiz(run_cli, "--exercise", "acc-k-backward", "--json", input_text=answer + "\n")
    assert [e for e in events(r) if e["event"] == "feedback"][0]["correct"] is True


def test_missing_chain_factor_is_named(run_cli, data):
    r = quiz(run_cli, "--exercise", "chain-cos-square", "--json", input_text="cos(x^2)\nskip\n")
    fb = [e for e in events(r) if e["event"] == "feedback"][0]
    assert fb["misconception"] == "derive.missing-chain-factor"
    assert [e for e in events(r) if e["event"] == "skipped"][0]["expected"] == "2*x*cos(x^2)"


def test_invalid_math_costs_no_attempt(run_cli, data):
    r = quiz(run_cli, "--exercise", "chain-cos-square", "--json", "--attempts", "1",
             input_text="2x cos(x^2\n2x cos(x^2)\n")
    evs = events(r)
    invalid = [e for e in evs if e["event"] == "invalid"]
    assert invalid and invalid[0]["code"] == "math.unclosed" and invalid[0]["caret"].endswith("^")
    fb = [e for e in evs if e["event"] == "feedback"]
    assert len(fb) == 1 and fb[0]["correct"] is True and fb[0]["attempt"] == 1


def test_hint_skip_quit(run_cli, data):
    r = quiz(run_cli, "--exercise", "acc-k-backward", "--count", "2", "--json", input_text="hint\nskip\nquit\n")
    evs = events(r)
    assert [e["event"] for e in evs] == ["question", "hint", "skipped", "question", "summary", "quit"]
    assert evs[4]["stopped"] is True and evs[4]["answered"] == 1
    assert evs[1]["text"] == "Does backward() replace .grad or add to it?"
    assert r.exit_code == 1


def test_attempts_then_answer_shown(run_cli, data):
    r = quiz(run_cli, "--exercise", "acc-k-backward", "--json", input_text="1\n2\n")
    fb = [e for e in events(r) if e["event"] == "feedback"]
    assert fb[0]["attempts_left"] == 1 and "expected" not in fb[0]
    assert fb[1]["attempts_left"] == 0 and fb[1]["expected"] == "14.25"


def test_every_feedback_event_has_the_contract_fields(run_cli, data):
    r = quiz(run_cli, "--topic", "accumulation", "--topic", "zeroing", "--count", "2", "--seed", "1", "--json",
             input_text="1\n2\n3\n4\n")
    for e in events(r):
        if e["event"] == "feedback":
            assert {"correct", "misconception", "explanation"} <= set(e)


def test_progress_after_answers(run_cli, data):
    quiz(run_cli, "--exercise", "acc-k-backward", input_text="14.25\n")
    r = run_cli("progress", "--json")
    topics = json.loads(r.stdout)["topics"]
    assert topics["accumulation"]["right"] == 1 and topics["accumulation"]["seen"] == 1


def _spawn(data_dir, *args):
    env = dict(os.environ, TUTOR_DATA=str(data_dir), PYTHONPATH=ROOT)
    return subprocess.Popen([sys.executable, "-m", "tutor", "--exercises", BANK, "quiz", "--json", *args],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, cwd=ROOT)


def _read_event(proc, kind, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        event = json.loads(line)
        if event["event"] == kind:
            return event
    raise AssertionError(f"no {kind} event")


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_killed_mid_session_loses_no_answered_question(tmp_path, sig):
    data_dir = tmp_path / "data"
    args = ("--topic", "accumulation", "--topic", "zeroing", "--count", "2", "--seed", "5")
    proc = _spawn(data_dir, *args)
    first = _read_event(proc, "question")
    answer = "14.25" if first["id"] == "acc-k-backward" else "3"
    proc.stdin.write(answer + "\n")
    proc.stdin.flush()
    assert _read_event(proc, "feedback")["correct"] is True
    _read_event(proc, "question")          # waiting on the second question
    proc.send_signal(sig)
    proc.wait(timeout=30)
    # the answered question is saved ...
    import sqlite3

    db = sqlite3.connect(str(data_dir / "progress.sqlite3"))
    rows = db.execute("SELECT exercise, answer, correct FROM answers").fetchall()
    assert rows == [(first["id"], answer, 1)]
    # ... and the same command resumes at the second question
    proc = _spawn(data_dir, *args)
    resume = _read_event(proc, "resume")
    assert resume["answered"] == 1 and resume["total"] == 2
    question = _read_event(proc, "question")
    assert question["position"] == 2 and question["id"] != first["id"]
    proc.kill()
    proc.wait()


def test_choose_prefers_due_and_weak_topics():
    from types import SimpleNamespace

    from tutor.features.quiz.store import choose

    exs = [SimpleNamespace(id=f"e{i}", topic=t) for i, t in enumerate(["a", "a", "b", "b"])]
    now = 1000.0
    boxes = {"e0": {"box": 5, "due": now + 99999, "topic": "a"}, "e1": {"box": 5, "due": now + 99999, "topic": "a"},
             "e2": {"box": 1, "due": now - 1, "topic": "b"}}
    order = [e.id for e in choose(exs, boxes, 0, seed=1, now=now)]
    assert order[0] == "e2"            # due for review
    assert order[1] == "e3"            # unseen, weak topic
    assert set(order[2:]) == {"e0", "e1"}


def test_code_question_runs_the_learners_file(run_cli, data):
    import shutil

    # an unedited stub costs no attempt; the stub edited but still forgetting to zero: the feedback names it
    r = run_cli("quiz", "--exercise", "code-zero-before-backward", "--json", "--seed", "1", input="check\nquit\n")
    evs = events(r)
    question = evs[0]
    assert "TODO" in question["code"] and question["file"].endswith("code/zero_before_backward.py")
    assert [e["code"] for e in evs if e["event"] == "invalid"] == ["quiz.code-unedited"]
    assert not [e for e in evs if e["event"] == "feedback"]
    with open(question["file"], "a", encoding="utf-8") as fh:
        fh.write("# my first try\n")
    r = run_cli("quiz", "--exercise", "code-zero-before-backward", "--json", "--seed", "1", input="check\n")
    evs = events(r)
    assert "running" in [e["event"] for e in evs]
    fb = [e for e in evs if e["event"] == "feedback"][0]
    assert fb["correct"] is False and fb["misconception"] == "accumulation.no-zero"
    # the learner completes the file: the same question (resumed) is now right
    shutil.copyfile(os.path.join(ROOT, "solutions", "code", "zero_before_backward.py"), question["file"])
    r = run_cli("quiz", "--exercise", "code-zero-before-backward", "--json", "--seed", "1", input="check\n")
    fb = [e for e in events(r) if e["event"] == "feedback"][0]
    assert fb["correct"] is True


def test_code_run_syntax_errors_the_solution_and_a_fresh_stub(run_cli, data):
    import pathlib

    r = run_cli("quiz", "--exercise", "code-zero-before-backward", "--json", "--seed", "2", "--attempts", "1",
                input="quit\n")
    path = pathlib.Path(events(r)[0]["file"])
    stub = path.read_text(encoding="utf-8")
    path.write_text(stub + "\ndef broken(:\n", encoding="utf-8")
    path2 = stub + "\n# edited, still wrong\n"
    r = run_cli("quiz", "--exercise", "code-zero-before-backward", "--json", "--seed", "2", "--attempts", "1",
                input="check\nquit\n")
    invalid = [e for e in events(r) if e["event"] == "invalid"]
    assert invalid[0]["code"] == "quiz.code-syntax" and f" {stub.count(chr(10)) + 2}: " in invalid[0]["reason"]
    path.write_text(path2, encoding="utf-8")
    r = run_cli("quiz", "--exercise", "code-zero-before-backward", "--json", "--seed", "2", "--attempts", "1",
                input="run\ncheck\n")
    evs = events(r)
    ran = [e for e in evs if e["event"] == "ran"][0]
    assert "value" in ran and ran["call"].endswith(")")
    fb = [e for e in evs if e["event"] == "feedback"]
    assert len(fb) == 1 and fb[0]["attempt"] == 1 and fb[0]["correct"] is False     # run cost nothing
    assert "def " in fb[0]["solution"]["code"] and fb[0]["solution"]["file"].startswith("../solutions/")
    # asked again in a new session: the stub afresh, the edited file kept beside it
    r = run_cli("quiz", "--exercise", "code-zero-before-backward", "--json", "--new", "--seed", "3",
                input="quit\n")
    assert path.read_text(encoding="utf-8") == stub
    assert path.with_suffix(".previous.py").read_text(encoding="utf-8") == path2
def test_progress_reset_erases_saved_answers(run_cli, data):
    quiz(run_cli, "--exercise", "acc-k-backward", input_text="14.25\n")
    assert (data / "progress.sqlite3").exists()
    r = run_cli("progress", "--reset")
    assert r.exit_code == 0 and str(data / "progress.sqlite3") in r.stdout
    assert not (data / "progress.sqlite3").exists()
    assert all(t["exercises"] == 0 for t in run_cli("progress", "--json").json()["topics"].values())


def test_graph_text_covers_every_loop():
    """The graph drawn with leaf questions shows the forward steps after the first loop too."""
    from tutor.engines.scenario import build
    from tutor.features.quiz.views import graph_lines

    s = build({"leaves": [{"name": "x", "value": "2"}],
               "steps": [{"repeat": "2", "body": [{"forward": "y", "expr": "x^2"}, {"backward": "y"}]},
                         {"forward": "z", "expr": "3 x"}, {"repeat": "1", "body": [{"forward": "w", "expr": "z + x"}]}],
               "ask": "z.is_leaf"}, {})
    names = [line.split()[0] for line in graph_lines(s)]
    assert names == ["x", "y", "z", "w"]


def test_a_true_or_false_question_has_one_attempt_and_shows_the_answer_after_it(run_cli, tmp_path, monkeypatch):
    # with two attempts, a true/false question was always right the second time (ISSUE 12)
    monkeypatch.setenv("TUTOR_DATA", str(tmp_path / "data"))
    r = run_cli("quiz", "--exercise", "backward-grad-none-not-zero", "--json", input="true\n")
    fb = [e for e in events(r) if e["event"] == "feedback"]
    assert len(fb) == 1 and fb[0]["correct"] is False and fb[0]["attempts_left"] == 0
    assert fb[0]["expected"]


def test_the_graph_follows_torch_requires_grad_propagation_and_retain_grad():
    # d = 4c + 1 with c a constant is a leaf without grad_fn; b.retain_grad() keeps b's .grad (ISSUE 12)
    from tutor.engines.scenario import build
    from tutor.features.quiz.views import graph_lines

    s = build({"leaves": [{"name": "x", "value": "3"}, {"name": "c", "value": "2", "requires_grad": False}],
               "steps": [{"forward": "d", "expr": "4*c + 1"}, {"forward": "b", "expr": "x^2"},
                         {"retain_grad": "b"}, {"forward": "y", "expr": "2*b + d"}, {"backward": "y"}],
               "ask": "b.grad"}, {}, where="t")
    lines = {line.split()[0]: line.split("[", 1)[1] for line in graph_lines(s)[2:]}
    assert "Backward0" not in lines["d"]                      # a leaf: no grad_fn (the old drawing said AddBackward0)
    assert "PowBackward0" in lines["b"] and "AddBackward0" in lines["y"]
    assert lines["b"].replace("PowBackward0", "") != lines["y"].replace("AddBackward0", "")   # b keeps its .grad


def test_the_fix_shown_uses_the_questions_names_and_runs_on_the_first_step():
    # x.grad.zero_() before the first backward raises AttributeError: the fix must not (ISSUE 12)
    import torch

    from tutor import bank
    from tutor.bank.kinds._scenario import fix_text

    ex = next(e for e in bank.load() if e.id == "code-zero-before-backward")
    v = bank.variant(ex, 1)
    fix = fix_text(v, "accumulation.no-zero")
    added = [line[2:] for line in fix.splitlines() if line.startswith("+ ")]
    assert added and "opt." not in fix
    code = textwrap.dedent("\n".join(added))
    x = torch.tensor(2.0, requires_grad=True)
    env = {"x": x, "torch": torch}
    for _ in range(2):
        exec(code, env)                       # the first time too: .grad is still None then
        (x ** 2).backward()
    assert x.grad.item() == 4.0


def test_right_after_feedback_is_counted_apart_from_right_first_time(run_cli, data):
    # progress counted a question right after feedback as right (ISSUE 12)
    r = quiz(run_cli, "--exercise", "acc-k-backward", "--json", input_text="4.75\n14.25\n")
    summary = [e for e in events(r) if e["event"] == "summary"][-1]
    assert (summary["right_first_time"], summary["right_after_feedback"]) == (0, 1)
    topic = run_cli("--exercises", BANK, "progress", "--json").json()["topics"]["accumulation"]
    assert topic["right"] == 0 and topic["right_after_feedback"] == 1
    assert "0%" in run_cli("--exercises", BANK, "progress").stdout.splitlines()[1].split(",")[1]


def test_help_at_the_prompt_lists_the_commands_and_costs_nothing(run_cli, data):
    r = quiz(run_cli, "--exercise", "chain-cos-square", "--json", "--attempts", "1",
             input_text="help\nsteps\n2x cos(x^2)\n")
    evs = events(r)
    assert [e["event"] for e in evs][:3] == ["question", "help", "help"]
    names = [name for name, _what in evs[1]["commands"]]
    assert {"hint", "skip", "quit", "help", "steps"} <= set(names) and "sin" in evs[1]["answer"]
    assert "2*x" not in json.dumps(evs[2])                  # steps before the last attempt: not the answer
    fb = [e for e in evs if e["event"] == "feedback"]
    assert len(fb) == 1 and fb[0]["correct"] is True and fb[0]["attempt"] == 1
    predict = quiz(run_cli, "--exercise", "acc-k-backward", "--json", input_text="help\nquit\n")
    assert "steps" not in [n for n, _w in events(predict)[1]["commands"]] and events(predict)[1]["answer"]


def test_the_derivation_comes_after_the_last_attempt_and_with_skip(run_cli, data):
    r = quiz(run_cli, "--exercise", "chain-cos-square", "--json", input_text="cos(x^2)\nsin(x^2)\n")
    fb = [e for e in events(r) if e["event"] == "feedback"]
    assert "steps" not in fb[0] and fb[1]["steps"]
    text = "\n".join(fb[1]["steps"])
    assert "[sin(x^2)]" in text and "2*x*cos(x^2)" in text and "✓" in text and "✗" not in text
    skipped = [e for e in events(quiz(run_cli, "--exercise", "chain-cos-square", "--json", input_text="skip\n"))
               if e["event"] == "skipped"]
    assert skipped[0]["steps"] == fb[1]["steps"]
    right = quiz(run_cli, "--exercise", "chain-cos-square", "--json", input_text="2x cos(x^2)\n")
    assert "steps" not in [e for e in events(right) if e["event"] == "feedback"][0]


def test_the_summary_names_the_mistakes_in_words_per_topic_and_on_quit(run_cli, data):
    from tutor.bank.misconceptions import CATALOGUE

    r = quiz(run_cli, "--exercise", "acc-k-backward", "--count", "2", "--json", input_text="4.75\n4.75\nquit\n")
    summary = [e for e in events(r) if e["event"] == "summary"][0]
    assert summary["stopped"] and summary["answered"] == 1 and summary["revisit"] == ["accumulation"]
    assert summary["mistakes"] == [{"id": "accumulation.overwrite", "count": 2,
                                    "title": CATALOGUE["accumulation.overwrite"].title}]
    text = quiz(run_cli, "--exercise", "acc-k-backward", "--new", input_text="4.75\n4.75\nquit\n").stdout
    assert CATALOGUE["accumulation.overwrite"].title in text and "accumulation.overwrite" not in text
    assert "--topic accumulation" in text


def test_one_exercise_asked_several_times_gives_different_variants(run_cli, data):
    from tutor import bank

    with_params = next(ex for ex in bank.load(None) if ex.kind == "predict" and ex.data.get("params"))
    r = run_cli("quiz", "--exercise", with_params.id, "--count", "4", "--json",
                input=("skip\n" * 4))
    prompts = [e["prompt"] + str(e.get("code")) for e in events(r) if e["event"] == "question"]
    assert len(prompts) == 4 and len(set(prompts)) == 4


def test_progress_covers_every_topic_over_all_its_exercises(run_cli, data):
    quiz(run_cli, "--exercise", "acc-k-backward", "--json", input_text="14.25\n")
    report = json.loads(run_cli("--exercises", BANK, "progress", "--json").stdout)["topics"]
    from tutor import bank

    exercises = bank.load(BANK)
    assert set(report) == {ex.topic for ex in exercises}
    acc = report["accumulation"]
    assert acc["exercises"] == 1 and acc["total"] == sum(ex.topic == "accumulation" for ex in exercises)
    assert acc["mastery"] == round(1 / 4 / acc["total"], 3)       # one exercise up one box, of all of them


def test_answers_typed_with_a_chinese_input_method(run_cli, data):
    """Full-width digits, letters and brackets, and 对 / 错, read as what the learner means."""
    r = quiz(run_cli, "--exercise", "acc-k-backward", "--json", input_text="１４．２５\n")
    assert [e for e in events(r) if e["event"] == "feedback"][0]["correct"] is True
    r = quiz(run_cli, "--exercise", "chain-cos-square", "--json", input_text="２ｘ　ｃｏｓ（ｘ＾２）\n")
    assert [e for e in events(r) if e["event"] == "feedback"][0]["correct"] is True
    from tutor import bank

    statement = next(ex for ex in bank.load(None) if ex.kind == "concept" and ex.data.get("choices") is None)
    truth = bank.variant(statement, 0).answer
    r = run_cli("quiz", "--exercise", statement.id, "--json", input=("对" if truth else "错") + "\n")
    assert [e for e in events(r) if e["event"] == "feedback"][0]["correct"] is True
    r = quiz(run_cli, "--exercise", "acc-k-backward", "--json", input_text="ｈｉｎｔ\nｑｕｉｔ\n")
    assert [e["event"] for e in events(r)][:2] == ["question", "hint"]


def test_a_check_that_never_returns_costs_no_attempt_and_says_so(run_cli, data, monkeypatch):
    import pathlib

    from tutor.bank.kinds import code

    monkeypatch.setattr(code, "QUIZ_TIMEOUT", 2.0)
    r = run_cli("quiz", "--exercise", "code-zero-before-backward", "--json", "--seed", "4", "--attempts", "1",
                input="quit\n")
    path = pathlib.Path(events(r)[0]["file"])
    path.write_text(path.read_text(encoding="utf-8") + "\nwhile True:\n    pass\n", encoding="utf-8")
    r = run_cli("quiz", "--exercise", "code-zero-before-backward", "--json", "--seed", "4", "--attempts", "1",
                input="check\nquit\n")
    evs = events(r)
    invalid = [e for e in evs if e["event"] == "invalid"]
    assert invalid and invalid[0]["code"] in ("quiz.code-timeout", "quiz.code-load") and "2" in invalid[0]["reason"]
    assert not [e for e in evs if e["event"] == "feedback"]
