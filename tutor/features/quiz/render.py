"""The quiz's events as terminal text (the JSON front end prints the events themselves)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...bank.topics import TOPICS
from ...foundation.i18n import _, ngettext
from ...foundation.term import display_width, highlight, pad, style

Event = dict[str, Any]


def render_event(event: Event, color: bool = False) -> str:
    """One event as terminal text."""
    render = _RENDERERS.get(event["event"])
    return render(event, color) if render else repr(event)


def _resume(event: Event, color: bool) -> str:
    return style(_("Welcome back: resuming your session ({answered} of {total} answered).").format(**event),
                 "cyan", enabled=color)


def _question(event: Event, color: bool) -> str:
    head = f"[{event['position']}/{event['total']}] {event['topic_title']} · {event['kind']} — {event['title']}"
    lines = ["", style(head, "bold", enabled=color), event["prompt"]]
    if event.get("pretty") and "\n" in event["pretty"]:
        lines += ["    " + ln for ln in event["pretty"].splitlines()]
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
    lines.append(style(_("  (hint, skip, quit or help at any time)"), "dim", enabled=color))
    return "\n".join(lines)


def _hint(event: Event, color: bool) -> str:
    return style(_("Hint {number}/{of}: {text}").format(**event), "yellow", enabled=color)


def _invalid(event: Event, color: bool) -> str:
    reason = event.get("caret") or event["reason"]
    if str(event.get("code", "")).startswith("quiz.code-"):      # understood, but nothing to judge yet
        msg = _("Not checked: {reason}").format(reason=reason)
    else:
        msg = _("I could not read that: {reason}").format(reason=reason)
    if event.get("message"):
        msg += "\n" + event["message"]
    return style(msg, "yellow", enabled=color)


def _feedback(event: Event, color: bool) -> str:
    if event["correct"]:
        head = _("✓ Right.")
        gap = "" if head.endswith(("。", "！", "：")) else " "        # (no space after a Chinese full stop)
        return style(head, "green", "bold", enabled=color) + gap + str(event["explanation"])
    lines = [style(_("✗ Not quite."), "red", "bold", enabled=color)]
    if event.get("attempts_left"):           # before the last attempt: a nudge, never the answer
        lines += (event["explanation"] or "").splitlines()
        lines.append(style(ngettext("Try again ({n} attempt left).", "Try again ({n} attempts left).",
                                    event["attempts_left"]).format(
            n=event["attempts_left"]), "dim",
                           enabled=color))
        return "\n".join(lines)
    lines += (event["explanation"] or "").splitlines()
    if event.get("table"):
        lines += _table_lines(event["table"])
    if event.get("fix"):
        head, _sep, code = event["fix"].partition("\n")
        lines.append(head)
        colours = {"+": "green", "-": "red"}
        lines += ["    " + (style(ln, colours[ln[0]], enabled=color) if ln[:1] in colours else highlight(ln, color))
                  for ln in code.splitlines()]
    if event.get("graph"):
        lines += [_("  computation graph:")] + ["   " + g for g in event["graph"]]
    lines += _steps_lines(event, color)
    if event.get("lesson"):
        lines.append(style(_("The lesson on this: {command}").format(command=event["lesson"]), "cyan", enabled=color))
    if event.get("solution"):
        lines.append(_("A solution ({file}):").format(file=event["solution"]["file"]))
        lines += ["    " + ln for ln in highlight(event["solution"]["code"].rstrip(), color).splitlines()]
    if event.get("attempts_left"):
        lines.append(style(ngettext("Try again ({n} attempt left).", "Try again ({n} attempts left).",
                                    event["attempts_left"]).format(
            n=event["attempts_left"]), "dim",
                           enabled=color))
    elif event.get("expected"):
        lines.append(_("The answer is {expected}.").format(expected=event["expected"]))
    return "\n".join(lines)


def _skipped(event: Event, color: bool) -> str:
    text = _("Skipped. The answer is {expected}. {explanation}").format(**event)
    return "\n".join([text, *_steps_lines(event, color)])


def _steps_lines(event: Event, color: bool) -> list[str]:
    """A derivation's steps, or a backward pass's walk: the closing note dimmed, the heading bold."""
    walk = [style(ln, "bold", enabled=color) if i == 0 else ln for i, ln in enumerate(event.get("walk", []))]
    return [style(ln, "dim", enabled=color) if ln.startswith("  (") else ln for ln in [*event.get("steps", []), *walk]]


def _running(event: Event, color: bool) -> str:
    return style(_("Running your function (stopped after {s:g} s)...").format(s=event["seconds"]), "dim",
                 enabled=color)


def _ran(event: Event, color: bool) -> str:
    lines = [_("{call}:").format(call=event["call"])]
    if "value" in event:
        lines.append("  " + _("returned {value}").format(value=event["value"]))
    if "error" in event:
        lines.append("  " + _("raised {error}").format(error=event["error"]))
    if "failure" in event or "unusable" in event:
        lines.append("  " + str(event.get("failure") or event.get("unusable")))
    if event.get("printed"):
        lines.append("  " + _("printed:"))
        lines += ["    " + ln for ln in str(event["printed"]).rstrip("\n").splitlines()]
    lines.append(style(_("(not judged, no attempt used: type check when it is ready)"), "dim", enabled=color))
    return "\n".join(lines)


def _help(event: Event, color: bool) -> str:
    if "text" in event:
        return style(event["text"], "cyan", enabled=color)
    width = max(len(name) for name, _what in event["commands"])
    lines = [style(_("At the prompt:"), "bold", enabled=color)]
    lines += [f"  {name:<{width}}  {what}" for name, what in event["commands"]]
    if event.get("answer"):
        lines.append(_("Your answer: {answer}").format(answer=event["answer"]))
    lines.append(_("A wrong answer costs an attempt; one that cannot be read does not."))
    return "\n".join(lines)


def _quit(event: Event, color: bool) -> str:
    return style(event["message"], "cyan", enabled=color)


def _summary(event: Event, color: bool) -> str:
    counts = dict(first=event["right_first_time"], total=event["total"], later=event["right_after_feedback"],
                  answered=event.get("answered", event["total"]))
    head = _("So far: {answered} of {total} answered, {first} right at the first try, {later} more after "
             "feedback.") if event.get("stopped") else _("Done: {first} of {total} right at the first try, "
                                                          "{later} more after feedback.")
    lines = ["", style(head.format(**counts), "bold", enabled=color)]
    for topic in TOPICS:
        t = event.get("topics", {}).get(topic)
        if t:
            lines.append("  " + _("{topic}: {right} of {asked} right").format(topic=_(TOPICS[topic]), **t))
    if event.get("mistakes"):
        lines.append(_("The mistakes your answers showed:"))
        lines += ["  - " + _("{title} ({n}x)").format(title=m["title"], n=m["count"]) for m in event["mistakes"]]
    for topic in event.get("revisit", []):
        lines.append(style(_("Worth revisiting: {topic} ({command})").format(
            topic=_(TOPICS[topic]), command=f"tutor quiz --topic {topic}"), "yellow", enabled=color))
    lines.append(_("Run tutor progress to see your mastery per topic."))
    return "\n".join(lines)


_RENDERERS: dict[str, Callable[[Event, bool], str]] = {
    "resume": _resume, "question": _question, "hint": _hint, "invalid": _invalid, "feedback": _feedback,
    "skipped": _skipped, "quit": _quit, "summary": _summary, "help": _help, "running": _running, "ran": _ran,
}


def _table_lines(table: dict[str, Any]) -> list[str]:
    cols = table["columns"]
    rows = [[str(c) for c in r] for r in table["rows"]]
    widths = [max(display_width(cols[i]), *(display_width(r[i]) for r in rows)) for i in range(len(cols))]
    out = ["  " + "  ".join(pad(c, w) for c, w in zip(cols, widths))]
    out += ["  " + "  ".join(pad(c, w) for c, w in zip(r, widths)) for r in rows]
    return out


def render_progress(mastery: dict[str, dict[str, Any]], boxes: dict[str, dict[str, Any]],
                    color: bool = False) -> str:
    """Every topic in the course's order: how much of it is mastered, seen out of its exercises."""
    from .store import describe_due

    if not boxes:
        lines = [_("No answers yet: run tutor quiz (or tutor quiz --topic requires-grad to start at the "
                   "beginning).")]
    else:
        lines = [style(_("Mastery per topic"), "bold", enabled=color)]
    for topic in [*TOPICS, *(t for t in mastery if t not in TOPICS)]:
        m = mastery.get(topic)
        if not m or not boxes:
            continue
        filled = round(m["mastery"] * 20)
        bar = "█" * filled + "·" * (20 - filled)
        if not m["exercises"]:
            detail = ngettext("not started ({total} exercise)", "not started ({total} exercises)", m["total"]).format(
                total=m["total"])
        else:
            acc = "-" if m["accuracy"] is None else f"{m['accuracy'] * 100:.0f}%"
            detail = _("{n} of {total} seen, {acc} right first time, {later} more after feedback").format(
                n=m["exercises"], total=m["total"], acc=acc, later=m.get("right_after_feedback", 0))
        lines.append(f"  {topic:<17} {bar} {m['mastery'] * 100:3.0f}%   {detail}")
    if boxes:
        lines.append(describe_due(boxes))
    return "\n".join(lines)
