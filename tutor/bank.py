"""The exercise bank: TOML files, validation, seeded variants, grading of answers.

The format is documented for instructors in ``docs/exercise-format.md``.
Every load error names the file, the exercise and the field.  One engine
serves the quiz, the sheets and the grader: :func:`variant` draws a seeded
variant with its correct answer and the wrong answers each misconception
produces, and :func:`grade` marks a typed answer against it.
"""
from __future__ import annotations

import os
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

from .errors import TutorError
from .i18n import _

FORMAT_VERSION = 1
KINDS = ("derive", "predict", "concept", "code")
TOPICS = {
    "requires-grad": "requires_grad and dtype",
    "graph-leaves": "the computation graph and leaf nodes",
    "backward": "backward() and .grad",
    "scalar-gradients": "scalar gradients",
    "vector-gradients": "vector gradients",
    "no-grad": "turning tracking off: no_grad, decorator, set_grad_enabled",
    "accumulation": "gradient accumulation",
    "zeroing": "zeroing gradients",
    "retain-graph": "retain_graph",
    "case-study": "the linear-regression case study",
    "derivatives": "derivative drill: chain, product and quotient rules",
}
ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
COMMON_FIELDS = ("id", "title", "topic", "kind", "hints", "explanation", "params", "misconceptions", "question")
KIND_FIELDS = {
    "derive": ("function", "variables", "wrt", "answer"),
    "predict": ("scenario",),
    "concept": ("choices", "answer", "why"),
    "code": ("file", "function", "call", "scenario"),
}
MAX_DRAWS = 40


class BankError(TutorError):
    """A bank file that does not follow the format (file, exercise, field, reason)."""

    def __init__(self, path, reason, exercise=None, field_name=None):
        where = str(path)
        if exercise:
            where += f": exercise '{exercise}'"
        if field_name:
            where += f", field '{field_name}'"
        super().__init__(f"{where}: {reason}")
        self.path = str(path)
        self.exercise = exercise
        self.field = field_name
        self.reason = reason


@dataclass
class Exercise:
    id: str
    title: str
    topic: str
    kind: str
    hints: list
    explanation: str
    data: dict
    path: Path
    root: Path

    def summary(self) -> dict:
        return {"id": self.id, "title": self.title, "topic": self.topic, "kind": self.kind,
                "file": str(self.path)}


@dataclass
class Variant:
    exercise: Exercise
    seed: int
    params: dict
    prompt: str
    code: str | None = None
    answer: object = None              # derive: {wrt: expr}; predict/code: Answer; concept: index or bool
    candidates: list = field(default_factory=list)
    scenario: object = None
    function: object = None            # derive: f with the drawn parameters substituted (sympy)

    @property
    def id(self):
        return self.exercise.id


@dataclass
class Grade:
    correct: bool
    misconception: str | None
    explanation: str
    expected: str
    invalid: str | None = None          # the answer could not be read (costs no attempt)
    matches: list = field(default_factory=list)
    caret: str | None = None            # the unreadable answer with a caret under the problem

    def to_json(self):
        return {"correct": self.correct, "misconception": self.misconception, "explanation": self.explanation,
                "expected": self.expected, "invalid": self.invalid}


# ------------------------------------------------------------------ loading

def default_dir() -> Path:
    env = os.environ.get("TUTOR_EXERCISES")
    if env:
        return Path(env)
    from .bank_paths import bundled_exercises

    return bundled_exercises()


