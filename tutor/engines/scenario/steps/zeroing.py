"""Clearing .grad: ``x.grad.zero_()``, ``x.grad = None``, ``opt.zero_grad()``."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from ....foundation.i18n import _
from . import Step

if TYPE_CHECKING:
    from ..build import BuildContext
    from ..render import CodeWriter
    from ..simulate import Simulation

GUARDS = ("none", "is_not_none", "and")


class _Clearing(Step):
    zeroing: ClassVar[bool] = True

    def mutate(self, mutation: str) -> tuple[Step, ...] | None:
        return () if mutation == "drop-zeroing" else None


@dataclass(frozen=True)
class Zero(_Clearing):
    key: ClassVar[str] = "zero"
    options: ClassVar[tuple[str, ...]] = ("guard",)
    order: ClassVar[int] = 30
    example: ClassVar[str] = '{ zero = "x" } or { zero = ["a", "b"] }'
    renders: ClassVar[str] = ('`x.grad.zero_()`; `guard = "is_not_none"` wraps it in `if x.grad is not None:`; '
                              '`guard = "and"` is the course\'s `if (a.grad and b.grad) is not None:`')

    targets: tuple[str, ...]
    guard: str = "none"

    @classmethod
    def parse(cls, table: dict[str, Any], ctx: BuildContext, path: str) -> Zero:
        targets = ctx.leaf_names(table["zero"], f"{path}.zero")
        guard = table.get("guard", "none")
        if guard not in GUARDS:
            ctx.fail(f"{path}.guard", _("one of none, is_not_none, and"))
        return cls(targets, guard)

    def simulate(self, sim: Simulation) -> None:
        from ..model import ERR_AMBIGUOUS, ERR_ZERO_NONE
        from ..simulate import ScenarioError

        targets = [sim.tensors[n] for n in self.targets]
        if self.guard == "and":
            # `if (a.grad and b.grad and ...) is not None:`: Python's `and` asks the truth of every operand but
            # the last, stopping at the first false one (None, or a zero scalar) and giving that operand; the
            # truth of a tensor of several values is an error.  With one target there is no `and` at all.
            result = targets[0].grad
            for t in targets[1:]:
                if result is None:
                    break
                if len(result) > 1:
                    raise ScenarioError("RuntimeError", ERR_AMBIGUOUS)
                if result[0] == 0:
                    break
                result = t.grad
            if result is None:
                return
        if self.guard == "is_not_none" and targets[0].grad is None:
            return          # `if a.grad is not None:` asks about the first target only (see render)
        for t in targets:
            if t.grad is None:
                raise ScenarioError("AttributeError", ERR_ZERO_NONE)
            t.grad = [sim.sp.Integer(0)] * len(t.grad)

    def render(self, out: CodeWriter) -> None:
        if self.guard == "none":
            for t in self.targets:
                out.line(f"{t}.grad.zero_()")
            return
        cond = f"{self.targets[0]}.grad is not None" if self.guard == "is_not_none" else \
            "(" + " and ".join(f"{t}.grad" for t in self.targets) + ") is not None"
        out.line(f"if {cond}:")
        with out.indented():
            for t in self.targets:
                out.line(f"{t}.grad.zero_()")

    def guarded(self) -> Step:
        return dataclasses.replace(self, guard="is_not_none")

    def unguarded(self) -> Step:
        return dataclasses.replace(self, guard="none")


@dataclass(frozen=True)
class SetNone(_Clearing):
    key: ClassVar[str] = "set_none"
    order: ClassVar[int] = 40
    example: ClassVar[str] = '{ set_none = "x" }'
    renders: ClassVar[str] = "`x.grad = None`"

    targets: tuple[str, ...]

    @classmethod
    def parse(cls, table: dict[str, Any], ctx: BuildContext, path: str) -> SetNone:
        return cls(ctx.leaf_names(table["set_none"], f"{path}.set_none"))

    def simulate(self, sim: Simulation) -> None:
        for n in self.targets:
            sim.tensors[n].grad = None

    def render(self, out: CodeWriter) -> None:
        for t in self.targets:
            out.line(f"{t}.grad = None")


@dataclass(frozen=True)
class ZeroGrad(_Clearing):
    key: ClassVar[str] = "zero_grad"
    order: ClassVar[int] = 50
    example: ClassVar[str] = "{ zero_grad = true }"
    renders: ClassVar[str] = "`opt.zero_grad()` (sets `.grad` to None)"

    @classmethod
    def parse(cls, table: dict[str, Any], ctx: BuildContext, path: str) -> ZeroGrad:
        _optimizer_step(table, "zero_grad", ctx, path)
        return cls()

    def simulate(self, sim: Simulation) -> None:
        assert sim.scenario.optimizer is not None
        for n in sim.scenario.optimizer.params:
            t = sim.tensors[n]
            if not sim.believes("zero_grad_zeros"):
                t.grad = None
            elif t.grad is not None:
                t.grad = [sim.sp.Integer(0)] * len(t.grad)

    def render(self, out: CodeWriter) -> None:
        out.line("opt.zero_grad()")


def _optimizer_step(table: dict[str, Any], key: str, ctx: BuildContext, path: str) -> bool:
    """``{ zero_grad = true }`` / ``{ step = true }``: the value must be true and there must be an optimizer."""
    if table[key] is not True:
        ctx.fail(f"{path}.{key}", _("must be true (leave the step out otherwise), got {got!r}").format(
            got=table[key]), code="scenario.flag")
    if not ctx.has_optimizer:
        ctx.fail(path, _("{kind} needs an optimizer in the scenario").format(kind=key))
    return True
