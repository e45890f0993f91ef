"""Loops and grad modes: ``for step in range(k):``, ``torch.set_grad_enabled(...)``, ``b.retain_grad()``."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from ....foundation.i18n import _
from . import Step, parse_steps

if TYPE_CHECKING:
    from ..build import BuildContext
    from ..render import CodeWriter
    from ..simulate import Simulation

MAX_REPEAT = 1000                 # iterations of the whole program, nested loops multiplied
RESERVED = ("torch", "math", "opt", "print")


@dataclass(frozen=True)
class Repeat(Step):
    key: ClassVar[str] = "repeat"
    options: ClassVar[tuple[str, ...]] = ("body", "var")
    order: ClassVar[int] = 80
    example: ClassVar[str] = '{ repeat = "k", body = [ ... ] }'
    renders: ClassVar[str] = '`for step in range(k):` (`var = "epoch"` renames the loop variable)'

    count: int
    body: tuple[Step, ...]
    var: str = "step"

    @classmethod
    def parse(cls, table: dict[str, Any], ctx: BuildContext, path: str) -> Repeat:
        count = ctx.number(table["repeat"], f"{path}.repeat")
        if not count.is_Integer or not 0 <= int(count) <= MAX_REPEAT:
            ctx.fail(f"{path}.repeat", _("a whole number of times from 0 to 1000"))
        if ctx.loop_factor * int(count) > MAX_REPEAT:
            ctx.fail(f"{path}.repeat", _("nested loops run at most {n} times in all").format(n=MAX_REPEAT))
        var = ctx.name(table.get("var", "step"), f"{path}.var")
        if var in ctx.defined or var in RESERVED:
            ctx.fail(f"{path}.var", _("'{name}' is already a name of the program").format(name=var))
        outer, ctx.loop_factor = ctx.loop_factor, ctx.loop_factor * max(1, int(count))
        try:
            body = parse_steps(table.get("body", []), ctx, f"{path}.body")
        finally:
            ctx.loop_factor = outer
        return cls(int(count), body, var)

    def children(self) -> tuple[Step, ...]:
        return self.body

    def simulate(self, sim: Simulation) -> None:
        count = self.count
        if sim.believes("loop_plus_one"):
            count += 1
        if sim.believes("loop_minus_one"):
            count = max(0, count - 1)
        for _i in range(count):
            sim.run_steps(self.body)

    def render(self, out: CodeWriter) -> None:
        out.block(f"for {self.var} in range({self.count}):", self.body)

    def mutate(self, mutation: str) -> tuple[Step, ...] | None:
        from ..mutate import mutate_steps

        if mutation in ("loop-plus-one", "loop-minus-one"):
            # the outermost loops only: an inner loop keeps its count
            count = self.count + (1 if mutation == "loop-plus-one" else -1)
            return (dataclasses.replace(self, count=count),) if count >= 0 else None
        body, changed = mutate_steps(self.body, mutation)
        return (dataclasses.replace(self, body=body),) if changed else None


@dataclass(frozen=True)
class SetGradEnabled(Step):
    key: ClassVar[str] = "set_grad_enabled"
    order: ClassVar[int] = 90
    example: ClassVar[str] = "{ set_grad_enabled = false }"
    renders: ClassVar[str] = "`torch.set_grad_enabled(False)`"

    enabled: bool

    @classmethod
    def parse(cls, table: dict[str, Any], ctx: BuildContext, path: str) -> SetGradEnabled:
        return cls(ctx.flag(table, "set_grad_enabled", path))

    def simulate(self, sim: Simulation) -> None:
        if not sim.believes("no_grad_ignored"):
            sim.grad_enabled = self.enabled

    def render(self, out: CodeWriter) -> None:
        out.line(f"torch.set_grad_enabled({self.enabled})")


@dataclass(frozen=True)
class RetainGrad(Step):
    key: ClassVar[str] = "retain_grad"
    order: ClassVar[int] = 95
    example: ClassVar[str] = '{ retain_grad = "b" }'
    renders: ClassVar[str] = "`b.retain_grad()`"

    name: str

    @classmethod
    def parse(cls, table: dict[str, Any], ctx: BuildContext, path: str) -> RetainGrad:
        return cls(ctx.defined_name(table["retain_grad"], f"{path}.retain_grad"))

    def simulate(self, sim: Simulation) -> None:
        from ..model import ERR_RETAIN_NO_GRAD
        from ..simulate import ScenarioError

        t = sim.tensors[self.name]
        if not t.requires_grad:
            raise ScenarioError("RuntimeError", ERR_RETAIN_NO_GRAD)
        if not t.leaf:          # (on a leaf that requires grad it does nothing: its .grad is kept anyway)
            t.retains = True

    def render(self, out: CodeWriter) -> None:
        out.line(f"{self.name}.retain_grad()")
