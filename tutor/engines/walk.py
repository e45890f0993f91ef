"""The backward pass node by node: the graph torch builds, each node's local derivative from sympy, the
gradient that reaches it and what it sends on, every number checked against torch itself.

The expression is run in torch one operation of the typed tree at a time (the
same operations the tutor's rendered code performs), so every part has its
own tensor: its ``grad_fn`` (and the chain of nodes between it and its inputs,
read through ``next_functions``) is torch's, its ``.grad`` after backward
(``retain_grad``) is torch's upstream gradient, and ``torch.autograd.grad``
gives torch's own local derivative of the part with respect to each input.
sympy gives the exact values beside them: the part's value, the local
derivative as a formula and its value, the upstream gradient, the product
sent to each input; a leaf's ``.grad`` is the sum of what reaches it.  The
parts are listed in the order torch's engine runs them (the last created
first), as micrograd's ``draw_dot`` draws value and gradient per node; a
Graphviz DOT text of the same graph comes with it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..foundation.errors import TutorError
from ..foundation.i18n import _
from ..mathlang import parse
from ..mathlang.functions import FUNCTIONS
from ..mathlang.printing import tree_text
from ..mathlang.tree import BinOp, Call, Neg, Node, Var, children, variables

RTOL = 1e-9       # float64 torch against exact sympy, relative


@dataclass
class Edge:
    to: str                  # the input, as typed (a leaf's name, or a part)
    local: str               # d(part)/d(input), a formula in the leaves' names
    local_value: float       # its value (sympy)
    sends: float             # upstream x local: what this part sends to the input
    local_torch: float | None = None     # torch.autograd.grad of the part w.r.t. the input (a leaf used twice
    #                                       in one part: the sum over its uses, on the first edge to it)
    node: int | None = None  # the input's place in Walk.nodes (None: a leaf)


@dataclass
class WalkNode:
    part: str                # the part as typed
    grad_fn: str             # torch's node for it (a chain "MulBackward0 <- ReciprocalBackward0" where the
    #                          function is several torch operations)
    value: float
    upstream: float          # dL/d(part): exact
    upstream_torch: float | None    # torch's .grad of the part's tensor (retain_grad)
    edges: list[Edge] = field(default_factory=list)
    linked: bool = True      # each input's grad_fn is among torch's next_functions of this node


@dataclass
class Leaf:
    name: str
    flows: list[float]       # what each edge into it sends
    grad: float              # their sum (exact)
    grad_torch: float | None


@dataclass
class Walk:
    expression: str
    point: dict[str, float]
    nodes: list[WalkNode]
    leaves: list[Leaf]
    problems: list[str] = field(default_factory=list)    # every number or link torch does not confirm

    @property
    def checked(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {"expression": self.expression, "point": self.point, "checked": self.checked,
                "problems": self.problems,
                "nodes": [{"part": n.part, "grad_fn": n.grad_fn, "value": n.value, "upstream": n.upstream,
                           "upstream_torch": n.upstream_torch, "linked": n.linked,
                           "edges": [{"to": e.to, "node": e.node, "local": e.local, "local_value": e.local_value,
                                      "local_torch": e.local_torch, "sends": e.sends} for e in n.edges]}
                          for n in self.nodes],
                "leaves": [{"name": lf.name, "flows": lf.flows, "grad": lf.grad, "grad_torch": lf.grad_torch}
                           for lf in self.leaves],
                "dot": dot(self)}


def _close(a: float, b: float | None) -> bool:
    import math

    if b is None:
        return False
    if not (math.isfinite(a) and math.isfinite(b)):
        return a == b or (math.isnan(a) and math.isnan(b))
    return abs(a - b) <= RTOL * max(1.0, abs(a), abs(b))


def walk(expression: str, at: dict[str, Any]) -> Walk:
    """The backward pass of ``expression`` (a scalar function of scalars) at ``at`` ({name: exact number})."""
    import sympy
    import torch

    parsed = parse(expression, variables=set(at))
    missing = [v for v in parsed.variables if v not in at]
    if missing:
        raise TutorError(_("no value for {names}").format(names=", ".join(missing)), code="walk.no-value")
    symbols = {n: sympy.Symbol(n, real=True) for n in parsed.variables}
    exact_at = {symbols[n]: sympy.sympify(at[n]) if isinstance(at[n], int) else at[n] for n in symbols}
    leaves = {n: torch.tensor(float(exact_at[symbols[n]]), dtype=torch.float64, requires_grad=True)
              for n in parsed.variables}
    run = _Run(torch, sympy, symbols, exact_at, leaves)
    root = run.forward(parsed.tree)
    if not isinstance(root, torch.Tensor) or root.grad_fn is None:
        raise TutorError(_("{expr} does not depend on its variables: there is no backward pass to walk").format(
            expr=expression), code="walk.constant")
    for t in run.tensors:
        t.retain_grad()
    ran: list[int] = []              # the parts' nodes in the order torch's engine runs them
    hooks = [t.grad_fn.register_prehook(_recorder(ran, id(node))) for node, t in zip(run.order, run.tensors)]
    root.backward(retain_graph=True)  # type: ignore[no-untyped-call]
    for hook in hooks:
        hook.remove()
    run.ran = list(ran)
    # read now: torch.autograd.grad below (each local derivative) runs retain_grad's hooks again
    run.grads = {id(t): _float(t.grad) for t in [*run.tensors, *leaves.values()]}
    return run.report(parsed.tree, tree_text(parsed.tree), {n: float(v) for n, v in
                                                            ((n, exact_at[symbols[n]]) for n in symbols)})


def _recorder(ran: list[int], key: int) -> Any:
    def hook(_grads: Any) -> None:
        ran.append(key)

    return hook


class _Run:
    def __init__(self, torch: Any, sympy: Any, symbols: dict[str, Any], exact_at: dict[Any, Any],
                 leaves: dict[str, Any]):
        self.torch, self.sp = torch, sympy
        self.symbols, self.exact_at, self.leaves = symbols, exact_at, leaves
        self.made: dict[int, Any] = {}          # id(node) -> its tensor (or a Python number for a constant part)
        self.order: list[Node] = []             # the parts with a tensor of their own, in creation order
        self.tensors: list[Any] = []
        self.grads: dict[int, float | None] = {}    # each tensor's .grad after the backward pass
        self.ran: list[int] = []                    # id(part) in the order torch ran their nodes

    # -- forward: one torch operation per part, as the rendered code does it
    def forward(self, node: Node) -> Any:
        if not variables(node):
            value = _real(self.exact(node), node)  # a constant part: a Python number (torch makes no node)
            self.made[id(node)] = value
            return value
        if isinstance(node, Var):
            out = self.leaves[node.name]
        else:
            out = self.apply(node, [self.forward(c) for c in children(node)])
        self.made[id(node)] = out
        if not isinstance(node, Var):
            self.order.append(node)
            self.tensors.append(out)
        return out

    def apply(self, node: Node, args: list[Any]) -> Any:
        """The part's own torch operation on its inputs (tensors, or Python numbers for constant parts)."""
        torch = self.torch
        if isinstance(node, Neg):
            return -args[0]
        if isinstance(node, Call):
            args = [a if isinstance(a, torch.Tensor) else torch.tensor(a, dtype=torch.float64) for a in args]
            return FUNCTIONS[node.name].torch(torch, *args)
        assert isinstance(node, BinOp)
        a, b = args
        return {"add": lambda: a + b, "sub": lambda: a - b, "mul": lambda: a * b, "div": lambda: a / b,
                "pow": lambda: a ** b}[node.op]()

    def exact(self, node: Node) -> Any:
        from ..mathlang.sym import expand_elements

        names = variables(node)
        env = {n: [self.symbols[n]] for n in names}
        return expand_elements(node, env, dict.fromkeys(names, False))[0][0]

    # -- backward, exactly, beside torch's
    def report(self, tree: Node, text: str, point: dict[str, float]) -> Walk:
        sp = self.sp
        upstream: dict[int, Any] = {id(tree): sp.Integer(1)}
        nodes: list[WalkNode] = []
        flows: dict[str, list[Any]] = {n: [] for n in self.leaves}
        problems: list[str] = []
        place = {id(node): i for i, node in enumerate(reversed(self.order))}
        for node in reversed(self.order):            # torch's engine: the latest created first
            up = upstream.get(id(node), sp.Integer(0))
            tensor = self.made[id(node)]
            value = _real(self.exact(node).xreplace(self.exact_at), node)
            wn = WalkNode(tree_text(node), self.grad_fn_chain(node), value, _real(up, node), self.grads[id(tensor)])
            if not _close(wn.upstream, wn.upstream_torch):
                problems.append(_("the gradient reaching {part}: {exact} exactly, torch {torch}").format(
                    part=wn.part, exact=f"{wn.upstream:.10g}", torch=wn.upstream_torch))
            for child, local in self.locals(node):
                value = local.xreplace(self.exact_at)
                sends = up * value
                wn.edges.append(Edge(tree_text(child), _text(local), _real(value, node), _real(sends, node),
                                     node=place.get(id(child))))
                if isinstance(child, Var):
                    flows[child.name].append(sends)
                else:
                    upstream[id(child)] = upstream.get(id(child), sp.Integer(0)) + sends
            self.check_locals(node, wn, problems)
            nodes.append(wn)
        listed = [id(n) for n in reversed(self.order)]
        if [k for k in self.ran if k in set(listed)] != listed:
            problems.append(_("torch ran the nodes in another order than listed"))
        leaves = []
        for name, tensor in self.leaves.items():
            grad = sum(flows[name], start=sp.Integer(0))
            leaf = Leaf(name, [float(f) for f in flows[name]], _real(grad, Var(name)), self.grads[id(tensor)])
            if not _close(leaf.grad, leaf.grad_torch):
                problems.append(_("{name}.grad: {exact} exactly, torch {torch}").format(
                    name=name, exact=f"{leaf.grad:.10g}", torch=leaf.grad_torch))
            leaves.append(leaf)
        return Walk(text, point, nodes, leaves, problems)

    def locals(self, node: Node) -> list[tuple[Node, Any]]:
        """(input, d(part)/d(input)) for each input that depends on a variable, as a formula in the leaves."""
        sp = self.sp
        inputs = [c for c in children(node) if variables(c)]
        if not inputs:
            return []
        holders = [sp.Dummy(f"in{i}", real=True) for i in range(len(children(node)))]
        kids = children(node)
        env_exprs = [holders[i] if variables(c) else self.exact(c) for i, c in enumerate(kids)]
        part = _apply(sp, node, env_exprs)
        real = {holders[i]: self.exact(c) for i, c in enumerate(kids) if variables(c)}
        from ..mathlang.sym import derivative

        return [(c, derivative(part, holders[i]).xreplace(real)) for i, c in enumerate(kids) if variables(c)]

    def check_locals(self, node: Node, wn: WalkNode, problems: list[str]) -> None:
        """torch's own local derivatives, one per edge (the part's operation run again on a detached copy of
        each input: x + x^2 has the local derivative 1 along its edge to x, whatever x^2 adds), and the links
        (each input's grad_fn among the part's next_functions, through the function's own chain)."""
        torch = self.torch
        out = self.made[id(node)]
        reach = self.reachable(out.grad_fn)
        kids = children(node)
        copies = [self.made[id(c)].detach().requires_grad_() if variables(c) else self.made[id(c)] for c in kids]
        again = self.apply(node, copies)
        inputs = [c for c, k in zip(copies, kids) if variables(k)]
        grads = torch.autograd.grad(again, inputs, allow_unused=True)
        for edge, child, g in zip(wn.edges, [c for c in kids if variables(c)], grads):
            t = self.leaves[child.name] if isinstance(child, Var) else self.made[id(child)]
            if t.grad_fn is None:          # a leaf: torch links its AccumulateGrad node
                linked = any(getattr(fn, "variable", None) is t for fn in reach)
            else:
                linked = t.grad_fn in reach
            wn.linked = wn.linked and linked
            edge.local_torch = _float(g)
            if not _close(edge.local_value, edge.local_torch):
                problems.append(_("d({part})/d({input}): {exact} exactly, torch {torch}").format(
                    part=wn.part, input=edge.to, exact=f"{edge.local_value:.10g}", torch=edge.local_torch))
        if not wn.linked:
            problems.append(_("{part}: an input is not among torch's next_functions").format(part=wn.part))

    def reachable(self, fn: Any) -> list[Any]:
        """The nodes below ``fn`` up to (and including) the first node of another part or a leaf."""
        others = {id(self.made[id(n)].grad_fn) for n in self.order}
        found, stack = [], [f for f, _i in fn.next_functions if f is not None]
        while stack:
            f = stack.pop()
            found.append(f)
            if id(f) not in others and type(f).__name__ != "AccumulateGrad":
                stack.extend(g for g, _i in f.next_functions if g is not None)
        return found

    def grad_fn_chain(self, node: Node) -> str:
        """torch's node for the part; where the function takes several torch operations (sec = 1/cos), the
        chain down to its input's node."""
        fn = self.made[id(node)].grad_fn
        names = [fn.name()]
        others = {id(self.made[id(n)].grad_fn) for n in self.order if n is not node}
        inner = [f for f, _i in fn.next_functions if f is not None and id(f) not in others
                 and type(f).__name__ != "AccumulateGrad"]
        while len(inner) == 1:
            names.append(inner[0].name())
            inner = [f for f, _i in inner[0].next_functions if f is not None and id(f) not in others
                     and type(f).__name__ != "AccumulateGrad"]
        return " <- ".join(names)


