"""Generated differential cases, in micrograd's spirit: the exact answer against what real torch does.

Two kinds of case, each drawn from a small grammar and checked in batches:

* **scenarios**: random predict-the-``.grad`` programs (leaves, forward steps, backward with and without
  ``retain_graph``, the three ways of zeroing, manual and optimizer updates, loops, ``no_grad`` blocks,
  ``retain_grad``, vector leaves with ``sum``/``mean``), written as the TOML-like tables of the exercise
  bank, built with :func:`tutor.engines.scenario.build`, simulated exactly with
  :func:`tutor.engines.scenario.simulate` and run in torch in one job of the shared trusted worker (this
  process never imports torch).  Every value a program defines is compared, not only the asked one.
* **expressions**: random formulas in the math language at random rational points: sympy's gradient,
  torch's autograd and finite differences (:mod:`tutor.engines.gradients`) must agree, wherever sympy says
  the point is an ordinary one (no kink, a finite gradient).

The generators take a :class:`Draw`: :class:`RandomDraw` (a seeded ``random.Random``, for
``scripts/differential.py``'s long run) or :class:`HypothesisDraw` (hypothesis's ``draw``, so that a
failing case shrinks).  Options are listed simplest first: hypothesis shrinks toward the first.

Every check ends in a verdict; only DISAGREE fails.  The others name what floats cannot show of an exact
answer, each by a test of its own, never by the kind of program: float32 rounding (the same program in
float64 agrees), a value beyond the dtype's range, a gradient that saturates (a few ulps off), an
ill-conditioned program (the exact answer itself moves when the leaves move by a few ulps), a kink hit
exactly (abs'(0) by exact arithmetic, one side of it by floats).  Errors compare by type and full
message (torch's version-counter error names the tensor's shape and versions).  For expressions, the points where there is no
gradient to compare (a kink, not finite, not real as typed, sqrt(0) inside) are skipped, each with its reason.
"""
from __future__ import annotations

import copy
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

T = TypeVar("T")


# ----------------------------------------------------------------------------------------------- drawing

class Draw(Protocol):
    def integer(self, lo: int, hi: int) -> int: ...

    def choice(self, options: Sequence[T]) -> T: ...

    def chance(self, p: float) -> bool: ...


class RandomDraw:
    """Draws from a seeded ``random.Random``."""

    def __init__(self, rng: random.Random):
        self.rng = rng

    def integer(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)

    def choice(self, options: Sequence[T]) -> T:
        return options[self.rng.randrange(len(options))]

    def chance(self, p: float) -> bool:
        return self.rng.random() < p


class HypothesisDraw:
    """Draws through hypothesis (``st.composite``'s ``draw``): integers shrink toward ``lo``, choices toward
    the first option, chances toward False."""

    def __init__(self, draw: Callable[[Any], Any]):
        from hypothesis import strategies as st

        self.draw = draw
        self.st = st

    def integer(self, lo: int, hi: int) -> int:
        return int(self.draw(self.st.integers(lo, hi)))

    def choice(self, options: Sequence[T]) -> T:
        return options[self.draw(self.st.integers(0, len(options) - 1))]

    def chance(self, p: float) -> bool:
        return bool(self.draw(self.st.integers(0, 999)) >= 1000 - round(p * 1000))


def weighted(d: Draw, table: Sequence[tuple[T, int]]) -> T:
    """One option of ``(option, weight)`` pairs (the first is where hypothesis shrinks to)."""
    total = sum(w for _o, w in table)
    k = d.integer(0, total - 1)
    for option, w in table:
        if k < w:
            return option
        k -= w
    raise AssertionError("unreachable")


# ------------------------------------------------------------------------------------------ scenarios

LEAF_NAMES = ("x", "w", "b")
RESULT_NAMES = ("y", "z", "h", "loss")
SCALAR_VALUES = ("2", "1", "3", "-1", "0.5", "-2", "1.5", "0.25", "-0.5", "0.1", "1/3", "0")
VECTOR_VALUES = {2: ("1, 2", "0.5, -1", "3, 0.25", "-2, 1/3", "0, 1.5"),
                 3: ("1, 2, 3", "0.5, -1, 2", "-1, 0.1, 1.5", "2, 0, -0.5")}
LEARNING_RATES = ("0.1", "0.5", "0.01", "0.25", "1/3")
LOOP_LEARNING_RATES = ("0.1", "0.01", "1/30")       # a loop with a larger rate diverges past float32's range
CONSTANTS = ("2", "3", "0.5", "1.75", "1/3")
UNARY = ("sin", "tanh", "cos", "sigmoid", "exp", "relu", "abs")
# in a loop, rational functions only: the simulation keeps exact values, and a leaf moved by sin(x) three times
# is sin(x - lr cos(x - lr cos(...))) ..., which sympy takes minutes over; rationals stay rationals
LOOP_UNARY = ("relu", "abs")
# exp of a bounded argument only: exp of a polynomial overflows float32 within a loop or two, which says
# nothing about autograd's rules (the float64 rerun would catch it, at the price of a second job)
EXP_OF = ("tanh({})", "sin({})", "-({})^2")


