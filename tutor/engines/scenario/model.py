"""The scenario's data: leaves, the asked value, the optimizer, answers and how answers compare."""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from ...foundation.term import fmt_number

if TYPE_CHECKING:
    from .steps import Step

# torch's own messages (torch 2.x), verbatim: they are what the learner sees
ERR_SCALAR = "grad can be implicitly created only for scalar outputs"
ERR_NO_GRAD_FN = "element 0 of tensors does not require grad and does not have a grad_fn"
ERR_SECOND_BACKWARD = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they "
    "have already been freed). Saved intermediate values of the graph are freed when you call .backward() "
    "or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time "
    "or if you need to access saved tensors after calling backward.")
ERR_VERSION = "one of the variables needed for gradient computation has been modified by an inplace operation"
ERR_ZERO_NONE = "'NoneType' object has no attribute 'zero_'"
ERR_UPDATE_NONE = "unsupported operand type(s) for *: 'float' and 'NoneType'"
ERR_INPLACE_LEAF = "a leaf Variable that requires grad is being used in an in-place operation."
ERR_AMBIGUOUS = "Boolean value of Tensor with more than one value is ambiguous"
ERR_RETAIN_NO_GRAD = "can't retain_grad on Tensor that has requires_grad=False"

Attr = Literal["value", "grad", "is_leaf", "requires_grad"]
_ASK = re.compile(r"^(?P<name>[A-Za-z][A-Za-z0-9_]*)"
                  r"(?:\.(?P<attr>grad|is_leaf|requires_grad))?(?:\[(?P<index>\d+)\])?$")


@dataclass(frozen=True)
class Ask:
    """What the program prints: ``x``, ``x.grad``, ``x.grad[1]``, ``y.is_leaf``, ``y.requires_grad``."""

    name: str
    attr: Attr = "value"
    index: int | None = None

    @classmethod
    def parse(cls, text: object) -> Ask | None:
        m = _ASK.match(text) if isinstance(text, str) else None
        if m is None:
            return None
        attr: Attr = m.group("attr") or "value"  # type: ignore[assignment]
        index = m.group("index")
        return cls(m.group("name"), attr, None if index is None else int(index))

    def with_attr(self, attr: Attr) -> Ask:
        return Ask(self.name, attr, self.index)

    def __str__(self) -> str:
        attr = "" if self.attr == "value" else f".{self.attr}"
        index = "" if self.index is None else f"[{self.index}]"
        return f"{self.name}{attr}{index}"


@dataclass(frozen=True)
class Leaf:
    name: str
    values: tuple[Any, ...]          # exact sympy numbers
    vector: bool
    requires_grad: bool = True


@dataclass(frozen=True)
class Optimizer:
    """``opt = torch.optim.SGD([params], lr=lr)``."""

    params: tuple[str, ...]
    lr: Any


@dataclass(frozen=True)
class Scenario:
    leaves: tuple[Leaf, ...]
    steps: tuple[Step, ...]
    ask: Ask
    dtype: str = "float32"
    optimizer: Optimizer | None = None
    params: Mapping[str, Any] = field(default_factory=dict)    # drawn parameters (for display)


@dataclass(frozen=True)
class Answer:
    """What ``print(ask)`` shows: numbers, None, a bool, or an error."""

    kind: Literal["number", "none", "bool", "error"]
    values: tuple[Any, ...] | None = None      # exact numbers (number)
    vector: bool = False
    flag: bool | None = None
    error: tuple[str, str] | None = None       # (type name, first line)

    @classmethod
    def number(cls, values: list[Any] | tuple[Any, ...], vector: bool) -> Answer:
        return cls("number", values=tuple(values), vector=vector)

    @classmethod
    def boolean(cls, flag: bool) -> Answer:
        return cls("bool", flag=flag)

    @classmethod
    def raised(cls, kind: str, message: str) -> Answer:
        return cls("error", error=(kind, message))

    def floats(self) -> list[float]:
        return [float(v) for v in self.values] if self.values is not None else []

    def text(self) -> str:
        if self.kind == "none":
            return "None"
        if self.kind == "bool":
            return "True" if self.flag else "False"
        if self.kind == "error":
            assert self.error is not None
            return f"{self.error[0]}: {self.error[1]}"
        shown = [fmt_number(float(v)) for v in self.values or ()]
        return "[" + ", ".join(shown) + "]" if self.vector else shown[0]

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "text": self.text()}
        if self.kind == "number":
            data["value"] = self.floats() if self.vector else self.floats()[0]
        elif self.kind == "bool":
            data["value"] = self.flag
        elif self.kind == "error":
            assert self.error is not None
            data["error"] = {"type": self.error[0], "message": self.error[1]}
        return data


def answers_close(expected: Answer, got: Answer, *, rtol: float, floor: float, absolute: float,
                  strict: bool) -> bool:
    """Compare two answers.  Numbers: |got - exp| <= rtol*|exp| + floor*max|exp| + absolute.

    ``strict`` (torch against sympy) also requires the same shape and the same
    error message; a learner only has to name the error and the numbers.
    """
    if expected.kind != got.kind:
        return False
    if expected.kind == "none":
        return True
    if expected.kind == "bool":
        return expected.flag == got.flag
    if expected.kind == "error":
        assert expected.error is not None and got.error is not None
        return expected.error[0] == got.error[0] and (not strict or expected.error[1] == got.error[1])
    a, b = expected.floats(), got.floats()
    if len(a) != len(b) or (strict and expected.vector != got.vector):
        return False
    scale = max((abs(x) for x in a), default=0.0)
    return all(abs(x - y) <= rtol * abs(x) + floor * scale + absolute for x, y in zip(a, b))


def same_answer(expected: Answer, got: Answer, dtype: str) -> bool:
    """Does torch's answer match the exact one (dtype-aware relative tolerance)?"""
    rtol = 1e-4 if dtype == "float32" else 1e-9
    zero = expected.kind == "number" and not any(expected.floats())
    return answers_close(expected, got, rtol=rtol, floor=rtol * 1e-2, absolute=1e-6 if zero else 0.0,
                         strict=True)
