"""``{ backward = "y", retain_graph = true, gradient = "1, 0.5" }``: y.backward(...)."""
from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from . import Step, walk

if TYPE_CHECKING:
    from ..build import BuildContext
    from ..render import CodeWriter
    from ..simulate import Simulation, Tensor


@dataclass(frozen=True)
class Backward(Step):
    key: ClassVar[str] = "backward"
    options: ClassVar[tuple[str, ...]] = ("retain_graph", "gradient")
    order: ClassVar[int] = 20
    example: ClassVar[str] = '{ backward = "y" }'
    renders: ClassVar[str] = '`y.backward()`; add `retain_graph = true`, `gradient = "1, 0.5"`'

    name: str
    retain_graph: bool = False
    gradient: tuple[tuple[Any, ...], bool] | None = None     # (values, is a vector)

    @classmethod
    def parse(cls, table: dict[str, Any], ctx: BuildContext, path: str) -> Backward:
        name = ctx.defined_name(table["backward"], f"{path}.backward")
        gradient = None
        if "gradient" in table:
            values, vector = ctx.numbers(table["gradient"], f"{path}.gradient")
            gradient = (tuple(values), vector)
        return cls(name, ctx.flag(table, "retain_graph", path, False), gradient)

    def simulate(self, sim: Simulation) -> None:
        from ..model import ERR_NO_GRAD_FN, ERR_SECOND_BACKWARD
        from ..simulate import BackwardEvent, ScenarioError

        y = sim.tensors[self.name]
        if not y.requires_grad:
            if self.gradient is not None:
                self._weights(sim, y)       # torch checks a gradient's shape first (a misshapen one raises)
            raise ScenarioError("RuntimeError", ERR_NO_GRAD_FN)
        v = self._weights(sim, y)
        if y.leaf:
            # backward of a leaf that requires grad: its .grad receives the gradient itself
            sim.backward_calls += 1
            sim.accumulate(y, v)
            sim.events.append(BackwardEvent(y.name, sim.leaf_grads()))
            return
        graph = [y, *sim.ancestors(y)]
        # torch runs the graph from the latest operation back, and stops at the first that cannot: its saved
        # tensors freed by an earlier backward, or a leaf it kept changed in place since
        freed = any(t.freed for t in graph) and not sim.believes("graph_kept")
        every_freed = freed and sim.believes("second_backward_raises")
        for t in sorted(graph, key=lambda t: t.created, reverse=True):
            if freed and t.freed and (t.saves or every_freed):
                raise ScenarioError("RuntimeError", ERR_SECOND_BACKWARD)
            for leaf, symbols in t.saved:
                if leaf.symbols is not symbols:
                    raise ScenarioError("RuntimeError", version_error(sim, leaf, symbols))
        sim.backward_calls += 1
        if sim.observer is not None:
            sim.observer.backward(self, y, [y, *sim.ancestors(y)], v)
        self._propagate(sim, y, v)
        if not self.retain_graph:
            for t in graph:
                t.freed = True
        sim.events.append(BackwardEvent(y.name, sim.leaf_grads()))

    def _weights(self, sim: Simulation, y: Tensor) -> list[Any]:
        """The v of y.backward(v) (1 for a scalar), or torch's error for a missing or misshapen v."""
        from ..model import ERR_SCALAR
        from ..simulate import ScenarioError

        if self.gradient is None:
            if len(y.values) != 1:
                raise ScenarioError("RuntimeError", ERR_SCALAR)
            return [sim.sp.Integer(1)]
        values, vector = self.gradient
        if sim.believes("gradient_ignored"):
            values = tuple(sim.sp.Integer(1) for _v in values)
        if len(values) != len(y.values) or vector != y.vector:
            shape_g = f"torch.Size([{len(values)}])" if vector else "torch.Size([])"
            shape_y = f"torch.Size([{len(y.values)}])" if y.vector else "torch.Size([])"
            raise ScenarioError("RuntimeError", f"Mismatch in shape: grad_output[0] has a shape of "
                                                f"{shape_g} and output[0] has a shape of {shape_y}.")
        return list(values)

    def _propagate(self, sim: Simulation, y: Tensor, v: list[Any]) -> None:
        """The chain rule: every leaf in the graph, and the non-leaves that retain their grad."""
        sp = sim.sp
        assert y.expr is not None and y.at is not None
        loss = sum((vi * e for vi, e in zip(v, y.expr)), start=sp.Integer(0))
        present = loss.free_symbols
        for name in sorted(y.leaves):
            t = sim.tensors[name]
            # every leaf in the graph gets a .grad, even an identically zero one (x - x); the graph may hold
            # several of its versions (values it had before an in-place update): their gradients add up
            elems = tuple(tuple(v[i] for v in t.versions if v[i] in present) for i in range(len(t.values)))
            key = (loss, elems, frozenset(y.at.items()))
            if key not in sim.memo:          # the same point in another run of this draw: computed once
                canon, rename = _canonical(loss)
                at = {rename[s]: value for s, value in y.at.items() if s in rename}
                sim.memo[key] = [sum((_derivative(canon, rename[e]).xreplace(at) for e in es), start=sp.Integer(0))
                                 for es in elems]
            sim.accumulate(t, sim.memo[key])
        # non-leaf tensors that retain their grad (or all, under the nonleaf_grad belief)
        for t in list(sim.tensors.values()):
            if t.leaf or t is y or not t.requires_grad or not (t.retains or sim.believes("nonleaf_grad")):
                continue
            g = sim.grad_wrt_nonleaf(y, t, v)
            if g is not None:
                sim.accumulate(t, g)
        if y.retains or sim.believes("nonleaf_grad"):
            sim.accumulate(y, list(v))

    def render(self, out: CodeWriter) -> None:
        from ..render import literals

        args = []
        if self.gradient is not None:
            dtype = ", dtype=torch.float64" if out.dtype == "float64" else ""     # (not rounded to float32)
            args.append(f"gradient=torch.tensor({literals(*self.gradient)}{dtype})")
        if self.retain_graph:
            args.append("retain_graph=True")
        out.line(f"{self.name}.backward({', '.join(args)})")


