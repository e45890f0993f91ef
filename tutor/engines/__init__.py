"""Engines (layer 3): the computations the tutor's truths come from.

* :mod:`.gradients`: sympy, torch autograd and finite differences, compared;
* :mod:`.equivalence`: is a typed answer equal to the reference over the reals;
* :mod:`.scenario`: predict-the-``.grad`` programs, simulated exactly, rendered, run in torch;
* :mod:`.derivatives`: derivatives taken with one rule broken (the wrong answers of derive questions);
* :mod:`.runner`: learner code run in fresh processes forked from preloaded workers, sandboxed
  (bubblewrap) for grading, with one protocol for every caller.

Engines import only the math language and the foundations.
"""
