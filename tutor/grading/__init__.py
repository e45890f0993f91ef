"""``tutor grade``: auto-grade code submissions safely, with misconception feedback.

The trusted parent (this module) finds the submissions, draws the inputs,
computes every reference answer exactly with sympy (the bank's scenario
simulation), and decides the score from plain JSON numbers that the sandboxed
child returns (:mod:`tutor.grading.sandbox`).  Submissions run in parallel
workers; a batch survives any submission crashing; finished grades are
appended (and fsynced) to a progress log so an interrupted batch resumes; the
reports are written atomically.
"""
from __future__ import annotations

import hashlib
import json
import os
import queue
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import TutorError
from ..i18n import _

CASES = 3          # input sets per code submission
FORMATS = ("json", "csv", "gradescope", "junit")


@dataclass
class Submission:
    student: str
    exercise: str
    path: Path

    @property
    def key(self) -> str:
        data = self.path.read_bytes()
        return f"{self.student}|{self.exercise}|{hashlib.sha256(data).hexdigest()[:16]}"


@dataclass
class Result:
    student: str
    exercise: str
    file: str
    score: float
    max_score: float
    status: str
    tests: list = field(default_factory=list)
    isolation: list = field(default_factory=list)

    def to_json(self):
        return self.__dict__.copy()


# ------------------------------------------------------------ discovery

def discover(paths, exercises, only: str | None = None) -> tuple[list, list]:
    """Submissions (student, exercise, file) under ``paths``, and files that match no exercise."""
    code = [ex for ex in exercises if ex.kind == "code"]
    by_name = {}
    for ex in code:
        by_name[ex.id] = ex
        by_name[Path(ex.data["file"]).stem] = ex
    if only is not None and only not in by_name:
        raise TutorError(_("no code exercise with id '{id}'").format(id=only))
    found, unknown = [], []
    for raw in paths:
        root = Path(raw)
        if not root.exists():
            raise TutorError(_("no such file or folder: {path}").format(path=raw))
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)
        for f in files:
            if only is not None:
                ex = by_name[only]
            else:
                ex = by_name.get(f.stem)
            if ex is None:
                unknown.append(str(f))
                continue
            if root.is_file():
                student = f.stem if only is not None else (f.parent.name or "submission")
            else:
                rel = f.parent.relative_to(root)
                student = rel.parts[0] if rel.parts else root.resolve().name
            found.append(Submission(student, ex.id, f))
    return found, unknown


# ------------------------------------------------------------ grading

_CASES: dict = {}


def cases_for(ex, seed: int, count: int = CASES):
    """The variants (inputs and exact references) a submission is graded on: chosen by the parent.

    Every student of an exercise gets the same inputs, so they are computed once per batch.
    """
    from .. import bank

    key = (str(ex.path), ex.id, seed, count)
    if key not in _CASES:
        _CASES[key] = [bank.variant(ex, seed * 1000 + i) for i in range(count)]
    return _CASES[key]


def grade_one(sub: Submission, ex, zygote, seed: int) -> Result:
    from .. import bank

    variants = cases_for(ex, seed)
    calls = [bank.code_call_args(v) for v in variants]
    try:
        source = sub.path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return Result(sub.student, sub.exercise, str(sub.path), 0.0, float(len(variants)), "unreadable",
                      [{"name": ex.id, "score": 0, "max_score": len(variants), "output": str(exc)}])
    report = zygote.run(source, ex.data["function"], calls)
    status = report.get("status", "crashed")
    results = report.get("results")
    tests = []
    reason = None
    if status == "timeout":
        reason = _("stopped after the time limit (an endless loop?)")
    elif status in ("no-result", "crashed"):
        reason = _("the program ended without returning a result (exit() or a crash)")
    elif "load_error" in report:
        reason = _("the file could not run: {error}").format(error=report["load_error"])
    elif not isinstance(results, list) or len(results) != len(variants):
        reason = _("no usable result")
    for i, v in enumerate(variants):
        name = f"{ex.id} [{', '.join(f'{k}={val}' for k, val in calls[i].items())}]"
        if reason is not None:
            tests.append({"name": name, "score": 0, "max_score": 1, "output": reason, "misconception": None})
            continue
        r = results[i] if isinstance(results[i], dict) else {}
        g = bank.grade_code_result(v, r)
        if g.correct:
            out = _("right: {value}").format(value=g.expected)
        else:
            got = r.get("value", r.get("error"))
            out = _("expected {expected}, got {got}").format(expected=g.expected, got=got)
            if g.misconception:
                out += ". " + g.explanation
        tests.append({"name": name, "score": 1 if g.correct else 0, "max_score": 1, "output": out,
                      "misconception": g.misconception})
    score = float(sum(t["score"] for t in tests))
    return Result(sub.student, sub.exercise, str(sub.path), score, float(len(tests)), status, tests,
                  report.get("isolation") or [])


