"""Moving parameters: ``x -= lr * x.grad`` by hand, or ``opt.step()``."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from ....foundation.i18n import _
from . import Step
from .zeroing import _optimizer_step

if TYPE_CHECKING:
    from ..build import BuildContext
    from ..render import CodeWriter
    from ..simulate import Simulation


@dataclass(frozen=True)
class Update(Step):
    key: ClassVar[str] = "update"
    options: ClassVar[tuple[str, ...]] = ("lr", "no_grad")
    order: ClassVar[int] = 60
    example: ClassVar[str] = '{ update = ["a", "b"], lr = "0.01" }'
    renders: ClassVar[str] = "`with torch.no_grad(): a -= 0.01 * a.grad` ...; `no_grad = false` leaves out the `with`"

    targets: tuple[str, ...]
    lr: Any
    no_grad: bool = True

    @classmethod
    def parse(cls, table: dict[str, Any], ctx: BuildContext, path: str) -> Update:
        targets = ctx.leaf_names(table["update"], f"{path}.update")
        if "lr" not in table:
            ctx.fail(f"{path}.lr", _("an update needs a learning rate"))
        return cls(targets, ctx.number(table["lr"], f"{path}.lr"), ctx.flag(table, "no_grad", path, True))

    def simulate(self, sim: Simulation) -> None:
        from ..model import ERR_INPLACE_LEAF, ERR_UPDATE_NONE
        from ..simulate import ScenarioError, UpdateEvent

        for n in self.targets:
            t = sim.tensors[n]
            # `x -= lr * x.grad`: the right-hand side first (None raises), then the in-place subtraction
            if t.grad is None:
                raise ScenarioError("TypeError", ERR_UPDATE_NONE)
            # (outside `with torch.no_grad():` it is an error only while grad mode is on)
            if not self.no_grad and sim.grad_enabled and t.requires_grad and not sim.believes("no_grad_ignored"):
                raise ScenarioError("RuntimeError", ERR_INPLACE_LEAF)
            sim.move(t, self.lr)
        sim.events.append(UpdateEvent({n: list(sim.tensors[n].values) for n in self.targets}))

    def render(self, out: CodeWriter) -> None:
        from ..render import literal

        lines = [f"{t} -= {literal(self.lr)} * {t}.grad" for t in self.targets]
        if not self.no_grad:
            for line in lines:
                out.line(line)
            return
        out.line("with torch.no_grad():")
        with out.indented():
            for line in lines:
                out.line(line)

    def mutate(self, mutation: str) -> tuple[Step, ...] | None:
        if mutation == "flip-update-sign":
            return (dataclasses.replace(self, lr=-self.lr),)
        return None


@dataclass(frozen=True)
class OptimizerStep(Step):
    key: ClassVar[str] = "step"
    order: ClassVar[int] = 70
    example: ClassVar[str] = "{ step = true }"
    renders: ClassVar[str] = "`opt.step()`"

    @classmethod
    def parse(cls, table: dict[str, Any], ctx: BuildContext, path: str) -> OptimizerStep:
        _optimizer_step(table, "step", ctx, path)
        return cls()

    def simulate(self, sim: Simulation) -> None:
        from ..simulate import UpdateEvent

        opt = sim.scenario.optimizer
        assert opt is not None
        for n in opt.params:
            t = sim.tensors[n]
            if t.grad is not None:      # SGD skips parameters whose grad is None
                sim.move(t, opt.lr)
        sim.events.append(UpdateEvent({n: list(sim.tensors[n].values) for n in opt.params}))

    def render(self, out: CodeWriter) -> None:
        out.line("opt.step()")