@dataclass
class _Shapes:
    """What the generator knows while it writes one scenario: each name's shape (fixed once drawn)."""

    n: int                                  # the length of every vector
    leaves: dict[str, bool]                 # leaf -> is a vector
    grad_leaves: list[str]                  # leaves that require grad
    results: dict[str, bool] = field(default_factory=dict)      # forward results -> is a vector
    optimizer: bool = False
    looping: int = 0                        # inside how many loops the step being drawn is
    backed: bool = False                    # a backward step was drawn (.grad may be set)

    def names(self, vector: bool) -> list[str]:
        return [k for k, v in {**self.leaves, **self.results}.items() if v == vector]


def scenario_spec(d: Draw) -> dict[str, Any]:
    """One scenario as the exercise bank writes it (``[exercise.scenario]``), its parameters inlined."""
    n = d.choice((2, 3))
    count = d.choice((1, 2, 1, 3))
    leaves, shapes = [], _Shapes(n, {}, [])
    for name in LEAF_NAMES[:count]:
        vector = d.chance(0.3)
        requires_grad = not d.chance(0.08)
        leaf: dict[str, Any] = {"name": name, "value": d.choice(VECTOR_VALUES[n] if vector else SCALAR_VALUES)}
        if not requires_grad:
            leaf["requires_grad"] = False
        leaves.append(leaf)
        shapes.leaves[name] = vector
        if requires_grad:
            shapes.grad_leaves.append(name)
    spec: dict[str, Any] = {"leaves": leaves}
    if d.chance(0.3):
        params = _subset(d, list(shapes.leaves))
        spec["optimizer"] = {"params": params, "lr": d.choice(LEARNING_RATES)}
        shapes.optimizer = True
    if d.chance(0.45):
        spec["steps"] = _training(d, shapes)
    else:
        spec["steps"] = _body(d, shapes, depth=0, length=d.integer(1, 6))
    spec["ask"] = d.choice(_asks(shapes))
    if d.chance(0.3):
        spec["dtype"] = "float64"
    return spec


def _subset(d: Draw, names: list[str]) -> list[str]:
    first = d.choice(names)
    rest = [n for n in names if n != first and d.chance(0.3)]
    return [first, *rest]


def _training(d: Draw, shapes: _Shapes) -> list[dict[str, Any]]:
    """The shape of the course's loops: zero, forward, backward, update (each part may go wrong)."""
    params = shapes.grad_leaves or list(shapes.leaves)
    zero = _zeroing(d, shapes, params)
    shapes.looping += 1
    body: list[dict[str, Any]] = []
    name = d.choice(RESULT_NAMES)
    if d.chance(0.3):       # an intermediate result first
        body.append(_forward(d, shapes, vector=bool(shapes.names(True)) and d.chance(0.3),
                             name=d.choice([r for r in RESULT_NAMES if r != name])))
    body.append(_forward(d, shapes, vector=False, name=name))
    body.append({"backward": name})
    shapes.backed = True
    body.append(_update(d, shapes))
    if zero is not None:
        where = weighted(d, [(0, 6), (len(body), 2), (len(body) - 1, 2)])   # before, after, between
        body.insert(where, zero)
    shapes.looping -= 1
    return [{"repeat": d.choice(("2", "1", "3", "2", "0")), "body": body}]


def _zeroing(d: Draw, shapes: _Shapes, params: list[str]) -> dict[str, Any] | None:
    kind = weighted(d, [("guarded", 3), (None, 2), ("zero", 1), ("set_none", 2), ("zero_grad", 2), ("and", 1)])
    if kind == "zero_grad" and not shapes.optimizer:
        kind = "set_none"
    if kind == "guarded":
        return {"zero": d.choice(params), "guard": "is_not_none"}
    if kind == "zero":
        return {"zero": _subset(d, params)}
    if kind == "and":
        return {"zero": _subset(d, params), "guard": "and"}
    if kind == "set_none":
        return {"set_none": _subset(d, params)}
    if kind == "zero_grad":
        return {"zero_grad": True}
    return None


def _update(d: Draw, shapes: _Shapes) -> dict[str, Any]:
    if shapes.optimizer and d.chance(0.6):
        return {"step": True}
    update: dict[str, Any] = {"update": _subset(d, shapes.grad_leaves or list(shapes.leaves)),
                              "lr": d.choice(LOOP_LEARNING_RATES if shapes.looping else LEARNING_RATES)}
    if d.chance(0.08):
        update["no_grad"] = False
    return update


def _body(d: Draw, shapes: _Shapes, depth: int, length: int) -> list[dict[str, Any]]:
    steps = []
    for _i in range(length):
        kinds = [("forward", 6), ("backward", 5), ("zero", 1), ("set_none", 1), ("update", 2), ("retain_grad", 1),
                 ("set_grad_enabled", 1)]
        if shapes.optimizer:
            kinds += [("zero_grad", 1), ("step", 1)]
        if depth < 2:
            kinds.append(("repeat", 2))
        kind = weighted(d, kinds)
        if kind in ("update", "zero", "step") and not shapes.backed and d.chance(0.85):
            kind = "backward"       # (mostly: an update or a zero_() before any backward only raises)
        steps.append(_step(d, shapes, kind, depth))
    return steps


