"""``tutor check``: validate and verify an exercise bank, as rustlings' ``dev check`` does.

For every exercise and many seeds:

* the file follows the format (loading names the file, exercise and field);
* derive: sympy's derivative = torch autograd = finite differences at a point;
* predict: the answer simulated exactly with sympy = what the rendered program
  prints when torch runs it;
* every variant keeps the misconception answers apart from the correct one
  and from each other;
* code: the stub in the bank fails and the solution in ``solutions/`` passes.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from pathlib import Path

from .errors import TutorError
from .i18n import _


@dataclass
class Problem:
    file: str
    exercise: str | None
    reason: str

    def to_json(self):
        return {"file": self.file, "exercise": self.exercise, "reason": self.reason}

    def line(self):
        where = self.file + (f": {self.exercise}" if self.exercise else "")
        return f"{where}: {self.reason}"


@dataclass
class CheckReport:
    exercises: int = 0
    variants: int = 0
    seconds: float = 0.0
    problems: list = field(default_factory=list)
    coverage: dict = field(default_factory=dict)
    kinds: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self):
        return {"ok": self.ok, "exercises": self.exercises, "variants_verified": self.variants,
                "seconds": round(self.seconds, 3),
                "variants_per_second": round(self.variants / self.seconds, 2) if self.seconds else None,
                "topics": self.coverage, "kinds": self.kinds, "notes": self.notes,
                "problems": [p.to_json() for p in self.problems]}


def solutions_dir(bank_dir: Path, explicit=None) -> Path | None:
    if explicit:
        return Path(explicit)
    candidate = Path(bank_dir).resolve().parent / "solutions"
    return candidate if candidate.is_dir() else None


def check_bank(directory=None, seeds: int = 5, solutions=None, progress=None) -> CheckReport:
    """Check every exercise with ``seeds`` variants; ``progress(done, total, label)`` is called per exercise."""
    from . import bank

    start = time.perf_counter()
    report = CheckReport()
    root = Path(directory) if directory else bank.default_dir()
    try:
        exercises = bank.load(root)
    except bank.BankError as exc:
        report.problems.append(Problem(exc.path, exc.exercise, exc.reason if exc.field is None
                                       else f"field '{exc.field}': {exc.reason}"))
        report.seconds = time.perf_counter() - start
        return report
    sol_root = solutions_dir(root, solutions)
    report.exercises = len(exercises)
    for topic in bank.TOPICS:
        report.coverage[topic] = sum(1 for ex in exercises if ex.topic == topic)
    for kind in bank.KINDS:
        report.kinds[kind] = sum(1 for ex in exercises if ex.kind == kind)
    if any(ex.kind == "code" for ex in exercises) and sol_root is None:
        report.notes.append(_("no solutions/ folder next to {root}: code solutions were not run").format(root=root))
    for i, ex in enumerate(exercises):
        if progress:
            progress(i, len(exercises), ex.id)
        try:
            report.variants += _check_exercise(ex, seeds, sol_root, report)
        except bank.BankError as exc:
            reason = f"field '{exc.field}': {exc.reason}" if exc.field else exc.reason
            report.problems.append(Problem(str(ex.path), ex.id, reason))
        except TutorError as exc:
            report.problems.append(Problem(str(ex.path), ex.id, exc.one_line()))
        except Exception as exc:  # a bug in an exercise must not hide the others
            report.problems.append(Problem(str(ex.path), ex.id, f"{type(exc).__name__}: {exc}"))
    if progress:
        progress(len(exercises), len(exercises), "")
    report.seconds = time.perf_counter() - start
    return report


def _check_exercise(ex, seeds, sol_root, report) -> int:
    from . import bank

    if ex.kind == "concept":
        bank.variant(ex, 0)
        return 1
    if ex.kind == "code":
        return _check_code(ex, min(seeds, 3), sol_root, report)
    count = 0
    for seed in range(seeds):
        v = bank.variant(ex, seed)      # raises if misconception answers cannot be kept apart
        if ex.kind == "derive":
            _check_derive(v, seed)
        else:
            _check_predict(v, seed)
        count += 1
    return count


def _check_predict(v, seed):
    from .scenarios import run_in_torch, same_answer

    got = run_in_torch(v.scenario)
    if not same_answer(v.answer, got, v.scenario.dtype):
        raise TutorError(_("seed {seed}: sympy says {expected} but the program prints {got}").format(
            seed=seed, expected=v.answer.text(), got=got.text()))


def _check_derive(v, seed):
    import sympy

    from .gradients import compute
    from .sym import to_text

    ex = v.exercise
    variables = ex.data["variables"]
    expr = v.function
    rng = random.Random(f"check:{ex.id}:{seed}")
    for _attempt in range(20):
        point = {name: sympy.Rational(rng.randint(3, 20), 10) * rng.choice([1, 1, -1]) for name in variables}
        try:
            report = compute(to_text(expr), [f"{k}={val}" for k, val in point.items()])
        except TutorError:
            continue
        if report.nondifferentiable or any(
                any(x != x or x in (float("inf"), float("-inf")) for x in w.sympy)
                for w in report.gradients.values()):
            continue
        _check_stated_answer(v, seed)
        for wrt, derivative in v.answer.items():
            w = report.gradients[wrt]
            if not w.agree:
                raise TutorError(_("seed {seed}: sympy, torch and finite differences disagree on d/d{wrt} at "
                                   "{point}: {s} / {t} / {f}").format(
                    seed=seed, wrt=wrt, point=point, s=w.sympy, t=w.torch, f=w.finite_difference))
            exact = float(sympy.N(derivative.xreplace(
                {sympy.Symbol(k, real=True): val for k, val in point.items()}), 30))
            if abs(exact - w.sympy[0]) > 1e-9 * max(1.0, abs(exact)):
                raise TutorError(_("seed {seed}: the stored answer for d/d{wrt} gives {a}, torch {b}").format(
                    seed=seed, wrt=wrt, a=exact, b=w.torch[0]))
        return
    raise TutorError(_("seed {seed}: no point found where the function is differentiable").format(seed=seed))


def _check_stated_answer(v, seed):
    """A derive exercise may state its answer; it must equal sympy's derivative."""
    import sympy

    from .equivalence import EQUIVALENT, check
    from .sym import to_text

    data = v.exercise.data
    stated = data.get("answer")
    if stated is None:
        return
    stated = [stated] if isinstance(stated, str) else stated
    params = {sympy.Symbol(k, real=True): val for k, val in v.params.items()}
    from .mathlang import parse

    for (wrt, derivative), text in zip(v.answer.items(), stated):
        expr = parse(text, variables=set(data["variables"]) | set(v.params)).expr.xreplace(params)
        verdict = check(to_text(derivative), to_text(expr), data["variables"])
        if verdict.verdict != EQUIVALENT:
            raise TutorError(_("field 'answer': seed {seed}: the stated d/d{wrt} = {stated} is not sympy's "
                               "{exact} ({reason})").format(seed=seed, wrt=wrt, stated=to_text(expr),
                                                            exact=to_text(derivative), reason=verdict.reason))


