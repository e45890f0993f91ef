"""Step kinds: one class each, knowing how to parse and validate itself, simulate, render and mutate.

Every subclass of :class:`Step` with a ``key`` registers itself; the modules
of this package are imported when it is, so a new step kind is one class in
one module here (and its tests): the builder, the simulator, the renderer,
the mutations, the walkers and the format documentation all find it.
"""
from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from ....foundation.i18n import _

if TYPE_CHECKING:
    from ..build import BuildContext
    from ..render import CodeWriter
    from ..simulate import Simulation


class Step:
    """One statement (or block) of a scenario program."""

    key: ClassVar[str] = ""            # the TOML key that names this kind: { forward = "y", ... }
    options: ClassVar[tuple[str, ...]] = ()   # the other keys it reads
    order: ClassVar[int] = 100         # its place in lists and the docs
    zeroing: ClassVar[bool] = False    # it clears .grad (beliefs and mutations move or drop it)
    example: ClassVar[str] = ""        # a TOML example for the docs
    renders: ClassVar[str] = ""        # what the example renders as, for the docs

    registry: ClassVar[dict[str, type[Step]]] = {}

    def __init_subclass__(cls, **kwargs: Any):
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("key"):
            Step.registry[cls.key] = cls

    @classmethod
    def parse(cls, table: dict[str, Any], ctx: BuildContext, path: str) -> Step:
        raise NotImplementedError

    def simulate(self, sim: Simulation) -> None:
        raise NotImplementedError

    def render(self, out: CodeWriter) -> None:
        raise NotImplementedError

    def mutate(self, mutation: str) -> tuple[Step, ...] | None:
        """The step as a learner's mistake changes it (None: unchanged; () drops it)."""
        return None

    def children(self) -> tuple[Step, ...]:
        return ()

    def guarded(self) -> Step:
        """As a learner who believes zeroing always works pictures it (only a zeroing step changes)."""
        return self

    def unguarded(self) -> Step:
        """Without a guard (only a zeroing step changes)."""
        return self


def kinds() -> list[type[Step]]:
    """Every step kind, in documentation order."""
    return sorted(Step.registry.values(), key=lambda cls: (cls.order, cls.key))


def parse_steps(steps: object, ctx: BuildContext, path: str) -> tuple[Step, ...]:
    if not isinstance(steps, list):
        ctx.fail(path, _("expected a list of steps"))
    out = []
    for i, table in enumerate(steps):
        p = f"{path}[{i}]"
        if not isinstance(table, dict):
            ctx.fail(p, _("each step is a table such as { forward = \"y\", expr = \"x^2\" }"))
        found = [cls for cls in kinds() if cls.key in table]
        if len(found) != 1:
            ctx.fail(p, _("a step has exactly one of: {kinds}").format(kinds=", ".join(c.key for c in kinds())))
        ctx.only(table, (found[0].key, *found[0].options), p)
        out.append(found[0].parse(table, ctx, p))
    return tuple(out)


def walk(steps: Sequence[Step]) -> Iterator[Step]:
    """Every step, depth first (a loop, then its body)."""
    for step in steps:
        yield step
        yield from walk(step.children())


def _load_kinds() -> None:
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")


_load_kinds()
