"""``{ forward = "y", expr = "x^2", mode = ... }``: compute a tensor, tracked or not."""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from ....foundation.i18n import _
from ....mathlang.functions import FUNCTIONS
from ....mathlang.printing import to_python
from ....mathlang.tree import BinOp, Call, Node, Var, children, rename_calls, variables, walk
from . import Step

if TYPE_CHECKING:
    from ..build import BuildContext
    from ..render import CodeWriter
    from ..simulate import Simulation

MODES = ("normal", "no_grad", "decorator", "set_grad_enabled")
EXPANDED_LIMIT = 20000      # expansions kept (a batch's references draw a few thousand)
_EXPANDED: dict[Any, tuple[tuple[Any, ...], bool]] = {}


@dataclass(frozen=True)
class Forward(Step):
    key: ClassVar[str] = "forward"
    options: ClassVar[tuple[str, ...]] = ("expr", "mode")
    order: ClassVar[int] = 10
    example: ClassVar[str] = '{ forward = "y", expr = "x^2" }'
    renders: ClassVar[str] = ("`y = x ** 2` (may use leaves and earlier results; `sum`, `mean`, `dot` reduce); "
                              '`mode = "no_grad"` puts it inside `with torch.no_grad():`, `mode = "decorator"` '
                              "defines and calls a `@torch.no_grad()` function, `mode = \"set_grad_enabled\"` "
                              "uses `with torch.set_grad_enabled(False):`")

    name: str
    tree: Node
    mode: str = "normal"

    @classmethod
    def parse(cls, table: dict[str, Any], ctx: BuildContext, path: str) -> Forward:
        name = ctx.name(table["forward"], f"{path}.forward")
        if name in ctx.leaves:
            ctx.fail(f"{path}.forward", _("'{name}' is a leaf; give the result another name").format(name=name))
        tree = ctx.expression(table.get("expr", ""), f"{path}.expr")
        if isinstance(tree, Var):
            ctx.fail(f"{path}.expr", _("'{name} = {var}' makes {name} another name for the tensor {var}, not a new "
                                       "tensor; compute something from it").format(name=name, var=tree.name))
        mode = table.get("mode", "normal")
        if mode not in MODES:
            ctx.fail(f"{path}.mode", _("one of {modes}").format(modes=", ".join(MODES)))
        ctx.defined.add(name)
        return cls(name, tree, mode)

    @cached_property
    def reads(self) -> list[str]:
        """The names the line reads, in the order Python reads them: the decorated function's arguments
        (sorted), else left to right."""
        reads = [n.name for n in walk(self.tree) if isinstance(n, Var)]
        return sorted(set(reads)) if self.mode == "decorator" else reads

    @cached_property
    def used(self) -> frozenset[str]:
        return frozenset(variables(self.tree))

    @cached_property
    def means(self) -> bool:
        return any(isinstance(n, Call) and n.name == "mean" for n in walk(self.tree))

    @cached_property
    def _kept(self) -> dict[frozenset[str], tuple[bool, list[str]]]:
        return {}

    def kept(self, tracked: frozenset[str]) -> tuple[bool, list[str]]:
        """(does torch save a tensor for backward, the named tensors it keeps themselves), given which names
        require grad: worked out once per line and ``tracked``."""
        got = self._kept.get(tracked)
        if got is None:
            got = self._kept[tracked] = (saves_tensors(self.tree, set(tracked)), saved_leaves(self.tree, set(tracked)))
        return got

    def simulate(self, sim: Simulation) -> None:
        from ..simulate import Tensor

        # every name the line reads must be assigned (a loop that ran 0 times assigns nothing)
        sim.defined(self.reads)
        tracking = sim.grad_enabled and (self.mode == "normal" or sim.believes("no_grad_ignored"))
        env: dict[str, list[Any]] = {}
        local: dict[str, list[Any]] = {}      # the same, a non-leaf standing as its own symbols
        at: dict[Any, Any] = {}
        used = self.used
        for name, t in sim.tensors.items():
            if t.leaf or not t.requires_grad:
                assert t.symbols is not None
                env[name] = local[name] = t.symbols
                at.update(zip(t.symbols, t.values))
            else:
                assert t.expr is not None and t.stand is not None and t.at is not None
                env[name], local[name] = t.expr, t.stand
                if name in used:
                    at.update(t.at)     # the values it was computed from (a leaf may have moved since)
        mean_is_sum = self.means and sim.believes("mean_is_sum")
        vector_of = {k: sim.tensors[k].vector for k in env}
        exprs, vector = expanded(self.tree, used, env, vector_of, mean_is_sum)
        requires = tracking and any(sim.tensors[name].requires_grad for name in used)
        # the values at this point: the same in every run of this draw that reaches it (computed once)
        key = ("forward", tuple(exprs), frozenset(at.items()))
        values = sim.memo.get(key)
        if values is None:
            values = sim.memo[key] = [e.xreplace(at) for e in exprs]
        t = Tensor(self.name, list(values), vector, leaf=not requires, requires_grad=requires)
        if requires:
            t.expr = exprs
            t.at = at
            tracked = frozenset(name for name in used if sim.tensors[name].requires_grad)
            t.saves, kept = self.kept(tracked)
            # the leaves torch keeps as they are now (an update in place before backward is an error there)
            t.saved = [(sim.tensors[n], sim.tensors[n].symbols) for n in kept if sim.tensors[n].leaf]
            t.created = sim.next_created()
            t.local = expanded(self.tree, used, local, vector_of, mean_is_sum)[0]
            # a symbol per element, named by its place in the run (no leaf's symbol has a "~"): every run of
            # the program names it alike, so the lines computed from it expand alike (see expanded)
            t.stand = [sim.sp.Symbol(f"{self.name}{i}~{t.created}", real=True) for i in range(len(exprs))]
            for name in used:
                u = sim.tensors[name]
                if u.leaf and u.requires_grad:
                    t.leaves.add(name)
                elif u.requires_grad:
                    t.inputs.append(u)         # kept per non-leaf input, for retain_grad
                    t.leaves |= u.leaves
        else:
            sim.symbolize(t)
        if requires and sim.observer is not None:
            sim.observer.forward(self, t, {name: sim.tensors[name] for name in used})
        sim.tensors[self.name] = t

    def render(self, out: CodeWriter) -> None:
        code = to_python(self.tree, out.dtype)
        if self.mode == "no_grad":
            out.line("with torch.no_grad():")
            with out.indented():
                out.line(f"{self.name} = {code}")
        elif self.mode == "set_grad_enabled":
            out.line("with torch.set_grad_enabled(False):")
            with out.indented():
                out.line(f"{self.name} = {code}")
        elif self.mode == "decorator":
            args = ", ".join(sorted(variables(self.tree)))
            fname = out.function(f"compute_{self.name}", args, "@torch.no_grad()", code)
            out.line(f"{self.name} = {fname}({args})")
        else:
            out.line(f"{self.name} = {code}")

    def mutate(self, mutation: str) -> tuple[Step, ...] | None:
        if mutation == "mean-to-sum" and any(isinstance(n, Call) and n.name == "mean" for n in walk(self.tree)):
            return (dataclasses.replace(self, tree=rename_calls(self.tree, "mean", "sum")),)
        return None


