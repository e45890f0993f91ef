"""The exact simulation of a scenario, with sympy: values, .grad, is_leaf, freed graphs, torch's errors.

The step classes do the work (:meth:`Step.simulate`); :class:`Simulation`
holds the state they share and the rules every step obeys the same way
(how a gradient lands in ``.grad``, how an update moves a leaf).  Beliefs
switch one rule off or on, which gives the answer a learner holding that
misconception predicts.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ...foundation.errors import TutorError
from ...foundation.i18n import _
from .model import Answer, Ask, Scenario
from .steps import Step

BELIEFS = (
    "overwrite",             # backward() overwrites .grad
    "zero_anywhere",         # a zeroing anywhere in the loop body acts before backward
    "zero_grad_zeros",       # optimizer.zero_grad() leaves zeros (not None)
    "mean_is_sum",           # mean() does not divide by n
    "gradient_ignored",      # backward(v) gives the plain derivative
    "no_grad_ignored",       # no_grad / decorator / set_grad_enabled(False) change nothing
    "graph_kept",            # a second backward never needs retain_graph
    "second_backward_raises",  # every second backward raises (even without saved tensors)
    "nonleaf_grad",          # non-leaf tensors get .grad too
    "sign",                  # the update adds lr * grad
    "loop_plus_one",         # loops run one more time
    "loop_minus_one",        # loops run one time fewer
)


class ScenarioError(Exception):
    """A torch exception the simulated program raises."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass
class Tensor:
    """A tensor of the simulated program."""

    name: str
    values: list[Any]
    vector: bool
    leaf: bool
    requires_grad: bool
    grad: list[Any] | None = None
    expr: list[Any] | None = None    # non-leaf: per-element sympy expressions in element symbols
    at: dict[Any, Any] | None = None  # non-leaf: element-symbol values when it was computed
    saves: bool = False              # its graph saves tensors (a second backward raises)
    freed: bool = False
    retains: bool = False
    inputs: set[str] = field(default_factory=set)    # non-leaf tensors it was computed from (directly)
    leaves: set[str] = field(default_factory=set)    # leaves requiring grad it depends on (through the graph)


@dataclass(frozen=True)
class BackwardEvent:
    """After a backward call: every leaf's .grad."""

    of: str
    grads: dict[str, list[Any] | None]


@dataclass(frozen=True)
class UpdateEvent:
    """After an update: the new values of the parameters it moved."""

    values: dict[str, list[Any]]


@dataclass
class Run:
    answer: Answer
    events: list[BackwardEvent | UpdateEvent]
    backward_calls: int
    consulted: frozenset[str] = frozenset()      # the beliefs a step asked about (see Simulation.believes)
    final: Simulation | None = field(default=None, repr=False, compare=False)   # the state at the end

    def backward_events(self) -> list[BackwardEvent]:
        return [e for e in self.events if isinstance(e, BackwardEvent)]

    @property
    def memo(self) -> dict[Any, Any]:
        """The gradients this run took (see :func:`simulate`)."""
        assert self.final is not None
        return self.final.memo

    def read(self, ask: Ask) -> Answer:
        """The answer of the same program printing ``ask`` instead (the same run: only the print differs)."""
        assert self.final is not None
        return self.answer if self.final.raised else self.final.read(ask)


def simulate(s: Scenario, beliefs: Iterable[str] = (), memo: dict[Any, Any] | None = None) -> Run:
    """Run the scenario exactly; ``beliefs`` switch on misconceptions (see BELIEFS).

    ``memo``: another run's :attr:`Run.memo` (of the same scenario, or a variant of it): the gradients
    both runs take at the same point are not differentiated again.
    """
    return Simulation(s, frozenset(beliefs), memo).run()


