"""The quiz in a real terminal (a pseudo-terminal at 80 columns, through pexpect): prose broken between
words, no colour with NO_COLOR, help at the prompt, the summary on quit."""
import os
import re
import sys

import pytest

pexpect = pytest.importorskip("pexpect")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BANK = os.path.join(ROOT, "tests", "fixtures", "quiz", "exercises")
SGR = re.compile(r"\x1b\[[0-9;]*m")
CONTROL = re.compile(r"\x1b\[[0-9;?]*[a-zA-Z]|\r")


def session(tmp_path, answers, env=None, columns=80):
    import io

    log = io.StringIO()
    child = pexpect.spawn(sys.executable, ["-m", "tutor", "--exercises", BANK, "quiz", "--exercise", "acc-k-backward",
                                           "--count", "2"],
                          cwd=ROOT, dimensions=(40, columns), encoding="utf-8", timeout=90,
                          env={**os.environ, "TUTOR_DATA": str(tmp_path / "data"), "PYTHONPATH": ROOT,
                               **(env or {})})
    child.logfile_read = log
    for answer in answers:
        child.expect("> ")
        child.sendline(answer)
    child.expect(pexpect.EOF)
    child.close()
    return log.getvalue(), child.exitstatus


def test_at_80_columns_no_word_is_split_and_no_colour_with_no_color(tmp_path):
    out, status = session(tmp_path, ["help", "4.75", "4.75", "quit"], env={"NO_COLOR": "1", "TERM": "xterm"})
    assert status == 1                                          # stopped early, progress saved
    assert not SGR.search(out)
    text = CONTROL.sub("", out)
    lines = text.split("\n")
    prose = [ln for ln in lines if not ln.startswith("    ")]     # code and drawings keep their lines
    # a line longer than the terminal would be cut by the terminal wherever column 80 falls, mid-word
    assert max(len(ln) for ln in prose) <= 80, [ln for ln in prose if len(ln) > 80]
    assert "14.25" in text and "print(x.grad)" in text            # the feedback and the program were shown
    from tutor.bank.misconceptions import CATALOGUE

    flowing = " ".join(text.split())
    title = CATALOGUE["accumulation.overwrite"].title
    assert title in flowing and "accumulation.overwrite" not in text     # the summary on quit, in words



def test_colours_on_a_terminal_without_no_color(tmp_path):
    out, _status = session(tmp_path, ["quit"], env={"NO_COLOR": "", "TERM": "xterm"})
    assert SGR.search(out)


def test_a_chinese_session_in_a_terminal(tmp_path):
    """The learner's language: the bank's texts and the tutor's words in Chinese, full-width input read as
    meant, every line within 80 columns (a Chinese character takes two), the verdicts the English ones."""
    import io
    import json
    import subprocess
    import unicodedata

    from tutor import bank

    def english(answers, data):
        p = subprocess.run([sys.executable, "-m", "tutor", "--lang", "en", "quiz", "--exercise",
                            "accumulate-three-backward", "--seed", "4", "--json"], input="".join(a + "\n" for a in answers),
                           capture_output=True, text=True, cwd=ROOT, timeout=120,
                           env={**os.environ, "TUTOR_DATA": str(tmp_path / data), "PYTHONPATH": ROOT})
        return [e for e in map(json.loads, p.stdout.splitlines()) if e["event"] == "feedback"]

    right = english(["1", "1"], "en1")[-1]["expected"]
    assert [f["correct"] for f in english(["1", right], "en2")] == [False, True]
    full_width = right.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789."})     # １４．２５
    log = io.StringIO()
    child = pexpect.spawn(sys.executable, ["-m", "tutor", "--lang", "zh", "quiz", "--exercise",
                                           "accumulate-three-backward", "--seed", "4", "--count", "2"],
                          cwd=ROOT, dimensions=(40, 80), encoding="utf-8", timeout=120,
                          env={**os.environ, "TUTOR_DATA": str(tmp_path / "data"), "PYTHONPATH": ROOT,
                               "NO_COLOR": "1", "TERM": "xterm"})
    child.logfile_read = log
    for answer in ["help", "1", full_width, "quit"]:
        child.expect("> ")
        child.sendline(answer)
    child.expect(pexpect.EOF)
    child.close()
    text = CONTROL.sub("", log.getvalue())

    def columns(line):
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)

    prose = [ln for ln in text.split("\n") if not ln.startswith("    ")]
    assert max(columns(ln) for ln in prose) <= 80, [ln for ln in prose if columns(ln) > 80]
    title = bank.by_id(bank.load())["accumulate-three-backward"].title
    assert title not in text and "这个程序会打印什么" in text          # the bank's own text, in Chinese
    feedback = text[text.index(full_width):]
    assert "✓" in feedback and "✗" in text[:text.index(full_width)]   # wrong, then right: as in English
