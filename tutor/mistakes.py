"""Misconceptions: stable ids, explanations that name the fix, and the wrong
answers each one produces, computed by running the exercise with the mistake
injected (never typed in by hand).

Three ways to inject a mistake:

* **beliefs** (predict): simulate the same program under a wrong rule, e.g.
  "backward() overwrites .grad" (see :data:`tutor.scenarios.BELIEFS`);
* **mutations** (code): change the reference program the way a learner's code
  would be wrong, e.g. drop the zeroing, zero after backward, flip the sign;
* **answer slips**: report the gradient when the value was asked, or f(x0)
  when f'(x0) was asked;
* **derivative mistakes** (derive): differentiate with a broken rule (no chain
  factor, product rule as a product of derivatives ...).

The ids are stable: they appear in JSON output, reports and the cohort summary.
"""
from __future__ import annotations

import copy
import random
from dataclasses import dataclass

from .i18n import _


@dataclass(frozen=True)
class Misconception:
    id: str
    title: str
    explanation: str        # what torch (or calculus) does; placeholders filled per question
    fix: str                # the corrected code or rule
    ref: str = ""           # the catalogue entry in the reference notes (M1 ...)


CATALOGUE: dict[str, Misconception] = {m.id: m for m in [
    Misconception(
        "accumulation.overwrite", _("backward() adds into .grad"),
        _("backward() adds into .grad; it never overwrites it. Here backward runs {k} times without zeroing, "
          "so {consequence}"),
        "x.grad.zero_()      # or opt.zero_grad(), before each backward\ny.backward()", "M1"),
    Misconception(
        "accumulation.no-zero", _("the gradient is never zeroed"),
        _("Nothing zeroes .grad, so every backward() adds to the gradients of the earlier steps and the "
          "update uses their running sum: {target} ends at {wrong} instead of {correct}."),
        "opt.zero_grad()     # or x.grad.zero_() / x.grad = None\nloss.backward()\nopt.step()", "M1"),
    Misconception(
        "zeroing.placement", _("zeroing between backward() and the update"),
        _("The zeroing runs after backward() and before the update, so the update uses a zero (or None) "
          "gradient: {target} is {correct}. Zero before backward (or after the update) instead."),
        "x.grad.zero_()      # first\nloss.backward()\nwith torch.no_grad():\n    x -= lr * x.grad", "M2"),
    Misconception(
        "zeroing.after-backward", _("zeroing after backward() throws the gradient away"),
        _("Zeroing right after backward() discards the gradient before the update uses it, so the "
          "parameters never move: {target} is {wrong}, not {correct}."),
        "opt.zero_grad()\nloss.backward()\nopt.step()", "M2"),
    Misconception(
        "zeroing.zero-grad-none", _("optimizer.zero_grad() sets .grad to None"),
        _("optimizer.zero_grad() sets every .grad to None (set_to_none=True by default), not to zeros: "
          "{target} is {correct}."),
        "opt.zero_grad()            # .grad becomes None\nopt.zero_grad(set_to_none=False)   # zeros", "M16"),
    Misconception(
        "reduction.mean-vs-sum", _("mean() divides by n"),
        _("mean() divides by the number of elements, so each gradient is 1/n of the sum's: {target} is "
          "{correct}, not {wrong}."),
        "loss = ((y - y_pred) ** 2).mean()   # gradient / n\nloss = ((y - y_pred) ** 2).sum()    # no 1/n", "M4"),
    Misconception(
        "vjp.gradient-ignored", _("backward(gradient=v) weights each derivative by v"),
        _("y.backward(gradient=v) computes the vector-Jacobian product v^T J: each element's derivative "
          "is multiplied by its v_i. {target} is {correct}, not {wrong}."),
        "y.backward(gradient=torch.ones_like(y))   # plain derivatives, same as y.sum().backward()", "M5"),
    Misconception(
        "grad-mode.no-grad-ignored", _("no_grad stops tracking"),
        _("Results computed under torch.no_grad(), a @torch.no_grad() function or "
          "torch.set_grad_enabled(False) do not require grad and have no grad_fn: {target} is {correct}."),
        "with torch.no_grad():      # only for work that needs no gradient\n    y_eval = model(x)\n"
        "loss = f(x)                # outside: tracked\nloss.backward()", "M14"),
    Misconception(
        "retain-graph.needed", _("backward() frees the graph"),
        _("backward() frees the saved tensors of the graph, so a second backward() through it raises "
          "unless the first call passed retain_graph=True: {target} is {correct}."),
        "y.backward(retain_graph=True)\ny.backward()", "M12"),
    Misconception(
        "retain-graph.always-raises", _("a graph with no saved tensors can be backwarded twice"),
        _("This graph saves no tensors (sums, means, + and - only), so the second backward() does not "
          "raise: it silently adds the gradient again, and {target} is {correct}."),
        "x.grad = None   # or zero it, if the second backward was not meant to add", "M13"),
    Misconception(
        "leaf.nonleaf-grad", _(".grad lives on leaves only"),
        _("Only leaf tensors keep .grad; a tensor computed from others (a non-leaf) gets .grad only after "
          ".retain_grad(): {target} is {correct}."),
        "b.retain_grad()   # before backward, to keep a non-leaf's gradient", "M9"),
    Misconception(
        "update.sign", _("gradient descent subtracts"),
        _("Gradient descent moves against the gradient: x -= lr * x.grad. Adding it climbs the loss, and "
          "{target} would be {wrong} instead of {correct}."),
        "with torch.no_grad():\n    x -= lr * x.grad", "M22"),
    Misconception(
        "loop.one-more", _("the loop runs exactly range(k) times"),
        _("range({count}) runs {count} times: {target} is {correct}; {wrong} is what one more step gives."),
        "for step in range(k):   # k steps: 0, 1, ..., k-1", "M8"),
    Misconception(
        "loop.one-fewer", _("the loop runs exactly range(k) times"),
        _("range({count}) runs {count} times: {target} is {correct}; {wrong} is what one step fewer gives."),
        "for step in range(k):   # k steps: 0, 1, ..., k-1", "M8"),
    Misconception(
        "answer.grad-as-value", _("the gradient is not the parameter"),
        _("{wrong} is the gradient ({name}.grad); the question asks for {target} itself, which is {correct}."),
        "print(x)        # the parameter\nprint(x.grad)   # its gradient", "M7"),
    Misconception(
        "answer.value-as-grad", _("the value is not the derivative"),
        _("{wrong} is the value of the function; {target} is its derivative, {correct}."),
        "y = f(x)\ny.backward()\nprint(x.grad)   # f'(x), not f(x)", "M23"),
    # derive
    Misconception(
        "derive.not-differentiated", _("the answer is the function itself"),
        _("That is f itself; the question asks for its derivative."), "", "M23"),
    Misconception(
        "derive.integrated", _("integrated instead of differentiated"),
        _("That is an antiderivative of f (its derivative gives f back); differentiate instead: "
          "d/dx x^n = n x^(n-1)."), "d/dx x^n = n*x^(n-1)"),
    Misconception(
        "derive.missing-chain-factor", _("the chain rule's inner factor is missing"),
        _("The outer derivative is right, but the chain rule multiplies by the derivative of the inside: "
          "d/dx f(g(x)) = f'(g(x)) * g'(x)."), "d/dx f(g(x)) = f'(g(x)) * g'(x)"),
    Misconception(
        "derive.sign", _("a sign is wrong"),
        _("The sign is flipped: check d/dx cos(x) = -sin(x) and the minus signs inside."),
        "d/dx cos(x) = -sin(x);  d/dx exp(-x) = -exp(-x)"),
    Misconception(
        "derive.power-rule", _("the power rule lowers the exponent"),
        _("The power rule lowers the exponent by one: d/dx x^n = n x^(n-1), not n x^n."), "d/dx x^n = n*x^(n-1)"),
    Misconception(
        "derive.product-rule", _("the product rule has two terms"),
        _("The derivative of a product is not the product of the derivatives: (f g)' = f' g + f g'."),
        "(f*g)' = f'*g + f*g'"),
    Misconception(
        "derive.wrong-variable", _("the partial derivative is with respect to another variable"),
        _("That is the partial derivative with respect to {other}; the question asks about {wrt}."), ""),
]}