def grade_paths(paths, *, directory=None, exercise=None, jobs: int = 1, timeout: float = 10.0, seed: int = 0,
                progress_file=None, progress=None, hide=()) -> dict:
    """Grade every submission; returns {"results": [...], "unknown": [...], "summary": {...}}."""
    from .. import bank
    from ..checkbank import solutions_dir
    from .sandbox import Limits, Zygote, default_hidden

    exercises = bank.load(directory)
    by_id = {ex.id: ex for ex in exercises}
    subs, unknown = discover(paths, exercises, exercise)
    done: dict[str, dict] = {}
    if progress_file and Path(progress_file).exists():
        for line in Path(progress_file).read_text(encoding="utf-8").splitlines():
            try:
                rec = json.loads(line)
                done[rec["key"]] = rec["result"]
            except (ValueError, KeyError):
                continue               # a torn last line from a kill: that submission runs again
    todo = [s for s in subs if s.key not in done]
    bank_dir = Path(directory) if directory else bank.default_dir()
    hidden = default_hidden(bank_dir, solutions_dir(bank_dir) or bank_dir, *hide)
    limits = Limits(wall=timeout, cpu=max(1, int(timeout)))
    results: dict[str, dict] = dict(done)
    if progress_file:
        Path(progress_file).parent.mkdir(parents=True, exist_ok=True)
    log = open(progress_file, "a", encoding="utf-8") if progress_file else None
    zygotes: queue.Queue = queue.Queue()
    workers = max(1, min(jobs, len(todo) or 1))
    for i in range(workers):
        zygotes.put(Zygote(hide=hidden, limits=limits, uid=61000 + i))
    finished = len(subs) - len(todo)
    if progress:
        progress(finished, len(subs))

    def work(sub):
        z = zygotes.get()
        try:
            return sub, grade_one(sub, by_id[sub.exercise], z, seed)
        finally:
            if z.proc.poll() is not None:           # a crashed zygote is replaced
                z = Zygote(hide=hidden, limits=limits, uid=z.uid)
            zygotes.put(z)

    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for sub, res in pool.map(work, todo):
                results[sub.key] = res.to_json()
                if log:
                    log.write(json.dumps({"key": sub.key, "result": res.to_json()}) + "\n")
                    log.flush()
                    os.fsync(log.fileno())
                finished += 1
                if progress:
                    progress(finished, len(subs))
    finally:
        if log:
            log.close()
        while not zygotes.empty():
            zygotes.get().close()
    ordered = [results[s.key] for s in subs]
    return {"results": ordered, "unknown": unknown, "summary": summarize(ordered)}


