"""Numeric back ends evaluate what was typed; the tree prints back as re-parseable math."""
import math

import pytest

from tutor.mathlang import parse
from tutor.mathlang.evaluate import MpmathBackend, NumpyBackend, TorchBackend, evaluate
from tutor.mathlang.printing import to_python, tree_text

EXPRESSIONS = ["x^2", "(x-1)^2", "a-(b-c)", "a-b-c", "2^3^2", "(2^3)^2", "-x^2", "(-x)^2", "x/(y*z)",
               "x*0.5 + sqrt(x+1)", "(a+b)*c", "1/3 x", "sigmoid(x) relu(y)", "e^x - pi", "tanh(x)/cosh(y)",
               "asinh(x y) + arcsinh(2)", "sin(2) x + relu(3) + sqrt(pi/4)",
               "atan(x) + cot(y) + sec(z) + csc(a)", "log(1 + x^2)"]
ENV = {"x": 0.7, "y": 1.3, "z": 2.1, "a": 0.4, "b": -1.5, "c": 2.5}


@pytest.mark.parametrize("text", EXPRESSIONS)
def test_tree_text_round_trips(text):
    parsed = parse(text)
    again = parse(tree_text(parsed.tree))
    assert again.tree == parsed.tree


@pytest.mark.parametrize("text", EXPRESSIONS)
def test_backends_agree(text):
    import torch

    tree = parse(text).tree
    n = float(evaluate(tree, ENV, NumpyBackend()))
    t = float(evaluate(tree, {k: torch.tensor(v, dtype=torch.float64) for k, v in ENV.items()},
                       TorchBackend()))
    m_backend = MpmathBackend(30)
    m = float(evaluate(tree, {k: m_backend.number(str(v)) for k, v in ENV.items()}, m_backend))
    assert n == pytest.approx(m, rel=1e-12)
    assert t == pytest.approx(m, rel=1e-12)
    # the rendered PyTorch code computes the same value (constants become tensors of the default dtype)
    code = to_python(tree)
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        value = eval(code, {"torch": torch, "math": math},  # our own generated code, not user text
                     {k: torch.tensor(v, dtype=torch.float64) for k, v in ENV.items()})
    finally:
        torch.set_default_dtype(default)
    assert float(value) == pytest.approx(m, rel=1e-12)
