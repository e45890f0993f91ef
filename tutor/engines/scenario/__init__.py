"""Predict-the-``.grad`` programs: a small scenario model.

A scenario is a list of leaves, an optional optimizer and a list of steps
(forward, backward, zeroing, updates, loops, ``no_grad`` ...), one class per
step kind in :mod:`.steps`.  It can be

* **built** from an exercise's ``scenario`` table (:func:`build`), each step
  parsing and validating its own fields;
* **simulated exactly** with sympy (:func:`simulate`), tracking every tensor's
  value, ``requires_grad``, ``is_leaf``, ``.grad`` and whether its graph was
  freed, with torch's own error messages;
* **rendered** as the real PyTorch program a learner reads (:func:`render`);
* **run** in torch (:func:`run_in_torch`) to prove the simulation right;
* **mutated** (:func:`mutate`) the way a learner's code goes wrong.

Misconceptions are *beliefs*: flags that change one rule of the simulation
(``backward`` overwrites ``.grad``, ``mean`` is a sum, ``no_grad`` does
nothing ...).  Running the same scenario with a belief switched on gives the
answer a learner holding that belief would predict.
"""
from __future__ import annotations

from .build import build
from .model import Answer, Ask, Leaf, Optimizer, Scenario, answers_close, same_answer
from .mutate import MUTATIONS, mutate
from .render import render
from .simulate import BELIEFS, BackwardEvent, Run, UpdateEvent, simulate
from .steps import Step, walk
from .steps.backward import Backward, backward_roots
from .steps.control import Repeat
from .steps.forward import Forward
from .torchrun import run_in_torch

__all__ = ["Answer", "Ask", "BELIEFS", "Backward", "BackwardEvent", "Forward", "Leaf", "MUTATIONS", "Optimizer",
           "Repeat", "Run", "Scenario", "Step", "UpdateEvent", "answers_close", "backward_roots", "build", "mutate",
           "render", "run_in_torch", "same_answer", "simulate", "walk"]
