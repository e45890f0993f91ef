"""Gradient descent on f(x) = x / (1 + x**2).

Start from x0 and take `steps` steps of gradient descent with learning rate
`lr`, using the exact derivative of f, and return the final value of x.
"""
import torch


def descend(x0: float, lr: float, steps: int) -> float:
    x = torch.tensor(float(x0), requires_grad=True)
    for step in range(steps):
        if x.grad is not None:
            x.grad.zero_()
        y = x / (1 + x ** 2)
        y.backward()
        with torch.no_grad():
            x -= lr * x.grad
    return x.item()