BELIEF_OF = {
    "accumulation.overwrite": "overwrite",
    "zeroing.placement": "zero_anywhere",
    "zeroing.zero-grad-none": "zero_grad_zeros",
    "reduction.mean-vs-sum": "mean_is_sum",
    "vjp.gradient-ignored": "gradient_ignored",
    "grad-mode.no-grad-ignored": "no_grad_ignored",
    "retain-graph.needed": "graph_kept",
    "retain-graph.always-raises": "second_backward_raises",
    "leaf.nonleaf-grad": "nonleaf_grad",
    "update.sign": "sign",
    "loop.one-more": "loop_plus_one",
    "loop.one-fewer": "loop_minus_one",
}
SLIPS = ("answer.grad-as-value", "answer.value-as-grad")
MUTATIONS = ("accumulation.no-zero", "zeroing.after-backward", "update.sign", "loop.one-more",
             "loop.one-fewer", "reduction.mean-vs-sum", "answer.grad-as-value")
DERIVE = ("derive.not-differentiated", "derive.integrated", "derive.missing-chain-factor", "derive.sign",
          "derive.power-rule", "derive.product-rule", "derive.wrong-variable")


def allowed_for(kind: str) -> tuple:
    """The misconception ids an exercise of this kind can detect."""
    return {"predict": tuple(BELIEF_OF) + SLIPS, "code": MUTATIONS, "derive": DERIVE}.get(kind, ())


