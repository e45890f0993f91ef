"""The computation graph at the end of a scenario, as torch has it: every tensor's is_leaf, requires_grad and
grad_fn, from the exact simulation (requires_grad carried from the inputs, no_grad and set_grad_enabled,
retain_grad, every loop).

The name of a ``grad_fn`` is read from the PyTorch code the learner reads (the rendered line), with the
rules torch's dispatch follows: ``2 - x`` is ``RsubBackward1``, ``2 / x`` is ``MulBackward0`` (torch
multiplies by the reciprocal), ``2 ** x`` is ``PowBackward2``, ``x ** c`` with a tensor ``c`` is
``PowBackward1``.  ``tutor check`` proves every node against torch (:func:`torch_graph_asks`).
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from .model import Scenario

MODULES = frozenset({"torch", "math"})


@dataclass(frozen=True)
class Node:
    """One tensor of the program as it stands at the end (or where the program raised)."""

    name: str
    expr: str | None            # the math it was computed from (None: a leaf the program created)
    inputs: tuple[str, ...]     # the tensors it was computed from
    is_leaf: bool
    requires_grad: bool
    grad_fn: str | None
    retains: bool = False       # a non-leaf whose .grad is kept (retain_grad)

    def facts(self) -> dict[str, Any]:
        """What torch is asked about it: compared one to one by ``tutor check``."""
        return {"is_leaf": self.is_leaf, "requires_grad": self.requires_grad, "grad_fn": self.grad_fn}


def graph(scenario: Scenario, run: Any = None) -> list[Node]:
    """The leaves, then each computed tensor in the order the program first assigns it (one node per name:
    its state at the end)."""
    from ...mathlang.printing import to_python, tree_text
    from ...mathlang.tree import variables
    from .simulate import simulate
    from .steps import walk
    from .steps.forward import Forward

    final = (run if run is not None else simulate(scenario)).final
    tensors = final.tensors if final is not None else {}
    nodes = []
    for leaf in scenario.leaves:
        nodes.append(Node(leaf.name, None, (), True, leaf.requires_grad, None))
    seen: set[str] = set()
    for step in walk(scenario.steps):
        if not isinstance(step, Forward) or step.name in seen or step.name not in tensors:
            continue
        seen.add(step.name)
        t = tensors[step.name]
        grad_fn = None if t.leaf else grad_fn_name(to_python(step.tree))
        nodes.append(Node(step.name, tree_text(step.tree), tuple(sorted(variables(step.tree))), t.leaf,
                          t.requires_grad, grad_fn, t.retains))
    return nodes


def grad_fn_name(code: str) -> str | None:
    """The class name of the ``grad_fn`` torch gives the value of ``code`` (our own rendered expression,
    parsed, never run) when it is tracked; None where the result is not a new tensor (a bare name)."""
    return _node_name(ast.parse(code, mode="eval").body)


def _tensor(node: ast.AST) -> bool:
    """Does the sub-expression name a tensor (so its value is a tensor, not a Python number)?"""
    return any(isinstance(n, ast.Name) and n.id not in MODULES for n in ast.walk(node))


def _node_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.BinOp):
        left, right = _tensor(node.left), _tensor(node.right)
        op = type(node.op)
        if op is ast.Add:
            return "AddBackward0"
        if op is ast.Sub:
            return "SubBackward0" if left else "RsubBackward1"
        if op is ast.Mult:
            return "MulBackward0"
        if op is ast.Div:
            return "DivBackward0" if left else "MulBackward0"     # number / tensor: reciprocal, then multiply
        if op is ast.Pow:
            return "PowBackward2" if not left else "PowBackward1" if right else "PowBackward0"
        raise ValueError(f"no grad_fn rule for {ast.dump(node.op)}")
    if isinstance(node, ast.UnaryOp):
        if isinstance(node.op, ast.USub):
            return "NegBackward0"
        if isinstance(node.op, ast.UAdd):
            return _node_name(node.operand)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr[:1].upper() + node.func.attr[1:] + "Backward0"    # torch.sin(x), x.sum()
    if isinstance(node, ast.Name):
        return None
    raise ValueError(f"no grad_fn rule for {ast.dump(node)}")


def torch_graph_asks(nodes: list[Node]) -> list[dict[str, Any]]:
    """The runner's asks that read each node's facts from torch (see ``read_asked``'s ``graph``)."""
    return [{"name": n.name, "attr": "graph", "index": None} for n in nodes]


def check_graph(nodes: list[Node], outcomes: list[dict[str, Any]]) -> tuple[str, str, str] | None:
    """The first node whose facts torch does not confirm: (name, drawn, torch's), or None."""
    for node, got in zip(nodes, outcomes, strict=True):
        facts = {k: got.get(k) for k in ("is_leaf", "requires_grad", "grad_fn")} if got.get("kind") == "graph" \
            else None
        if facts != node.facts():
            return node.name, _facts_text(node.facts()), _facts_text(facts) if facts else str(got.get("kind"))
    return None


def _facts_text(facts: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in facts.items())
