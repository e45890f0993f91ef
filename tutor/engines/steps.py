"""Step-by-step derivatives: the rules a person applies to the expression as typed, each result proven.

:func:`derive_steps` walks the typed tree (not sympy's rewritten form, so the
steps follow what the learner wrote) and applies one rule per node: constant,
variable, sum and difference, negation, constant multiple, product, quotient,
power, exponential, general power, and the derivative of each function, with
the chain rule naming the outer function and the inner one.  Every step's
result (as the rule builds it, before any simplification) is checked equal to
sympy's derivative of the same part; the derivation ends in sympy's
simplified form, written in the math language.

The idea follows SymPy Gamma's step-by-step derivative printer (its
``diffsteps`` module) and derivative-calculator.net: the rule, its formula
with the parts named, then the parts' own derivations, nested.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..foundation.errors import TutorError
from ..foundation.i18n import _
from ..mathlang import parse
from ..mathlang.functions import FUNCTIONS
from ..mathlang.printing import tree_text
from ..mathlang.tree import BinOp, Call, Neg, Node, Var, variables


@dataclass(frozen=True)
class Step:
    """One rule applied to one part of the expression."""

    depth: int           # how deep in the derivation (the whole expression is 0)
    part: str            # the part differentiated, as typed
    rule: str            # constant | variable | sum | difference | negation | constant-multiple | product |
    #                      quotient | reciprocal | power | exponential | general-power | function | chain | reduce
    says: str            # the rule, its formula and the parts it names (translated)
    result: str = ""     # the part's derivative as the rule builds it
    check: str = ""      # how it was found equal to sympy's derivative of the part: "symbolic" (sympy reduces
    #                      the difference to 0) or "numeric" (equal at 12 random points, to 30 digits); "" not

    @property
    def proven(self) -> bool:
        return bool(self.check)

    def to_json(self) -> dict[str, Any]:
        return {"depth": self.depth, "part": self.part, "rule": self.rule, "says": self.says,
                "result": self.result, "check": self.check or None}


@dataclass
class Derivation:
    expression: str
    wrt: str
    steps: list[Step] = field(default_factory=list)
    result: str = ""          # the rules' result, as built
    simplified: str = ""      # sympy's derivative, simplified, in the math language

    @property
    def proven(self) -> bool:
        return all(s.proven for s in self.steps)

    def to_json(self) -> dict[str, Any]:
        return {"expression": self.expression, "wrt": self.wrt, "steps": [s.to_json() for s in self.steps],
                "result": self.result, "simplified": self.simplified, "proven": self.proven}


def derive_steps(expression: str, wrt: str, names: set[str] | None = None, final: str | None = None) -> Derivation:
    """The derivative of ``expression`` (math text) with respect to ``wrt``, step by step.

    ``final``: the derivative as the caller already has it (a quiz question's answer), shown last instead of
    sympy's simplified form (simplifying is most of the cost)."""
    import sympy

    from ..mathlang.sym import derivative, to_text

    parsed = parse(expression, variables=names)
    if wrt not in parsed.variables and names is not None and wrt not in names:
        raise TutorError(_("{x} is not a variable of {expr}").format(x=wrt, expr=expression),
                         code="steps.no-variable")
    walker = _Walker(wrt)
    built = walker.d(parsed.tree, 0)
    if final is None:
        final = _final_form(derivative(parsed.expr, sympy.Symbol(wrt, real=True)))
    return Derivation(tree_text(parsed.tree), wrt, walker.steps, to_text(built), final)


def lines(d: Derivation) -> list[str]:
    """The derivation as text: each part's rule, then its result and whether it is proven."""
    marks = {"symbolic": "✓", "numeric": _("✓ (equal at 12 random points)")}
    out = [_("Step by step, d/d{x} {expr}:").format(x=d.wrt, expr=d.expression)]
    for s in d.steps:
        pad = "  " * (s.depth + 1)
        out.append(f"{pad}d/d{d.wrt} [{s.part}]: {s.says}")
        out.append(f"{pad}  = {s.result}   " + (marks[s.check] if s.check else
                                                 _("✗ not shown equal to sympy's derivative")))
    out.append("  " + _("so d/d{x} {expr} = {result}").format(x=d.wrt, expr=d.expression, result=d.simplified))
    out.append("  " + _("(✓: the step's result is proven equal to sympy's derivative of that part)"))
    return out


def _final_form(exact: Any) -> str:
    """sympy's simplified derivative where it is shorter and says it in the math language (not a
    Piecewise), else the derivative as sympy takes it."""
    import sympy

    from ..foundation.errors import MathError
    from ..mathlang.sym import to_text

    if sympy.count_ops(exact) > 200:
        return to_text(exact)
    simple = sympy.simplify(exact)
    if sympy.count_ops(simple) <= sympy.count_ops(exact):
        try:
            parse(to_text(simple))
            return to_text(simple)
        except MathError:
            pass
    return to_text(exact)


class _Walker:
    def __init__(self, wrt: str):
        import sympy

        self.sp = sympy
        self.wrt = wrt
        self.x = sympy.Symbol(wrt, real=True)
        self.steps: list[Step] = []

    # -- the parts, as sympy sees them
    def sym(self, node: Node) -> Any:
        from ..mathlang.sym import expand_elements

        names = variables(node)
        env = {n: [self.sp.Symbol(n, real=True)] for n in names}
        return expand_elements(node, env, dict.fromkeys(names, False))[0][0]

    def depends(self, node: Node) -> bool:
        return self.wrt in variables(node)

    # -- one node
    def d(self, node: Node, depth: int) -> Any:
        """The derivative of ``node`` by the rules, recording the steps (a step, then its parts' steps)."""
        index = len(self.steps)
        self.steps.append(Step(depth, tree_text(node), "", ""))       # filled in below, once the parts are done
        rule, says, result = self.rule(node, depth + 1)
        self.steps[index] = Step(depth, tree_text(node), rule, says, _text(result), self.check(node, result))
        return result

    def check(self, node: Node, result: Any) -> str:
        """symbolic, numeric or "" (see :attr:`Step.check`)."""
        import random

        from ..mathlang.sym import derivative, elementary
        from .equivalence import _prove_zero

        exact = derivative(self.sym(node), self.x)
        if _prove_zero(self.sp.expand(result - exact)) is True:
            return "symbolic"
        rng = random.Random(f"steps:{self.wrt}:{tree_text(node)}")
        names = sorted((result - exact).free_symbols, key=str)
        agreed = 0
        for _attempt in range(40):
            point = {s: self.sp.Rational(rng.choice([-1, 1]) * rng.randint(1, 3000), 1000) for s in names}
            a, b = (elementary(e).evalf(30, subs=point) for e in (result, exact))
            if not all(v.is_number and v.is_finite and v.is_real for v in (a, b)):
                continue             # outside the domain (log of a negative number): another point
            if abs(a - b) > 1e-20 * (1 + abs(b)):
                return ""
            agreed += 1
            if agreed == 12:
                return "numeric"
        return ""

    def rule(self, node: Node, depth: int) -> tuple[str, str, Any]:
        sp = self.sp
        if not self.depends(node):
            return "constant", _("{part} does not depend on {x}: its derivative is 0").format(
                part=tree_text(node), x=self.wrt), sp.Integer(0)
        if isinstance(node, Var):
            return "variable", _("d{x}/d{x} = 1").format(x=self.wrt), sp.Integer(1)
        if isinstance(node, Neg):
            return "negation", _("(-f)' = -f'"), -self.d(node.operand, depth)
        if isinstance(node, Call):
            return self.call(node, depth)
        assert isinstance(node, BinOp)
        return {"add": self.add, "sub": self.add, "mul": self.mul, "div": self.div, "pow": self.pow}[node.op](
            node, depth)

    def add(self, node: BinOp, depth: int) -> tuple[str, str, Any]:
        f = self.d(node.left, depth) if self.depends(node.left) else self.sp.Integer(0)
        g = self.d(node.right, depth) if self.depends(node.right) else self.sp.Integer(0)
        if node.op == "add":
            return "sum", _("sum rule: (f + g)' = f' + g'"), f + g
        return "difference", _("difference rule: (f - g)' = f' - g'"), f - g

    def mul(self, node: BinOp, depth: int) -> tuple[str, str, Any]:
        left, right = node.left, node.right
        if not self.depends(left) or not self.depends(right):
            c, f = (left, right) if not self.depends(left) else (right, left)
            return "constant-multiple", _("constant multiple: (c f)' = c f', with c = {c}").format(
                c=tree_text(c)), self.sym(c) * self.d(f, depth)
        says = _("product rule: (f g)' = f' g + f g', with f = {f} and g = {g}").format(
            f=tree_text(left), g=tree_text(right))
        df, dg = self.d(left, depth), self.d(right, depth)
        return "product", says, df * self.sym(right) + self.sym(left) * dg

    def div(self, node: BinOp, depth: int) -> tuple[str, str, Any]:
        f, g = node.left, node.right
        if not self.depends(g):
            return "constant-multiple", _("constant multiple: (f/c)' = f'/c, with c = {c}").format(
                c=tree_text(g)), self.d(f, depth) / self.sym(g)
        if not self.depends(f):
            says = _("reciprocal: (c/g)' = -c g'/g^2, with c = {c} and g = {g}").format(
                c=tree_text(f), g=tree_text(g))
            return "reciprocal", says, -self.sym(f) * self.d(g, depth) / self.sym(g) ** 2
        says = _("quotient rule: (f/g)' = (f' g - f g')/g^2, with f = {f} and g = {g}").format(
            f=tree_text(f), g=tree_text(g))
        df, dg = self.d(f, depth), self.d(g, depth)
        return "quotient", says, (df * self.sym(g) - self.sym(f) * dg) / self.sym(g) ** 2

    def pow(self, node: BinOp, depth: int) -> tuple[str, str, Any]:
        sp = self.sp
        u, v = node.left, node.right
        if not self.depends(v):
            n = self.sym(v)
            if isinstance(u, Var):
                says = _("power rule: (x^n)' = n x^(n-1), with n = {n}").format(n=tree_text(v))
                return "power", says, n * self.sym(u) ** (n - 1)
            says = _("power rule with the chain rule: (u^n)' = n u^(n-1) u', with n = {n} and u = {u}").format(
                n=tree_text(v), u=tree_text(u))
            return "power", says, n * self.sym(u) ** (n - 1) * self.d(u, depth)
        if not self.depends(u):
            says = _("exponential: (a^v)' = a^v ln(a) v', with a = {a} and v = {v}").format(
                a=tree_text(u), v=tree_text(v))
            a = self.sym(u)
            return "exponential", says, a ** self.sym(v) * sp.log(a) * self.d(v, depth)
        says = _("general power: u^v = e^(v ln u), so (u^v)' = u^v (v' ln(u) + v u'/u), with u = {u} and "
                 "v = {v}").format(u=tree_text(u), v=tree_text(v))
        du, dv = self.d(u, depth), self.d(v, depth)
        su, sv = self.sym(u), self.sym(v)
        return "general-power", says, su ** sv * (dv * sp.log(su) + sv * du / su)

    def call(self, node: Call, depth: int) -> tuple[str, str, Any]:
        from ..mathlang.sym import derivative, to_text

        sp = self.sp
        fn = FUNCTIONS[node.name]
        if fn.reduces or fn.desugar:
            if node.name == "dot":        # of scalars: a product
                a, b = node.args
                says = _("{name} of numbers is their product: (f g)' = f' g + f g'").format(name=node.name)
                return "reduce", says, self.d(a, depth) * self.sym(b) + self.sym(a) * self.d(b, depth)
            return "reduce", _("{name} of one number is that number: its derivative is the number's").format(
                name=node.name), self.d(node.args[0], depth)
        (arg,) = node.args
        t = sp.Symbol("u", real=True)
        outer = derivative(fn.sympy_function()(t), t)
        if isinstance(arg, Var):
            says = _("{f}'({x}) = {d}").format(f=node.name, x=self.wrt, d=to_text(outer.xreplace({t: self.x})))
            return "function", says, outer.xreplace({t: self.x})
        says = _("chain rule: outer function {f}, inner u = {u}: ({f}(u))' = {d} u'").format(
            f=node.name, u=tree_text(arg), d=_times(to_text(outer)))
        return "chain", says, outer.xreplace({t: self.sym(arg)}) * self.d(arg, depth)


def _times(text: str) -> str:
    """``cos(u)`` stays; ``2*u`` becomes ``(2*u)`` before `` u'``."""
    return text if text.replace("_", "").isalnum() or text.endswith(")") and text.count("(") == 1 else f"({text})"


def _text(expr: Any) -> str:
    from ..mathlang.sym import to_text

    return to_text(expr)


__all__ = ["Derivation", "Step", "derive_steps"]