@dataclass
class Candidate:
    id: str
    answer: object          # scenarios.Answer (predict/code) or a sympy expression (derive)
    wrt: str | None = None  # derive: the variable of the partial derivative


def explain(mid: str, **values) -> str:
    """The misconception's explanation with the question's own numbers."""
    m = CATALOGUE[mid]
    text = m.explanation
    try:
        return text.format(**values)
    except (KeyError, IndexError):
        return text.split(":")[0] + "."


# ----------------------------------------------------------- predict / code

def scenario_candidates(scenario, ids=None, code: bool = False) -> list[Candidate]:
    """Wrong answers for a scenario, one per applicable misconception (in catalogue order)."""
    from .scenarios import simulate

    correct = simulate(scenario)
    pool = ids if ids is not None else (MUTATIONS if code else tuple(BELIEF_OF) + SLIPS)
    out: list[Candidate] = []
    for mid in pool:
        if code:
            mutated = mutate(scenario, mid)
            if mutated is None:
                continue
            answer = simulate(mutated).answer if mid != "answer.grad-as-value" else _slip(mutated, mid, correct)
        elif mid in BELIEF_OF:
            answer = simulate(scenario, [BELIEF_OF[mid]]).answer
        else:
            answer = _slip(scenario, mid, correct)
        if answer is not None and (ids is not None or not answers_match(correct.answer, answer)):
            out.append(Candidate(mid, answer))
    return out


def _slip(scenario, mid, correct):
    """Answer slips: the gradient for the value, or the value for the gradient."""
    from .scenarios import ASK, simulate

    m = ASK.match(scenario.ask)
    name, attr = m.group("name"), m.group("attr")
    leaf_names = {leaf.name for leaf in scenario.leaves}
    if mid == "answer.grad-as-value" and attr is None and name in leaf_names:
        other = copy.copy(scenario)
        other.ask = f"{name}.grad" + (f"[{m.group('index')}]" if m.group("index") else "")
        return simulate(other).answer
    if mid == "answer.value-as-grad" and attr == ".grad" and correct.answer.kind == "number":
        # the value of the last backward root
        roots = [s["name"] for s in _flatten(scenario.steps) if s["kind"] == "backward"]
        if not roots:
            return None
        other = copy.copy(scenario)
        other.ask = roots[-1]
        got = simulate(other).answer
        return got if got.kind == "number" else None
    return None


