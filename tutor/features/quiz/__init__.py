"""The quiz: question, answer, feedback, as plain functions with I/O passed in.

:func:`run` drives one session.  It reads answers through ``read(prompt)``
(``None`` at end of input) and reports everything as *events* (plain dicts)
through ``emit(event)``: ``resume``, ``question``, ``hint``, ``invalid``,
``feedback``, ``skipped``, ``quit`` and ``summary``.  The command prints them
as text on a terminal or one JSON object per line with ``--json``, so any
front end can drive the same loop.  Every answer is saved before its
feedback is shown.
"""
from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ...bank import Exercise, Variant
from ...foundation.errors import TutorError
from ...foundation.i18n import _
from ...foundation.text import typed
from .store import Store
from .views import GRAPH_TOPICS, fresh_work_file, graph_lines, question_event, summary_event, table, work_file

COMMANDS = {"hint": "hint", "h": "hint", "?": "hint", "skip": "skip", "s": "skip", "quit": "quit",
            "q": "quit", "exit": "quit", "help": "help", "commands": "help", "steps": "steps", "run": "run",
            "walk": "walk"}

Read = Callable[[str], "str | None"]
Emit = Callable[[dict[str, Any]], None]


@dataclass
class Options:
    topics: tuple[str, ...] = ()
    exercise: str | None = None
    count: int = 10
    seed: int | None = None
    attempts: int = 2
    fresh: bool = False
    bank_dir: str | None = None


def plan(exercises: Sequence[Exercise], boxes: dict[str, dict[str, Any]], opts: Options) -> list[list[Any]]:
    """The session's questions: (exercise id, variant seed) pairs, fixed when the session starts."""
    from .store import choose

    seed = opts.seed if opts.seed is not None else random.randrange(1_000_000)
    if opts.exercise:
        chosen = [ex for ex in exercises if ex.id == opts.exercise] * max(1, opts.count or 1)
    else:
        chosen = choose(exercises, boxes, opts.count, seed)
    rng = random.Random(seed)
    drawn: dict[str, set[str]] = {}
    out = []
    for ex in chosen:
        out.append([ex.id, _fresh_seed(ex, rng, drawn) if chosen.count(ex) > 1 else rng.randrange(1_000_000)])
    return out


def _fresh_seed(ex: Exercise, rng: random.Random, drawn: dict[str, set[str]]) -> int:
    """A seed whose variant has parameters this session has not asked yet (an exercise asked several times:
    ``--exercise X --count 5`` asks five different variants while it has them)."""
    from ... import bank
    from ...bank.variants import params_key

    seen = drawn.setdefault(ex.id, set())
    seed = rng.randrange(1_000_000)
    for _attempt in range(30):
        key = params_key(bank.variant(ex, seed).params)
        if key not in seen:
            seen.add(key)
            return seed
        seed = rng.randrange(1_000_000)
    return seed


def run(opts: Options, read: Read, emit: Emit, store: Store) -> int:
    """One quiz session; returns the exit status (0 finished, 1 quit early)."""
    from ... import bank
    from ...foundation.paths import default_bank_dir

    exercises = bank.load(opts.bank_dir)
    selected = bank.select(exercises, topics=opts.topics, ids=(opts.exercise,) if opts.exercise else ())
    if not selected:
        raise TutorError(_("no exercises match the chosen topics"), code="quiz.no-exercises")
    by_id = bank.by_id(exercises)
    options = {"topics": sorted(opts.topics), "exercise": opts.exercise, "count": opts.count,
               "seed": opts.seed, "attempts": opts.attempts}
    bank_key = str(opts.bank_dir or default_bank_dir())
    session = store.open_session(bank_key, options, lambda: plan(selected, store.boxes(), opts), opts.fresh)
    total = len(session.plan)
    if session.resumed:
        emit({"event": "resume", "answered": session.answered, "total": total, "session": session.id})
    for position in range(session.answered, total):
        ex_id, seed = session.plan[position]
        ex = by_id.get(ex_id)
        if ex is None:          # the bank changed under a resumed session
            store.record(session.id, position, ex_id, "?", seed, 0, "", False, None, True)
            continue
        v = bank.variant(ex, seed)
        resuming = session.resumed and position == session.answered
        if ex.kind == "code" and not resuming:
            fresh_work_file(ex)          # a question asked anew starts from the stub (the old file is kept)
        emit(question_event(v, position, total))
        if ask(v, position, opts, read, emit, store, session.id) == "quit":
            if position > session.answered or store.history(session.id):
                emit(summary_event(store, session.id, total, by_id, stopped=True))
            emit({"event": "quit", "answered": position, "total": total,
                  "message": _("Your answers are saved. Run the same command again to continue.")})
            return 1
    store.finish_session(session.id)
    emit(summary_event(store, session.id, total, by_id))
    return 0


