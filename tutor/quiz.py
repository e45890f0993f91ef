"""The quiz: question, answer, feedback, as plain functions with I/O passed in.

:func:`run` drives one session.  It reads answers through ``read(prompt)``
(``None`` at end of input) and reports everything as *events* (plain dicts)
through ``emit(event)``: ``resume``, ``question``, ``hint``, ``invalid``,
``feedback``, ``skipped``, ``quit`` and ``summary``.  The CLI prints them as
text on a terminal or one JSON object per line with ``--json``, so any front
end can drive the same loop.  Every answer is saved before its feedback is
shown.
"""
from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field

from .errors import TutorError
from .i18n import _

COMMANDS = {"hint": "hint", "h": "hint", "?": "hint", "skip": "skip", "s": "skip", "quit": "quit",
            "q": "quit", "exit": "quit"}
TABLE_MISCONCEPTIONS = ("accumulation.overwrite", "accumulation.no-zero", "zeroing.placement",
                        "zeroing.after-backward", "retain-graph.always-raises", "retain-graph.needed")
GRAPH_TOPICS = ("graph-leaves",)


@dataclass
class Options:
    topics: tuple = ()
    exercise: str | None = None
    count: int = 10
    seed: int | None = None
    attempts: int = 2
    fresh: bool = False
    bank_dir: str | None = None


@dataclass
class Question:
    """A variant as shown, plus what feedback needs."""

    variant: object
    position: int
    total: int
    hints_shown: int = 0
    events: list = field(default_factory=list)


def plan(exercises, boxes, opts: Options) -> list:
    from . import progress

    seed = opts.seed if opts.seed is not None else random.randrange(1_000_000)
    if opts.exercise:
        chosen = [ex for ex in exercises if ex.id == opts.exercise]
        count = max(1, opts.count) if opts.count else 1
        chosen = chosen * count
    else:
        chosen = progress.choose(exercises, boxes, opts.count, seed)
    rng = random.Random(seed)
    return [[ex.id, rng.randrange(1_000_000)] for ex in chosen]


def run(opts: Options, read, emit, store) -> int:
    """One quiz session; returns the exit status (0 finished, 1 quit early)."""
    from . import bank

    exercises = bank.load(opts.bank_dir)
    selected = bank.select(exercises, topics=opts.topics, ids=(opts.exercise,) if opts.exercise else ())
    if not selected:
        raise TutorError(_("no exercises match the chosen topics"))
    by_id = {ex.id: ex for ex in exercises}
    options = {"topics": sorted(opts.topics), "exercise": opts.exercise, "count": opts.count,
               "seed": opts.seed, "attempts": opts.attempts}
    bank_key = str(opts.bank_dir or bank.default_dir())
    session = store.open_session(bank_key, options, lambda: plan(selected, store.boxes(), opts), opts.fresh)
    total = len(session.plan)
    if session.resumed:
        emit({"event": "resume", "answered": session.answered, "total": total, "session": session.id})
    right = 0
    for position in range(session.answered, total):
        ex_id, seed = session.plan[position]
        ex = by_id.get(ex_id)
        if ex is None:          # the bank changed under a resumed session
            store.record(session.id, position, ex_id, "?", seed, 0, "", False, None, True)
            continue
        v = bank.variant(ex, seed)
        q = Question(v, position, total)
        emit(question_event(q))
        outcome = ask(q, opts, read, emit, store, session.id)
        if outcome == "quit":
            emit({"event": "quit", "answered": position, "total": total,
                  "message": _("Your answers are saved. Run the same command again to continue.")})
            return 1
        right += outcome == "right"
    store.finish_session(session.id)
    emit(summary_event(store, session.id, total))
    return 0


def question_event(q: Question) -> dict:
    from . import bank
    from .bank import TOPICS

    v = q.variant
    ex = v.exercise
    event = {"event": "question", "position": q.position + 1, "total": q.total, "id": ex.id, "title": ex.title,
             "topic": ex.topic, "topic_title": TOPICS[ex.topic], "kind": ex.kind, "prompt": v.prompt,
             "code": v.code, "hints": len(ex.hints)}
    if ex.kind == "concept":
        event["choices"] = ex.data.get("choices") or ["true", "false"]
        event["true_false"] = "choices" not in ex.data
    if ex.kind == "derive":
        event["wrt"] = list(v.answer)
        event["pretty"] = _pretty_function(v)
    if ex.kind == "predict":
        event["expects"] = _("a number, a list such as [1, 2], None, True/False, or an error name")
    if ex.kind == "code":
        path = work_file(ex, create=True)
        event["file"] = str(path)
        event["function"] = ex.data["function"]
        event["call"] = bank.code_call_args(v)
        event["expects"] = _("check, once you have edited {path}").format(path=path)
        event["code"] = path.read_text(encoding="utf-8")
    if ex.topic in GRAPH_TOPICS and v.scenario is not None:
        event["graph"] = graph_lines(v.scenario)
    return event