def load(directory=None) -> list[Exercise]:
    """Every exercise in the bank's TOML files (sorted by file, then order in the file)."""
    import tomllib

    root = Path(directory) if directory else default_dir()
    if not root.is_dir():
        raise TutorError(_("no exercise bank at {path}").format(path=root))
    files = sorted(root.rglob("*.toml"))
    if not files:
        raise TutorError(_("no exercise files (*.toml) in {path}").format(path=root))
    exercises: list[Exercise] = []
    seen: dict[str, Path] = {}
    for path in files:
        try:
            with open(path, "rb") as fh:
                doc = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise BankError(path, _("not valid TOML: {reason}").format(reason=exc)) from None
        except OSError as exc:
            raise BankError(path, str(exc)) from None
        version = doc.get("format_version")
        if version != FORMAT_VERSION:
            raise BankError(path, _("format_version must be {v} (got {got!r})").format(v=FORMAT_VERSION,
                                                                                       got=version),
                            field_name="format_version")
        items = doc.get("exercise")
        if not isinstance(items, list) or not items:
            raise BankError(path, _("expected one or more [[exercise]] tables"), field_name="exercise")
        unknown_top = set(doc) - {"format_version", "exercise"}
        if unknown_top:
            raise BankError(path, _("unknown top-level key(s): {keys}").format(keys=", ".join(sorted(unknown_top))))
        for item in items:
            ex = _validate(item, path, root)
            if ex.id in seen:
                raise BankError(path, _("duplicate id (also in {other})").format(other=seen[ex.id]),
                                exercise=ex.id, field_name="id")
            seen[ex.id] = path
            exercises.append(ex)
    return exercises


def _validate(item, path, root) -> Exercise:
    if not isinstance(item, dict):
        raise BankError(path, _("each [[exercise]] must be a table"))
    ex_id = item.get("id")

    def fail(field_name, reason):
        raise BankError(path, reason, exercise=ex_id if isinstance(ex_id, str) else None, field_name=field_name)

    if not isinstance(ex_id, str) or not ID_RE.match(ex_id):
        fail("id", _("must be kebab-case (lowercase letters, digits and single hyphens), got {got!r}").format(
            got=ex_id))
    for name in ("title", "explanation"):
        if not isinstance(item.get(name), str) or not item[name].strip():
            fail(name, _("must be non-empty text"))
    kind = item.get("kind")
    if kind not in KINDS:
        fail("kind", _("must be one of {kinds}, got {got!r}").format(kinds=", ".join(KINDS), got=kind))
    topic = item.get("topic")
    if topic not in TOPICS:
        fail("topic", _("must be one of {topics}, got {got!r}").format(topics=", ".join(TOPICS), got=topic))
    hints = item.get("hints")
    if not isinstance(hints, list) or not hints or not all(isinstance(h, str) and h.strip() for h in hints):
        fail("hints", _("must be a non-empty list of non-empty texts"))
    unknown = set(item) - set(COMMON_FIELDS) - set(KIND_FIELDS[kind])
    if unknown:
        fail(sorted(unknown)[0], _("unknown field for a {kind} exercise").format(kind=kind))
    _check_params(item.get("params", {}), fail)
    mis = item.get("misconceptions")
    if mis is not None:
        from .mistakes import CATALOGUE

        if not isinstance(mis, list) or not all(isinstance(m, str) for m in mis):
            fail("misconceptions", _("must be a list of misconception ids"))
        from .mistakes import allowed_for

        for m in mis:
            if m not in CATALOGUE:
                fail("misconceptions", _("unknown misconception id '{id}'").format(id=m))
            if m not in allowed_for(kind):
                fail("misconceptions", _("'{id}' cannot be detected in a {kind} exercise (it can: {ids})").format(
                    id=m, kind=kind, ids=", ".join(allowed_for(kind)) or "-"))
    if kind == "derive":
        if not isinstance(item.get("function"), str):
            fail("function", _("must be an expression in the math language"))
        variables = item.get("variables")
        if not isinstance(variables, list) or not variables or not all(isinstance(v, str) for v in variables):
            fail("variables", _("must be a non-empty list of names"))
        wrt = item.get("wrt", variables)
        if not isinstance(wrt, list) or not wrt or any(w not in variables for w in wrt):
            fail("wrt", _("must list some of the variables"))
        from .mathlang import MathError, check_name, parse

        try:
            for v in variables:
                check_name(v)
            parse(item["function"], variables=set(variables) | set(item.get("params", {})))
        except MathError as exc:
            fail("function", exc.one_line())
        stated = item.get("answer")
        if stated is not None:
            stated = [stated] if isinstance(stated, str) else stated
            if not isinstance(stated, list) or len(stated) != len(wrt) or not all(isinstance(a, str) for a in stated):
                fail("answer", _("give one derivative per variable in wrt"))
            for a in stated:
                try:
                    parse(a, variables=set(variables) | set(item.get("params", {})))
                except MathError as exc:
                    fail("answer", exc.one_line())
    elif kind in ("predict", "code"):
        if not isinstance(item.get("scenario"), dict):
            fail("scenario", _("must be a table (leaves, steps, ask)"))
    if kind == "concept":
        choices = item.get("choices")
        answer = item.get("answer")
        if choices is None:
            if not isinstance(answer, bool):
                fail("answer", _("a true/false question needs answer = true or false"))
        else:
            if not isinstance(choices, list) or len(choices) < 2 or not all(isinstance(c, str) for c in choices):
                fail("choices", _("must list at least two choices"))
            if not isinstance(answer, int) or isinstance(answer, bool) or not 0 <= answer < len(choices):
                fail("answer", _("must be the 0-based index of the right choice"))
            why = item.get("why")
            if why is not None and (not isinstance(why, list) or len(why) != len(choices)):
                fail("why", _("must give one explanation per choice"))
        if not isinstance(item.get("question"), str):
            fail("question", _("a concept exercise needs the question text"))
    if kind == "code":
        rel = item.get("file")
        if not isinstance(rel, str) or rel.startswith("/") or ".." in Path(rel).parts:
            fail("file", _("must be a path inside the bank folder"))
        if not (root / rel).is_file():
            fail("file", _("no stub at {path}").format(path=root / rel))
        if not isinstance(item.get("function"), str) or not item["function"].isidentifier():
            fail("function", _("must name the function the learner completes"))
        if not isinstance(item.get("call", {}), dict):
            fail("call", _("must map argument names to values"))
    return Exercise(ex_id, item["title"].strip(), topic, kind, list(hints), item["explanation"].strip(),
                    item, Path(path), Path(root))


