"""The one table of the math language's functions.

Everything that knows about a function reads it from here: the parser (names,
aliases, arity), the sympy builder, the torch, numpy and mpmath evaluators,
the printers (math text, PyTorch code, LaTeX), the gradient engine's list of
non-differentiable points, and the function list in ``--help`` and the docs.
Adding a function is one entry in :data:`FUNCTIONS` (and its tests).

This module imports nothing heavy: sympy objects are named by dotted path and
resolved on first use, and the numeric implementations receive their library
(``torch``, ``numpy`` or an mpmath context) as the first argument.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..foundation.i18n import N_

Impl = Callable[..., Any]


@dataclass(frozen=True)
class Kink:
    """Where a function is not differentiable: its argument is 0 there.

    ``kind``: corner (abs, relu), vertical (sqrt: infinite slope), log (log:
    -inf), jump (sign, heaviside).  ``message`` names torch's convention; it is
    formatted with ``arg``, the argument as typed.
    """

    kind: str
    message: str


@dataclass(frozen=True)
class MathFunction:
    name: str                        # canonical name: what a parsed tree's Call holds
    help: str                        # one line for --help and the docs (N_: translated where shown)
    sympy: str                       # "module:attribute" of the sympy function or class
    torch: Impl                      # (torch, *args) -> tensor
    numpy: Impl                      # (numpy, *args) -> array
    mpmath: Impl                     # (mpmath context, *args) -> mpf
    arity: int = 1
    aliases: tuple[str, ...] = ()
    text: str = "{name}({args})"     # in the math language
    python: str = "torch.{name}({args})"   # in PyTorch code
    python_precedence: int | None = None   # the template's outermost operator (None: an atom)
    latex: str | None = None         # LaTeX of the tutor's own sympy classes; None: sympy's own printer
    sympy_class: str | None = None   # the class of its sympy results, where ``sympy`` names a factory
    kink: Kink | None = None
    reduces: bool = False            # sum/mean: a vector to a scalar
    desugar: str | None = None       # dot(u, v) is sum(u * v): the function it expands to
    saves_input: bool = False        # torch's backward keeps the argument itself (sin, log, abs...; not exp,
    #                                  sqrt, tanh, which keep their result): an in-place change of the argument
    #                                  before backward is torch's "modified by an inplace operation" error

    def sympy_function(self) -> Any:
        module, _sep, attr = self.sympy.partition(":")
        return getattr(importlib.import_module(module), attr)

    def result_class(self) -> type | None:
        """The sympy class its results have (None for sqrt, which sympy writes as a power)."""
        if self.sympy_class is not None:
            module, _sep, attr = self.sympy_class.partition(":")
            cls = getattr(importlib.import_module(module), attr)
            return cls if isinstance(cls, type) else None
        found = self.sympy_function()
        return found if isinstance(found, type) else None

    def format(self, template: str, args: list[str]) -> str:
        return template.format(*args, name=self.name, args=", ".join(args))


def _elementwise(name: str, help_text: str, *, numpy_name: str | None = None, **extra: Any) -> MathFunction:
    """A function that numpy, torch and mpmath all have (numpy sometimes under another name)."""
    np_name = numpy_name or name
    return MathFunction(
        name=name, help=help_text, sympy=f"sympy:{name}",
        torch=lambda lib, a: getattr(lib, name)(a), numpy=lambda lib, a: getattr(lib, np_name)(a),
        mpmath=lambda mp, a: getattr(mp, name)(a), **extra)


def _reciprocal(name: str, of: str, help_text: str, **extra: Any) -> MathFunction:
    """cot, sec, csc: 1 / tan, cos, sin in torch and numpy (which lack them)."""
    return MathFunction(
        name=name, help=help_text, sympy=f"sympy:{name}",
        torch=lambda lib, a: 1 / getattr(lib, of)(a), numpy=lambda lib, a: 1 / getattr(lib, of)(a),
        mpmath=lambda mp, a: getattr(mp, name)(a), python=f"1 / torch.{of}({{args}})", python_precedence=2, **extra)


_SIGN_MESSAGE = N_("{name}({arg}) jumps where {arg} = 0: its slope is 0 on either side, and torch uses 0 there too")

FUNCTIONS: dict[str, MathFunction] = {f.name: f for f in [
    _elementwise("sin", N_("sine"), saves_input=True),
    _elementwise("cos", N_("cosine"), saves_input=True),
    _elementwise("tan", N_("tangent")),
    _reciprocal("cot", "tan", N_("cotangent, 1/tan")),
    _reciprocal("sec", "cos", N_("secant, 1/cos"), saves_input=True),
    _reciprocal("csc", "sin", N_("cosecant, 1/sin"), saves_input=True),
    _elementwise("asin", N_("inverse sine"), numpy_name="arcsin", aliases=("arcsin",), saves_input=True),
    _elementwise("acos", N_("inverse cosine"), numpy_name="arccos", aliases=("arccos",), saves_input=True),
    _elementwise("atan", N_("inverse tangent"), numpy_name="arctan", aliases=("arctan",), saves_input=True),
    _elementwise("sinh", N_("hyperbolic sine"), saves_input=True),
    _elementwise("cosh", N_("hyperbolic cosine"), saves_input=True),
    _elementwise("tanh", N_("hyperbolic tangent")),
    _elementwise("asinh", N_("inverse hyperbolic sine"), numpy_name="arcsinh", aliases=("arcsinh",),
                 saves_input=True),
    _elementwise("exp", N_("e to the power")),
    _elementwise("log", N_("natural logarithm"), aliases=("ln",), saves_input=True,
                 kink=Kink("log", N_("log({arg}) is -inf where {arg} = 0: its slope is infinite"))),
    _elementwise("sqrt", N_("square root"),
                 kink=Kink("vertical", N_("sqrt({arg}) has an infinite slope where {arg} = 0: torch gives inf "
                                          "there (nan once multiplied by 0)"))),
    MathFunction(
        name="abs", help=N_("absolute value"), sympy="sympy:Abs",
        torch=lambda lib, a: lib.abs(a), numpy=lambda lib, a: lib.abs(a), mpmath=lambda mp, a: abs(a),
        saves_input=True,
        kink=Kink("corner", N_("abs({arg}) has a corner where {arg} = 0: torch uses the slope 0 there "
                               "(sign(0) = 0)"))),
    MathFunction(
        name="sign", help=N_("the sign: -1, 0 or 1"), sympy="sympy:sign",
        torch=lambda lib, a: lib.sign(a), numpy=lambda lib, a: lib.sign(a), mpmath=lambda mp, a: mp.sign(a),
        kink=Kink("jump", _SIGN_MESSAGE)),
    MathFunction(
        # relu'(x) = heaviside(x), 0 at 0 as in torch.  torch.heaviside has no backward: relu(x).sign() is
        # the same step function and differentiable (its slope is 0).
        name="heaviside", help=N_("the step function: 1 where x > 0, else 0 (the slope of relu)"),
        sympy="tutor.mathlang.sym:heaviside", torch=lambda lib, a: lib.relu(a).sign(),
        numpy=lambda lib, a: (a > 0) * 1.0, mpmath=lambda mp, a: mp.mpf(1) if a > 0 else mp.mpf(0),
        python="torch.relu({args}).sign()", sympy_class="sympy:Heaviside", kink=Kink("jump", _SIGN_MESSAGE)),
    MathFunction(
        name="sigmoid", help=N_("the logistic function 1/(1 + exp(-x))"), sympy="tutor.mathlang.sym:Sigmoid",
        torch=lambda lib, a: lib.sigmoid(a), numpy=lambda lib, a: 1 / (1 + lib.exp(-a)),
        mpmath=lambda mp, a: 1 / (1 + mp.exp(-a)), latex=r"\sigma\left({0}\right)"),
    MathFunction(
        name="relu", help=N_("max(0, x)"), sympy="tutor.mathlang.sym:ReLU",
        torch=lambda lib, a: lib.relu(a), numpy=lambda lib, a: lib.maximum(a, 0.0),
        mpmath=lambda mp, a: a if a > 0 else mp.mpf(0), latex=r"\operatorname{{relu}}\left({0}\right)",
        kink=Kink("corner", N_("relu({arg}) has a corner where {arg} = 0: torch uses the slope 0 there"))),
    MathFunction(
        name="sum", help=N_("the sum of a vector's elements"), sympy="tutor.mathlang.sym:VSum",
        torch=lambda lib, a: lib.sum(a), numpy=lambda lib, a: lib.sum(a), mpmath=lambda mp, a: a,
        latex=r"\sum_i\left({0}\right)", reduces=True),
    MathFunction(
        name="mean", help=N_("the mean of a vector's elements"), sympy="tutor.mathlang.sym:VMean",
        torch=lambda lib, a: lib.mean(a), numpy=lambda lib, a: lib.mean(a), mpmath=lambda mp, a: a,
        latex=r"\operatorname{{mean}}\left({0}\right)", reduces=True),
    MathFunction(
        name="dot", help=N_("the dot product of two vectors, sum(u * v)"), sympy="tutor.mathlang.sym:dot",
        torch=lambda lib, a, b: lib.sum(a * b), numpy=lambda lib, a, b: lib.sum(a * b),
        mpmath=lambda mp, a, b: a * b, arity=2, desugar="sum", saves_input=True),
]}

ALIASES: dict[str, str] = {alias: f.name for f in FUNCTIONS.values() for alias in f.aliases}
NAMES: tuple[str, ...] = (*FUNCTIONS, *ALIASES)        # every name a function can be called by, in table order
CONSTANTS: tuple[str, ...] = ("pi", "e")


def lookup(name: str) -> MathFunction:
    """The function called ``name`` (an alias gives its canonical function)."""
    return FUNCTIONS[ALIASES.get(name, name)]


def help_line() -> str:
    """The functions for --help: ``sin cos ... (ln = log, arcsin = asin ...)``."""
    names = " ".join(f.name if f.arity == 1 else f"{f.name}(u, v)" for f in FUNCTIONS.values())
    aliases = ", ".join(f"{a} = {c}" for a, c in ALIASES.items())
    return f"{names} ({aliases})"