def work_file(ex, create: bool = False):
    """The learner's copy of a code exercise's stub, in the tutor's data folder."""
    import shutil

    from .progress import data_dir

    path = data_dir() / "work" / ex.data["file"]
    if create and not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ex.root / ex.data["file"], path)
    return path


def ask(q: Question, opts, read, emit, store, session_id) -> str:
    """Read answers until right, out of attempts, skipped or quit."""
    from . import bank

    v = q.variant
    ex = v.exercise
    used = store.attempts_used(session_id, q.position)
    while True:
        text = read(_("answer> "))
        if text is None:
            return "quit"
        text = text.strip()
        if not text:
            continue
        command = COMMANDS.get(text.lower())
        if command == "quit":
            return "quit"
        if command == "hint":
            if q.hints_shown < len(ex.hints):
                q.hints_shown += 1
                emit({"event": "hint", "number": q.hints_shown, "of": len(ex.hints),
                      "text": ex.hints[q.hints_shown - 1]})
            else:
                emit({"event": "hint", "number": q.hints_shown, "of": len(ex.hints),
                      "text": _("No more hints: type skip to see the answer.")})
            continue
        if command == "skip":
            store.record(session_id, q.position, ex.id, ex.topic, v.seed, used + 1, "", False, None, True)
            emit({"event": "skipped", "expected": bank.expected_text(v), "explanation": ex.explanation})
            return "skipped"
        if ex.kind == "code":
            if text.lower() not in ("check", "done", "run"):
                emit({"event": "invalid", "reason": _("edit {path}, then type check").format(
                    path=work_file(ex)), "message": _("That cost no attempt.")})
                continue
            from .coderun import run_function

            (result,) = run_function(work_file(ex), ex.data["function"], [bank.code_call_args(v)])
            grade = bank.grade_code_result(v, result)
            text = json.dumps(result)[:500]
        else:
            grade = bank.grade(v, text)
        if grade.invalid:
            emit({"event": "invalid", "reason": grade.invalid, "answer": text, "caret": grade.caret,
                  "message": _("That cost no attempt: try again.")})
            continue
        used += 1
        final = grade.correct or used >= opts.attempts
        store.record(session_id, q.position, ex.id, ex.topic, v.seed, used, text, grade.correct,
                     grade.misconception, final)
        event = {"event": "feedback", "id": ex.id, "answer": text, "correct": grade.correct,
                 "misconception": grade.misconception, "explanation": grade.explanation,
                 "attempt": used, "attempts_left": 0 if final else opts.attempts - used}
        if final:
            event["expected"] = grade.expected
        table = _table(v, grade.misconception)
        if table:
            event["table"] = table
        if not grade.correct and v.scenario is not None and (
                ex.topic in GRAPH_TOPICS or grade.misconception == "leaf.nonleaf-grad"):
            event["graph"] = graph_lines(v.scenario)
        emit(event)
        if final:
            return "right" if grade.correct else "wrong"


def _table(v, misconception):
    """.grad after each backward call: what torch does against what the learner assumed."""
    from .mistakes import BELIEF_OF, mutate
    from .scenarios import ASK, simulate

    if v.scenario is None or misconception not in TABLE_MISCONCEPTIONS:
        return None
    leaf = ASK.match(v.scenario.ask).group("name")
    truth = [e for e in simulate(v.scenario).events if e.kind == "backward"]
    if misconception in BELIEF_OF:
        assumed_run = simulate(v.scenario, [BELIEF_OF[misconception]])
    else:
        mutated = mutate(v.scenario, misconception)
        assumed_run = simulate(mutated) if mutated is not None else None
    if assumed_run is None or not truth:
        return None
    assumed = [e for e in assumed_run.events if e.kind == "backward"]
    if leaf not in truth[0].detail["grads"]:
        leaf = next(iter(truth[0].detail["grads"]), None)
        if leaf is None:
            return None
    rows = []
    for i in range(max(len(truth), len(assumed))):
        t = truth[i].detail["grads"].get(leaf) if i < len(truth) else None
        a = assumed[i].detail["grads"].get(leaf) if i < len(assumed) else None
        rows.append([i + 1, _fmt(t), _fmt(a)])
    return {"leaf": leaf, "columns": [_("backward call"), _("torch: {leaf}.grad").format(leaf=leaf),
                                      _("assumed")], "rows": rows[:12]}


