"""torch's witness as a program: what :func:`.witnesses.torch_witness` does, written out as PyTorch code.

The code mirrors the torch back end of :mod:`tutor.mathlang.evaluate`
operation for operation: numbers and constants are Python floats, every
function receives tensors of the point's dtype (``_t``) and is written with
the function table's PyTorch template, which names the same torch call as
its torch implementation.  Variables are renamed (``_v0`` ...), so no name
typed in a bank can shadow ``torch`` or a helper.
"""
from __future__ import annotations

import math
from typing import Any

from ...mathlang.functions import FUNCTIONS
from ...mathlang.tree import BinOp, Call, Const, Neg, Node, Num, Var

_OPS = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**"}


def render_program(tree: Node, stored: dict[str, list[Any]], dtype: str) -> dict[str, Any]:
    """{"source", "asks"}: scalar leaves at the point as the dtype stores it, the expression, backward(); the
    asks are every variable's .grad, in the point's order.  OverflowError for a number no float holds."""
    names = {name: f"_v{i}" for i, name in enumerate(stored)}
    lines = ["import math", "import torch", "", f"_d = torch.{dtype}", "",
             "def _t(a):", "    return a if isinstance(a, torch.Tensor) else torch.tensor(a, dtype=_d)", ""]
    for name, values in stored.items():
        lines.append(f"{names[name]} = torch.tensor({float(values[0])!r}, dtype=_d, requires_grad=True)")
    lines += ["with torch.enable_grad():", f"    _y = {_expr(tree, names)}", "    _y.backward()", ""]
    return {"source": "\n".join(lines), "asks": [{"name": names[n], "attr": "grad", "index": None} for n in stored]}


def _expr(tree: Node, names: dict[str, str]) -> str:
    if isinstance(tree, Num):
        return f"({float(tree.value)!r})"
    if isinstance(tree, Var):
        return names[tree.name]
    if isinstance(tree, Const):
        value = math.pi if tree.name == "pi" else math.e
        return f"({value!r})"
    if isinstance(tree, Neg):
        return f"(-{_expr(tree.operand, names)})"
    if isinstance(tree, Call):
        fn = FUNCTIONS[tree.name]
        return "(" + fn.format(fn.python, [f"_t({_expr(a, names)})" for a in tree.args]) + ")"
    assert isinstance(tree, BinOp)
    return f"({_expr(tree.left, names)} {_OPS[tree.op]} {_expr(tree.right, names)})"
