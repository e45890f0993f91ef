"""Gradient descent on f(x) = x**2.

Return the value of x after `steps` updates with learning rate `lr`, starting
from x0. The loop below forgets something: run it and compare with the
gradient-descent steps you expect (x <- x - lr * 2x).
"""
import torch


def descend(x0: float, lr: float, steps: int) -> float:
    x = torch.tensor(float(x0), requires_grad=True)
    for step in range(steps):
        if x.grad is not None:
            x.grad.zero_()
        y = x ** 2
        y.backward()
        with torch.no_grad():
            x -= lr * x.grad
    return x.item()