def _flatten(steps):
    for s in steps:
        yield s
        if s["kind"] == "repeat":
            yield from _flatten(s["body"])


def mutate(scenario, mid):
    """The reference program with a learner's coding mistake injected (None if it does not apply)."""
    s = copy.deepcopy(scenario)
    steps = s.steps
    zero_kinds = ("zero", "zero_grad", "set_none")

    def map_bodies(steps, fn):
        out = fn(steps)
        for step in out:
            if step["kind"] == "repeat":
                step["body"] = map_bodies(step["body"], fn)
        return out

    changed = False
    if mid == "accumulation.no-zero":
        def drop(body):
            nonlocal changed
            kept = [st for st in body if st["kind"] not in zero_kinds]
            changed = changed or len(kept) != len(body)
            return kept
        s.steps = map_bodies(steps, drop)
    elif mid == "zeroing.after-backward":
        def move(body):
            nonlocal changed
            zeros = [st for st in body if st["kind"] in zero_kinds]
            rest = [st for st in body if st["kind"] not in zero_kinds]
            idx = next((i for i, st in enumerate(rest) if st["kind"] == "backward"), None)
            if not zeros or idx is None:
                return body
            new = rest[:idx + 1] + [dict(z, guard="none") if z["kind"] == "zero" else z for z in zeros] \
                + rest[idx + 1:]
            changed = changed or new != body
            return new
        s.steps = map_bodies(steps, move)
    elif mid == "update.sign":
        def flip(body):
            nonlocal changed
            out = []
            for st in body:
                if st["kind"] == "update":
                    st = dict(st, lr=-st["lr"])
                    changed = True
                out.append(st)
            return out
        s.steps = map_bodies(steps, flip)
        if s.optimizer:
            s.optimizer = dict(s.optimizer, lr=-s.optimizer["lr"])
            changed = True
    elif mid in ("loop.one-more", "loop.one-fewer"):
        delta = 1 if mid == "loop.one-more" else -1

        def count(body):
            nonlocal changed
            for st in body:
                if st["kind"] == "repeat" and st["count"] + delta >= 0:
                    st["count"] += delta
                    changed = True
            return body
        s.steps = count(steps)          # the outermost loops only
    elif mid == "reduction.mean-vs-sum":
        def to_sum(tree):
            nonlocal changed
            kind = tree[0]
            if kind == "call":
                name = tree[1]
                if name == "mean":
                    changed = True
                    name = "sum"
                return ("call", name, tuple(to_sum(a) for a in tree[2]))
            if kind == "neg":
                return ("neg", to_sum(tree[1]))
            if kind in ("add", "sub", "mul", "div", "pow"):
                return (kind, to_sum(tree[1]), to_sum(tree[2]))
            return tree

        def retree(body):
            for st in body:
                if st["kind"] == "forward":
                    st["tree"] = to_sum(st["tree"])
            return body
        s.steps = map_bodies(steps, retree)
    elif mid == "answer.grad-as-value":
        return s
    return s if changed else None


def classify(answer, candidates, dtype="float32"):
    """The candidate misconception ids a learner's answer matches (tolerance of printed values)."""
    return [c.id for c in candidates if answers_match(c.answer, answer)]


def answers_match(expected, got) -> bool:
    """Learner answers are compared at print precision: 1e-3 relative."""
    from .scenarios import answers_close

    return answers_close(expected, got, rtol=1e-3, floor=1e-4, absolute=5e-5, strict=False)


def distinct(answers) -> bool:
    """Are these answers pairwise distinguishable at the learner's precision?"""
    for i, a in enumerate(answers):
        for b in answers[i + 1:]:
            if answers_match(a, b) or answers_match(b, a):
                return False
    return True