def grade_notebooks(paths, *, directory=None, manifest=None) -> list:
    """Completed notebooks from `tutor sheet --format ipynb`: typed answers, graded like the quiz.

    Answers are read from the cells' source with ``ast`` (never run).  With a
    manifest, each student is graded on their own variants: the manifest's
    seeds win over whatever the notebook's markers say.
    """
    from .. import bank
    from ..sheets.ipynb import read_answers

    exercises = {ex.id: ex for ex in bank.load(directory)}
    students = {}
    if manifest is not None:
        try:
            students = json.loads(Path(manifest).read_text(encoding="utf-8"))["students"]
        except (OSError, ValueError, KeyError) as exc:
            raise TutorError(_("cannot read the manifest {path}: {reason}").format(path=manifest, reason=exc)) from None
    results = []
    for path in paths:
        path = Path(path)
        student, planned = _student_of(path, students)
        if manifest is not None and student is None:
            raise TutorError(_("{path} belongs to no student of the manifest").format(path=path))
        try:
            answers = read_answers(path)
        except (OSError, ValueError) as exc:
            results.append(Result(path.stem, "notebook", str(path), 0.0, 0.0, "unreadable",
                                  [{"name": path.name, "score": 0, "max_score": 1, "output": str(exc)}]).to_json())
            continue
        tests = []
        for n, a in enumerate(answers, start=1):
            number = a["question"] or n
            ex_id, seed = a["exercise"], a["seed"]
            if planned is not None:
                entry = next((q for q in planned if q["number"] == number), None)
                if entry is None:
                    continue
                ex_id, seed = entry["exercise"], entry["seed"]
            ex = exercises.get(ex_id)
            name = f"{number}. {ex_id}"
            if ex is None:
                tests.append({"name": name, "score": 0, "max_score": 1, "misconception": None,
                              "output": _("no exercise {id} in the bank").format(id=ex_id)})
                continue
            if ex.kind == "code":
                tests.append({"name": name, "score": 0, "max_score": 1, "misconception": None,
                              "output": _("code answers are graded from files: tutor grade FILE.py")})
                continue
            typed = (a["answer"] or "").strip()
            if not typed:
                tests.append({"name": name, "score": 0, "max_score": 1, "misconception": None,
                              "output": _("no answer")})
                continue
            g = bank.grade(bank.variant(ex, seed), typed)
            if g.invalid:
                out = _("could not be read: {reason}").format(reason=g.invalid)
            elif g.correct:
                out = _("right: {expected}").format(expected=g.expected)
            else:
                out = _("expected {expected}, got {got}").format(expected=g.expected, got=typed)
                if g.misconception:
                    out += ". " + g.explanation.split("\n")[0]
            tests.append({"name": name, "score": 1 if g.correct else 0, "max_score": 1, "output": out,
                          "misconception": g.misconception})
        score = float(sum(t["score"] for t in tests))
        results.append(Result(student or path.stem, "sheet", str(path), score,
                              float(len(tests)), "ok", tests).to_json())
    return results


def _student_of(path: Path, students: dict):
    """(student id, planned questions) for a notebook, from the manifest's sheet names or ids."""
    import re

    tokens = set(re.split(r"[-_. ]+", path.stem))
    for sid, info in students.items():
        sheet = Path(str(info.get("sheet", ""))).stem
        if path.stem == sheet or sid in tokens:
            return sid, info.get("questions")
    return (None, None) if students else (path.stem, None)


def summarize(results) -> dict:
    students = sorted({r["student"] for r in results})
    totals = {s: [0.0, 0.0] for s in students}
    misconceptions: dict[str, set] = {}
    for r in results:
        totals[r["student"]][0] += r["score"]
        totals[r["student"]][1] += r["max_score"]
        for t in r["tests"]:
            if t.get("misconception"):
                misconceptions.setdefault(t["misconception"], set()).add(r["student"])
    return {
        "students": len(students),
        "submissions": len(results),
        "scores": {s: {"score": v[0], "max_score": v[1]} for s, v in totals.items()},
        "misconceptions": {k: len(v) for k, v in sorted(misconceptions.items(), key=lambda kv: -len(kv[1]))},
    }


# ------------------------------------------------------------ reports

def atomic_write(path: Path, text: str):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def render(report: dict, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(report, indent=2) + "\n"
    if fmt == "csv":
        return _csv(report)
    if fmt == "gradescope":
        return json.dumps(gradescope(report), indent=2) + "\n"
    if fmt == "junit":
        return _junit(report)
    raise TutorError(_("unknown format {fmt}").format(fmt=fmt))


def gradescope(report: dict) -> dict:
    """Gradescope's results.json: score and tests (name, score, max_score, output, visibility)."""
    tests = []
    for r in report["results"]:
        for t in r["tests"]:
            tests.append({"name": t["name"], "score": t["score"], "max_score": t["max_score"],
                          "output": t["output"], "visibility": "visible"})
    return {"score": sum(t["score"] for t in tests), "tests": tests}


def _csv(report) -> str:
    import csv
    import io

    exercises = sorted({r["exercise"] for r in report["results"]})
    rows: dict[str, dict] = {}
    for r in report["results"]:
        row = rows.setdefault(r["student"], {})
        row[r["exercise"]] = r["score"] / r["max_score"] * 100 if r["max_score"] else 0.0
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["student", *exercises, "total"])
    for student in sorted(rows):
        values = [rows[student].get(e) for e in exercises]
        given = [v for v in values if v is not None]
        total = sum(given) / len(exercises) if exercises else 0.0
        w.writerow([student, *("" if v is None else f"{v:.1f}" for v in values), f"{total:.1f}"])
    return buf.getvalue()