def expanded(tree: Node, used: frozenset[str], env: Mapping[str, Sequence[Any]], vector_of: Mapping[str, bool],
             mean_is_sum: bool) -> tuple[list[Any], bool]:
    """:func:`~tutor.mathlang.sym.expand_elements`, each expansion done once: it is symbolic (the values come
    in later), so the same line over the same expressions (every candidate run of a variant, and every
    variant of an exercise whose numbers are not in the line) expands alike."""
    from ....mathlang.sym import expand_elements

    key = (tree, tuple((name, tuple(env[name]), vector_of[name]) for name in sorted(used)), mean_is_sum)
    got = _EXPANDED.get(key)
    if got is None:
        exprs, vector = expand_elements(tree, env, vector_of, mean_is_sum=mean_is_sum)
        if len(_EXPANDED) >= EXPANDED_LIMIT:
            _EXPANDED.clear()
        got = _EXPANDED[key] = (tuple(exprs), vector)
    return list(got[0]), got[1]


def saves_tensors(tree: Node, tracked: set[str] | None = None) -> bool:
    """Does torch save a tensor for backward?  Sums, means, +, - and negation do not; nor does a part that
    needs no grad (``tracked``: the names that require grad; None: all): ``x + 1/3`` divides Python floats,
    ``x + t * 2`` with a t that needs no grad multiplies outside the graph."""
    for node in walk(tree):
        if tracked is not None and not variables(node) & tracked:
            continue
        if isinstance(node, BinOp) and node.op in ("mul", "div", "pow"):
            return True
        if isinstance(node, Call) and not FUNCTIONS[node.name].reduces:
            return True
    return False


def saved_leaves(tree: Node, tracked: set[str]) -> list[str]:
    """The tensors named in ``tree`` that torch's backward keeps *themselves* (not a result computed from
    them), in the order backward checks them: the operation created last first (backward runs the graph in
    reverse), and within one operation in the order it unpacks them (``a * b`` looks at b first; ``dot`` at
    its first argument).  ``tracked``: the names that require grad.

    Measured in torch (``tests/test_inplace_saved.py`` checks the table): ``x * x``, ``x ** 2``, ``2 ** x``,
    ``t / x``, ``sin(x)``, ``log(x)`` keep x; ``x * 3``, ``x * t`` with t needing no grad, ``x / t``,
    ``3 / x`` (a reciprocal: it keeps its result), ``exp(x)``, ``sqrt(x)``, ``tanh(x)``, sums keep no x.
    """
    found: list[tuple[int, int, str]] = []
    order = 0

    def needs(node: Node) -> bool:
        return bool(variables(node) & tracked)

    def visit(node: Node) -> None:          # Python's evaluation order: operands first, left to right
        nonlocal order
        for child in children(node):
            visit(child)
        order += 1
        for position, operand in enumerate(_kept_operands(node, needs)):
            if isinstance(operand, Var):
                found.append((-order, position, operand.name))

    visit(tree)
    return [name for _order, _position, name in sorted(found)]


def _kept_operands(node: Node, needs: Callable[[Node], bool]) -> list[Node]:
    """The operands an operation keeps for backward, in the order its backward unpacks them."""
    if not needs(node):
        return []                   # no graph node at all
    if isinstance(node, Call):
        fn = FUNCTIONS[node.name]
        if fn.arity == 2 and fn.saves_input:      # dot(a, b): a if b needs grad, b if a does
            a, b = node.args
            return [*([a] if needs(b) else []), *([b] if needs(a) else [])]
        return list(node.args) if fn.saves_input else []
    if isinstance(node, BinOp):
        a, b = node.left, node.right
        if node.op == "mul":
            return [*([b] if needs(a) else []), *([a] if needs(b) else [])]
        if node.op == "div":        # a Python number over a tensor is a reciprocal, which keeps its result
            scalar = not any(isinstance(n, (Var, Call)) for n in walk(a))
            return [*([b] if not scalar else []), *([a] if needs(b) else [])]
        if node.op == "pow":
            return [b, a]
    return []