def _apply(sp: Any, node: Node, args: list[Any]) -> Any:
    if isinstance(node, Neg):
        return -args[0]
    if isinstance(node, Call):
        fn = FUNCTIONS[node.name]
        if fn.name == "dot":
            return args[0] * args[1]
        if fn.reduces:
            return args[0]
        return fn.sympy_function()(*args)
    assert isinstance(node, BinOp)
    a, b = args
    return {"add": a + b, "sub": a - b, "mul": a * b, "div": a / b, "pow": a ** b}[node.op]


def _real(value: Any, node: Node) -> float:
    """A value of the walk as a float; a TutorError where it is not a real, finite number (log(x) at 0)."""
    import math

    import sympy

    try:
        found = complex(sympy.N(value))
    except (TypeError, ValueError):
        found = complex("nan")
    if found.imag != 0 or not math.isfinite(found.real):
        raise TutorError(_("{part} (or its derivative) is not a real, finite number at this point: there is no "
                           "backward pass to walk there").format(part=tree_text(node)), code="walk.undefined")
    return found.real


def _float(t: Any) -> float | None:
    return None if t is None else float(t.detach().reshape(-1)[0])


def _text(expr: Any) -> str:
    from ..mathlang.sym import to_text

    return to_text(expr)


def dot(w: Walk) -> str:
    """The graph as Graphviz DOT: a box per part (its grad_fn, value and gradient), an ellipse per leaf (its
    .grad); each edge labelled with what flows along it in the backward pass."""
    def q(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = ["digraph backward {", "  rankdir=BT;", '  node [fontname="monospace"];']
    for i, n in enumerate(w.nodes):
        label = f"{n.part} | {n.grad_fn} | value {n.value:.6g} | grad {n.upstream:.6g}"
        lines.append(f"  n{i} [shape=box, label={q(label)}];")
    for lf in w.leaves:
        lines.append(f"  leaf_{lf.name} [shape=ellipse, label={q(f'{lf.name} | grad {lf.grad:.6g}')}];")
    for i, n in enumerate(w.nodes):
        for e in n.edges:
            src = f"leaf_{e.to}" if e.node is None else f"n{e.node}"
            lines.append(f"  {src} -> n{i} [label={q(f'{e.sends:.6g}')}];")
    lines.append("}")
    return "\n".join(lines)


__all__ = ["Edge", "Leaf", "Walk", "WalkNode", "dot", "walk"]