def _step(d: Draw, shapes: _Shapes, kind: str, depth: int) -> dict[str, Any]:
    everything = list(shapes.leaves) + list(shapes.results)
    if kind == "forward" or (kind in ("backward", "retain_grad") and not shapes.results and d.chance(0.7)):
        name = d.choice(RESULT_NAMES)
        vector = shapes.results.get(name)
        if vector is None:
            vector = bool(shapes.names(True)) and d.chance(0.35)
        step = _forward(d, shapes, vector, name)
        if kind == "forward":
            return step
        return {"repeat": "1", "body": [step, _step(d, shapes, kind, depth + 1)]} if depth < 2 else step
    if kind == "backward":
        shapes.backed = True
        results = list(shapes.results)
        if results and d.chance(0.6):
            return _backward(d, shapes, results[-1])        # (results keep the order they were first drawn in)
        return _backward(d, shapes, d.choice(results[::-1] if results and d.chance(0.6) else everything))
    if kind == "retain_grad":
        return {"retain_grad": d.choice(list(reversed(everything)))}
    if kind in ("zero", "set_none"):
        step = {kind: _subset(d, list(shapes.leaves))}
        if kind == "zero" and d.chance(0.5):
            step["guard"] = d.choice(("is_not_none", "and"))
        return step
    if kind == "update":
        return _update(d, shapes)
    if kind == "zero_grad":
        return {"zero_grad": True}
    if kind == "step":
        return {"step": True}
    if kind == "set_grad_enabled":
        if d.chance(0.1):
            return {"set_grad_enabled": d.chance(0.5)}
        # the usual block: switched off around a computation, then on again
        names = [r for r in RESULT_NAMES if r not in shapes.results] or list(RESULT_NAMES)
        return {"repeat": "1", "body": [{"set_grad_enabled": False}, _forward(d, shapes, False, d.choice(names)),
                                        {"set_grad_enabled": True}]}
    assert kind == "repeat"
    count = d.choice(("2", "1", "3", "0")) if depth == 0 else d.choice(("2", "1", "0"))
    shapes.looping += 1
    body = _body(d, shapes, depth + 1, d.integer(1, 4))
    shapes.looping -= 1
    return {"repeat": count, "body": body}


def _forward(d: Draw, shapes: _Shapes, vector: bool, name: str) -> dict[str, Any]:
    if name in shapes.results:
        vector = shapes.results[name]
    step: dict[str, Any] = {"forward": name, "expr": scenario_expr(d, shapes, vector, d.integer(1, 3))}
    mode = weighted(d, [("normal", 16), ("no_grad", 1), ("decorator", 1), ("set_grad_enabled", 1)])
    if mode != "normal":
        step["mode"] = mode
    shapes.results[name] = vector
    return step


def _backward(d: Draw, shapes: _Shapes, name: str) -> dict[str, Any]:
    step: dict[str, Any] = {"backward": name}
    vector = {**shapes.leaves, **shapes.results}[name]
    if vector and d.chance(0.85):
        length = shapes.n if d.chance(0.9) else shapes.n + 1
        step["gradient"] = ", ".join(d.choice(("1", "0.5", "-2", "0.1")) for _i in range(length))
    elif not vector and d.chance(0.1):
        step["gradient"] = d.choice(("2", "0.1"))
    if d.chance(0.3):
        step["retain_graph"] = True
    return step


def scenario_expr(d: Draw, shapes: _Shapes, vector: bool, depth: int) -> str:
    """An expression of the wanted shape over the names defined so far (always using one of them)."""
    vectors, scalars = shapes.names(True), shapes.names(False)
    if vector and not vectors:
        raise AssertionError("no vector to build a vector expression from")
    if depth <= 0:
        if vector:
            return d.choice(vectors)
        if not scalars:
            return f"{d.choice(('sum', 'mean'))}({d.choice(vectors)})"
        return d.choice(scalars)
    kind = weighted(d, [("binary", 5), ("unary", 3), ("power", 2), ("constant", 2), ("reduce", 2 if vectors else 0),
                        ("dot", 1 if vectors and not vector else 0)])
    sub = depth - 1
    if kind == "binary":
        op = d.choice(("+", "*", "-"))
        left = scenario_expr(d, shapes, vector, sub)
        other = vector and d.chance(0.5)          # a vector may combine with a scalar (broadcast)
        right = scenario_expr(d, shapes, other if vector else False, d.integer(0, sub))
        return f"({left}) {op} ({right})" if d.chance(0.5) else f"({right}) {op} ({left})"
    if kind == "unary":
        fn, inner = d.choice(LOOP_UNARY if shapes.looping else UNARY), scenario_expr(d, shapes, vector, sub)
        return f"exp({d.choice(EXP_OF).format(inner)})" if fn == "exp" else f"{fn}({inner})"
    if kind == "power":
        return f"({scenario_expr(d, shapes, vector, sub)})^{d.choice(('2',) if shapes.looping else ('2', '3'))}"
    if kind == "constant":
        inner = scenario_expr(d, shapes, vector, sub)
        c = d.choice(CONSTANTS)
        return weighted(d, [(f"{c} * ({inner})", 3), (f"({inner}) + {c}", 2), (f"({inner}) / {c}", 2),
                            (f"-({inner})", 1)])
    if kind == "dot":
        return f"dot({scenario_expr(d, shapes, True, sub)}, {scenario_expr(d, shapes, True, d.integer(0, sub))})"
    reduced = f"{d.choice(('sum', 'mean'))}({scenario_expr(d, shapes, True, sub)})"
    if not vector:
        return reduced
    return f"({scenario_expr(d, shapes, True, sub)}) * ({reduced})"