def version_error(sim: Simulation, leaf: Tensor, symbols: list[Any] | None) -> str:
    """torch's message for a kept leaf changed in place: every update in place adds 1 to its version."""
    from ..model import ERR_VERSION

    kind = "DoubleTensor" if sim.scenario.dtype == "float64" else "FloatTensor"
    shape = str(len(leaf.values)) if leaf.vector else ""
    now, then = len(leaf.versions) - 1, next(i for i, v in enumerate(leaf.versions) if v is symbols)
    return (f"{ERR_VERSION}: [torch.{kind} [{shape}]] is at version {now}; expected version {then} instead. Hint: "
            "enable anomaly detection to find the operation that failed to compute its gradient, with "
            "torch.autograd.set_detect_anomaly(True, check_nan=False).")


def _canonical(loss: Any) -> tuple[Any, dict[Any, Any]]:
    """``loss`` over symbols named by their place, not their generation: x[0]#3 and x[0]#4 (the leaf before
    and after an update) are both the first x[0] of their loss, so every iteration of a loop differentiates
    the same expression, once (see :func:`_derivative`)."""

    def place(s: Any) -> tuple[str, int]:
        base, _mark, generation = s.name.partition("#")
        return base, int(generation) if generation.isdigit() else 0

    rename: dict[Any, Any] = {}
    rank: dict[str, int] = {}
    for s in sorted(loss.free_symbols, key=place):
        base = place(s)[0]
        rank[base] = rank.get(base, -1) + 1
        rename[s] = _placeholder(f"{base}~{rank[base]}")
    return loss.xreplace(rename), rename


@functools.lru_cache(maxsize=1024)
def _placeholder(name: str) -> Any:
    import sympy

    return sympy.Symbol(name, real=True)


@functools.lru_cache(maxsize=4096)
def _derivative(loss: Any, element: Any) -> Any:
    """d loss / d element, symbolically: the same graph in every loop iteration (and every variant of an
    exercise) differentiates once; the values come in with ``xreplace``."""
    import sympy

    return sympy.diff(loss, element)


def backward_roots(steps: Sequence[Step]) -> list[str]:
    """The tensors backward() is called on, in program order."""
    return [s.name for s in walk(steps) if isinstance(s, Backward)]
