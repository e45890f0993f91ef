"""The walk's data: each part (node) of the backward pass, each edge along it, each leaf, and how two of
their values are compared."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

RTOL = 1e-9       # float64 torch against exact sympy, relative

Value = float | list[float] | list[list[float]]      # a scalar, a vector, a Jacobian matrix

# how a local derivative is shown (its Jacobian's shape): one number; a vector, element by element (a
# diagonal Jacobian); a vector over the input's elements (a reduction, one output); a vector over the
# outputs whose products are summed (a scalar input broadcast over a vector); the whole matrix
SHAPES = ("scalar", "elementwise", "reduce", "broadcast", "matrix")


@dataclass
class Edge:
    to: str                  # the input, as typed (a leaf's or a result's name, or a part)
    local: str               # d(part)/d(input), a formula in the program's names
    local_value: Value       # its value (sympy; see ``shape``)
    sends: Value             # upstream x local: what this part sends to the input (its shape)
    local_torch: Value | None = None     # torch's Jacobian of the part's operation w.r.t. the input, same shape
    node: int | None = None  # the input's place in Walk.nodes (None: a leaf)
    shape: str = "scalar"    # one of SHAPES


@dataclass
class WalkNode:
    part: str                # the part as typed
    grad_fn: str             # torch's node for it (a chain "MulBackward0 <- ReciprocalBackward0" where the
    #                          function is several torch operations)
    value: Value
    upstream: Value          # dL/d(part): exact
    upstream_torch: Value | None    # torch's .grad of the part's tensor (retain_grad)
    edges: list[Edge] = field(default_factory=list)
    linked: bool = True      # each input's grad_fn is among torch's next_functions of this node
    name: str | None = None  # the program's name for this result (y_predicted), if it has one


@dataclass
class Leaf:
    name: str
    flows: list[Value]       # what each edge into it sends
    grad: Value              # their sum (exact)
    grad_torch: Value | None


@dataclass
class Walk:
    expression: str
    point: dict[str, Value]
    nodes: list[WalkNode]
    leaves: list[Leaf]
    problems: list[str] = field(default_factory=list)    # every number or link torch does not confirm
    weights: Value | None = None      # backward(gradient=...): what the last result receives
    note: str | None = None           # said under the heading (a program's first of several backward calls)

    @property
    def checked(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {"expression": self.expression, "point": self.point, "checked": self.checked,
                "problems": self.problems, "weights": self.weights, "note": self.note,
                "nodes": [{"part": n.part, "name": n.name, "grad_fn": n.grad_fn, "value": n.value,
                           "upstream": n.upstream, "upstream_torch": n.upstream_torch, "linked": n.linked,
                           "edges": [{"to": e.to, "node": e.node, "local": e.local, "local_value": e.local_value,
                                      "local_torch": e.local_torch, "sends": e.sends, "shape": e.shape}
                                     for e in n.edges]}
                          for n in self.nodes],
                "leaves": [{"name": lf.name, "flows": lf.flows, "grad": lf.grad, "grad_torch": lf.grad_torch}
                           for lf in self.leaves],
                "dot": _dot(self)}


def close(a: Any, b: Any) -> bool:
    """Two values of the walk agree (floats, or lists of them, relative tolerance RTOL)."""
    import math

    if b is None or a is None:
        return False
    if isinstance(a, list) or isinstance(b, list):
        return isinstance(a, list) and isinstance(b, list) and len(a) == len(b) and all(
            close(x, y) for x, y in zip(a, b))
    if not (math.isfinite(a) and math.isfinite(b)):
        return bool(a == b or (math.isnan(a) and math.isnan(b)))
    return bool(abs(a - b) <= RTOL * max(1.0, abs(a), abs(b)))


@dataclass(frozen=True)
class Input:
    """A name the program reads that no step of it computes: a leaf (``requires_grad``) or a constant tensor."""

    name: str
    values: tuple[Any, ...]        # exact numbers
    vector: bool
    requires_grad: bool = True




def _dot(w: Walk) -> str:
    from .text import dot

    return dot(w)