def _asks(shapes: _Shapes) -> list[str]:
    asks = []
    for name in shapes.leaves:
        asks += [f"{name}.grad", name]
    for name in shapes.results:
        asks += [name, f"{name}.grad", f"{name}.is_leaf", f"{name}.requires_grad"]
    for name, vector in {**shapes.leaves, **shapes.results}.items():
        if vector:
            asks += [f"{name}.grad[{shapes.n - 1}]", f"{name}[0]"]
    return asks


def scenario_specs(count: int, seed: int) -> list[dict[str, Any]]:
    """``count`` scenarios, the same for the same seed."""
    rng = random.Random(f"differential-scenarios:{seed}")
    return [scenario_spec(RandomDraw(rng)) for _i in range(count)]


# ------------------------------------------------------------------------------------ checking scenarios

ATTRS: tuple[Any, ...] = ("value", "grad", "is_leaf", "requires_grad")

# What a check concludes.  Only DISAGREE is a failure; the others are counted and shown by the long run.
AGREE = "agree"
ROUNDING = "float32 rounding"    # float32 numbers differ, the same program in float64 agrees: rounding or range
RANGE = "beyond float range"    # an exact value no float of the dtype holds (torch: inf or nan)
RESOLUTION = "float resolution"  # a few ulps off: a gradient that saturates (tanh' = 1 - tanh^2 near tanh = 1)
ILL = "ill-conditioned"        # the exact answer moves more than the tolerance when the leaves move by ~8 ulps
KINK = "exactly at a kink"       # the exact run lands exactly on abs/relu's kink, the float program beside it
DISAGREE = "disagree"


