"""The backward pass node by node: the graph torch builds, each node's local derivative from sympy, the
gradient that reaches it and what it sends on, every number checked against torch itself.

A *program* is run in torch one operation of each typed tree at a time (the
same operations the tutor's rendered code performs), so every part has its
own tensor: its ``grad_fn`` (and the chain of nodes between it and its inputs,
read through ``next_functions``) is torch's, its ``.grad`` after backward
(``retain_grad``) is torch's upstream gradient, and ``torch.autograd.grad``
on the part's operation gives torch's own local derivative (its Jacobian)
with respect to each input.  sympy gives the exact values beside them: the
part's value, the local derivative as a formula and its value, the upstream
gradient, the product sent to each input; a leaf's ``.grad`` is the sum of
what reaches it.  The parts are listed in the order torch's engine runs them
(the last created first), as micrograd's ``draw_dot`` draws value and gradient
per node; a Graphviz DOT text of the same graph comes with it.

Two front ends: :func:`walk` (one expression of scalar leaves, ``tutor grad
--walk``) and :func:`walk_program` (named results computed one after the
other from leaves that may be vectors or constants, as a predict question's
program builds its loss: :mod:`tutor.engines.scenario.walk`).  Values are
floats for scalar parts and lists of floats for vector parts.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ...foundation.errors import TutorError
from ...foundation.i18n import _
from ...mathlang import parse
from ...mathlang.printing import tree_text
from ...mathlang.tree import Node, Var
from .model import RTOL, SHAPES, Edge, Input, Leaf, Value, Walk, WalkNode, close
from .run import _recorder, _Run, _shown, _values
from .text import dot, lines, shown


def walk(expression: str, at: Mapping[str, Any], weights: Sequence[Any] = ()) -> Walk:
    """The backward pass of ``expression`` at ``at`` ({name: an exact number, or a list of them for a
    vector}); ``weights``: the gradient passed to backward() where the result is a vector."""
    import sympy

    parsed = parse(expression, variables=set(at))
    missing = [v for v in parsed.variables if v not in at]
    if missing:
        raise TutorError(_("no value for {names}").format(names=", ".join(missing)), code="walk.no-value")

    def exact(v: Any) -> Any:
        return sympy.sympify(v) if isinstance(v, int) else v

    inputs = [Input(n, tuple(exact(v) for v in at[n]) if isinstance(at[n], (list, tuple)) else (exact(at[n]),),
                    isinstance(at[n], (list, tuple)))
              for n in parsed.variables]
    return walk_program(inputs, [(None, parsed.tree)], weights, expression_text=tree_text(parsed.tree))


def walk_program(inputs: Sequence[Input], steps: Sequence[tuple[str | None, Node]], weights: Sequence[Any] = (),
                 expression_text: str | None = None) -> Walk:
    """The backward pass of the last of ``steps`` ((name, tree): each a result the later ones may read by
    name), from ``inputs``; ``weights``: the gradient passed to backward() (a vector result), else 1."""
    import sympy
    import torch

    run = _Run(torch, sympy, inputs)
    root: Any = None
    for name, tree in steps:
        root = run.define(name, tree)
    last = steps[-1][1]
    if isinstance(last, Var) and last.name in run.leaves:
        return _leaf_itself(run, last.name, weights, expression_text or tree_text(last))
    if not isinstance(root, torch.Tensor) or root.grad_fn is None:
        raise TutorError(_("{expr} does not depend on its variables: there is no backward pass to walk").format(
            expr=expression_text or tree_text(last)), code="walk.constant")
    for t in run.tensors:
        t.retain_grad()
    ran: list[int] = []              # the parts' nodes in the order torch's engine runs them
    hooks = [t.grad_fn.register_prehook(_recorder(ran, id(node))) for node, t in zip(run.order, run.tensors)]
    exact_weights = [sympy.sympify(w) for w in weights] or [sympy.Integer(1)]
    try:
        _backward(root, weights, expression_text or tree_text(last))
    finally:
        for hook in hooks:
            hook.remove()
    run.ran = list(ran)
    # read now: torch.autograd.grad below (each local derivative) runs retain_grad's hooks again
    run.grads = {id(t): _values(t.grad) for t in [*run.tensors, *run.leaves.values()]}
    text = expression_text or "; ".join(f"{n} = {tree_text(t)}" if n else tree_text(t) for n, t in steps)
    point = {i.name: _shown(i.values, i.vector) for i in inputs if i.name in run.used}
    walked = run.report(last, text, point, exact_weights)
    if weights:
        walked.weights = _shown(exact_weights, len(exact_weights) > 1 or run.vector(last))
    return walked


def _backward(result: Any, weights: Sequence[Any], text: str) -> None:
    """``result.backward()``, or ``result.backward(weights)`` for a vector (its graph kept for the walk's own
    checks); a vector without weights is a TutorError, as torch would refuse it."""
    if weights:
        result.backward(result.new_tensor([float(w) for w in weights]).reshape(result.shape), retain_graph=True)
    elif result.numel() == 1:
        result.backward(retain_graph=True)
    else:
        raise TutorError(_("{expr} is a vector: backward() needs a gradient argument to walk").format(expr=text),
                         code="walk.vector-root")


def _leaf_itself(run: _Run, name: str, weights: Sequence[Any], text: str) -> Walk:
    """The result is a leaf itself (``x``): torch runs no node; backward() puts 1 (or the weights) straight
    into its .grad, through its AccumulateGrad."""
    import sympy

    leaf = run.leaves[name]
    vector = run.vector_of[name]
    exact = [sympy.sympify(w) for w in weights] or [sympy.Integer(1)] * len(run.symbols[name])
    _backward(leaf, weights, text)
    grad = _shown(exact, vector)
    walked = Walk(text, {name: _shown(run.inputs[name].values, vector)}, [],
                  [Leaf(name, [grad], grad, _values(leaf.grad))], weights=grad if weights else None)
    if not close(grad, walked.leaves[0].grad_torch):
        walked.problems.append(_("{name}.grad: {exact} exactly, torch {torch}").format(
            name=name, exact=grad, torch=walked.leaves[0].grad_torch))
    return walked


__all__ = ["RTOL", "SHAPES", "Edge", "Input", "Leaf", "Value", "Walk", "WalkNode", "close", "dot", "lines", "shown",
           "walk", "walk_program"]
