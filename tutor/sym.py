"""sympy pieces the math language needs beyond sympy's own functions.

``sigmoid`` and ``relu`` are kept as named functions (not rewritten to
``1/(1+exp(-x))`` and ``Max(0, x)``) so that torch evaluates them with
``torch.sigmoid`` / ``torch.relu`` and their conventions, exactly as a learner's
program would.  ``VSum`` and ``VMean`` reduce a vector variable's elementwise
expression to a scalar; they only get a numeric meaning once the length of the
vectors is known (see :mod:`tutor.gradients`).

This module imports sympy at import time: import it lazily.
"""
from __future__ import annotations

import sympy


class Sigmoid(sympy.Function):
    """The logistic function 1/(1+exp(-x))."""

    nargs = 1

    @classmethod
    def eval(cls, arg):
        if arg.is_zero:
            return sympy.Rational(1, 2)
        return None

    def fdiff(self, argindex=1):
        s = Sigmoid(self.args[0])
        return s * (1 - s)

    def _eval_is_real(self):
        return self.args[0].is_real

    def _eval_is_positive(self):
        if self.args[0].is_real:
            return True
        return None

    def _eval_rewrite_as_exp(self, arg, **kwargs):
        return 1 / (1 + sympy.exp(-arg))

    def _eval_evalf(self, prec):
        return (1 / (1 + sympy.exp(-self.args[0])))._eval_evalf(prec)

    def _latex(self, printer):
        return r"\sigma\left(%s\right)" % printer._print(self.args[0])

    def _sympystr(self, printer):
        return "sigmoid(%s)" % printer._print(self.args[0])


class ReLU(sympy.Function):
    """max(0, x).  Its derivative at 0 is a convention (torch uses 0)."""

    nargs = 1

    @classmethod
    def eval(cls, arg):
        if arg.is_number and arg.is_real:
            return sympy.Max(0, arg)
        return None

    def fdiff(self, argindex=1):
        # Heaviside(x, 0): torch's convention relu'(0) = 0.
        return sympy.Heaviside(self.args[0], 0)

    def _eval_is_real(self):
        return self.args[0].is_real

    def _eval_is_nonnegative(self):
        if self.args[0].is_real:
            return True
        return None

    def _eval_rewrite_as_Max(self, arg, **kwargs):
        return sympy.Max(0, arg)

    def _eval_evalf(self, prec):
        return sympy.Max(0, self.args[0])._eval_evalf(prec)

    def _latex(self, printer):
        return r"\operatorname{relu}\left(%s\right)" % printer._print(self.args[0])

    def _sympystr(self, printer):
        return "relu(%s)" % printer._print(self.args[0])


class VSum(sympy.Function):
    """sum(u): the sum over the elements of a vector expression."""

    nargs = 1

    @classmethod
    def eval(cls, arg):
        if arg.is_zero:
            return sympy.Integer(0)
        return None

    def _eval_is_real(self):
        return self.args[0].is_real

    def _latex(self, printer):
        return r"\sum_i\left(%s\right)" % printer._print(self.args[0])

    def _sympystr(self, printer):
        return "sum(%s)" % printer._print(self.args[0])


class VMean(sympy.Function):
    """mean(u): the mean over the elements of a vector expression."""

    nargs = 1

    @classmethod
    def eval(cls, arg):
        if arg.is_zero:
            return sympy.Integer(0)
        return None

    def _eval_is_real(self):
        return self.args[0].is_real

    def _latex(self, printer):
        return r"\operatorname{mean}\left(%s\right)" % printer._print(self.args[0])

    def _sympystr(self, printer):
        return "mean(%s)" % printer._print(self.args[0])


# the math language's functions, by canonical name (what a parsed tree's "call" nodes hold)
FUNCTIONS = {
    "sin": sympy.sin, "cos": sympy.cos, "tan": sympy.tan, "cot": sympy.cot, "sec": sympy.sec, "csc": sympy.csc,
    "asin": sympy.asin, "acos": sympy.acos, "atan": sympy.atan,
    "sinh": sympy.sinh, "cosh": sympy.cosh, "tanh": sympy.tanh,
    "exp": sympy.exp, "log": sympy.log, "sqrt": sympy.sqrt, "abs": sympy.Abs,
    "sigmoid": Sigmoid, "relu": ReLU, "sum": VSum, "mean": VMean,
}
ALIASES = {"ln": "log", "arcsin": "asin", "arccos": "acos", "arctan": "atan"}


def elementary(expr):
    """Rewrite the tutor's own functions into sympy's elementary ones.

    Used before symbolic simplification, never for evaluation in torch.
    """
    return expr.replace(Sigmoid, lambda a: 1 / (1 + sympy.exp(-a))).replace(
        ReLU, lambda a: sympy.Max(0, a)
    )


def has_reduction(expr) -> bool:
    return bool(expr.atoms(VSum, VMean))


def to_text(expr) -> str:
    """The expression in the tutor's math language (readable, re-parseable)."""
    return sympy.sstr(expr).replace("**", "^")


def expand_elements(tree, env, vector_of, mean_is_sum=False):
    """Per-element exact expressions of a parsed tree: (list, is_vector).

    ``env`` maps each name to its element expressions (one for a scalar),
    ``vector_of`` says which names are vectors; ``sum``/``mean`` reduce.
    Shared by the gradient engine's sympy witness and the scenario simulator.
    """
    from .errors import TutorError
    from .i18n import _

    funcs = FUNCTIONS

    def ev(node):
        """-> (list of element expressions, is_vector)"""
        kind = node[0]
        if kind == "num":
            return [node[1]], False
        if kind == "const":
            return [sympy.pi if node[1] == "pi" else sympy.E], False
        if kind == "var":
            return list(env[node[1]]), vector_of[node[1]]
        if kind == "neg":
            vals, vec = ev(node[1])
            return [-v for v in vals], vec
        if kind == "call":
            name = node[1]
            vals, vec = ev(node[2][0])
            if name in ("sum", "mean"):
                total = sum(vals, start=sympy.Integer(0))
                if name == "mean" and not mean_is_sum:
                    total = total / len(vals)
                return [total], False
            return [funcs[name](v) for v in vals], vec
        a, av = ev(node[1])
        b, bv = ev(node[2])
        if av and bv and len(a) != len(b):
            raise TutorError(_("vectors of different lengths cannot be combined"))
        size = max(len(a), len(b))
        a = a * size if len(a) == 1 and size > 1 else a
        b = b * size if len(b) == 1 and size > 1 else b
        op = {"add": lambda p, q: p + q, "sub": lambda p, q: p - q, "mul": lambda p, q: p * q,
              "div": lambda p, q: p / q, "pow": lambda p, q: p ** q}[kind]
        return [op(p, q) for p, q in zip(a, b)], av or bv

    return ev(tree)
