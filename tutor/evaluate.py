"""Numeric evaluation of what a person typed, in torch, numpy or mpmath.

A parsed expression's ``tree`` (see :func:`tutor.mathlang.parse`) is a nested
tuple:

    ("num", sympy.Rational) | ("const", "pi" | "e") | ("var", name)
    ("neg", a) | ("add" | "sub" | "mul" | "div" | "pow", a, b)
    ("call", name, (args...))

Each back end maps those nodes onto its own operations, so torch runs
``torch.sqrt(x ** 2)`` when the person typed ``sqrt(x^2)`` (sympy alone would
already have rewritten it to ``Abs(x)``, whose gradient at 0 differs).
Vectors broadcast as in torch; ``sum``/``mean`` reduce them.
"""
from __future__ import annotations


class Backend:
    """Operations shared by array back ends (numpy and torch)."""

    def __init__(self, lib, dtype):
        self.lib = lib
        self.dtype = dtype

    def number(self, value):
        return float(value)

    def const(self, name):
        import math

        return math.pi if name == "pi" else math.e

    def call(self, name, args):
        lib = self.lib
        (a,) = args if len(args) == 1 else (None,)
        simple = {
            "sin": lib.sin, "cos": lib.cos, "tan": lib.tan,
            "sinh": lib.sinh, "cosh": lib.cosh, "tanh": lib.tanh,
            "exp": lib.exp, "log": lib.log, "sqrt": lib.sqrt, "abs": lib.abs,
            "asin": getattr(lib, "arcsin", None), "acos": getattr(lib, "arccos", None),
            "atan": getattr(lib, "arctan", None),
        }
        fn = simple.get(name)
        if fn is not None:
            return fn(a)
        if name == "cot":
            return 1 / lib.tan(a)
        if name == "sec":
            return 1 / lib.cos(a)
        if name == "csc":
            return 1 / lib.sin(a)
        if name == "sigmoid":
            return self.sigmoid(a)
        if name == "relu":
            return self.relu(a)
        if name == "sum":
            return lib.sum(a)
        if name == "mean":
            return lib.mean(a)
        raise ValueError(f"no numeric meaning for function {name!r}")


class NumpyBackend(Backend):
    def __init__(self, dtype="float64"):
        import numpy

        super().__init__(numpy, getattr(numpy, dtype))

    def sigmoid(self, a):
        import numpy as np

        return 1 / (1 + np.exp(-a))

    def relu(self, a):
        import numpy as np

        return np.maximum(a, 0.0)

    def call(self, name, args):
        if name == "mean":
            import numpy as np

            return np.mean(args[0])
        return super().call(name, args)


class TorchBackend(Backend):
    def __init__(self, dtype="float64"):
        import torch

        super().__init__(torch, getattr(torch, dtype))

    def number(self, value):
        # Python floats keep the graph lean (torch treats them as constants).
        return float(value)

    def const(self, name):
        import math

        return math.pi if name == "pi" else math.e

    def sigmoid(self, a):
        return self.lib.sigmoid(self._tensor(a))

    def relu(self, a):
        return self.lib.relu(self._tensor(a))

    def _tensor(self, a):
        if isinstance(a, self.lib.Tensor):
            return a
        return self.lib.tensor(a, dtype=self.dtype)

    def call(self, name, args):
        # torch functions want tensors, even for constant sub-expressions
        return super().call(name, [self._tensor(a) for a in args])


class MpmathBackend:
    """High-precision scalars (for equivalence checks).  sum/mean of a scalar is itself."""

    def __init__(self, dps=40):
        import mpmath

        self.mp = mpmath.mp.clone() if hasattr(mpmath.mp, "clone") else mpmath.mp
        self.mp.dps = dps
        self.mpmath = mpmath

    def number(self, value):
        import sympy

        value = sympy.Rational(value)
        return self.mp.mpf(int(value.p)) / int(value.q)

    def const(self, name):
        return +self.mp.pi if name == "pi" else +self.mp.e

    def call(self, name, args):
        mp = self.mp
        a = args[0]
        simple = {
            "sin": mp.sin, "cos": mp.cos, "tan": mp.tan, "cot": mp.cot, "sec": mp.sec, "csc": mp.csc,
            "asin": mp.asin, "acos": mp.acos, "atan": mp.atan,
            "sinh": mp.sinh, "cosh": mp.cosh, "tanh": mp.tanh,
            "exp": mp.exp, "log": mp.log, "sqrt": mp.sqrt, "abs": abs,
        }
        if name in simple:
            return simple[name](a)
        if name == "sigmoid":
            return 1 / (1 + mp.exp(-a))
        if name == "relu":
            return a if a > 0 else mp.mpf(0)
        if name in ("sum", "mean"):
            return a
        if name == "dot":
            return a * args[1]
        raise ValueError(f"no numeric meaning for function {name!r}")


