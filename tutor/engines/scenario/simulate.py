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


class Names(dict[str, "Tensor"]):
    """The program's tensors by name: a name not assigned yet (in a loop that ran 0 times) is Python's
    NameError where the program reads it."""

    def __missing__(self, name: str) -> Tensor:
        raise ScenarioError("NameError", f"name '{name}' is not defined")


@dataclass(eq=False)
class Tensor:
    """A tensor of the simulated program (each one itself: a name may be given to another tensor later)."""

    name: str
    values: list[Any]
    vector: bool
    leaf: bool
    requires_grad: bool
    grad: list[Any] | None = None
    expr: list[Any] | None = None    # non-leaf: per-element sympy expressions in element symbols
    at: dict[Any, Any] | None = None  # non-leaf: the values of every element symbol in expr (when computed)
    symbols: list[Any] | None = None  # a leaf (or a result that needs no grad): its elements' symbols, of the
    #                                   tensor itself (a name given to another tensor gets new ones) and of its
    #                                   current values (an in-place update gives new ones: see Simulation.move)
    versions: list[list[Any]] = field(default_factory=list)    # every symbols it has had (a leaf's .grad sums)
    saves: bool = False              # its graph saves tensors (a second backward raises)
    saved: list[tuple[Tensor, list[Any] | None]] = field(default_factory=list)   # leaves its graph keeps as
    #                                   they were (their symbols then), in the order backward checks them
    created: int = 0                 # non-leaf: its place in program order (backward runs the latest first)
    freed: bool = False
    retains: bool = False
    inputs: list[Tensor] = field(default_factory=list)   # non-leaf tensors it was computed from (directly)
    stand: list[Any] | None = None   # non-leaf: a symbol per element, for it in the tensors computed from it
    local: list[Any] | None = None   # non-leaf: its elements over its inputs' ``stand`` and the leaves' symbols
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
        """What this run computed: its gradients and forward values (see :func:`simulate`)."""
        assert self.final is not None
        return self.final.memo

    def read(self, ask: Ask) -> Answer:
        """The answer of the same program printing ``ask`` instead (the same run: only the print differs)."""
        assert self.final is not None
        return self.answer if self.final.raised else self.final.printed(ask)


def simulate(s: Scenario, beliefs: Iterable[str] = (), memo: dict[Any, Any] | None = None) -> Run:
    """Run the scenario exactly; ``beliefs`` switch on misconceptions (see BELIEFS).

    ``memo``: another run's :attr:`Run.memo` (of the same scenario, or a variant of it): the gradients
    both runs take at the same point are not differentiated again, nor the same forward values computed.
    """
    return Simulation(s, frozenset(beliefs), memo).run()


class Simulation:
    def __init__(self, s: Scenario, beliefs: frozenset[str], memo: dict[Any, Any] | None = None):
        import sympy

        # (loss, symbols, point) -> gradients; ("forward", expressions, point) -> a forward step's values
        self.memo: dict[Any, Any] = {} if memo is None else memo

        self.sp = sympy
        self.scenario = s
        self.beliefs = beliefs
        self.tensors: dict[str, Tensor] = Names()
        self.grad_enabled = True
        self.events: list[BackwardEvent | UpdateEvent] = []
        self.backward_calls = 0
        self._generations: dict[str, int] = {}
        self._created = 0
        self.consulted: set[str] = set()
        self.raised = False
        self.observer: Any = None       # sees each tracked result and each backward call (see .backward_walk)

    def believes(self, belief: str) -> bool:
        """Every rule a belief changes asks here, so a run that never asked about a belief is, step for
        step, the run with that belief switched on too (the same answer, not simulated again)."""
        self.consulted.add(belief)
        return belief in self.beliefs

    def next_created(self) -> int:
        self._created += 1
        return self._created

    def symbolize(self, t: Tensor) -> None:
        """New element symbols for a leaf-like tensor (a new tensor, or new values in place): ``x[0]`` for a
        leaf's first ones, ``x[0]#1`` ... after (the same in every run of a scenario: memos carry over)."""
        generation = self._generations.get(t.name, 0)
        self._generations[t.name] = generation + 1
        mark = f"#{generation}" if generation else ""
        t.symbols = [self.sp.Symbol(f"{t.name}[{i}]{mark}", real=True) for i in range(len(t.values))]
        t.versions.append(t.symbols)

    def run(self) -> Run:
        for leaf in self.scenario.leaves:
            self.tensors[leaf.name] = Tensor(leaf.name, list(leaf.values), leaf.vector, True, leaf.requires_grad)
            self.symbolize(self.tensors[leaf.name])
        try:
            self.run_steps(self.scenario.steps)
        except ScenarioError as exc:
            self.raised = True
            answer = Answer.raised(exc.kind, exc.message)
        else:
            answer = self.printed(self.scenario.ask)
        return Run(answer, self.events, self.backward_calls, frozenset(self.consulted), self)

    def printed(self, ask: Ask) -> Answer:
        """What ``print(ask)`` shows once every step ran (an error of its own: a name never assigned)."""
        try:
            return self.read(ask)
        except ScenarioError as exc:
            return Answer.raised(exc.kind, exc.message)

    def run_steps(self, steps: Sequence[Step]) -> None:
        if any(s.zeroing for s in steps) and self.believes("zero_anywhere"):     # (it moves zeroing steps)
            steps = zero_first(steps)
        for step in steps:
            step.simulate(self)

    # -- rules every step shares
    def defined(self, names: Iterable[str]) -> None:
        """NameError for the first of ``names`` (in the order the program reads them) not assigned yet."""
        for name in names:
            self.tensors[name]      # noqa: B018 - Names raises NameError for a missing one

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
        # what was computed from the old values keeps them (torch saved them, or raises if it needs them)
        self.symbolize(t)

    def leaf_grads(self) -> dict[str, list[Any] | None]:
        return {n: (None if t.grad is None else list(t.grad))
                for n, t in self.tensors.items() if t.leaf and t.requires_grad}

    def ancestors(self, y: Tensor) -> list[Tensor]:
        """The non-leaf tensors y was computed from, through the whole graph."""
        seen: list[Tensor] = []
        stack = list(y.inputs)
        while stack:
            t = stack.pop()
            if t not in seen:           # (the same tensor: Tensor compares by identity)
                seen.append(t)
                stack.extend(t.inputs)
        return seen

    def grad_wrt_nonleaf(self, y: Tensor, t: Tensor, v: list[Any]) -> list[Any] | None:
        """d(sum v*y)/dt for a non-leaf t that y was computed from (None if y's graph does not reach t; zeros
        where it does but the derivative is 0, as torch's t.grad)."""
        sp = self.sp
        assert t.stand is not None and y.at is not None
        if t not in self.ancestors(y):
            return None
        loss = sum((vi * e for vi, e in zip(v, self.through(y, t))), start=sp.Integer(0))
        at = dict(y.at)
        at.update(zip(t.stand, t.values))
        return [sp.diff(loss, s).xreplace(at) for s in t.stand]

    def through(self, y: Tensor, t: Tensor) -> list[Any]:
        """y's elements over the leaves' symbols and t's ``stand``: every tensor between them expanded, t not
        (by the graph's own structure: never an algebraic substitution, which would also catch an x^2 that
        does not come from t = x^2)."""
        if y is t:
            assert t.stand is not None
            return list(t.stand)
        assert y.local is not None
        inner = {s: e for u in y.inputs for s, e in zip(u.stand or (), self.through(u, t))}
        return [e.xreplace(inner) for e in y.local]

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