def _check_code(ex, seeds, sol_root, report) -> int:
    from . import bank
    from .coderun import run_function

    variants = [bank.variant(ex, seed) for seed in range(seeds)]
    calls = [bank.code_call_args(v) for v in variants]
    function = ex.data["function"]

    def passes(results):
        return [bank.grade_code_result(v, r).correct for v, r in zip(variants, results)]

    from concurrent.futures import ThreadPoolExecutor

    stub = ex.root / ex.data["file"]
    solution = sol_root / ex.data["file"] if sol_root is not None else None
    if solution is not None and not solution.is_file():
        raise TutorError(_("no solution at {path}").format(path=solution))
    with ThreadPoolExecutor(max_workers=2) as pool:      # each run is its own process
        stub_run = pool.submit(run_function, stub, function, calls)
        sol_run = pool.submit(run_function, solution, function, calls) if solution is not None else None
        stub_results = stub_run.result()
        sol_results = sol_run.result() if sol_run is not None else None
    if all(passes(stub_results)):
        raise TutorError(_("the stub {file} already passes: it must leave the TODO for the learner").format(
            file=ex.data["file"]))
    if sol_results is not None:
        results = sol_results
        flags = passes(results)
        if not all(flags):
            bad = next(i for i, f in enumerate(flags) if not f)
            got = results[bad].get("value", results[bad].get("error"))
            raise TutorError(_("the solution {path} fails on seed {seed}: expected {expected}, got {got}").format(
                path=solution, seed=bad, expected=variants[bad].answer.text(), got=got))
    return len(variants)