def _fmt(values):
    from .term import fmt_number

    if values is None:
        return "None"
    shown = [fmt_number(float(x)) for x in values]
    return shown[0] if len(shown) == 1 else "[" + ", ".join(shown) + "]"


def graph_lines(scenario) -> list:
    """The computation graph in text: leaves, grad_fn nodes, where .grad lands."""
    from .evaluate import tree_text, walk

    names = {"add": "AddBackward0", "sub": "SubBackward0", "mul": "MulBackward0", "div": "DivBackward0",
             "pow": "PowBackward0", "neg": "NegBackward0"}
    lines = []
    for leaf in scenario.leaves:
        kind = _("leaf, requires_grad=True: .grad lands here") if leaf.requires_grad else \
            _("leaf, requires_grad=False: a constant")
        lines.append(f"{leaf.name:>6}  ({kind})")
    for step in _forwards(scenario.steps):
        tree = step["tree"]
        node = names.get(tree[0]) or (f"{tree[1].capitalize()}Backward0" if tree[0] == "call" else None)
        inputs = sorted({n[1] for n in walk(tree) if n[0] == "var"})
        tracked = step["mode"] == "normal"
        label = (f"grad_fn={node}, is_leaf=False, .grad stays None" if tracked and node
                 else "no grad_fn (computed without tracking): is_leaf=True, requires_grad=False")
        lines.append(f"{step['name']:>6}  = {tree_text(tree)}   <- {', '.join(inputs)}   [{label}]")
    return lines


def _forwards(steps):
    for s in steps:
        if s["kind"] == "forward":
            yield s
        elif s["kind"] == "repeat":
            yield from _forwards(s["body"])
            return


def _pretty_function(v):
    """The derive question's function, drawn by sympy's Unicode pretty printer."""
    import sympy

    try:
        return sympy.pretty(v.function, use_unicode=True)
    except Exception:  # pretty printing is a nicety
        return None


def summary_event(store, session_id, total) -> dict:
    history = store.history(session_id)
    finals = [h for h in history if h["final"]]
    right = sum(1 for h in finals if h["correct"])
    first_time = sum(1 for h in finals if h["correct"] and h["attempt"] == 1)
    seen = {}
    for h in history:
        if h["misconception"]:
            seen[h["misconception"]] = seen.get(h["misconception"], 0) + 1
    return {"event": "summary", "total": total, "right": right, "right_first_time": first_time,
            "misconceptions": seen, "mastery": store.mastery()}


# ------------------------------------------------------------------ text output

_KEYWORDS = r"\b(import|for|in|range|with|def|return|if|is|not|None|True|False|and|print)\b"


def highlight(code: str, color: bool) -> str:
    if not color:
        return code
    from .term import style

    out = []
    for line in code.splitlines():
        line = re.sub(r"(?<![\w.])(\d+\.?\d*)", lambda m: style(m.group(1), "magenta", enabled=True), line)
        line = re.sub(_KEYWORDS, lambda m: style(m.group(1), "blue", enabled=True), line)
        line = re.sub(r"(\.(?:backward|grad|zero_|zero_grad|step|retain_grad|no_grad|is_leaf|requires_grad))\b",
                      lambda m: style(m.group(1), "cyan", enabled=True), line)
        out.append(line)
    return "\n".join(out)