def _junit(report) -> str:
    from xml.sax.saxutils import escape, quoteattr

    lines = ['<?xml version="1.0" encoding="UTF-8"?>', "<testsuites>"]
    by_student: dict[str, list] = {}
    for r in report["results"]:
        by_student.setdefault(r["student"], []).append(r)
    for student, results in sorted(by_student.items()):
        tests = [t for r in results for t in r["tests"]]
        failures = sum(1 for t in tests if t["score"] < t["max_score"])
        lines.append(f"  <testsuite name={quoteattr(student)} tests=\"{len(tests)}\" failures=\"{failures}\">")
        for r in results:
            for t in r["tests"]:
                head = f"    <testcase classname={quoteattr(student + '.' + r['exercise'])} name={quoteattr(t['name'])}"
                if t["score"] >= t["max_score"]:
                    lines.append(head + " />")
                else:
                    lines.append(head + ">")
                    lines.append(f"      <failure message={quoteattr(t['output'][:200])}>{escape(t['output'])}</failure>")
                    lines.append("    </testcase>")
        lines.append("  </testsuite>")
    lines.append("</testsuites>")
    return "\n".join(lines) + "\n"


def grade_command(paths, *, directory=None, exercise=None, manifest=None, fmt="json", output=None, jobs=1,
                  timeout=10.0, seed=0, progress=None):
    """What `tutor grade` does; returns a commands.Outcome."""
    from ..commands import EXIT_INVALID, EXIT_OK, Outcome
    from ..errors import USER_ERRORS

    if fmt not in FORMATS:
        return Outcome(stderr=_("error: --format must be one of {f}").format(f=", ".join(FORMATS)),
                       exit_code=EXIT_INVALID)
    progress_file = None
    if output:
        progress_file = Path(str(output) + ".progress.jsonl")
    notebooks, code_paths = [], []
    for p in paths:
        p = Path(p)
        if p.is_file() and p.suffix == ".ipynb":
            notebooks.append(p)
        elif p.is_dir() and any(p.rglob("*.ipynb")) and not any(p.rglob("*.py")):
            notebooks.extend(sorted(q for q in p.rglob("*.ipynb") if ".ipynb_checkpoints" not in q.parts))
        else:
            code_paths.append(p)
    try:
        report = {"results": [], "unknown": [], "summary": {}}
        if code_paths:
            report = grade_paths(code_paths, directory=directory, exercise=exercise, jobs=jobs, timeout=timeout,
                                 seed=seed, progress_file=progress_file, progress=progress)
        if notebooks:
            report["results"] += grade_notebooks(notebooks, directory=directory, manifest=manifest)
            report["summary"] = summarize(report["results"])
    except USER_ERRORS as exc:
        return Outcome(stderr=_("error: {reason}").format(reason=exc.one_line()), exit_code=EXIT_INVALID)
    text = render(report, fmt)
    lines = []
    if output:
        atomic_write(Path(output), text)
        if progress_file and progress_file.exists():
            progress_file.unlink()
        lines.append(_("report: {path}").format(path=output))
    summary = report["summary"]
    for student, s in summary["scores"].items():
        lines.append(f"{student}: {s['score']:g}/{s['max_score']:g}")
    for mid, n in summary["misconceptions"].items():
        lines.append(_("  {n} student(s) showed {id}").format(n=n, id=mid))
    for f in report["unknown"]:
        lines.append(_("skipped (matches no code exercise): {file}").format(file=f))
    if not report["results"]:
        return Outcome(stdout="" if output else text, stderr=_("error: no submission matches a code exercise"),
                       exit_code=EXIT_INVALID)
    if output:
        return Outcome(stdout="\n".join(lines), exit_code=EXIT_OK)
    return Outcome(stdout=text.rstrip("\n"), stderr="\n".join(lines), exit_code=EXIT_OK)
