"""A predict question's program, its first backward pass node by node (:func:`tutor.engines.walk.walk_program`).

The exact simulation is run once more with an observer: each tracked result
the program computes (its line's tree, and what every name it reads stood for
then: a leaf and its values, a constant tensor, or another tracked result)
and the first backward call (the tensor, the graph behind it, the gradient
passed).  That graph, in the order the program built it, is walked in torch
one operation at a time, so the walk is the learner's own program at the
learner's own numbers, every value checked against torch.
"""
from __future__ import annotations

from typing import Any

from ...foundation.errors import TutorError
from ...foundation.i18n import ngettext
from ...mathlang.tree import Node, Var, transform
from ..walk import Input, Walk, walk_program
from .model import Scenario


class _Observer:
    def __init__(self) -> None:
        self.made: dict[int, tuple[Any, Node, dict[str, Any]]] = {}    # id(tensor) -> (tensor, tree, reads)
        self.first: tuple[Any, Any, list[Any], list[Any]] | None = None   # (step, loss, graph, gradient)

    def forward(self, step: Any, t: Any, reads: dict[str, Any]) -> None:
        snapshot = {name: u if (u.requires_grad and not u.leaf) else
                    Input(name, tuple(u.values), u.vector, u.requires_grad) for name, u in reads.items()}
        self.made[id(t)] = (t, step.tree, snapshot)

    def backward(self, step: Any, y: Any, graph: list[Any], v: list[Any]) -> None:
        if self.first is None:
            self.first = (step, y, graph, list(v))


def first_backward_walk(scenario: Scenario) -> Walk | None:
    """The walk of the program's first backward call, or None where no backward pass runs (the program
    raises first, or calls backward on a leaf).  A TutorError where the walk cannot be drawn."""
    from .simulate import Simulation

    sim = Simulation(scenario, frozenset())
    observer = _Observer()
    sim.observer = observer
    sim.run()
    if observer.first is None:
        return None
    step, y, graph, v = observer.first
    graph = sorted(graph, key=lambda t: t.created)
    keys: dict[int, str] = {}
    taken: set[str] = set()

    def key_for(obj: Any, name: str) -> str:
        if id(obj) not in keys:
            key = name
            while key in taken:              # a name given to another tensor since: x, x', x'' ...
                key += "'"
            keys[id(obj)] = key
            taken.add(key)
        return keys[id(obj)]

    inputs: dict[str, Input] = {}
    steps: list[tuple[str | None, Node]] = []
    seen_inputs: dict[tuple[str, tuple[Any, ...], bool], Input] = {}
    for t in graph:
        if id(t) not in observer.made:
            raise TutorError("the graph holds a result the walk did not see computed", code="walk.unseen")
        _t, tree, reads = observer.made[id(t)]
        rename: dict[str, str] = {}
        for name, ref in reads.items():
            if isinstance(ref, Input):
                marker = (ref.name, ref.values, ref.requires_grad)
                same = seen_inputs.setdefault(marker, ref)
                key = key_for(same, name)
                inputs[key] = Input(key, ref.values, ref.vector, ref.requires_grad)
            else:
                key = key_for(ref, name)
            rename[name] = key
        steps.append((key_for(t, t.name), _renamed(tree, rename)))
    order = {leaf.name: i for i, leaf in enumerate(scenario.leaves)}      # the point as the program lists it
    listed = sorted(inputs.values(), key=lambda i: (order.get(i.name.rstrip("'"), len(order)), i.name))
    walked = walk_program(listed, steps, weights=v if step.gradient is not None else ())
    if sim.backward_calls > 1:
        walked.note = ngettext("(the first of the program's {n} backward call)",
                               "(the first of the program's {n} backward calls)",
                               sim.backward_calls).format(n=sim.backward_calls)
    return walked


def _renamed(tree: Node, names: dict[str, str]) -> Node:
    def swap(n: Node) -> Node | None:
        return Var(names[n.name]) if isinstance(n, Var) and n.name in names and names[n.name] != n.name else None

    return transform(tree, swap)
