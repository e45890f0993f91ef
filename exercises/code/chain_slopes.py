"""The slope of f(x) = sin(a * x**2) at several points.

Return f'(p) for every p in `points`, as a list of floats, computed by
autograd.
"""
import torch


def slopes(points: list, a: float) -> list:
    x = torch.tensor([float(p) for p in points], requires_grad=True)
    y = torch.sin(a * x ** 2)
    # TODO: let autograd differentiate y; this hand-written derivative misses a factor
    return torch.cos(a * x ** 2).tolist()
