"""Saved progress: every answer in SQLite as it is given, sessions that resume,
and a Leitner review schedule.

The database lives in the learner's data folder
(:func:`tutor.foundation.paths.data_dir`; ``TUTOR_DATA`` overrides).  Each answer is committed in its own
transaction with ``synchronous=FULL`` in WAL mode, so Ctrl-C, a crash or a
kill loses nothing that was answered.
"""
from __future__ import annotations

import json
import random
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...foundation.errors import TutorError
from ...foundation.i18n import _, ngettext
from ...foundation.paths import data_dir

# Leitner boxes 1..5: days until the next review after a right answer
INTERVALS_DAYS = {1: 0.0, 2: 1.0, 3: 3.0, 4: 7.0, 5: 21.0}
DAY = 86400.0

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created REAL NOT NULL,
    bank TEXT NOT NULL,
    options TEXT NOT NULL,
    plan TEXT NOT NULL,
    finished INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS answers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session INTEGER NOT NULL REFERENCES sessions(id),
    position INTEGER NOT NULL,
    at REAL NOT NULL,
    exercise TEXT NOT NULL,
    topic TEXT NOT NULL,
    seed INTEGER NOT NULL,
    attempt INTEGER NOT NULL,
    answer TEXT NOT NULL,
    correct INTEGER NOT NULL,
    misconception TEXT,
    final INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS boxes (
    exercise TEXT PRIMARY KEY,
    topic TEXT NOT NULL,
    box INTEGER NOT NULL,
    due REAL NOT NULL,
    seen INTEGER NOT NULL,
    right INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS answers_session ON answers(session, position);
CREATE TABLE IF NOT EXISTS lessons (
    topic TEXT PRIMARY KEY,
    finished REAL NOT NULL
);
"""


@dataclass
class Session:
    id: int
    plan: list[tuple[Any, ...]]     # [(exercise id, seed), ...]
    answered: int         # positions finished (answered right, out of attempts, or skipped)
    resumed: bool


class Store:
    def __init__(self, path: Path | None = None):
        path = Path(path) if path else default_path()
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(str(path), timeout=10, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.executescript(SCHEMA)
            self.db.execute("SELECT session, position, exercise, topic, seed, attempt, answer, correct, "
                            "misconception, final FROM answers LIMIT 0")
            self.db.execute("SELECT exercise, topic, box, due, seen, right FROM boxes LIMIT 0")
        except (OSError, sqlite3.DatabaseError) as exc:
            raise TutorError(_("cannot use the progress database {path}: {reason} (TUTOR_DATA chooses its "
                               "folder)").format(path=path, reason=exc), code="progress.unusable") from None

    def close(self) -> None:
        self.db.close()

    # -- sessions
    def open_session(self, bank: str, options: dict[str, Any], make_plan: Callable[[], list[list[Any]]],
                     fresh: bool = False) -> Session:
        """Resume the last unfinished session with the same bank and options, or start one."""
        opts = json.dumps(options, sort_keys=True)
        if not fresh:
            row = self.db.execute(
                "SELECT id, plan FROM sessions WHERE finished = 0 AND bank = ? AND options = ? "
                "ORDER BY id DESC LIMIT 1", (bank, opts)).fetchone()
            if row:
                done = self._finished_positions(row[0])
                saved = [tuple(p) for p in json.loads(row[1])]
                if done < len(saved):
                    return Session(row[0], saved, done, True)
        plan = make_plan()
        with self.db:
            self.db.execute("BEGIN")
            cur = self.db.execute("INSERT INTO sessions(created, bank, options, plan) VALUES (?, ?, ?, ?)",
                                  (time.time(), bank, opts, json.dumps(plan)))
        return Session(cur.lastrowid or 0, [tuple(p) for p in plan], 0, False)

    def _finished_positions(self, session: int) -> int:
        rows = self.db.execute("SELECT DISTINCT position FROM answers WHERE session = ? AND final = 1",
                               (session,)).fetchall()
        positions = {r[0] for r in rows}
        n = 0
        while n in positions:
            n += 1
        return n

    def attempts_used(self, session: int, position: int) -> int:
        row = self.db.execute("SELECT COUNT(*) FROM answers WHERE session = ? AND position = ? AND answer != ''",
                              (session, position)).fetchone()
        return int(row[0])

    def lesson_done(self, topic: str) -> None:
        """tutor learn: the topic's lesson and practice were gone through."""
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO lessons(topic, finished) VALUES (?, ?)", (topic, time.time()))

    def lessons_done(self) -> set[str]:
        return {row[0] for row in self.db.execute("SELECT topic FROM lessons")}

    def finish_session(self, session: int) -> None:
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute("UPDATE sessions SET finished = 1 WHERE id = ?", (session,))

    # -- answers
    def record(self, session: int, position: int, exercise: str, topic: str, seed: int, attempt: int,
               answer: str, correct: bool, misconception: str | None, final: bool) -> None:
        """Save one answer now (its own transaction); update the schedule when the question is over."""
        now = time.time()
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute(
                "INSERT INTO answers(session, position, at, exercise, topic, seed, attempt, answer, correct, "
                "misconception, final) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (session, position, now, exercise, topic, seed, attempt, answer, int(correct), misconception,
                 int(final)))
            if final:
                self._schedule(exercise, topic, correct and attempt == 1 and answer != "", now)

    def _schedule(self, exercise: str, topic: str, right_first_time: bool, now: float) -> None:
        row = self.db.execute("SELECT box, seen, right FROM boxes WHERE exercise = ?", (exercise,)).fetchone()
        box, seen, right = row if row else (1, 0, 0)
        box = min(box + 1, 5) if right_first_time else 1
        due = now + INTERVALS_DAYS[box] * DAY
        self.db.execute(
            "INSERT INTO boxes(exercise, topic, box, due, seen, right) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(exercise) DO UPDATE SET box = excluded.box, due = excluded.due, seen = excluded.seen, "
            "right = excluded.right",
            (exercise, topic, box, due, seen + 1, right + int(right_first_time)))

    # -- reading
    def boxes(self) -> dict[str, dict[str, Any]]:
        return {r[0]: {"topic": r[1], "box": r[2], "due": r[3], "seen": r[4], "right": r[5]}
                for r in self.db.execute("SELECT exercise, topic, box, due, seen, right FROM boxes")}

    def mastery(self, bank: Sequence[Any] | None = None) -> dict[str, dict[str, Any]]:
        """Per topic: questions seen, answered right first time (``right``), right only after feedback on a
        later attempt (``right_after_feedback``, counted apart: it is not mastery), a 0..1 mastery.

        ``bank``: the exercises (with ``id`` and ``topic``): then every topic of it is listed, ``total`` says
        how many exercises it has, and mastery is over all of them (an exercise never seen counts as box 1:
        one seen out of seven is not 25% of a topic)."""
        out: dict[str, dict[str, Any]] = {}
        later = dict(self.db.execute("SELECT topic, COUNT(*) FROM answers WHERE final = 1 AND correct = 1 "
                                     "AND attempt > 1 GROUP BY topic").fetchall())
        boxes = self.boxes()
        known = {ex.id: ex.topic for ex in bank} if bank is not None else {}
        known.update({e: b["topic"] for e, b in boxes.items() if e not in known})   # (answered from another bank)
        for topic in dict.fromkeys(known.values()):
            out[topic] = {"seen": 0, "right": 0, "right_after_feedback": later.get(topic, 0), "exercises": 0,
                          "total": 0, "box_total": 0}
        for ex_id, topic in known.items():
            t = out[topic]
            t["total"] += 1
            b = boxes.get(ex_id)
            t["box_total"] += b["box"] if b else 1
            if b:
                t["seen"] += b["seen"]
                t["right"] += b["right"]
                t["exercises"] += 1
        for t in out.values():
            t["mastery"] = round((t["box_total"] / t["total"] - 1) / 4, 3) if t["total"] else 0.0
            t["accuracy"] = round(t["right"] / t["seen"], 3) if t["seen"] else None
            del t["box_total"]
        return out

    def history(self, session: int) -> list[dict[str, Any]]:
        return [dict(zip(("position", "exercise", "attempt", "answer", "correct", "misconception", "final"), r))
                for r in self.db.execute(
                    "SELECT position, exercise, attempt, answer, correct, misconception, final FROM answers "
                    "WHERE session = ? ORDER BY id", (session,))]