def render_event(event: dict, color: bool = False) -> str:
    """One event as terminal text."""
    from .term import style

    kind = event["event"]
    if kind == "resume":
        return style(_("Welcome back: resuming your session ({answered} of {total} answered).").format(
            **event), "cyan", enabled=color)
    if kind == "question":
        head = f"[{event['position']}/{event['total']}] {event['topic_title']} · {event['kind']} — {event['title']}"
        lines = ["", style(head, "bold", enabled=color)]
        if event.get("pretty") and "\n" in event["pretty"]:
            lines.append(event["prompt"])
            lines += ["    " + ln for ln in event["pretty"].splitlines()]
        else:
            lines.append(event["prompt"])
        if event.get("code"):
            lines.append("")
            lines += ["    " + ln for ln in highlight(event["code"].rstrip(), color).splitlines()]
            lines.append("")
        if event.get("graph"):
            lines += [_("  computation graph:")] + ["   " + g for g in event["graph"]]
        if event.get("choices") and not event.get("true_false"):
            lines += [f"  {chr(ord('a') + i)}) {c}" for i, c in enumerate(event["choices"])]
        if event.get("true_false"):
            lines.append(_("  (true or false)"))
        if event.get("expects"):
            lines.append(style(_("  Type {expects}.").format(expects=event["expects"]), "dim", enabled=color))
        if event.get("wrt") and len(event["wrt"]) > 1:
            lines.append(style(_("  Type the derivatives separated by ';'."), "dim", enabled=color))
        lines.append(style(_("  (hint, skip or quit at any time)"), "dim", enabled=color))
        return "\n".join(lines)
    if kind == "hint":
        return style(_("Hint {number}/{of}: {text}").format(**event), "yellow", enabled=color)
    if kind == "invalid":
        detail = event.get("caret") or event["reason"]
        msg = _("I could not read that: {reason}").format(reason=detail)
        if event.get("message"):
            msg += "\n" + event["message"]
        return style(msg, "yellow", enabled=color)
    if kind == "feedback":
        if event["correct"]:
            lines = [style(_("✓ Right."), "green", "bold", enabled=color) + " " + event["explanation"]]
        else:
            lines = [style(_("✗ Not quite."), "red", "bold", enabled=color)]
            explanation = event["explanation"] or ""
            text, _sep, fix = explanation.partition("\n")
            lines.append(text)
            if event.get("table"):
                lines += _table_lines(event["table"])
            if fix:
                lines.append(_("The fix:"))
                lines += ["    " + ln for ln in highlight(fix, color).splitlines()]
            if event.get("graph"):
                lines += [_("  computation graph:")] + ["   " + g for g in event["graph"]]
            if event.get("attempts_left"):
                lines.append(style(_("Try again ({n} attempt(s) left).").format(n=event["attempts_left"]),
                                   "dim", enabled=color))
            elif event.get("expected"):
                lines.append(_("The answer is {expected}.").format(expected=event["expected"]))
        return "\n".join(lines)
    if kind == "skipped":
        return _("Skipped. The answer is {expected}. {explanation}").format(**event)
    if kind == "quit":
        return style(event["message"], "cyan", enabled=color)
    if kind == "summary":
        lines = ["", style(_("Done: {right} of {total} right ({first} at the first try).").format(
            right=event["right"], total=event["total"], first=event["right_first_time"]), "bold", enabled=color)]
        for mid, n in sorted(event["misconceptions"].items()):
            lines.append(_("  seen {n}x: {id}").format(n=n, id=mid))
        lines.append(_("Run tutor progress to see your mastery per topic."))
        return "\n".join(lines)
    return str(event)


def _table_lines(table) -> list:
    cols = table["columns"]
    rows = [[str(c) for c in r] for r in table["rows"]]
    widths = [max(len(cols[i]), *(len(r[i]) for r in rows)) for i in range(len(cols))]
    out = ["  " + "  ".join(c.ljust(w) for c, w in zip(cols, widths))]
    out += ["  " + "  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
    return out


def render_progress(mastery: dict, boxes: dict, color: bool = False) -> str:
    from .bank import TOPICS
    from .progress import describe_due

    if not mastery:
        return _("No answers yet: run tutor quiz.")
    lines = [style_bold(_("Mastery per topic"), color)]
    for topic in TOPICS:
        m = mastery.get(topic)
        if not m:
            continue
        bar = "█" * round(m["mastery"] * 20) + "·" * (20 - round(m["mastery"] * 20))
        acc = "-" if m["accuracy"] is None else f"{m['accuracy'] * 100:.0f}%"
        lines.append(f"  {topic:<17} {bar} {m['mastery'] * 100:3.0f}%   "
                     + _("{n} exercises, {acc} right first time").format(n=m["exercises"], acc=acc))
    lines.append(describe_due(boxes))
    return "\n".join(lines)


def style_bold(text, color):
    from .term import style

    return style(text, "bold", enabled=color)
