"""What the quiz shows besides the verdict: the question event, the .grad table, the graph, the summary."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ...bank import Exercise, Variant
from ...bank.topics import TOPICS
from ...foundation.i18n import _
from ...foundation.paths import data_dir
from ...foundation.term import fmt_number

TABLE_MISCONCEPTIONS = ("accumulation.overwrite", "accumulation.no-zero", "zeroing.placement",
                        "zeroing.after-backward", "retain-graph.always-raises", "retain-graph.needed")
GRAPH_TOPICS = ("graph-leaves",)


def work_file(ex: Exercise) -> Path:
    """The learner's copy of a code exercise's stub, in the tutor's data folder (copied on first use)."""

    from ...bank.translations import stub_text

    path: Path = data_dir() / "work" / ex.data["file"]
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(stub_text(ex.root, ex.data["file"]), encoding="utf-8")    # in the learner's language
    return path


def fresh_work_file(ex: Exercise) -> Path:
    """The stub copied anew for a question asked again; an edited earlier copy is kept beside it as
    ``NAME.previous.py`` (then ``NAME.previous-2.py`` ...: none is lost)."""

    from ...bank.translations import stub_text

    path = work_file(ex)
    stub = stub_text(ex.root, ex.data["file"])
    if path.read_text(encoding="utf-8", errors="replace") != stub:
        keep = path.with_suffix(".previous" + path.suffix)
        n = 1
        while keep.exists():              # an earlier kept copy stays too: NAME.previous-2.py ...
            n += 1
            keep = path.with_suffix(f".previous-{n}{path.suffix}")
        path.replace(keep)
        path.write_text(stub, encoding="utf-8")
    return path


def question_event(v: Variant[Any], position: int, total: int) -> dict[str, Any]:
    ex = v.exercise
    event = {"event": "question", "position": position + 1, "total": total, "id": ex.id, "title": ex.title,
             "topic": ex.topic, "topic_title": _(TOPICS[ex.topic]), "kind": ex.kind, "prompt": v.prompt,
             "code": v.code, "hints": len(ex.hints)}
    event.update(v.kind.quiz_fields(v, work_file))
    return event              # the graph comes with the final feedback: drawn before, it gives answers away


def table(v: Variant[Any], misconception: str | None) -> dict[str, Any] | None:
    """.grad after each backward call: what torch does against what the learner assumed."""
    from ...bank.misconceptions import CATALOGUE
    from ...engines.scenario import Run, mutate, simulate

    if v.scenario is None or misconception not in TABLE_MISCONCEPTIONS:
        return None
    m = CATALOGUE[misconception]
    run: Run = v.simulation()
    truth = run.backward_events()
    assumed_run: Run | None
    if m.belief is not None:
        assumed_run = simulate(v.scenario, [m.belief], run.memo)
    else:
        mutated = mutate(v.scenario, m.mutation) if m.mutation else None
        assumed_run = simulate(mutated, memo=run.memo) if mutated is not None else None
    if assumed_run is None or not truth:
        return None
    assumed = assumed_run.backward_events()
    leaf: str | None = v.scenario.ask.name
    if leaf not in truth[0].grads:
        leaf = next(iter(truth[0].grads), None)
        if leaf is None:
            return None
    rows = []
    for i in range(max(len(truth), len(assumed))):
        t = truth[i].grads.get(leaf) if i < len(truth) else None
        a = assumed[i].grads.get(leaf) if i < len(assumed) else None
        rows.append([i + 1, _fmt(t), _fmt(a)])
    if m.belief is None:
        # a code exercise: the learner's program is the changed one (what torch gave them), the reference
        # the corrected one
        return {"leaf": leaf, "columns": [_("backward call"), _("your program: {leaf}.grad").format(leaf=leaf),
                                          _("corrected: {leaf}.grad").format(leaf=leaf)],
                "rows": [[r[0], r[2], r[1]] for r in rows[:12]]}
    return {"leaf": leaf, "columns": [_("backward call"), _("torch: {leaf}.grad").format(leaf=leaf),
                                      _("assumed")], "rows": rows[:12]}


def _fmt(values: list[Any] | None) -> str:
    if values is None:
        return "None"
    shown = [fmt_number(float(x)) for x in values]
    return shown[0] if len(shown) == 1 else "[" + ", ".join(shown) + "]"


def graph_lines(scenario: Any) -> list[str]:
    """The computation graph in text (:func:`tutor.engines.scenario.graph.graph`: the simulator's state at
    the end of the program, each node proven against torch by ``tutor check``): each tensor's is_leaf,
    requires_grad, grad_fn and where .grad lands."""
    from ...engines.scenario.graph import graph

    lines = []
    for node in graph(scenario):
        if node.expr is None:
            kind = _("leaf, requires_grad=True: .grad lands here") if node.requires_grad else \
                _("leaf, requires_grad=False: a constant")
            lines.append(f"{node.name:>6}  ({kind})")
            continue
        if node.is_leaf:
            label = _("no grad_fn: is_leaf=True, requires_grad=False (computed without tracking, or from "
                      "tensors that do not require grad)")
        elif node.retains:
            label = _("grad_fn={node}, is_leaf=False, .grad kept (retain_grad)").format(node=node.grad_fn)
        else:
            label = _("grad_fn={node}, is_leaf=False, .grad stays None").format(node=node.grad_fn)
        lines.append(f"{node.name:>6}  = {node.expr}   <- {', '.join(node.inputs)}   [{label}]")
    return lines


def summary_event(store: Any, session_id: int, total: int, by_id: Mapping[str, Any] | None = None,
                  stopped: bool = False) -> dict[str, Any]:
    """The session in numbers and words: right at the first try and after feedback, per topic, the mistakes
    (the misconceptions' titles) and the topics to revisit.  ``stopped``: the learner quit early."""
    from ...bank.misconceptions import CATALOGUE

    history = store.history(session_id)
    finals = [h for h in history if h["final"]]
    seen: dict[str, int] = {}
    for h in history:
        if h["misconception"]:
            seen[h["misconception"]] = seen.get(h["misconception"], 0) + 1
    topics: dict[str, dict[str, int]] = {}
    for h in finals:
        topic = by_id[h["exercise"]].topic if by_id and h["exercise"] in by_id else None
        if topic is None:
            continue
        t = topics.setdefault(topic, {"asked": 0, "right": 0})
        t["asked"] += 1
        t["right"] += bool(h["correct"])
    mistakes = [{"id": mid, "title": CATALOGUE[mid].title if mid in CATALOGUE else mid, "count": n}
                for mid, n in sorted(seen.items(), key=lambda kv: (-kv[1], kv[0]))]
    revisit = [t for t in TOPICS if t in topics and topics[t]["right"] < topics[t]["asked"]]
    return {"event": "summary", "total": total, "answered": len(finals), "stopped": stopped,
            "right": sum(1 for h in finals if h["correct"]),
            "right_first_time": sum(1 for h in finals if h["correct"] and h["attempt"] == 1),
            "right_after_feedback": sum(1 for h in finals if h["correct"] and h["attempt"] > 1),
            "misconceptions": seen, "mistakes": mistakes, "topics": topics, "revisit": revisit,
            "mastery": store.mastery()}
