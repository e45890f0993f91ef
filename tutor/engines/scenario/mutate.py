"""A learner's coding mistake injected into a scenario (the wrong answers of code exercises).

Each step kind says how a mutation changes it (:meth:`Step.mutate`); the one
mutation that works on a whole body, moving the zeroing after the backward,
is here.  :func:`mutate` returns None when the mistake cannot be made in
this program (no zeroing to drop, no loop to lengthen ...).
"""
from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from .model import Scenario
from .steps import Step

MUTATIONS = (
    "drop-zeroing",          # nothing zeroes .grad
    "zero-after-backward",   # the zeroing moved between backward() and the update
    "flip-update-sign",      # x += lr * x.grad
    "loop-plus-one",         # the outermost loops run once more
    "loop-minus-one",        # ... once fewer
    "mean-to-sum",           # mean() written as sum()
)


def mutate(scenario: Scenario, mutation: str) -> Scenario | None:
    """The scenario with ``mutation`` injected, or None if it does not apply."""
    steps, changed = mutate_steps(scenario.steps, mutation)
    optimizer = scenario.optimizer
    if mutation == "flip-update-sign" and optimizer is not None:
        optimizer = dataclasses.replace(optimizer, lr=-optimizer.lr)
        changed = True
    if not changed:
        return None
    return dataclasses.replace(scenario, steps=steps, optimizer=optimizer)


def mutate_steps(steps: Sequence[Step], mutation: str) -> tuple[tuple[Step, ...], bool]:
    """A body with the mutation applied to it and to each of its steps; and whether anything changed."""
    changed = False
    if mutation == "zero-after-backward":
        reordered = _zero_after_backward(steps)
        changed = reordered != tuple(steps)
        steps = reordered
    out: list[Step] = []
    for step in steps:
        new = step.mutate(mutation)
        if new is None:
            out.append(step)
        else:
            out.extend(new)
            changed = True
    return tuple(out), changed


def _zero_after_backward(steps: Sequence[Step]) -> tuple[Step, ...]:
    from .steps.backward import Backward

    zeros = [s.unguarded() for s in steps if s.zeroing]
    rest = [s for s in steps if not s.zeroing]
    idx = next((i for i, s in enumerate(rest) if isinstance(s, Backward)), None)
    if not zeros or idx is None:
        return tuple(steps)
    return (*rest[:idx + 1], *zeros, *rest[idx + 1:])
