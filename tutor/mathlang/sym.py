"""sympy pieces the math language needs beyond sympy's own functions.

``sigmoid`` and ``relu`` are kept as named functions (not rewritten to
``1/(1+exp(-x))`` and ``Max(0, x)``) so that torch evaluates them with
``torch.sigmoid`` / ``torch.relu`` and their conventions, exactly as a learner's
program would.  ``VSum`` and ``VMean`` reduce a vector variable's elementwise
expression to a scalar; they only get a numeric meaning once the length of the
vectors is known (see :func:`expand_elements`).

How each prints (in the math language and in LaTeX) comes from the function
table (:mod:`tutor.mathlang.functions`).  :func:`to_text` writes any sympy
expression back in the math language, so that it can be parsed again (``Abs``
as ``abs``, ``Heaviside(x, 0)`` as ``heaviside(x)``, ``E`` as ``e``).

This module imports sympy at import time: import it lazily.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sympy
from sympy.printing.str import StrPrinter

from ..foundation.errors import TutorError
from ..foundation.i18n import _
from .functions import FUNCTIONS, MathFunction
from .tree import BinOp, Call, Const, Neg, Node, Num, Var


class _TableFunction(sympy.Function):  # type: ignore[misc]
    """A sympy function of the tutor's own: printed as the table says."""

    table_name = ""

    def _latex(self, printer: Any) -> str:
        entry = FUNCTIONS[self.table_name]
        return (entry.latex or entry.name + r"\left({0}\right)").format(*(printer._print(a) for a in self.args))

    def _sympystr(self, printer: Any) -> str:
        return FUNCTIONS[self.table_name].format(FUNCTIONS[self.table_name].text,
                                                 [printer._print(a) for a in self.args])


class Sigmoid(_TableFunction):
    """The logistic function 1/(1+exp(-x))."""

    nargs = 1
    table_name = "sigmoid"

    @classmethod
    def eval(cls, arg: Any) -> Any:
        if arg.is_zero:
            return sympy.Rational(1, 2)
        return None

    def fdiff(self, argindex: int = 1) -> Any:
        s = Sigmoid(self.args[0])
        return s * (1 - s)

    def _eval_is_real(self) -> Any:
        return self.args[0].is_real

    def _eval_is_positive(self) -> Any:
        if self.args[0].is_real:
            return True
        return None

    def _eval_rewrite_as_exp(self, arg: Any, **kwargs: Any) -> Any:
        return 1 / (1 + sympy.exp(-arg))

    def _eval_evalf(self, prec: int) -> Any:
        return (1 / (1 + sympy.exp(-self.args[0])))._eval_evalf(prec)


class ReLU(_TableFunction):
    """max(0, x).  Its derivative at 0 is a convention (torch uses 0)."""

    nargs = 1
    table_name = "relu"

    @classmethod
    def eval(cls, arg: Any) -> Any:
        if arg.is_number and arg.is_real:
            return sympy.Max(0, arg)
        return None

    def fdiff(self, argindex: int = 1) -> Any:
        # Heaviside(x, 0): torch's convention relu'(0) = 0.
        return heaviside(self.args[0])

    def _eval_is_real(self) -> Any:
        return self.args[0].is_real

    def _eval_is_nonnegative(self) -> Any:
        if self.args[0].is_real:
            return True
        return None

    def _eval_rewrite_as_Max(self, arg: Any, **kwargs: Any) -> Any:
        return sympy.Max(0, arg)

    def _eval_evalf(self, prec: int) -> Any:
        return sympy.Max(0, self.args[0])._eval_evalf(prec)


class VSum(_TableFunction):
    """sum(u): the sum over the elements of a vector expression."""

    nargs = 1
    table_name = "sum"

    @classmethod
    def eval(cls, arg: Any) -> Any:
        if arg.is_zero:
            return sympy.Integer(0)
        return None

    def _eval_is_real(self) -> Any:
        return self.args[0].is_real


class VMean(_TableFunction):
    """mean(u): the mean over the elements of a vector expression."""

    nargs = 1
    table_name = "mean"

    @classmethod
    def eval(cls, arg: Any) -> Any:
        if arg.is_zero:
            return sympy.Integer(0)
        return None

    def _eval_is_real(self) -> Any:
        return self.args[0].is_real