def choose(exercises: Sequence[Any], boxes: dict[str, dict[str, Any]], count: int, seed: int,
           now: float | None = None) -> list[Any]:
    """The next questions: due reviews first, then weak topics and unseen exercises (Leitner)."""
    now = time.time() if now is None else now
    rng = random.Random(seed)
    topic_strength: dict[str, list[int]] = {}
    for ex in exercises:
        b = boxes.get(ex.id)
        topic_strength.setdefault(ex.topic, []).append(b["box"] if b else 1)
    weakness = {t: 5 - sum(v) / len(v) for t, v in topic_strength.items()}

    def priority(ex: Any) -> tuple[int, float]:
        b = boxes.get(ex.id)
        if b is None:
            group = 1                       # unseen
        elif b["due"] <= now:
            group = 0                       # due for review
        else:
            group = 2                       # not due yet
        # within a group: weak topics first, then a shuffle
        return (group, -weakness[ex.topic] + rng.random() * 1.5)

    ordered = sorted(exercises, key=priority)
    return ordered[:count] if count else ordered


def describe_due(boxes: dict[str, dict[str, Any]], now: float | None = None) -> str:
    """When reviews are due, in words: "2 exercises are due for review now; the next one in 3 days"."""
    now = time.time() if now is None else now
    due = sum(1 for b in boxes.values() if b["due"] <= now)
    later = [b["due"] for b in boxes.values() if b["due"] > now]
    parts = []
    if due:
        parts.append(ngettext("{n} exercise due now", "{n} exercises due now", due).format(n=due))
    if later:
        parts.append(_("the next one {when}").format(when=in_words(min(later) - now)))
    if not parts:
        return _("Nothing is due for review.")
    return _("Reviews: {parts}.").format(parts="; ".join(parts))


def in_words(seconds: float) -> str:
    """A wait, in words: "in 5 hours", "tomorrow", "in 3 days"."""
    hours = seconds / 3600
    if hours < 1:
        return _("within the hour")
    if hours < 20:
        return ngettext("in {n} hour", "in {n} hours", round(hours)).format(n=round(hours))
    days = round(hours / 24)
    return _("tomorrow") if days <= 1 else _("in {n} days").format(n=days)


def default_path() -> Path:
    return data_dir() / "progress.sqlite3"


def erase(path: Path) -> None:
    """Delete the progress database (with its WAL files)."""
    for suffix in ("", "-wal", "-shm"):
        target = path.with_name(path.name + suffix)
        if target.exists():
            target.unlink()