def _check_params(params, fail):
    if not isinstance(params, dict):
        fail("params", _("must be a table of parameter ranges"))
    for name, spec in params.items():
        f = f"params.{name}"
        if not isinstance(spec, dict):
            fail(f, _("expected { min = ..., max = ... } or { choices = [...] }"))
        if "choices" in spec:
            if not isinstance(spec["choices"], list) or not spec["choices"]:
                fail(f, _("choices must be a non-empty list"))
        elif "min" in spec and "max" in spec:
            if not all(isinstance(spec[k], (int, float)) for k in ("min", "max")) or spec["min"] > spec["max"]:
                fail(f, _("min and max must be numbers with min <= max"))
            step = spec.get("step", 1)
            if not isinstance(step, (int, float)) or step <= 0:
                fail(f, _("step must be a positive number"))
        else:
            fail(f, _("expected { min = ..., max = ... } or { choices = [...] }"))


def find(exercises, ex_id) -> Exercise:
    for ex in exercises:
        if ex.id == ex_id:
            return ex
    raise TutorError(_("no exercise with id '{id}'").format(id=ex_id))


def select(exercises, topics=(), kinds=(), ids=()):
    out = [ex for ex in exercises if (not topics or ex.topic in topics) and (not kinds or ex.kind in kinds)
           and (not ids or ex.id in ids)]
    for t in topics:
        if t not in TOPICS:
            raise TutorError(_("unknown topic '{t}'; topics: {all}").format(t=t, all=", ".join(TOPICS)))
    for i in ids:
        if not any(ex.id == i for ex in exercises):
            raise TutorError(_("no exercise with id '{id}'").format(id=i))
    return out


# ------------------------------------------------------------------ variants

def draw_params(ex: Exercise, seed: int, attempt: int = 0) -> dict:
    """Seeded parameter values (exact sympy numbers); the same seed gives the same values."""
    import sympy

    rng = random.Random(f"{ex.id}:{seed}:{attempt}")
    out = {}
    for name, spec in sorted(ex.data.get("params", {}).items()):
        if "choices" in spec:
            value = rng.choice(spec["choices"])
            out[name] = sympy.Rational(str(value)) if isinstance(value, (int, float)) else _exact(value)
        else:
            lo, hi = sympy.Rational(str(spec["min"])), sympy.Rational(str(spec["max"]))
            step = sympy.Rational(str(spec.get("step", 1)))
            count = int((hi - lo) / step)
            out[name] = lo + step * rng.randint(0, count)
    return out