def heaviside(arg: Any) -> Any:
    """The step function, 0 at 0 as torch's relu'(0)."""
    return sympy.Heaviside(arg, 0)


def dot(u: Any, v: Any) -> Any:
    return VSum(u * v)


def elementary(expr: Any) -> Any:
    """Rewrite the tutor's own functions into sympy's elementary ones.

    Used before symbolic simplification, never for evaluation in torch.
    """
    return expr.replace(Sigmoid, lambda a: 1 / (1 + sympy.exp(-a))).replace(
        ReLU, lambda a: sympy.Max(0, a)
    )


def derivative(expr: Any, symbol: Any) -> Any:
    """d expr / d symbol where it exists: the Dirac deltas of sign and heaviside (nonzero at one point only)
    are dropped, so the derivative prints in the math language (d/dx sign(x) x^2 = 2 x sign(x))."""
    return sympy.diff(expr, symbol).replace(sympy.DiracDelta, lambda *args: sympy.Integer(0))


def has_reduction(expr: Any) -> bool:
    return bool(expr.atoms(VSum, VMean))


class _MathTextPrinter(StrPrinter):  # type: ignore[misc]
    """sympy's string printer, writing the functions and constants of the math language."""

    _by_class: dict[type, MathFunction] | None = None

    @classmethod
    def functions(cls) -> dict[type, MathFunction]:
        if cls._by_class is None:
            found: dict[type, MathFunction] = {}
            for f in FUNCTIONS.values():
                result = f.result_class() if f.desugar is None else None
                if result is not None:
                    found[result] = f
            cls._by_class = found
        return cls._by_class

    def _print_Function(self, expr: Any) -> str:
        entry = self.functions().get(type(expr))
        if entry is None:
            return str(super()._print_Function(expr))
        return entry.format(entry.text, [self._print(a) for a in expr.args[:entry.arity]])

    _print_Heaviside = _print_Function
    _print_Abs = _print_Function
    _print_sign = _print_Function

    def _print_Exp1(self, expr: Any) -> str:
        return "e"


def to_text(expr: Any) -> str:
    """The expression in the tutor's math language (readable, re-parseable)."""
    return str(_MathTextPrinter().doprint(expr)).replace("**", "^")


_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "add": lambda p, q: p + q, "sub": lambda p, q: p - q, "mul": lambda p, q: p * q,
    "div": lambda p, q: p / q, "pow": lambda p, q: p ** q,
}


def expand_elements(tree: Node, env: Mapping[str, Sequence[Any]], vector_of: Mapping[str, bool],
                    mean_is_sum: bool = False) -> tuple[list[Any], bool]:
    """Per-element exact expressions of a parsed tree: (list, is_vector).

    ``env`` maps each name to its element expressions (one for a scalar),
    ``vector_of`` says which names are vectors; ``sum``/``mean`` reduce.
    Shared by the gradient engine's sympy witness and the scenario simulator.
    """
    def ev(node: Node) -> tuple[list[Any], bool]:
        if isinstance(node, Num):
            return [node.value], False
        if isinstance(node, Const):
            return [sympy.pi if node.name == "pi" else sympy.E], False
        if isinstance(node, Var):
            return list(env[node.name]), vector_of[node.name]
        if isinstance(node, Neg):
            vals, vec = ev(node.operand)
            return [-v for v in vals], vec
        if isinstance(node, Call):
            return call(node)
        return binary(node)

    def call(node: Call) -> tuple[list[Any], bool]:
        fn = FUNCTIONS[node.name]
        vals, vec = ev(node.args[0])
        if fn.reduces:
            total = sum(vals, start=sympy.Integer(0))
            if node.name == "mean" and not mean_is_sum:
                total = total / len(vals)
            return [total], False
        make = fn.sympy_function()
        return [make(v) for v in vals], vec

    def binary(node: BinOp) -> tuple[list[Any], bool]:
        a, av = ev(node.left)
        b, bv = ev(node.right)
        if av and bv and len(a) != len(b):
            raise TutorError(_("vectors of different lengths cannot be combined"), code="math.vector-lengths")
        size = max(len(a), len(b))
        a = a * size if len(a) == 1 and size > 1 else a
        b = b * size if len(b) == 1 and size > 1 else b
        return [_BINARY[node.op](p, q) for p, q in zip(a, b)], av or bv

    return ev(tree)