def evaluate(tree, env, backend):
    """Evaluate ``tree`` with variables from ``env`` (name -> backend value)."""
    kind = tree[0]
    if kind == "num":
        return backend.number(tree[1])
    if kind == "var":
        return env[tree[1]]
    if kind == "const":
        return backend.const(tree[1])
    if kind == "neg":
        return -evaluate(tree[1], env, backend)
    if kind == "call":
        return backend.call(tree[1], [evaluate(a, env, backend) for a in tree[2]])
    a = evaluate(tree[1], env, backend)
    b = evaluate(tree[2], env, backend)
    if kind == "add":
        return a + b
    if kind == "sub":
        return a - b
    if kind == "mul":
        return a * b
    if kind == "div":
        return a / b
    if kind == "pow":
        return a ** b
    raise ValueError(f"unknown node {kind!r}")


def walk(tree):
    """Every node of ``tree``, depth first."""
    yield tree
    kind = tree[0]
    if kind == "call":
        for a in tree[2]:
            yield from walk(a)
    elif kind == "neg":
        yield from walk(tree[1])
    elif kind in ("add", "sub", "mul", "div", "pow"):
        yield from walk(tree[1])
        yield from walk(tree[2])


_PRECEDENCE = {"add": 1, "sub": 1, "mul": 2, "div": 2, "neg": 3, "pow": 4}
_OPS = {
    "math": {"add": " + ", "sub": " - ", "mul": "*", "div": "/", "pow": "^"},
    "python": {"add": " + ", "sub": " - ", "mul": " * ", "div": " / ", "pow": " ** "},
}


def _print(tree, parent: int, style: str) -> str:
    """Print a tree with only the parentheses it needs ("math" or "python" style)."""
    kind = tree[0]
    if kind == "num":
        value = tree[1]
        if value.is_Integer:
            text = str(value)
        elif _exact_decimal(value):
            text = repr(float(value))
        else:
            text = str(value) if style == "math" else f"({value.p} / {value.q})"
        return f"({text})" if parent and (value < 0 or (style == "math" and "/" in text)) else text
    if kind == "var":
        return tree[1]
    if kind == "const":
        return tree[1] if style == "math" else f"math.{tree[1]}"
    if kind == "call":
        args = ", ".join(_print(a, 0, style) for a in tree[2])
        if style == "math":
            return f"{tree[1]}({args})"
        if tree[1] in ("cot", "sec", "csc"):
            base = {"cot": "tan", "sec": "cos", "csc": "sin"}[tree[1]]
            text = f"1 / torch.{base}({args})"
            return f"({text})" if parent > _PRECEDENCE["div"] else text
        return f"torch.{tree[1]}({args})"
    prec = _PRECEDENCE[kind]
    if kind == "neg":
        text = f"-{_print(tree[1], prec, style)}"
    else:
        # left-associative operators need parentheses on the right at equal precedence
        left_prec = prec + 1 if kind == "pow" else prec
        right_prec = prec if kind == "pow" else prec + 1
        text = f"{_print(tree[1], left_prec, style)}{_OPS[style][kind]}{_print(tree[2], right_prec, style)}"
    return f"({text})" if prec < parent else text


def to_python(tree) -> str:
    """The expression as PyTorch code (``torch.sin(x)``, ``x ** 2 + 1.75 * x``...)."""
    return _print(tree, 0, "python")


def tree_text(tree) -> str:
    """The tree in the math language, with only the parentheses it needs."""
    return _print(tree, 0, "math")


def _exact_decimal(value) -> bool:
    """Does the rational have a short decimal that reads back exactly (1/2 -> 0.5)?"""
    q = int(value.q)
    for p in (2, 5):
        while q % p == 0:
            q //= p
    return q == 1 and len(repr(float(value))) < 20 and "e" not in repr(float(value))