def ask(v: Variant[Any], position: int, opts: Options, read: Read, emit: Emit, store: Store,
        session_id: int) -> str:
    """Read answers until right, out of attempts, skipped or quit: right | wrong | skipped | quit."""
    ex = v.exercise
    used = store.attempts_used(session_id, position)
    hints_shown = 0
    while True:
        text = read(_("answer> "))
        if text is None:
            return "quit"
        text = typed(text).strip()
        if not text:
            continue
        command = COMMANDS.get(text.lower())
        if command == "quit":
            return "quit"
        if command == "hint":
            hints_shown = _hint(v.hints, hints_shown, emit)
            continue
        if command == "help":
            emit(help_event(v))
            continue
        if command == "steps":
            emit({"event": "help", "text": _("The steps give the answer away: they come with the feedback after "
                                             "your last attempt, or now if you type skip.")
                  if ex.kind == "derive" else _("steps shows how a derivative is built, on derivative "
                                                "questions.")})
            continue
        if command == "walk":
            if ex.kind != "predict":
                said = _("walk shows torch's backward pass node by node, on predict questions (and tutor grad EXPR "
                         "--at ... --walk).")
            elif not backward_walk(v):
                said = _("This program completes no backward pass, so there is no backward pass to walk here.")
            else:
                said = _("The walk gives the answer away: torch's backward pass of this program, node by node, "
                         "comes with the feedback after your last attempt, or now if you type skip.")
            emit({"event": "help", "text": said})
            continue
        if command == "run" and ex.kind == "code":
            emit({"event": "running", "seconds": _code_timeout()})
            emit({"event": "ran", **_code(v).run_only(v, work_file(ex))})
            continue
        if command == "skip":
            store.record(session_id, position, ex.id, ex.topic, v.seed, used + 1, "", False, None, True)
            skipped = {"event": "skipped", "expected": v.kind.expected_text(v), "explanation": v.explanation}
            emit({**skipped, **derivation(v)})
            return "skipped"
        if ex.kind == "code" and text.lower() in ("check", "done") and _code(v).unready(v, work_file(ex)) is None:
            emit({"event": "running", "seconds": _code_timeout()})
        judged, answer = _respond(v, text)
        if judged.invalid:
            emit({"event": "invalid", "reason": judged.invalid, "code": judged.code, "answer": answer,
                  "caret": judged.caret, "message": _("That cost no attempt: try again.")})
            continue
        used += 1
        final = judged.correct or used >= attempts_for(v, opts.attempts)
        store.record(session_id, position, ex.id, ex.topic, v.seed, used, answer, judged.correct,
                     judged.misconception, final)
        emit(_feedback(v, answer, judged, used, final, opts))
        if final:
            return "right" if judged.correct else "wrong"


def _code(v: Variant[Any]) -> Any:
    """A code question's kind (its run, readiness and solution)."""
    from ...bank.kinds.code import Code

    kind = v.kind
    assert isinstance(kind, Code)
    return kind


def _code_timeout() -> float:
    from ...bank.kinds.code import QUIZ_TIMEOUT

    return QUIZ_TIMEOUT


_LESSONS: dict[str | None, set[str]] = {}


def has_lesson(topic: str, bank_dir: str | None) -> bool:
    """Does the bank have a lesson on ``topic`` (read once per bank)?"""
    if bank_dir not in _LESSONS:
        from ...bank.lessons import lessons_dir

        folder = lessons_dir(bank_dir)
        found: set[str] = set()
        if folder.is_dir():
            from ...bank.lessons import load_lessons

            try:
                found = set(load_lessons(bank_dir))
            except TutorError:
                found = set()
        _LESSONS[bank_dir] = found
    return topic in _LESSONS[bank_dir]


def help_event(v: Variant[Any]) -> dict[str, Any]:
    """What can be typed at the prompt: the commands, and the answer this question takes."""
    from ...mathlang.functions import help_line

    commands = [("hint", _("the next hint (costs nothing)")), ("skip", _("see the answer and go on")),
                ("quit", _("stop here; your answers are saved, the same command resumes")),
                ("help", _("this list"))]
    if v.exercise.kind == "code":
        commands[:0] = [("check", _("run your function on the question's input and judge it (an unedited stub "
                                    "or a syntax error costs no attempt)")),
                        ("run", _("run it and show what it returns and prints, without judging"))]
    if v.exercise.kind == "predict":
        commands.insert(2, ("walk", _("torch's backward pass of the program node by node (after your last attempt, "
                                      "or with skip)")))
    if v.exercise.kind == "derive":
        commands.insert(2, ("steps", _("the derivation rule by rule (after your last attempt, or with skip)")))
        answer = _("math as on a calculator: + - * / and ^ for powers; 2x, x y and 2(x+1) multiply; constants "
                   "pi and e; functions: {functions}.").format(functions=help_line())
    else:
        fields = v.kind.quiz_fields(v, work_file)
        answer = str(fields.get("expects") or (_("true or false") if fields.get("true_false") else
                                               _("the letter of your choice") if fields.get("choices") else ""))
    return {"event": "help", "commands": commands, "answer": answer}