# ------------------------------------------------------------------ derive

def derive_candidates(expr, wrt, variables, ids=None) -> list[Candidate]:
    """Wrong derivatives of ``expr`` with respect to ``wrt`` (sympy expressions)."""
    import sympy

    x = sympy.Symbol(wrt, real=True)
    pool = ids if ids is not None else DERIVE
    out = []
    for mid in pool:
        wrong = None
        if mid == "derive.not-differentiated":
            wrong = expr
        elif mid == "derive.integrated":
            if expr.is_polynomial(x):
                wrong = sympy.integrate(expr, x)
        elif mid == "derive.sign":
            wrong = -sympy.diff(expr, x)
        elif mid == "derive.missing-chain-factor":
            wrong = _mis_diff(expr, x, "chain")
        elif mid == "derive.power-rule":
            wrong = _mis_diff(expr, x, "power")
        elif mid == "derive.product-rule":
            wrong = _mis_diff(expr, x, "product")
        elif mid == "derive.wrong-variable":
            others = [v for v in variables if v != wrt]
            if others:
                wrong = sympy.diff(expr, sympy.Symbol(others[0], real=True))
        if wrong is not None and (ids is not None or wrong != 0):
            out.append(Candidate(mid, wrong, wrt))
    return out


def _mis_diff(e, x, mistake):
    """Differentiate with one rule broken (None where the broken rule is never used)."""
    import sympy

    used = False

    def d(e):
        nonlocal used
        if not e.has(x):
            return sympy.Integer(0)
        if e == x:
            return sympy.Integer(1)
        if e.is_Add:
            return sympy.Add(*[d(a) for a in e.args])
        if e.is_Mul:
            dep = [a for a in e.args if a.has(x)]
            const = sympy.Mul(*[a for a in e.args if not a.has(x)])
            if len(dep) >= 2 and mistake == "product":
                used = True
                return const * sympy.Mul(*[d(a) for a in dep])
            total = sympy.Integer(0)
            for i, a in enumerate(dep):
                total += d(a) * sympy.Mul(*[b for j, b in enumerate(dep) if j != i])
            return const * total
        if e.is_Pow:
            base, n = e.args
            if not n.has(x):
                inner = d(base)
                if mistake == "power" and n.is_Integer and n > 1:
                    used = True
                    return n * base ** n * inner
                if mistake == "chain" and base != x and inner != 1:
                    used = True
                    return n * base ** (n - 1)
                return n * base ** (n - 1) * inner
            return sympy.diff(e, x)
        if isinstance(e, sympy.Function) and len(e.args) == 1:
            u = e.args[0]
            du = sympy.Dummy("u", real=True)
            outer = sympy.diff(e.func(du), du).xreplace({du: u})
            if mistake == "chain" and u != x and d(u) != 1:
                used = True
                return outer
            return outer * d(u)
        return sympy.diff(e, x)

    result = d(e)
    return result if used else None


def numerically_equal(a, b, names, seed=0, points=6) -> bool:
    """A quick numeric test of two sympy expressions (for classifying, not for grading)."""
    import sympy

    from .sym import elementary

    rng = random.Random(seed)
    syms = [sympy.Symbol(n, real=True) for n in names]
    diff = elementary(a - b)
    checked = 0
    for _i in range(points * 4):
        subs = {s: sympy.Rational(rng.randint(-2000, 2000), 997) for s in syms}
        try:
            value = sympy.N(diff.xreplace(subs), 30)
            ref = sympy.N(elementary(a).xreplace(subs), 30)
        except (TypeError, ValueError, ZeroDivisionError):
            continue
        if not value.is_real or not ref.is_real or value.has(sympy.zoo, sympy.nan):
            continue
        if abs(value) > 1e-20 * max(1, abs(ref)):
            return False
        checked += 1
        if checked >= points:
            return True
    return checked > 0