def _exact(text):
    from .mathlang import parse_number

    return parse_number(str(text))


def variant(ex: Exercise, seed: int = 0) -> Variant:
    """A seeded variant whose misconception answers differ from the correct one and each other."""
    last = None
    for attempt in range(MAX_DRAWS):
        params = draw_params(ex, seed, attempt)
        v = _make_variant(ex, seed, params)
        if v.candidates is None or _distinct(v):
            return v
        last = v
    raise BankError(ex.path, _("no parameter draw keeps the misconception answers apart (seed {seed}): {ids}")
                    .format(seed=seed, ids=", ".join(c.id for c in last.candidates)), exercise=ex.id,
                    field_name="params")


def _distinct(v: Variant) -> bool:
    from .mistakes import distinct, numerically_equal

    if v.exercise.kind in ("predict", "code"):
        return distinct([v.answer] + [c.answer for c in v.candidates])
    if v.exercise.kind == "derive":
        names = v.exercise.data["variables"]
        for wrt, correct in v.answer.items():
            exprs = [correct] + [c.answer for c in v.candidates if c.wrt == wrt]
            for i, a in enumerate(exprs):
                for b in exprs[i + 1:]:
                    if numerically_equal(a, b, names):
                        return False
        return True
    return True


def _make_variant(ex: Exercise, seed: int, params: dict) -> Variant:
    from . import mistakes
    from .scenarios import build, render, simulate

    kind = ex.kind
    data = ex.data
    declared = data.get("misconceptions")
    if kind == "derive":
        import sympy

        from .mathlang import parse
        from .sym import to_text

        variables = data["variables"]
        parsed = parse(data["function"], variables=set(variables) | set(params))
        expr = parsed.expr.xreplace({sympy.Symbol(k, real=True): v for k, v in params.items()})
        wrt = data.get("wrt", variables)
        answer = {w: sympy.diff(expr, sympy.Symbol(w, real=True)) for w in wrt}
        cands = []
        for w in wrt:
            cands.extend(mistakes.derive_candidates(expr, w, variables, declared))
        fname = "f(" + ", ".join(variables) + ")"
        parts = ", ".join(f"∂f/∂{w}" for w in wrt) if len(variables) > 1 else "f'(" + variables[0] + ")"
        prompt = data.get("question") or _("Let {f} = {expr}. Type {parts}.").format(
            f=fname, expr=to_text(expr), parts=parts)
        return Variant(ex, seed, params, prompt, None, answer, cands, function=expr)
    if kind in ("predict", "code"):
        scenario = build(data["scenario"], params, where=f"{ex.id}.scenario")
        correct = simulate(scenario).answer
        cands = mistakes.scenario_candidates(scenario, declared, code=(kind == "code"))
        if kind == "predict":
            prompt = data.get("question") or _("What does this program print?")
            code = render(scenario)
        else:
            prompt = data.get("question") or _("Complete {file}: {function}() must return the value of {ask} "
                                               "after the program runs.").format(
                file=data["file"], function=data["function"], ask=scenario.ask)
            code = None
        return Variant(ex, seed, params, prompt, code, correct, cands, scenario)
    # concept
    return Variant(ex, seed, params, data["question"], None, data["answer"], [])


def code_call_args(v: Variant) -> dict:
    """The arguments a code exercise's function is called with, as plain numbers."""
    from .mathlang import parse

    import sympy

    out = {}
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


# ------------------------------------------------------------------ answers

def expected_text(v: Variant) -> str:
    from .sym import to_text

    kind = v.exercise.kind
    if kind == "derive":
        return "; ".join(f"∂f/∂{w} = {to_text(e)}" for w, e in v.answer.items()) if len(v.answer) > 1 \
            else to_text(next(iter(v.answer.values())))
    if kind in ("predict", "code"):
        return v.answer.text()
    if isinstance(v.answer, bool):
        return "true" if v.answer else "false"
    return f"{chr(ord('a') + v.answer)}) {v.exercise.data['choices'][v.answer]}"