def derivation(v: Variant[Any]) -> dict[str, Any]:
    """A derive question's derivation rule by rule, a predict question's first backward pass node by node, for
    the feedback once its attempts are used (empty for other kinds, or where it cannot be built)."""
    if v.exercise.kind == "predict" and v.scenario is not None:
        return backward_walk(v)
    if v.exercise.kind != "derive" or v.function is None:
        return {}
    from ...engines.steps import derive_steps, lines
    from ...mathlang.sym import to_text

    names = set(v.exercise.data["variables"])
    try:
        found = [derive_steps(to_text(v.function), wrt, names, final=to_text(answer))
                 for wrt, answer in v.answer.items()]
    except TutorError:
        return {}
    return {"steps": [line for d in found for line in lines(d)]}


def backward_walk(v: Variant[Any]) -> dict[str, Any]:
    """The program's first backward pass, node by node, every number checked against torch (empty where the
    program runs none, or where a number is not confirmed: nothing unproven is shown)."""
    from ...engines.scenario.backward_walk import first_backward_walk
    from ...engines.walk import lines

    assert v.scenario is not None
    if "walk" not in v.cache:             # (asked at the prompt, then shown with the feedback: walked once)
        try:
            walked = first_backward_walk(v.scenario)
        except TutorError:
            walked = None
        v.cache["walk"] = {"walk": lines(walked)} if walked is not None and walked.checked else {}
    return dict(v.cache["walk"])


def attempts_for(v: Variant[Any], attempts: int) -> int:
    """One attempt where there are only two answers (true/false, two choices, True/False printed): a second
    try there is a sure one."""
    data = v.exercise.data
    two_way = (v.exercise.kind == "concept" and (data.get("choices") is None or len(data["choices"]) == 2)) or (
        getattr(v.answer, "kind", None) == "bool")
    return 1 if two_way else attempts


def _respond(v: Variant[Any], text: str) -> tuple[Any, str]:
    """The kind's judgement of what was typed, never an exception (see bank.judge)."""
    from ... import bank

    recorded = [text]

    def respond() -> Any:
        judged, recorded[0] = v.kind.respond(v, text, work_file)
        return judged

    return bank.judge(respond, v), recorded[0]


def _hint(hints: list[str], shown: int, emit: Emit) -> int:
    """The next hint (or that there is none left); returns how many have been shown."""
    if shown < len(hints):
        shown += 1
        text = hints[shown - 1]
    else:
        text = _("No more hints: type skip to see the answer.")
    emit({"event": "hint", "number": shown, "of": len(hints), "text": text})
    return shown


def _feedback(v: Variant[Any], answer: str, judged: Any, used: int, final: bool, opts: Options) -> dict[str, Any]:
    """What the learner is told.  Before the last attempt nothing that gives the answer away: not the
    explanation (it quotes the right value), the table, the fix or the graph; only which belief the answer
    matches, in words, and the exercise's first hint."""
    event = {"event": "feedback", "id": v.exercise.id, "answer": answer, "correct": judged.correct,
             "misconception": judged.misconception, "explanation": judged.explanation,
             "attempt": used, "attempts_left": 0 if final else attempts_for(v, opts.attempts) - used}
    if not final:
        from ...bank.misconceptions import CATALOGUE

        belief = CATALOGUE[judged.misconception].title if judged.misconception in CATALOGUE else None
        if v.exercise.kind == "code":        # the learner's code made the mistake: say which belief writes it
            said = _("Your function returns what a program written in the belief that {belief} returns.")
        else:
            said = _("Your answer is what torch would give if {belief}.")
        nudge = [said.format(belief=belief)] if belief else []
        if v.hints:
            nudge.append(_("Hint: {text}").format(text=v.hints[0]))
        event["explanation"] = "\n".join(nudge) if nudge else _("Look again at what each line does to .grad.")
        return event
    event["expected"] = judged.expected
    if not judged.correct:
        event.update(derivation(v))
        if has_lesson(v.exercise.topic, opts.bank_dir):
            event["lesson"] = f"tutor learn {v.exercise.topic}"
        if v.exercise.kind == "code":
            shown, text = _code(v).solution(v)
            if text is not None:
                event["solution"] = {"file": shown, "code": text}
    if judged.fix:
        event["fix"] = judged.fix
    grad_table = table(v, judged.misconception)
    if grad_table:
        event["table"] = grad_table
    if v.scenario is not None and (v.exercise.topic in GRAPH_TOPICS or judged.misconception == "leaf.nonleaf-grad"):
        event["graph"] = graph_lines(v.scenario)
    return event


def feedback_event(v: Variant[Any], answer: str, judged: Any, used: int, final: bool, opts: Options) \
        -> dict[str, Any]:
    """The quiz's feedback for one judged answer (for other front ends: the notebook)."""
    return _feedback(v, answer, judged, used, final, opts)


__all__ = ["Options", "Store", "feedback_event", "run"]
