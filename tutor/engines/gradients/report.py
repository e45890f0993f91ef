"""What ``tutor grad`` finds: per variable, the three witnesses and how they compare."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

AGREEING = ("agree", "nondifferentiable", "unused")


@dataclass
class Value:
    """A point coordinate: a scalar or a vector, exactly as typed."""

    name: str
    values: list[Any]            # exact sympy numbers
    vector: bool

    def floats(self) -> list[float]:
        return [float(v) for v in self.values]


@dataclass
class Witnesses:
    symbolic: str | None
    sympy: list[float]
    torch: list[float] | None
    finite_difference: list[float]
    status: list[str] = field(default_factory=list)   # per component
    notes: list[str] = field(default_factory=list)

    @property
    def agree(self) -> bool:
        return all(s in AGREEING for s in self.status)

    def to_json(self) -> dict[str, Any]:
        return {
            "symbolic": self.symbolic,
            "sympy": [json_float(v) for v in self.sympy],
            "torch": None if self.torch is None else [json_float(v) for v in self.torch],
            "finite_difference": [json_float(v) for v in self.finite_difference],
            "status": self.status,
            "agree": self.agree,
            "notes": self.notes,
        }


@dataclass
class GradReport:
    expression: str
    point: dict[str, Value]
    dtype: str
    gradient: list[float] | None
    output_shape: list[int]
    gradients: dict[str, Witnesses]
    nondifferentiable: list[dict[str, Any]]

    @property
    def agree(self) -> bool:
        return all(w.agree for w in self.gradients.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "expression": self.expression,
            "point": {k: (v.floats() if v.vector else float(v.values[0])) for k, v in self.point.items()},
            "dtype": self.dtype,
            "gradient": None if self.gradient is None else [json_float(v) for v in self.gradient],
            "output_shape": self.output_shape,
            "gradients": {k: w.to_json() for k, w in self.gradients.items()},
            "nondifferentiable": self.nondifferentiable,
            "agree": self.agree,
        }


def json_float(v: Any) -> float | str | None:
    if v is None:
        return None
    v = float(v)
    assert isinstance(v, float)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v
