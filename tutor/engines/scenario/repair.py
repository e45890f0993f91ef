"""Fixes that run: the program that does what a learner's belief expected, and the lines that differ.

A learner who predicted a wrong value held a belief about torch
(:data:`~.simulate.BELIEFS`).  For several beliefs there is a small change to
the program after which *torch* prints exactly that value: clear ``.grad``
before each ``backward()`` (``overwrite``), keep the graph
(``graph_kept``), ``b.retain_grad()`` (``nonleaf_grad``), ``sum`` for
``mean`` (``mean_is_sum``) ...  :func:`belief_program` makes that change;
:func:`changed_lines` shows it as the lines of the learner's own program
that differ.  A code exercise's fix is the other direction: the learner's
program is the mutated one, the fix is the reference scenario, and the lines
are the difference between the two renderings.

Every fix shown is a rendering of a scenario, so its names and numbers are
the variant's; ``tutor check`` runs the changed program in torch and refuses
the exercise if it does not print what the fix promises.
"""
from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable, Sequence

from .model import Scenario
from .render import render
from .steps import Step
from .steps.backward import Backward
from .steps.control import Repeat, RetainGrad, SetGradEnabled
from .steps.forward import Forward
from .steps.zeroing import SetNone


def _map(steps: Sequence[Step], change: Callable[[Step], Sequence[Step]]) -> tuple[Step, ...]:
    out: list[Step] = []
    for step in steps:
        if isinstance(step, Repeat):
            step = dataclasses.replace(step, body=_map(step.body, change))
        out.extend(change(step))
    return tuple(out)


def _overwrite(s: Scenario) -> tuple[Step, ...]:
    leaves = tuple(leaf.name for leaf in s.leaves if leaf.requires_grad)
    return _map(s.steps, lambda st: (SetNone(leaves), st) if isinstance(st, Backward) and leaves else (st,))


def _graph_kept(s: Scenario) -> tuple[Step, ...]:
    return _map(s.steps, lambda st: (dataclasses.replace(st, retain_graph=True),) if isinstance(st, Backward)
                else (st,))


def _no_grad_ignored(s: Scenario) -> tuple[Step, ...]:
    def change(st: Step) -> Sequence[Step]:
        if isinstance(st, Forward) and st.mode != "normal":
            return (dataclasses.replace(st, mode="normal"),)
        if isinstance(st, SetGradEnabled) and not st.enabled:
            return ()
        return (st,)
    return _map(s.steps, change)


def _nonleaf_grad(s: Scenario) -> tuple[Step, ...]:
    name = s.ask.name
    return _map(s.steps, lambda st: (st, RetainGrad(name)) if isinstance(st, Forward) and st.name == name
                else (st,))


def _mean_is_sum(s: Scenario) -> tuple[Step, ...]:
    from .mutate import mutate_steps

    return mutate_steps(s.steps, "mean-to-sum")[0]


def _zero_anywhere(s: Scenario) -> tuple[Step, ...]:
    from .simulate import zero_first

    def body(steps: Sequence[Step]) -> tuple[Step, ...]:
        steps = tuple(dataclasses.replace(st, body=body(st.body)) if isinstance(st, Repeat) else st for st in steps)
        return tuple(zero_first(steps))
    return body(s.steps)


REPAIRS: dict[str, Callable[[Scenario], tuple[Step, ...]]] = {
    "zero_anywhere": _zero_anywhere,
    "overwrite": _overwrite,
    "graph_kept": _graph_kept,
    "no_grad_ignored": _no_grad_ignored,
    "nonleaf_grad": _nonleaf_grad,
    "mean_is_sum": _mean_is_sum,
}


def belief_program(s: Scenario, belief: str) -> Scenario | None:
    """The program changed so that torch does what ``belief`` expected (None: no such change, or none needed)."""
    repair = REPAIRS.get(belief)
    if repair is None:
        return None
    steps = repair(s)
    return None if steps == s.steps else dataclasses.replace(s, steps=steps)


def changed_lines(before: Scenario, after: Scenario, context: int = 1) -> list[str]:
    """The lines of ``after``'s program that differ from ``before``'s, as a short diff: ``+`` a line ``after``
    has, ``-`` a line only ``before`` has, and one line of context around (``...`` between far-apart hunks)."""
    a = render(before).splitlines()
    b = render(after).splitlines()
    out: list[str] = []
    for group in difflib.SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(context):
        if out:
            out.append("...")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out += ["  " + line for line in a[i1:i2]]
                continue
            out += ["- " + line for line in a[i1:i2]]
            out += ["+ " + line for line in b[j1:j2]]
    return out
