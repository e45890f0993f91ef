"""Running a walk: the program in torch one operation at a time, and each part's exact values, local
derivatives (Jacobians) and gradients from sympy beside torch's."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...foundation.errors import TutorError
from ...foundation.i18n import _
from ...mathlang.functions import FUNCTIONS
from ...mathlang.printing import tree_text
from ...mathlang.tree import BinOp, Call, Const, Neg, Node, Num, Var, children, variables
from .model import Edge, Input, Leaf, Value, Walk, WalkNode, close
from .text import brief as _brief


def _recorder(ran: list[int], key: int) -> Any:
    def hook(_grads: Any) -> None:
        ran.append(key)

    return hook


def _shown(values: Sequence[Any], vector: bool) -> Value:
    out = [float(v) for v in values]
    return out if vector else out[0]


def _with_children(node: Node, kids: Sequence[Node]) -> Node:
    if isinstance(node, Neg):
        return Neg(kids[0])
    if isinstance(node, BinOp):
        return BinOp(node.op, kids[0], kids[1])
    assert isinstance(node, Call)
    return Call(node.name, tuple(kids))


class _Run:
    def __init__(self, torch: Any, sympy: Any, inputs: Sequence[Input]):
        self.torch, self.sp = torch, sympy
        self.inputs = {i.name: i for i in inputs}
        self.symbols: dict[str, list[Any]] = {}      # a leaf's element symbols
        self.point: dict[Any, Any] = {}              # each symbol's exact value
        self.env: dict[str, list[Any]] = {}          # each name's elements, exact (leaves: their symbols)
        self.vector_of: dict[str, bool] = {}
        self.leaves: dict[str, Any] = {}             # leaves requiring grad: their torch tensors
        self.constants: dict[str, Any] = {}          # constant tensors
        for i in inputs:
            self.vector_of[i.name] = i.vector
            data = [float(v) for v in i.values]
            tensor = torch.tensor(data if i.vector else data[0], dtype=torch.float64)
            if i.requires_grad:
                syms = [sympy.Symbol(f"{i.name}[{k}]" if i.vector else i.name, real=True)
                        for k in range(len(i.values))]
                self.symbols[i.name] = syms
                self.point.update(zip(syms, i.values))
                self.env[i.name] = syms
                self.leaves[i.name] = tensor.requires_grad_()
            else:
                self.env[i.name] = list(i.values)
                self.constants[i.name] = tensor
        self.results: dict[str, Node] = {}           # a named result: the root of its tree
        self.used: set[str] = set()                  # the inputs the program reads
        self.made: dict[int, Any] = {}          # id(node) -> its tensor (or a Python number for a constant part)
        self.order: list[Node] = []             # the parts with a tensor of their own, in creation order
        self.tensors: list[Any] = []
        self.grads: dict[int, Value | None] = {}    # each tensor's .grad after the backward pass
        self.ran: list[int] = []                    # id(part) in the order torch ran their nodes
        self._exact: dict[int, tuple[list[Any], bool]] = {}

    # -- forward: one torch operation per part, as the rendered code does it
    def define(self, name: str | None, tree: Node) -> Any:
        unknown = sorted(v for v in variables(tree) if v not in self.inputs and v not in self.results)
        if unknown:
            raise TutorError(_("no value for {names}").format(names=", ".join(unknown)), code="walk.no-value")
        self.used |= {v for v in variables(tree) if v in self.inputs}
        out = self.forward(tree)
        if name is not None:
            self.results[name] = tree
            self.env[name], self.vector_of[name] = self.exact_vector(tree)
        return out

    def tracked(self, node: Node) -> bool:
        """Does the part depend on a leaf that requires grad (so torch gives it a node of its own)?"""
        return any(v in self.leaves or v in self.results for v in variables(node))

    def forward(self, node: Node) -> Any:
        if isinstance(node, Var):
            return self.made_of(node)          # a leaf, a constant tensor, or a result computed before
        if not variables(node):
            value = _real(self.exact(node)[0], node)    # a constant part: a Python number (torch makes no node)
            self.made[id(node)] = value
            return value
        out = self.apply(node, [self.forward(c) for c in children(node)])
        self.made[id(node)] = out
        if self.tracked(node):
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

    def exact_vector(self, node: Node) -> tuple[list[Any], bool]:
        """The part's elements, exact, over the leaves' symbols (and whether it is a vector)."""
        from ...mathlang.sym import expand_elements

        key = id(node)
        if key not in self._exact:
            self._exact[key] = expand_elements(node, self.env, self.vector_of)
        return self._exact[key]

    def exact(self, node: Node) -> list[Any]:
        return self.exact_vector(node)[0]

    def vector(self, node: Node) -> bool:
        return self.exact_vector(node)[1]

    def value(self, node: Node) -> Value:
        elements, vector = self.exact_vector(node)
        return _shown([_real(e.xreplace(self.point), node) for e in elements], vector)

    # -- backward, exactly, beside torch's
    def key(self, node: Node) -> int:
        """A part's key: a name read by a later step stands for the root of the step that computed it."""
        if isinstance(node, Var) and node.name in self.results:
            return id(self.results[node.name])
        return id(node)

    def report(self, tree: Node, text: str, point: dict[str, Value], weights: list[Any]) -> Walk:
        sp = self.sp
        upstream: dict[int, list[Any]] = {id(tree): list(weights)}
        nodes: list[WalkNode] = []
        flows: dict[str, list[list[Any]]] = {n: [] for n in self.leaves if n in self.used}
        problems: list[str] = []
        place = {id(node): i for i, node in enumerate(reversed(self.order))}
        names = {id(root): name for name, root in self.results.items()}
        for node in reversed(self.order):            # torch's engine: the latest created first
            size = len(self.exact(node))
            up = upstream.get(id(node), [sp.Integer(0)] * size)
            tensor = self.made[id(node)]
            vector = self.vector(node)
            wn = WalkNode(tree_text(node), self.grad_fn_chain(node), self.value(node),
                          _shown([_real(u, node) for u in up], vector), self.grads[id(tensor)],
                          name=names.get(id(node)))
            if not close(wn.upstream, wn.upstream_torch):
                problems.append(_("the gradient reaching {part}: {exact} exactly, torch {torch}").format(
                    part=wn.part, exact=_brief(wn.upstream), torch=_brief(wn.upstream_torch)))
            jacobians = []
            for child, formula, jac in self.locals(node):
                sends = [sum((up[r] * jac[r][c] for r in range(len(jac))), start=sp.Integer(0))
                         for c in range(len(jac[0]))]
                shape = _shape(jac)
                wn.edges.append(Edge(tree_text(child), formula, _compact(jac, shape, node),
                                     _shown([_real(s, node) for s in sends], self.vector(child)),
                                     node=place.get(self.key(child)), shape=shape))
                jacobians.append(jac)
                if isinstance(child, Var) and child.name in self.leaves:
                    flows[child.name].append(sends)
                else:
                    k = self.key(child)
                    before = upstream.get(k)
                    upstream[k] = sends if before is None else [a + b for a, b in zip(before, sends)]
            self.check_locals(node, wn, jacobians, problems)
            nodes.append(wn)
        listed = [id(n) for n in reversed(self.order)]
        if [k for k in self.ran if k in set(listed)] != listed:
            problems.append(_("torch ran the nodes in another order than listed"))
        leaves = []
        for name, tensor in self.leaves.items():
            if name not in flows:
                continue
            vector = self.vector_of[name]
            size = len(self.symbols[name])
            total = [sum((f[k] for f in flows[name]), start=sp.Integer(0)) for k in range(size)]
            leaf = Leaf(name, [_shown([_real(v, Var(name)) for v in f], vector) for f in flows[name]],
                        _shown([_real(v, Var(name)) for v in total], vector), self.grads[id(tensor)])
            if not close(leaf.grad, leaf.grad_torch):
                problems.append(_("{name}.grad: {exact} exactly, torch {torch}").format(
                    name=name, exact=_brief(leaf.grad), torch=_brief(leaf.grad_torch)))
            leaves.append(leaf)
        return Walk(text, point, nodes, leaves, problems)

    def locals(self, node: Node) -> list[tuple[Node, str, list[list[Any]]]]:
        """(input, d(part)/d(input) as a formula, its exact Jacobian at the point) for each input that depends
        on a leaf: the part's own operation over placeholders for its inputs' elements."""
        from ...mathlang.sym import derivative, expand_elements

        sp = self.sp
        kids = children(node)
        live = [i for i, c in enumerate(kids) if self.tracked(c)]
        if not live:
            return []
        env, vector_of = dict(self.env), dict(self.vector_of)
        holders: dict[int, list[Any]] = {}
        at: dict[Any, Any] = {}
        for i in live:
            elements, vector = self.exact_vector(kids[i])
            holders[i] = [sp.Dummy(f"in{i}_{k}", real=True) for k in range(len(elements))]
            env[f"__in{i}"], vector_of[f"__in{i}"] = holders[i], vector
            at.update(zip(holders[i], (e.xreplace(self.point) for e in elements)))
        shallow = _with_children(node, [Var(f"__in{i}") if i in live else c for i, c in enumerate(kids)])
        part = expand_elements(shallow, env, vector_of)[0]
        out = []
        for i in live:
            zero = sp.Integer(0)
            jac = [[derivative(p, h).xreplace(at) if h in p.free_symbols else zero for h in holders[i]]
                   for p in part]      # (an element that does not use an input element: 0, not differentiated)
            out.append((kids[i], self.formula(node, i), jac))
        return out

    def formula(self, node: Node, i: int) -> str:
        """d(part)/d(input i) as the learner would write it, in the program's names (a vector's name stands
        for each of its elements)."""
        from ...mathlang.sym import derivative, to_text

        sp = self.sp
        kids = children(node)
        if isinstance(node, Call) and FUNCTIONS[node.name].reduces:
            n = len(self.exact(kids[0]))
            return "1" if node.name == "sum" else str(to_text(sp.Rational(1, n)))
        holders = [sp.Dummy(f"in{k}", real=True) for k in range(len(kids))]
        part = _apply(sp, node, [holders[k] if self.tracked(c) else self.generic(c) for k, c in enumerate(kids)])
        real = {holders[k]: self.generic(c) for k, c in enumerate(kids) if self.tracked(c)}
        return str(to_text(derivative(part, holders[i]).xreplace(real)))

    def generic(self, node: Node) -> Any:
        """The part as a formula in the program's names (each name a symbol: a result read by name is not
        expanded; a reduction is kept as the function)."""
        sp = self.sp

        def ev(n: Node) -> Any:
            if isinstance(n, Num):
                return n.value
            if isinstance(n, Const):
                return sp.pi if n.name == "pi" else sp.E
            if isinstance(n, Var):
                return sp.Symbol(n.name, real=True)
            if isinstance(n, Call) and FUNCTIONS[n.name].reduces:
                from ...mathlang.sym import VMean, VSum

                return (VMean if n.name == "mean" else VSum)(ev(n.args[0]))
            return _apply(sp, n, [ev(c) for c in children(n)])

        return ev(node)

    def check_locals(self, node: Node, wn: WalkNode, jacobians: list[list[list[Any]]],
                     problems: list[str]) -> None:
        """torch's own local derivatives, one per edge (the part's operation run again on a detached copy of
        each input: x + x^2 has the local derivative 1 along its edge to x, whatever x^2 adds), its whole
        Jacobian against sympy's, and the links (each input's grad_fn among the part's next_functions, through
        the function's own chain)."""
        torch = self.torch
        out = self.made[id(node)]
        reach = self.reachable(out.grad_fn)
        kids = children(node)
        live = [c for c in kids if self.tracked(c)]
        copies = [self.made_of(c).detach().requires_grad_() if self.tracked(c) else self.made_of(c) for c in kids]
        again = self.apply(node, copies).reshape(-1)
        inputs = [cp for cp, k in zip(copies, kids) if self.tracked(k)]
        rows = [torch.autograd.grad(again[r], inputs, allow_unused=True, retain_graph=True)
                for r in range(again.numel())]
        for j, (edge, child, jac) in enumerate(zip(wn.edges, live, jacobians)):
            size = len(jac[0])
            torch_jac = [[0.0] * size if row[j] is None else [float(v) for v in row[j].reshape(-1)] for row in rows]
            exact_jac = [[_real(v, node) for v in r] for r in jac]
            t = self.made_of(child)
            if t.grad_fn is None:          # a leaf: torch links its AccumulateGrad node
                linked = any(getattr(fn, "variable", None) is t for fn in reach)
            else:
                linked = t.grad_fn in reach
            wn.linked = wn.linked and linked
            edge.local_torch = _compact(torch_jac, edge.shape, node)
            if not all(close(a, b) for ra, rb in zip(exact_jac, torch_jac) for a, b in zip(ra, rb)):
                problems.append(_("d({part})/d({input}): {exact} exactly, torch {torch}").format(
                    part=wn.part, input=edge.to, exact=_brief(edge.local_value), torch=_brief(edge.local_torch)))
        if not wn.linked:
            problems.append(_("{part}: an input is not among torch's next_functions").format(part=wn.part))

    def made_of(self, node: Node) -> Any:
        """The tensor (or number) a child of a part stands for."""
        if isinstance(node, Var):
            if node.name in self.results:
                return self.made[id(self.results[node.name])]
            out = self.leaves.get(node.name)
            return out if out is not None else self.constants[node.name]
        return self.made[id(node)]

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


