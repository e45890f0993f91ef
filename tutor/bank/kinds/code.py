"""``code``: complete a stub marked TODO; graded by running the learner's function (never in-process)."""
from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

from ...engines.scenario import Answer
from ...foundation.document import Block, Para, Program
from ...foundation.document import Code as CodeSpan
from ...foundation.errors import MathError, TutorError
from ...foundation.i18n import _
from ...foundation.term import fmt_number
from ..model import Exercise, Judgement, Variant
from . import CheckContext, ExerciseKind, Fail, Outcome, Prepared, WorkFile
from ._code_runs import _failure, witnesses
from ._scenario import (
    build_scenario,
    check_key,
    check_proof,
    distinct,
    grade_prediction,
    proof_program,
    scenario_numbers,
    validate_scenario,
    wrong,
)

CHECK_WORDS = ("check", "done")
QUIZ_TIMEOUT = 15.0         # seconds a quiz check may run (an endless loop is stopped, and the learner told)


class Code(ExerciseKind[Answer]):
    name: ClassVar[str] = "code"
    order: ClassVar[int] = 40
    fields: ClassVar[tuple[str, ...]] = ("file", "function", "call", "scenario", "grade_params")
    runs_code: ClassVar[bool] = True
    misconceptions: ClassVar[tuple[str, ...]] = (
        "accumulation.no-zero", "zeroing.after-backward", "update.sign", "loop.one-more", "loop.one-fewer",
        "reduction.mean-vs-sum", "answer.grad-as-value")

    def validate(self, item: Mapping[str, Any], root: Path, fail: Fail) -> None:
        from ..params import check_params

        validate_scenario(item, fail)
        if "grade_params" in item:
            check_params(item["grade_params"], fail, "grade_params")
            extra = set(item["grade_params"]) - set(item.get("params", {}))
            if extra:
                fail(f"grade_params.{sorted(extra)[0]}", _("not a parameter of the exercise (params)"),
                     "bank.bad-params")
        rel = item.get("file")
        if not isinstance(rel, str) or rel.startswith("/") or ".." in Path(rel).parts:
            fail("file", _("must be a path inside the bank folder"), "bank.bad-file")
        if not (root / rel).is_file():
            near = [d for d in root.iterdir() if d.is_dir() and (d / rel).is_file()] if root.is_dir() else []
            hint = " " + _("(found in {folder}: pass that folder as the bank)").format(folder=near[0]) if near else ""
            fail("file", _("no stub at {path}").format(path=root / rel) + hint, "bank.no-stub")
        if not isinstance(item.get("function"), str) or not item["function"].isidentifier():
            fail("function", _("must name the function the learner completes"), "bank.bad-function")
        call = item.get("call", {})
        if not isinstance(call, dict):
            fail("call", _("must map argument names to values"), "bank.bad-call")
        from ...mathlang import parse

        for name, text in call.items():
            if not isinstance(name, str) or not name.isidentifier() or isinstance(text, bool) \
                    or not isinstance(text, (str, int, float)):
                fail(f"call.{name}", _("must be a number or comma-separated numbers (math, parameters allowed)"),
                     "bank.bad-call")
            for part in [p for p in str(text).split(",") if p.strip()] or [""]:
                try:
                    parse(part, variables=set(item.get("params", {})))
                except MathError as exc:
                    fail(f"call.{name}", exc.one_line(), exc.code)

    def draw(self, ex: Exercise, seed: int, params: dict[str, Any]) -> Variant[Answer]:
        from ...engines.scenario import simulate
        from ..candidates import scenario_candidates

        scenario = build_scenario(ex, params)
        run = simulate(scenario)
        cands = scenario_candidates(scenario, self.misconceptions, ex.data.get("misconceptions"), code=True,
                                    run=run)
        prompt = ex.data.get("question") or _("Complete {file}: {function}() must return the value of {ask} "
                                              "after the program runs.").format(
            file=ex.data["file"], function=ex.data["function"], ask=scenario.ask)
        return Variant(ex, seed, params, prompt, run.answer, None, cands, scenario, run=run)

    distinct = staticmethod(distinct)

    def expected_text(self, v: Variant[Answer]) -> str:
        return v.answer.text()

    def typed_answer(self, v: Variant[Answer]) -> str:
        return v.answer.text()

    def grade(self, v: Variant[Answer], text: str) -> Judgement:
        return grade_prediction(v, text)

    def call_args(self, v: Variant[Answer]) -> dict[str, Any]:
        """The arguments the learner's function is called with, as plain numbers."""
        import sympy

        from ...mathlang import parse

        out: dict[str, Any] = {}
        syms = {sympy.Symbol(k, real=True): val for k, val in v.params.items()}
        for name, text in v.exercise.data.get("call", {}).items():
            text = str(text)
            if "," in text:
                out[name] = [float(parse(p, variables=set(v.params)).expr.xreplace(syms)) for p in text.split(",")
                             if p.strip()]
            else:
                value = parse(text, variables=set(v.params)).expr.xreplace(syms)
                out[name] = int(value) if value.is_Integer else float(value)
        return out

    @staticmethod
    def call_params(ex: Exercise) -> set[str]:
        """The parameters the learner's function is called with (through ``call``): its inputs vary with them."""
        from ...mathlang import parse

        names = set(ex.data.get("params", {}))
        used: set[str] = set()
        for text in ex.data.get("call", {}).values():
            for part in [p for p in str(text).split(",") if p.strip()]:
                used |= {s.name for s in parse(part, variables=names).expr.free_symbols} & names
        return used

    def call_text(self, v: Variant[Answer]) -> str:
        def show(value: Any) -> str:
            if isinstance(value, list):
                return "[" + ", ".join(fmt_number(x) for x in value) + "]"
            return fmt_number(value)

        args = self.call_args(v)
        return f"{v.exercise.data['function']}(" + ", ".join(f"{k}={show(a)}" for k, a in args.items()) + ")"

    def judge_calls(self, pairs: Sequence[tuple[Variant[Answer], Mapping[str, Any]]]) -> list[Judgement]:
        """Each call judged (:meth:`grade_result`); a mistake is named only where every call names it: the
        function returned, on each input, what that mistake gives there.  One value can match a mistake by
        chance, and its story and fix would then be false; a function wrong in another way gets the plain
        explanation."""
        first = [self.grade_result(v, r) for v, r in pairs]
        if len(pairs) < 2 or not any(j.misconception for j in first):
            return first
        common = set.intersection(*(set(j.matches or ()) for j in first))
        return [self.grade_result(v, r, allowed=common) if j.misconception else j for (v, r), j in zip(pairs, first)]

    def corroborated(self, v: Variant[Answer], result: Mapping[str, Any],
                     run: Callable[[list[Variant[Answer]]], Sequence[Mapping[str, Any]]]) -> Judgement:
        """``result`` judged; where its value matches a mistake, the same function is run on the inputs of
        :meth:`witnesses` (``run(variants)`` gives one outcome each) and the mistake named only if every one
        of them names it (:meth:`judge_calls`)."""
        judged = self.grade_result(v, result)
        others = self.witnesses(v) if judged.misconception else []
        if not others:
            return judged
        return self.judge_calls([(v, result), *zip(others, run(others))])[0]

    def grade_result(self, v: Variant[Answer], result: Mapping[str, Any],
                     allowed: Collection[str] | None = None) -> Judgement:
        """Judge what the learner's function returned ({"value": ...} or {"error": "..."}); ``allowed``: the
        mistakes it may be said to match (see :meth:`judge_calls`)."""
        import sympy

        from ...engines.scenario import same_answer
        from ..candidates import classify

        expected = self.expected_text(v)
        if "failure" in result:
            return Judgement(False, expected, _failure(result))
        if "error" in result:
            said = _("Your function raised {error}.").format(error=result["error"])
            if "'NoneType' object has no attribute 'zero_'" in str(result["error"]):
                said += " " + _("A tensor's .grad is None until its first backward() call, so .grad.zero_() fails "
                                "on the first step. Reset it with x.grad = None (what opt.zero_grad() does), or "
                                "zero it only once it exists: if x.grad is not None: x.grad.zero_().")
            return Judgement(False, expected, said)
        value = result.get("value")
        if "unusable" in result or value is None or isinstance(value, bool) or (
                isinstance(value, list) and not all(isinstance(x, (int, float)) and not isinstance(x, bool)
                                                    for x in value)):
            what = result.get("unusable") or repr(value)
            return Judgement(False, expected, _("Your function returned {what}, not a number or a list of "
                                                "numbers.").format(what=what))
        vector = isinstance(value, list)
        size = len(v.answer.values or ())
        if vector and len(value) != size and len(value) > 64:     # no exact arithmetic on what cannot be right
            return Judgement(False, expected, _("Your function returned {n} values; the answer has {m}.").format(
                n=len(value), m=size))
        got = Answer.number([sympy.Float(x, 17) for x in (value if vector else [value])], vector)
        assert v.scenario is not None
        if same_answer(v.answer, got, v.scenario.dtype):
            return Judgement(True, expected, v.explanation)
        ids = classify(got, v.candidates)
        return wrong(v, ids if allowed is None else [i for i in ids if i in allowed], got.text())

    def witnesses(self, v: Variant[Answer], count: int = 2) -> list[Variant[Answer]]:
        """Other variants whose inputs differ from ``v``'s (see :func:`._code_runs.witnesses`)."""
        return witnesses(self, v, count)

    @staticmethod
    def shown(outcome: Mapping[str, Any]) -> object:
        """What the learner's run gave, for "expected ..., got ..."."""
        for key in ("value", "error", "unusable"):
            if key in outcome:
                return outcome[key]
        return outcome.get("failure")

    def run_files(self, ex: Exercise, path: Path, calls: list[dict[str, Any]], timeout: float = 60.0) \
            -> list[dict[str, Any]]:
        """The learner's or the bank's own file, run (not isolated: trusted code) in a fresh job of the
        shared preloaded worker; one outcome per call (the first carries what the file printed)."""
        from ...engines.runner.programs import run_file

        return run_file(path, ex.data["function"], calls, timeout)

    def respond(self, v: Variant[Answer], text: str, work_file: WorkFile) -> tuple[Judgement, str]:
        """At the quiz's prompt: ``check`` runs the learner's copy of the stub in a process of its own."""
        path = work_file(v.exercise)
        if text.lower() not in CHECK_WORDS:
            return Judgement.unreadable(self.expected_text(v), _("edit {path}, then type check").format(path=path),
                                        "quiz.code-needs-check"), text
        problem = self.unready(v, path)
        if problem is not None:
            return Judgement.unreadable(self.expected_text(v), problem[0], problem[1]), text
        (result,) = self.run_files(v.exercise, path, [self.call_args(v)], timeout=QUIZ_TIMEOUT)
        if result.get("failure") in ("timeout", "load"):     # it never returned: nothing to judge, no attempt
            return Judgement.unreadable(self.expected_text(v), _failure(result), f"quiz.code-{result['failure']}"), \
                json.dumps(result)[:500]
        judged = self.corroborated(v, result, lambda others: self.run_files(
            v.exercise, path, [self.call_args(w) for w in others], timeout=QUIZ_TIMEOUT))
        if result.get("printed"):
            judged = replace(judged, explanation=(judged.explanation or "") + "\n" + _(
                "Your program printed:") + "\n" + result["printed"].rstrip("\n"))
        return judged, json.dumps(result)[:500]

    def unready(self, v: Variant[Answer], path: Path) -> tuple[str, str] | None:
        """Why checking the file now would only cost an attempt (reason, code): still the stub, unreadable,
        or not Python (compiled here, never run)."""
        try:
            source = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            return _("cannot read {path}: {reason}").format(path=path, reason=exc), "quiz.code-unreadable"
        if source == self.stub(v):
            return _("{path} is still the stub: complete {function}() there first").format(
                path=path, function=v.exercise.data["function"]), "quiz.code-unedited"
        try:
            compile(source, str(path), "exec", dont_inherit=True)
        except SyntaxError as exc:
            return _("{path}, line {line}: {msg}").format(path=path, line=exc.lineno, msg=exc.msg), \
                "quiz.code-syntax"
        except ValueError as exc:
            return str(exc), "quiz.code-syntax"
        return None

    def run_only(self, v: Variant[Answer], path: Path) -> dict[str, Any]:
        """The learner's function called on the question's input, not judged: what it returned, raised and
        printed (the quiz's ``run``)."""
        (result,) = self.run_files(v.exercise, path, [self.call_args(v)], timeout=QUIZ_TIMEOUT)
        out: dict[str, Any] = {"call": self.call_text(v)}
        out.update({k: result[k] for k in ("value", "error", "printed", "unusable") if k in result})
        if "failure" in result:
            out["failure"] = _failure(result)
            out.pop("error", None)
        return out

    def prepare(self, ex: Exercise, seeds: int, ctx: CheckContext) -> Prepared:
        """Every stub fails and every solution passes (each run in a fresh process of the preloaded worker)."""
        from ..variants import Memo, variant

        memo: Memo = {}
        variants = [variant(ex, seed, memo) for seed in range(min(seeds, 3))]
        if ex.data.get("grade_params"):          # the grader's wider ranges: the same checks on their draws
            variants += [variant(ex, seed, None, grading=True) for seed in range(min(seeds, 3))]
        calls = [self.call_args(v) for v in variants]
        stub = ex.root / ex.data["file"]
        solution = ctx.solutions / ex.data["file"] if ctx.solutions is not None else None
        if solution is not None and not solution.is_file():
            raise TutorError(_("no solution at {path}").format(path=solution), code="check.no-solution")
        files = [{"path": str(p), "function": ex.data["function"], "calls": calls} for p in (stub, solution)
                 if p is not None]
        for seed, v in enumerate(variants):
            check_key(self, v, seed)
        self.check_explanation(variants)
        proofs = [proof_program(v) for v in variants]        # the scenario the feedback draws from: proven too
        return Prepared(len(variants), programs=[run for run, _nodes in proofs], files=files,
                        data=(variants, solution, [nodes for _run, nodes in proofs]))

    def finish(self, ex: Exercise, prepared: Prepared, answers: list[list[Outcome]],
               outcomes: list[list[Outcome]]) -> int:
        variants, solution, graphs = prepared.data
        for seed, (v, nodes, values) in enumerate(zip(variants, graphs, answers)):
            assert v.scenario is not None
            check_proof(seed, v.answer, v.scenario.dtype, nodes, values)
        stub_results = outcomes[0]
        sol_results = outcomes[1] if solution is not None else None
        if all(self.grade_result(v, r).correct for v, r in zip(variants, stub_results)):
            raise TutorError(_("the stub {file} already passes: it must leave the TODO for the learner").format(
                file=ex.data["file"]), code="check.stub-passes")
        for seed, (v, r) in enumerate(zip(variants, sol_results or [])):
            if not self.grade_result(v, r).correct:
                raise TutorError(_("the solution {path} fails on seed {seed}: expected {expected}, got {got}").format(
                    path=solution, seed=seed, expected=v.answer.text(), got=r.get("value", r.get("error"))),
                    code="check.solution-fails")
        return len(variants)

    # ---- views
    def stub(self, v: Variant[Answer]) -> str:
        """The stub as the learner gets it (its docstring and comments in their language, where the bank has
        them)."""
        from ..translations import stub_text

        return stub_text(v.exercise.root, v.exercise.data["file"])

    def solution(self, v: Variant[Answer]) -> tuple[str, str | None]:
        """The reference solution, found as ``tutor check`` finds it (``../solutions`` next to the bank): the
        path a key names (relative to the bank, the same on every machine) and the text (None: no such file)."""
        from ...foundation.paths import solutions_dir

        rel = v.exercise.data["file"]
        shown = "../solutions/" + Path(rel).as_posix()
        folder = solutions_dir(v.exercise.root)
        path = folder / rel if folder is not None else None
        if path is None or not path.is_file():
            return shown, None
        from ..translations import translated_stub, translator

        # it mirrors the stub: the stub's translated docstring and comments serve it too
        return shown, translated_stub(path.read_text(encoding="utf-8"), rel, translator(v.exercise.root))

    def answer_blocks(self, v: Variant[Answer]) -> list[Block]:
        """The value the function must return, then the reference solution (or a line saying there is none)."""
        blocks = super().answer_blocks(v)
        shown, text = self.solution(v)
        if text is None:
            return [*blocks, Para.fill(_("No reference solution: there is no {file} next to the bank."),
                                       file=CodeSpan(shown))]
        return [*blocks, Para.fill(_("Reference solution ({file}):"), file=CodeSpan(shown)), Program(text)]

    def shown_text(self, v: Variant[Answer]) -> str:
        return "\n".join([v.prompt, self.call_text(v), self.stub(v)])

    def produced_numbers(self, v: Variant[Answer]) -> list[float]:
        return super().produced_numbers(v) + scenario_numbers(v)

    def question_blocks(self, v: Variant[Answer], *, stub: bool = True) -> list[Block]:
        blocks: list[Block] = [Para.text(v.prompt),
                               Para.fill(_("The checker calls {call}."), call=CodeSpan(self.call_text(v)))]
        if stub:
            blocks += [Para.fill(_("Stub ({file}):"), file=CodeSpan(v.exercise.data["file"])), Program(self.stub(v))]
        return blocks

    def question_json(self, v: Variant[Answer]) -> dict[str, Any]:
        return {"file": v.exercise.data["file"], "function": v.exercise.data["function"],
                "call": self.call_args(v), "stub": self.stub(v)}

    def answer_json(self, v: Variant[Answer]) -> dict[str, Any]:
        shown, text = self.solution(v)
        return {**v.answer.to_json(), "solution_file": shown, "solution": text}

    def quiz_fields(self, v: Variant[Answer], work_file: WorkFile) -> dict[str, Any]:
        from ...engines.runner import prestart

        prestart()                 # torch loads in the worker while the learner edits: check is then quick
        path = work_file(v.exercise)
        return {"file": str(path), "function": v.exercise.data["function"], "call": self.call_args(v),
                "expects": _("check, once you have edited {path}").format(path=path),
                "code": path.read_text(encoding="utf-8")}

    def notebook_answer(self, v: Variant[Answer], key: bool) -> list[str]:
        """The stub to complete; in the key, the reference solution (or the stub and a line saying there is none)."""
        if key:
            shown, text = self.solution(v)
            if text is not None:
                return ["# " + _("Reference solution ({file}); the checker calls {call}.").format(
                    file=shown, call=self.call_text(v)), text.rstrip("\n")]
            return ["# " + _("No reference solution: there is no {file} next to the bank.").format(file=shown),
                    self.stub(v).rstrip("\n")]
        hint = _("Complete the function below; the checker calls {call}.").format(call=self.call_text(v))
        return ["# " + hint, self.stub(v).rstrip("\n")]

    def notebook_hint(self, v: Variant[Answer]) -> str:
        return ""
