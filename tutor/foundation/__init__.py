"""Foundations: what every other layer may use.

errors (with machine-readable codes), the outcome of a command and its exit
statuses, translation, terminal styling, the format-neutral document model
that sheets render, and where the bank and the learner's data live.  Nothing
here imports sympy, torch or click.
"""
