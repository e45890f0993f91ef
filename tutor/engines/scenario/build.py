"""A :class:`~.model.Scenario` from an exercise's ``scenario`` table, every field validated.

:class:`BuildContext` offers the steps the checks they share (numbers in the
math language, names, flags, leaves, names defined earlier); every refusal is
a :class:`TutorError` naming the field's path (``scenario.steps[0].lr``).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NoReturn

from ...foundation.errors import MathError, TutorError
from ...foundation.i18n import _
from ...mathlang import check_name, parse
from ...mathlang.tree import Node, substitute
from .model import Ask, Leaf, Optimizer, Scenario


class BuildContext:
    """What the steps of one scenario can see while they are parsed."""

    def __init__(self, params: Mapping[str, Any], where: str):
        import sympy

        self.params = dict(params)
        self.where = where
        self.param_symbols = {sympy.Symbol(k, real=True): v for k, v in params.items()}
        self.leaves: set[str] = set()
        self.defined: set[str] = set()      # leaves and the results of earlier forward steps
        self.has_optimizer = False
        self.loop_factor = 1                # how many times the step being parsed runs (nested loops multiply)

    def fail(self, path: str, reason: str, code: str = "scenario.field") -> NoReturn:
        raise TutorError(_("{where}.{field}: {reason}").format(where=self.where, field=path, reason=reason),
                         code=code)

    def numbers(self, text: object, path: str) -> tuple[list[Any], bool]:
        """Comma-separated numbers (math and parameters allowed): (exact values, is a vector)."""
        if isinstance(text, (int, float)) and not isinstance(text, bool):
            text = repr(text)
        if not isinstance(text, str):
            self.fail(path, _("expected a number or comma-separated numbers"))
        out = []
        for part in [p for p in text.split(",") if p.strip()]:
            try:
                value = parse(part, variables=set(self.params)).expr.xreplace(self.param_symbols)
            except MathError as exc:
                self.fail(path, exc.one_line())
            if not value.is_number or not value.is_real:
                self.fail(path, _("'{text}' is not a number").format(text=part.strip()))
            out.append(value)
        if not out:
            self.fail(path, _("expected a value"))
        return out, "," in text

    def only(self, table: Mapping[str, Any], allowed: Iterable[str], path: str) -> None:
        """Every key of ``table`` is one of ``allowed``: a typo (retian_graph, mod, gaurd) is an error naming
        its path, with the nearest known key, never a setting silently ignored."""
        import difflib

        known = sorted(allowed)
        for key in table:
            if key not in known:
                near = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
                hint = _(" (did you mean '{key}'?)").format(key=near[0]) if near else _(
                    " (known here: {keys})").format(keys=", ".join(known))
                self.fail(f"{path}.{key}" if path else str(key), _("unknown key") + hint, "scenario.unknown-key")

    def number(self, text: object, path: str) -> Any:
        return self.numbers(text, path)[0][0]

    def flag(self, table: Mapping[str, Any], key: str, path: str, default: bool | None = None) -> bool:
        """A TOML boolean (``true`` / ``false``); a string such as "no" is refused, not read as true."""
        value = table.get(key, default)
        if not isinstance(value, bool):
            self.fail(f"{path}.{key}", _("must be true or false, got {got!r}").format(got=value),
                      code="scenario.flag")
        return value

    def name(self, value: object, path: str) -> str:
        if not isinstance(value, str):
            self.fail(path, _("expected a name, got {got!r}").format(got=value))
        try:
            return check_name(value)
        except MathError as exc:
            self.fail(path, exc.reason)

    def defined_name(self, value: object, path: str) -> str:
        if not isinstance(value, str) or value not in self.defined:
            self.fail(path, _("'{name}' is not defined before this step").format(name=value))
        return value

    def leaf_names(self, value: object, path: str) -> tuple[str, ...]:
        names = value if isinstance(value, list) else [value]
        if not names:
            self.fail(path, _("name at least one leaf"))
        for name in names:
            if not isinstance(name, str) or name not in self.leaves:
                self.fail(path, _("'{name}' is not a leaf").format(name=name))
        return tuple(names)

    def expression(self, text: object, path: str) -> Node:
        """Math over the tensors defined so far, with the drawn parameters substituted."""
        try:
            parsed = parse(text if isinstance(text, str) else "", variables=self.defined | set(self.params))
        except MathError as exc:
            self.fail(path, exc.one_line())
        return substitute(parsed.tree, self.params)


def build(spec: Mapping[str, Any], params: Mapping[str, Any], where: str = "scenario") -> Scenario:
    """A Scenario from an exercise's ``scenario`` table, with parameters substituted.

    Raises :class:`TutorError` naming the field for anything malformed.
    """
    from .steps import parse_steps

    ctx = BuildContext(params, where)
    ctx.only(spec, ("leaves", "steps", "ask", "dtype", "optimizer"), "")
    leaves = _leaves(spec.get("leaves") or [], ctx)
    optimizer = _optimizer(spec.get("optimizer"), ctx)
    steps = parse_steps(spec.get("steps"), ctx, "steps")
    ask = Ask.parse(spec.get("ask", ""))
    if ask is None or ask.name not in ctx.defined:
        ctx.fail("ask", _("expected NAME, NAME.grad, NAME.is_leaf or NAME.requires_grad (optionally [i]) "
                          "of a defined tensor; got '{ask}'").format(ask=spec.get("ask", "")))
    dtype = spec.get("dtype", "float32")
    if dtype not in ("float32", "float64"):
        ctx.fail("dtype", _("float32 or float64"))
    return Scenario(leaves, steps, ask, dtype, optimizer, dict(params))


def _leaves(items: object, ctx: BuildContext) -> tuple[Leaf, ...]:
    leaves = []
    for i, item in enumerate(items if isinstance(items, list) else []):
        if not isinstance(item, dict) or "name" not in item or "value" not in item:
            ctx.fail(f"leaves[{i}]", _("each leaf needs a name and a value"))
        ctx.only(item, ("name", "value", "requires_grad"), f"leaves[{i}]")
        name = ctx.name(item["name"], f"leaves[{i}].name")
        if name in ctx.leaves:
            ctx.fail(f"leaves[{i}].name", _("'{name}' is defined twice").format(name=name))
        values, vector = ctx.numbers(item["value"], f"leaves[{i}].value")
        leaves.append(Leaf(name, tuple(values), vector, ctx.flag(item, "requires_grad", f"leaves[{i}]", True)))
        ctx.leaves.add(name)
        ctx.defined.add(name)
    if not leaves:
        ctx.fail("leaves", _("at least one leaf is needed"))
    return tuple(leaves)


def _optimizer(opt: object, ctx: BuildContext) -> Optimizer | None:
    if not opt:
        return None
    if not isinstance(opt, dict) or "params" not in opt or "lr" not in opt:
        ctx.fail("optimizer", _("expected { params = [...], lr = ... }"))
    ctx.only(opt, ("params", "lr"), "optimizer")
    params = ctx.leaf_names(opt["params"] if isinstance(opt["params"], list) else [opt["params"]],
                            "optimizer.params")
    ctx.has_optimizer = True
    return Optimizer(params, ctx.number(opt["lr"], "optimizer.lr"))