def parse_prediction(text: str):
    """A typed prediction: a number, a list, None, True/False or an error name."""
    from .mathlang import MathError, parse_number
    from .scenarios import Answer

    t = text.strip()
    low = t.lower()
    if low in ("none", "null"):
        return Answer("none")
    if low in ("true", "false"):
        return Answer("bool", flag=(low == "true"))
    m = re.fullmatch(r"([A-Za-z]*Error|error|exception|raises?)(:.*)?", t)
    if m:
        return Answer("error", error=(m.group(1) if m.group(1).endswith("Error") else "Error", ""))
    m = re.fullmatch(r"tensor\((.*?)(,\s*requires_grad=True)?\)", t)
    if m:
        t = m.group(1)
    vector = t.startswith("[") and t.endswith("]")
    body = t[1:-1] if vector else t
    parts = [p for p in body.split(",") if p.strip()] if (vector or "," in body) else [body]
    values = []
    offset = text.find(body) if body else 0
    for p in parts:
        try:
            values.append(parse_number(p))
        except MathError as exc:
            # point at the character in what the learner typed
            start = text.find(p, offset) if p else -1
            position = None if exc.position is None or start < 0 else start + exc.position
            raise MathError(exc.reason, text, position) from None
    return Answer("number", values=values, vector=vector or len(values) > 1)


def grade(v: Variant, text: str, wrt: str | None = None) -> Grade:
    """Mark a typed answer; the quiz, the sheets' keys and the grader share this."""
    from . import mistakes
    from .errors import USER_ERRORS

    kind = v.exercise.kind
    expected = expected_text(v)
    try:
        if kind == "derive":
            return _grade_derive(v, text, wrt, expected)
        if kind in ("predict", "code"):
            got = parse_prediction(text)
            if mistakes.answers_match(v.answer, got):
                return Grade(True, None, v.exercise.explanation, expected)
            if v.answer.kind == "error" and got.kind == "error" and got.error[0] == "Error":
                return Grade(True, None, v.exercise.explanation, expected)
            ids = mistakes.classify(got, v.candidates)
            return _wrong(v, ids, expected, got_text=got.text())
        return _grade_concept(v, text, expected)
    except USER_ERRORS as exc:
        return Grade(False, None, "", expected, invalid=exc.one_line(), caret=exc.caret())


def grade_code_result(v: Variant, result: dict) -> Grade:
    """Mark what a learner's function returned ({"value": ...} or {"error": "..."}) for a code variant."""
    import sympy

    from . import mistakes
    from .scenarios import Answer, same_answer

    expected = expected_text(v)
    if "error" in result:
        return Grade(False, None, _("Your function raised {error}.").format(error=result["error"]), expected)
    value = result.get("value")
    if value is None or isinstance(value, bool) or (isinstance(value, list) and
                                                     not all(isinstance(x, (int, float)) for x in value)):
        return Grade(False, None, _("Your function returned {value!r}, not a number or a list of numbers.").format(
            value=value), expected)
    vector = isinstance(value, list)
    got = Answer("number", values=[sympy.Float(x, 17) for x in (value if vector else [value])], vector=vector)
    if same_answer(v.answer, got, v.scenario.dtype):
        return Grade(True, None, v.exercise.explanation, expected)
    ids = mistakes.classify(got, v.candidates)
    return _wrong(v, ids, expected, got_text=got.text())


def _wrong(v, ids, expected, got_text=""):
    from . import mistakes

    if not ids:
        return Grade(False, None, v.exercise.explanation, expected)
    mid = ids[0]
    values = explanation_values(v, mid, got_text)
    text = mistakes.explain(mid, **values)
    fix = mistakes.CATALOGUE[mid].fix
    return Grade(False, mid, text + ("\n" + fix if fix else ""), expected, matches=ids)