@dataclass
class ScenarioCheck:
    """One scenario, every value compared: its asked value first, then every other value it defines."""

    spec: dict[str, Any]
    asks: list[Any] = field(default_factory=list)          # Ask
    expected: list[Any] = field(default_factory=list)      # Answer (the simulation)
    got: list[Any] = field(default_factory=list)           # Answer (torch)
    got64: list[Any] | None = None                         # Answer (torch, the program in float64)
    crash: str | None = None                               # the simulator raised (not a torch error)
    beliefs: tuple[str, ...] = ()                          # the wrong rules the simulation ran with
    memo: dict[Any, Any] = field(default_factory=dict, repr=False)   # the gradients the simulation took

    @property
    def dtype(self) -> str:
        return str(self.spec.get("dtype", "float32"))

    def wrong(self, got: Sequence[Any] | None = None, dtype: str | None = None) -> list[int]:
        """The asks where the simulation and torch (``got``: the float32 answers) differ."""
        from tutor.engines.scenario import same_answer

        if self.crash is not None:
            return [0]
        got = self.got if got is None else got
        return [i for i, (e, g) in enumerate(zip(self.expected, got))
                if not same_answer(e, g, dtype or self.dtype) and not _unassigned(self.asks[i], e, g)]

    @property
    def rounding_only(self) -> bool:
        """float32, and only numbers differ: worth asking the same program in float64."""
        wrong = self.wrong()
        return self.dtype == "float32" and bool(wrong) and all(
            self.expected[i].kind == self.got[i].kind == "number" for i in wrong)

    @property
    def verdict(self) -> str:
        wrong = self.wrong()
        if not wrong:
            return AGREE
        if self.crash is not None:
            return DISAGREE
        if self.got64 is not None and not self.wrong(self.got64, "float64"):
            return ROUNDING
        if self.beyond_range():
            return RANGE
        if self.within_resolution(wrong):
            return RESOLUTION
        if self.at_kink():
            return KINK
        if self.numbers_only(wrong) and self.ill_conditioned():
            return ILL
        return DISAGREE

    def numbers_only(self, wrong: list[int]) -> bool:
        return all(self.expected[i].kind == self.got[i].kind == "number" for i in wrong)

    def ill_conditioned(self) -> bool:
        """Does the exact answer itself move beyond the tolerance when every leaf moves by a few ulps of the
        dtype (what rounding does to the float program)?  cos(z^3) with z^3 = 2e10 does: float32 rounds z^3
        by 2e3.  (The simulation again, at the moved leaves; alternating signs.)"""
        from tutor.engines.scenario import same_answer

        delta = "2^-20" if self.dtype == "float32" else "2^-48"
        leaves, sign = [], 1
        for leaf in self.spec["leaves"]:
            moved = []
            for v in leaf["value"].split(","):
                moved.append(f"({v.strip()}) * (1 {'+' if sign > 0 else '-'} {delta})")
                sign = -sign
            leaves.append({**leaf, "value": ", ".join(moved) + ("," if len(moved) == 1 and "," in leaf["value"]
                                                                  else "")})
        (moved_check,) = simulate_scenarios([{**self.spec, "leaves": leaves}], self.beliefs)
        if moved_check.crash is not None or len(moved_check.expected) != len(self.expected):
            return False
        return any(not same_answer(e, m, self.dtype) for e, m in zip(self.expected, moved_check.expected))

    def beyond_range(self) -> bool:
        """Is some exact value of the program too large for the dtype (float64's max is 1.8e308)?"""
        import math

        limit = 1e37 if self.dtype == "float32" else 1e306
        return any(not math.isfinite(x) or abs(x) > limit for e in self.expected for x in e.floats())

    def within_resolution(self, wrong: list[int]) -> bool:
        """Only numbers differ, each by at most a few ulps of the program's largest number: tanh'(196) is
        1e-124 exactly and 0 in float64 (tanh rounds to 1), sigmoid'(25) keeps no digit in float32.  (A rule
        gone wrong moves a gradient by its own size, far more than this, unless it is that small itself.)"""
        import math

        eps = 2.0 ** -23 if self.dtype == "float32" else 2.0 ** -52
        scale = max([1.0] + [abs(x) for e in self.expected for x in e.floats() if math.isfinite(x)])
        for i in wrong:
            e, g = self.expected[i], self.got[i]
            if e.kind != "number" or g.kind != "number" or len(e.floats()) != len(g.floats()):
                return False
            if any(not abs(a - b) <= 64 * eps * scale for a, b in zip(e.floats(), g.floats())):
                return False
        return True

    def at_kink(self) -> bool:
        """Did the exact run take a derivative exactly at a kink (abs, relu, sign at 0), where the float
        program, off by a rounding, takes the slope of one side?"""
        import sympy

        from tutor.mathlang.sym import ReLU

        for loss, _elems, at in self.memo:
            if isinstance(loss, str):       # ("forward", ...: a forward step's values, not a derivative)
                continue
            point = dict(at)
            for f in loss.atoms(sympy.Abs, ReLU, sympy.sign, sympy.Heaviside):
                if f.args[0].xreplace(point) == 0:
                    return True
        return False

    def describe(self, limit: int = 3) -> str:
        """The program, and the (first ``limit``) values where the two differ, or the simulator's crash."""
        from tutor.engines.scenario import build, render

        text = f"spec = {self.spec!r}\n\n{render(build(self.spec, {}))}\n"
        if self.crash is not None:
            return text + f"the simulator crashed: {self.crash}\n"
        wrong = self.wrong()
        for i in wrong[:limit]:
            text += f"{self.asks[i]}: simulation {self.expected[i].text()}  torch {self.got[i].text()}\n"
        if len(wrong) > limit:
            text += f"(and {len(wrong) - limit} more values)\n"
        return text


def _unassigned(ask: Any, expected: Any, got: Any) -> bool:
    """The asked name was never assigned (its loop ran 0 times): the program's ``print`` raises NameError,
    which the simulation says; the runner reads the name from the program's namespace instead (KeyError)."""
    return (expected.error == ("NameError", f"name '{ask.name}' is not defined")
            and got.error == ("KeyError", repr(ask.name)))


def simulate_scenarios(specs: Iterable[dict[str, Any]], beliefs: Sequence[str] = ()) -> list[ScenarioCheck]:
    """Build and simulate each scenario (``beliefs``: deliberately wrong rules), reading every value."""
    from tutor.engines.scenario import Ask, build, simulate

    checks = []
    for spec in specs:
        s = build(spec, {})
        check = ScenarioCheck(spec, beliefs=tuple(beliefs))
        try:
            run = simulate(s, beliefs)
            check.asks = [s.ask]
            assert run.final is not None
            for name in run.final.tensors:
                check.asks += [Ask(name, attr) for attr in ATTRS if Ask(name, attr) != s.ask]
            check.expected = [run.answer] + [run.read(a) for a in check.asks[1:]]
            check.memo = run.memo
        except Exception as exc:      # the simulator itself failed: a disagreement of its own
            check.crash = f"{type(exc).__name__}: {exc}"
        checks.append(check)
    return checks