def _shape(jac: list[list[Any]]) -> str:
    rows, cols = len(jac), len(jac[0])
    if rows == 1 and cols == 1:
        return "scalar"
    if rows == cols and all(jac[r][c] == 0 for r in range(rows) for c in range(cols) if r != c):
        return "elementwise"
    if rows == 1:
        return "reduce"
    if cols == 1:
        return "broadcast"
    return "matrix"


def _compact(jac: list[list[Any]], shape: str, node: Node) -> Value:
    """A Jacobian as shown: its one number, its diagonal, its one row or column, or the matrix."""
    def num(v: Any) -> float:
        return v if isinstance(v, float) else _real(v, node)

    if shape == "scalar":
        return num(jac[0][0])
    if shape == "elementwise":
        return [num(jac[k][k]) for k in range(len(jac))]
    if shape == "reduce":
        return [num(v) for v in jac[0]]
    if shape == "broadcast":
        return [num(r[0]) for r in jac]
    return [[num(v) for v in r] for r in jac]


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


def _values(t: Any) -> Value | None:
    """A tensor's numbers: a float for one number, a list for a vector (None for no tensor)."""
    if t is None:
        return None
    flat = [float(v) for v in t.detach().reshape(-1)]
    return flat if t.dim() > 0 else flat[0]