def explanation_values(v: Variant, mid: str, wrong: str = "") -> dict:
    """Numbers for an explanation: the learner's, the correct one, k backward calls ..."""
    from .scenarios import ASK, simulate

    values = {"wrong": wrong, "correct": expected_text(v)}
    if v.scenario is not None and v.answer.kind == "error":
        values["correct"] = _("never printed: the program raises {error}").format(
            error=v.answer.text().rstrip("."))
    if v.scenario is not None:
        run = simulate(v.scenario)
        m = ASK.match(v.scenario.ask)
        values.update(k=run.backward_calls, target=v.scenario.ask, name=m.group("name"))
        loops = [s for s in v.scenario.steps if s["kind"] == "repeat"]
        if loops:
            values["count"] = loops[0]["count"]
        if mid == "accumulation.overwrite":
            values["consequence"] = _overwrite_consequence(v, run.backward_calls, values)
    return values


def _overwrite_consequence(v, k, values) -> str:
    """Accumulation in the learner's numbers: '3 × 7.75 = 23.25' when x stays fixed."""
    from .scenarios import ASK, simulate

    if ASK.match(v.scenario.ask).group("attr") != ".grad":
        return _("each update uses the running sum of the gradients so far: {target} is {correct}, "
                 "not {wrong}.").format(**values)
    total = values["correct"]
    single = simulate(v.scenario, ["overwrite"]).answer
    if (k > 1 and single.kind == "number" and v.answer.kind == "number" and not single.vector
            and abs(float(single.values[0]) * k - float(v.answer.values[0]))
            <= 1e-9 * max(1.0, abs(float(v.answer.values[0])))):
        total = f"{k} × {single.text()} = {v.answer.text()}"
    return _("{target} holds the sum of {k} gradients: {total}, not the single gradient {wrong}.").format(
        target=values["target"], k=k, total=total, wrong=values["wrong"])


def _grade_derive(v, text, wrt, expected):
    from . import mistakes
    from .equivalence import EQUIVALENT, NOT_EQUIVALENT, check

    variables = v.exercise.data["variables"]
    targets = [wrt] if wrt else list(v.answer)
    answers = _split_partials(text, targets)
    from .sym import to_text

    from .mathlang import parse

    for w, typed in answers.items():
        got = parse(typed, variables=set(variables)).expr      # a reading error points into the answer
        verdict = check(to_text(v.answer[w]), typed, variables)
        if verdict.verdict == EQUIVALENT:
            continue
        ids = [c.id for c in v.candidates if c.wrt == w
               and mistakes.numerically_equal(got, c.answer, variables)]
        if verdict.verdict != NOT_EQUIVALENT and not ids:
            return Grade(False, None, _("This could not be decided automatically: {reason}").format(
                reason=verdict.reason), expected)
        if not ids:
            return Grade(False, None, v.exercise.explanation, expected)
        mid = ids[0]
        others = [x for x in variables if x != w]
        msg = mistakes.explain(mid, wrt=w, other=others[0] if others else "")
        return Grade(False, mid, msg, expected, matches=ids)
    return Grade(True, None, v.exercise.explanation, expected)


def _split_partials(text, targets):
    """One answer per partial derivative: 'a; b' or 'dx: a; dy: b' for several."""
    if len(targets) == 1:
        return {targets[0]: text}
    parts = [p.strip() for p in re.split(r"[;\n]", text) if p.strip()]
    if len(parts) != len(targets):
        raise TutorError(_("type {n} derivatives separated by ';' (in the order {order})").format(
            n=len(targets), order=", ".join(targets)))
    return dict(zip(targets, parts))


def _grade_concept(v, text, expected):
    data = v.exercise.data
    t = text.strip().lower().rstrip(")").strip()
    if isinstance(v.answer, bool):
        if t in ("t", "true", "yes", "y", "1"):
            got = True
        elif t in ("f", "false", "no", "n", "0"):
            got = False
        else:
            raise TutorError(_("answer true or false"))
        ok = got == v.answer
        return Grade(ok, None, data["explanation"], expected)
    n = len(data["choices"])
    if len(t) == 1 and "a" <= t <= chr(ord("a") + n - 1):
        index = ord(t) - ord("a")
    elif t.isdigit() and 1 <= int(t) <= n:
        index = int(t) - 1
    else:
        raise TutorError(_("answer with a letter from a to {last}").format(last=chr(ord("a") + n - 1)))
    why = data.get("why")
    explanation = why[index] if why else data["explanation"]
    return Grade(index == v.answer, None, explanation if index != v.answer else data["explanation"], expected)