def run_in_torch(checks: Sequence[ScenarioCheck], dtype: str | None = None) -> list[list[Any]]:
    """Torch's answers to every ask of every check (``dtype``: the programs rendered in it instead), all in
    one job of the shared trusted worker."""
    from tutor.engines.scenario import build, render
    from tutor.engines.scenario.torchrun import answer_of, ask_json

    programs, parts = [], []
    for c in checks:
        spec = c.spec if dtype is None else {**c.spec, "dtype": dtype}
        source = render(build(spec, {}), print_ask=False)
        # the runner reads every ask of a program or none (a name it cannot find fails them all): an asked
        # name the program never assigns is read in a program of its own
        groups = [c.asks] if c.expected[0].kind != "error" or len(c.asks) == 1 else [c.asks[:1], c.asks[1:]]
        parts.append(len(groups))
        programs += [{"source": source, "asks": [ask_json(a) for a in g]} for g in groups]
    results = iter(run_batched(programs))
    return [[answer_of(v) for _g in range(n) for v in next(results)] for n in parts]


JOB_PROGRAMS = 200      # programs per worker job (a job's answer has a size limit)


def run_batched(programs: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The runner's ``programs`` job, :data:`JOB_PROGRAMS` programs at a time."""
    from tutor.engines.runner.programs import run_programs

    out: list[list[dict[str, Any]]] = []
    for start in range(0, len(programs), JOB_PROGRAMS):
        out += run_programs(programs[start:start + JOB_PROGRAMS], timeout=600.0)
    return out


def check_scenarios(specs: Sequence[dict[str, Any]], beliefs: Sequence[str] = ()) -> list[ScenarioCheck]:
    """Every scenario simulated (with ``beliefs``) and run in torch, each with its :attr:`~ScenarioCheck.verdict`:
    one worker job, and one more for the float32 programs whose numbers differ (asked again in float64)."""
    checks = simulate_scenarios(specs, beliefs)
    ran = [c for c in checks if c.crash is None]
    for check, got in zip(ran, run_in_torch(ran)):
        check.got = got
    again = [c for c in ran if c.rounding_only]
    if again:
        for check, got in zip(again, run_in_torch(again, "float64")):
            check.got64 = got
    return checks


# --------------------------------------------------------------------------------------------- shrinking

def smaller_specs(spec: dict[str, Any]) -> Iterable[dict[str, Any]]:
    """Simpler variants of a scenario (each still valid or refused by the builder): fewer steps, a loop
    unrolled or its count lowered, a shorter expression, fewer leaves, float64, the default ask."""
    steps = spec["steps"]
    for path, body in _bodies(steps, ()):
        for i, step in enumerate(body):
            yield _replace_body(spec, path, body[:i] + body[i + 1:])
            if "repeat" in step:
                yield _replace_body(spec, path, body[:i] + step["body"] + body[i + 1:])
                if step["repeat"] not in ("0", "1"):
                    yield _replace_body(spec, path, body[:i] + [{**step, "repeat": str(int(step["repeat"]) - 1)}]
                                        + body[i + 1:])
            for key in ("guard", "mode", "retain_graph", "gradient", "no_grad"):
                if key in step:
                    yield _replace_body(spec, path, body[:i] + [{k: v for k, v in step.items() if k != key}]
                                        + body[i + 1:])
            if "expr" in step:
                for simpler in _smaller_exprs(step["expr"]):
                    yield _replace_body(spec, path, body[:i] + [{**step, "expr": simpler}] + body[i + 1:])
    for leaf in spec["leaves"]:         # a simpler print (the steps the old one needed may go next)
        for ask in (f"{leaf['name']}.grad", leaf["name"]):
            if spec["ask"] != ask:
                yield {**spec, "ask": ask}
    if len(spec["leaves"]) > 1:
        for i in range(len(spec["leaves"])):
            yield {**spec, "leaves": spec["leaves"][:i] + spec["leaves"][i + 1:]}
    for i, leaf in enumerate(spec["leaves"]):
        if leaf["value"] not in ("1", "1, 1", "1, 1, 1"):
            simple = ", ".join("1" for _v in leaf["value"].split(",")) if "," in leaf["value"] else "1"
            yield {**spec, "leaves": spec["leaves"][:i] + [{**leaf, "value": simple}] + spec["leaves"][i + 1:]}


def _bodies(steps: list[dict[str, Any]], path: tuple[int, ...]) -> Iterable[tuple[tuple[int, ...], list[Any]]]:
    yield path, steps
    for i, step in enumerate(steps):
        if "repeat" in step:
            yield from _bodies(step["body"], (*path, i))


def _replace_body(spec: dict[str, Any], path: tuple[int, ...], body: list[Any]) -> dict[str, Any]:
    out = copy.deepcopy(spec)
    target = out["steps"]
    if not path:
        out["steps"] = body
        return out
    for i in path[:-1]:
        target = target[i]["body"]
    target[path[-1]]["body"] = body
    return out


def _smaller_exprs(text: str) -> Iterable[str]:
    """Sub-expressions of ``text`` that are complete parenthesised or called parts."""
    depth, starts = 0, []
    for i, ch in enumerate(text):
        if ch == "(":
            starts.append(i)
            depth += 1
        elif ch == ")" and starts:
            start = starts.pop()
            inner = text[start + 1:i]
            if inner.strip() and "," not in inner:
                yield inner


def shrink_scenario(spec: dict[str, Any], still_fails: Callable[[list[dict[str, Any]]], list[bool]],
                    rounds: int = 200) -> dict[str, Any]:
    """A greedily smallest variant of ``spec`` that still fails (``still_fails`` judges a batch at once)."""
    from tutor.engines.scenario import build
    from tutor.foundation.errors import TutorError

    for _round in range(rounds):
        candidates = []
        for c in smaller_specs(spec):
            try:
                build(c, {})
            except TutorError:
                continue
            candidates.append(c)
        verdicts = still_fails(candidates) if candidates else []
        smaller = next((c for c, bad in zip(candidates, verdicts) if bad), None)
        if smaller is None:
            return spec
        spec = smaller
    return spec


# ---------------------------------------------------------------------------------------- expressions

EXPR_FUNCTIONS = ("sin", "cos", "exp", "log", "sqrt", "tanh", "abs", "relu", "sigmoid")
EXPR_CONSTANTS = ("2", "3", "0.5", "1/3", "1.5", "pi")
EXPONENTS = ("2", "3", "-1", "4", "-2", "0", "1")


def expression_text(d: Draw, variables: Sequence[str], depth: int) -> str:
    """A formula in the math language (fully parenthesised) over ``variables``."""
    if depth <= 0:
        return d.choice(variables) if d.chance(0.8) else d.choice(EXPR_CONSTANTS)
    kind = weighted(d, [("binary", 5), ("function", 4), ("power", 2), ("negate", 1)])
    if kind == "binary":
        op = d.choice(("+", "*", "-", "/"))
        return f"({expression_text(d, variables, depth - 1)}) {op} ({expression_text(d, variables, d.integer(0, depth - 1))})"
    if kind == "function":
        return f"{d.choice(EXPR_FUNCTIONS)}({expression_text(d, variables, depth - 1)})"
    if kind == "power":
        return f"({expression_text(d, variables, depth - 1)})^{d.choice(EXPONENTS)}"
    return f"-({expression_text(d, variables, depth - 1)})"


def expression_case(d: Draw) -> tuple[str, dict[str, str]]:
    """(expression, {variable: value as text}): a formula and a rational point, every variable used."""
    import re

    names = ("x", "y")[:d.choice((1, 2))]
    for _attempt in range(10):
        text = expression_text(d, names, d.integer(1, 4))
        used = [n for n in names if re.search(rf"\b{n}\b", text)]
        if used:
            break
    else:
        text, used = f"sin({names[0]})", [names[0]]
    point = {}
    for n in used:      # |value| <= 3, as tutor check draws its points (0.3 to 2): float64 stays well conditioned
        q = d.choice((10, 4, 3, 1, 7))
        p = d.integer(-3 * q, 3 * q)
        point[n] = f"{p}/{q}" if q != 1 else str(p)
    return text, point


def expression_cases(count: int, seed: int) -> list[tuple[str, dict[str, str]]]:
    rng = random.Random(f"differential-expressions:{seed}")
    return [expression_case(RandomDraw(rng)) for _i in range(count)]


RESOLUTION_ULPS = 16


@dataclass
class ExpressionCheck:
    expression: str
    point: dict[str, str]
    skipped: str | None = None        # why the point is not an ordinary one (no gradient to compare)
    partial: Any = None
    program: dict[str, Any] | None = None
    report: Any = None                # GradReport
    failure: str | None = None        # torch did not give gradients

    @property
    def verdict(self) -> str:
        if self.skipped is not None:
            return f"skipped: {self.skipped}"
        if self.failure is not None:
            return DISAGREE
        statuses = [(w, i, st) for w in self.report.gradients.values() for i, st in enumerate(w.status)]
        if all(st in ("agree", "unused") for _w, _i, st in statuses):
            return AGREE
        if all(st in ("agree", "unused") or self._within_resolution(w, i) for w, i, st in statuses):
            return RESOLUTION
        return DISAGREE

    def _within_resolution(self, w: Any, i: int) -> bool:
        """torch's float64 gradient is off by what its saturating slopes lose: tanh' = 1 - tanh^2 and
        sigmoid' = s (1 - s) are computed from the rounded tanh or s, so a slope of 1e-10 keeps only 6 digits
        (and sigmoid'(40) = 4e-18 is 0: 1 - s rounds to 0).  Allowed: a few ulps divided by the smallest such
        slope at the point, or a few ulps of the function's size; and the 60-digit finite difference agrees
        with sympy (or is as small)."""
        import sys

        eps = RESOLUTION_ULPS * sys.float_info.epsilon
        floor = eps * max(1.0, self.partial.fd["scale"])
        exact, fd = w.sympy[i], w.finite_difference[i]
        allowed = eps * abs(exact) / _smallest_saturating_slope(self.expression, self.point) + floor
        return (w.torch is not None and abs(w.torch[i] - exact) <= allowed
                and (abs(fd - exact) <= 1e-6 * abs(exact) or abs(fd) <= floor))

    def describe(self) -> str:
        at = " ".join(f"--at {k}={v}" for k, v in self.point.items())
        text = f"tutor grad '{self.expression}' {at}\n"
        if self.failure:
            return text + self.failure + "\n"
        for name, w in self.report.gradients.items():
            text += (f"  d/d{name}: sympy {w.sympy}  torch {w.torch}  finite difference {w.finite_difference}  "
                     f"status {w.status}\n")
        return text


def _float_point(expression: str, point: Any) -> tuple[Any, dict[str, Any]]:
    """The typed tree, and the point as float64 stores it (numpy scalars)."""
    import numpy as np

    from tutor.engines.gradients import parse_point
    from tutor.engines.gradients.point import stored_point
    from tutor.mathlang import parse

    values = parse_point([f"{k}={v}" for k, v in point.items()])
    stored = stored_point(values, "float64")
    return parse(expression).tree, {name: np.float64(float(stored[name][0])) for name in values}


def _smallest_saturating_slope(expression: str, point: Any) -> float:
    """The smallest slope of a tanh or sigmoid in the expression at the point (1 without one)."""
    import numpy as np

    from tutor.mathlang.evaluate import MpmathBackend, evaluate
    from tutor.mathlang.tree import Call, walk

    tree, env = _float_point(expression, point)
    mp = MpmathBackend(30)
    slopes = [1.0]
    for node in walk(tree):
        if isinstance(node, Call) and node.name in ("tanh", "sigmoid"):
            a = evaluate(node.args[0], {k: mp.mp.mpf(float(v)) for k, v in env.items()}, mp)
            slope = 1 - mp.mp.tanh(a) ** 2 if node.name == "tanh" else 1 / (2 + 2 * mp.mp.cosh(a))
            slopes.append(float(slope))
    return max(min(slopes), float(np.finfo(np.float64).tiny))


def _as_typed(expression: str, point: Any) -> str | None:
    """Why torch has no gradient to compare at the point, evaluating the expression as typed (not as sympy
    simplified it: sqrt(x)^2 is x for sympy, sqrt(x - x) is 0): None if it has one."""
    import math

    import numpy as np

    from tutor.mathlang.evaluate import NumpyBackend, evaluate
    from tutor.mathlang.functions import FUNCTIONS
    from tutor.mathlang.tree import Call, walk

    tree, env = _float_point(expression, point)
    backend = NumpyBackend("float64")
    with np.errstate(all="ignore"):
        for node in walk(tree):     # every part (nan^0 is 1, but its gradient is nan)
            if not math.isfinite(float(evaluate(node, env, backend))):
                return "not real as typed (sympy simplified it)"
            kink = FUNCTIONS[node.name].kink if isinstance(node, Call) else None
            if kink is not None and kink.kind == "vertical" and float(evaluate(node.args[0], env, backend)) == 0:
                return "an infinite slope inside (sqrt(0)): torch's chain rule gives inf * 0"
    return None


def prepare_expressions(cases: Iterable[tuple[str, dict[str, str]]]) -> list[ExpressionCheck]:
    """sympy's and the finite differences' witnesses (no torch), and torch's program; the points where there
    is no gradient to compare are skipped, each with the reason."""
    import math

    from tutor.engines.gradients import torch_program, without_torch
    from tutor.foundation.errors import TutorError

    out = []
    for expression, point in cases:
        check = ExpressionCheck(expression, point)
        out.append(check)
        try:
            partial = without_torch(expression, [f"{k}={v}" for k, v in point.items()])
        except TutorError as exc:
            check.skipped = f"refused ({exc.code})"
            continue
        if partial.kinks:
            check.skipped = "not differentiable there (sympy)"
        elif any(not math.isfinite(x) for values in partial.sym["values"].values() for x in values):
            check.skipped = "not finite (sympy)"
        elif _as_typed(expression, point) is not None:
            check.skipped = _as_typed(expression, point)
        else:
            check.partial = partial
            check.program = torch_program(partial)
            if check.program is None:
                check.skipped = "a number no float holds"
    return out


def check_expressions(cases: Iterable[tuple[str, dict[str, str]]]) -> list[ExpressionCheck]:
    """Every case with its :attr:`~ExpressionCheck.verdict`; torch runs in one job of the shared worker."""
    from tutor.engines.gradients import with_torch

    checks = prepare_expressions(cases)
    todo = [c for c in checks if c.skipped is None]
    results = run_batched([c.program for c in todo if c.program is not None])
    for check, values in zip(todo, results):
        if any(v["kind"] not in ("number", "none") for v in values):
            check.failure = f"torch did not give gradients: {values}"
            continue
        grads = {name: (v["values"] if v["kind"] == "number" else None)
                 for name, v in zip(check.partial.point, values)}
        check.report = with_torch(check.partial, grads)
    return checks