class Simulation:
    def __init__(self, s: Scenario, beliefs: frozenset[str], memo: dict[Any, Any] | None = None):
        import sympy

        self.memo: dict[Any, Any] = {} if memo is None else memo    # (loss, symbols, point) -> gradients

        self.sp = sympy
        self.scenario = s
        self.beliefs = beliefs
        self.tensors: dict[str, Tensor] = {}
        self.grad_enabled = True
        self.events: list[BackwardEvent | UpdateEvent] = []
        self.backward_calls = 0
        self._symbols: dict[tuple[str, int], Any] = {}
        self.consulted: set[str] = set()
        self.raised = False

    def believes(self, belief: str) -> bool:
        """Every rule a belief changes asks here, so a run that never asked about a belief is, step for
        step, the run with that belief switched on too (the same answer, not simulated again)."""
        self.consulted.add(belief)
        return belief in self.beliefs

    def sym(self, name: str, i: int) -> Any:
        key = (name, i)
        if key not in self._symbols:
            self._symbols[key] = self.sp.Symbol(f"{name}[{i}]", real=True)
        return self._symbols[key]

    def run(self) -> Run:
        for leaf in self.scenario.leaves:
            self.tensors[leaf.name] = Tensor(leaf.name, list(leaf.values), leaf.vector, True, leaf.requires_grad)
        try:
            self.run_steps(self.scenario.steps)
            answer = self.read(self.scenario.ask)
        except ScenarioError as exc:
            self.raised = True
            answer = Answer.raised(exc.kind, exc.message)
        return Run(answer, self.events, self.backward_calls, frozenset(self.consulted), self)

    def run_steps(self, steps: Sequence[Step]) -> None:
        if any(s.zeroing for s in steps) and self.believes("zero_anywhere"):     # (it moves zeroing steps)
            steps = zero_first(steps)
        for step in steps:
            step.simulate(self)

    # -- rules every step shares
    def accumulate(self, t: Tensor, g: list[Any]) -> None:
        """A gradient lands in .grad: added (torch), or written over (the overwrite belief)."""
        if t.grad is None or self.believes("overwrite"):
            t.grad = list(g)
        else:
            t.grad = [a + b for a, b in zip(t.grad, g)]

    def move(self, t: Tensor, lr: Any) -> None:
        """Gradient descent: x -= lr * x.grad (adds, under the sign belief)."""
        assert t.grad is not None
        sign = 1 if self.believes("sign") else -1
        t.values = [v + sign * lr * g for v, g in zip(t.values, t.grad)]

    def leaf_grads(self) -> dict[str, list[Any] | None]:
        return {n: (None if t.grad is None else list(t.grad))
                for n, t in self.tensors.items() if t.leaf and t.requires_grad}

    def ancestors(self, y: Tensor) -> list[Tensor]:
        """The non-leaf tensors y was computed from, through the whole graph."""
        seen: list[Tensor] = []
        stack = list(y.inputs)
        while stack:
            t = self.tensors[stack.pop()]
            if t not in seen:
                seen.append(t)
                stack.extend(t.inputs)
        return seen

    def grad_wrt_nonleaf(self, y: Tensor, t: Tensor, v: list[Any]) -> list[Any] | None:
        """d(sum v*y)/dt for a non-leaf t that y was computed from (None if unrelated)."""
        sp = self.sp
        assert t.expr is not None and y.expr is not None and y.at is not None
        # substitute t's element expressions by fresh symbols in y's expressions
        stand = [sp.Dummy(f"{t.name}{i}") for i in range(len(t.values))]
        mapping = {e: stand[i] for i, e in enumerate(t.expr)}
        replaced = [e.subs(mapping) for e in y.expr]
        loss = sum((vi * e for vi, e in zip(v, replaced)), start=sp.Integer(0))
        if not any(loss.has(s) for s in stand):
            return None
        at = dict(y.at)
        at.update({stand[i]: t.values[i] for i in range(len(stand))})
        return [sp.diff(loss, s).xreplace(at) for s in stand]

    # -- the printed value
    def read(self, ask: Ask) -> Answer:
        t = self.tensors[ask.name]
        if ask.attr == "is_leaf":
            return Answer.boolean(t.leaf)
        if ask.attr == "requires_grad":
            return Answer.boolean(t.requires_grad)
        if ask.attr == "grad":
            if t.grad is None:
                return Answer("none")
            values = t.grad
        else:
            values = t.values
        vector = t.vector
        if ask.index is not None:
            if not vector or ask.index >= len(values):
                raise TutorError(_("ask: {ask} indexes outside the tensor").format(ask=ask),
                                 code="scenario.ask-index")
            values, vector = [values[ask.index]], False
        return Answer.number(values, vector)


def zero_first(steps: Sequence[Step]) -> Sequence[Step]:
    """Belief 'zero_anywhere': zeroing steps in a body act before its backward.

    The learner pictures zeroing that works: guarded, before the backward.
    """
    from .steps.backward import Backward

    zeros = [s.guarded() for s in steps if s.zeroing]
    if not zeros:
        return steps
    rest = [s for s in steps if not s.zeroing]
    first_backward = next((i for i, s in enumerate(rest) if isinstance(s, Backward)), len(rest))
    return [*rest[:first_backward], *zeros, *rest[first_backward:]]
