"""Autograd Tutor: sympy's symbolic gradient beside torch's .grad."""

__version__ = "0.1.0"
