"""tutor learn: a lesson for every topic, each program proven (sympy = torch) across its parameters, and the
guided path: lesson, a program to change, practice, the next topic."""
import json
import os

import pytest

from tutor.bank.lessons import demo, load_lessons, set_param
from tutor.bank.topics import TOPICS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def lessons():
    return load_lessons()


def test_every_topic_has_a_lesson(lessons):
    assert list(lessons) == [t for t in TOPICS if t in lessons] and set(lessons) == set(TOPICS)


@pytest.mark.parametrize("topic", list(TOPICS))
def test_each_lesson_program_is_proven_across_its_parameters(lessons, topic):
    lesson = lessons[topic]
    points = [lesson.defaults()] + [{**lesson.defaults(), name: p[end]} for name, p in lesson.params.items()
                                    for end in ("min", "max")]
    for params in points:
        shown = demo(lesson, params)
        assert shown.agree, (topic, params, shown.exact.text(), shown.torch.text())
    text = lesson.idea_text(lesson.defaults())
    assert "{" not in text and len(text.split(".")) >= 3          # a few sentences, every placeholder filled
    assert len(shown.program.splitlines()) <= 16


def test_a_typed_value_is_checked_not_evaluated(lessons):
    from tutor.foundation.errors import TutorError

    lesson = lessons["accumulation"]
    assert set_param(lesson, lesson.defaults(), "k = 5")["k"] == 5
    for bad in ["k=2.5", "k=9", "k=10**9", "z=1", "k", "x0=__import__('os')", "x0=1e400", "x0=(" * 50]:
        with pytest.raises(TutorError):
            set_param(lesson, lesson.defaults(), bad)


def test_only_a_count_is_held_to_whole_numbers(lessons):
    """x0 = 2.5 is a value like any other; k (how many times a loop runs) is whole, because the lesson says
    so, never because its default happens to be."""
    lesson = lessons["accumulation"]
    assert lesson.params["k"]["whole"] and not lesson.params["x0"]["whole"]
    assert str(set_param(lesson, lesson.defaults(), "x0=2.5")["x0"]) == "5/2"
    multiplier = lessons["no-grad"]                  # c = k*x under no_grad: k multiplies, counts nothing
    assert set_param(multiplier, multiplier.defaults(), "k=1.5")["k"] == pytest.approx(1.5)
    assert demo(multiplier, {**multiplier.defaults(), "k": set_param(multiplier, {}, "k=1.5")["k"]}).agree


def test_a_count_without_whole_is_refused_by_name(tmp_path):
    from tutor.foundation.errors import BankError

    folder = tmp_path / "lessons"
    folder.mkdir()
    (folder / "x.toml").write_text(
        'format_version = 1\n[[lesson]]\ntopic = "accumulation"\ntitle = "t"\nidea = "i"\n'
        '[lesson.params]\nk = { default = 3, min = 1, max = 8 }\n[lesson.scenario]\n'
        'leaves = [ { name = "x", value = "2" } ]\n'
        'steps = [ { repeat = "k", body = [ { forward = "y", expr = "x^2" }, { backward = "y" } ] } ]\n'
        'ask = "x.grad"\n')
    with pytest.raises(BankError) as info:
        load_lessons(tmp_path)
    assert "params.k" in str(info.value) and "whole = true" in str(info.value)


def test_a_malformed_lesson_names_its_field(tmp_path):
    from tutor.foundation.errors import BankError

    folder = tmp_path / "lessons"
    folder.mkdir()
    (folder / "x.toml").write_text('format_version = 1\n[[lesson]]\ntopic = "backward"\ntitle = "t"\nidea = "i"\n'
                                   'tutorial = "?"\n[lesson.scenario]\nleaves = []\nsteps = []\nask = "x"\n')
    with pytest.raises(BankError) as info:
        load_lessons(tmp_path)
    assert "tutorial" in str(info.value)


def events(r):
    return [json.loads(line) for line in r.stdout.splitlines() if line.strip()]


def test_learn_walks_a_topic_then_continues_with_the_next(run_cli, tmp_path, monkeypatch, lessons):
    monkeypatch.setenv("TUTOR_DATA", str(tmp_path / "data"))
    first = list(TOPICS)[0]
    name, spec = next(iter(lessons[first].params.items()))
    r = run_cli("learn", "--json", "--practice", "2", "--seed", "1", input=f"{name}={spec['max']}\n\nskip\nskip\n")
    evs = events(r)
    assert evs[0]["event"] == "lesson" and evs[0]["topic"] == first and evs[0]["agree"]
    assert evs[1]["event"] == "demo" and evs[1]["agree"] and evs[1]["params"][name] == str(spec["max"])
    kinds = [e["event"] for e in evs]
    assert "question" in kinds and kinds[-1] == "next" and r.exit_code == 0
    assert evs[-1]["done"] == first and evs[-1]["topic"] == list(TOPICS)[1]
    again = events(run_cli("learn", "--json", "--practice", "0", input="\n"))
    assert again[0]["topic"] == list(TOPICS)[1]                     # tutor learn continues where you are
    r = run_cli("learn", "accumulation", "--json", "--practice", "0", input="k=5\nk=nine\nhelp\n\n")
    evs = events(r)
    assert [e["event"] for e in evs] == ["lesson", "demo", "invalid", "help", "next"]
    assert evs[1]["params"]["k"] == "5" and evs[1]["agree"] and evs[1]["exact"] != evs[0]["exact"]
    assert evs[2]["code"] == "math.unknown-name" or evs[2]["code"].startswith(("learn.", "math."))


def test_learn_in_text_shows_both_truths(run_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("TUTOR_DATA", str(tmp_path / "data"))
    r = run_cli("learn", "accumulation", "--practice", "0", input="quit\n")
    assert r.exit_code == 1 and "print(x.grad)" in r.stdout and "✓" in r.stdout


def test_tutor_check_proves_the_lessons(monkeypatch):
    """The check can fail: a lesson whose program printed something else than sympy computes is named."""
    from dataclasses import replace

    from tutor.bank import lessons as module
    from tutor.features.check import check_lessons
    from tutor.foundation.paths import default_bank_dir

    assert check_lessons(default_bank_dir()) == []
    right = module.demo
    monkeypatch.setattr(module, "demo", lambda lesson, params: replace(right(lesson, params), agree=False))
    problems = check_lessons(default_bank_dir())
    assert len(problems) == len(TOPICS) and {p.code for p in problems} == {"check.lesson-disagrees"}


def test_a_wrong_final_answer_points_to_the_topics_lesson(run_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("TUTOR_DATA", str(tmp_path / "data"))
    r = run_cli("quiz", "--exercise", "accumulate-three-backward", "--json", "--attempts", "1", input="1\n")
    fb = [e for e in events(r) if e["event"] == "feedback"][0]
    assert not fb["correct"] and fb["lesson"] == "tutor learn accumulation"


def test_the_lesson_shows_what_torch_prints(lessons):
    shown = demo(lessons["accumulation"], lessons["accumulation"].defaults())
    assert shown.printed == "tensor(14.2500)"
