"""``tutor list``: the bank's exercises, grouped by topic."""
from __future__ import annotations

import json
from collections.abc import Sequence

from ..foundation.errors import TutorError
from ..foundation.i18n import _, ngettext
from ..foundation.outcome import Outcome, invalid
from ..foundation.term import style


def main(*, directory: str | None = None, topics: Sequence[str] = (), kinds: Sequence[str] = (),
         as_json: bool = False, color: bool = False) -> Outcome:
    from .. import bank

    try:
        chosen = bank.select(bank.load(directory), topics=topics, kinds=kinds)
    except TutorError as exc:
        return invalid(exc, as_json)
    if as_json:
        return Outcome(stdout=json.dumps([ex.summary() for ex in chosen], indent=2))
    if not chosen:
        return Outcome(stdout=_("No exercises match."))
    width = max(len(ex.id) for ex in chosen)
    lines = []
    for topic, label in bank.TOPICS.items():
        rows = [ex for ex in chosen if ex.topic == topic]
        if not rows:
            continue
        lines.append(style(f"{topic}  ({_(label)})", "bold", enabled=color))
        for ex in rows:
            lines.append(f"  {ex.id:<{width}}  {style(f'{ex.kind:<8}', 'cyan', enabled=color)}  {ex.title}")
        lines.append("")
    lines.append(ngettext("{n} exercise", "{n} exercises", len(chosen)).format(n=len(chosen)))
    return Outcome(stdout="\n".join(lines))
