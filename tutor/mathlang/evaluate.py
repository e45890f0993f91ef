"""Numeric evaluation of what a person typed, in torch, numpy or mpmath.

Each back end maps the typed tree's nodes (:mod:`tutor.mathlang.tree`) onto
its own operations, with every function's implementation taken from the
function table, so torch runs ``torch.sqrt(x ** 2)`` when the person typed
``sqrt(x^2)`` (sympy alone would already have rewritten it to ``Abs(x)``,
whose gradient at 0 differs).  Vectors broadcast as in torch; ``sum`` and
``mean`` reduce them.
"""
from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from .functions import FUNCTIONS
from .tree import Call, Const, Neg, Node, Num, Var


class Backend:
    """How one numeric library evaluates numbers, constants and functions."""

    def number(self, value: Any) -> Any:
        return float(value)

    def const(self, name: str) -> Any:
        return math.pi if name == "pi" else math.e

    def call(self, name: str, args: list[Any]) -> Any:
        raise NotImplementedError

    def binary(self, op: str, a: Any, b: Any) -> Any:
        return _BINARY[op](a, b)


class NumpyBackend(Backend):
    def __init__(self, dtype: str = "float64"):
        import numpy

        self.lib = numpy
        self.dtype = getattr(numpy, dtype)

    def call(self, name: str, args: list[Any]) -> Any:
        return FUNCTIONS[name].numpy(self.lib, *args)


class TorchBackend(Backend):
    """Python floats for numbers keep the graph lean (torch treats them as constants)."""

    def __init__(self, dtype: str = "float64"):
        import torch

        self.lib = torch
        self.dtype = getattr(torch, dtype)

    def _tensor(self, a: Any) -> Any:
        if isinstance(a, self.lib.Tensor):
            return a
        return self.lib.tensor(a, dtype=self.dtype)

    def call(self, name: str, args: list[Any]) -> Any:
        # torch functions want tensors, even for constant sub-expressions
        return FUNCTIONS[name].torch(self.lib, *[self._tensor(a) for a in args])


class MpmathBackend(Backend):
    """High-precision scalars (for equivalence checks).  sum/mean of a scalar is itself.

    Its mpmath context is its own: one per precision and thread, made once (making one costs
    milliseconds), its precision never changed after."""

    _contexts = threading.local()

    def __init__(self, dps: int = 40):
        import mpmath

        made: dict[int, Any] = self._contexts.__dict__.setdefault("by_dps", {})
        if dps in made:
            self.mp = made[dps]
        else:
            self.mp = mpmath.mp.clone() if hasattr(mpmath.mp, "clone") else mpmath.mp
            self.mp.dps = dps
            if hasattr(mpmath.mp, "clone"):
                made[dps] = self.mp
        self.mpmath = mpmath
        self._numbers: dict[Any, Any] = {}

    def number(self, value: Any) -> Any:
        """An exact number (a sympy number, a Fraction, an int or their text) at the context's precision
        (converted once per backend: a tree's numbers come back at every point)."""
        if value in self._numbers:
            return self._numbers[value]
        if isinstance(value, Fraction):
            p, q = value.numerator, value.denominator
        else:
            import sympy

            exact = sympy.Rational(value)
            p, q = int(exact.p), int(exact.q)
        self._numbers[value] = self.mp.mpf(p) / q
        return self._numbers[value]

    def const(self, name: str) -> Any:
        return +self.mp.pi if name == "pi" else +self.mp.e

    def call(self, name: str, args: list[Any]) -> Any:
        return FUNCTIONS[name].mpmath(self.mp, *args)


class MpmathVectorBackend(MpmathBackend):
    """:class:`MpmathBackend` where a vector is a list of high-precision numbers: functions and operators
    act element by element (a scalar broadcasts), ``sum``, ``mean`` (and ``dot``, read as sum(u * v))
    reduce, as torch does."""

    def call(self, name: str, args: list[Any]) -> Any:
        f = FUNCTIONS[name]
        if f.reduces:
            (a,) = args[:1]
            if not isinstance(a, list):
                return a
            total = self.mp.fsum(a)
            return total / len(a) if name == "mean" else total
        return self._each(lambda *xs: f.mpmath(self.mp, *xs), args)

    def binary(self, op: str, a: Any, b: Any) -> Any:
        return self._each(_BINARY[op], [a, b])

    @staticmethod
    def _each(fn: Any, args: list[Any]) -> Any:
        sizes = {len(a) for a in args if isinstance(a, list)}
        if not sizes:
            return fn(*args)
        if len(sizes) > 1:
            raise ValueError("vectors of different lengths")
        n = sizes.pop()
        return [fn(*(a[i] if isinstance(a, list) else a for a in args)) for i in range(n)]


def evaluate(tree: Node, env: Mapping[str, Any], backend: Backend) -> Any:
    """Evaluate ``tree`` with variables from ``env`` (name -> backend value)."""
    if isinstance(tree, Num):
        return backend.number(tree.value)
    if isinstance(tree, Var):
        return env[tree.name]
    if isinstance(tree, Const):
        return backend.const(tree.name)
    if isinstance(tree, Neg):
        return -evaluate(tree.operand, env, backend)
    if isinstance(tree, Call):
        return backend.call(tree.name, [evaluate(a, env, backend) for a in tree.args])
    a = evaluate(tree.left, env, backend)
    b = evaluate(tree.right, env, backend)
    return backend.binary(tree.op, a, b)


_BINARY = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b, "pow": lambda a, b: a ** b,
}
